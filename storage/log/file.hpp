#pragma once

// A POSIX file descriptor with the few operations the log needs. Every
// failure comes back as ec::io_error naming the operation and the path.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace almanac::storage {

/// Owns one open file descriptor; closes it on destruction.
class file {
public:
  file() = default;
  file(file&& other) noexcept;
  file& operator=(file&& other) noexcept;
  file(const file&) = delete;
  file& operator=(const file&) = delete;
  ~file();

  /// Opens `path` with open(2) `flags` (O_CLOEXEC is added).
  static caf::expected<file> open(const std::string& path, int flags,
                                  int mode = 0644);

  /// Returns whether the descriptor is open.
  bool is_open() const {
    return fd_ >= 0;
  }

  int fd() const {
    return fd_;
  }

  const std::string& path() const {
    return path_;
  }

  /// Reads up to `size` bytes at `pos`, fewer only at end of file.
  caf::expected<size_t> read_at(char* buf, size_t size, uint64_t pos) const;

  /// Writes all `size` bytes at `pos`.
  caf::error write_at(const char* buf, size_t size, uint64_t pos);

  /// Appends all `size` bytes at the current end (for O_APPEND files).
  caf::error append(const char* buf, size_t size);

  /// Flushes the file's data (fdatasync).
  caf::error sync();

  /// Cuts or extends the file to `size` bytes.
  caf::error truncate(uint64_t size);

  /// Returns the current size of the file.
  caf::expected<uint64_t> size() const;

  /// Closes the descriptor now (errors are ignored; data was synced or is
  /// allowed to be lost).
  void close();

private:
  int fd_ = -1;
  std::string path_;
};

/// Returns an ec::io_error for the current errno: "<what> <path>: <reason>".
caf::error errno_error(const std::string& what, const std::string& path);

/// Flushes a directory so that files created or renamed in it survive a crash.
caf::error sync_directory(const std::string& dir);

/// Replaces `path` atomically with `data`: writes a temporary file (with
/// `mode`), syncs it, renames it over `path` and syncs the directory `dir`.
caf::error write_file_atomically(const std::string& dir,
                                 const std::string& path,
                                 const std::string& data, int mode = 0644);

/// Reads a whole (small) file.
caf::expected<std::string> read_whole_file(const std::string& path);

} // namespace almanac::storage
