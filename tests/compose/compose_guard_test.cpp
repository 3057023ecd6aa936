// What Compose refuses before it runs SQL (issue 10): LOCK statements, found
// by parsing; privileged roles, as the connector reports them, unless the
// source allows them.
#define BOOST_TEST_MODULE compose_guard
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/compose/compose_guard.hpp"
#include "messages/error.hpp"

#include <ostream>

namespace almanac {
inline std::ostream& operator<<(std::ostream& os, ec x) {
  return os << to_string(x);
}
} // namespace almanac

using namespace almanac;
using namespace almanac::compose;

namespace {

/// Reports fixed privileges; runs nothing.
class privileged_connector : public connectors::connector {
public:
  explicit privileged_connector(caf::expected<std::string> why) : why_(std::move(why)) {
  }
  caf::expected<connectors::catalog_snapshot>
  extract(const connectors::extract_options&, const connectors::progress_fn&,
          const std::atomic<bool>&) override {
    return make_error(ec::unavailable, "none");
  }
  caf::expected<connectors::query_result>
  query(const std::string&, const connectors::query_options&) override {
    return make_error(ec::unavailable, "none");
  }
  void cancel() override {
  }
  caf::expected<std::vector<connectors::query_log_entry>> read_query_log(uint64_t) override {
    return make_error(ec::unavailable, "none");
  }
  caf::expected<std::string> privileges() override {
    ++asked;
    return why_;
  }
  int asked = 0;

private:
  caf::expected<std::string> why_;
};

connectors::source_config source(bool allow = false) {
  connectors::source_config cfg;
  cfg.name = "pagila";
  cfg.kind = "postgresql";
  cfg.compose_allow_privileged = allow;
  return cfg;
}

} // namespace

BOOST_AUTO_TEST_CASE(lock_statements_are_refused_by_their_parse) {
  for (auto sql : {"LOCK TABLE film IN ACCESS EXCLUSIVE MODE", "lock film",
                   "/* hi */ LOCK TABLE ONLY public.film, actor NOWAIT;",
                   "select 1; lock film", "lock film; selec oops"}) {
    auto err = check_compose_sql(sql);
    BOOST_TEST_CONTEXT(sql) {
      BOOST_TEST(code_of(err) == ec::invalid_argument);
      BOOST_TEST(message_of(err).find("LOCK") != std::string::npos);
    }
  }
  for (auto sql : {"select 'lock table film'", "select * from lock", "select \"lock\" from t",
                   "select 1 -- lock film", "selec oops"})
    BOOST_TEST_CONTEXT(sql) {
      BOOST_TEST(!check_compose_sql(sql));
    }
}

BOOST_AUTO_TEST_CASE(privileged_roles_are_refused_unless_allowed) {
  privileged_connector plain{std::string{}};
  BOOST_TEST(!check_compose_role(plain, source()));
  privileged_connector su{std::string{"connects as role 'postgres', a superuser"}};
  auto err = check_compose_role(su, source());
  BOOST_TEST(code_of(err) == ec::forbidden);
  auto msg = message_of(err);
  BOOST_TEST(msg.find("source 'pagila'") != std::string::npos);
  BOOST_TEST(msg.find("'postgres', a superuser") != std::string::npos);
  BOOST_TEST(msg.find("PATCH /api/v1/sources/pagila") != std::string::npos);
  BOOST_TEST(msg.find("\"allow_privileged\": true") != std::string::npos);
  privileged_connector allowed{std::string{"connects as role 'postgres', a superuser"}};
  BOOST_TEST(!check_compose_role(allowed, source(true)));
  BOOST_TEST(allowed.asked == 0);
  // A check that fails does not let the query through.
  privileged_connector broken{make_error(ec::invalid_argument, "no pg_roles here")};
  auto failed = check_compose_role(broken, source());
  BOOST_TEST(code_of(failed) == ec::forbidden);
  BOOST_TEST(message_of(failed).find("no pg_roles here") != std::string::npos);
}
