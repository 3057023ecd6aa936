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

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("search-rel-" + std::to_string(::getpid()));
  ~temp_dir() { fs::remove_all(path); }
};

} // namespace

BOOST_AUTO_TEST_CASE(pagila_mrr) {
  temp_dir tmp;
  search_index idx;
  BOOST_REQUIRE(idx.open(tmp.path.string()).ok());
  for (auto& e : load(data_dir() / "pagila_entities.json")) BOOST_REQUIRE(idx.upsert(e).ok());
  BOOST_REQUIRE(idx.commit(1).ok());
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
    if (rank != 1 && !r.results.empty()) std::cout << "   (first: " << r.results[0].urn << ")";
    std::cout << "\n";
  }
  double mrr = sum / set.size();
  double best = 0;
  std::ifstream(data_dir() / "relevance_best.txt") >> best;
  std::cout << "MRR " << mrr << " over " << set.size() << " queries (best recorded " << best
            << ")\n";
  BOOST_CHECK_GE(mrr + 1e-9, best);
}

BOOST_AUTO_TEST_CASE(pagila_must_haves) {
  temp_dir tmp;
  search_index idx;
  BOOST_REQUIRE(idx.open(tmp.path.string()).ok());
  for (auto& e : load(data_dir() / "pagila_entities.json")) BOOST_REQUIRE(idx.upsert(e).ok());
  BOOST_REQUIRE(idx.commit(1).ok());
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
