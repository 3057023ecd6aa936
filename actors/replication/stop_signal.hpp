#pragma once

// A stop request a replication thread can wait on with poll(2) next to its
// socket: an eventfd that raise() makes readable for good.

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>

namespace almanac::replication {

class stop_signal {
public:
  stop_signal() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  }

  ~stop_signal() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  stop_signal(const stop_signal&) = delete;
  stop_signal& operator=(const stop_signal&) = delete;

  /// Raises the signal; returns false if it was raised already.
  bool raise() {
    if (raised_.exchange(true))
      return false;
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof(one));
    return true;
  }

  bool raised() const {
    return raised_;
  }

  /// Readable once raised.
  int fd() const {
    return fd_;
  }

private:
  int fd_;
  std::atomic<bool> raised_{false};
};

} // namespace almanac::replication
