#pragma once

// Keeps a fault that repeats thousands of times a second (a full disk
// refusing every write) from flooding the server log: one line per
// interval, with the count of those held back.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace almanac {

class log_limit {
public:
  explicit log_limit(std::chrono::milliseconds interval = std::chrono::seconds(10))
    : interval_ms_(interval.count()) {
  }

  /// Whether to log now. When true, `held` is how many were held back
  /// since the last line; when false the message is counted. Thread-safe.
  bool allow(uint64_t& held) {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
                 .count();
    auto next = next_ms_.load(std::memory_order_relaxed);
    if (now >= next
        && next_ms_.compare_exchange_strong(next, now + interval_ms_,
                                            std::memory_order_relaxed)) {
      held = held_.exchange(0, std::memory_order_relaxed);
      return true;
    }
    held_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

private:
  int64_t interval_ms_;
  std::atomic<int64_t> next_ms_{0};
  std::atomic<uint64_t> held_{0};
};

} // namespace almanac
