#pragma once

// Node-local secrets (source passwords): <data_dir>/secrets.json, mode 0600.
// Secrets never enter the event log; events hold a reference
// ("secret:<name>") or the name of an environment variable instead.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <mutex>
#include <optional>
#include <string>

namespace almanac::sources {

/// The secrets file of one node. Thread-safe.
class secret_store {
public:
  explicit secret_store(std::string path);

  /// Stores `value` under `name`, durably (write, fsync, rename).
  caf::error put(const std::string& name, const std::string& value);

  /// Returns the secret `name`, if stored.
  std::optional<std::string> get(const std::string& name) const;

  /// Removes `name`.
  caf::error remove(const std::string& name);

private:
  caf::error write_locked(const std::string& text);
  std::string path_;
  mutable std::mutex mtx_;
};

/// Resolves a source's password from its connection attributes:
/// "password_env" (an environment variable, never one of Almanac's own
/// ALMANAC_*) or "password_ref" (the source's own secret, "source:<name>",
/// only). Fails naming what is missing or refused; the password itself is
/// never in a message.
caf::expected<std::string> resolve_password(const class secret_store& secrets,
                                            const std::string& source,
                                            const std::string& password_env,
                                            const std::string& password_ref);

} // namespace almanac::sources
