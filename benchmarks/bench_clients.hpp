#pragma once

// Concurrent clients for the HTTP benchmarks (api_bench, ha_bench): run an
// operation from N threads for a while, with each operation's latency.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace api_bench {

/// What one measured run observed.
struct sample {
  uint64_t ops = 0;
  uint64_t errors = 0;
  double seconds = 0;
  std::vector<uint32_t> latencies_us;

  void add(const sample& x) {
    ops += x.ops;
    errors += x.errors;
    seconds += x.seconds;
    latencies_us.insert(latencies_us.end(), x.latencies_us.begin(),
                        x.latencies_us.end());
  }

  double per_s() const {
    return seconds > 0 ? static_cast<double>(ops) / seconds : 0;
  }

  double percentile_ms(double p) {
    if (latencies_us.empty())
      return 0;
    auto k = static_cast<size_t>(p * static_cast<double>(latencies_us.size() - 1));
    std::nth_element(latencies_us.begin(), latencies_us.begin() + k,
                     latencies_us.end());
    return latencies_us[k] / 1000.0;
  }
};

/// One client's operation: returns whether it succeeded.
using operation = std::function<bool(uint64_t seq)>;

/// Runs `threads` clients, each with the operation `make(thread)` builds,
/// until `seconds` have passed or `quota` operations were claimed.
sample run(int threads, const std::function<operation(int)>& make,
           double seconds, uint64_t quota = UINT64_MAX);

/// The URN of bench table i (urn:almanac:table:bench.public.t<i>).
std::string table_urn(int i);

/// A Markdown description of a typical length (~150 bytes), unique per write.
std::string description(int client, uint64_t seq);

/// `s` as a JSON string literal.
std::string json_string(const std::string& s);

/// Registers source "bench" (SQLite), schema bench.public and `n` tables
/// through the API (8 clients); exits the benchmark on any error.
void register_entities(uint16_t port, const std::string& token, int n);

} // namespace api_bench
