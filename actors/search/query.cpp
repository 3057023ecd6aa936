#include "actors/search/index_impl.hpp"

#include "actors/search/domain/ranking.hpp"
#include "actors/search/domain/text.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace almanac::search {
namespace {

constexpr double expansion_weight = 0.6;
constexpr double prefix_weight = 0.3;
constexpr double exact_weight = 10.0;
constexpr double whole_identifier_weight = 4.0;

using Q = Xapian::Query;

/// One part of a query: a word group (an identifier split into words) or a
/// phrase.
struct item {
  std::vector<std::string> words;
  std::string raw; ///< lowercase token as typed
  bool phrase = false;
  bool prefix = false; ///< explicit `*` or the last word being typed
};

std::vector<item> parse(const std::string& text) {
  std::vector<item> out;
  size_t i = 0, n = text.size();
  while (i < n) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    item it;
    size_t start = i;
    if (text[i] == '"') {
      auto end = text.find('"', i + 1);
      if (end == std::string::npos) end = n;
      it.words = words(text.substr(i + 1, end - i - 1));
      it.phrase = it.words.size() > 1;
      i = end + 1;
    } else {
      while (i < n && text[i] != ' ' && text[i] != '\t') ++i;
      std::string tok = text.substr(start, i - start);
      if (!tok.empty() && tok.back() == '*') {
        it.prefix = true;
        tok.pop_back();
      }
      it.words = words(tok);
      for (auto& c : tok)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      it.raw = tok;
    }
    if (!it.words.empty()) out.push_back(std::move(it));
  }
  // The last word being typed matches as a prefix too.
  if (!out.empty() && !out.back().phrase && !text.empty() && text.back() != ' ' &&
      text.back() != '"')
    out.back().prefix = true;
  return out;
}

Q scaled(const Q& q, double w) { return Q(Q::OP_SCALE_WEIGHT, q, w); }

Q field_terms(const std::string& stemmed) {
  std::vector<Q> subs;
  for (auto& f : all_fields) subs.push_back(scaled(Q(std::string("Z") + f.prefix + stemmed), f.weight));
  return Q(Q::OP_OR, subs.begin(), subs.end());
}

Q prefix_query(const std::string& w) {
  if (w.size() < 2) return Q();
  std::vector<Q> subs;
  for (auto& f : {field_name, field_title}) {
    subs.push_back(scaled(Q(Q::OP_WILDCARD, f.prefix + w, 50, Q::WILDCARD_LIMIT_MOST_FREQUENT),
                          prefix_weight * f.weight));
  }
  return Q(Q::OP_OR, subs.begin(), subs.end());
}

struct builder {
  const Xapian::Stem& stem;
  const lexicon& lex;
  std::vector<std::string> expanded; ///< the query with words expanded

  Q word(const std::string& w, bool prefix) {
    std::vector<Q> alts{field_terms(stem(w))};
    auto e = lex.lookup(w);
    if (e && e->expansion != w) {
      std::vector<Q> parts;
      for (auto& x : words(e->expansion)) parts.push_back(field_terms(stem(x)));
      alts.push_back(scaled(Q(Q::OP_AND, parts.begin(), parts.end()), expansion_weight));
      expanded.push_back(e->expansion);
    } else {
      expanded.push_back(w);
    }
    if (prefix) alts.push_back(prefix_query(w));
    return Q(Q::OP_OR, alts.begin(), alts.end());
  }

  Q build(const item& it) {
    if (it.phrase) {
      std::vector<Q> subs;
      for (auto& f : all_fields) {
        std::vector<Q> terms;
        for (auto& w : it.words) terms.emplace_back(f.prefix + w);
        subs.push_back(scaled(Q(Q::OP_PHRASE, terms.begin(), terms.end()), f.weight));
      }
      for (auto& w : it.words) expanded.push_back(w);
      return Q(Q::OP_OR, subs.begin(), subs.end());
    }
    std::vector<Q> parts;
    for (size_t i = 0; i < it.words.size(); ++i)
      parts.push_back(word(it.words[i], it.prefix && i + 1 == it.words.size()));
    Q q(Q::OP_AND, parts.begin(), parts.end());
    if (it.words.size() > 1)
      q = Q(Q::OP_OR, q, scaled(Q(term_identifier + it.raw), whole_identifier_weight));
    return q;
  }
};

Q any_of(const char* prefix, const std::vector<std::string>& values, bool lower = false) {
  std::vector<Q> subs;
  for (auto v : values) {
    if (lower)
      for (auto& c : v)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    subs.emplace_back(prefix + v);
  }
  return Q(Q::OP_OR, subs.begin(), subs.end());
}

Q apply_filters(Q q, const search_query& sq) {
  std::vector<Q> filters;
  if (!sq.kinds.empty()) filters.push_back(any_of(term_kind, sq.kinds));
  if (!sq.sources.empty()) filters.push_back(any_of(term_source, sq.sources));
  if (!sq.schemas.empty()) filters.push_back(any_of(term_schema, sq.schemas));
  if (!sq.tags.empty()) filters.push_back(any_of(term_tag, sq.tags, true));
  if (!sq.stewards.empty()) filters.push_back(any_of(term_steward, sq.stewards));
  if (sq.endorsed && *sq.endorsed) filters.emplace_back(term_endorsed);
  if (sq.deprecated && *sq.deprecated) filters.emplace_back(term_deprecated);
  if (!filters.empty())
    q = Q(Q::OP_FILTER, q, Q(Q::OP_AND, filters.begin(), filters.end()));
  if (sq.endorsed && !*sq.endorsed) q = Q(Q::OP_AND_NOT, q, Q(term_endorsed));
  if (sq.deprecated && !*sq.deprecated) q = Q(Q::OP_AND_NOT, q, Q(term_deprecated));
  return q;
}

/// Counts the facet values of each matching document: kind, source, schema (one value each), tags, stewards and
/// curation, all packed in slot_facets. (The matcher's documents read their
/// values from the slots' value streams: one slot, not six, is what made
/// facets cheap.)
class facet_spy : public Xapian::MatchSpy {
public:
  void operator()(const Xapian::Document& doc, double) override {
    auto packed = doc.get_value(slot_facets);
    if (packed.empty()) return;
    auto lists = unpack_lists(packed);
    for (size_t i = 0; i < lists.size() && i < std::size(names); ++i)
      for (auto& v : lists[i])
        if (!v.empty()) ++facets[names[i]][v];
  }
  std::map<std::string, std::map<std::string, uint64_t>> facets;

private:
  static constexpr const char* names[] = {"kind", "source", "schema",
                                           "tag",  "steward", "curation"};
};

struct ranked {
  Xapian::docid id;
  int tier;
  double text;
  double score;
};

} // namespace

nlohmann::json search_result::to_json() const {
  auto rs = nlohmann::json::array();
  for (auto& r : results)
    rs.push_back({{"urn", r.urn}, {"kind", r.kind}, {"name", r.name}, {"title", r.title},
                  {"score", r.score}, {"snippet", r.snippet}});
  nlohmann::json fs = nlohmann::json::object();
  for (auto& [name, values] : facets) fs[name] = values;
  return {{"total", total}, {"results", std::move(rs)}, {"facets", std::move(fs)}};
}

search_result search_index::search(const search_query& sq) const {
  search_result out;
  if (impl_->dir.empty()) {
    out.error = "search index not open";
    return out;
  }
  Xapian::Stem stem("en"); // not thread-safe: one per query
  auto items = parse(sq.text);
  std::vector<std::string> expanded;
  Q main;
  Q or_main;
  std::string norm = normalize(sq.text);
  {
    std::shared_lock<std::shared_mutex> mem(impl_->mem_mu);
    builder b{stem, impl_->lex, {}};
    std::vector<Q> parts;
    for (auto& it : items) parts.push_back(b.build(it));
    if (auto e = impl_->lex.lookup(norm); e && items.size() > 1)
      b.expanded = {e->expansion};
    expanded = b.expanded;
    if (!parts.empty()) {
      main = Q(Q::OP_AND, parts.begin(), parts.end());
      if (parts.size() > 1) or_main = Q(Q::OP_OR, parts.begin(), parts.end());
    }
  }
  std::vector<Q> plain;
  for (auto& it : items)
    for (auto& w : it.words) {
      plain.emplace_back(w);
      plain.emplace_back("Z" + stem(w));
    }
  for (auto& e : expanded)
    for (auto& w : words(e)) {
      plain.emplace_back(w);
      plain.emplace_back("Z" + stem(w));
    }
  Q snippet_query(Q::OP_OR, plain.begin(), plain.end());
  std::string bag = bag_key(sq.text, stem);
  std::string norm_expanded, expanded_text;
  for (auto& e : expanded) {
    norm_expanded += normalize(e);
    expanded_text += e + " ";
  }
  std::string bag_expanded = bag_key(expanded_text, stem);
  auto with_exact = [&](Q q) {
    if (norm.empty()) return apply_filters(Q(Q::MatchAll), sq);
    std::vector<Q> subs{q, scaled(Q(term_exact_name + norm), exact_weight),
                        scaled(Q(term_exact_title + norm), exact_weight)};
    if (norm_expanded != norm && !norm_expanded.empty())
      subs.push_back(scaled(Q(term_exact_name + norm_expanded), exact_weight * expansion_weight));
    return apply_filters(Q(Q::OP_OR, subs.begin(), subs.end()), sq);
  };

  // A reader overtaken by two commits must reopen. Under a steady stream of
  // commits and a busy CPU optimism can fail again and again (9 of 68,570
  // searches failed 10 tries in the soak), so after two tries the query
  // holds the commit gate shared: no commit can overtake it.
  constexpr int optimistic_tries = 2;
  for (int attempt = 0; attempt <= optimistic_tries + 1; ++attempt) {
    std::shared_lock<std::shared_mutex> gate(impl_->commit_gate, std::defer_lock);
    if (attempt > optimistic_tries) gate.lock();
    std::unique_ptr<Xapian::Database> db;
    try {
      db = impl_->acquire();
      // Every Xapian object that shares the database's (non-atomically
      // reference-counted) internals must be gone before the database goes
      // back to the pool, where another thread may reopen it.
      {
      Xapian::Enquire enq(*db);
      Xapian::BM25Weight bm25(1.2, 0, 1, 0.2, 0.5);
      enq.set_weighting_scheme(bm25);
      Q q = with_exact(main);
      enq.set_query(q);
      facet_spy spy;
      if (sq.facets) enq.add_matchspy(&spy);
      size_t fetch = std::max(rerank_depth, sq.offset + sq.limit);
      auto mset = enq.get_mset(0, fetch, sq.check_at_least);
      if (mset.empty() && !or_main.empty()) {
        // Nothing matches every word: any word will do.
        q = with_exact(or_main);
        enq.set_query(q);
        mset = enq.get_mset(0, fetch, sq.check_at_least);
      }
      out.total = mset.get_matches_estimated();
      mset.fetch(); // documents in one batch
      std::vector<ranked> rs;
      rs.reserve(mset.size());
      // One lookup per document for what re-ranking needs.
      std::vector<std::vector<std::string>> fields;
      fields.reserve(mset.size());
      for (auto it = mset.begin(); it != mset.end(); ++it) {
        fields.push_back(unpack_fields(it.get_document().get_value(slot_rank)));
        fields.back().resize(rank_fields);
      }
      std::vector<double> pops;
      if (sq.popularity) {
        std::vector<std::string> urns;
        urns.reserve(mset.size());
        for (auto& f : fields) urns.push_back(f[rank_urn]);
        pops = sq.popularity(urns);
      }
      size_t rank = 0;
      for (auto it = mset.begin(); it != mset.end(); ++it, ++rank) {
        const auto& f = fields[rank];
        double pop = rank < pops.size() ? pops[rank] : 0.0;
        const auto& cur = f[rank_curation];
        bool endorsed = cur.find("endorsed") != std::string::npos;
        bool deprecated = cur.find("deprecated") != std::string::npos;
        const auto& name = f[rank_exact_name];
        const auto& title = f[rank_exact_title];
        // Exact tiers (see ranking.hpp).
        auto level = [&](const std::string& n, const std::string& b) {
          if (n.empty()) return 0;
          if (name == n || title == n || f[rank_stem_name] == b) return 3;
          if (f[rank_qualified] == b) return 2;
          return 0;
        };
        int tier = std::max(2 * level(norm, bag), 2 * level(norm_expanded, bag_expanded) - 1);
        tier = tier > 0 ? 2 * tier + (f[rank_kind] != "column") : 0;
        double text = it.get_weight();
        rs.push_back({*it, tier, text, final_score(norm.empty() ? 1.0 : text, pop, endorsed, deprecated)});
      }
      std::stable_sort(rs.begin(), rs.end(), [](const ranked& a, const ranked& b) {
        if (a.tier != b.tier) return a.tier > b.tier;
        return a.score > b.score;
      });
      // Snippets highlight the query's words in unprefixed text: an MSet of
      // a query of plain terms (raw and stemmed words, expansions).
      Xapian::Enquire snip_enq(*db);
      snip_enq.set_query(snippet_query);
      auto snip = snip_enq.get_mset(0, 0);
      for (size_t i = sq.offset; i < rs.size() && i < sq.offset + sq.limit; ++i) {
        auto info = read_data(db->get_document(rs[i].id));
        search_hit h;
        h.urn = str(info.entity, "urn");
        h.kind = str(info.entity, "kind");
        h.name = str(info.entity, "name");
        h.title = str(info.entity, "title");
        h.score = rs[i].score;
        h.text_score = rs[i].text;
        h.snippet = snip.snippet(snippet_text(info.entity, info.columns), sq.snippet_length,
                                 stem, Xapian::MSet::SNIPPET_EXHAUSTIVE, "<b>", "</b>", "…");
        out.results.push_back(std::move(h));
      }
      if (sq.facets) {
        out.facets = std::move(spy.facets);
        for (auto f : {"kind", "source", "schema", "tag", "steward", "curation"}) out.facets[f];
      }
      }
      impl_->release(std::move(db));
      return out;
    } catch (const Xapian::Error& e) {
      // A commit overtook the reader: DatabaseModifiedError, or (seen under
      // load) a read of blocks the commit had just freed: "Expected block",
      // "EOF reading block", a document not found. The reader is dropped
      // (not pooled); the query is retried on a fresh one, at last under the
      // gate, where an error is the index's own.
      out = search_result{};
      if (attempt <= optimistic_tries)
        continue;
      out.error = e.get_description();
      out.busy = true;
      return out;
    }
  }
  return out; // not reached: the gated try returns
}

} // namespace almanac::search
