#include "actors/catalog/token.hpp"

#include "messages/error.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace almanac::catalog {

namespace {

std::string to_hex(const unsigned char* bytes, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0xF];
  }
  return out;
}

caf::expected<std::string> random_hex(size_t bytes) {
  unsigned char buf[64];
  if (bytes > sizeof(buf) || RAND_bytes(buf, static_cast<int>(bytes)) != 1)
    return make_error(ec::unspecified, "cannot draw random bytes (RAND_bytes)");
  return to_hex(buf, bytes);
}

} // namespace

std::string token_hash(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr);
  return to_hex(digest, size);
}

caf::expected<std::string> new_token() {
  return random_hex(32);
}

caf::expected<std::string> new_token_id() {
  auto hex = random_hex(8);
  if (!hex)
    return hex.error();
  return "tok-" + *hex;
}

} // namespace almanac::catalog
