#include "storage/log/epoch_history.hpp"

#include "messages/error.hpp"
#include "storage/log/crc32c.hpp"
#include "storage/log/file.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace almanac::storage {

namespace {

constexpr const char* header = "almanac-epochs";

caf::error corrupt(const std::string& what) {
  return make_error(ec::corrupt_data, "epoch history: " + what);
}

std::string crc_line(const std::string& body) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "crc %08x\n",
                crc32c(body.data(), body.size()));
  return buf;
}

} // namespace

caf::error epoch_history::add(uint64_t epoch, uint64_t start_offset) {
  if (!entries_.empty()) {
    auto& last = entries_.back();
    if (epoch == last.epoch)
      return caf::none;
    if (epoch < last.epoch)
      return make_error(ec::invalid_argument,
                        "epoch " + std::to_string(epoch)
                          + " is below the latest epoch "
                          + std::to_string(last.epoch));
    if (start_offset < last.start_offset)
      return make_error(ec::invalid_argument,
                        "epoch " + std::to_string(epoch) + " would start at "
                          + std::to_string(start_offset)
                          + ", before epoch " + std::to_string(last.epoch)
                          + " (at " + std::to_string(last.start_offset) + ")");
  }
  entries_.push_back({epoch, start_offset});
  return caf::none;
}

void epoch_history::truncate(uint64_t offset) {
  while (!entries_.empty() && entries_.back().start_offset >= offset)
    entries_.pop_back();
}

std::optional<uint64_t> epoch_history::epoch_at(uint64_t offset) const {
  std::optional<uint64_t> result;
  for (auto& e : entries_) {
    if (e.start_offset > offset)
      break;
    result = e.epoch;
  }
  return result;
}

std::optional<uint64_t> epoch_history::end_of(uint64_t epoch,
                                              uint64_t log_end) const {
  for (size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].epoch == epoch)
      return i + 1 < entries_.size() ? entries_[i + 1].start_offset : log_end;
  return std::nullopt;
}

caf::error epoch_history::validate() const {
  for (size_t i = 1; i < entries_.size(); ++i) {
    auto& x = entries_[i - 1];
    auto& y = entries_[i];
    if (y.epoch <= x.epoch || y.start_offset < x.start_offset)
      return corrupt("epoch " + std::to_string(y.epoch) + " at "
                     + std::to_string(y.start_offset) + " does not follow epoch "
                     + std::to_string(x.epoch) + " at "
                     + std::to_string(x.start_offset));
  }
  return caf::none;
}

std::string epoch_history::serialize() const {
  std::string body = std::string{header} + " "
                     + std::to_string(epoch_history_version) + "\n";
  for (auto& e : entries_)
    body += std::to_string(e.epoch) + " " + std::to_string(e.start_offset)
            + "\n";
  return body + crc_line(body);
}

caf::expected<epoch_history> epoch_history::parse(const std::string& text) {
  auto crc_pos = text.rfind("crc ");
  if (crc_pos == std::string::npos || (crc_pos > 0 && text[crc_pos - 1] != '\n'))
    return corrupt("no checksum line");
  auto body = text.substr(0, crc_pos);
  if (text.substr(crc_pos) != crc_line(body))
    return corrupt("checksum mismatch");
  std::istringstream in{body};
  std::string word;
  int version = 0;
  if (!(in >> word >> version) || word != header)
    return corrupt("not an epoch history file");
  if (version != epoch_history_version)
    return corrupt("format version " + std::to_string(version)
                   + " is not supported (this build reads "
                   + std::to_string(epoch_history_version) + ")");
  epoch_history result;
  uint64_t epoch = 0;
  uint64_t start = 0;
  while (in >> epoch >> start)
    result.entries_.push_back({epoch, start});
  if (!in.eof())
    return corrupt("a line is not '<epoch> <start_offset>'");
  if (auto err = result.validate())
    return err;
  return result;
}

caf::expected<epoch_history> epoch_history::load(const std::string& dir) {
  auto path = dir + "/" + epoch_history_file;
  std::error_code fs_err;
  if (!std::filesystem::exists(path, fs_err))
    return epoch_history{};
  auto text = read_whole_file(path);
  if (!text)
    return std::move(text.error());
  auto parsed = parse(*text);
  if (!parsed)
    return make_error(ec::corrupt_data,
                      path + ": " + render(parsed.error()));
  return parsed;
}

caf::error epoch_history::save(const std::string& dir) const {
  return write_file_atomically(dir, dir + "/" + epoch_history_file,
                               serialize());
}

uint64_t divergence_point(const epoch_history& leader, uint64_t leader_end,
                          const epoch_history& follower,
                          uint64_t follower_end) {
  auto& fs = follower.entries();
  auto& ls = leader.entries();
  // The latest entry both have: every record below its start is the same
  // on both (a node takes an epoch's records only after agreeing with its
  // leader up to the epoch's start), and so is every record of it that both
  // logs hold.
  for (size_t i = fs.size(); i-- > 0;) {
    auto it = std::find(ls.begin(), ls.end(), fs[i]);
    if (it == ls.end())
      continue;
    auto leader_stop = it + 1 != ls.end() ? (it + 1)->start_offset : leader_end;
    auto follower_stop = i + 1 < fs.size() ? fs[i + 1].start_offset
                                           : follower_end;
    return std::min({leader_stop, follower_stop, leader_end, follower_end});
  }
  return 0;
}

} // namespace almanac::storage
