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
// usage: log_bench [--quick] [--dir DIR] [--seconds S] [--cold-open]
//   --cold-open  drop the page cache before timing the open (root only;
//                it affects the whole machine)
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
#include <functional>
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
  /// Measured seconds per configuration, split into `slices`.
  double seconds = 4.0;
  int slices = 4;
  uint64_t open_events = 10'000'000;
  /// Drop the page cache before the open (needs root; affects the machine).
  bool cold_open = false;
};

/// What one measurement slice (or the sum of several) observed.
struct sample {
  uint64_t events = 0;
  double seconds = 0;
  std::vector<uint32_t> latencies_us;
  uint64_t batches = 0;
  uint64_t batch_records = 0;
  uint64_t batch_bytes = 0;

  void add(sample other) {
    events += other.events;
    seconds += other.seconds;
    latencies_us.insert(latencies_us.end(), other.latencies_us.begin(),
                        other.latencies_us.end());
    batches += other.batches;
    batch_records += other.batch_records;
    batch_bytes += other.batch_bytes;
  }

  double rate() const {
    return seconds > 0 ? static_cast<double>(events) / seconds : 0;
  }

  double avg_batch_records() const {
    return static_cast<double>(batch_records)
           / static_cast<double>(std::max<uint64_t>(1, batches));
  }

  double avg_batch_bytes() const {
    return static_cast<double>(batch_bytes)
           / static_cast<double>(std::max<uint64_t>(1, batches));
  }

  double percentile_us(double p) {
    if (latencies_us.empty())
      return 0;
    auto k = static_cast<size_t>(p * static_cast<double>(latencies_us.size() - 1));
    std::nth_element(latencies_us.begin(),
                     latencies_us.begin() + static_cast<long>(k),
                     latencies_us.end());
    return latencies_us[k];
  }
};

/// Runs `producers` threads calling `append_one(thread, seq)` for `seconds`
/// and records each call's latency.
template <class AppendOne>
sample run_threads(int producers, double seconds, AppendOne append_one) {
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
  sample result;
  result.seconds = seconds_since(start);
  for (auto& l : latencies)
    result.latencies_us.insert(result.latencies_us.end(), l.begin(), l.end());
  result.events = result.latencies_us.size();
  return result;
}

std::unique_ptr<segment_log> open_bench_log(const std::string& dir) {
  log_options opts;
  opts.dir = dir;
  auto log = segment_log::open(opts);
  if (!log)
    die(render(log.error()));
  return std::move(*log);
}

void add_batch_stats(sample& s, const segment_log& log) {
  auto stats = log.stats();
  s.batches = stats.batches;
  s.batch_records = stats.records;
  s.batch_bytes = stats.bytes;
}

/// `producers` threads, each appending one event at a time with
/// append_sync (fsync=always).
sample log_slice(const std::string& dir, int producers, double seconds) {
  auto log = open_bench_log(dir);
  auto payload = make_payload(0);
  auto result = run_threads(producers, seconds, [&](int p, uint64_t) {
    std::vector<record_input> recs;
    recs.push_back(record_input{"bench_event", "key-" + std::to_string(p),
                                payload, std::nullopt});
    auto res = log->append_sync(std::move(recs));
    if (!res)
      die(render(res.error()));
  });
  add_batch_stats(result, *log);
  return result;
}

/// `producers` that each keep one append in flight and re-submit from its
/// callback, as actors do: no thread blocks or is woken per append.
sample log_callback_slice(const std::string& dir, int producers,
                          double seconds) {
  auto log = open_bench_log(dir);
  auto payload = make_payload(0);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked{0};
  std::atomic<int> running{producers};
  std::function<void(int)> submit = [&](int p) {
    std::vector<record_input> recs;
    recs.push_back(record_input{"bench_event", "key-" + std::to_string(p),
                                payload, std::nullopt});
    log->append(std::move(recs), [&, p](caf::expected<append_result> r) {
      if (!r)
        die(render(r.error()));
      ++acked;
      if (stop.load())
        --running;
      else
        submit(p);
    });
  };
  auto start = clock_type::now();
  for (int p = 0; p < producers; ++p)
    submit(p);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  sample result;
  result.seconds = seconds_since(start);
  result.events = acked.load();
  while (running.load() > 0)
    std::this_thread::yield();
  add_batch_stats(result, *log);
  return result;
}

/// Baseline (a): one thread, write + fdatasync of `batch_bytes` at a time,
/// counted as `events_per_batch` events per batch.
sample raw_slice(const std::string& path, double seconds, double batch_bytes,
                 double events_per_batch) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                  0644);
  if (fd < 0)
    die("cannot open " + path);
  std::string buf(static_cast<size_t>(std::max(1.0, batch_bytes)), 'r');
  uint64_t batches = 0;
  auto start = clock_type::now();
  while (seconds_since(start) < seconds) {
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())
        || ::fdatasync(fd) != 0)
      die("raw write failed");
    ++batches;
  }
  sample result;
  result.seconds = seconds_since(start);
  result.events = static_cast<uint64_t>(static_cast<double>(batches)
                                        * events_per_batch);
  ::close(fd);
  return result;
}

/// Baseline (b): RocksDB Put with sync=true from `producers` threads.
sample rocksdb_slice(const std::string& dir, int producers, double seconds) {
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
  auto salt = std::to_string(clock_type::now().time_since_epoch().count());
  return run_threads(producers, seconds, [&](int p, uint64_t seq) {
    char key[64];
    std::snprintf(key, sizeof(key), "%s-%04d-%012llu", salt.c_str(), p,
                  static_cast<unsigned long long>(seq));
    auto s = db->Put(wo, key, payload);
    if (!s.ok())
      die("rocksdb put: " + s.ToString());
  });
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
    } else if (arg == "--cold-open") {
      cfg.cold_open = true;
    } else if (arg == "--seconds" && i + 1 < argc) {
      cfg.seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: log_bench [--quick] [--dir DIR] [--seconds S] "
                   "[--cold-open]\n");
      return 2;
    }
  }
  if (cfg.quick) {
    cfg.seconds = std::min(cfg.seconds, 1.5);
    cfg.slices = 2;
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
  std::printf("The log and its baselines run in %d interleaved slices each, "
              "so that all see the same disk weather.\n", cfg.slices);
  std::printf("%9s %12s %9s %9s %11s %11s %12s %7s %14s\n", "producers",
              "events/s", "p50_us", "p99_us", "batch_recs", "batch_bytes",
              "raw_ev/s", "ratio", "rocksdb_ev/s");
  auto slice_s = cfg.seconds / cfg.slices;
  double last_log = 0;
  double last_raw = 0;
  double last_rocks = 0;
  for (int producers : {1, 8, 64}) {
    sample log;
    sample raw;
    sample rocks;
    auto tag = std::to_string(producers);
    for (int i = 0; i < cfg.slices; ++i) {
      auto l = log_slice(cfg.dir + "/log-" + tag, producers, slice_s);
      raw.add(raw_slice(cfg.dir + "/raw-" + tag, slice_s,
                        l.avg_batch_bytes(), l.avg_batch_records()));
      log.add(std::move(l));
      rocks.add(rocksdb_slice(cfg.dir + "/rocksdb-" + tag, producers, slice_s));
    }
    std::printf("%9d %12.0f %9.0f %9.0f %11.1f %11.0f %12.0f %7.2f %14.0f\n",
                producers, log.rate(), log.percentile_us(0.50),
                log.percentile_us(0.99), log.avg_batch_records(),
                log.avg_batch_bytes(), raw.rate(), log.rate() / raw.rate(),
                rocks.rate());
    std::fflush(stdout);
    last_log = log.rate();
    last_raw = raw.rate();
    last_rocks = rocks.rate();
  }
  {
    sample log;
    sample raw;
    for (int i = 0; i < cfg.slices; ++i) {
      auto l = log_callback_slice(cfg.dir + "/log-cb", 64, slice_s);
      raw.add(raw_slice(cfg.dir + "/raw-cb", slice_s, l.avg_batch_bytes(),
                        l.avg_batch_records()));
      log.add(std::move(l));
    }
    std::printf("%9s %12.0f %9s %9s %11.1f %11.0f %12.0f %7.2f %14s\n",
                "64-cb", log.rate(), "-", "-", log.avg_batch_records(),
                log.avg_batch_bytes(), raw.rate(), log.rate() / raw.rate(),
                "-");
    std::printf("(64-cb: 64 producers that each keep one append in flight "
                "and re-submit from its callback, as actors do)\n");
  }
  // Open and replay of a big log.
  auto big = cfg.dir + "/big";
  auto fill_start = clock_type::now();
  fill_log(big, cfg.open_events);
  auto fill_s = seconds_since(fill_start);
  log_options opts;
  opts.dir = big;
  bool cold = false;
  if (cfg.cold_open) {
    ::sync();
    if (auto f = std::fopen("/proc/sys/vm/drop_caches", "w")) {
      cold = std::fputs("3\n", f) >= 0;
      cold = std::fclose(f) == 0 && cold;
    }
    if (!cold)
      std::printf("(cannot drop the page cache: open is timed warm)\n");
  }
  auto open_start = clock_type::now();
  auto log = segment_log::open(opts);
  auto open_s = seconds_since(open_start);
  if (!log)
    die(render(log.error()));
  std::printf("open: %llu events (%.2f GB, %llu segments) written in %.1f s; "
              "%s open took %.4f s, scanned %llu records\n",
              static_cast<unsigned long long>((*log)->end_offset()),
              static_cast<double>((*log)->end_position()) / 1e9,
              static_cast<unsigned long long>((*log)->segments().size()),
              fill_s, cold ? "cold-cache" : "warm-cache", open_s,
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
  std::printf("replay: %llu events (%.0f MB of payload) in %.2f s (%s)\n",
              static_cast<unsigned long long>(counted),
              static_cast<double>(payload_bytes) / 1e6, replay_s,
              cold ? "from disk" : "page cache warm from the fill");
  log->reset();
  // Only what this run created (--dir DIR gets a log_bench subdirectory).
  std::filesystem::remove_all(cfg.dir);
  std::printf("log_bench: producers=64 events_per_s=%.0f raw_events_per_s=%.0f "
              "ratio=%.2f rocksdb_sync_events_per_s=%.0f open_10m_s=%.4f "
              "replay_events_per_s=%.0f\n",
              last_log, last_raw, last_log / last_raw, last_rocks, open_s,
              replay_rate);
  // (With --quick the open figure is for 1 million events; the key stays.)
  return 0;
}
