#include "actors/profiling/space_saving.hpp"

#include <algorithm>
#include <utility>

namespace almanac::profiling {

space_saving::space_saving(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {
  heap_.reserve(capacity_);
  where_.reserve(capacity_);
}

void space_saving::add(const std::string& key, uint64_t n, uint64_t error) {
  total_ += n;
  if (auto i = where_.find(key); i != where_.end()) {
    heap_[i->second].count += n;
    heap_[i->second].error += error;
    sift_down(i->second);
    return;
  }
  if (heap_.size() < capacity_) {
    heap_.push_back(counter{key, n, error});
    where_.emplace(key, heap_.size() - 1);
    sift_up(heap_.size() - 1);
    return;
  }
  // Evict the smallest counter: the newcomer may have occurred up to that many
  // times unseen.
  auto& root = heap_.front();
  where_.erase(root.key);
  auto floor = root.count;
  root = counter{key, floor + n, floor + error};
  where_.emplace(key, 0);
  sift_down(0);
}

std::vector<space_saving::counter> space_saving::top(size_t k) const {
  std::vector<counter> all = heap_;
  auto by_rank = [](const counter& a, const counter& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  };
  k = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + k, all.end(), by_rank);
  all.resize(k);
  return all;
}

void space_saving::swap_nodes(size_t a, size_t b) {
  std::swap(heap_[a], heap_[b]);
  where_[heap_[a].key] = a;
  where_[heap_[b].key] = b;
}

void space_saving::sift_down(size_t i) {
  for (;;) {
    auto smallest = i;
    auto l = 2 * i + 1;
    auto r = l + 1;
    if (l < heap_.size() && heap_[l].count < heap_[smallest].count)
      smallest = l;
    if (r < heap_.size() && heap_[r].count < heap_[smallest].count)
      smallest = r;
    if (smallest == i)
      return;
    swap_nodes(i, smallest);
    i = smallest;
  }
}

void space_saving::sift_up(size_t i) {
  while (i > 0) {
    auto parent = (i - 1) / 2;
    if (heap_[parent].count <= heap_[i].count)
      return;
    swap_nodes(i, parent);
    i = parent;
  }
}

} // namespace almanac::profiling
