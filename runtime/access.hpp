#pragma once

// Who may do what: roles, principals, and the table of bearer-token hashes
// the gateway authenticates against. Tokens are only ever compared and
// stored as SHA-256 hashes. Part of the runtime (the node context holds the
// table), so that nothing below the gateway includes the gateway.

#include <caf/expected.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace almanac::runtime {

/// Roles, ordered: each includes the rights of the ones before it.
enum class role { viewer = 1, steward = 2, admin = 3 };

/// Returns "viewer", "steward" or "admin".
const char* to_string(role r);

/// Parses a role name.
std::optional<role> parse_role(const std::string& name);

/// Who is making a request.
struct principal {
  std::string user;
  role level = role::viewer;
};

/// Returns the lowercase hex SHA-256 of `token`.
std::string hash_token(const std::string& token);

/// Returns a new random token (32 random bytes as 64 hex digits).
caf::expected<std::string> generate_token();

/// Maps token hashes to principals. Thread-safe.
class token_table {
public:
  /// Adds or replaces the principal of a token hash.
  void put(const std::string& token_hash, principal who);

  /// Removes a token hash.
  void revoke(const std::string& token_hash);

  /// Looks up the principal of a plain token: the table first, then the
  /// fallback (the catalog's issued tokens).
  std::optional<principal> find(const std::string& token) const;

  /// Sets where tokens not in the table are looked up, by their hash.
  void set_fallback(std::function<std::optional<principal>(const std::string&)> fn);

private:
  mutable std::mutex mtx_;
  std::map<std::string, principal> by_hash_;
  std::function<std::optional<principal>(const std::string&)> fallback_;
};

} // namespace almanac::runtime
