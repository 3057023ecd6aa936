#pragma once

// The hand-over from producers to the writer thread: a lock-free
// multi-producer, single-consumer stack of heap nodes (each T has a
// `T* next` member). Producers never take a lock, so a burst of producers
// woken by one group commit does not pile up on a mutex; only the push that
// finds the inbox empty wakes the consumer.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace almanac::storage {

/// Multi-producer, single-consumer queue with a close protocol.
template <class T>
class request_inbox {
public:
  using clock_type = std::chrono::steady_clock;

  request_inbox() = default;
  request_inbox(const request_inbox&) = delete;
  request_inbox& operator=(const request_inbox&) = delete;

  ~request_inbox() {
    std::deque<std::unique_ptr<T>> rest;
    take_all(rest);
  }

  /// Pushes `node` (taking ownership) unless the inbox is closed; returns
  /// false, leaving `node` with the caller, if it is.
  bool push(std::unique_ptr<T>& node) {
    // Announce the push before checking `closed_`; close() sets `closed_`
    // before waiting for announced pushes (both seq_cst), so either this
    // push sees the close or close() waits for this push.
    pushers_.fetch_add(1);
    if (closed_.load()) {
      pushers_.fetch_sub(1);
      return false;
    }
    T* n = node.release();
    // Once the exchange succeeds the consumer may take `n` and free it: what
    // we still need (was the stack empty?) is kept in `old`, never read
    // back through `n` (AddressSanitizer caught that under the recovery
    // fuzzer).
    T* old = head_.load(std::memory_order_relaxed);
    do {
      n->next = old;
    } while (!head_.compare_exchange_weak(old, n, std::memory_order_release,
                                          std::memory_order_relaxed));
    bool was_empty = old == nullptr;
    pushers_.fetch_sub(1);
    if (was_empty)
      notify();
    return true;
  }

  /// Moves every pushed node, oldest first, to the back of `out`.
  void take_all(std::deque<std::unique_ptr<T>>& out) {
    T* n = head_.exchange(nullptr, std::memory_order_acquire);
    // The stack holds the newest first: reverse it.
    T* fifo = nullptr;
    while (n != nullptr) {
      T* next = n->next;
      n->next = fifo;
      fifo = n;
      n = next;
    }
    while (fifo != nullptr) {
      T* next = fifo->next;
      fifo->next = nullptr;
      out.emplace_back(fifo);
      fifo = next;
    }
  }

  /// Returns whether nothing is waiting to be taken.
  bool empty() const {
    return head_.load(std::memory_order_acquire) == nullptr;
  }

  /// Blocks the consumer until a push, a close or `deadline`.
  void wait_until(clock_type::time_point deadline) {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait_until(guard, deadline, [this] { return !empty() || closed(); });
  }

  /// Blocks the consumer until a push or a close.
  void wait() {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait(guard, [this] { return !empty() || closed(); });
  }

  /// Refuses further pushes, waits for pushes in progress and wakes the
  /// consumer.
  void close() {
    closed_.store(true);
    while (pushers_.load() > 0)
      std::this_thread::yield();
    notify();
  }

  bool closed() const {
    return closed_.load();
  }

  /// Returns whether the inbox is closed and no push is still in progress,
  /// so that one more take_all() gets everything that will ever be pushed.
  bool quiescent() const {
    return closed_.load() && pushers_.load() == 0;
  }

private:
  void notify() {
    // Taking the mutex orders this notify after the consumer's check of
    // empty() in wait(): no wake-up is lost.
    { std::lock_guard<std::mutex> guard{mtx_}; }
    cv_.notify_one();
  }

  std::atomic<T*> head_{nullptr};
  std::atomic<bool> closed_{false};
  std::atomic<int> pushers_{0};
  std::mutex mtx_;
  std::condition_variable cv_;
};

} // namespace almanac::storage
