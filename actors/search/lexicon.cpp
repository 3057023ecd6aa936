#include "actors/search/lexicon.hpp"

#include "actors/search/domain/pack.hpp"
#include "actors/search/domain/text.hpp"

#include <algorithm>

namespace almanac::search {
namespace {

bool alphabetic(const std::string& s) {
  for (char c : s)
    if (c < 'a' || c > 'z') return false;
  return !s.empty();
}

std::string join_words(const std::string& text) {
  std::string out;
  for (auto& w : words(text)) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

} // namespace

bool abbreviates(const std::string& a, const std::string& w) {
  if (a.size() < 3 || w.size() < a.size() + 2 || a[0] != w[0]) return false;
  if (w.compare(0, a.size(), a) == 0) return true;
  if (a.back() != w.back()) return false;
  for (size_t i = 1; i < a.size(); ++i)
    if (is_vowel(a[i])) return false;
  size_t j = 1;
  for (size_t i = 1; i < w.size() && j < a.size(); ++i)
    if (w[i] == a[j]) ++j;
  return j == a.size();
}

void lexicon::count_identifier(const std::vector<std::string>& ws, int delta) {
  for (auto& w : ws) {
    auto& c = vocab_[w];
    c.ident = delta > 0 ? c.ident + delta : (c.ident >= uint64_t(-delta) ? c.ident + delta : 0);
    if (c.total() == 0) vocab_.erase(w);
  }
}

void lexicon::count_text(const std::vector<std::string>& ws, int delta) {
  for (auto& w : ws) {
    auto& c = vocab_[w];
    c.text = delta > 0 ? c.text + delta : (c.text >= uint64_t(-delta) ? c.text + delta : 0);
    if (c.total() == 0) vocab_.erase(w);
  }
}

void lexicon::set_glossary(const std::string& term_urn, const std::string& expansion,
                           const std::vector<std::string>& synonyms) {
  auto old = glossary_by_term_.find(term_urn);
  if (old != glossary_by_term_.end()) {
    for (auto& a : old->second) {
      auto it = glossary_.find(a);
      if (it == glossary_.end()) continue;
      it->second.erase(term_urn);
      if (it->second.empty()) glossary_.erase(it);
    }
    glossary_by_term_.erase(old);
  }
  std::string exp = join_words(expansion);
  std::vector<std::string> keys;
  for (auto& s : synonyms) {
    auto key = normalize(s);
    if (key.empty() || key == normalize(expansion)) continue;
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    glossary_[key][term_urn] = exp;
    keys.push_back(key);
  }
  if (!keys.empty()) glossary_by_term_[term_urn] = std::move(keys);
}

void lexicon::put_manual(const std::string& abbreviation, const std::string& expansion) {
  auto key = normalize(abbreviation);
  if (key.empty()) return;
  auto exp = join_words(expansion);
  if (exp.empty())
    manual_.erase(key);
  else
    manual_[key] = exp;
}

std::optional<std::string> lexicon::infer(const std::string& a, uint64_t min_count) const {
  if (a.size() < 3 || !alphabetic(a)) return std::nullopt;
  auto self = vocab_.find(a);
  uint64_t own = self == vocab_.end() ? 0 : self->second.total();
  std::string best;
  uint64_t best_score = 0;
  auto consider = [&](const std::string& w, const counts& c) {
    if (c.total() < min_count || c.total() <= own || !abbreviates(a, w)) return;
    uint64_t score = c.total() * (w.compare(0, a.size(), a) == 0 ? 2 : 1);
    if (score > best_score || (score == best_score && w.size() < best.size())) {
      best = w;
      best_score = score;
    }
  };
  // Every candidate starts with a[0]: scan that letter's range.
  std::string lo(1, a[0]);
  std::string hi(1, static_cast<char>(a[0] + 1));
  for (auto it = vocab_.lower_bound(lo); it != vocab_.end() && it->first < hi; ++it)
    if (alphabetic(it->first)) consider(it->first, it->second);
  if (best.empty()) return std::nullopt;
  return best;
}

void lexicon::relearn() {
  learned_.clear();
  for (auto& [w, c] : vocab_) {
    if (c.ident == 0 || w.size() < 3 || w.size() > 5 || !alphabetic(w)) continue;
    if (auto exp = infer(w, 2)) learned_[w] = *exp;
  }
}

std::optional<lexicon_entry> lexicon::lookup(const std::string& word) const {
  auto key = normalize(word);
  if (key.empty()) return std::nullopt;
  auto count = [&] { return frequency(key); };
  if (auto it = manual_.find(key); it != manual_.end())
    return lexicon_entry{key, it->second, "manual", count()};
  if (auto it = glossary_.find(key); it != glossary_.end())
    return lexicon_entry{key, it->second.begin()->second, "glossary", count()};
  if (auto it = learned_.find(key); it != learned_.end())
    return lexicon_entry{key, it->second, "learned", count()};
  if (vocab_.count(key) == 0)
    if (auto exp = infer(key, 1)) return lexicon_entry{key, *exp, "learned", 0};
  return std::nullopt;
}

std::string lexicon::suggest_title(const std::string& name) const {
  std::string out;
  for (auto& w : words(name)) {
    std::string exp = w;
    if (auto e = lookup(w)) exp = e->expansion;
    for (auto& part : words(exp)) {
      if (!out.empty()) out += ' ';
      out += title_word(part);
    }
  }
  return out;
}

uint64_t lexicon::frequency(const std::string& word) const {
  auto it = vocab_.find(word);
  return it == vocab_.end() ? 0 : it->second.total();
}

nlohmann::json lexicon::to_json() const {
  std::map<std::string, lexicon_entry> all;
  for (auto& [a, e] : learned_) all[a] = {a, e, "learned", frequency(a)};
  for (auto& [a, e] : glossary_) all[a] = {a, e.begin()->second, "glossary", frequency(a)};
  for (auto& [a, e] : manual_) all[a] = {a, e, "manual", frequency(a)};
  auto entries = nlohmann::json::array();
  for (auto& [a, e] : all)
    entries.push_back({{"abbreviation", e.abbreviation}, {"expansion", e.expansion},
                       {"source", e.source}, {"count", e.count}});
  return {{"entries", std::move(entries)}};
}

nlohmann::json lexicon::save() const {
  return {{"format", "almanac-lexicon"}, {"version", 1}, {"manual", manual_}};
}

void lexicon::load(const nlohmann::json& saved) {
  manual_.clear();
  if (saved.is_object() && saved.contains("manual") && saved["manual"].is_object())
    for (auto& [k, v] : saved["manual"].items())
      if (v.is_string()) manual_[k] = v.get<std::string>();
}

namespace {

void put_map(packer& out, const std::map<std::string, std::string>& m) {
  out.u64(m.size());
  for (auto& [k, v] : m) {
    out.str(k);
    out.str(v);
  }
}

bool get_map(unpacker& in, std::map<std::string, std::string>& m) {
  auto n = in.u64();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    auto k = in.str();
    auto v = in.str();
    m.emplace_hint(m.end(), std::move(k), std::move(v));
  }
  return in.ok();
}

} // namespace

void lexicon::snapshot(packer& out) const {
  out.u64(vocab_.size());
  for (auto& [w, c] : vocab_) {
    out.str(w);
    out.u64(c.ident);
    out.u64(c.text);
  }
  put_map(out, manual_);
  out.u64(glossary_.size());
  for (auto& [a, claims] : glossary_) {
    out.str(a);
    put_map(out, claims);
  }
  out.u64(glossary_by_term_.size());
  for (auto& [urn, keys] : glossary_by_term_) {
    out.str(urn);
    out.u64(keys.size());
    for (auto& k : keys) out.str(k);
  }
  put_map(out, learned_);
}

bool lexicon::restore(unpacker& in) {
  *this = lexicon{};
  auto n = in.u64();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    auto w = in.str();
    counts c;
    c.ident = in.u64();
    c.text = in.u64();
    vocab_.emplace_hint(vocab_.end(), std::move(w), c);
  }
  get_map(in, manual_);
  n = in.u64();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    auto a = in.str();
    auto& claims = glossary_.emplace_hint(glossary_.end(), std::move(a), std::map<std::string, std::string>{})->second;
    get_map(in, claims);
    if (claims.empty()) in.fail();
  }
  n = in.u64();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    auto urn = in.str();
    auto& keys = glossary_by_term_[urn];
    auto k = in.u64();
    for (uint64_t j = 0; j < k && in.ok(); ++j) keys.push_back(in.str());
  }
  get_map(in, learned_);
  if (!in.ok()) *this = lexicon{};
  return in.ok();
}

} // namespace almanac::search
