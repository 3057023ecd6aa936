// A bounded, thread-safe LRU cache of analyses by token shape.

#include "actors/lineage/sql/analysis_cache.hpp"

#include <cctype>
#include <cstring>
#include <regex>

namespace almanac::lineage {

namespace {

bool ident_start(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}

bool ident_cont(unsigned char c) {
  return ident_start(c) || std::isdigit(c) || c == '$';
}

/// Characters of a number-like chunk: PostgreSQL's scanner rejects a
/// number running into a word (PostgreSQL 15), so the chunk is taken whole.
bool chunk_char(unsigned char c) {
  return ident_cont(c) || c == '.';
}

bool all_digits(const std::string& s, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i])))
      return false;
  return to > from;
}

/// The end (one past the closing quote) of the quoted text starting at
/// s[at], a doubled quote standing for one; npos if it does not end.
size_t quoted_end(const std::string& s, size_t at) {
  char q = s[at];
  for (size_t i = at + 1; i < s.size(); ++i)
    if (s[i] == q) {
      if (i + 1 < s.size() && s[i + 1] == q)
        ++i;
      else
        return i + 1;
    }
  return std::string::npos;
}

// Marks in a key; no SQL text holds them (they are control characters the
// scanner rejects outside quotes, and quoted text is kept verbatim).
constexpr char string_mark = '\x01';
constexpr char integer_mark = '\x02';
constexpr char decimal_mark = '\x03';
constexpr char block_comment_mark = '\x04';
constexpr char line_comment_mark = '\x05';

/// Whether a statement starting with `word` holds its constants only as
/// A_Const values (which neither the analysis nor the fingerprint reads):
/// the DML a query log repeats. DDL keeps other strings and numbers in its
/// tree (COMMENT ... IS 'x', CREATE SEQUENCE ... START 5).
bool masks_constants(std::string_view word) {
  for (auto w : {"select", "insert", "update", "delete", "with", "merge", "values", "table"})
    if (word == w)
      return true;
  return false;
}

/// Whether `s` starts as CREATE [OR REPLACE] [TEMP|UNLOGGED] TABLE|VIEW|
/// MATERIALIZED VIEW [IF NOT EXISTS] name AS: its constants are then those
/// of its query (no column list, no WITH options, no identity sequence).
bool create_as(const std::string& s) {
  static const std::regex form{
    R"(^\s*create\s+(or\s+replace\s+)?((global|local)\s+)?((temp|temporary|unlogged)\s+)?)"
    R"((table|view|materialized\s+view)\s+(if\s+not\s+exists\s+)?)"
    R"(("([^"]|"")+"|[a-z_][a-z0-9_$]*)(\s*\.\s*("([^"]|"")+"|[a-z_][a-z0-9_$]*)){0,2}\s+as\s)",
    std::regex::icase | std::regex::optimize};
  auto head = s.substr(0, 600);
  return std::regex_search(head, form);
}

/// The shape of `s`; constants masked only if `mask`. `constants_matter`
/// is set when the text holds something that makes a constant's value
/// count (then the caller asks again without masking).
std::optional<std::string> shape(const std::string& s, bool mask, bool& constants_matter) {
  bool first_word = true;
  std::string key;
  key.reserve(s.size());
  size_t i = 0, n = s.size();
  auto prev_ident = [&](size_t at) {
    return at > 0 && ident_cont(static_cast<unsigned char>(s[at - 1]));
  };
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    // PostgreSQL 15's white space: not \v (a stray character to it).
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      bool newline = false;
      for (; i < n && std::strchr(" \t\n\r\f", s[i]) && s[i]; ++i)
        newline = newline || s[i] == '\n' || s[i] == '\r';
      key += newline ? '\n' : ' ';
    } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n' && s[i] != '\r')
        ++i;
      key += line_comment_mark;
    } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      int depth = 0;
      for (;;) {
        if (i + 1 >= n)
          return std::nullopt; // unterminated
        if (s[i] == '/' && s[i + 1] == '*')
          ++depth, i += 2;
        else if (s[i] == '*' && s[i + 1] == '/') {
          i += 2;
          if (--depth == 0)
            break;
        } else {
          ++i;
        }
      }
      key += block_comment_mark;
    } else if (c == '\'') {
      // A prefix (E'', B'', X'', N'', U&'') or a word before the quote
      // changes what the text means: such strings stay as written.
      bool plain = mask && !prev_ident(i) && !(i > 0 && s[i - 1] == '&');
      size_t start = i;
      i = quoted_end(s, i);
      if (i == std::string::npos)
        return std::nullopt;
      if (std::memchr(s.data() + start, '\\', i - start))
        constants_matter = true; // backslash escapes (E'', standard_conforming_strings off)
      if (plain)
        key += string_mark;
      else
        key.append(s, start, i - start);
    } else if (c == '"') {
      size_t start = i;
      i = quoted_end(s, i);
      if (i == std::string::npos)
        return std::nullopt;
      key.append(s, start, i - start);
      // "identifier"('t') names a table as IDENTIFIER('t') does.
      std::string word = s.substr(start + 1, i - start - 2);
      for (auto& ch : word)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (word == "identifier")
        constants_matter = true;
      first_word = false;
    } else if (c == '$' && !prev_ident(i)) {
      size_t j = i + 1;
      if (j < n && std::isdigit(static_cast<unsigned char>(s[j]))) { // $1: a parameter
        while (j < n && std::isdigit(static_cast<unsigned char>(s[j])))
          ++j;
        key.append(s, i, j - i);
        i = j;
        continue;
      }
      if (j < n && ident_start(static_cast<unsigned char>(s[j])))
        while (j < n && s[j] != '$' && ident_cont(static_cast<unsigned char>(s[j])))
          ++j;
      if (j < n && s[j] == '$') { // $tag$ ... $tag$: kept whole
        auto tag = s.substr(i, j - i + 1);
        auto end = s.find(tag, j + 1);
        if (end == std::string::npos)
          return std::nullopt;
        key.append(s, i, end + tag.size() - i);
        i = end + tag.size();
      } else {
        key += s[i++];
      }
    } else if ((std::isdigit(c) || (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1]))))
               && !prev_ident(i)) {
      size_t j = i;
      while (j < n && chunk_char(static_cast<unsigned char>(s[j])))
        ++j;
      auto dot = s.find('.', i);
      bool has_dot = dot != std::string::npos && dot < j;
      if (mask && !has_dot && j - i <= 9 && all_digits(s, i, j))
        key += integer_mark; // always an integer constant
      else if (mask && has_dot && s.find('.', dot + 1) >= j && all_digits(s, dot + 1, j)
               && (dot == i || all_digits(s, i, dot)))
        key += decimal_mark; // d.d or .d: always a numeric constant
      else
        key.append(s, i, j - i);
      i = j;
    } else if (ident_start(c)) {
      size_t j = i;
      while (j < n && ident_cont(static_cast<unsigned char>(s[j])))
        ++j;
      size_t at = key.size();
      for (size_t k = i; k < j; ++k)
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(s[k])));
      auto word = std::string_view{key}.substr(at);
      // COPY's file and IDENTIFIER's table are strings that name things;
      // UESCAPE changes what a U&'' string means; float(p) becomes float4
      // or float8 by p's value, and the grammar refuses p outside 1..53.
      if (word == "copy" || word == "identifier" || word == "uescape" || word == "float")
        constants_matter = true;
      if (first_word && !masks_constants(word) && !(word == "create" && create_as(s)))
        constants_matter = true;
      first_word = false;
      i = j;
    } else {
      if (c == '\\')
        constants_matter = true; // backslash escapes (E'', standard_conforming_strings off)
      if (c == '&' && i + 1 < n && (s[i + 1] == '\'' || s[i + 1] == '"'))
        constants_matter = true; // U&'' with UESCAPE
      if (c < 0x20)
        return std::nullopt; // a control character could be taken for a mark
      key += s[i++];
    }
  }
  return key;
}

/// A schema_provider that remembers what it was asked and answered.
class recording_provider : public schema_provider {
public:
  explicit recording_provider(const schema_provider* inner) : inner_(inner) {}

  std::optional<std::vector<std::string>> columns(const std::string& table) const override {
    auto answer = inner_ ? inner_->columns(table) : std::nullopt;
    asked_.emplace_back(table, answer);
    return answer;
  }

  mutable std::vector<std::pair<std::string, std::optional<std::vector<std::string>>>> asked_;

private:
  const schema_provider* inner_;
};

} // namespace

std::optional<std::string> shape_key(const std::string& sql) {
  // The parser reads the text up to a NUL; the key would read past it.
  if (std::memchr(sql.data(), '\0', sql.size()))
    return std::nullopt;
  bool constants_matter = false;
  auto key = shape(sql, true, constants_matter);
  if (key && constants_matter)
    key = shape(sql, false, constants_matter);
  return key;
}

analysis_cache::analysis_cache(size_t capacity, const schema_provider* schemas,
                               std::string default_schema)
  : capacity_(capacity ? capacity : 1),
    schemas_(schemas),
    default_schema_(std::move(default_schema)) {}

std::shared_ptr<const analysis> analysis_cache::lookup(const std::string& sql,
                                                       const schema_provider* schemas,
                                                       const std::string& default_schema) {
  auto shape = shape_key(sql);
  std::string key;
  if (shape)
    key = default_schema + '\0' + *shape;
  if (shape) {
    std::shared_ptr<const analysis> found;
    lookups asked;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (auto i = index_.find(key); i != index_.end()) {
        lru_.splice(lru_.begin(), lru_, i->second);
        found = i->second->second.result;
        asked = i->second->second.asked;
      }
    }
    if (found) {
      bool same = true;
      for (auto& [table, answer] : asked)
        if ((schemas ? schemas->columns(table) : std::nullopt) != answer) {
          same = false;
          break;
        }
      if (same) {
        std::lock_guard<std::mutex> guard{mtx_};
        ++hits_;
        return found;
      }
    }
  }
  recording_provider recorder{schemas};
  auto a = std::make_shared<const analysis>(lineage::analyze(sql, &recorder, default_schema));
  std::lock_guard<std::mutex> guard{mtx_};
  ++misses_;
  // Only single statements that parsed: an error's position and the texts
  // of several statements belong to one text.
  if (!shape || a->parse_error || a->statements.size() != 1)
    return a;
  if (auto i = index_.find(key); i != index_.end()) {
    i->second->second = {a, std::move(recorder.asked_)};
    lru_.splice(lru_.begin(), lru_, i->second);
    return a;
  }
  lru_.emplace_front(key, value{a, std::move(recorder.asked_)});
  index_[key] = lru_.begin();
  if (index_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return a;
}

analysis analysis_cache::analyze(const std::string& sql) {
  analysis a = *lookup(sql, schemas_, default_schema_);
  if (a.text != sql) {
    a.text = sql;
    if (a.statements.size() == 1)
      a.statements.front().text = sql;
  }
  return a;
}

void analysis_cache::clear() {
  std::lock_guard<std::mutex> guard{mtx_};
  lru_.clear();
  index_.clear();
}

size_t analysis_cache::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return index_.size();
}

size_t analysis_cache::hits() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return hits_;
}

size_t analysis_cache::misses() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return misses_;
}

} // namespace almanac::lineage
