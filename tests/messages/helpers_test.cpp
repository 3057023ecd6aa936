// The vocabulary's helpers: SHA-256 (one for tokens, ids and digests),
// secret removal shared by entity reads and the event stream, and the log
// limit that keeps a repeating fault from flooding the server log.
#define BOOST_TEST_MODULE helpers
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "messages/digest.hpp"
#include "messages/log_limit.hpp"
#include "messages/redact.hpp"

#include <nlohmann/json.hpp>

#include <thread>

using namespace almanac;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(sha256_known_answers) {
  BOOST_TEST(sha256_hex("abc")
             == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha256 h;
  h.update("a");
  h.update("bc");
  BOOST_TEST(h.hex() == sha256_hex("abc"));
  // Fields are length-prefixed: ("ab","c") is not ("a","bc").
  sha256 x, y;
  x.field("ab");
  x.field("c");
  y.field("a");
  y.field("bc");
  BOOST_TEST(x.hex() != y.hex());
}

BOOST_AUTO_TEST_CASE(secrets_are_removed_wherever_they_sit) {
  json j = {{"urn", "urn:almanac:source:pg"},
            {"connection", {{"kind", "postgresql"}, {"dsn", "host=db"}, {"password_env", "PW"}}},
            {"nested", {{{"token_sha256", "ab12"}, {"id", "t1"}, {"password", "x"}}}}};
  json only_connections = j;
  redact_connections(only_connections);
  BOOST_TEST(only_connections["connection"] == (json{{"kind", "postgresql"}, {"redacted", true}}));
  BOOST_TEST(only_connections["nested"][0].contains("token_sha256")); // not its business
  remove_secrets(j);
  BOOST_TEST(j["connection"] == (json{{"kind", "postgresql"}, {"redacted", true}}));
  BOOST_TEST(j["nested"][0] == (json{{"id", "t1"}}));
  BOOST_TEST(j.dump().find("host=db") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(log_limit_lets_one_line_through_per_interval) {
  log_limit limit{std::chrono::milliseconds(200)};
  uint64_t held = 99;
  BOOST_TEST(limit.allow(held));
  BOOST_TEST(held == 0u);
  for (int i = 0; i < 1000; ++i)
    BOOST_TEST(!limit.allow(held));
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  BOOST_TEST(limit.allow(held));
  BOOST_TEST(held == 1000u);
  BOOST_TEST(!limit.allow(held));
}
