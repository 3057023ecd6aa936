#include "runtime/access.hpp"
#include "messages/digest.hpp"
#include "messages/random.hpp"

namespace almanac::runtime {

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


std::string hash_token(const std::string& token) {
  return sha256_hex(token);
}

caf::expected<std::string> generate_token() {
  return random_hex(32);
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

} // namespace almanac::runtime
