// Pure parts of search: identifier splitting, the lexicon's abbreviation
// rule, learning and precedence, title suggestions, the suggester and the
// ranking formula.
#define BOOST_TEST_MODULE search_text
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <map>

#include "actors/search/lexicon.hpp"
#include "actors/search/domain/ranking.hpp"
#include "actors/search/domain/suggester.hpp"
#include "actors/search/domain/text.hpp"

using namespace almanac::search;
using strings = std::vector<std::string>;

BOOST_AUTO_TEST_CASE(identifiers_split_into_words) {
  strings film_actor{"film", "actor"};
  BOOST_TEST(words("film_actor") == film_actor);
  BOOST_TEST(words("FilmActor") == film_actor);
  BOOST_TEST(words("film.actor") == film_actor);
  BOOST_TEST(words("film-actor") == film_actor);
  BOOST_TEST(words("  Film  ACTOR ") == film_actor);
  BOOST_TEST(words("HTTPServer") == (strings{"http", "server"}));
  BOOST_TEST(words("address2") == (strings{"address", "2"}));
  BOOST_TEST(words("payment_p2022_01") == (strings{"payment", "p", "2022", "01"}));
  BOOST_TEST(words("zip code") == (strings{"zip", "code"}));
  BOOST_TEST(normalize("Film_Actor") == "filmactor");
  BOOST_TEST(normalize("film actor") == normalize("film.actor"));
  BOOST_TEST(split_for_display("the film_actor table, customerId.") ==
             "the film actor table, customer Id.");
}

BOOST_AUTO_TEST_CASE(abbreviation_rule) {
  BOOST_TEST(abbreviates("cust", "customer"));  // truncation
  BOOST_TEST(abbreviates("addr", "address"));
  BOOST_TEST(abbreviates("amt", "amount"));     // consonant skeleton
  BOOST_TEST(abbreviates("qty", "quantity"));
  BOOST_TEST(abbreviates("nbr", "number"));
  BOOST_TEST(!abbreviates("cu", "customer"));   // too short
  BOOST_TEST(!abbreviates("film", "films"));    // a form, not an abbreviation
  BOOST_TEST(!abbreviates("amt", "account"));   // not a subsequence
  BOOST_TEST(!abbreviates("rate", "rating"));   // vowels, not a prefix
  BOOST_TEST(!abbreviates("cst", "account"));   // first letter differs
}

BOOST_AUTO_TEST_CASE(lexicon_learns_from_identifiers) {
  lexicon lex;
  lex.count_identifier(words("cust_addr"), 1);
  lex.count_identifier(words("cust_id"), 1);
  for (int i = 0; i < 3; ++i) lex.count_identifier(words("customer_address"), 1);
  lex.count_text(words("The amount paid by the customer"), 1);
  lex.count_identifier(words("amount"), 1);
  lex.count_identifier(words("amt"), 1);
  lex.relearn();
  auto e = lex.lookup("cust");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->expansion == "customer");
  BOOST_TEST(e->source == "learned");
  BOOST_TEST(e->count == 2u);
  BOOST_TEST(lex.lookup("addr")->expansion == "address");
  BOOST_TEST(lex.lookup("amt")->expansion == "amount");
  BOOST_TEST(lex.suggest_title("cust_addr") == "Customer Address");
  BOOST_TEST(lex.suggest_title("cust_id") == "Customer ID");
  // A word of the vocabulary that abbreviates nothing is left alone.
  BOOST_TEST(!lex.lookup("customer"));
  // Not in the vocabulary: inferred at lookup.
  auto inferred = lex.lookup("custo");
  BOOST_REQUIRE(inferred);
  BOOST_TEST(inferred->expansion == "customer");
  auto j = lex.to_json();
  BOOST_TEST(j["entries"].is_array());
  bool found = false;
  for (auto& x : j["entries"])
    if (x["abbreviation"] == "cust")
      found = x["expansion"] == "customer" && x["source"] == "learned" && x["count"] == 2;
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(lexicon_precedence_manual_over_glossary_over_learned) {
  lexicon lex;
  lex.count_identifier(words("cust_id"), 1);
  lex.count_identifier(words("customer"), 1);
  lex.count_identifier(words("customer"), 1);
  lex.count_identifier(words("custodian"), 1);
  lex.relearn();
  BOOST_TEST(lex.lookup("cust")->expansion == "customer");
  lex.set_glossary("urn:almanac:term:Custodian", "Custodian", {"cust"});
  BOOST_TEST(lex.lookup("cust")->expansion == "custodian");
  BOOST_TEST(lex.lookup("CUST")->source == "glossary");
  lex.put_manual("cust", "Customer Account");
  BOOST_TEST(lex.lookup("cust")->expansion == "customer account");
  BOOST_TEST(lex.lookup("cust")->source == "manual");
  // The manual entry survives a save/load; removing it restores the glossary.
  lexicon copy;
  copy.load(lex.save());
  BOOST_TEST(copy.lookup("cust")->source == "manual");
  lex.put_manual("cust", "");
  BOOST_TEST(lex.lookup("cust")->source == "glossary");
  lex.set_glossary("urn:almanac:term:Custodian", "Custodian", {});
  BOOST_TEST(lex.lookup("cust")->source == "learned");
  // Removing words unlearns.
  lex.count_identifier(words("customer"), -1);
  lex.count_identifier(words("customer"), -1);
  lex.relearn();
  BOOST_TEST(lex.frequency("customer") == 0u);
}

BOOST_AUTO_TEST_CASE(suggester_prefixes) {
  suggester s;
  s.upsert("urn:t:actor", "actor", "table", "");
  s.upsert("urn:v:actor_info", "actor_info", "view", "");
  s.upsert("urn:c:actor_id", "actor_id", "column", "");
  s.upsert("urn:c:film.actor_id", "actor_id", "column", "");
  s.upsert("urn:t:film", "film", "table", "Films we rent");
  std::map<std::string, double> pops{{"urn:c:film.actor_id", 5}};
  auto pop = [&](const strings& urns) {
    std::vector<double> out;
    for (auto& u : urns) out.push_back(pops.count(u) ? pops[u] : 0.0);
    return out;
  };
  auto names = [](const std::vector<suggestion>& v) {
    strings out;
    for (auto& x : v) out.push_back(x.urn);
    return out;
  };
  BOOST_TEST(s.suggest("act", 10)[0].urn == "urn:t:actor"); // no popularity: tables first
  auto r = s.suggest("act", 10, pop);
  BOOST_REQUIRE_EQUAL(r.size(), 4u);
  BOOST_TEST(r[0].urn == "urn:c:film.actor_id"); // popular first
  BOOST_TEST(s.suggest("actor", 1)[0].urn == "urn:t:actor"); // exact first
  BOOST_TEST(names(s.suggest("info", 5)) == strings{"urn:v:actor_info"}); // later word
  BOOST_TEST(names(s.suggest("ActorInf", 5)) == strings{"urn:v:actor_info"});
  BOOST_TEST(names(s.suggest("rent", 5)) == strings{"urn:t:film"}); // title word
  BOOST_TEST(s.suggest("act", 2).size() == 2u);
  s.remove("urn:v:actor_info");
  BOOST_TEST(s.suggest("info", 5).empty());
  pops["urn:t:actor"] = 100;
  BOOST_TEST(s.suggest("act", 1, pop)[0].urn == "urn:t:actor");
  BOOST_TEST(s.size() == 4u);
}

BOOST_AUTO_TEST_CASE(ranking_formula) {
  BOOST_TEST(popularity_boost(0) == 1.0);
  BOOST_TEST(popularity_boost(10) == 1.25);
  BOOST_TEST(popularity_boost(1e12) < 1.5);
  BOOST_TEST(final_score(2.0, 0, false, false) == 2.0); // no usage: text score
  BOOST_TEST(final_score(2.0, 0, true, false) == 2.5);
  BOOST_TEST(final_score(2.0, 0, false, true) == 1.0);
  BOOST_TEST(final_score(2.0, 10, true, false) > final_score(2.0, 10, false, false));
}
