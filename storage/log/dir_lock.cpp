#include "storage/log/dir_lock.hpp"

#include "messages/error.hpp"
#include "storage/log/file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace almanac::storage {

dir_lock::dir_lock(dir_lock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

dir_lock& dir_lock::operator=(dir_lock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

dir_lock::~dir_lock() {
  release();
}

caf::expected<dir_lock> dir_lock::acquire(const std::string& dir) {
  auto path = dir + "/LOCK";
  // Each acquire opens its own file description, so two opens in one
  // process conflict just like two processes do.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno_error("cannot open lock file", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto code = errno;
    std::string holder;
    char buf[32] = {};
    auto n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    if (n > 0)
      holder = std::string{buf, static_cast<size_t>(n)};
    ::close(fd);
    if (code == EWOULDBLOCK) {
      std::string msg = "log directory " + dir + " is locked by another "
                        + "process";
      if (!holder.empty())
        msg += " (pid " + holder + ")";
      return make_error(ec::locked, std::move(msg));
    }
    errno = code;
    return errno_error("cannot lock", path);
  }
  // Record the holder for the message above; the lock is what counts.
  auto pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Only cosmetic: the error message of a second opener lacks the pid.
  }
  dir_lock result;
  result.fd_ = fd;
  return result;
}

void dir_lock::release() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
}

} // namespace almanac::storage
