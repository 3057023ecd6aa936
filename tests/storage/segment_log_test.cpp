#define BOOST_TEST_MODULE segment_log
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "log_test_helpers.hpp"

#include "storage/log/offset_index.hpp"
#include "storage/log/record_format.hpp"

using namespace almanac;
using namespace almanac::storage;
using namespace almanac::storage::test;

BOOST_AUTO_TEST_CASE(segment_names_round_trip) {
  BOOST_TEST(segment_file_name(0, 1) == "00000000000000000000-0001.log");
  BOOST_TEST(segment_file_name(42, 12345) == "00000000000000000042-12345.log");
  auto parsed = parse_segment_file_name("00000000000000000042-0007.log");
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->base_offset == 42u);
  BOOST_TEST(parsed->epoch == 7u);
  BOOST_TEST(!parse_segment_file_name("0000000000000000042-0007.log"));
  BOOST_TEST(!parse_segment_file_name("00000000000000000042-007.log"));
  BOOST_TEST(!parse_segment_file_name("00000000000000000042-0007.idx"));
  BOOST_TEST(!parse_segment_file_name("LOCK"));
}

BOOST_AUTO_TEST_CASE(frame_round_trip_and_damage) {
  std::string buf;
  encode_frame(buf, 7, 2, 1234, "created", "key-1", R"({"a":1})");
  BOOST_TEST(buf.size() == frame_size(7, 5, 7));
  frame_view view;
  BOOST_TEST_REQUIRE(decode_frame(buf.data(), buf.size(), view)
                     == frame_status::ok);
  BOOST_TEST(view.offset == 7u);
  BOOST_TEST(view.epoch == 2u);
  BOOST_TEST(view.timestamp_ms == 1234);
  BOOST_TEST(view.type == "created");
  BOOST_TEST(view.key == "key-1");
  BOOST_TEST(view.payload == R"({"a":1})");
  BOOST_TEST(decode_frame(buf.data(), buf.size() - 1, view)
             == frame_status::incomplete);
  BOOST_TEST(decode_frame(buf.data(), 2, view) == frame_status::incomplete);
  // Every single flipped bit is caught.
  for (size_t i = 0; i < buf.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto copy = buf;
      copy[i] = static_cast<char>(copy[i] ^ (1 << bit));
      BOOST_TEST(decode_frame(copy.data(), copy.size(), view)
                 != frame_status::ok);
    }
  }
}

BOOST_AUTO_TEST_CASE(index_file_round_trip_and_damage) {
  offset_index index{100, 3};
  index.add({110, 40000});
  index.add({150, 80000});
  auto data = index.serialize();
  auto parsed = offset_index::parse(data, 100, 3, 100000);
  BOOST_TEST(parsed.complete);
  BOOST_TEST_REQUIRE(parsed.entries.size() == 2u);
  BOOST_TEST(parsed.entries[1].offset == 150u);
  BOOST_TEST(parsed.entries[1].file_pos == 80000u);
  BOOST_TEST(index.lookup(99).file_pos == 0u);
  BOOST_TEST(index.lookup(120).offset == 110u);
  BOOST_TEST(index.lookup(150).offset == 150u);
  // Wrong segment, damaged header, damaged entry, cut entry.
  BOOST_TEST(!offset_index::parse(data, 101, 3, 100000).header_valid);
  BOOST_TEST(!offset_index::parse(data, 100, 4, 100000).header_valid);
  auto bad_header = data;
  bad_header[9] ^= 1;
  BOOST_TEST(!offset_index::parse(bad_header, 100, 3, 100000).header_valid);
  auto bad_entry = data;
  bad_entry[index_header_size + index_entry_size + 9] ^= 1;
  auto p = offset_index::parse(bad_entry, 100, 3, 100000);
  BOOST_TEST(!p.complete);
  BOOST_TEST(p.entries.size() == 1u);
  auto cut = data.substr(0, data.size() - 3);
  BOOST_TEST(offset_index::parse(cut, 100, 3, 100000).entries.size() == 1u);
  // Entries pointing past the segment are not believed.
  BOOST_TEST(offset_index::parse(data, 100, 3, 50000).entries.size() == 1u);
}

BOOST_AUTO_TEST_CASE(round_trip_across_reopen) {
  temp_dir tmp;
  std::vector<append_result> results;
  {
    auto log = open_log(options_for(tmp.log()));
    BOOST_TEST(log->end_offset() == 0u);
    BOOST_TEST(log->start_offset() == 0u);
    for (int i = 0; i < 10; ++i)
      results.push_back(append_one(*log, R"({"n":)" + std::to_string(i) + "}",
                                   "key" + std::to_string(i)));
    std::vector<record_input> batch;
    for (int i = 10; i < 15; ++i)
      batch.push_back(event(std::to_string(i)));
    batch[0].timestamp_ms = 1700000000123;
    auto res = log->append_sync(std::move(batch));
    BOOST_TEST_REQUIRE(static_cast<bool>(res));
    BOOST_TEST(res->first_offset == 10u);
    BOOST_TEST(res->count == 5u);
    BOOST_TEST(log->end_offset() == 15u);
    BOOST_TEST(log->end_position() == res->end_position);
    BOOST_TEST(log->flushed_end_offset() == 15u);
  }
  auto log = open_log(options_for(tmp.log()));
  BOOST_TEST(log->end_offset() == 15u);
  BOOST_TEST(log->report().records_recovered == 15u);
  BOOST_TEST(log->report().bytes_truncated == 0u);
  auto recs = read_all(*log);
  BOOST_TEST_REQUIRE(recs.size() == 15u);
  for (uint64_t i = 0; i < 15; ++i)
    BOOST_TEST(recs[i].offset == i);
  BOOST_TEST(recs[3].payload == R"({"n":3})");
  BOOST_TEST(recs[3].key == "key3");
  BOOST_TEST(recs[3].type == "test_event");
  BOOST_TEST(recs[3].epoch == 1u);
  BOOST_TEST(recs[3].position == results[3].first_position);
  BOOST_TEST(recs[10].timestamp_ms == 1700000000123);
  BOOST_TEST(recs[11].timestamp_ms > 1700000000000);
  // Positions are the byte positions of the frames, back to back.
  for (size_t i = 1; i < recs.size(); ++i)
    BOOST_TEST(recs[i].position
               == recs[i - 1].position
                    + frame_size(recs[i - 1].type.size(),
                                 recs[i - 1].key.size(),
                                 recs[i - 1].payload.size()));
  // Appends continue densely after reopening.
  BOOST_TEST(append_one(*log, "x").first_offset == 15u);
}

BOOST_AUTO_TEST_CASE(read_limits) {
  temp_dir tmp;
  auto log = open_log(options_for(tmp.log()));
  for (int i = 0; i < 20; ++i)
    append_one(*log, std::string(100, 'a'));
  auto frame = frame_size(10, 1, 100);
  auto r = log->read(5, 3);
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  BOOST_TEST_REQUIRE(r->size() == 3u);
  BOOST_TEST(r->front().offset == 5u);
  r = log->read(5, 100, 2 * frame + 1);
  BOOST_TEST(r->size() == 2u);
  r = log->read(5, 100, 1); // always at least one record
  BOOST_TEST(r->size() == 1u);
  r = log->read(20, 100);
  BOOST_TEST(r->empty());
  r = log->read(1000, 100);
  BOOST_TEST(r->empty());
  r = log->read(18, 100);
  BOOST_TEST(r->size() == 2u);
}

BOOST_AUTO_TEST_CASE(invalid_appends_are_rejected_whole) {
  temp_dir tmp;
  auto log = open_log(options_for(tmp.log()));
  std::vector<record_input> recs{event("ok"), event("bad", "k", "")};
  auto res = log->append_sync(std::move(recs));
  BOOST_TEST_REQUIRE(!res);
  BOOST_TEST(code_of(res.error()) == ec::invalid_argument);
  recs = {event("x", "k", std::string(300, 't'))};
  BOOST_TEST(!log->append_sync(std::move(recs)));
  BOOST_TEST(log->end_offset() == 0u);
}

BOOST_AUTO_TEST_CASE(segments_roll_at_the_configured_size) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.segment_bytes = 1000;
  opts.index_interval_bytes = 300;
  auto payload = std::string(150, 'p');
  auto frame = frame_size(10, 1, 150);
  {
    auto log = open_log(opts);
    for (int i = 0; i < 50; ++i)
      append_one(*log, payload + std::to_string(i % 10));
    auto segs = log->segments();
    BOOST_TEST(segs.size() > 5u);
    uint64_t position = 0;
    uint64_t offset = 0;
    for (size_t i = 0; i < segs.size(); ++i) {
      auto& s = segs[i];
      BOOST_TEST(s.bytes <= 1000u);
      if (i + 1 < segs.size())
        BOOST_TEST(s.bytes + frame + 1 > 1000u); // full when rolled
      BOOST_TEST(s.base_offset == offset);
      BOOST_TEST(s.base_position == position);
      offset += s.records;
      position += s.bytes;
    }
    BOOST_TEST(offset == 50u);
  }
  BOOST_TEST(segment_files(tmp.log()).size() > 5u);
  auto log = open_log(opts);
  auto recs = read_all(*log);
  BOOST_TEST_REQUIRE(recs.size() == 50u);
  for (uint64_t i = 0; i < 50; ++i) {
    BOOST_TEST(recs[i].offset == i);
    BOOST_TEST(recs[i].payload == payload + std::to_string(i % 10));
  }
  // Reads that start in the middle of any segment.
  for (uint64_t from = 0; from + 4 <= 50; from += 7) {
    auto r = log->read(from, 4);
    BOOST_TEST_REQUIRE(static_cast<bool>(r));
    BOOST_TEST_REQUIRE(r->size() == 4u);
    BOOST_TEST(r->front().offset == from);
    BOOST_TEST(r->front().position == recs[from].position);
  }
}

BOOST_AUTO_TEST_CASE(explicit_roll_and_epochs) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  {
    auto log = open_log(opts);
    append_one(*log, "a");
    BOOST_TEST(!log->roll(std::nullopt));
    append_one(*log, "b");
    BOOST_TEST(!log->roll(uint64_t{3}));
    BOOST_TEST(!log->roll(uint64_t{4})); // empty active segment: replaced
    BOOST_TEST(log->epoch() == 4u);
    append_one(*log, "c");
    auto err = log->roll(uint64_t{2});
    BOOST_TEST(code_of(err) == ec::invalid_argument);
  }
  auto files = segment_files(tmp.log());
  BOOST_TEST_REQUIRE(files.size() == 3u);
  BOOST_TEST(files[2].find("00000000000000000002-0004.log")
             != std::string::npos);
  opts.epoch = 6;
  auto log = open_log(opts);
  BOOST_TEST(log->epoch() == 6u);
  append_one(*log, "d");
  auto recs = read_all(*log);
  BOOST_TEST_REQUIRE(recs.size() == 4u);
  BOOST_TEST(recs[0].epoch == 1u);
  BOOST_TEST(recs[1].epoch == 1u);
  BOOST_TEST(recs[2].epoch == 4u);
  BOOST_TEST(recs[3].epoch == 6u);
  log.reset();
  opts.epoch = 5;
  auto lower = segment_log::open(opts);
  BOOST_TEST_REQUIRE(!lower);
  BOOST_TEST(code_of(lower.error()) == ec::invalid_argument);
}

BOOST_AUTO_TEST_CASE(second_opener_gets_locked) {
  temp_dir tmp;
  auto log = open_log(options_for(tmp.log()));
  append_one(*log, "a");
  auto second = segment_log::open(options_for(tmp.log()));
  BOOST_TEST_REQUIRE(!second);
  BOOST_TEST(code_of(second.error()) == ec::locked);
  BOOST_TEST(message_of(second.error()).find(tmp.log()) != std::string::npos);
  // The first opener is unharmed.
  BOOST_TEST(append_one(*log, "b").first_offset == 1u);
  log.reset();
  auto third = open_log(options_for(tmp.log()));
  BOOST_TEST(third->end_offset() == 2u);
}

BOOST_AUTO_TEST_CASE(missing_log_without_create) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.create = false;
  auto log = segment_log::open(opts);
  BOOST_TEST_REQUIRE(!log);
  BOOST_TEST(code_of(log.error()) == ec::not_found);
}

namespace {

/// Builds a log with many small segments and index entries.
log_options indexed_log(const std::string& dir) {
  auto opts = options_for(dir);
  opts.segment_bytes = 8000;
  opts.index_interval_bytes = 500;
  opts.fsync = fsync_policy::interval;
  {
    auto log = open_log(opts);
    for (int i = 0; i < 300; ++i)
      append_one(*log, "payload-" + std::to_string(i) + std::string(60, 'z'));
  }
  return opts;
}

} // namespace

BOOST_AUTO_TEST_CASE(deleted_or_damaged_indexes_are_rebuilt) {
  temp_dir tmp;
  auto opts = indexed_log(tmp.log());
  std::vector<record> expected;
  {
    auto log = open_log(opts);
    BOOST_TEST(log->report().indexes_rebuilt == 0u);
    expected = read_all(*log);
  }
  auto files = segment_files(tmp.log());
  BOOST_TEST_REQUIRE(files.size() >= 3u);
  auto idx = [](const std::string& seg) {
    return seg.substr(0, seg.size() - 4) + ".idx";
  };
  std::filesystem::remove(idx(files[0]));       // deleted
  flip_bit(idx(files[1]), 40);                  // damaged entry
  flip_bit(idx(files[2]), 2);                   // damaged header
  std::filesystem::remove(idx(files.back()));   // the last one too
  {
    auto log = open_log(opts);
    BOOST_TEST(log->report().indexes_rebuilt == 4u);
    auto recs = read_all(*log);
    BOOST_TEST_REQUIRE(recs.size() == expected.size());
    for (size_t i = 0; i < recs.size(); ++i) {
      BOOST_TEST(recs[i].payload == expected[i].payload);
      BOOST_TEST(recs[i].position == expected[i].position);
    }
    for (uint64_t from = 0; from < 300; from += 13) {
      auto r = log->read(from, 1);
      BOOST_TEST_REQUIRE(static_cast<bool>(r));
      BOOST_TEST(r->at(0).payload == expected[from].payload);
    }
  }
  // The rebuilt indexes were written back: nothing to rebuild now.
  auto log = open_log(opts);
  BOOST_TEST(log->report().indexes_rebuilt == 0u);
}

BOOST_AUTO_TEST_CASE(open_scans_only_from_the_last_index_point) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.index_interval_bytes = 1000;
  opts.fsync = fsync_policy::interval;
  {
    auto log = open_log(opts);
    std::vector<record_input> batch;
    for (int i = 0; i < 2000; ++i)
      batch.push_back(event(std::string(100, 'q')));
    BOOST_TEST(static_cast<bool>(log->append_sync(std::move(batch))));
  }
  auto log = open_log(opts);
  BOOST_TEST(log->report().records_recovered == 2000u);
  // One index point every 1000 bytes: at most ~1000 bytes are scanned.
  BOOST_TEST(log->report().bytes_scanned <= 1000u + frame_size(10, 1, 100));
  BOOST_TEST(log->report().records_scanned < 10u);
}
