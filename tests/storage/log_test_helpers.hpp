#pragma once

// Shared helpers of the storage test suites: temporary directories, record
// factories, file surgery. Include once per test executable (it defines a
// global fixture).

#include "messages/error.hpp"
#include "storage/log/record.hpp"
#include "storage/log/record_format.hpp"
#include "storage/log/segment.hpp"
#include "storage/log/segment_log.hpp"

#include <boost/test/unit_test.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

namespace almanac::storage::test {

/// Keeps expected warnings (torn tails, rebuilt indexes) out of test output.
struct quiet_logs {
  quiet_logs() {
    spdlog::set_level(spdlog::level::err);
  }
};

/// A fresh directory under /tmp, removed with its contents at scope exit.
struct temp_dir {
  std::string path;

  temp_dir() {
    std::string tmpl = "/tmp/almanac-storage-test-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }

  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }

  /// Path of the log directory inside this directory.
  std::string log() const {
    return path + "/log";
  }
};

inline record_input event(std::string payload, std::string key = "k",
                          std::string type = "test_event") {
  return record_input{std::move(type), std::move(key), std::move(payload),
                      std::nullopt};
}

inline log_options options_for(const std::string& dir) {
  log_options opts;
  opts.dir = dir;
  return opts;
}

/// Opens a log and fails the test if that fails.
inline std::unique_ptr<segment_log> open_log(log_options opts) {
  auto log = segment_log::open(std::move(opts));
  if (!log)
    BOOST_FAIL("open failed: " << render(log.error()));
  return std::move(*log);
}

/// Appends one record and fails the test on error.
inline append_result append_one(segment_log& log, std::string payload,
                                std::string key = "k") {
  std::vector<record_input> recs;
  recs.push_back(event(std::move(payload), std::move(key)));
  auto res = log.append_sync(std::move(recs));
  if (!res)
    BOOST_FAIL("append failed: " << render(res.error()));
  return *res;
}

/// Reads everything from `from` to the end.
inline std::vector<record> read_all(const segment_log& log,
                                    uint64_t from = 0) {
  auto res = log.read(from, 1u << 30);
  if (!res)
    BOOST_FAIL("read failed: " << render(res.error()));
  return std::move(*res);
}

/// Returns the segment files of a log directory, in offset order.
inline std::vector<std::string> segment_files(const std::string& dir) {
  std::vector<std::string> result;
  for (auto& e : std::filesystem::directory_iterator{dir})
    if (parse_segment_file_name(e.path().filename().string()))
      result.push_back(e.path().string());
  std::sort(result.begin(), result.end());
  return result;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

inline void write_file(const std::string& path, const std::string& data) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// Flips one bit of the byte at `pos` of `path`.
inline void flip_bit(const std::string& path, uint64_t pos, int bit = 3) {
  auto data = read_file(path);
  data.at(pos) = static_cast<char>(data.at(pos) ^ (1 << bit));
  write_file(path, data);
}

/// Copies every file of `from` into `to` (created).
inline void copy_dir(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::create_directories(to);
  for (auto& e : std::filesystem::directory_iterator{from})
    std::filesystem::copy_file(e.path(), to + "/" + e.path().filename().string());
}

} // namespace almanac::storage::test

namespace almanac {

/// Lets BOOST_TEST print error codes.
inline std::ostream& operator<<(std::ostream& out, ec x) {
  return out << to_string(x);
}

namespace storage {

inline std::ostream& operator<<(std::ostream& out, frame_status x) {
  return out << to_string(x);
}

} // namespace storage

} // namespace almanac

using storage_quiet_logs = almanac::storage::test::quiet_logs;
BOOST_TEST_GLOBAL_FIXTURE(storage_quiet_logs);
