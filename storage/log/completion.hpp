#pragma once

// A one-shot signal from the log's threads to one blocked caller, costing at
// most one futex wait and one futex wake (std::promise adds a pthread_once
// wake per use, which shows at hundreds of thousands of appends a second).

#include <atomic>
#include <cstdint>

namespace almanac::storage {

/// Lets one thread wait until another posts, once.
class completion {
public:
  /// Wakes the waiter (or lets wait() return at once). Call exactly once.
  void post();

  /// Returns after post(). Call at most once, from one thread.
  void wait();

private:
  static constexpr uint32_t empty = 0;
  static constexpr uint32_t posted = 1;
  static constexpr uint32_t sleeping = 2;
  std::atomic<uint32_t> state_{empty};
};

} // namespace almanac::storage
