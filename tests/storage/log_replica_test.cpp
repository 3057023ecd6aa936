#define BOOST_TEST_MODULE log_replica
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

// What replication builds on: a log copied frame run by frame run
// (read_frames -> append_frames) is byte-identical to its source, segment by
// segment; bad runs are refused and change nothing; a divergent tail is
// truncated exactly (divergence_point) and the copy goes on to identity;
// the epoch history survives reopening.

#include "log_test_helpers.hpp"

#include <future>
#include <random>

using namespace almanac;
using namespace almanac::storage;
using namespace almanac::storage::test;

namespace {

quiet_logs quiet;

log_options small_segments(const std::string& dir) {
  auto opts = options_for(dir);
  opts.segment_bytes = 4096;
  opts.index_interval_bytes = 512;
  return opts;
}

void append_many(segment_log& log, int n, const std::string& tag) {
  for (int i = 0; i < n; ++i)
    append_one(log, tag + "-" + std::to_string(i) + std::string(i % 97, 'x'));
}

/// Copies from `from` into `to` until `to` has everything, in runs of at
/// most `max_bytes`. Returns the number of runs.
int copy_log(const segment_log& from, segment_log& to, size_t max_bytes) {
  int runs = 0;
  for (;;) {
    auto run = from.read_frames(to.end_offset(), max_bytes);
    BOOST_REQUIRE_MESSAGE(run, (run ? "" : render(run.error())));
    if (run->count == 0 && to.end_offset() == from.end_offset()
        && run->segment_base == to.segments().back().base_offset
        && run->segment_epoch == to.epoch())
      return runs;
    std::promise<caf::expected<append_result>> done;
    auto f = done.get_future();
    to.append_frames(std::move(*run), [&](caf::expected<append_result> x) {
      done.set_value(std::move(x));
    });
    auto res = f.get();
    BOOST_REQUIRE_MESSAGE(res, (res ? "" : render(res.error())));
    ++runs;
    BOOST_REQUIRE(runs < 100000);
  }
}

void check_identical(const std::string& a, const std::string& b) {
  auto xs = segment_files(a);
  auto ys = segment_files(b);
  BOOST_REQUIRE_EQUAL(xs.size(), ys.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    BOOST_TEST(std::filesystem::path(xs[i]).filename()
               == std::filesystem::path(ys[i]).filename());
    BOOST_TEST((read_file(xs[i]) == read_file(ys[i])), "segment " << xs[i]);
  }
}

caf::error append_run(segment_log& log, frame_run run) {
  std::promise<caf::error> done;
  auto f = done.get_future();
  log.append_frames(std::move(run), [&](caf::expected<append_result> x) {
    done.set_value(x ? caf::error{} : x.error());
  });
  return f.get();
}

} // namespace

BOOST_AUTO_TEST_CASE(a_copy_is_byte_identical) {
  temp_dir dir;
  auto primary = open_log(small_segments(dir.path + "/p"));
  auto standby = open_log(small_segments(dir.path + "/s"));
  append_many(*primary, 150, "a");
  BOOST_REQUIRE(!primary->roll(3)); // a promotion: epoch 3
  append_many(*primary, 80, "b");
  BOOST_REQUIRE(!primary->roll(4)); // an epoch with no records yet
  BOOST_TEST(primary->segments().size() > 5u);
  auto runs = copy_log(*primary, *standby, 1500);
  BOOST_TEST(runs > 10);
  BOOST_TEST(standby->end_offset() == primary->end_offset());
  BOOST_TEST(standby->end_position() == primary->end_position());
  BOOST_TEST(standby->epoch() == 4u);
  BOOST_TEST((standby->epochs() == primary->epochs()));
  BOOST_TEST(primary->epochs().entries().size() == 3u);
  // The writes go on in both and the copy follows, one frame at a time.
  append_many(*primary, 40, "c");
  copy_log(*primary, *standby, 1);
  BOOST_TEST(standby->end_offset() == primary->end_offset());
  auto expect = read_all(*primary);
  BOOST_TEST(read_all(*standby).size() == expect.size());
  BOOST_REQUIRE(!primary->close());
  BOOST_REQUIRE(!standby->close());
  check_identical(dir.path + "/p", dir.path + "/s");
  BOOST_TEST(read_file(dir.path + "/p/epochs") == read_file(dir.path + "/s/epochs"));
  // Both reopen to the same state, index files rebuilt or not.
  auto again = open_log(small_segments(dir.path + "/s"));
  BOOST_TEST(again->end_offset() == expect.size());
  BOOST_TEST(again->epoch() == 4u);
  BOOST_TEST(read_all(*again).back().payload == expect.back().payload);
}

BOOST_AUTO_TEST_CASE(bad_runs_are_refused_and_change_nothing) {
  temp_dir dir;
  auto primary = open_log(small_segments(dir.path + "/p"));
  auto standby = open_log(small_segments(dir.path + "/s"));
  append_many(*primary, 20, "a");
  auto run = primary->read_frames(0, 1u << 20);
  BOOST_REQUIRE(run);
  BOOST_REQUIRE(run->count == 20u);
  // A flipped bit anywhere in a frame.
  for (size_t at : {size_t{5}, size_t{20}, run->bytes.size() / 2, run->bytes.size() - 1}) {
    auto bad = *run;
    bad.bytes[at] = static_cast<char>(bad.bytes[at] ^ 0x10);
    auto err = append_run(*standby, bad);
    BOOST_TEST((err == ec::corrupt_data), "byte " << at);
  }
  // A count or an epoch that does not match its frames; trailing bytes.
  auto more = *run;
  more.count = 21;
  BOOST_TEST((append_run(*standby, more) == ec::corrupt_data));
  auto epoch = *run;
  epoch.segment_epoch = 2;
  BOOST_TEST(render(append_run(*standby, epoch)).find("epoch 1 in a segment of epoch 2")
             != std::string::npos);
  auto tail = *run;
  tail.bytes += "xyz";
  BOOST_TEST((append_run(*standby, tail) == ec::corrupt_data));
  // Frames that do not start at the standby's end.
  auto later = primary->read_frames(5, 1u << 20);
  BOOST_REQUIRE(later);
  auto err = append_run(*standby, *later);
  BOOST_TEST((err == ec::invalid_argument));
  BOOST_TEST(render(err).find("ends at offset 0") != std::string::npos);
  BOOST_TEST(standby->end_offset() == 0u);
  BOOST_TEST(!standby->failure());
  // The good run still goes in afterwards.
  BOOST_TEST(!append_run(*standby, *run));
  BOOST_TEST(standby->end_offset() == 20u);
  // Reads outside the log are refused by name.
  auto past = primary->read_frames(21, 100);
  BOOST_TEST((past.error() == ec::invalid_argument));
}

BOOST_AUTO_TEST_CASE(truncation_is_exact) {
  temp_dir dir;
  auto opts = small_segments(dir.path + "/p");
  auto log = open_log(opts);
  append_many(*log, 120, "a");
  BOOST_REQUIRE(!log->roll(2));
  append_many(*log, 60, "b");
  auto all = read_all(*log);
  auto segs = log->segments();
  BOOST_REQUIRE(segs.size() > 4u);
  // Mid segment, exactly at a segment's start (the epoch 2 one), and 0.
  std::vector<uint64_t> cuts{170, 150, segs[2].base_offset, 57, 0};
  for (auto cut : cuts) {
    if (cut >= log->end_offset())
      continue;
    BOOST_TEST_CONTEXT("cut at " << cut) {
      BOOST_REQUIRE(!log->truncate(cut));
      BOOST_TEST(log->end_offset() == cut);
      auto left = read_all(*log);
      BOOST_REQUIRE(left.size() == cut);
      for (size_t i = 0; i < left.size(); ++i)
        BOOST_TEST(left[i].payload == all[i].payload);
      auto h = log->epochs();
      BOOST_TEST(h.entries().back().start_offset <= cut);
      BOOST_TEST(h.latest() == log->epoch());
      // The log appends after the cut and reopens to the same state.
      auto r = append_one(*log, "after-" + std::to_string(cut));
      BOOST_TEST(r.first_offset == cut);
      BOOST_TEST(r.first_position == (cut == 0 ? 0 : all[cut].position));
      BOOST_REQUIRE(!log->close());
      log = open_log(opts);
      BOOST_TEST(log->end_offset() == cut + 1);
      BOOST_TEST(read_all(*log).back().payload == "after-" + std::to_string(cut));
      BOOST_TEST((log->epochs() == h));
      BOOST_REQUIRE(!log->truncate(cut));
      all.resize(cut);
    }
  }
  BOOST_TEST(log->end_offset() == 0u);
  BOOST_TEST(!log->truncate(5)); // past the end: nothing
}

BOOST_AUTO_TEST_CASE(a_divergent_tail_is_cut_and_the_copy_goes_on) {
  // A pair: p leads epoch 1; s copies part of it; p writes on (async) and
  // dies; s is promoted (epoch 2) and writes; p rejoins as s's standby.
  temp_dir dir;
  auto p = open_log(small_segments(dir.path + "/p"));
  auto s = open_log(small_segments(dir.path + "/s"));
  append_many(*p, 100, "p");
  copy_log(*p, *s, 700);
  append_many(*p, 37, "lost"); // never reached s
  BOOST_REQUIRE(!s->roll(2));
  append_many(*s, 55, "s");
  auto d = divergence_point(s->epochs(), s->end_offset(), p->epochs(),
                            p->end_offset());
  BOOST_TEST(d == 100u);
  BOOST_REQUIRE(!p->truncate(d));
  copy_log(*s, *p, 900);
  BOOST_TEST((p->epochs() == s->epochs()));
  auto expect = read_all(*s);
  auto got = read_all(*p);
  BOOST_REQUIRE(got.size() == expect.size());
  for (size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(got[i].payload == expect[i].payload);
  BOOST_REQUIRE(!p->close());
  BOOST_REQUIRE(!s->close());
  check_identical(dir.path + "/p", dir.path + "/s");
}

BOOST_AUTO_TEST_CASE(an_old_log_gets_its_history_from_its_segments) {
  temp_dir dir;
  auto opts = small_segments(dir.path + "/p");
  {
    auto log = open_log(opts);
    append_many(*log, 50, "a");
    BOOST_REQUIRE(!log->roll(3));
    append_many(*log, 50, "b");
  }
  auto expect = epoch_history{{{1, 0}, {3, 50}}};
  std::filesystem::remove(opts.dir + "/epochs");
  {
    auto log = open_log(opts);
    BOOST_TEST((log->epochs() == expect));
  }
  write_file(opts.dir + "/epochs", "damaged");
  auto log = open_log(opts);
  BOOST_TEST((log->epochs() == expect));
  BOOST_TEST(epoch_history::load(opts.dir).engaged());
}
