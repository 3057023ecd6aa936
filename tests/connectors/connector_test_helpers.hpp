#pragma once

// Shared by the connector suites: printing error codes, checking errors, and
// the PostgreSQL connection that scripts/pg-test puts in the environment.

#include <boost/test/unit_test.hpp>

#include "connectors/connector.hpp"
#include "messages/error.hpp"

#include <cstdlib>
#include <ostream>
#include <string>

namespace almanac {

inline std::ostream& operator<<(std::ostream& os, ec x) {
  return os << to_string(x);
}

} // namespace almanac

namespace almanac::connectors::test {

/// Checks that `result` failed with `code` and a message containing `needle`;
/// returns the message.
template <class T>
std::string expect_error(const caf::expected<T>& result, ec code,
                         const std::string& needle = {}) {
  BOOST_REQUIRE_MESSAGE(!result, "succeeded; expected " << to_string(code));
  auto msg = message_of(result.error());
  BOOST_CHECK_MESSAGE(code_of(result.error()) == code,
                      "got " << render(result.error()) << "; expected "
                             << to_string(code));
  BOOST_CHECK_MESSAGE(msg.find(needle) != std::string::npos,
                      "message '" << msg << "' lacks '" << needle << "'");
  return msg;
}

/// An environment variable set by scripts/pg-test.
inline std::string pg_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr)
    BOOST_FAIL(std::string{name} + " is not set: run under scripts/pg-test run -- ...");
  return v;
}

/// The pagila database as the password-protected role `almanac` over TCP.
inline source_config pagila() {
  source_config cfg;
  cfg.name = "pagila";
  cfg.kind = "postgresql";
  cfg.dsn = pg_env("PGTEST_TCP_DSN");
  cfg.password = pg_env("PGTEST_PASSWORD");
  return cfg;
}

/// The pagila database as the superuser over the unix socket (no password).
inline source_config pagila_superuser() {
  source_config cfg;
  cfg.name = "pagila-admin";
  cfg.kind = "postgresql";
  cfg.dsn = pg_env("PGTEST_DSN");
  return cfg;
}

/// Connects or fails the test.
inline std::unique_ptr<connector> must_connect(const source_config& cfg) {
  auto c = connect(cfg);
  BOOST_REQUIRE_MESSAGE(c, "connect failed: " << render(c.error()));
  return std::move(*c);
}

/// Runs a statement that must succeed (read-write).
inline query_result must_run(connector& c, const std::string& sql) {
  query_options opts;
  opts.read_only = false;
  auto r = c.query(sql, opts);
  BOOST_REQUIRE_MESSAGE(r, sql << ": " << render(r.error()));
  return std::move(*r);
}

} // namespace almanac::connectors::test
