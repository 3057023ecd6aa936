// The analytics store against a real PostgreSQL (scripts/pg-test run --): a
// mixed history of typed events becomes the facts and dimensions the log
// says, exactly once (a batch offered again changes nothing), the views
// answer from them, a rebuild in other batch sizes gives the same digest, a
// payload that does not decode is skipped, and an unreachable database is
// an error, not a crash.

#define BOOST_TEST_MODULE analytics_store
#include <boost/test/unit_test.hpp>

#include "actors/analytics/domain/schema.hpp"
#include "actors/analytics/analytics_projection.hpp"
#include "actors/analytics/store.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using namespace almanac;
using namespace almanac::analytics;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

struct history {
  std::vector<event_record> events;
  int64_t t0 = now_ms() - 3600 * 1000;

  template <class T>
  void add(const T& e, const std::string& key = "") {
    auto in = ev::to_event(e, key);
    event_record r;
    r.offset = events.size();
    r.timestamp_ms = t0 + static_cast<int64_t>(events.size()) * 1000;
    r.type = in.type;
    r.key = in.key;
    r.payload = in.payload;
    events.push_back(std::move(r));
  }
};

const std::string src = "urn:almanac:source:shop";
const std::string sch = "urn:almanac:schema:shop.sales";
const std::string orders = "urn:almanac:table:shop.sales.orders";
const std::string amount = "urn:almanac:column:shop.sales.orders.amount";
const std::string summary = "urn:almanac:table:shop.sales.summary";

history mixed() {
  history h;
  ev::user_created u;
  u.user = "admin";
  u.name = "ann";
  u.role = "steward";
  h.add(u);
  ev::token_issued t;
  t.user = "admin";
  t.owner = "ann";
  t.token_id = "tok1";
  t.role = "steward";
  t.token_sha256 = "never-in-analytics";
  h.add(t);
  auto reg = [&](const std::string& urn, const char* kind, const char* name,
                 std::optional<std::string> parent, const char* description) {
    ev::entity_registered e;
    e.user = "admin";
    e.urn = urn;
    e.kind = kind;
    e.name = name;
    e.parent = std::move(parent);
    e.description = description;
    h.add(e, urn);
  };
  reg(src, "source", "shop", std::nullopt, "");
  reg(sch, "schema", "sales", src, "");
  reg(orders, "table", "orders", sch, "Orders placed");
  reg(amount, "column", "amount", orders, "");
  reg(summary, "table", "summary", sch, "");
  ev::entity_edited ed;
  ed.user = "ann";
  ed.urn = orders;
  ed.version = 2;
  ed.previous_version = 1;
  ed.fields_set.stewards = std::vector<std::string>{"ann"};
  ed.fields_set.tags = std::vector<std::string>{"core"};
  ed.fields_set.title = "Orders";
  h.add(ed, orders);
  ev::entity_viewed v;
  v.views = {{"ann", orders, 3}, {"bob", orders, 1}, {"bob", amount, 2}};
  h.add(v);
  ev::search_performed sp;
  sp.searches = {{"ann", "orders", 2, 5}, {"bob", "nothing like it", 1, 0}};
  h.add(sp);
  ev::query_observed q;
  q.origin = "upload";
  q.source = "shop";
  q.user = "bob";
  q.sql = "INSERT INTO sales.summary SELECT amount FROM sales.orders";
  q.kind = "insert";
  q.fingerprint = "abc123";
  q.duration_ms = 12.5;
  q.tables_read = {orders};
  q.tables_written = {summary};
  q.table_lineage = {{orders, summary}};
  q.column_lineage = {{"urn:almanac:column:shop.sales.summary.amount", {amount}}};
  h.add(q);
  ev::job_submitted js;
  js.job = "job1";
  js.kind = "extract";
  js.source = "shop";
  js.user = "admin";
  js.state = "queued";
  h.add(js);
  ev::job_finished jf;
  jf.job = "job1";
  jf.kind = "extract";
  jf.source = "shop";
  jf.user = "admin";
  jf.state = "succeeded";
  jf.attempts = 1;
  jf.result = nlohmann::json{{"added", 4}, {"changed", 0}, {"removed", 1}};
  h.add(jf);
  ev::compose_executed c;
  c.user = "bob";
  c.source = "shop";
  c.sql = "SELECT 1";
  c.duration_ms = 7;
  c.rows = 1;
  h.add(c);
  ev::token_revoked tr;
  tr.user = "admin";
  tr.owner = "ann";
  tr.token_id = "tok1";
  h.add(tr);
  ev::entity_removed rm;
  rm.user = "admin";
  rm.urn = amount;
  rm.kind = "column";
  h.add(rm, amount);
  return h;
}

std::map<std::string, uint64_t> counts_of(store& s, uint64_t& checkpoint) {
  std::vector<std::pair<std::string, uint64_t>> v;
  auto r = s.counts(v, checkpoint);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.error);
  return {v.begin(), v.end()};
}

void apply_in(store& s, const std::vector<event_record>& events, size_t batch) {
  for (size_t i = 0; i < events.size(); i += batch) {
    std::vector<event_record> part(events.begin() + i,
                                   events.begin() + std::min(events.size(), i + batch));
    auto r = s.apply(part, part.back().offset + 1);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.error);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(a_mixed_history_becomes_its_facts_exactly_once) {
  BOOST_REQUIRE_MESSAGE(!env("PGTEST_DSN").empty(), "run under scripts/pg-test run --");
  store s(env("PGTEST_DSN"), "", "analytics_store");
  BOOST_REQUIRE(s.reset().ok());
  uint64_t cp = 99;
  auto st = s.open(cp);
  BOOST_REQUIRE_MESSAGE(st.ok(), st.error);
  BOOST_TEST(cp == 0u);
  auto h = mixed();
  apply_in(s, h.events, 5);
  auto c = counts_of(s, cp);
  BOOST_TEST(cp == h.events.size());
  BOOST_TEST(c["fact_entity_views"] == 3u);
  BOOST_TEST(c["fact_searches"] == 2u);
  BOOST_TEST(c["fact_query_executions"] == 1u);
  BOOST_TEST(c["fact_lineage_edges"] == 2u); // one table edge, one column edge
  BOOST_TEST(c["fact_curation_edits"] == 3u); // title, stewards, tags
  BOOST_TEST(c["fact_logins"] == 2u);
  BOOST_TEST(c["fact_jobs"] == 2u);
  BOOST_TEST(c["fact_extraction_runs"] == 1u);
  BOOST_TEST(c["fact_profiling_runs"] == 0u);
  BOOST_TEST(c["fact_compose_executions"] == 1u);
  BOOST_TEST(c["dim_entities"] == 5u);
  BOOST_TEST(c["dim_sources"] == 1u);
  BOOST_TEST(c["dim_users"] == 2u); // ann (created, seen), bob (seen)

  // Offered again, whole or from an earlier checkpoint: nothing changes.
  std::string before;
  BOOST_REQUIRE(s.digest(before).ok());
  BOOST_REQUIRE(s.apply(h.events, h.events.size()).ok());
  std::vector<event_record> tail(h.events.begin() + 3, h.events.end());
  BOOST_REQUIRE(s.apply(tail, h.events.size()).ok());
  std::string after;
  BOOST_REQUIRE(s.digest(after).ok());
  BOOST_TEST(after == before);
  BOOST_TEST(counts_of(s, cp)["fact_entity_views"] == 3u);

  // The views answer from the facts.
  pqxx::connection conn(env("PGTEST_DSN"));
  pqxx::work tx(conn);
  auto one = [&](const std::string& sql) { return tx.exec(sql); };
  auto zero = one("SELECT text, count FROM analytics_store.searches_without_results");
  BOOST_REQUIRE(zero.size() == 1u);
  BOOST_TEST(zero[0][0].as<std::string>() == "nothing like it");
  auto top = one("SELECT urn, views, viewers FROM analytics_store.top_entities_viewed_90d "
                 "ORDER BY views DESC");
  BOOST_REQUIRE(top.size() == 2u);
  BOOST_TEST(top[0][0].as<std::string>() == orders);
  BOOST_TEST(top[0][1].as<int>() == 4);
  BOOST_TEST(top[0][2].as<int>() == 2);
  auto queried = one("SELECT urn, queries FROM analytics_store.top_entities_queried_90d ORDER BY urn");
  BOOST_TEST(queried.size() == 2u); // orders read, summary written
  auto cov = one("SELECT entities, pct_described, pct_stewarded, pct_tagged, pct_curated FROM "
                 "analytics_store.curation_coverage WHERE source = 'shop' AND kind = 'table'");
  BOOST_REQUIRE(cov.size() == 1u);
  BOOST_TEST(cov[0][0].as<int>() == 2);
  BOOST_TEST(cov[0][1].as<double>() == 50.0);
  BOOST_TEST(cov[0][2].as<double>() == 50.0);
  BOOST_TEST(cov[0][4].as<double>() == 50.0); // orders: title, description, steward, tags
  auto removed = one("SELECT removed_at IS NOT NULL FROM analytics_store.dim_entities WHERE urn = '" +
                     amount + "'");
  BOOST_TEST(removed[0][0].as<bool>());
  auto ann = one("SELECT role, first_seen IS NOT NULL, created_at IS NOT NULL FROM "
                 "analytics_store.dim_users WHERE name = 'ann'");
  BOOST_REQUIRE(ann.size() == 1u);
  BOOST_TEST(ann[0][0].as<std::string>() == "steward");
  BOOST_TEST(ann[0][1].as<bool>());
  auto run = one("SELECT added, removed, duration_ms, outcome FROM analytics_store.fact_extraction_runs");
  BOOST_TEST(run[0][0].as<int>() == 4);
  BOOST_TEST(run[0][1].as<int>() == 1);
  BOOST_TEST(run[0][2].as<int>() == 1000); // submitted one event (one second) before
  BOOST_TEST(run[0][3].as<std::string>() == "succeeded");
  auto users = one("SELECT user_name, views, searches, queries, edits, compose_runs FROM "
                   "analytics_store.top_users ORDER BY user_name");
  BOOST_REQUIRE(users.size() == 2u);
  BOOST_TEST(users[1][0].as<std::string>() == "bob");
  BOOST_TEST(users[1][1].as<int>() == 3); // 1 view of orders, 2 of amount
  BOOST_TEST(users[1][3].as<int>() == 1);
  BOOST_TEST(users[1][5].as<int>() == 1);
  // No token hash anywhere.
  auto leaked = one("SELECT count(*) FROM analytics_store.fact_logins x WHERE x::text LIKE "
                    "'%never-in-analytics%'");
  BOOST_TEST(leaked[0][0].as<int>() == 0);
  tx.commit();

  // A rebuild in other batch sizes: the same rows.
  for (size_t batch : {1u, 3u, 100u}) {
    BOOST_REQUIRE(s.reset().ok());
    BOOST_REQUIRE(s.open(cp).ok());
    BOOST_TEST(cp == 0u);
    apply_in(s, h.events, batch);
    std::string rebuilt;
    BOOST_REQUIRE(s.digest(rebuilt).ok());
    BOOST_TEST(rebuilt == before, "batch " << batch);
  }
}

BOOST_AUTO_TEST_CASE(a_payload_that_does_not_decode_is_skipped) {
  store s(env("PGTEST_DSN"), "", "analytics_bad");
  BOOST_REQUIRE(s.reset().ok());
  uint64_t cp = 0;
  BOOST_REQUIRE(s.open(cp).ok());
  auto h = mixed();
  for (auto& e : h.events)
    if (ev::is<ev::entity_viewed>(e.type)) e.payload = "{\"views\": 7"; // cut short
  apply_in(s, h.events, 4);
  auto c = counts_of(s, cp);
  BOOST_TEST(cp == h.events.size());
  BOOST_TEST(c["fact_entity_views"] == 0u);
  BOOST_TEST(c["fact_searches"] == 2u);
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_is_an_error_naming_it) {
  store s("host=127.0.0.1 port=1 dbname=x user=y connect_timeout=2", "secret-pw", "a");
  uint64_t cp = 0;
  auto r = s.open(cp);
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.error.find("unreachable") != std::string::npos, r.error);
  BOOST_TEST(r.error.find("secret-pw") == std::string::npos, r.error); // never the password
  auto h = mixed();
  BOOST_TEST(!s.apply(h.events, h.events.size()).ok());
}

BOOST_AUTO_TEST_CASE(the_projection_interface_reports_its_state) {
  analytics_projection p(env("PGTEST_DSN"), "", "analytics_proj");
  BOOST_REQUIRE(!p.reset()); // a fresh schema
  auto cp = p.open();
  BOOST_REQUIRE(cp);
  BOOST_TEST(*cp == 0u);
  auto h = mixed();
  auto applied = p.apply(h.events, h.events.size());
  BOOST_TEST(!applied, p.status());
  auto st = nlohmann::json::parse(p.status());
  BOOST_TEST(st["checkpoint"].get<uint64_t>() == h.events.size());
  BOOST_TEST(st["error"].get<std::string>().empty());
  auto d = p.digest();
  BOOST_REQUIRE(d);
  BOOST_TEST(d->size() == 64u);
  // Reopened (a driver restart): the checkpoint is the database's.
  analytics_projection again(env("PGTEST_DSN"), "", "analytics_proj");
  auto cp2 = again.open();
  BOOST_REQUIRE(cp2);
  BOOST_TEST(*cp2 == h.events.size());
  BOOST_TEST(*again.digest() == *d);

  analytics_projection down("host=127.0.0.1 port=1 dbname=x user=y connect_timeout=2", "",
                            "a");
  auto down_cp = down.open(); // down at start: from 0, no failure
  BOOST_REQUIRE(down_cp);
  BOOST_TEST(*down_cp == 0u);
  auto err = down.apply(h.events, h.events.size());
  // io_error: the driver stalls and retries, the node stays up.
  BOOST_TEST(err.code() == static_cast<uint8_t>(ec::io_error));
  BOOST_TEST(nlohmann::json::parse(down.status())["error"].get<std::string>().find("unreachable") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(values_postgresql_cannot_hold_do_not_stall_it) {
  // A search for "%00" (valid UTF-8, but no PostgreSQL text) and a query
  // time in nanoseconds: the batch lands, without the NUL, at the event's
  // own time.
  store s(env("PGTEST_DSN"), "", "analytics_odd");
  BOOST_REQUIRE(s.reset().ok());
  uint64_t cp = 0;
  BOOST_REQUIRE(s.open(cp).ok());
  history h;
  ev::search_performed sp;
  sp.searches = {{"ann", std::string("a\0b", 3), 1, 0}};
  h.add(sp);
  ev::query_observed q;
  q.source = "shop";
  q.user = "bob";
  q.kind = "select";
  q.start_ms = 1700000000000000000LL; // nanoseconds
  q.duration_ms = 0.1;
  h.add(q);
  auto r = s.apply(h.events, h.events.size());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.error);
  pqxx::connection conn(env("PGTEST_DSN"));
  pqxx::work tx(conn);
  BOOST_TEST(tx.exec("SELECT text FROM analytics_odd.fact_searches")[0][0].as<std::string>() == "ab");
  auto when = tx.exec("SELECT floor(extract(epoch FROM occurred_at))::bigint, duration_ms FROM "
                      "analytics_odd.fact_query_executions");
  BOOST_TEST(when[0][0].as<int64_t>() == (h.t0 + 1000) / 1000);
  BOOST_TEST(when[0][1].as<double>() == 0.1);
}

BOOST_AUTO_TEST_CASE(a_schema_whose_checkpoint_went_back_is_reported) {
  // Recreated under the projection (another writer, a restore): the store
  // says so instead of skipping the offsets in between.
  store s(env("PGTEST_DSN"), "", "analytics_back");
  BOOST_REQUIRE(s.reset().ok());
  uint64_t cp = 0;
  BOOST_REQUIRE(s.open(cp).ok());
  auto h = mixed();
  std::vector<event_record> first(h.events.begin(), h.events.begin() + 5);
  BOOST_REQUIRE(s.apply(first, 5, 0).ok());
  BOOST_REQUIRE(s.reset().ok()); // the schema is recreated at 0
  std::vector<event_record> rest(h.events.begin() + 5, h.events.end());
  auto r = s.apply(rest, h.events.size(), 5);
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.behind);
  BOOST_TEST(r.error.find("behind") != std::string::npos, r.error);
  BOOST_TEST(counts_of(s, cp)["fact_searches"] == 0u); // nothing applied
}

BOOST_AUTO_TEST_CASE(a_uri_dsn_keeps_its_password_out_of_errors) {
  // A URI, a password with quotes and spaces, a database that does not
  // exist: the server's error names the database, never the password.
  const std::string pw = "s3cr'et pass\\word";
  std::string tcp = env("PGTEST_TCP_DSN"); // host=127.0.0.1 port=P dbname=D user=U
  auto field_of = [&](const std::string& k) {
    auto at = tcp.find(k + "=");
    auto end = tcp.find(' ', at);
    return tcp.substr(at + k.size() + 1, end == std::string::npos ? std::string::npos : end - at - k.size() - 1);
  };
  std::string uri = "postgresql://" + field_of("user") + "@127.0.0.1:" + field_of("port") +
                    "/no_such_db";
  store bad(uri, pw, "a");
  uint64_t cp = 0;
  auto r = bad.open(cp);
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.error.find("s3cr") == std::string::npos, r.error);
  // The right database, its real password, through a URI: it works.
  {
    pqxx::connection su(env("PGTEST_DSN"));
    pqxx::work tx(su);
    tx.exec("GRANT CREATE ON DATABASE " + tx.quote_name(field_of("dbname")) + " TO " +
            tx.quote_name(field_of("user")));
    tx.exec("ALTER ROLE " + tx.quote_name(field_of("user")) + " CREATEROLE");
    tx.commit();
  }
  store good("postgresql://" + field_of("user") + "@127.0.0.1:" + field_of("port") + "/" +
               field_of("dbname"),
             env("PGTEST_PASSWORD"), "analytics_uri");
  auto ok = good.open(cp);
  BOOST_TEST(ok.ok(), ok.error);
  store nonsense("host='unterminated", "pw-xyz", "a");
  auto n = nonsense.open(cp);
  BOOST_TEST(!n.ok());
  BOOST_TEST(n.error.find("analytics.dsn") != std::string::npos, n.error);
  BOOST_TEST(n.error.find("pw-xyz") == std::string::npos, n.error);
}
