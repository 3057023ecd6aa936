// The search index over a small hand-made catalog: matching (splitting,
// stemming, phrases, prefixes), filters, facets, pagination, snippets,
// ranking boosts, the lexicon in queries, suggest, and the checkpoint
// committed atomically with the index.
#define BOOST_TEST_MODULE search_index
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/search/search_index.hpp"

#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include <csignal>

#include <sys/resource.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace almanac::search;
using nlohmann::json;
using strings = std::vector<std::string>;

namespace {

const std::string T = "urn:almanac:table:shop.sales.";
const std::string C = "urn:almanac:column:shop.sales.";

json entity(const std::string& urn, const std::string& kind, const std::string& name,
            json extra = json::object()) {
  json e = {{"urn", urn}, {"kind", kind}, {"name", name}, {"parent", nullptr},
            {"title", ""}, {"description", ""}, {"tags", json::array()},
            {"stewards", json::array()}, {"terms", json::array()}, {"deprecated", false},
            {"endorsed", false}, {"attributes", json::object()}, {"version", 1}};
  for (auto& [k, v] : extra.items()) e[k] = v;
  return e;
}

struct fixture {
  fs::path dir = fs::temp_directory_path() /
                 ("search-index-" + std::to_string(::getpid()) + "-" +
                  std::to_string(counter()++));
  search_index idx;

  static int& counter() {
    static int n = 0;
    return n;
  }

  fixture() {
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    add(entity("urn:almanac:source:shop", "source", "shop",
               {{"description", "The online shop database"}}));
    add(entity("urn:almanac:schema:shop.sales", "schema", "sales", {{"parent", "urn:almanac:source:shop"}}));
    add(entity(T + "customer", "table", "customer",
               {{"parent", "urn:almanac:schema:shop.sales"},
                {"description", "One row per customer who ever placed an order"},
                {"tags", {"pii", "core"}}, {"stewards", {"alice"}}}));
    add(entity(T + "cust_addr", "table", "cust_addr",
               {{"parent", "urn:almanac:schema:shop.sales"},
                {"description", "Postal address of each customer, one address per row"},
                {"tags", {"pii"}}}));
    add(entity(T + "FilmActor", "table", "FilmActor", {{"parent", "urn:almanac:schema:shop.sales"}}));
    add(entity(T + "orders", "table", "orders",
               {{"parent", "urn:almanac:schema:shop.sales"}, {"title", "Customer orders"},
                {"description", "Orders as they were placed, running totals included"},
                {"stewards", {"bob"}}}));
    add(entity(T + "orders_old", "table", "orders_old",
               {{"parent", "urn:almanac:schema:shop.sales"}, {"deprecated", true},
                {"description", "Orders before 2020"}}));
    add(entity(C + "orders.order_amt", "column", "order_amt",
               {{"parent", T + "orders"}, {"attributes", {{"data_type", "numeric"}, {"ordinal", 1}}}}));
    add(entity(C + "orders.order_id", "column", "order_id",
               {{"parent", T + "orders"}, {"attributes", {{"data_type", "bigint"}, {"ordinal", 0}}}}));
    add(entity("urn:almanac:view:shop.sales.big_orders", "view", "big_orders",
               {{"parent", "urn:almanac:schema:shop.sales"},
                {"attributes", {{"definition", "SELECT * FROM orders WHERE amount > 100"}}}}));
    BOOST_REQUIRE(idx.commit(42).ok());
  }
  ~fixture() { fs::remove_all(dir); }

  void add(const json& e) { BOOST_REQUIRE(idx.upsert(e).ok()); }

  /// The popularity searches see (the lineage store's, on a node).
  std::map<std::string, double> pops;
  std::vector<std::string> looked_up;
  popularity_lookup lookup() {
    return [this](const std::vector<std::string>& urns) {
      std::vector<double> out;
      for (auto& u : urns) {
        looked_up.push_back(u);
        out.push_back(pops.count(u) ? pops[u] : 0.0);
      }
      return out;
    };
  }

  search_result run(const std::string& text, size_t limit = 20) {
    search_query q;
    q.text = text;
    q.limit = limit;
    return run(q);
  }
  search_result run(search_query q) {
    q.popularity = lookup();
    auto r = idx.search(q);
    BOOST_REQUIRE_MESSAGE(r.error.empty(), r.error);
    return r;
  }
  strings urns(const search_result& r) {
    strings out;
    for (auto& h : r.results) out.push_back(h.urn);
    return out;
  }
  bool has(const search_result& r, const std::string& urn) {
    auto u = urns(r);
    return std::find(u.begin(), u.end(), urn) != u.end();
  }
  std::string first(const std::string& text) {
    auto r = run(text);
    return r.results.empty() ? "" : r.results[0].urn;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(search_index_suite, fixture)

BOOST_AUTO_TEST_CASE(identifiers_match_their_words) {
  for (auto q : {"film actor", "FilmActor", "film_actor", "film.actor", "filmactor"})
    BOOST_TEST(first(q) == T + "FilmActor", q);
}

BOOST_AUTO_TEST_CASE(stemming) {
  BOOST_TEST(first("customers") == T + "customer");
  BOOST_TEST(has(run("placing"), T + "orders"));
}

BOOST_AUTO_TEST_CASE(phrases) {
  auto r = run("\"running totals\"");
  BOOST_TEST(urns(r) == strings{T + "orders"});
  BOOST_TEST(run("\"totals running\"").results.empty());
}

BOOST_AUTO_TEST_CASE(prefixes) {
  BOOST_TEST(has(run("ord*"), T + "orders"));
  BOOST_TEST(has(run("big ord"), "urn:almanac:view:shop.sales.big_orders")); // last word typed
}

BOOST_AUTO_TEST_CASE(columns_and_definitions_are_searchable) {
  BOOST_TEST(has(run("order_id"), T + "orders"));      // a column's name on its table
  BOOST_TEST(first("order id") == C + "orders.order_id");
  BOOST_TEST(has(run("amount"), "urn:almanac:view:shop.sales.big_orders")); // definition
  BOOST_TEST(has(run("shop"), T + "customer"));        // source name
}

BOOST_AUTO_TEST_CASE(filters) {
  search_query q;
  q.text = "orders";
  q.kinds = {"column"};
  auto r = run(q);
  BOOST_TEST(!r.results.empty());
  for (auto& h : r.results) BOOST_TEST(h.kind == "column");
  q = {};
  q.tags = {"PII"};
  BOOST_TEST(run(q).total == 2u); // no text: everything with the tag
  q.stewards = {"alice"};
  BOOST_TEST(urns(run(q)) == strings{T + "customer"});
  q = {};
  q.text = "orders";
  q.deprecated = false;
  BOOST_TEST(!has(run(q), T + "orders_old"));
  q.deprecated = true;
  BOOST_TEST(urns(run(q)) == strings{T + "orders_old"});
  q = {};
  q.sources = {"nope"};
  BOOST_TEST(run(q).total == 0u);
  q.sources = {"shop"};
  q.schemas = {"sales"};
  q.kinds = {"table", "view"};
  BOOST_TEST(run(q).total == 6u);
}

BOOST_AUTO_TEST_CASE(facets) {
  search_query q;
  auto r = run(q);
  BOOST_TEST(r.total == 10u);
  BOOST_TEST(r.facets["kind"]["table"] == 5u);
  BOOST_TEST(r.facets["kind"]["column"] == 2u);
  BOOST_TEST(r.facets["source"]["shop"] == 10u);
  BOOST_TEST(r.facets["tag"]["pii"] == 2u);
  BOOST_TEST(r.facets["tag"]["core"] == 1u);
  BOOST_TEST(r.facets["steward"]["bob"] == 1u);
  BOOST_TEST(r.facets["curation"]["deprecated"] == 1u);
  auto j = r.to_json();
  BOOST_TEST(j["facets"]["kind"]["view"] == 1);
  BOOST_TEST(j["total"] == 10);
}

BOOST_AUTO_TEST_CASE(pagination) {
  search_query q;
  q.limit = 100;
  auto all = urns(run(q));
  BOOST_REQUIRE_EQUAL(all.size(), 10u);
  strings paged;
  for (size_t off = 0; off < 10; off += 3) {
    q.offset = off;
    q.limit = 3;
    auto r = run(q);
    BOOST_TEST(r.total == 10u);
    for (auto& u : urns(r)) paged.push_back(u);
  }
  BOOST_TEST(paged == all);
}

BOOST_AUTO_TEST_CASE(snippets) {
  auto r = run("placed");
  BOOST_REQUIRE(!r.results.empty());
  bool highlighted = false;
  for (auto& h : r.results)
    if (h.snippet.find("<b>placed</b>") != std::string::npos) highlighted = true;
  BOOST_TEST(highlighted);
  auto t = run("order id");
  BOOST_TEST(t.results[0].snippet.find("<b>") != std::string::npos, t.results[0].snippet);
}

BOOST_AUTO_TEST_CASE(exact_name_first) {
  BOOST_TEST(first("orders") == T + "orders");
  BOOST_TEST(first("Customer") == T + "customer");
  BOOST_TEST(first("customer orders") == T + "orders"); // its title
}

BOOST_AUTO_TEST_CASE(popularity_and_curation) {
  // "orders" vs "orders_old" for "orders before": same words; curation and
  // usage move them.
  auto rank = [&](const std::string& text, const std::string& urn) {
    auto u = urns(run(text));
    return std::find(u.begin(), u.end(), urn) - u.begin();
  };
  std::string q = "orders placed before";
  auto r0 = run("order");
  double base = 0;
  for (auto& h : r0.results)
    if (h.urn == "urn:almanac:view:shop.sales.big_orders") base = h.score;
  // No usage: the score is the text score.
  for (auto& h : r0.results) BOOST_TEST(h.score <= h.text_score * 1.0000001 + 0 * base);
  pops["urn:almanac:view:shop.sales.big_orders"] = 1000;
  looked_up.clear();
  auto lifted = run("order");
  // Looked up by URN for the matches only.
  BOOST_TEST(std::count(looked_up.begin(), looked_up.end(),
                        "urn:almanac:view:shop.sales.big_orders") == 1);
  BOOST_TEST(looked_up.size() <= search_index::rerank_depth);
  for (auto& h : lifted.results)
    if (h.urn == "urn:almanac:view:shop.sales.big_orders") {
      BOOST_TEST(h.score > h.text_score * 1.4);
      BOOST_TEST(h.score < h.text_score * 1.5); // bounded
    }
  // Endorsement lifts, deprecation lowers.
  auto score_of = [&](const std::string& text, const std::string& urn) {
    for (auto& h : run(text).results)
      if (h.urn == urn) return h.score;
    return -1.0;
  };
  double before = score_of("placed", T + "customer");
  BOOST_TEST(before > 0);
  BOOST_TEST(rank("placed", T + "customer") >= 0);
  add(entity(T + "customer", "table", "customer",
             {{"parent", "urn:almanac:schema:shop.sales"}, {"endorsed", true},
              {"description", "One row per customer who ever placed an order"},
              {"tags", {"pii", "core"}}, {"stewards", {"alice"}}}));
  BOOST_REQUIRE(idx.commit(44).ok());
  BOOST_TEST(score_of("placed", T + "customer") == before * 1.25,
             boost::test_tools::tolerance(1e-9));
  auto d = run("orders");
  for (auto& h : d.results)
    if (h.urn == T + "orders_old") BOOST_TEST(h.score == h.text_score * 0.5);
  (void)q;
}

BOOST_AUTO_TEST_CASE(lexicon_expands_queries) {
  // "cust" (an abbreviation found in cust_addr) expands to customer.
  auto lex = idx.lexicon_json();
  bool learned = false;
  for (auto& e : lex["entries"])
    if (e["abbreviation"] == "cust" && e["expansion"] == "customer" && e["source"] == "learned")
      learned = true;
  BOOST_TEST(learned, lex.dump());
  auto r = run("cust");
  BOOST_TEST(has(r, T + "customer"));
  BOOST_TEST(has(r, T + "cust_addr"));
  BOOST_TEST(idx.suggest_title("cust_addr") == "Customer Address");
  // amt: a consonant skeleton of amount (in the view definition? no: only
  // words of names and texts count), learned from order_amt + amount.
  BOOST_TEST(idx.suggest_title("order_amt") == "Order Amt");
  // A manual entry overrides, is persisted and expands queries.
  BOOST_REQUIRE(idx.put_lexicon("amt", "amount").ok());
  BOOST_TEST(idx.suggest_title("order_amt") == "Order Amount");
  BOOST_TEST(has(run("amt"), "urn:almanac:view:shop.sales.big_orders"));
  BOOST_REQUIRE(idx.commit(45).ok());
  search_index other;
  // A second writer on the same directory is refused (Xapian's lock).
  BOOST_TEST(!other.open(dir.string()).ok());
}

BOOST_AUTO_TEST_CASE(glossary_synonyms) {
  add(entity("urn:almanac:term:Revenue", "term", "Revenue",
             {{"attributes", {{"synonyms", {"turnover", "sales"}}, {"abbreviation", "rev"}}}}));
  add(entity(T + "income", "table", "income",
             {{"parent", "urn:almanac:schema:shop.sales"}, {"description", "Monthly revenue"}}));
  BOOST_REQUIRE(idx.commit(50).ok());
  BOOST_TEST(has(run("turnover"), T + "income"));
  BOOST_TEST(has(run("rev"), T + "income"));
  auto lex = idx.lexicon_json().dump();
  BOOST_TEST(lex.find("\"glossary\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stored_entities) {
  auto e = idx.entity(T + "orders");
  BOOST_REQUIRE(e);
  BOOST_TEST((*e)["title"] == "Customer orders");
  BOOST_TEST(!idx.entity(T + "nope"));
}

BOOST_AUTO_TEST_CASE(suggest) {
  auto s = idx.suggest("ord", 10);
  BOOST_REQUIRE(!s.empty());
  BOOST_TEST(s[0].urn == T + "orders");
  BOOST_TEST(idx.suggest("actor", 5)[0].urn == T + "FilmActor");
  BOOST_TEST(idx.suggest("orders", 1)[0].urn == T + "orders");
}

BOOST_AUTO_TEST_CASE(columns_follow_their_table) {
  add(entity(C + "orders.shipping_country", "column", "shipping_country",
             {{"parent", T + "orders"}}));
  BOOST_REQUIRE(idx.commit(60).ok());
  BOOST_TEST(has(run("shipping", 50), T + "orders"));
  BOOST_REQUIRE(idx.remove(C + "orders.shipping_country").ok());
  BOOST_REQUIRE(idx.commit(61).ok());
  BOOST_TEST(!has(run("shipping", 50), T + "orders"));
  BOOST_TEST(run("shipping").total == 0u);
}

BOOST_AUTO_TEST_CASE(a_table_lists_its_columns_in_ordinal_order) {
  // Registered out of order, ordinals past 9 (string order would put 10
  // before 2): the table's snippet lists them by ordinal.
  add(entity(T + "wide", "table", "wide", {{"parent", "urn:almanac:schema:shop.sales"}}));
  add(entity(C + "wide.gamma", "column", "gamma",
             {{"parent", T + "wide"}, {"attributes", {{"ordinal", 10}}}}));
  add(entity(C + "wide.alpha", "column", "alpha",
             {{"parent", T + "wide"}, {"attributes", {{"ordinal", 1}}}}));
  add(entity(C + "wide.beta", "column", "beta",
             {{"parent", T + "wide"}, {"attributes", {{"ordinal", 2}}}}));
  BOOST_REQUIRE(idx.commit(70).ok());
  auto r = run("wide");
  BOOST_REQUIRE(!r.results.empty());
  BOOST_TEST(r.results[0].urn == T + "wide");
  BOOST_TEST(r.results[0].snippet.find("alpha, beta, gamma") != std::string::npos,
             r.results[0].snippet);
}

BOOST_AUTO_TEST_CASE(an_entity_reads_back_as_upserted) {
  // What EntityEdited is applied to: every value kept with its type.
  auto e = entity(T + "typed", "table", "typed",
                  {{"description", "Ünïcödé — \"quoted\" \\ text"},
                   {"attributes", {{"ratio", 0.25}, {"count", 3}, {"negative", -7},
                                   {"big", 18446744073709551615ull}, {"none", nullptr},
                                   {"list", {1, "two", false}}, {"nested", {{"a", {{"b", "c"}}}}}}}});
  add(e);
  BOOST_REQUIRE(idx.commit(71).ok());
  auto back = idx.entity(T + "typed");
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->dump() == e.dump());
  BOOST_TEST((*back)["attributes"]["count"].is_number_integer());
  BOOST_TEST((*back)["attributes"]["ratio"].is_number_float());
}

BOOST_AUTO_TEST_CASE(facet_values_keep_every_byte) {
  // Facets are packed into one value slot with their lengths: a tag with a
  // newline (the old separator) or a NUL stays one value.
  const std::string odd = std::string("two\nlines\0and", 13);
  add(entity(T + "oddly_tagged", "table", "oddly_tagged",
             {{"parent", "urn:almanac:schema:shop.sales"}, {"tags", {odd, "pii"}}}));
  BOOST_REQUIRE(idx.commit(72).ok());
  search_query q;
  q.text = "oddly_tagged";
  auto r = run(q);
  BOOST_REQUIRE(r.total == 1u);
  BOOST_TEST(r.facets["tag"][odd] == 1u);
  BOOST_TEST(r.facets["tag"]["pii"] == 1u);
  BOOST_TEST(r.facets["tag"].size() == 2u);
  BOOST_TEST(r.facets["kind"]["table"] == 1u);
}

BOOST_AUTO_TEST_CASE(checkpoint_commits_atomically) {
  BOOST_TEST(idx.checkpoint() == 42u);
  add(entity(T + "uncommitted", "table", "uncommitted"));
  // Readers see the last commit only.
  BOOST_TEST(run("uncommitted").total == 0u);
  BOOST_REQUIRE(idx.rollback().ok());
  BOOST_TEST(idx.checkpoint() == 42u);
  BOOST_TEST(idx.suggest("uncommitted", 3).empty());
  add(entity(T + "committed", "table", "committed"));
  BOOST_REQUIRE(idx.commit(99).ok());
  BOOST_REQUIRE(idx.put_lexicon("cmt", "committed").ok());
  BOOST_REQUIRE(idx.commit(100).ok());
  add(entity(T + "lost", "table", "lost")); // never committed
  {
    search_index reopened;
    // The writer still holds the lock: close it by replacing the index.
    idx.~search_index();
    new (&idx) search_index();
    BOOST_REQUIRE(reopened.open(dir.string()).ok());
    BOOST_TEST(reopened.checkpoint() == 100u);
    search_query q;
    q.text = "committed";
    BOOST_TEST(reopened.search(q).total == 1u);
    q.text = "lost";
    BOOST_TEST(reopened.search(q).total == 0u);
    BOOST_TEST(reopened.size() == 11u);
    BOOST_TEST(reopened.suggest("commit", 3).size() == 1u);
    BOOST_TEST(reopened.suggest_title("cmt") == "Committed");
  }
  BOOST_REQUIRE(idx.open(dir.string()).ok());
}

BOOST_AUTO_TEST_CASE(readers_run_while_the_writer_commits) {
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, queries{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      while (!stop) {
        search_query q;
        q.text = "orders";
        auto r = idx.search(q);
        if (!r.error.empty() || r.results.empty()) ++errors;
        idx.suggest("or", 5);
        ++queries;
      }
    });
  for (int i = 0; i < 50; ++i) {
    add(entity(T + "t" + std::to_string(i), "table", "orders_" + std::to_string(i)));
    BOOST_REQUIRE(idx.commit(1000 + i).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  BOOST_TEST(errors == 0);
  BOOST_TEST(queries > 0);
  BOOST_TEST(idx.checkpoint() == 1049u);
}

BOOST_AUTO_TEST_CASE(readers_survive_replacements_under_commits) {
  // The soak's shape: the same documents replaced and committed again and
  // again while readers search (freed blocks, documents gone mid-query).
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, queries{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      while (!stop) {
        search_query q;
        q.text = "orders";
        auto r = idx.search(q);
        if (!r.error.empty() || r.results.empty()) ++errors;
        ++queries;
      }
    });
  for (int i = 0; i < 300; ++i) {
    for (int k = 0; k < 20; ++k)
      add(entity(T + "t" + std::to_string(k), "table", "orders_" + std::to_string(k),
                 {{"description", "revision " + std::to_string(i)}}));
    BOOST_REQUIRE(idx.commit(2000 + i).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  BOOST_TEST(errors == 0);
  BOOST_TEST(queries > 0);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

fs::path fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("search-index-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

json orders_table() {
  return entity(T + "orders", "table", "orders", {{"description", "every order placed"}});
}

double score_of_orders(search_index& idx) {
  search_query q;
  q.text = "order placed";
  auto r = idx.search(q);
  BOOST_REQUIRE(r.error.empty());
  BOOST_REQUIRE(!r.results.empty());
  BOOST_REQUIRE_EQUAL(r.results[0].urn, T + "orders");
  return r.results[0].score;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_index_of_format_1_is_discarded_for_a_rebuild) {
  // Format 1 kept usage counts in the index; format 2 read popularity
  // from the lineage store but kept its documents as JSON text; format 3
  // keeps them in MessagePack. An old index opens empty at checkpoint 0 (the
  // driver replays the log into it) and says so.
  auto dir = fresh_dir("format1");
  for (const char* old : {"almanac-search 2", "almanac-search 1"}) {
    {
      search_index idx;
      BOOST_REQUIRE(idx.open(dir.string()).ok());
      BOOST_REQUIRE(idx.upsert(orders_table()).ok());
      BOOST_REQUIRE(idx.commit(9).ok());
    }
    Xapian::WritableDatabase db(dir.string(), Xapian::DB_OPEN);
    db.set_metadata("almanac.format", old);
    db.commit();
    if (std::string(old) == "almanac-search 1")
      break;
    db.close();
    search_index idx;
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(idx.discarded_old_format(), old);
    BOOST_TEST(idx.size() == 0u, old);
  }
  {
    search_index idx;
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(idx.discarded_old_format());
    BOOST_TEST(idx.checkpoint() == 0u);
    BOOST_TEST(idx.size() == 0u);
    BOOST_REQUIRE(idx.upsert(orders_table()).ok());
    BOOST_REQUIRE(idx.commit(1).ok());
    BOOST_TEST(score_of_orders(idx) > 0);
  }
  {
    search_index idx; // now of the current format
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(!idx.discarded_old_format());
    BOOST_TEST(idx.checkpoint() == 1u);
  }
  {
    Xapian::WritableDatabase db(dir.string(), Xapian::DB_OPEN);
    db.set_metadata("almanac.format", "almanac-search 99");
    db.commit();
  }
  search_index future;
  auto st = future.open(dir.string());
  BOOST_TEST(!st.ok()); // a newer format is refused, not destroyed
  BOOST_TEST(st.error.find("almanac-search 99") != std::string::npos, st.error);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_writer_closed_by_a_failed_commit_reopens) {
  // A commit that cannot write (here: files may not grow, as on a full
  // disk) fails; rollback reopens the writer at the last commit, and once
  // writes succeed again the index goes on from there.
  auto dir = fresh_dir("full");
  search_index idx;
  BOOST_REQUIRE(idx.open(dir.string()).ok());
  BOOST_REQUIRE(idx.upsert(orders_table()).ok());
  BOOST_REQUIRE(idx.commit(7).ok());
  std::uintmax_t largest = 0;
  for (auto& f : fs::directory_iterator(dir))
    if (f.is_regular_file()) largest = std::max(largest, f.file_size());
  struct rlimit old_limit{};
  BOOST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = largest;
  BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string text(2000, 'x');
  bool failed = false;
  for (int i = 0; i < 200 && !failed; ++i) {
    auto st = idx.upsert(entity(T + "big" + std::to_string(i), "table", "big" + std::to_string(i),
                                {{"description", text + std::to_string(i)}}));
    failed = !st.ok() || !idx.commit(8 + i).ok();
  }
  BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  ::signal(SIGXFSZ, old_handler);
  BOOST_REQUIRE(failed);
  // The failed commit may have landed whole before its error (Xapian then
  // cannot reopen at the old revision): the reopened writer says which.
  auto committed = idx.checkpoint();
  BOOST_REQUIRE(idx.rollback().ok());
  BOOST_TEST((idx.checkpoint() == committed || idx.checkpoint() == committed + 1));
  committed = idx.checkpoint();
  BOOST_REQUIRE(idx.upsert(entity(T + "after", "table", "after_the_disk_was_freed")).ok());
  BOOST_REQUIRE(idx.commit(committed + 1).ok());
  BOOST_TEST(idx.checkpoint() == committed + 1);
  search_query q;
  q.text = "freed";
  auto r = idx.search(q);
  BOOST_REQUIRE(r.error.empty());
  BOOST_REQUIRE_EQUAL(r.results.size(), 1u);
  BOOST_TEST(score_of_orders(idx) > 0);
  fs::remove_all(dir);
}


namespace {

// What an open index holds in memory, as its readers see it.
std::string memory_of(const search_index& idx) {
  std::string out = idx.lexicon_json().dump();
  for (auto p : {"c", "cu", "cust", "or", "order", "ship", "te", "x", "qty", "q", "n"})
    for (auto& s : idx.suggest(p, 6)) out += "|" + s.urn + "," + s.name + "," + s.kind + "," + s.title;
  for (auto n : {"cust_addr", "order_amt", "qty_shipped", "nbr_items", "num_items"})
    out += "|" + idx.suggest_title(n);
  return out;
}

void fill(search_index& idx, int from, int to) {
  const std::string S = "urn:almanac:schema:shop.sales";
  for (int i = from; i < to; ++i) {
    auto n = std::to_string(i);
    BOOST_REQUIRE(idx.upsert(entity(T + "cust_addr_" + n, "table", "cust_addr_" + n,
                                    {{"parent", S}, {"description", "customer address number " + n}}))
                    .ok());
    BOOST_REQUIRE(idx.upsert(entity(C + "cust_addr_" + n + ".qty_shipped", "column", "qty_shipped",
                                    {{"parent", T + "cust_addr_" + n},
                                     {"description", "quantity shipped to the customer"}}))
                    .ok());
  }
  BOOST_REQUIRE(idx.upsert(entity("urn:almanac:term:g.Number", "term", "number",
                                  {{"title", "Number"},
                                   {"attributes", {{"abbreviations", {"nbr", "num"}}}}}))
                  .ok());
}

} // namespace

BOOST_AUTO_TEST_CASE(a_clean_close_snapshots_memory_and_open_uses_it_only_when_current) {
  auto dir = fresh_dir("snapshot");
  auto snap = dir / "almanac-memory";
  std::string scanned;
  {
    search_index idx;
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(!idx.opened_from_snapshot()); // a new index
    fill(idx, 0, 40);
    BOOST_REQUIRE(idx.put_lexicon("ord", "order").ok());
    BOOST_REQUIRE(idx.remove(T + "cust_addr_7").ok());
    BOOST_REQUIRE(idx.commit(5).ok());
  }
  BOOST_REQUIRE(fs::exists(snap));
  fs::copy_file(snap, dir / "old-snapshot");
  {
    // Read every document: the reference.
    fs::remove(snap);
    search_index idx;
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(!idx.opened_from_snapshot());
    scanned = memory_of(idx);
  }
  {
    search_index idx; // from the snapshot its close wrote: the same memory
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(idx.opened_from_snapshot());
    BOOST_TEST(memory_of(idx) == scanned);
    BOOST_TEST(idx.checkpoint() == 5u);
    // Uncommitted changes at close: no snapshot (they are not in the index).
    fill(idx, 40, 45);
  }
  BOOST_TEST(!fs::exists(snap));
  {
    search_index idx;
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(!idx.opened_from_snapshot());
    BOOST_TEST(memory_of(idx) == scanned);
    fill(idx, 40, 45);
    BOOST_REQUIRE(idx.commit(6).ok());
    scanned = memory_of(idx);
  }
  // A stale snapshot (of an earlier revision) is not used.
  fs::copy_file(dir / "old-snapshot", snap, fs::copy_options::overwrite_existing);
  {
    search_index idx;
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(!idx.opened_from_snapshot());
    BOOST_TEST(memory_of(idx) == scanned);
  }
  // A corrupt one neither.
  {
    std::string body;
    {
      std::ifstream in(snap, std::ios::binary);
      body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    BOOST_REQUIRE(body.size() > 200);
    body[body.size() / 2] ^= 0x20;
    std::ofstream(snap, std::ios::binary | std::ios::trunc) << body;
    search_index idx;
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_TEST(!idx.opened_from_snapshot());
    BOOST_TEST(memory_of(idx) == scanned);
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(memory_does_not_depend_on_the_order_of_changes) {
  // The same documents reached through different histories (reverse order,
  // removals and re-registrations that reuse the suggester's slots, two
  // glossary terms claiming one abbreviation in either order): the same
  // suggestions and lexicon, as a restart that reads every document gives.
  const std::string S = "urn:almanac:schema:shop.sales";
  auto column = [&](int i) {
    auto n = std::to_string(i);
    return entity(C + "t" + n + ".qty_shipped", "column", "qty_shipped",
                  {{"parent", T + "t" + n}});
  };
  auto table = [&](int i) {
    auto n = std::to_string(i);
    return entity(T + "t" + n, "table", "t" + n, {{"parent", S}});
  };
  auto term = [](const std::string& urn, const std::string& title) {
    return entity(urn, "term", title,
                  {{"title", title}, {"attributes", {{"abbreviations", {"nbr"}}}}});
  };
  auto a_dir = fresh_dir("history_a"), b_dir = fresh_dir("history_b");
  std::string a, b, b_scanned;
  {
    search_index idx;
    BOOST_REQUIRE(idx.open(a_dir.string()).ok());
    for (int i = 0; i < 12; ++i) {
      BOOST_REQUIRE(idx.upsert(table(i)).ok());
      BOOST_REQUIRE(idx.upsert(column(i)).ok());
    }
    BOOST_REQUIRE(idx.upsert(term("urn:almanac:term:g.Number", "Number")).ok());
    BOOST_REQUIRE(idx.upsert(term("urn:almanac:term:g.Neighbour", "Neighbour")).ok());
    BOOST_REQUIRE(idx.commit(1).ok());
    a = memory_of(idx);
  }
  {
    search_index idx;
    BOOST_REQUIRE(idx.open(b_dir.string()).ok());
    BOOST_REQUIRE(idx.upsert(term("urn:almanac:term:g.Neighbour", "Neighbour")).ok());
    for (int i = 11; i >= 0; --i) {
      BOOST_REQUIRE(idx.upsert(table(i)).ok());
      BOOST_REQUIRE(idx.upsert(column(i)).ok());
    }
    BOOST_REQUIRE(idx.upsert(term("urn:almanac:term:g.Number", "Number")).ok());
    for (int i = 0; i < 12; i += 3) BOOST_REQUIRE(idx.remove(C + "t" + std::to_string(i) + ".qty_shipped").ok());
    BOOST_REQUIRE(idx.remove("urn:almanac:term:g.Neighbour").ok());
    BOOST_REQUIRE(idx.upsert(term("urn:almanac:term:g.Neighbour", "Neighbour")).ok());
    BOOST_REQUIRE(idx.upsert(term("urn:almanac:term:g.Number", "Number")).ok()); // last again
    for (int i = 9; i >= 0; i -= 3) BOOST_REQUIRE(idx.upsert(column(i)).ok());
    BOOST_REQUIRE(idx.commit(1).ok());
    b = memory_of(idx);
  }
  BOOST_TEST(a == b);
  fs::remove(b_dir / "almanac-memory");
  {
    search_index idx;
    BOOST_REQUIRE(idx.open(b_dir.string()).ok());
    BOOST_TEST(!idx.opened_from_snapshot());
    BOOST_TEST(memory_of(idx) == a);
  }
  fs::remove_all(a_dir);
  fs::remove_all(b_dir);
}

BOOST_AUTO_TEST_CASE(a_discarded_index_writes_no_snapshot) {
  auto dir = fresh_dir("discarded");
  {
    search_index idx;
    BOOST_REQUIRE(idx.open(dir.string()).ok());
    BOOST_REQUIRE(idx.upsert(orders_table()).ok());
    BOOST_REQUIRE(idx.commit(1).ok());
    idx.discard();
  }
  BOOST_TEST(!fs::exists(dir / "almanac-memory"));
  fs::remove_all(dir);
}
