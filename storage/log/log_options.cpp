#include "storage/log/log_options.hpp"

namespace almanac::storage {

std::optional<fsync_policy> parse_fsync_policy(const std::string& x) {
  if (x == "always")
    return fsync_policy::always;
  if (x == "interval")
    return fsync_policy::interval;
  return std::nullopt;
}

const char* to_string(fsync_policy x) {
  return x == fsync_policy::always ? "always" : "interval";
}

} // namespace almanac::storage
