#include "actors/http/auth.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace almanac::http {

const char* to_string(role r) {
  switch (r) {
    case role::viewer: return "viewer";
    case role::steward: return "steward";
    case role::admin: return "admin";
  }
  return "viewer";
}

std::optional<role> parse_role(const std::string& name) {
  if (name == "viewer")
    return role::viewer;
  if (name == "steward")
    return role::steward;
  if (name == "admin")
    return role::admin;
  return std::nullopt;
}

namespace {

std::string hex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xF];
  }
  return out;
}

} // namespace

std::string hash_token(const std::string& token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr);
  return hex(md, len);
}

std::string generate_token() {
  unsigned char buf[32];
  if (RAND_bytes(buf, sizeof(buf)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return hex(buf, sizeof(buf));
}

void token_table::put(const std::string& token_hash, principal who) {
  std::lock_guard<std::mutex> guard{mtx_};
  by_hash_[token_hash] = std::move(who);
}

void token_table::revoke(const std::string& token_hash) {
  std::lock_guard<std::mutex> guard{mtx_};
  by_hash_.erase(token_hash);
}

std::optional<principal> token_table::find(const std::string& token) const {
  auto h = hash_token(token);
  std::function<std::optional<principal>(const std::string&)> fallback;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = by_hash_.find(h);
    if (i != by_hash_.end())
      return i->second;
    fallback = fallback_;
  }
  return fallback ? fallback(h) : std::nullopt;
}

void token_table::set_fallback(
  std::function<std::optional<principal>(const std::string&)> fn) {
  std::lock_guard<std::mutex> guard{mtx_};
  fallback_ = std::move(fn);
}

} // namespace almanac::http
