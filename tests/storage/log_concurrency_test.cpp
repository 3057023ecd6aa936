#define BOOST_TEST_MODULE log_concurrency
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "log_test_helpers.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace almanac;
using namespace almanac::storage;
using namespace almanac::storage::test;
using namespace std::chrono_literals;

namespace {

std::string payload_of(int producer, int seq, int item) {
  return "p" + std::to_string(producer) + "-s" + std::to_string(seq) + "-i"
         + std::to_string(item);
}

/// Waits up to 10 s for `pred`; the deadline only guards against hangs.
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(eight_producers_get_dense_unique_offsets) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.segment_bytes = 64u << 10; // rolls under load as well
  auto log = open_log(opts);
  std::atomic<uint64_t> last_seen{0};
  std::atomic<bool> listener_went_back{false};
  log->set_commit_listener([&](uint64_t end) {
    if (end < last_seen.load())
      listener_went_back = true;
    last_seen = end;
  });
  constexpr int producers = 8;
  constexpr int requests = 150;
  std::mutex mtx;
  std::map<uint64_t, std::string> expected; // offset -> payload
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  // A reader runs alongside and must only ever see whole, dense prefixes.
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reader_errors{0};
  std::thread reader{[&] {
    while (!done) {
      auto end = log->end_offset();
      auto recs = log->read(0, 1u << 20);
      if (!recs || recs->size() < end) {
        ++reader_errors;
        continue;
      }
      for (size_t i = 0; i < recs->size(); ++i)
        if ((*recs)[i].offset != i)
          ++reader_errors;
    }
  }};
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      uint64_t previous = 0;
      for (int seq = 0; seq < requests; ++seq) {
        int n = 1 + (seq % 3);
        std::vector<record_input> recs;
        for (int i = 0; i < n; ++i)
          recs.push_back(event(payload_of(p, seq, i)));
        auto res = log->append_sync(std::move(recs));
        std::lock_guard<std::mutex> guard{mtx};
        if (!res) {
          failures.push_back(render(res.error()));
          continue;
        }
        if (res->count != uint64_t(n) || (seq > 0 && res->first_offset <= previous))
          failures.push_back("bad result");
        previous = res->first_offset;
        for (int i = 0; i < n; ++i)
          expected.emplace(res->first_offset + i, payload_of(p, seq, i));
      }
    });
  }
  for (auto& t : threads)
    t.join();
  done = true;
  reader.join();
  BOOST_TEST(failures.empty());
  BOOST_TEST(reader_errors.load() == 0u);
  uint64_t total = producers * (requests / 3) * (1 + 2 + 3);
  BOOST_TEST(expected.size() == total); // unique offsets
  BOOST_TEST(expected.rbegin()->first == total - 1); // dense
  BOOST_TEST(log->end_offset() == total);
  BOOST_TEST(!listener_went_back.load());
  BOOST_TEST(last_seen.load() == total);
  auto stats = log->stats();
  BOOST_TEST(stats.records == total);
  BOOST_TEST(stats.requests == uint64_t{producers * requests});
  BOOST_TEST_MESSAGE("batches " << stats.batches << ", syncs " << stats.syncs
                                << " for " << stats.requests << " requests");
  BOOST_TEST(log->segments().size() > 1u);
  log.reset();
  auto reopened = open_log(opts);
  auto recs = read_all(*reopened);
  BOOST_TEST_REQUIRE(recs.size() == total);
  for (auto& r : recs)
    BOOST_TEST(r.payload == expected[r.offset]);
}

BOOST_AUTO_TEST_CASE(async_appends_and_close_drains_the_queue) {
  temp_dir tmp;
  auto log = open_log(options_for(tmp.log()));
  std::mutex mtx;
  std::vector<uint64_t> offsets;
  for (int i = 0; i < 200; ++i) {
    std::vector<record_input> recs;
    recs.push_back(event(std::to_string(i)));
    log->append(std::move(recs), [&](caf::expected<append_result> res) {
      std::lock_guard<std::mutex> guard{mtx};
      offsets.push_back(res ? res->first_offset : 999999);
    });
  }
  BOOST_TEST(!log->close());
  // Callbacks ran in queue order with consecutive offsets.
  BOOST_TEST_REQUIRE(offsets.size() == 200u);
  for (uint64_t i = 0; i < 200; ++i)
    BOOST_TEST(offsets[i] == i);
  // A closed log refuses appends at once.
  auto res = log->append_sync({event("late")});
  BOOST_TEST_REQUIRE(!res);
  BOOST_TEST(code_of(res.error()) == ec::unavailable);
  auto reopened = open_log(options_for(tmp.log()));
  auto recs = read_all(*reopened);
  BOOST_TEST_REQUIRE(recs.size() == 200u);
  BOOST_TEST(recs[137].payload == "137");
}

BOOST_AUTO_TEST_CASE(failed_write_claims_no_offsets) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  std::atomic<bool> fail_writes{false};
  opts.inject_fault = [&](fault_point p) {
    return p == fault_point::write && fail_writes.load();
  };
  auto log = open_log(opts);
  append_one(*log, "a");
  fail_writes = true;
  auto res = log->append_sync({event("b")});
  BOOST_TEST_REQUIRE(!res);
  BOOST_TEST(code_of(res.error()) == ec::io_error);
  BOOST_TEST(log->end_offset() == 1u);
  fail_writes = false;
  // A write failure is not fatal: the offset is handed out again.
  BOOST_TEST(append_one(*log, "c").first_offset == 1u);
  auto recs = read_all(*log);
  BOOST_TEST_REQUIRE(recs.size() == 2u);
  BOOST_TEST(recs[1].payload == "c");
}

BOOST_AUTO_TEST_CASE(failed_fsync_stops_the_log) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  std::atomic<bool> fail_syncs{false};
  opts.inject_fault = [&](fault_point p) {
    return p == fault_point::sync && fail_syncs.load();
  };
  {
    auto log = open_log(opts);
    append_one(*log, "a");
    fail_syncs = true;
    // Several producers in flight: every one of them gets the error.
    std::vector<std::thread> threads;
    std::atomic<int> errors{0};
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&] {
        auto res = log->append_sync({event("b")});
        if (!res && code_of(res.error()) == ec::io_error)
          ++errors;
      });
    for (auto& t : threads)
      t.join();
    BOOST_TEST(errors.load() == 4);
    BOOST_TEST(log->end_offset() == 1u);
    BOOST_TEST(read_all(*log).size() == 1u);
    BOOST_TEST(static_cast<bool>(log->failure()));
    // Fail-stop: later appends are refused even though syncs work again.
    fail_syncs = false;
    auto res = log->append_sync({event("c")});
    BOOST_TEST_REQUIRE(!res);
    BOOST_TEST(code_of(res.error()) == ec::io_error);
  }
  // After a restart the log is consistent; the unacknowledged records may or
  // may not have reached the disk.
  opts.inject_fault = nullptr;
  auto log = open_log(opts);
  auto end = log->end_offset();
  BOOST_TEST(end >= 1u);
  BOOST_TEST(end <= 5u);
  BOOST_TEST(append_one(*log, "d").first_offset == end);
}

BOOST_AUTO_TEST_CASE(interval_policy_acknowledges_before_syncing) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.fsync = fsync_policy::interval;
  opts.fsync_interval = 50ms;
  auto log = open_log(opts);
  for (int i = 0; i < 10; ++i)
    append_one(*log, std::to_string(i));
  BOOST_TEST(log->end_offset() == 10u);
  BOOST_TEST(log->flushed_end_offset() <= 10u);
  BOOST_TEST(eventually([&] { return log->flushed_end_offset() == 10u; }));
  BOOST_TEST(log->flushed_end_position() == log->end_position());
}

BOOST_AUTO_TEST_CASE(batch_delay_and_byte_bounds) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  opts.max_batch_delay = 2ms;
  opts.max_batch_bytes = 2000;
  auto log = open_log(opts);
  std::atomic<int> acked{0};
  for (int i = 0; i < 100; ++i)
    log->append({event(std::string(100, 'x'))},
                [&](caf::expected<append_result> r) {
                  if (r)
                    ++acked;
                });
  BOOST_TEST(eventually([&] { return acked.load() == 100; }));
  auto stats = log->stats();
  // 100 frames of 159 bytes, at most 2000 bytes per batch.
  BOOST_TEST(stats.batches >= 8u);
  BOOST_TEST(stats.records == 100u);
}

BOOST_AUTO_TEST_CASE(crash_fails_queued_appends) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  auto log = open_log(opts);
  std::atomic<int> ok{0};
  std::atomic<int> unavailable{0};
  for (int i = 0; i < 500; ++i)
    log->append({event(std::to_string(i))},
                [&](caf::expected<append_result> r) {
                  if (r)
                    ++ok;
                  else if (code_of(r.error()) == ec::unavailable)
                    ++unavailable;
                });
  log->crash_for_testing();
  BOOST_TEST(ok.load() + unavailable.load() == 500);
  log.reset();
  auto reopened = open_log(opts);
  // Everything acknowledged is there (written, in the page cache).
  BOOST_TEST(reopened->end_offset() >= uint64_t(ok.load()));
}

BOOST_AUTO_TEST_CASE(close_while_producers_append) {
  temp_dir tmp;
  auto opts = options_for(tmp.log());
  auto log = open_log(opts);
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < 4; ++p)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto res = log->append_sync({event(std::to_string(i))});
        if (res)
          ++ok;
        else if (code_of(res.error()) == ec::unavailable)
          ++refused;
        else
          ++other;
      }
    });
  std::this_thread::sleep_for(5ms);
  BOOST_TEST(!log->close());
  for (auto& t : threads)
    t.join();
  BOOST_TEST(other.load() == 0);
  BOOST_TEST(ok.load() + refused.load() == 8000);
  // Every append that was acknowledged before the close is durable.
  log.reset();
  auto reopened = open_log(opts);
  BOOST_TEST(reopened->end_offset() == uint64_t(ok.load()));
}

BOOST_AUTO_TEST_CASE(commit_listener_can_read_what_was_committed) {
  temp_dir tmp;
  auto log = open_log(options_for(tmp.log()));
  std::atomic<int> mismatches{0};
  std::atomic<uint64_t> seen{0};
  log->set_commit_listener([&](uint64_t end) {
    auto recs = log->read(end - 1, 10);
    if (!recs || recs->size() != 1 || recs->front().offset != end - 1
        || recs->front().payload != std::to_string(end - 1))
      ++mismatches;
    seen = end;
  });
  for (int i = 0; i < 50; ++i)
    append_one(*log, std::to_string(i));
  BOOST_TEST(mismatches.load() == 0);
  BOOST_TEST(seen.load() == 50u);
}

BOOST_AUTO_TEST_CASE(callbacks_run_in_commit_order_under_high_fan_in) {
  // 64 threads queueing many appends at once, with callbacks slow enough
  // (like waking a blocked thread) for the acknowledgement thread to take
  // over, and the writer taking back whatever it can: callbacks must still
  // run one at a time in offset order.
  temp_dir tmp;
  auto log = open_log(options_for(tmp.log()));
  std::mutex mtx;
  std::vector<uint64_t> order;
  std::vector<uint64_t> listener_ends;
  log->set_commit_listener([&](uint64_t end) {
    std::lock_guard<std::mutex> guard{mtx};
    listener_ends.push_back(end);
  });
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < 64; ++p)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        log->append({event("x")}, [&](caf::expected<append_result> r) {
          std::this_thread::sleep_for(20us);
          std::lock_guard<std::mutex> guard{mtx};
          order.push_back(r ? r->first_offset : 999999);
          ++acked;
        });
    });
  for (auto& t : threads)
    t.join();
  BOOST_TEST(eventually([&] { return acked.load() == 64 * 50; }));
  std::lock_guard<std::mutex> guard{mtx};
  BOOST_TEST_REQUIRE(order.size() == 3200u);
  for (uint64_t i = 0; i < order.size(); ++i)
    BOOST_TEST_REQUIRE(order[i] == i);
  BOOST_TEST(std::is_sorted(listener_ends.begin(), listener_ends.end()));
  BOOST_TEST(listener_ends.back() == 3200u);
}
