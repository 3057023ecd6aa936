// log_bench: throughput and latency of the durable event log, with its
// baselines measured in the same run on the same disk.
//
//   1. 256-byte events appended with fsync=always from 1, 8 and 64 producer
//      threads: events/s, p50/p99 append-to-ack latency, batch sizes formed.
//   2. Baseline (a): one thread doing write + fdatasync of the same bytes at
//      the average batch size the log formed — the ceiling for group commit.
//   3. Baseline (b): RocksDB Put with WriteOptions.sync=true from the same
//      number of producer threads.
//   4. Open time of a log holding 10 million events (1 million with --quick).
//   5. Replay rate: reading every event through segment_log::read().
//
// usage: log_bench [--quick] [--dir DIR] [--seconds S]
// The last line is machine-readable.

#include "messages/error.hpp"
#include "storage/log/record_format.hpp"
#include "storage/log/segment_log.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace almanac;
using namespace almanac::storage;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr size_t payload_size = 256;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::string make_payload(uint64_t n) {
  auto s = R"({"event":)" + std::to_string(n) + R"(,"pad":")";
  s.append(payload_size - s.size() - 2, 'x');
  s += "\"}";
  return s;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "log_bench: %s\n", what.c_str());
  std::exit(1);
}

struct config {
  bool quick = false;
  std::string dir;
  double seconds = 4.0;
  uint64_t open_events = 10'000'000;
};

struct producer_result {
  double events_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  double avg_batch_records = 0;
  double avg_batch_bytes = 0;
};

double percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty())
    return 0;
  auto k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

/// Runs `producers` threads calling `append_one(thread, seq)` for `seconds`;
/// returns events/s and latencies.
template <class AppendOne>
producer_result run_producers(int producers, double seconds,
                              AppendOne append_one) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<uint32_t>> latencies(producers);
  std::vector<std::thread> threads;
  auto start = clock_type::now();
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      auto& lat = latencies[p];
      lat.reserve(1 << 16);
      for (uint64_t seq = 0; !stop.load(std::memory_order_relaxed); ++seq) {
        auto t0 = clock_type::now();
        append_one(p, seq);
        lat.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(
            clock_type::now() - t0)
            .count()));
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads)
    t.join();
  auto elapsed = seconds_since(start);
  std::vector<uint32_t> all;
  for (auto& l : latencies)
    all.insert(all.end(), l.begin(), l.end());
  producer_result r;
  r.events_per_s = static_cast<double>(all.size()) / elapsed;
  r.p50_us = percentile(all, 0.50);
  r.p99_us = percentile(all, 0.99);
  return r;
}

producer_result bench_log(const config& cfg, int producers) {
  auto dir = cfg.dir + "/log-" + std::to_string(producers);
  log_options opts;
  opts.dir = dir;
  auto log = segment_log::open(opts);
  if (!log)
    die(render(log.error()));
  auto payload = make_payload(0);
  auto r = run_producers(producers, cfg.seconds, [&](int p, uint64_t seq) {
    std::vector<record_input> recs;
    recs.push_back(record_input{"bench_event", "key-" + std::to_string(p),
                                payload, std::nullopt});
    auto res = (*log)->append_sync(std::move(recs));
    if (!res)
      die(render(res.error()));
  });
  auto stats = (*log)->stats();
  r.avg_batch_records = static_cast<double>(stats.records)
                        / static_cast<double>(std::max<uint64_t>(1, stats.batches));
  r.avg_batch_bytes = static_cast<double>(stats.bytes)
                      / static_cast<double>(std::max<uint64_t>(1, stats.batches));
  log->reset();
  std::filesystem::remove_all(dir);
  return r;
}

/// write + fdatasync of `batch_bytes` at a time, for `seconds`; returns the
/// events/s that would give at `events_per_batch`.
double bench_raw(const config& cfg, double batch_bytes,
                 double events_per_batch) {
  auto path = cfg.dir + "/raw.dat";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    die("cannot open " + path);
  std::string buf(static_cast<size_t>(std::max(1.0, batch_bytes)), 'r');
  uint64_t batches = 0;
  auto start = clock_type::now();
  while (seconds_since(start) < cfg.seconds) {
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())
        || ::fdatasync(fd) != 0)
      die("raw write failed");
    ++batches;
  }
  auto elapsed = seconds_since(start);
  ::close(fd);
  std::filesystem::remove(path);
  return static_cast<double>(batches) * events_per_batch / elapsed;
}

double bench_rocksdb(const config& cfg, int producers) {
  auto dir = cfg.dir + "/rocksdb-" + std::to_string(producers);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw_db = nullptr;
  auto st = rocksdb::DB::Open(options, dir, &raw_db);
  if (!st.ok())
    die("rocksdb: " + st.ToString());
  std::unique_ptr<rocksdb::DB> db{raw_db};
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto payload = make_payload(0);
  auto r = run_producers(producers, cfg.seconds, [&](int p, uint64_t seq) {
    char key[32];
    std::snprintf(key, sizeof(key), "%04d-%012llu", p,
                  static_cast<unsigned long long>(seq));
    auto s = db->Put(wo, key, payload);
    if (!s.ok())
      die("rocksdb put: " + s.ToString());
  });
  db.reset();
  std::filesystem::remove_all(dir);
  return r.events_per_s;
}

/// Fills a log with `events` events quickly (fsync=interval, big batches).
void fill_log(const std::string& dir, uint64_t events) {
  log_options opts;
  opts.dir = dir;
  opts.fsync = fsync_policy::interval;
  opts.fsync_interval = std::chrono::milliseconds{1000};
  auto log = segment_log::open(opts);
  if (!log)
    die(render(log.error()));
  constexpr uint64_t batch = 2000;
  std::atomic<uint64_t> in_flight{0};
  std::atomic<bool> failed{false};
  auto payload = make_payload(0);
  for (uint64_t n = 0; n < events; n += batch) {
    while (in_flight.load() >= 16)
      std::this_thread::yield();
    std::vector<record_input> recs;
    auto count = std::min(batch, events - n);
    recs.reserve(count);
    for (uint64_t i = 0; i < count; ++i)
      recs.push_back(record_input{"bench_event", "key", payload, std::nullopt});
    ++in_flight;
    (*log)->append(std::move(recs), [&](caf::expected<append_result> r) {
      if (!r)
        failed = true;
      --in_flight;
    });
  }
  while (in_flight.load() > 0)
    std::this_thread::yield();
  if (failed)
    die("filling the log failed");
  if (auto err = (*log)->close())
    die(render(err));
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      cfg.quick = true;
    } else if (arg == "--dir" && i + 1 < argc) {
      cfg.dir = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      cfg.seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: log_bench [--quick] [--dir DIR] [--seconds S]\n");
      return 2;
    }
  }
  if (cfg.quick) {
    cfg.seconds = std::min(cfg.seconds, 1.5);
    cfg.open_events = 1'000'000;
  }
  spdlog::set_level(spdlog::level::warn);
  if (cfg.dir.empty()) {
    std::string tmpl = "/tmp/almanac-log-bench-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
      die("cannot create a temporary directory");
    cfg.dir = tmpl;
  } else {
    cfg.dir += "/log_bench";
    std::filesystem::create_directories(cfg.dir);
  }
  std::printf("log_bench: dir %s, %.1f s per run, %zu-byte payloads "
              "(%zu-byte frames), fsync=always\n",
              cfg.dir.c_str(), cfg.seconds, payload_size,
              frame_size(11, 5, payload_size));
  std::printf("%9s %12s %9s %9s %11s %11s %12s %7s %14s\n", "producers",
              "events/s", "p50_us", "p99_us", "batch_recs", "batch_bytes",
              "raw_ev/s", "ratio", "rocksdb_ev/s");
  producer_result last;
  double last_raw = 0;
  double last_rocks = 0;
  for (int producers : {1, 8, 64}) {
    auto r = bench_log(cfg, producers);
    auto raw = bench_raw(cfg, r.avg_batch_bytes, r.avg_batch_records);
    auto rocks = bench_rocksdb(cfg, producers);
    std::printf("%9d %12.0f %9.0f %9.0f %11.1f %11.0f %12.0f %7.2f %14.0f\n",
                producers, r.events_per_s, r.p50_us, r.p99_us,
                r.avg_batch_records, r.avg_batch_bytes, raw,
                r.events_per_s / raw, rocks);
    std::fflush(stdout);
    last = r;
    last_raw = raw;
    last_rocks = rocks;
  }
  // Open and replay of a big log.
  auto big = cfg.dir + "/big";
  auto fill_start = clock_type::now();
  fill_log(big, cfg.open_events);
  auto fill_s = seconds_since(fill_start);
  log_options opts;
  opts.dir = big;
  auto open_start = clock_type::now();
  auto log = segment_log::open(opts);
  auto open_s = seconds_since(open_start);
  if (!log)
    die(render(log.error()));
  std::printf("open: %llu events (%.2f GB, %llu segments) written in %.1f s; "
              "open took %.4f s, scanned %llu records\n",
              static_cast<unsigned long long>((*log)->end_offset()),
              static_cast<double>((*log)->end_position()) / 1e9,
              static_cast<unsigned long long>((*log)->segments().size()),
              fill_s, open_s,
              static_cast<unsigned long long>(
                (*log)->report().records_scanned));
  uint64_t counted = 0;
  uint64_t payload_bytes = 0;
  auto replay_start = clock_type::now();
  for (uint64_t next = 0; next < (*log)->end_offset();) {
    auto recs = (*log)->read(next, 10000);
    if (!recs)
      die(render(recs.error()));
    for (auto& r : *recs) {
      ++counted;
      payload_bytes += r.payload.size();
    }
    next = recs->back().offset + 1;
  }
  auto replay_s = seconds_since(replay_start);
  auto replay_rate = static_cast<double>(counted) / replay_s;
  std::printf("replay: %llu events (%.0f MB of payload) in %.2f s (page "
              "cache warm from the fill)\n",
              static_cast<unsigned long long>(counted),
              static_cast<double>(payload_bytes) / 1e6, replay_s);
  log->reset();
  // Only what this run created (--dir DIR gets a log_bench subdirectory).
  std::filesystem::remove_all(cfg.dir);
  std::printf("log_bench: producers=64 events_per_s=%.0f raw_events_per_s=%.0f "
              "ratio=%.2f rocksdb_sync_events_per_s=%.0f open_%s_s=%.4f "
              "replay_events_per_s=%.0f\n",
              last.events_per_s, last_raw, last.events_per_s / last_raw,
              last_rocks, "10m", open_s, replay_rate);
  // (With --quick the open figure is for 1 million events; the key stays.)
  return 0;
}
