#include "storage/log/file.hpp"

#include "messages/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace almanac::storage {

file::file(file&& other) noexcept
  : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

file& file::operator=(file&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

file::~file() {
  close();
}

caf::expected<file> file::open(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0)
    return errno_error("cannot open", path);
  file result;
  result.fd_ = fd;
  result.path_ = path;
  return result;
}

caf::expected<size_t> file::read_at(char* buf, size_t size,
                                    uint64_t pos) const {
  size_t done = 0;
  while (done < size) {
    auto n = ::pread(fd_, buf + done, size - done,
                     static_cast<off_t>(pos + done));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno_error("cannot read", path_);
    }
    if (n == 0)
      break;
    done += static_cast<size_t>(n);
  }
  return done;
}

namespace {

/// Calls `write_some(done)` until all `size` bytes are written.
template <class F>
caf::error write_fully(size_t size, const std::string& path, F write_some) {
  size_t done = 0;
  while (done < size) {
    auto n = write_some(done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno_error("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return caf::none;
}

} // namespace

caf::error file::write_at(const char* buf, size_t size, uint64_t pos) {
  return write_fully(size, path_, [&](size_t done) {
    return ::pwrite(fd_, buf + done, size - done,
                    static_cast<off_t>(pos + done));
  });
}

caf::error file::append(const char* buf, size_t size) {
  return write_fully(size, path_, [&](size_t done) {
    return ::write(fd_, buf + done, size - done);
  });
}

caf::error file::sync() {
  if (::fdatasync(fd_) != 0)
    return errno_error("cannot fdatasync", path_);
  return caf::none;
}

caf::error file::truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    return errno_error("cannot truncate", path_);
  return caf::none;
}

caf::expected<uint64_t> file::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0)
    return errno_error("cannot stat", path_);
  return static_cast<uint64_t>(st.st_size);
}

void file::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

caf::error errno_error(const std::string& what, const std::string& path) {
  int code = errno;
  return make_error(code == ENOSPC || code == EDQUOT ? ec::storage_full : ec::io_error,
                    what + " " + path + ": " + std::strerror(code));
}

caf::error sync_directory(const std::string& dir) {
  auto f = file::open(dir, O_RDONLY | O_DIRECTORY);
  if (!f)
    return std::move(f.error());
  if (::fsync(f->fd()) != 0)
    return errno_error("cannot fsync directory", dir);
  return caf::none;
}

caf::error write_file_atomically(const std::string& dir,
                                 const std::string& path,
                                 const std::string& data, int mode) {
  auto tmp = path + ".tmp";
  {
    auto f = file::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (!f)
      return std::move(f.error());
    if (auto err = f->write_at(data.data(), data.size(), 0))
      return err;
    if (auto err = f->sync())
      return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return errno_error("cannot rename to", path);
  return sync_directory(dir);
}

caf::expected<std::string> read_whole_file(const std::string& path) {
  auto f = file::open(path, O_RDONLY);
  if (!f)
    return std::move(f.error());
  auto size = f->size();
  if (!size)
    return std::move(size.error());
  std::string data(*size, '\0');
  auto n = f->read_at(data.data(), data.size(), 0);
  if (!n)
    return std::move(n.error());
  data.resize(*n);
  return data;
}

} // namespace almanac::storage
