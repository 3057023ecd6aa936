#define BOOST_TEST_MODULE replication_wire
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

// Every replication message survives encoding; a damaged, truncated,
// oversize or foreign message is refused with an error naming what is
// wrong, never decoded into something else.

#include "actors/replication/wire.hpp"
#include "messages/error.hpp"
#include "storage/log/crc32c.hpp"
#include "storage/log/little_endian.hpp"
#include "storage/log/record_format.hpp"

#include <random>

using namespace almanac;
using namespace almanac::replication;

namespace {

caf::expected<message> round_trip(const std::string& bytes) {
  BOOST_REQUIRE(bytes.size() >= wire_header_size);
  auto h = decode_header(bytes.data());
  if (!h)
    return std::move(h.error());
  return decode_body(*h, bytes.substr(wire_header_size));
}

std::string encoded(const message& x) {
  std::string out;
  encode(x, out);
  return out;
}

storage::frame_run sample_run() {
  storage::frame_run run;
  run.segment_base = 100;
  run.segment_epoch = 2;
  run.first_offset = 140;
  run.first_position = 98765;
  for (uint64_t i = 0; i < 3; ++i)
    storage::encode_frame(run.bytes, 140 + i, 2, 1700000000000 + i, "T", "k",
                          "payload " + std::to_string(i));
  run.count = 3;
  return run;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_message_round_trips) {
  hello h{"standby-1", storage::epoch_history{{{1, 0}, {3, 500}}}, 777, 123456};
  auto back = round_trip(encoded(h));
  BOOST_REQUIRE(back);
  auto& hb = std::get<hello>(*back);
  BOOST_TEST(hb.name == "standby-1");
  BOOST_TEST((hb.epochs == h.epochs));
  BOOST_TEST(hb.end_offset == 777u);
  BOOST_TEST(hb.end_position == 123456u);

  start s{"primary", "http://127.0.0.1:8080", 3, 640, true};
  auto sb = std::get<start>(*round_trip(encoded(s)));
  BOOST_TEST(sb.primary_url == s.primary_url);
  BOOST_TEST(sb.truncate_to == 640u);
  BOOST_TEST(sb.sync);

  auto run = sample_run();
  auto rb = std::get<storage::frame_run>(*round_trip(encoded(run)));
  BOOST_TEST(rb.segment_base == 100u);
  BOOST_TEST(rb.segment_epoch == 2u);
  BOOST_TEST(rb.first_offset == 140u);
  BOOST_TEST(rb.count == 3u);
  BOOST_TEST(rb.first_position == 98765u);
  BOOST_TEST(rb.bytes == run.bytes);
  BOOST_TEST(!storage::check_frame_run(rb));

  auto ab = std::get<ack>(*round_trip(encoded(ack{9, 10})));
  BOOST_TEST(ab.end_offset == 9u);
  auto hbt = std::get<heartbeat>(*round_trip(encoded(heartbeat{3, 5, 6, -7, 42})));
  BOOST_TEST(hbt.time_ms == -7);
  BOOST_TEST(hbt.lag_ms == 42);
  auto sec = std::get<secrets>(*round_trip(encoded(secrets{"{\"a\":\"\\u0000x\"}"})));
  BOOST_TEST(sec.content == "{\"a\":\"\\u0000x\"}");
  auto ref = std::get<refused>(*round_trip(encoded(refused{"epoch 2 is stale"})));
  BOOST_TEST(ref.reason == "epoch 2 is stale");
  BOOST_TEST(std::string{to_string(type_of(message{ack{}}))} == "ack");
}

BOOST_AUTO_TEST_CASE(damage_is_named) {
  auto bytes = encoded(hello{"s", storage::epoch_history{{{1, 0}}}, 1, 2});
  auto expect_error = [](caf::expected<message> x, const std::string& what) {
    BOOST_REQUIRE(!x);
    BOOST_TEST((code_of(x.error()) == ec::corrupt_data));
    BOOST_TEST(render(x.error()).find(what) != std::string::npos,
               render(x.error()) << " should say " << what);
  };
  // Any flipped bit of the body fails the checksum.
  for (size_t i = wire_header_size; i < bytes.size(); ++i) {
    auto bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 1);
    expect_error(round_trip(bad), "checksum");
  }
  auto bad = bytes;
  bad[0] = 'X';
  expect_error(round_trip(bad), "does not speak Almanac replication");
  bad = bytes;
  storage::store_le<uint16_t>(bad.data() + 4, 9);
  expect_error(round_trip(bad), "protocol version 9 is not supported");
  bad = bytes;
  storage::store_le<uint16_t>(bad.data() + 6, 42);
  expect_error(round_trip(bad), "unknown message type 42");
  bad = bytes;
  storage::store_le<uint32_t>(bad.data() + 8, 1u << 30);
  expect_error(round_trip(bad), "exceeds the limit");
  expect_error(round_trip(bytes.substr(0, bytes.size() - 1)), "header says");
  // Valid framing around bad content: wrong types, missing fields, bad
  // epoch histories.
  auto with_body = [](message_type t, const std::string& body) {
    std::string out(wire_header_size, '\0');
    storage::store_le<uint32_t>(out.data(), wire_magic);
    storage::store_le<uint16_t>(out.data() + 4, wire_version);
    storage::store_le<uint16_t>(out.data() + 6, static_cast<uint16_t>(t));
    storage::store_le<uint32_t>(out.data() + 8, static_cast<uint32_t>(body.size()));
    storage::store_le<uint32_t>(out.data() + 12, storage::crc32c(body.data(), body.size()));
    return out + body;
  };
  expect_error(round_trip(with_body(message_type::ack, "[1,2]")), "not a JSON object");
  expect_error(round_trip(with_body(message_type::ack, "{\"end_offset\":1}")),
               "no field 'end_position'");
  expect_error(round_trip(with_body(message_type::ack,
                                    "{\"end_offset\":-1,\"end_position\":2}")),
               "'end_offset' has the wrong type");
  expect_error(round_trip(with_body(message_type::hello, "{\"name\":\"x\",\"end_offset\":1,"
                                                         "\"end_position\":1,"
                                                         "\"epochs\":[[2,0],[1,5]]}")),
               "does not follow epoch 2");
  expect_error(round_trip(with_body(message_type::start, "{not json")), "not valid JSON");
  expect_error(round_trip(with_body(message_type::frames, "short")), "fixed part");
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash) {
  std::mt19937_64 rng{42};
  auto good = encoded(sample_run());
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    auto bytes = good;
    auto flips = 1 + rng() % 4;
    for (uint64_t f = 0; f < flips; ++f)
      bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
    auto h = decode_header(bytes.data());
    if (!h)
      continue;
    auto x = decode_body(*h, bytes.substr(wire_header_size,
                                          std::min<size_t>(h->length,
                                                           bytes.size() - wire_header_size)));
    if (x) {
      // Only when the flips cancelled out (the same bit twice).
      ++decoded;
      BOOST_TEST((bytes == good));
    }
  }
  BOOST_TEST(decoded < 100);
}
