#pragma once

// The replication protocol's messages and their framing on the byte stream
// between a primary and its standby (inside TLS: tls_channel.hpp). Pure
// code: no sockets, no actors (fuzzed by fuzz/replication_wire_fuzz.cpp).
//
// A message on the wire, all integers little-endian:
//
//   0  u32 magic      wire_magic ("ALRP")
//   4  u16 version    wire_version
//   6  u16 type       message_type
//   8  u32 length     of the body
//  12  u32 crc        CRC32C of the body
//  16  body           JSON text, but binary for `frames`:
//                       u64 segment_base, u64 segment_epoch,
//                       u64 first_offset, u64 count, u64 first_position,
//                       then the frames byte-exact (record_format.hpp)
//
// The conversation: the standby sends `hello`; the primary answers `start`
// (where the standby's log agrees with its own: the standby truncates the
// rest) and then streams `frames` from there; the standby answers each
// durable append with `ack`. Both send `heartbeat` when idle; the primary
// sends `secrets` whenever the node-local secrets change.

#include "storage/log/epoch_history.hpp"
#include "storage/log/frame_run.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace almanac::replication {

constexpr uint32_t wire_magic = 0x50524C41u; // "ALRP" on the wire
constexpr uint16_t wire_version = 1;
constexpr size_t wire_header_size = 16;

/// Largest body believed: one run holds at least one frame of up to 64 MB.
constexpr size_t max_body_size = (64u << 20) + 4096;

enum class message_type : uint16_t {
  hello = 1,
  start = 2,
  frames = 3,
  ack = 4,
  heartbeat = 5,
  secrets = 6,
  refused = 7,
};

/// Standby -> primary, first: who it is and what its log holds.
struct hello {
  std::string name;
  storage::epoch_history epochs;
  uint64_t end_offset = 0;
  uint64_t end_position = 0;
};

/// Primary -> standby, the answer to hello: keep the log below
/// `truncate_to`, then frames follow from there.
struct start {
  std::string primary_name;
  /// The primary's HTTP API, for the standby's read_only errors.
  std::string primary_url;
  uint64_t epoch = 0;
  uint64_t truncate_to = 0;
  bool sync = false;
};

/// Standby -> primary: its log is durable up to here.
struct ack {
  uint64_t end_offset = 0;
  uint64_t end_position = 0;
};

/// Either way, when idle: the sender's log end and clock; from the primary
/// also how far behind the standby is (ms since the oldest record it lacks
/// was written; 0 when it lacks none).
struct heartbeat {
  uint64_t epoch = 0;
  uint64_t end_offset = 0;
  uint64_t end_position = 0;
  int64_t time_ms = 0;
  int64_t lag_ms = 0;
};

/// Primary -> standby: the node-local secrets file, whole.
struct secrets {
  std::string content;
};

/// Either way, before closing: why the peer is turned away.
struct refused {
  std::string reason;
};

using message = std::variant<hello, start, storage::frame_run, ack, heartbeat,
                             secrets, refused>;

/// Returns the type of `x`.
message_type type_of(const message& x);

/// Returns a short name of `x` ("hello", "frames", ...).
const char* to_string(message_type x);

/// Appends the encoding of `x` (header and body) to `out`.
void encode(const message& x, std::string& out);

/// What decode_header found in the first wire_header_size bytes.
struct header {
  message_type type;
  uint32_t length = 0;
  uint32_t crc = 0;
};

/// Checks magic, version, type and length; ec::corrupt_data naming what is
/// wrong (a peer that speaks another protocol or version, or garbage).
caf::expected<header> decode_header(const char* data);

/// Decodes a body of the given header: checks its CRC, then its fields.
/// ec::corrupt_data naming the message and what is wrong.
caf::expected<message> decode_body(const header& h, std::string body);

} // namespace almanac::replication
