#pragma once

// Random secrets and ids: one generator (OpenSSL's RAND_bytes) for tokens,
// token ids, schedule ids and Compose execution ids.

#include <caf/expected.hpp>

#include <cstddef>
#include <string>

namespace almanac {

/// `bytes` random bytes (at most 64) as lowercase hex; an error (never an
/// exception) if the system cannot draw them.
caf::expected<std::string> random_hex(size_t bytes);

} // namespace almanac
