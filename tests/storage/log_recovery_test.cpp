#define BOOST_TEST_MODULE log_recovery
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "log_test_helpers.hpp"

#include "storage/log/crc32c.hpp"

#include <cstring>
#include <filesystem>

using namespace almanac;
using namespace almanac::storage;
using namespace almanac::storage::test;

namespace {

std::string payload_of(int i) {
  return R"({"event":)" + std::to_string(i) + R"(,"pad":"xxxxxxxxxx"})";
}

/// A closed log of `n` records in one segment; returns the positions.
std::vector<uint64_t> make_log(const log_options& opts, int n) {
  auto log = open_log(opts);
  std::vector<uint64_t> positions;
  for (int i = 0; i < n; ++i)
    positions.push_back(append_one(*log, payload_of(i)).first_position);
  positions.push_back(log->end_position());
  return positions;
}

void check_records(const segment_log& log, int n) {
  auto recs = read_all(log);
  BOOST_TEST_REQUIRE(recs.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    BOOST_TEST(recs[i].offset == static_cast<uint64_t>(i));
    BOOST_TEST(recs[i].payload == payload_of(i));
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(torn_last_record_at_every_byte) {
  temp_dir tmp;
  auto pristine = tmp.path + "/pristine";
  auto opts = options_for(pristine);
  opts.index_interval_bytes = 64; // index entries right up to the tail
  constexpr int n = 6;
  auto positions = make_log(opts, n);
  auto last_start = positions[n - 1];
  auto end = positions[n];
  auto work = tmp.path + "/work";
  opts.dir = work;
  for (auto cut = last_start; cut < end; ++cut) {
    BOOST_TEST_CONTEXT("cut at byte " << cut) {
      copy_dir(pristine, work);
      std::filesystem::resize_file(segment_files(work).back(), cut);
      {
        auto log = open_log(opts);
        BOOST_TEST(log->end_offset() == uint64_t{n - 1});
        BOOST_TEST(log->report().bytes_truncated == cut - last_start);
        if (cut > last_start)
          BOOST_TEST(log->report().truncated_at.value_or(0) == last_start);
        check_records(*log, n - 1);
        // Appends continue right after the last complete record.
        auto res = append_one(*log, payload_of(n - 1));
        BOOST_TEST(res.first_offset == uint64_t{n - 1});
        BOOST_TEST(res.first_position == last_start);
      }
      auto log = open_log(opts);
      BOOST_TEST(log->report().bytes_truncated == 0u);
      check_records(*log, n);
    }
  }
}

BOOST_AUTO_TEST_CASE(flipped_bit_in_last_record_is_a_torn_tail) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  auto positions = make_log(opts, 5);
  auto seg = segment_files(tmp.log()).back();
  for (auto at : {positions[4], positions[4] + 10, positions[5] - 1}) {
    temp_dir copy;
    copy_dir(tmp.log(), copy.log());
    flip_bit(copy.log() + "/" + std::filesystem::path(seg).filename().string(),
             at);
    auto copy_opts = options_for(copy.log());
    auto log = open_log(copy_opts);
    BOOST_TEST(log->end_offset() == 4u);
    BOOST_TEST(log->report().bytes_truncated == positions[5] - positions[4]);
    check_records(*log, 4);
  }
}

BOOST_AUTO_TEST_CASE(zeros_after_the_last_record_are_a_torn_tail) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  make_log(opts, 3);
  auto seg = segment_files(tmp.log()).back();
  auto data = read_file(seg);
  write_file(seg, data + std::string(4096, '\0'));
  auto log = open_log(opts);
  BOOST_TEST(log->report().bytes_truncated == 4096u);
  check_records(*log, 3);
}

BOOST_AUTO_TEST_CASE(flipped_bit_before_the_tail_is_a_hard_error) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  auto positions = make_log(opts, 5);
  auto seg = segment_files(tmp.log()).back();
  flip_bit(seg, positions[2] + 20);
  auto log = segment_log::open(opts);
  BOOST_TEST_REQUIRE(!log);
  BOOST_TEST(code_of(log.error()) == ec::corrupt_data);
  auto msg = message_of(log.error());
  BOOST_TEST_MESSAGE("error: " << msg);
  BOOST_TEST(msg.find(seg) != std::string::npos);
  BOOST_TEST(msg.find("byte " + std::to_string(positions[2]))
             != std::string::npos);
  // Nothing was cut: the data is still there for an operator to inspect.
  BOOST_TEST(std::filesystem::file_size(seg) == positions[5]);
}

BOOST_AUTO_TEST_CASE(corruption_in_an_earlier_segment_is_a_hard_error) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.segment_bytes = 300;
  make_log(opts, 10);
  auto files = segment_files(tmp.log());
  BOOST_TEST_REQUIRE(files.size() >= 3u);
  // Damage the last record of the first segment.
  auto size = std::filesystem::file_size(files[0]);
  flip_bit(files[0], size - 5);
  {
    // Open does not scan sealed segments; a read reports the damage.
    auto log = open_log(opts);
    auto recs = log->read(0, 100);
    BOOST_TEST_REQUIRE(!recs);
    BOOST_TEST(code_of(recs.error()) == ec::corrupt_data);
    BOOST_TEST(message_of(recs.error()).find(files[0]) != std::string::npos);
  }
  // With its index gone, open rebuilds it by scanning: a hard error, even
  // though the damage is at the end of that segment.
  std::filesystem::remove(files[0].substr(0, files[0].size() - 4) + ".idx");
  auto log = segment_log::open(opts);
  BOOST_TEST_REQUIRE(!log);
  BOOST_TEST(code_of(log.error()) == ec::corrupt_data);
  auto msg = message_of(log.error());
  BOOST_TEST(msg.find(files[0]) != std::string::npos);
  BOOST_TEST(msg.find("byte ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_format_version_is_reported) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  make_log(opts, 2);
  auto seg = segment_files(tmp.log()).back();
  auto data = read_file(seg);
  // Rewrite the first frame as version 2 with a matching checksum.
  std::string frame = data.substr(0, data.size() / 2);
  frame[8] = 2;
  uint32_t crc = crc32c(frame.data() + 8, frame.size() - 8);
  std::memcpy(frame.data() + 4, &crc, 4);
  write_file(seg, frame + data.substr(frame.size()));
  auto log = segment_log::open(opts);
  BOOST_TEST_REQUIRE(!log);
  BOOST_TEST(code_of(log.error()) == ec::unsupported_version);
}

BOOST_AUTO_TEST_CASE(stale_index_entries_past_a_torn_tail_are_dropped) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.index_interval_bytes = 100;
  auto positions = make_log(opts, 20);
  auto seg = segment_files(tmp.log()).back();
  // Cut well before the end: the index still names records that are gone.
  std::filesystem::resize_file(seg, positions[12] + 7);
  auto log = open_log(opts);
  BOOST_TEST(log->end_offset() == 12u);
  check_records(*log, 12);
  for (uint64_t i = 0; i < 12; ++i)
    BOOST_TEST(log->read(i, 1)->at(0).payload == payload_of(int(i)));
  BOOST_TEST(append_one(*log, payload_of(12)).first_offset == 12u);
}

BOOST_AUTO_TEST_CASE(whole_last_segment_torn) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.segment_bytes = 300;
  make_log(opts, 10);
  auto files = segment_files(tmp.log());
  auto log0 = open_log(opts);
  auto end = log0->end_offset();
  auto last_base = log0->segments().back().base_offset;
  log0.reset();
  std::filesystem::resize_file(files.back(), 3);
  auto log = open_log(opts);
  BOOST_TEST(log->end_offset() == last_base);
  BOOST_TEST(log->end_offset() < end);
  BOOST_TEST(append_one(*log, "again").first_offset == last_base);
}
