#define BOOST_TEST_MODULE connectors_pg_support
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "tests/connectors/connector_test_helpers.hpp"
#include "connectors/postgresql/pg_support.hpp"
#include "messages/error.hpp"

using namespace almanac;
using namespace almanac::connectors;

BOOST_AUTO_TEST_CASE(conninfo_quotes_the_password_and_drops_one_in_the_dsn) {
  std::string out;
  auto err = pg::make_conninfo("host=db port=5433 dbname=pagila user=ro password=old",
                               "it's a \\ secret", out);
  BOOST_REQUIRE(!err);
  BOOST_TEST(out.find("password='it\\'s a \\\\ secret'") != std::string::npos);
  BOOST_TEST(out.find("old") == std::string::npos);
  BOOST_TEST(out.find("host='db'") != std::string::npos);
  BOOST_TEST(out.find("connect_timeout='10'") != std::string::npos);
  pg::make_conninfo("host=db connect_timeout=3", "", out);
  BOOST_TEST(out.find("connect_timeout='3'") != std::string::npos);
  BOOST_TEST(out.find("connect_timeout='10'") == std::string::npos);
  BOOST_TEST(out.find("password") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_dsn_is_an_invalid_argument_without_the_password) {
  std::string out;
  auto err = pg::make_conninfo("host=db 'broken", "s3cret-pw", out);
  BOOST_TEST(code_of(err) == ec::invalid_argument);
  BOOST_TEST(render(err).find("s3cret-pw") == std::string::npos);
}

// Issue 10: "password" was found by a substring search on the dsn, so a
// URI's user:PW@ and a percent-encoded ?%70assword= went into the event log.
BOOST_AUTO_TEST_CASE(a_password_in_any_form_of_dsn_is_refused_without_echoing_it) {
  for (std::string dsn : {"host=db user=ro password=PW-1",
                          "host=db user=ro password = 'PW-1'",
                          "host=db sslpassword=PW-1",
                          "postgresql://ro:PW-1@db/pagila",
                          "postgres://ro:PW-1@db:5432/pagila?sslmode=disable",
                          "postgresql://ro@db/pagila?password=PW-1",
                          "postgresql://ro@db/pagila?%70assword=PW-1",
                          "postgresql://ro@db/pagila?pass%77ord=PW-1"}) {
    auto err = pg::check_dsn(dsn);
    BOOST_TEST_CONTEXT(dsn) {
      BOOST_TEST(code_of(err) == ec::invalid_argument);
      BOOST_TEST(message_of(err).find("must not contain a password") != std::string::npos);
      BOOST_TEST(message_of(err).find("PW-1") == std::string::npos);
    }
  }
  // Unparsable: refused, and libpq's message (which may quote the text) not echoed.
  auto bad = pg::check_dsn("postgresql://ro:PW%zz1@db/x");
  BOOST_TEST(code_of(bad) == ec::invalid_argument);
  BOOST_TEST(message_of(bad).find("PW") == std::string::npos);
  // What is fine stays fine, a database named like the word included.
  for (std::string dsn : {"host=db port=5432 dbname=password_reset user=ro",
                          "postgresql://ro@db:5432/pagila?sslmode=require",
                          "dbname=x"})
    BOOST_TEST_CONTEXT(dsn) {
      BOOST_TEST(!pg::check_dsn(dsn));
    }
}

BOOST_AUTO_TEST_CASE(target_names_host_port_database_user_but_no_password) {
  auto t = pg::describe_target("host=10.0.0.7 port=6432 dbname=shop user=ro password=pw1");
  BOOST_TEST(t == "host=10.0.0.7 port=6432 dbname=shop user=ro");
  BOOST_TEST(pg::describe_target("dbname=x") == "host=(default) port=(default) dbname=x");
}

BOOST_AUTO_TEST_CASE(messages_become_one_line_without_the_secret) {
  auto m = pg::clean_message("connection to server failed:\n\tFATAL:  pw hunter2 wrong\n",
                             "hunter2");
  BOOST_TEST(m == "connection to server failed: FATAL: pw ******** wrong");
}

BOOST_AUTO_TEST_CASE(values_convert_by_type_oid) {
  auto v = [](unsigned oid, const std::string& s) {
    return pg::to_json_value(oid, s.c_str(), s.size());
  };
  BOOST_TEST(v(23, "42") == nlohmann::json(42));
  BOOST_TEST(v(20, "-9000000000") == nlohmann::json(int64_t{-9000000000}));
  BOOST_TEST(v(21, "7").is_number_integer());
  BOOST_TEST(v(1700, "4.99") == nlohmann::json(4.99));
  BOOST_TEST(v(1700, "12") == nlohmann::json(12));
  BOOST_TEST(v(1700, "NaN") == nlohmann::json("NaN"));
  BOOST_TEST(v(701, "2.5e3") == nlohmann::json(2500.0));
  BOOST_TEST(v(700, "Infinity") == nlohmann::json("Infinity"));
  BOOST_TEST(v(16, "t") == nlohmann::json(true));
  BOOST_TEST(v(16, "f") == nlohmann::json(false));
  BOOST_TEST(v(25, "hello") == nlohmann::json("hello"));
  BOOST_TEST(v(1184, "2022-02-15 09:34:33+00") == nlohmann::json("2022-02-15 09:34:33+00"));
  BOOST_TEST(v(3802, "{\"a\": 1}") == nlohmann::json("{\"a\": 1}"));
}

BOOST_AUTO_TEST_CASE(registry_knows_both_kinds_and_refuses_others) {
  auto kinds = connector_kinds();
  BOOST_TEST((kinds == std::vector<std::string>{"postgresql", "sqlite"}));
  source_config cfg;
  cfg.kind = "oracle";
  test::expect_error(connect(cfg), ec::invalid_argument, "oracle");
}
