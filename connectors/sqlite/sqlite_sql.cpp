#include "connectors/sqlite/sqlite_catalog.hpp"

#include <algorithm>
#include <cctype>

namespace almanac::connectors::sqlite_detail {

statement::statement(sqlite3* db, const std::string& sql) {
  status_ = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_,
                               nullptr);
}

statement::~statement() {
  sqlite3_finalize(stmt_);
}

void statement::bind(int index, const std::string& text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
}

int statement::step() {
  return sqlite3_step(stmt_);
}

std::string statement::text(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string{p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))}
           : std::string{};
}

bool statement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t statement::integer(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + '"';
}

namespace {

// --- view_body: a tiny tokenizer over the CREATE VIEW header ---------------

struct scanner {
  const std::string& s;
  size_t i = 0;

  void skip_trivia() {
    while (i < s.size()) {
      if (std::isspace(static_cast<unsigned char>(s[i]))) {
        ++i;
      } else if (s.compare(i, 2, "--") == 0) {
        i = s.find('\n', i);
        if (i == std::string::npos)
          i = s.size();
      } else if (s.compare(i, 2, "/*") == 0) {
        i = s.find("*/", i + 2);
        i = i == std::string::npos ? s.size() : i + 2;
      } else {
        return;
      }
    }
  }

  /// The next token, upper-cased if it is a bare word; "" at the end.
  std::string next() {
    skip_trivia();
    if (i >= s.size())
      return {};
    char c = s[i];
    char close = c == '"' ? '"' : c == '[' ? ']' : c == '`' ? '`' : c == '\'' ? '\'' : 0;
    if (close) {
      size_t j = i + 1;
      for (; j < s.size(); ++j) {
        if (s[j] == close) {
          if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
            ++j;
            continue;
          }
          break;
        }
      }
      auto tok = s.substr(i, j + 1 - i);
      i = std::min(j + 1, s.size());
      return tok;
    }
    auto word = [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '$'
             || static_cast<unsigned char>(ch) >= 0x80;
    };
    if (!word(c)) {
      ++i;
      return std::string(1, c);
    }
    std::string tok;
    while (i < s.size() && word(s[i]))
      tok += static_cast<char>(std::toupper(static_cast<unsigned char>(s[i++])));
    return tok;
  }
};

} // namespace

std::string view_body(const std::string& create_view) {
  scanner sc{create_view};
  if (sc.next() != "CREATE")
    return create_view;
  auto tok = sc.next();
  if (tok == "TEMP" || tok == "TEMPORARY")
    tok = sc.next();
  if (tok != "VIEW")
    return create_view;
  tok = sc.next();
  if (tok == "IF") {
    if (sc.next() != "NOT" || sc.next() != "EXISTS")
      return create_view;
    tok = sc.next();
  }
  // The name, possibly schema-qualified.
  tok = sc.next();
  if (tok == ".") {
    sc.next();
    tok = sc.next();
  }
  if (tok == "(") {
    for (int depth = 1; depth > 0;) {
      tok = sc.next();
      if (tok.empty())
        return create_view;
      depth += tok == "(" ? 1 : tok == ")" ? -1 : 0;
    }
    tok = sc.next();
  }
  if (tok != "AS")
    return create_view;
  sc.skip_trivia();
  auto body = create_view.substr(sc.i);
  while (!body.empty() && (std::isspace(static_cast<unsigned char>(body.back()))
                           || body.back() == ';'))
    body.pop_back();
  return body;
}

} // namespace almanac::connectors::sqlite_detail
