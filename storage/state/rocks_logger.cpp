#include "storage/state/rocks_logger.hpp"

#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace almanac::storage {

namespace {

class spdlog_rocks_logger : public rocksdb::Logger {
public:
  spdlog_rocks_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {
    // nop
  }

  using rocksdb::Logger::Logv;

  void Logv(const char* format, va_list ap) override {
    // Lines without a level (its header, its option dumps) are informational.
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }

  void Logv(const rocksdb::InfoLogLevel level, const char* format,
            va_list ap) override {
    if (level < GetInfoLogLevel())
      return;
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    auto n = std::vsnprintf(buf, sizeof buf, format, copy);
    va_end(copy);
    if (n < 0)
      return;
    std::string_view line{buf, std::min(static_cast<size_t>(n), sizeof buf - 1)};
    // Opening a store that does not exist yet (its first start) is not an
    // error to report, though RocksDB logs one for its missing directory.
    if (line.find(" dir NotFound") != std::string_view::npos) {
      spdlog::debug("[rocksdb] {}", line);
      return;
    }
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL)
      spdlog::error("[rocksdb] {}", line);
    else
      spdlog::warn("[rocksdb] {}", line);
  }
};

} // namespace

std::shared_ptr<rocksdb::Logger> make_rocks_logger() {
  return std::make_shared<spdlog_rocks_logger>();
}

} // namespace almanac::storage
