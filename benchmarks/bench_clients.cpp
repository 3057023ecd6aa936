#include "bench_clients.hpp"

#include "api_bench_http.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

namespace api_bench {

using clock_type = std::chrono::steady_clock;

/// Runs `threads` clients, each with the operation `make(thread)` builds,
/// until `seconds` have passed or `quota` operations were claimed.
sample run(int threads, const std::function<operation(int)>& make,
           double seconds, uint64_t quota) {
  std::atomic<uint64_t> claimed{0};
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::vector<uint32_t>> lat(threads);
  std::vector<uint64_t> errors(threads, 0);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      auto op = make(t);
      lat[t].reserve(1 << 16);
      ready.fetch_add(1);
      while (!go.load())
        std::this_thread::yield();
      while (!stop.load(std::memory_order_relaxed)) {
        auto n = claimed.fetch_add(1);
        if (n >= quota)
          break;
        auto t0 = clock_type::now();
        bool ok = op(n);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    clock_type::now() - t0)
                    .count();
        if (ok)
          lat[t].push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
        else
          ++errors[t];
      }
    });
  while (ready.load() < threads)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto start = clock_type::now();
  go = true;
  if (quota == UINT64_MAX) {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
  }
  for (auto& th : ts)
    th.join();
  sample s;
  s.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  for (int t = 0; t < threads; ++t) {
    s.latencies_us.insert(s.latencies_us.end(), lat[t].begin(), lat[t].end());
    s.errors += errors[t];
  }
  s.ops = s.latencies_us.size();
  return s;
}

std::string table_urn(int i) {
  return "urn:almanac:table:bench.public.t" + std::to_string(i);
}

std::string description(int client, uint64_t seq) {
  std::ostringstream os;
  os << "Orders placed through the **web shop**, one row per order line. "
        "Edited by bench client "
     << client << ", write " << seq << "; see `orders_archive` for older rows.";
  return os.str();
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

void register_entities(uint16_t port, const std::string& token, int n) {
  http_conn c(port, token);
  std::string body;
  auto post = [&](const std::string& json, const char* path = "/api/v1/entities") {
    int st = c.request("POST", path, json, body);
    if (st != 201)
      die("registering " + json + ": " + std::to_string(st) + " " + body);
  };
  // Sources are registered only through the sources API.
  post(R"({"name":"bench","kind":"sqlite","path":"/nonexistent/bench.db"})",
       "/api/v1/sources");
  post(R"({"urn":"urn:almanac:schema:bench.public","kind":"schema"})");
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&] {
      http_conn tc(port, token);
      std::string b;
      for (int i = next++; i < n; i = next++) {
        auto json = R"({"urn":")" + table_urn(i) + R"(","kind":"table"})";
        int st = tc.request("POST", "/api/v1/entities", json, b);
        if (st != 201)
          die("registering " + table_urn(i) + ": " + std::to_string(st) + " " + b);
      }
    });
  for (auto& th : ts)
    th.join();
}

} // namespace api_bench
