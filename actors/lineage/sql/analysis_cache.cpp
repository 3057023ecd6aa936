// A bounded LRU cache of analyses by fingerprint.

#include "actors/lineage/sql/analysis_cache.hpp"

#include <cctype>

namespace almanac::lineage {

namespace {

// pg_query_fingerprint ignores digits in identifiers (snap_20241020 and
// snap_20240913 share a fingerprint), so the key adds every identifier that
// holds a digit, in order. Literals (quoted strings, bare numbers) stay out,
// so queries differing only in constants still share a key.
std::string cache_key(const std::string& fp, const std::string& sql) {
  std::string key = fp;
  size_t i = 0;
  auto ident_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'') { // string literal, '' escapes
      for (++i; i < sql.size(); ++i)
        if (sql[i] == '\'' && !(i + 1 < sql.size() && sql[i + 1] == '\'' && ++i))
          break;
      ++i;
    } else if (c == '"') { // quoted identifier, kept as written
      auto end = sql.find('"', i + 1);
      auto id = sql.substr(i, end == std::string::npos ? std::string::npos : end - i + 1);
      if (id.find_first_of("0123456789") != std::string::npos)
        key += '\x1f' + id;
      i = end == std::string::npos ? sql.size() : end + 1;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      auto start = i;
      while (i < sql.size() && ident_char(sql[i]))
        ++i;
      auto id = sql.substr(start, i - start);
      if (id.find_first_of("0123456789") != std::string::npos) {
        for (auto& ch : id)
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        key += '\x1f' + id;
      }
    } else {
      ++i;
    }
  }
  return key;
}

} // namespace

analysis_cache::analysis_cache(size_t capacity, const schema_provider* schemas,
                               std::string default_schema)
  : capacity_(capacity ? capacity : 1),
    schemas_(schemas),
    default_schema_(std::move(default_schema)) {}

analysis analysis_cache::analyze(const std::string& sql) {
  auto fp = fingerprint(sql);
  auto key = fp.empty() ? fp : cache_key(fp, sql);
  if (!fp.empty()) {
    if (auto i = index_.find(key); i != index_.end()) {
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
  lru_.emplace_front(key, a);
  index_[key] = lru_.begin();
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
