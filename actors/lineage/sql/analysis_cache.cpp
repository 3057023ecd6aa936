// A bounded LRU cache of analyses by fingerprint.

#include "actors/lineage/sql/analysis_cache.hpp"

namespace almanac::lineage {

analysis_cache::analysis_cache(size_t capacity, const schema_provider* schemas,
                               std::string default_schema)
  : capacity_(capacity ? capacity : 1),
    schemas_(schemas),
    default_schema_(std::move(default_schema)) {}

analysis analysis_cache::analyze(const std::string& sql) {
  auto fp = fingerprint(sql);
  if (!fp.empty()) {
    if (auto i = index_.find(fp); i != index_.end()) {
      lru_.splice(lru_.begin(), lru_, i->second);
      ++hits_;
      analysis a = i->second->second;
      a.text = sql;
      a.statements.front().text = a.text;
      return a;
    }
  }
  ++misses_;
  auto a = lineage::analyze(sql, schemas_, default_schema_);
  // Only single statements that parsed: their fingerprint is the whole
  // text's, and they have no per-statement texts to keep apart.
  if (fp.empty() || a.parse_error || a.statements.size() != 1)
    return a;
  lru_.emplace_front(fp, a);
  index_[fp] = lru_.begin();
  if (index_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return a;
}

void analysis_cache::clear() {
  lru_.clear();
  index_.clear();
}

} // namespace almanac::lineage
