#include "messages/random.hpp"

#include "messages/error.hpp"

#include <openssl/rand.h>

namespace almanac {

caf::expected<std::string> random_hex(size_t bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  unsigned char buf[64];
  if (bytes > sizeof(buf) || RAND_bytes(buf, static_cast<int>(bytes)) != 1)
    return make_error(ec::unspecified, "cannot draw random bytes (RAND_bytes)");
  std::string out(bytes * 2, '0');
  for (size_t i = 0; i < bytes; ++i) {
    out[2 * i] = digits[buf[i] >> 4];
    out[2 * i + 1] = digits[buf[i] & 0xF];
  }
  return out;
}

} // namespace almanac
