#pragma once

// Exclusive ownership of a log directory: flock(2) on its LOCK file. The
// kernel drops the lock when the holder exits, however it exits, so a crash
// never leaves a stale lock behind.

#include <caf/expected.hpp>

#include <string>

namespace almanac::storage {

/// Holds the lock on one directory until destroyed.
class dir_lock {
public:
  dir_lock() = default;
  dir_lock(dir_lock&& other) noexcept;
  dir_lock& operator=(dir_lock&& other) noexcept;
  dir_lock(const dir_lock&) = delete;
  dir_lock& operator=(const dir_lock&) = delete;
  ~dir_lock();

  /// Locks `dir` (which must exist) without waiting. Fails with ec::locked,
  /// naming the directory and the holder's pid, if another process or
  /// another open log in this process holds it.
  static caf::expected<dir_lock> acquire(const std::string& dir);

  /// Releases the lock now.
  void release();

private:
  int fd_ = -1;
};

} // namespace almanac::storage
