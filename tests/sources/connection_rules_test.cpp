// The rules a source's connection follows (issue 10): what the sources API
// refuses before anything reaches the log, and what resolve_password
// refuses when an older log holds it anyway.
#define BOOST_TEST_MODULE sources_connection_rules
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/sources/connection_rules.hpp"
#include "actors/sources/secrets.hpp"
#include "messages/error.hpp"

#include <cstdlib>
#include <filesystem>

#include <ostream>

namespace almanac {
inline std::ostream& operator<<(std::ostream& os, ec x) {
  return os << to_string(x);
}
} // namespace almanac

using namespace almanac;
using namespace almanac::sources;
using nlohmann::json;

namespace {

caf::expected<json> from(const json& body, json base = json::object(), bool partial = false) {
  std::optional<std::string> password;
  return connection_from(body, partial, std::move(base), password);
}

std::string msg(const caf::expected<json>& x) {
  return x ? std::string{} : message_of(x.error());
}

} // namespace

BOOST_AUTO_TEST_CASE(password_env_is_never_one_of_almanacs_own_variables) {
  BOOST_TEST(!check_password_env("PAGILA_PW"));
  BOOST_TEST(!check_password_env("_pw2"));
  for (auto var : {"ALMANAC_ADMIN_TOKEN", "ALMANAC_TOKEN", "almanac_admin_token",
                   "Almanac_X"}) {
    auto err = check_password_env(var);
    BOOST_TEST_CONTEXT(var) {
      BOOST_TEST(code_of(err) == ec::invalid_argument);
      BOOST_TEST(message_of(err).find("ALMANAC_*") != std::string::npos);
    }
  }
  for (auto var : {"", "1PW", "PW=x", "A B", "PW;rm"})
    BOOST_TEST_CONTEXT(var) {
      BOOST_TEST(code_of(check_password_env(var)) == ec::invalid_argument);
    }
}

BOOST_AUTO_TEST_CASE(bodies_are_checked_before_they_become_a_connection) {
  auto ok = from({{"name", "p"}, {"kind", "postgresql"}, {"dsn", "host=db dbname=p"},
                  {"password_env", "P_PW"}});
  BOOST_REQUIRE_MESSAGE(ok, msg(ok));
  BOOST_TEST(!compose_allows_privileged(*ok));
  auto admin = from({{"kind", "postgresql"}, {"dsn", "host=db"},
                     {"password_env", "ALMANAC_ADMIN_TOKEN"}});
  BOOST_TEST(msg(admin).find("password_env") != std::string::npos);
  auto uri = from({{"kind", "postgresql"}, {"dsn", "postgresql://u:PW9@db/x"}});
  BOOST_TEST(code_of(uri.error()) == ec::invalid_argument);
  BOOST_TEST(msg(uri).find("PW9") == std::string::npos);
  // No way to name a secret: password_ref is not a field of the API.
  auto ref = from({{"kind", "sqlite"}, {"path", "/x.db"}, {"password_ref", "source:other"}});
  BOOST_TEST(code_of(ref.error()) == ec::bad_request);
  // compose.allow_privileged, also in a PATCH over the stored connection.
  auto allow = from({{"compose", {{"allow_privileged", true}}}}, *ok, true);
  BOOST_REQUIRE_MESSAGE(allow, msg(allow));
  BOOST_TEST(compose_allows_privileged(*allow));
  BOOST_TEST((*allow)["dsn"] == "host=db dbname=p");
  BOOST_TEST(code_of(from({{"compose", {{"allow_privileged", "yes"}}}}, *ok, true).error())
             == ec::bad_request);
  BOOST_TEST(code_of(from({{"compose", {{"sandbox", true}}}}, *ok, true).error())
             == ec::bad_request);
  // A stored password_env from before the rule is refused on any PATCH.
  auto legacy = *ok;
  legacy["password_env"] = "ALMANAC_ADMIN_TOKEN";
  BOOST_TEST(!from({{"description", "x"}}, legacy, true));
  BOOST_TEST(static_cast<bool>(from({{"password", "new"}}, legacy, true))); // replaces it
}

BOOST_AUTO_TEST_CASE(resolving_refuses_what_an_older_log_may_hold) {
  auto dir = std::filesystem::temp_directory_path() / "almanac-rules-test";
  std::filesystem::create_directories(dir);
  secret_store secrets{(dir / "secrets.json").string()};
  BOOST_REQUIRE(!secrets.put("source:a", "pw-a"));
  BOOST_REQUIRE(!secrets.put("source:b", "pw-b"));
  ::setenv("ALMANAC_ADMIN_TOKEN", "the-admin-token", 1);
  ::setenv("B_PW", "pw-env", 1);
  auto own = resolve_password(secrets, "a", "", "source:a");
  BOOST_TEST((own && *own == "pw-a"));
  auto other = resolve_password(secrets, "a", "", "source:b");
  BOOST_REQUIRE(!other);
  BOOST_TEST(code_of(other.error()) == ec::forbidden);
  BOOST_TEST(message_of(other.error()).find("pw-b") == std::string::npos);
  auto token = resolve_password(secrets, "a", "ALMANAC_ADMIN_TOKEN", "");
  BOOST_REQUIRE(!token);
  BOOST_TEST(code_of(token.error()) == ec::forbidden);
  BOOST_TEST(message_of(token.error()).find("the-admin-token") == std::string::npos);
  auto env = resolve_password(secrets, "b", "B_PW", "");
  BOOST_TEST((env && *env == "pw-env"));
  std::filesystem::remove_all(dir);
}
