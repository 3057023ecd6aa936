#pragma once

// The space-saving heavy-hitters sketch (Metwally, Agrawal, El Abbadi 2005).
// It monitors at most `capacity` keys. An unmonitored key evicts the key with
// the smallest counter and inherits that count as its overestimate. For every
// monitored key, count - error <= true count <= count; every key whose true
// count exceeds total / capacity is monitored. Counters sit in a min-heap, so
// an update costs O(log capacity).

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace almanac::profiling {

/// A space-saving sketch of string keys.
class space_saving {
public:
  /// One monitored key.
  struct counter {
    std::string key;
    uint64_t count = 0; ///< An upper bound of the key's true count.
    uint64_t error = 0; ///< count - error is a lower bound.
  };

  explicit space_saving(size_t capacity);

  /// Counts one occurrence of `key`.
  void add(const std::string& key) { add(key, 1, 0); }

  /// Counts `n` occurrences of `key` whose count is already overestimated by
  /// `error` (0 when exact: seeding from exact counts). Seeding with the
  /// largest exact counts first keeps the sketch's guarantees.
  void add(const std::string& key, uint64_t n, uint64_t error);

  /// The `k` largest counters, by count descending, then key ascending.
  std::vector<counter> top(size_t k) const;

  /// Number of occurrences counted in total.
  uint64_t total() const noexcept { return total_; }

  size_t capacity() const noexcept { return capacity_; }

private:
  void sift_down(size_t i);
  void sift_up(size_t i);
  void swap_nodes(size_t a, size_t b);

  size_t capacity_;
  uint64_t total_ = 0;
  std::vector<counter> heap_;                     ///< Min-heap by count.
  std::unordered_map<std::string, size_t> where_; ///< key -> index in heap_.
};

} // namespace almanac::profiling
