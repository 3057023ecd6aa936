#include "storage/log/completion.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace almanac::storage {

namespace {

void futex(std::atomic<uint32_t>* word, int op, uint32_t value) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op | FUTEX_PRIVATE_FLAG,
            value, nullptr, nullptr, 0);
}

} // namespace

void completion::post() {
  // The waiter may return (and free this object) as soon as it sees
  // `posted`; a wake on its address after that is harmless: futex wakes are
  // allowed to be spurious and every waiter re-checks its word.
  if (state_.exchange(posted, std::memory_order_acq_rel) == sleeping)
    futex(&state_, FUTEX_WAKE, 1);
}

void completion::wait() {
  auto expected = empty;
  if (!state_.compare_exchange_strong(expected, sleeping,
                                      std::memory_order_acq_rel))
    return; // already posted
  while (state_.load(std::memory_order_acquire) == sleeping)
    futex(&state_, FUTEX_WAIT, sleeping);
}

} // namespace almanac::storage
