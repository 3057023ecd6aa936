#include "actors/replication/wire.hpp"

#include "messages/error.hpp"
#include "storage/log/crc32c.hpp"
#include "storage/log/little_endian.hpp"

#include <nlohmann/json.hpp>

namespace almanac::replication {

namespace {

using nlohmann::json;
using storage::load_le;
using storage::store_le;

constexpr size_t run_header_size = 40;

caf::error corrupt(const std::string& what) {
  return make_error(ec::corrupt_data, "replication message: " + what);
}

json epochs_to_json(const storage::epoch_history& h) {
  auto out = json::array();
  for (auto& e : h.entries())
    out.push_back({e.epoch, e.start_offset});
  return out;
}

caf::expected<storage::epoch_history> epochs_from_json(const json& x) {
  if (!x.is_array())
    return corrupt("epochs is not an array");
  std::vector<storage::epoch_entry> entries;
  for (auto& e : x) {
    if (!e.is_array() || e.size() != 2 || !e[0].is_number_unsigned()
        || !e[1].is_number_unsigned())
      return corrupt("an epoch is not [epoch, start_offset]");
    entries.push_back({e[0].get<uint64_t>(), e[1].get<uint64_t>()});
  }
  storage::epoch_history h{std::move(entries)};
  if (auto err = h.validate())
    return err;
  return h;
}

/// Reads a field of an object with the expected JSON type.
template <class T>
caf::error field(const json& obj, const char* name, T& out) {
  auto it = obj.find(name);
  if (it == obj.end())
    return corrupt(std::string{"no field '"} + name + "'");
  bool ok;
  if constexpr (std::is_same_v<T, std::string>)
    ok = it->is_string();
  else if constexpr (std::is_same_v<T, bool>)
    ok = it->is_boolean();
  else if constexpr (std::is_same_v<T, int64_t>)
    ok = it->is_number_integer();
  else
    ok = it->is_number_unsigned();
  if (!ok)
    return corrupt(std::string{"field '"} + name + "' has the wrong type");
  out = it->get<T>();
  return caf::none;
}

struct to_json_visitor {
  json operator()(const hello& x) const {
    return {{"name", x.name},
            {"epochs", epochs_to_json(x.epochs)},
            {"end_offset", x.end_offset},
            {"end_position", x.end_position}};
  }
  json operator()(const start& x) const {
    return {{"primary_name", x.primary_name}, {"primary_url", x.primary_url},
            {"epoch", x.epoch},               {"truncate_to", x.truncate_to},
            {"sync", x.sync}};
  }
  json operator()(const storage::frame_run&) const {
    return {};
  }
  json operator()(const ack& x) const {
    return {{"end_offset", x.end_offset}, {"end_position", x.end_position}};
  }
  json operator()(const heartbeat& x) const {
    return {{"epoch", x.epoch},
            {"end_offset", x.end_offset},
            {"end_position", x.end_position},
            {"time_ms", x.time_ms},
            {"lag_ms", x.lag_ms}};
  }
  json operator()(const secrets& x) const {
    return {{"content", x.content}};
  }
  json operator()(const refused& x) const {
    return {{"reason", x.reason}};
  }
};

caf::expected<message> from_json(message_type type, const json& j) {
  if (!j.is_object())
    return corrupt(std::string{to_string(type)} + " is not a JSON object");
  caf::error err;
  auto all = [&](std::initializer_list<caf::error> errs) {
    for (auto& e : errs)
      if (e)
        return e;
    return caf::error{};
  };
  switch (type) {
    case message_type::hello: {
      hello x;
      err = all({field(j, "name", x.name), field(j, "end_offset", x.end_offset),
                 field(j, "end_position", x.end_position)});
      if (err)
        return err;
      auto it = j.find("epochs");
      if (it == j.end())
        return corrupt("no field 'epochs'");
      auto h = epochs_from_json(*it);
      if (!h)
        return std::move(h.error());
      x.epochs = std::move(*h);
      return message{std::move(x)};
    }
    case message_type::start: {
      start x;
      err = all({field(j, "primary_name", x.primary_name),
                 field(j, "primary_url", x.primary_url), field(j, "epoch", x.epoch),
                 field(j, "truncate_to", x.truncate_to), field(j, "sync", x.sync)});
      if (err)
        return err;
      return message{std::move(x)};
    }
    case message_type::ack: {
      ack x;
      err = all({field(j, "end_offset", x.end_offset),
                 field(j, "end_position", x.end_position)});
      if (err)
        return err;
      return message{x};
    }
    case message_type::heartbeat: {
      heartbeat x;
      err = all({field(j, "epoch", x.epoch), field(j, "end_offset", x.end_offset),
                 field(j, "end_position", x.end_position),
                 field(j, "time_ms", x.time_ms), field(j, "lag_ms", x.lag_ms)});
      if (err)
        return err;
      return message{x};
    }
    case message_type::secrets: {
      secrets x;
      if (auto e = field(j, "content", x.content))
        return e;
      return message{std::move(x)};
    }
    case message_type::refused: {
      refused x;
      if (auto e = field(j, "reason", x.reason))
        return e;
      return message{std::move(x)};
    }
    default:
      return corrupt("no JSON body for this type");
  }
}

} // namespace

message_type type_of(const message& x) {
  return static_cast<message_type>(x.index() + 1);
}

const char* to_string(message_type x) {
  switch (x) {
    case message_type::hello:
      return "hello";
    case message_type::start:
      return "start";
    case message_type::frames:
      return "frames";
    case message_type::ack:
      return "ack";
    case message_type::heartbeat:
      return "heartbeat";
    case message_type::secrets:
      return "secrets";
    case message_type::refused:
      return "refused";
  }
  return "unknown";
}

void encode(const message& x, std::string& out) {
  auto at = out.size();
  out.resize(at + wire_header_size);
  if (auto run = std::get_if<storage::frame_run>(&x)) {
    char fixed[run_header_size];
    store_le<uint64_t>(fixed, run->segment_base);
    store_le<uint64_t>(fixed + 8, run->segment_epoch);
    store_le<uint64_t>(fixed + 16, run->first_offset);
    store_le<uint64_t>(fixed + 24, run->count);
    store_le<uint64_t>(fixed + 32, run->first_position);
    out.append(fixed, run_header_size);
    out += run->bytes;
  } else {
    out += std::visit(to_json_visitor{}, x).dump();
  }
  auto len = out.size() - at - wire_header_size;
  char* h = out.data() + at;
  store_le<uint32_t>(h, wire_magic);
  store_le<uint16_t>(h + 4, wire_version);
  store_le<uint16_t>(h + 6, static_cast<uint16_t>(type_of(x)));
  store_le<uint32_t>(h + 8, static_cast<uint32_t>(len));
  store_le<uint32_t>(h + 12, storage::crc32c(h + wire_header_size, len));
}

caf::expected<header> decode_header(const char* data) {
  if (load_le<uint32_t>(data) != wire_magic)
    return corrupt("bad magic: the peer does not speak Almanac replication");
  auto version = load_le<uint16_t>(data + 4);
  if (version != wire_version)
    return corrupt("protocol version " + std::to_string(version)
                   + " is not supported (this build speaks "
                   + std::to_string(wire_version) + ")");
  auto type = load_le<uint16_t>(data + 6);
  if (type < 1 || type > static_cast<uint16_t>(message_type::refused))
    return corrupt("unknown message type " + std::to_string(type));
  header h{static_cast<message_type>(type), load_le<uint32_t>(data + 8),
           load_le<uint32_t>(data + 12)};
  if (h.length > max_body_size)
    return corrupt(std::string{to_string(h.type)} + " of "
                   + std::to_string(h.length) + " bytes exceeds the limit of "
                   + std::to_string(max_body_size));
  if (h.type == message_type::frames && h.length < run_header_size)
    return corrupt("frames message shorter than its fixed part");
  return h;
}

caf::expected<message> decode_body(const header& h, std::string body) {
  if (body.size() != h.length)
    return corrupt("body of " + std::to_string(body.size())
                   + " bytes where the header says " + std::to_string(h.length));
  if (storage::crc32c(body.data(), body.size()) != h.crc)
    return corrupt(std::string{to_string(h.type)} + " fails its checksum");
  if (h.type == message_type::frames) {
    if (body.size() < run_header_size)
      return corrupt("frames message shorter than its fixed part");
    storage::frame_run run;
    run.segment_base = load_le<uint64_t>(body.data());
    run.segment_epoch = load_le<uint64_t>(body.data() + 8);
    run.first_offset = load_le<uint64_t>(body.data() + 16);
    run.count = load_le<uint64_t>(body.data() + 24);
    run.first_position = load_le<uint64_t>(body.data() + 32);
    body.erase(0, run_header_size);
    run.bytes = std::move(body);
    // The frames themselves are checked where they are appended
    // (storage::check_frame_run), before anything is written.
    return message{std::move(run)};
  }
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded())
    return corrupt(std::string{to_string(h.type)} + " is not valid JSON");
  return from_json(h.type, j);
}

} // namespace almanac::replication
