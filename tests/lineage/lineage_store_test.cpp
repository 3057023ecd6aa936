// The lineage store's batches (issue 14): the documents a batch decodes once
// (q/, p/, d/) give the same store whatever the batch boundaries, and a
// malformed stored document skips its event without changing anything.
#define BOOST_TEST_MODULE lineage_store
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/lineage/sql/analysis_cache.hpp"
#include "actors/lineage/store/lineage_store.hpp"
#include "actors/lineage/store/query_ingest.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "storage/state/rocks_store.hpp"

#include <rocksdb/write_batch.h>

#include <filesystem>

using namespace almanac;
using json = nlohmann::json;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/lineage_store_test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

json entry(const std::string& sql, const std::string& user, int64_t ms) {
  return {{"sql", sql}, {"user", user}, {"source", "pg"}, {"start_ms", ms},
          {"duration_ms", 2.5}, {"calls", 1}};
}

/// A log of queries that hit the same tables, edges and fingerprints often.
std::vector<event_record> query_log() {
  std::vector<std::string> sqls = {
    "insert into sales.daily select o.id, o.amount from sales.orders o where o.id = 1",
    "select id, amount from sales.orders where amount > 10",
    "insert into sales.daily select o.id, o.amount * 2 from sales.orders o",
    "update sales.daily d set amount = o.amount from sales.orders o where d.id = o.id",
    "create table sales.snap as select * from sales.daily",
  };
  std::vector<event_record> out;
  for (size_t i = 0; i < 60; ++i) {
    auto e = entry(sqls[i % sqls.size()] + (i % 2 ? "" : " "),
                   "user_" + std::to_string(i % 7), 1700000000000 + int64_t(i) * 1000);
    auto ev = lineage::observe_query(e, "upload", nullptr);
    event_record r;
    r.offset = i;
    r.epoch = 1;
    r.timestamp_ms = 1700000000000 + int64_t(i) * 1000;
    r.type = ev.type;
    r.key = ev.key;
    r.payload = ev.payload;
    out.push_back(std::move(r));
  }
  return out;
}

std::string apply_in_batches(const std::string& dir, const std::vector<event_record>& recs,
                             size_t batch) {
  lineage::lineage_store store{dir, 30.0};
  BOOST_REQUIRE(store.open());
  for (size_t i = 0; i < recs.size(); i += batch) {
    std::vector<event_record> part(recs.begin() + i,
                                   recs.begin() + std::min(recs.size(), i + batch));
    BOOST_REQUIRE(!store.apply(part, part.back().offset + 1));
  }
  auto d = store.digest();
  BOOST_REQUIRE(d);
  return *d;
}

} // namespace

BOOST_AUTO_TEST_CASE(batch_boundaries_do_not_change_the_store) {
  auto recs = query_log();
  temp_dir a, b, c;
  auto one = apply_in_batches(a.path, recs, 1);
  auto seven = apply_in_batches(b.path, recs, 7);
  auto all = apply_in_batches(c.path, recs, recs.size());
  BOOST_CHECK_EQUAL(one, seven);
  BOOST_CHECK_EQUAL(one, all);
  // And the documents hold every use: 60 queries of 5 shapes.
  lineage::lineage_store store{c.path, 30.0};
  BOOST_REQUIRE(store.open());
  auto pop = store.popularity("urn:almanac:table:pg.sales.orders");
  BOOST_REQUIRE(pop && *pop);
  BOOST_CHECK_EQUAL((**pop)["count"].get<int>(), 48); // 4 of each 5 read it
  BOOST_CHECK_EQUAL((**pop)["users"].get<int>(), 7);
  auto g = store.traverse("urn:almanac:table:pg.sales.orders", {});
  BOOST_REQUIRE(g);
  bool found = false;
  for (auto& e : (*g)["edges"])
    if (e["to"] == "urn:almanac:table:pg.sales.daily") {
      found = true;
      BOOST_CHECK_EQUAL(e["count"].get<int>(), 36); // 3 of each 5 write daily from orders
    }
  BOOST_CHECK(found);
  // Without evidence: the same walk, edges without their evidence.
  lineage::traversal_limits bare;
  bare.evidence = false;
  auto h = store.traverse("urn:almanac:table:pg.sales.orders", bare);
  BOOST_REQUIRE(h);
  BOOST_CHECK_EQUAL((*h)["nodes"], (*g)["nodes"]);
  BOOST_REQUIRE_EQUAL((*h)["edges"].size(), (*g)["edges"].size());
  for (size_t i = 0; i < (*h)["edges"].size(); ++i) {
    auto& e = (*h)["edges"][i];
    BOOST_CHECK_EQUAL(e["from"], (*g)["edges"][i]["from"]);
    BOOST_CHECK_EQUAL(e["to"], (*g)["edges"][i]["to"]);
    BOOST_CHECK(!e.contains("evidence"));
  }
}

BOOST_AUTO_TEST_CASE(a_malformed_stored_document_skips_its_event_and_changes_nothing) {
  auto recs = query_log();
  temp_dir d;
  {
    lineage::lineage_store store{d.path, 30.0};
    BOOST_REQUIRE(store.open());
    BOOST_REQUIRE(!store.apply({recs[0]}, 1));
  }
  {
    // The popularity of sales.orders becomes something that is not one.
    auto raw = storage::rocks_store::open(d.path);
    BOOST_REQUIRE(raw);
    rocksdb::WriteBatch b;
    b.Put("p/urn:almanac:table:pg.sales.orders", "{\"count\":\"many\"}");
    BOOST_REQUIRE(!(*raw)->commit(b, 1));
  }
  lineage::lineage_store store{d.path, 30.0};
  BOOST_REQUIRE(store.open());
  auto before = store.digest();
  BOOST_REQUIRE(before);
  // recs[1] reads sales.orders (skipped); recs[5] is the first query again,
  // also skipped; nothing else is in the batch.
  BOOST_REQUIRE(!store.apply({recs[1], recs[5]}, 6));
  auto status = json::parse(store.status());
  BOOST_CHECK_EQUAL(status["skipped"].get<int>(), 2);
  BOOST_CHECK(status["last_skip"].get<std::string>().find("malformed") != std::string::npos);
  BOOST_CHECK_EQUAL(status["checkpoint"].get<int>(), 6);
  // Only the checkpoint moved: no query, execution, edge or score changed.
  auto q = store.query(json::parse(recs[1].payload)["fingerprint"].get<std::string>());
  BOOST_REQUIRE(q);
  BOOST_CHECK(!*q);
  auto first = store.query(json::parse(recs[0].payload)["fingerprint"].get<std::string>());
  BOOST_REQUIRE(first && *first);
  BOOST_CHECK_EQUAL((**first)["count"].get<int>(), 1);
}

BOOST_AUTO_TEST_CASE(traversal_text_is_what_dump_would_write) {
  // Names with every character the writer escapes, and UTF-8.
  std::string odd = "urn:almanac:table:pg.s.a\"b\\c\n\t\x01\x1f\xc3\xa9";
  ev::query_observed q;
  q.execution_id = "exec-1";
  q.fingerprint = "fp-1";
  q.origin = "upload";
  q.start_ms = 1700000000000;
  q.table_lineage.push_back({odd, "urn:almanac:table:pg.s.t"});
  q.table_lineage.push_back({"urn:almanac:table:pg.s.u", "urn:almanac:table:pg.s.t"});
  auto ev = ev::to_event(q, "query:fp-1");
  event_record r;
  r.offset = 0;
  r.epoch = 1;
  r.timestamp_ms = q.start_ms;
  r.type = ev.type;
  r.key = ev.key;
  r.payload = ev.payload;
  temp_dir d;
  lineage::lineage_store store{d.path, 30.0};
  BOOST_REQUIRE(store.open());
  BOOST_REQUIRE(!store.apply({r}, 1));
  for (bool evidence : {true, false})
    for (std::string root : {std::string("urn:almanac:table:pg.s.t"), odd,
                             std::string("urn:almanac:table:none"),
                             std::string("urn:a\"b\\:c"), std::string("urn:almanac:table:\xff")}) {
      lineage::traversal_limits lim;
      lim.evidence = evidence;
      auto text = store.traverse_text(root, lim);
      BOOST_REQUIRE(text);
      auto parsed = json::parse(*text);
      BOOST_CHECK_EQUAL(*text, parsed.dump());
      if (root.find('\xff') == std::string::npos)
        BOOST_CHECK_EQUAL(parsed["root"].get<std::string>(), root);
      else // not UTF-8: shown with U+FFFD
        BOOST_CHECK_EQUAL(parsed["root"].get<std::string>(), "urn:almanac:table:\xef\xbf\xbd");
    }
  lineage::traversal_limits lim;
  auto g = store.traverse("urn:almanac:table:pg.s.t", lim);
  BOOST_REQUIRE(g);
  BOOST_REQUIRE_EQUAL((*g)["nodes"].size(), 3u);
  BOOST_CHECK_EQUAL((*g)["nodes"][0]["urn"].get<std::string>(), odd);
  BOOST_CHECK_EQUAL((*g)["edges"][0]["count"].get<int>(), 1);
  BOOST_CHECK_EQUAL((*g)["edges"][0]["evidence"][0]["id"].get<std::string>(), "fp-1");
}

BOOST_AUTO_TEST_CASE(views_with_a_malformed_score_are_skipped_not_fatal) {
  temp_dir d;
  {
    auto raw = storage::rocks_store::open(d.path);
    BOOST_REQUIRE(raw);
    rocksdb::WriteBatch b;
    b.Put("p/urn:almanac:table:pg.s.bad", "[1,2]");
    BOOST_REQUIRE(!(*raw)->commit(b, 0));
  }
  ev::entity_viewed v;
  v.views.push_back({"vera", "urn:almanac:table:pg.s.good", 2});
  v.views.push_back({"vera", "urn:almanac:table:pg.s.bad", 1});
  auto e = ev::to_event(v, "views");
  event_record r;
  r.offset = 0;
  r.epoch = 1;
  r.timestamp_ms = 1700000000000;
  r.type = e.type;
  r.key = e.key;
  r.payload = e.payload;
  lineage::lineage_store store{d.path, 30.0};
  BOOST_REQUIRE(store.open());
  // The second view's document is bad: the event is skipped whole, the
  // batch is written (the first view did not count either).
  BOOST_REQUIRE(!store.apply({r}, 1));
  auto status = json::parse(store.status());
  BOOST_CHECK_EQUAL(status["skipped"].get<int>(), 1);
  BOOST_CHECK_EQUAL(status["checkpoint"].get<int>(), 1);
  auto good = store.popularity("urn:almanac:table:pg.s.good");
  BOOST_REQUIRE(good);
  BOOST_CHECK(!*good);
}

BOOST_AUTO_TEST_CASE(analysis_on_several_threads_gives_the_same_events) {
  std::vector<json> entries;
  for (int i = 0; i < 2000; ++i)
    entries.push_back(entry("select a, b from s.t" + std::to_string(i % 40) + " where a = "
                              + std::to_string(i),
                            "u", 1700000000000 + i));
  lineage::analysis_cache c1{100}, c2{100};
  auto one = lineage::observe_all(entries, "upload", nullptr, c1, 1);
  auto four = lineage::observe_all(entries, "upload", nullptr, c2, 4);
  BOOST_REQUIRE_EQUAL(one.size(), entries.size());
  BOOST_REQUIRE_EQUAL(four.size(), entries.size());
  for (size_t i = 0; i < one.size(); ++i) {
    auto a = json::parse(one[i].payload), b = json::parse(four[i].payload);
    a.erase("normalized");
    b.erase("normalized");
    BOOST_CHECK_MESSAGE(a == b, "entry " << i);
    BOOST_CHECK_EQUAL(a["sql"], entries[i]["sql"]);
  }
  BOOST_CHECK_EQUAL(c1.misses(), 40u);
  BOOST_CHECK_EQUAL(c1.hits(), 1960u);
}
