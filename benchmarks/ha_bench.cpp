// ha_bench: what replication costs and how fast it moves, against its
// limits, measured in one run on one disk (docs/ha.md).
//
//   1. Writes: PATCH the description of random tables from 1, 8 and 64
//      producers (each on its own keep-alive connection) for S seconds, on a
//      single node (the baseline), on the primary of an async pair and on
//      the primary of a sync pair (both nodes on loopback, fsync=always):
//      acknowledged writes/s and p50/p99 acknowledgement latency.
//   2. Catch-up: the async primary is loaded with N QueryObserved events;
//      an empty standby starts; the time until its log ends where the
//      primary's does gives MB/s and events/s. Baseline: the primary's
//      segment files sent over a loopback TCP socket and written with one
//      fdatasync per file (the physical limit of the copy).
//   3. Failover: under 8 writers, SIGKILL the async primary; promote the
//      standby; the time from the kill to the promote reply, to the first
//      acknowledged write, and to the first search that finds that write.
//      (Promotion is manual: detecting the failure is not included.)
//
// usage: ha_bench [--almanacd PATH] [--quick] [--seconds S] [--events N]
//                 [--dir DIR] [--keep]
// The last line is machine-readable.

#include "api_bench_http.hpp"
#include "bench_clients.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace api_bench;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* token = "ha-bench-token";
const std::string secret_env = "ALMANAC_HA_SECRET=ha-bench replication secret 0123456789";

struct config {
  std::string almanacd = "build/runtime/almanacd";
  std::string dir;
  bool quick = false;
  bool keep = false;
  double seconds = 5.0;
  int entities = 1000;
  int events = 200000;
  std::vector<int> producers{1, 8, 64};
};

double since_ms(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

nlohmann::json get_json(uint16_t port, const std::string& path) {
  http_conn c(port, token);
  std::string body;
  int st = c.request("GET", path, "", body);
  if (st != 200)
    return nullptr;
  return nlohmann::json::parse(body, nullptr, false);
}

uint64_t log_end(uint16_t port) {
  auto j = get_json(port, "/api/v1/admin/log");
  return j.is_object() ? j.value("end_offset", uint64_t{0}) : 0;
}

/// Waits until `cond` holds (polling every 5 ms) or `seconds` pass.
template <class F>
bool wait_until(F cond, double seconds) {
  auto deadline = clock_type::now() + std::chrono::duration<double>(seconds);
  while (clock_type::now() < deadline) {
    if (cond())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

/// A primary and (optionally) its standby.
struct cluster {
  std::unique_ptr<node> primary;
  std::unique_ptr<node> standby;
  uint16_t ha_port = 0;
  std::string mode;
};

std::vector<std::string> primary_flags(uint16_t ha_port, const std::string& mode) {
  return {"--ha-listen", "127.0.0.1:" + std::to_string(ha_port), "--ha-name", "p",
          "--ha-mode", mode};
}

std::unique_ptr<node> start_standby(const config& cfg, const std::string& dir,
                                    uint16_t ha_port, const std::string& name) {
  return std::make_unique<node>(
    cfg.almanacd, dir, token,
    std::vector<std::string>{"--node-role", "standby", "--ha-primary",
                             "127.0.0.1:" + std::to_string(ha_port), "--ha-name", name,
                             "--ha-listen", "127.0.0.1:" + std::to_string(free_port())},
    std::vector<std::string>{secret_env});
}

bool streaming(uint16_t primary_port, const std::string& name) {
  auto j = get_json(primary_port, "/monitor/replication");
  return j.is_object() && j.contains(name) && j[name].value("state", "") == "streaming";
}

/// mode "": a single node; "async" or "sync": a pair.
cluster start_cluster(const config& cfg, const std::string& mode) {
  cluster c;
  c.mode = mode;
  auto base = cfg.dir + "/" + (mode.empty() ? "single" : mode);
  if (mode.empty()) {
    c.primary = std::make_unique<node>(cfg.almanacd, base + "-p", token);
  } else {
    c.ha_port = free_port();
    c.primary = std::make_unique<node>(cfg.almanacd, base + "-p", token,
                                       primary_flags(c.ha_port, mode),
                                       std::vector<std::string>{secret_env});
    c.standby = start_standby(cfg, base + "-s", c.ha_port, "s");
    if (!wait_until([&] { return streaming(c.primary->port(), "s"); }, 30))
      die("the " + mode + " standby did not start streaming");
  }
  register_entities(c.primary->port(), token, cfg.entities);
  return c;
}

sample patch_run(uint16_t port, int producers, double seconds, int entities) {
  return run(
    producers,
    [&](int client) -> operation {
      auto conn = std::make_shared<http_conn>(port, token);
      auto rng = std::make_shared<std::mt19937>(client * 7919 + 1);
      return [conn, rng, client, entities](uint64_t seq) {
        auto urn = table_urn(static_cast<int>((*rng)() % entities));
        std::string body;
        auto json = R"({"description":)" + json_string(description(client, seq)) + "}";
        return conn->request("PATCH", "/api/v1/entities/" + urn, json, body) == 200;
      };
    },
    seconds);
}

struct write_figures {
  double per_s = 0, p50 = 0, p99 = 0;
  uint64_t errors = 0;
};

write_figures measure_writes(const cluster& c, int producers, const config& cfg) {
  auto s = patch_run(c.primary->port(), producers, cfg.seconds, cfg.entities);
  write_figures f{s.per_s(), s.percentile_ms(0.5), s.percentile_ms(0.99), s.errors};
  std::printf("  %-6s producers=%-3d writes/s=%8.0f  p50=%7.2f ms  p99=%7.2f ms  errors=%llu\n",
              c.mode.empty() ? "single" : c.mode.c_str(), producers, f.per_s, f.p50, f.p99,
              static_cast<unsigned long long>(f.errors));
  std::fflush(stdout);
  return f;
}

void load_queries(uint16_t port, int n) {
  http_conn c(port, token);
  std::string body;
  for (int sent = 0; sent < n;) {
    int k = std::min(1000, n - sent);
    std::string lines;
    for (int i = sent; i < sent + k; ++i)
      lines += R"({"sql": "insert into public.t)" + std::to_string(i % 40)
               + " select * from public.t" + std::to_string((i * 7 + 1) % 40)
               + R"(", "user": "u)" + std::to_string(i % 5) + "\"}\n";
    int st = c.request("POST", "/api/v1/queries?source=bench", lines, body);
    if (st != 202)
      die("loading queries: " + std::to_string(st) + " " + body);
    sent += k;
  }
}

/// The physical limit of a catch-up: `files` sent over a loopback socket
/// and written to `out_dir` with one fdatasync each. Returns MB/s.
double raw_copy_mb_s(const std::vector<fs::path>& files, const std::string& out_dir,
                     uint64_t& bytes) {
  fs::create_directories(out_dir);
  int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(ls, 1) != 0
      || ::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    die("raw copy: cannot listen");
  bytes = 0;
  for (auto& f : files)
    bytes += fs::file_size(f);
  auto t0 = clock_type::now();
  std::thread receiver([&] {
    int s = ::accept(ls, nullptr, nullptr);
    std::vector<char> buf(1 << 20);
    for (size_t i = 0; i < files.size(); ++i) {
      uint64_t size = 0;
      if (::recv(s, &size, sizeof(size), MSG_WAITALL) != sizeof(size))
        die("raw copy: short read");
      auto path = out_dir + "/" + files[i].filename().string();
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      while (size > 0) {
        auto n = ::recv(s, buf.data(), std::min<uint64_t>(size, buf.size()), 0);
        if (n <= 0)
          die("raw copy: connection lost");
        if (::write(fd, buf.data(), static_cast<size_t>(n)) != n)
          die("raw copy: write failed");
        size -= static_cast<uint64_t>(n);
      }
      ::fdatasync(fd);
      ::close(fd);
    }
    ::close(s);
  });
  int c = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    die("raw copy: cannot connect");
  std::vector<char> buf(1 << 20);
  for (auto& f : files) {
    uint64_t size = fs::file_size(f);
    ::send(c, &size, sizeof(size), 0);
    int fd = ::open(f.c_str(), O_RDONLY);
    for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;)
      for (ssize_t at = 0; at < n;) {
        auto w = ::send(c, buf.data() + at, static_cast<size_t>(n - at), 0);
        if (w <= 0)
          die("raw copy: send failed");
        at += w;
      }
    ::close(fd);
  }
  receiver.join();
  auto secs = since_ms(t0) / 1000.0;
  ::close(c);
  ::close(ls);
  return static_cast<double>(bytes) / 1e6 / secs;
}

struct failover_figures {
  double promote_ms = 0, write_ms = 0, search_ms = 0;
};

failover_figures failover(cluster& c, const config& cfg) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  auto port = c.primary->port();
  for (int w = 0; w < 8; ++w)
    writers.emplace_back([&, w] {
      http_conn conn(port, token);
      std::string body;
      for (uint64_t seq = 0; !stop; ++seq) {
        auto json = R"({"description":)" + json_string(description(w, seq)) + "}";
        if (conn.request("PATCH", "/api/v1/entities/" + table_urn(static_cast<int>(seq % 50)),
                         json, body) < 0)
          return; // the primary is gone
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(cfg.quick ? 500 : 1500));
  auto t0 = clock_type::now();
  c.primary->kill_now();
  stop = true;
  for (auto& t : writers)
    t.join();
  failover_figures f;
  auto sport = c.standby->port();
  http_conn conn(sport, token);
  std::string body;
  if (conn.request("POST", "/api/v1/admin/promote", "", body) != 200)
    die("promote: " + body);
  f.promote_ms = since_ms(t0);
  auto urn = table_urn(7);
  auto word = "failover" + std::to_string(std::random_device{}() % 100000) + "x";
  if (conn.request("PATCH", "/api/v1/entities/" + urn, R"({"description":"after )" + word + "\"}",
                   body) != 200)
    die("the first write after promotion failed: " + body);
  f.write_ms = since_ms(t0);
  if (!wait_until(
        [&] {
          std::string b;
          return conn.request("GET", "/api/v1/search?q=" + word, "", b) == 200
                 && b.find(urn) != std::string::npos;
        },
        10))
    die("the search never found the write after promotion");
  f.search_ms = since_ms(t0);
  return f;
}

config parse(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick") {
      cfg.quick = true;
      cfg.seconds = 1.0;
      cfg.entities = 200;
      cfg.events = 20000;
    } else if (a == "--almanacd") {
      cfg.almanacd = next();
    } else if (a == "--seconds") {
      cfg.seconds = std::stod(next());
    } else if (a == "--events") {
      cfg.events = std::stoi(next());
    } else if (a == "--dir") {
      cfg.dir = next();
    } else if (a == "--keep") {
      cfg.keep = true;
    } else if (a == "--help" || a == "-h") {
      std::puts(
        "ha_bench: write throughput and latency of a single node, an async pair and a\n"
        "sync pair at 1, 8 and 64 producers; catch-up of an empty standby against a raw\n"
        "copy of the same segments; failover time (kill, promote, write, search).\n"
        "  --almanacd PATH  the node (default build/runtime/almanacd)\n"
        "  --quick          1 s per figure, 20,000 catch-up events (under a minute)\n"
        "  --seconds S      seconds per write figure (default 5)\n"
        "  --events N       events the standby catches up with (default 200000)\n"
        "  --dir DIR        where the nodes' data goes (default: a temporary dir)\n"
        "  --keep           keep DIR afterwards\n"
        "example: build/benchmarks/ha_bench --quick");
      std::exit(0);
    } else {
      die("unknown argument " + a + " (see --help)");
    }
  }
  if (cfg.dir.empty()) {
    char tmpl[] = "/tmp/ha_bench-XXXXXX";
    if (!::mkdtemp(tmpl))
      die("cannot create a temporary directory");
    cfg.dir = tmpl;
  }
  return cfg;
}

} // namespace

int main(int argc, char** argv) {
  auto cfg = parse(argc, argv);
  std::printf("ha_bench: %s, %.1f s per figure, %d tables, data in %s\n",
              cfg.quick ? "quick" : "full", cfg.seconds, cfg.entities, cfg.dir.c_str());
  std::map<std::string, std::map<int, write_figures>> writes;
  double catchup_mb_s = 0, raw = 0;
  failover_figures f;
  for (std::string mode : {"", "async", "sync"}) {
    auto c = start_cluster(cfg, mode);
    patch_run(c.primary->port(), 8, cfg.quick ? 0.3 : 1.0, cfg.entities); // warm-up
    for (int p : cfg.producers)
      writes[mode.empty() ? "single" : mode][p] = measure_writes(c, p, cfg);
    if (mode != "async")
      continue;
    // Catch-up and failover on the async pair, with a fresh empty standby.
    c.standby.reset();
    std::printf("  loading %d query events into the primary...\n", cfg.events);
    std::fflush(stdout);
    load_queries(c.primary->port(), cfg.events);
    auto plog = get_json(c.primary->port(), "/api/v1/admin/log");
    uint64_t end = plog.value("end_offset", uint64_t{0});
    uint64_t end_pos = plog.value("end_position", uint64_t{0});
    auto t0 = clock_type::now();
    c.standby = start_standby(cfg, cfg.dir + "/catchup-s", c.ha_port, "s2");
    if (!wait_until([&] { return log_end(c.standby->port()) >= end; }, 300))
      die("the empty standby did not catch up within 300 s");
    double secs = since_ms(t0) / 1000.0;
    catchup_mb_s = static_cast<double>(end_pos) / 1e6 / secs;
    std::vector<fs::path> files;
    for (auto& e : fs::directory_iterator(cfg.dir + "/async-p/log"))
      if (e.path().extension() == ".log")
        files.push_back(e.path());
    uint64_t raw_bytes = 0;
    raw = raw_copy_mb_s(files, cfg.dir + "/raw-copy", raw_bytes);
    std::printf("  catch-up of an empty standby: %llu events, %.1f MB in %.2f s (from its "
                "start): %.1f MB/s, %.0f events/s; raw copy of the %zu segment files "
                "(%.1f MB) over loopback with fdatasync: %.1f MB/s; ratio %.2f\n",
                static_cast<unsigned long long>(end), end_pos / 1e6, secs, catchup_mb_s,
                end / secs, files.size(), raw_bytes / 1e6, raw, catchup_mb_s / raw);
    // A hot standby: streaming, and its projections (search included)
    // have applied everything it received.
    wait_until([&] { return streaming(c.primary->port(), "s2"); }, 30);
    if (!wait_until(
          [&] {
            auto j = get_json(c.standby->port(), "/monitor/replication");
            if (!j.is_object() || !j.contains("projections"))
              return false;
            for (auto& [name, p] : j["projections"].items())
              if (p.value("lag", uint64_t{1}) != 0)
                return false;
            return true;
          },
          300))
      die("the standby's projections did not catch up within 300 s");
    f = failover(c, cfg);
    std::printf("  failover (async pair, 8 writers): SIGKILL -> promote reply %.1f ms -> first "
                "acknowledged write %.1f ms -> search finds it %.1f ms\n",
                f.promote_ms, f.write_ms, f.search_ms);
  }
  std::fflush(stdout);
  if (!cfg.keep)
    fs::remove_all(cfg.dir);
  auto single = writes["single"][64].per_s;
  auto sync = writes["sync"][64].per_s;
  std::printf("targets: sync >= 0.5x single at 64 producers: %.2f; catch-up >= 0.5x raw copy: "
              "%.2f; failover < 1000 ms with a hot search: %.0f ms\n",
              sync / single, catchup_mb_s / raw, f.search_ms);
  std::printf("ha_bench: producers=64 single_per_s=%.0f async_per_s=%.0f sync_per_s=%.0f "
              "sync_vs_single=%.2f catchup_mb_s=%.1f raw_copy_mb_s=%.1f failover_ms=%.0f\n",
              single, writes["async"][64].per_s, sync, sync / single, catchup_mb_s, raw,
              f.search_ms);
  return 0;
}
