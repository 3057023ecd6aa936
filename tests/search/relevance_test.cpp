// Relevance over the pagila catalog: every query of relevance_pagila.json
// against the entities of pagila_entities.json (a real extraction), mean
// reciprocal rank of the first expected entity, compared with the best
// recorded in relevance_best.txt.
#define BOOST_TEST_MODULE search_relevance
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/search/search_index.hpp"

#include <cstdlib>
#include <filesystem>

#include <unistd.h>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;
using namespace almanac::search;

namespace {

fs::path data_dir() {
  if (auto* d = std::getenv("ALMANAC_SEARCH_TEST_DIR")) return d;
  return fs::path(__FILE__).parent_path();
}

nlohmann::json load(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

/// The pagila fixture, indexed and committed in a temporary directory.
struct pagila {
  fs::path path = fs::temp_directory_path() / ("search-rel-" + std::to_string(::getpid()));
  search_index idx;
  pagila() {
    BOOST_REQUIRE(idx.open(path.string()).ok());
    for (auto& e : load(data_dir() / "pagila_entities.json")) BOOST_REQUIRE(idx.upsert(e).ok());
    BOOST_REQUIRE(idx.commit(1).ok());
  }
  ~pagila() { fs::remove_all(path); }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(pagila_mrr, pagila) {
  auto set = load(data_dir() / "relevance_pagila.json");
  BOOST_REQUIRE_GE(set.size(), 25u);
  double sum = 0;
  for (auto& q : set) {
    search_query sq;
    sq.text = q["query"].get<std::string>();
    sq.limit = 10;
    auto r = idx.search(sq);
    BOOST_REQUIRE_MESSAGE(r.error.empty(), r.error);
    size_t rank = 0;
    for (size_t i = 0; i < r.results.size() && rank == 0; ++i)
      for (auto& u : q["expect"])
        if (r.results[i].urn == u.get<std::string>()) rank = i + 1;
    double rr = rank ? 1.0 / rank : 0.0;
    sum += rr;
    std::cout << (rank == 1 ? "  ok  " : "  MISS") << " rank " << rank << "  " << sq.text;
    if (rank != 1)
      for (size_t i = 0; i < r.results.size() && i < 3; ++i)
        std::cout << "\n        " << r.results[i].urn << " " << r.results[i].score << " "
                  << r.results[i].snippet;
    std::cout << "\n";
  }
  double mrr = sum / set.size();
  double best = 0;
  std::ifstream(data_dir() / "relevance_best.txt") >> best;
  std::cout << "MRR " << mrr << " over " << set.size() << " queries (best recorded " << best
            << ")\n";
  BOOST_CHECK_GE(mrr + 1e-6, best);
}

BOOST_FIXTURE_TEST_CASE(pagila_must_haves, pagila) {
  auto first = [&](const std::string& text) {
    search_query sq;
    sq.text = text;
    auto r = idx.search(sq);
    return r.results.empty() ? std::string() : r.results[0].urn;
  };
  BOOST_CHECK_EQUAL(first("film"), "urn:almanac:table:pagila.public.film");
  BOOST_CHECK_EQUAL(first("actor info"), "urn:almanac:view:pagila.public.actor_info");
  BOOST_CHECK_EQUAL(first("cust"), "urn:almanac:table:pagila.public.customer");
}

BOOST_FIXTURE_TEST_CASE(pagila_lexicon, pagila) {
  // No identifier of pagila says "cust": it is inferred from customer.
  std::cout << "lexicon: " << idx.lexicon_json().dump() << "\n";
  for (auto n : {"cust_addr", "amt_due", "inv_id", "film_cat", "pmt_date", "rental_dt"})
    std::cout << "  title " << n << " -> " << idx.suggest_title(n) << "\n";
  BOOST_CHECK_EQUAL(idx.suggest_title("cust_addr"), "Customer Address");
  auto s = idx.suggest("act", 5);
  BOOST_REQUIRE(!s.empty());
  BOOST_CHECK_EQUAL(s[0].urn, "urn:almanac:table:pagila.public.actor");
}
