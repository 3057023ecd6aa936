#pragma once

// Almanac's node-local configuration: one schema of settings, each with a
// default, a one-line description and a validator. Values come from (lowest to
// highest precedence) the defaults, a TOML file, ALMANAC_* environment
// variables and command-line flags. Configuration that must be equal on a
// primary and its standby (sources, schedules, tokens) lives in the event log
// instead, not here.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace almanac::config {

/// The type of a setting's value.
/// How a setting's value is parsed; `optional` is a string that may be empty.
enum class value_kind { string, uint, boolean, choice, endpoint, optional };

/// One entry of the configuration schema.
struct setting_spec {
  std::string key;          ///< Dotted key, e.g. "http.listen".
  value_kind kind;          ///< How the value is parsed and validated.
  std::string default_value;///< The default, in its textual form.
  std::string description;  ///< One line, shown by --help and --print-config.
  uint64_t min = 0;         ///< Inclusive lower bound for uint settings.
  uint64_t max = UINT64_MAX;///< Inclusive upper bound for uint settings.
  std::vector<std::string> choices; ///< Allowed values for choice settings.
};

/// Returns every setting Almanac knows, in display order.
const std::vector<setting_spec>& schema();

/// Returns the spec of `key`, or nullptr if there is no such setting.
const setting_spec* find_spec(const std::string& key);

/// The command-line flag of a key: "http.max_body_bytes" -> "--http-max-body-bytes".
std::string flag_name(const std::string& key);

/// The environment variable of a key: "http.listen" -> "ALMANAC_HTTP_LISTEN".
std::string env_name(const std::string& key);

/// Checks `value` against the spec of `key`; the error names both.
caf::error validate(const std::string& key, const std::string& value);

/// The effective configuration: every key has a validated value and an origin.
class settings {
public:
  /// Creates settings holding every default.
  settings();

  /// Sets `key` to `value` after validation; `origin` says where it came from.
  caf::error set(const std::string& key, const std::string& value,
                 const std::string& origin);

  /// Returns the textual value of `key` (which must exist in the schema).
  const std::string& get(const std::string& key) const;

  /// Returns a uint setting.
  uint64_t get_uint(const std::string& key) const;

  /// Returns a boolean setting.
  bool get_bool(const std::string& key) const;

  /// Returns where the value of `key` came from: default, file, env or flag.
  const std::string& origin(const std::string& key) const;

  /// Renders the effective configuration as a commented TOML document.
  std::string to_toml() const;

private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> origins_;
};

/// Sources of configuration for `load()`.
struct sources {
  std::string file;                         ///< TOML file; empty for none.
  std::map<std::string, std::string> env;   ///< Environment (all variables).
  std::map<std::string, std::string> flags; ///< Key -> value from the command line.
};

/// Loads settings: defaults < file < environment < flags. Any bad key or value
/// fails with ec::invalid_config naming the key, the value and where it came from.
caf::expected<settings> load(const sources& src);

/// Returns the current process environment as a map.
std::map<std::string, std::string> process_environment();

/// Parses "host:port" into its parts; fails naming the value.
caf::error parse_endpoint(const std::string& value, std::string& host,
                          uint16_t& port);

} // namespace almanac::config
