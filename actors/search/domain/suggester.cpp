#include "actors/search/domain/suggester.hpp"

#include <cstdint>

#include "actors/search/domain/pack.hpp"
#include "actors/search/domain/text.hpp"

#include <algorithm>

namespace almanac::search {
namespace {

// Keys for a text: its words joined from each word on.
void add_keys(const std::string& text, std::vector<std::string>& keys) {
  auto ws = words(text);
  for (size_t i = 0; i < ws.size(); ++i) {
    std::string k;
    for (size_t j = i; j < ws.size(); ++j) k += ws[j];
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
  }
}

int kind_rank(const std::string& kind) {
  if (kind == "table" || kind == "view") return 0;
  if (kind == "term" || kind == "schema" || kind == "source") return 1;
  return 2;
}

} // namespace

suggester::suggester()
  : items_(std::make_unique<std::vector<item>>()), keys_(key_order{items_.get()}) {}

void suggester::upsert(const std::string& urn, const std::string& name,
                       const std::string& kind, const std::string& title) {
  remove(urn);
  uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<uint32_t>(items_->size());
    items_->emplace_back();
  }
  auto& it = (*items_)[id];
  it = item{urn, name, kind, title, {}, true};
  add_keys(name, it.keys);
  add_keys(title, it.keys);
  for (auto& k : it.keys) keys_.emplace(k, id);
  by_urn_[urn] = id;
}

void suggester::remove(const std::string& urn) {
  auto f = by_urn_.find(urn);
  if (f == by_urn_.end()) return;
  auto& it = (*items_)[f->second];
  for (auto& k : it.keys) keys_.erase(key_entry{k, f->second});
  it = item{};
  free_.push_back(f->second);
  by_urn_.erase(f);
}

std::vector<suggestion> suggester::suggest(
  const std::string& prefix, size_t limit,
  const std::function<std::vector<double>(const std::vector<std::string>&)>& popularity,
  size_t scan_limit) const {
  std::vector<suggestion> out;
  auto p = normalize(prefix);
  if (p.empty() || limit == 0) return out;
  struct cand {
    uint32_t id;
    bool exact, whole;
    double popularity = 0;
  };
  std::vector<cand> cands;
  std::unordered_map<uint32_t, size_t> seen;
  size_t scanned = 0;
  // Many entities share a key (thousands of columns named customer_id): look
  // at a few of each key, then jump to the next distinct key, so the scan
  // budget goes to distinct names.
  constexpr size_t per_key = 4;
  size_t same = 0;
  const std::string* last = nullptr;
  for (auto k = keys_.lower_bound(p);
       k != keys_.end() && k->first.compare(0, p.size(), p) == 0 && scanned < scan_limit;
       ++scanned) {
    if (last && *last == k->first) {
      if (++same >= per_key) {
        k = keys_.upper_bound(k->first);
        continue;
      }
    } else {
      same = 0;
      last = &k->first;
    }
    const auto& it = (*items_)[k->second];
    bool whole = !it.keys.empty() && it.keys.front() == k->first;
    bool exact = k->first == p && whole;
    auto s = seen.find(k->second);
    if (s == seen.end()) {
      seen.emplace(k->second, cands.size());
      cands.push_back({k->second, exact, whole});
    } else {
      cands[s->second].exact |= exact;
      cands[s->second].whole |= whole;
    }
    ++k;
  }
  if (popularity && !cands.empty()) {
    std::vector<std::string> urns;
    urns.reserve(cands.size());
    for (auto& c : cands)
      urns.push_back((*items_)[c.id].urn);
    auto pops = popularity(urns);
    for (size_t i = 0; i < cands.size() && i < pops.size(); ++i)
      cands[i].popularity = pops[i];
  }
  auto better = [&](const cand& a, const cand& b) {
    const auto& x = (*items_)[a.id];
    const auto& y = (*items_)[b.id];
    if (a.exact != b.exact) return a.exact;
    if (a.whole != b.whole) return a.whole;
    if (a.popularity != b.popularity) return a.popularity > b.popularity;
    if (kind_rank(x.kind) != kind_rank(y.kind)) return kind_rank(x.kind) < kind_rank(y.kind);
    if (x.name.size() != y.name.size()) return x.name.size() < y.name.size();
    return x.urn < y.urn;
  };
  size_t n = std::min(limit, cands.size());
  std::partial_sort(cands.begin(), cands.begin() + n, cands.end(), better);
  for (size_t i = 0; i < n; ++i) {
    const auto& it = (*items_)[cands[i].id];
    out.push_back({it.urn, it.name, it.kind, it.title});
  }
  return out;
}

void suggester::snapshot(packer& out) const {
  out.u64(items_->size());
  for (auto& it : *items_) {
    out.u64(it.live ? 1 : 0);
    if (!it.live) continue;
    out.str(it.urn);
    out.str(it.name);
    out.str(it.kind);
    out.str(it.title);
    out.u64(it.keys.size());
    for (auto& k : it.keys) out.str(k);
  }
  out.u64(free_.size());
  for (auto id : free_) out.u64(id);
  out.u64(keys_.size());
  for (auto& [k, id] : keys_) {
    out.str(k);
    out.u64(id);
  }
}

bool suggester::restore(unpacker& in) {
  *this = suggester{};
  auto& items = *items_;
  auto n = in.u64();
  if (in.ok() && n <= in.remaining()) { // each item takes a byte at least
    items.reserve(n);
    by_urn_.reserve(n);
  }
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    if (i >= UINT32_MAX) return restore_failed();
    auto& it = items.emplace_back();
    it.live = in.u64() == 1;
    if (!it.live) continue;
    it.urn = in.str();
    it.name = in.str();
    it.kind = in.str();
    it.title = in.str();
    auto k = in.u64();
    for (uint64_t j = 0; j < k && in.ok(); ++j) it.keys.push_back(in.str());
    if (!by_urn_.emplace(it.urn, static_cast<uint32_t>(i)).second) return restore_failed();
  }
  n = in.u64();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    auto id = in.u64();
    if (id >= items.size() || items[id].live) return restore_failed();
    free_.push_back(static_cast<uint32_t>(id));
  }
  n = in.u64();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    auto k = in.str();
    auto id = in.u64();
    if (id >= items.size() || !items[id].live) return restore_failed();
    keys_.emplace_hint(keys_.end(), std::move(k), static_cast<uint32_t>(id)); // in order: O(1)
  }
  if (!in.ok()) return restore_failed();
  return true;
}

bool suggester::restore_failed() {
  *this = suggester{};
  return false;
}

} // namespace almanac::search
