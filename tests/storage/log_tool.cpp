// A tiny stand-in for `almanac log ...`, for process-level tests:
//
//   log_tool append DATA_DIR TYPE [KEY]   < one JSON payload per line
//   log_tool dump DATA_DIR [FROM [TO]]
//   log_tool stat DATA_DIR
//
// The log lives in DATA_DIR/log, as on a node.

#include "storage/log/log_commands.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

int usage() {
  std::cerr << "usage: log_tool append DATA_DIR TYPE [KEY]\n"
               "       log_tool dump DATA_DIR [FROM [TO]]\n"
               "       log_tool stat DATA_DIR\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  // Diagnostics go to stderr; stdout carries only the command's output.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("stderr"));
  spdlog::set_level(spdlog::level::warn);
  if (argc < 3)
    return usage();
  std::string cmd = argv[1];
  std::string dir = argv[2];
  using namespace almanac::storage;
  if (cmd == "append" && (argc == 4 || argc == 5))
    return log_append(dir, argv[3], argc == 5 ? argv[4] : "", std::cin,
                      std::cout, std::cerr);
  if (cmd == "dump" && argc <= 5) {
    uint64_t from = argc >= 4 ? std::strtoull(argv[3], nullptr, 10) : 0;
    std::optional<uint64_t> to;
    if (argc == 5)
      to = std::strtoull(argv[4], nullptr, 10);
    return log_dump(dir, from, to, std::cout, std::cerr);
  }
  if (cmd == "stat" && argc == 3)
    return log_stat(dir, std::cout, std::cerr);
  return usage();
}
