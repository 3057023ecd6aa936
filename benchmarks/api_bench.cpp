// api_bench: the catalog's HTTP API on loopback against the event log alone,
// measured in the same run on the same disk.
//
//   1. Starts almanacd (a child process, fsync=always, fresh temp data dir)
//      and registers a source, a schema and --entities tables.
//   2. For C concurrent clients (1, 8, 32), each on its own keep-alive
//      connection: PATCH the description of random tables for S seconds
//      (writes/s, p50/p99 latency), and GET random tables for S seconds
//      (reads/s, p50/p99). Each S is cut in slices interleaved with the
//      baseline's, so that outside load falls on both alike.
//   3. Baseline: the same number of writes as the PATCH run, appended
//      straight to a segment_log (fsync=always) with append_sync() from C
//      threads, records shaped like the server's EntityEdited events. The
//      ratio patch/log is what HTTP, authentication, validation, the catalog
//      actor and the projection cost on top of the durable append.
//   4. Floor of a GET: GET /api/v1/whoami from C clients, on the same
//      listener: authentication, a handler thread and an answer, but no
//      projection read. get/whoami is what reading the entity costs on top.
//
// Noise: with one client an append_sync() is a wake-up of the log's writer
// and one of the producer per record; on a busy 2-core VM the 1-client log
// figure swings several-fold between runs (idle vCPUs wake slowly). The 8-
// and 32-client figures, where batches form, are steadier.
//
// usage: api_bench [--almanacd PATH] [--quick] [--seconds S] [--dir DIR]
//                  [--entities N] [--clients 1,8,32] [--keep]
// The last line is machine-readable (for clients=8, or the nearest run).

#include "api_bench_http.hpp"
#include "bench_clients.hpp"

#include "messages/error.hpp"
#include "messages/events.hpp"
#include "storage/log/segment_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace api_bench;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* token = "api-bench-token";

struct config {
  std::string almanacd = "build/runtime/almanacd";
  std::string dir;
  bool quick = false;
  bool keep = false;
  /// Measured seconds per client count and operation, in `slices` slices.
  double seconds = 6.0;
  int slices = 3;
  int entities = 1000;
  std::vector<int> clients{1, 8, 32};
};

/// PATCH workers: random tables, a new description each time.
std::function<operation(int)> patcher(uint16_t port, int entities,
                                      std::vector<std::string>& paths) {
  return [port, entities, &paths](int t) -> operation {
    auto conn = std::make_shared<http_conn>(port, token);
    auto rng = std::make_shared<std::mt19937_64>(0x9e3779b9u * (t + 1));
    auto body = std::make_shared<std::string>();
    return [=, &paths](uint64_t seq) {
      auto i = (*rng)() % static_cast<uint64_t>(entities);
      auto json = "{\"description\":" + json_string(description(t, seq)) + "}";
      return conn->request("PATCH", paths[i], json, *body) == 200;
    };
  };
}

/// GET workers: random tables.
std::function<operation(int)> getter(uint16_t port, int entities,
                                     std::vector<std::string>& paths) {
  return [port, entities, &paths](int t) -> operation {
    auto conn = std::make_shared<http_conn>(port, token);
    auto rng = std::make_shared<std::mt19937_64>(0x85ebca6bu * (t + 1));
    auto body = std::make_shared<std::string>();
    return [=, &paths](uint64_t) {
      auto i = (*rng)() % static_cast<uint64_t>(entities);
      return conn->request("GET", paths[i], "", *body) == 200
             && body->size() > 100;
    };
  };
}

/// Floor workers: GET /api/v1/whoami (authenticated, answered by a handler
/// that reads nothing), on the same listener.
std::function<operation(int)> floor_getter(uint16_t port) {
  return [port](int) -> operation {
    auto conn = std::make_shared<http_conn>(port, token);
    auto body = std::make_shared<std::string>();
    return [=](uint64_t) {
      return conn->request("GET", "/api/v1/whoami", "", *body) == 200 && body->size() > 10;
    };
  };
}

/// Log workers: append_sync() one EntityEdited-shaped record each.
std::function<operation(int)> appender(almanac::storage::segment_log& log,
                                       int entities) {
  static const auto type = almanac::event_tag("EntityEdited");
  return [&log, entities](int t) -> operation {
    auto rng = std::make_shared<std::mt19937_64>(0xc2b2ae35u * (t + 1));
    return [=, &log](uint64_t seq) {
      auto i = static_cast<int>((*rng)() % static_cast<uint64_t>(entities));
      auto urn = table_urn(i);
      almanac::storage::record_input r;
      r.type = type;
      r.key = urn;
      r.payload = "{\"fields\":{\"description\":" + json_string(description(t, seq))
                  + "},\"previous_version\":" + std::to_string(seq + 1)
                  + ",\"urn\":" + json_string(urn)
                  + ",\"user\":\"admin\",\"version\":" + std::to_string(seq + 2)
                  + "}";
      std::vector<almanac::storage::record_input> batch;
      batch.push_back(std::move(r));
      return static_cast<bool>(log.append_sync(std::move(batch)));
    };
  };
}

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss{s};
  std::string x;
  while (std::getline(ss, x, ','))
    if (!x.empty() && std::atoi(x.c_str()) > 0)
      out.push_back(std::atoi(x.c_str()));
  return out;
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  bool seconds_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      cfg.quick = true;
    } else if (arg == "--keep") {
      cfg.keep = true;
    } else if (arg == "--almanacd" && i + 1 < argc) {
      cfg.almanacd = argv[++i];
    } else if (arg == "--dir" && i + 1 < argc) {
      cfg.dir = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      cfg.seconds = std::atof(argv[++i]);
      seconds_set = true;
    } else if (arg == "--entities" && i + 1 < argc) {
      cfg.entities = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--clients" && i + 1 < argc) {
      cfg.clients = parse_list(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: api_bench [--almanacd PATH] [--quick] [--seconds S] "
                   "[--dir DIR] [--entities N] [--clients 1,8,32] [--keep]\n");
      return 2;
    }
  }
  if (cfg.clients.empty())
    die("--clients needs at least one positive number");
  if (cfg.quick) {
    if (!seconds_set)
      cfg.seconds = 2.0;
    cfg.slices = 2;
  }
  if (::access(cfg.almanacd.c_str(), X_OK) != 0)
    die("no almanacd at " + cfg.almanacd + " (give --almanacd PATH)");
  spdlog::set_level(spdlog::level::warn);
  std::string root;
  if (cfg.dir.empty()) {
    std::string tmpl = "/tmp/almanac-api-bench-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
      die("cannot create a temporary directory");
    root = tmpl;
  } else {
    root = cfg.dir + "/api_bench";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
  }
  std::printf("api_bench: %s, dir %s, %d tables, %.1f s per run in %d "
              "interleaved slices, fsync=always, %u cores\n",
              cfg.almanacd.c_str(), root.c_str(), cfg.entities, cfg.seconds,
              cfg.slices, std::thread::hardware_concurrency());
  std::fflush(stdout);

  struct row {
    int clients;
    sample patch, get, log, floor;
  };
  std::vector<row> rows;
  {
    node server(cfg.almanacd, root + "/data", token);
    auto t0 = clock_type::now();
    register_entities(server.port(), token, cfg.entities);
    std::printf("registered %d tables over HTTP in %.2f s\n", cfg.entities + 2,
                std::chrono::duration<double>(clock_type::now() - t0).count());
    std::vector<std::string> paths;
    for (int i = 0; i < cfg.entities; ++i)
      paths.push_back("/api/v1/entities/" + encode_urn(table_urn(i)));
    // Warm-up: connections, caches, the projection's RocksDB.
    run(8, patcher(server.port(), cfg.entities, paths), 0.5);
    run(8, getter(server.port(), cfg.entities, paths), 0.5);

    almanac::storage::log_options opts;
    opts.dir = root + "/baseline-log";
    auto log = almanac::storage::segment_log::open(opts);
    if (!log)
      die("cannot open the baseline log: " + almanac::render(log.error()));

    std::printf("%7s %10s %8s %8s %10s %8s %8s %13s %8s %8s %12s %10s %8s %8s %12s\n",
                "clients", "patch/s", "p50 ms", "p99 ms", "get/s", "p50 ms", "p99 ms",
                "log_append/s", "p50 ms", "p99 ms", "patch_vs_log", "whoami/s", "p50 ms",
                "p99 ms", "get_vs_floor");
    for (int c : cfg.clients) {
      row r{c, {}, {}, {}, {}};
      // Interleaved slices, so that load from elsewhere on the machine
      // falls on the API and on its baseline alike.
      for (int k = 0; k < cfg.slices; ++k) {
        auto slice = cfg.seconds / cfg.slices;
        auto patch = run(c, patcher(server.port(), cfg.entities, paths), slice);
        auto logged = run(c, appender(**log, cfg.entities), 0, patch.ops);
        auto get = run(c, getter(server.port(), cfg.entities, paths), slice);
        auto floor = run(c, floor_getter(server.port()), slice);
        r.patch.add(patch);
        r.floor.add(floor);
        r.log.add(logged);
        r.get.add(get);
      }
      if (r.patch.errors || r.get.errors || r.log.errors || r.floor.errors)
        die("errors: patch " + std::to_string(r.patch.errors) + ", get "
            + std::to_string(r.get.errors) + ", log " + std::to_string(r.log.errors)
            + " (see " + root + "/data.log)");
      std::printf("%7d %10.0f %8.2f %8.2f %10.0f %8.2f %8.2f %13.0f %8.2f %8.2f %12.3f "
                  "%10.0f %8.2f %8.2f %12.3f\n",
                  c, r.patch.per_s(), r.patch.percentile_ms(0.5),
                  r.patch.percentile_ms(0.99), r.get.per_s(),
                  r.get.percentile_ms(0.5), r.get.percentile_ms(0.99),
                  r.log.per_s(), r.log.percentile_ms(0.5),
                  r.log.percentile_ms(0.99),
                  r.log.per_s() > 0 ? r.patch.per_s() / r.log.per_s() : 0.0,
                  r.floor.per_s(), r.floor.percentile_ms(0.5), r.floor.percentile_ms(0.99),
                  r.floor.per_s() > 0 ? r.get.per_s() / r.floor.per_s() : 0.0);
      std::fflush(stdout);
      rows.push_back(std::move(r));
    }
    if (auto err = (*log)->close())
      die("closing the baseline log: " + almanac::render(err));
  } // stops almanacd
  std::printf("(log_append: the same number of writes as the PATCH run, "
              "EntityEdited-shaped records appended with append_sync() from as "
              "many threads; patch_vs_log = patch/s over log_append/s; whoami: GET "
              "/api/v1/whoami, a handler that reads nothing, on the same listener, the "
              "floor of a GET; get_vs_floor = get/s over whoami/s)\n");
  if (!cfg.keep)
    std::filesystem::remove_all(root);
  else
    std::printf("kept %s\n", root.c_str());
  auto best = std::min_element(rows.begin(), rows.end(), [](auto& a, auto& b) {
    return std::abs(a.clients - 8) < std::abs(b.clients - 8);
  });
  auto wide = std::max_element(rows.begin(), rows.end(),
                               [](auto& a, auto& b) { return a.clients < b.clients; });
  std::printf("api_bench: clients=%d patch_per_s=%.0f get_per_s=%.0f "
              "log_append_per_s=%.0f patch_vs_log=%.3f get_clients=%d get_vs_floor=%.3f\n",
              best->clients, best->patch.per_s(), best->get.per_s(),
              best->log.per_s(),
              best->log.per_s() > 0 ? best->patch.per_s() / best->log.per_s() : 0.0,
              wide->clients,
              wide->floor.per_s() > 0 ? wide->get.per_s() / wide->floor.per_s() : 0.0);
  return 0;
}
