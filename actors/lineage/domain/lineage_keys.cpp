#include "actors/lineage/domain/lineage_keys.hpp"
#include "messages/digest.hpp"

#include "messages/text.hpp"
#include "messages/urn.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace almanac::lineage {

std::string table_urn(const std::string& source, const std::string& qualified,
                      bool is_view) {
  name_context ctx;
  ctx.source = source;
  return table_urn(ctx, qualified, is_view);
}

namespace {

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '.') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

} // namespace

resolved_name resolve_name(const name_context& ctx, const std::string& qualified) {
  auto parts = split_dots(qualified);
  resolved_name r;
  r.source = ctx.source;
  r.relation = parts.back();
  if (parts.size() == 1) {
    // The first search_path schema that holds it (PostgreSQL's rule), else
    // the first that can exist: "$user" only if the user is known.
    std::vector<std::string> candidates;
    for (auto& s : ctx.search_path) {
      if (s == "$user") {
        if (!ctx.user.empty())
          candidates.push_back(ctx.user);
      } else {
        candidates.push_back(s);
      }
    }
    if (candidates.empty())
      candidates.push_back("public");
    r.schema = candidates.front();
    if (ctx.exists)
      for (auto& c : candidates)
        if (ctx.exists(ctx.source, c, r.relation)) {
          r.schema = c;
          break;
        }
    if (r.schema == ctx.user && !ctx.exists) {
      // Without the catalog, "$user" cannot be told from a missing schema.
      for (auto& c : candidates)
        if (c != ctx.user) {
          r.schema = c;
          break;
        }
    }
    return r;
  }
  r.schema = parts[parts.size() - 2];
  if (parts.size() >= 3) {
    auto& db = parts[parts.size() - 3];
    if (db == ctx.database || db == ctx.source)
      return r;
    if (auto other = ctx.source_of ? ctx.source_of(db) : std::string{}; !other.empty()) {
      r.source = other;
      return r;
    }
    r.resolved = false;
  }
  return r;
}

std::string table_urn(const resolved_name& n, bool is_view) {
  auto kind = is_view ? catalog::entity_kind::view : catalog::entity_kind::table;
  auto u = catalog::make_urn(kind, {n.source, n.schema, n.relation});
  return u ? *u : std::string{};
}

std::string table_urn(const name_context& ctx, const std::string& qualified, bool is_view) {
  return table_urn(resolve_name(ctx, qualified), is_view);
}

std::vector<std::string> parse_search_path(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  bool was_quoted = false;
  auto flush = [&] {
    auto name = was_quoted ? cur : lower(trim(cur));
    if (!name.empty())
      out.push_back(name);
    cur.clear();
    was_quoted = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
      was_quoted = true;
      cur = trim(cur);
    } else if (c == ',') {
      flush();
    } else if (!(was_quoted && std::isspace(static_cast<unsigned char>(c)))) {
      cur += c; // (blanks after a quoted name are not part of it)
    }
  }
  flush();
  return out;
}

std::string dsn_database(const std::string& dsn) {
  if (dsn.rfind("postgresql://", 0) == 0 || dsn.rfind("postgres://", 0) == 0) {
    auto rest = dsn.substr(dsn.find("://") + 3);
    auto slash = rest.find('/');
    if (slash == std::string::npos)
      return {};
    auto db = rest.substr(slash + 1);
    return db.substr(0, db.find('?'));
  }
  // key=value pairs; values may be single-quoted.
  for (size_t i = 0; i < dsn.size();) {
    while (i < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[i])))
      ++i;
    auto eq = dsn.find('=', i);
    if (eq == std::string::npos)
      break;
    auto key = trim(dsn.substr(i, eq - i));
    size_t j = eq + 1;
    while (j < dsn.size() && dsn[j] == ' ')
      ++j;
    std::string value;
    if (j < dsn.size() && dsn[j] == '\'') {
      for (++j; j < dsn.size() && dsn[j] != '\''; ++j)
        value += dsn[j] == '\\' && j + 1 < dsn.size() ? dsn[++j] : dsn[j];
      ++j;
    } else {
      while (j < dsn.size() && !std::isspace(static_cast<unsigned char>(dsn[j])))
        value += dsn[j++];
    }
    if (key == "dbname")
      return value;
    i = j;
  }
  return {};
}

std::string column_urn(const std::string& table_urn, const std::string& column) {
  // urn:almanac:<kind>:<path> -> urn:almanac:column:<path>.<column>
  auto colon = table_urn.find(':', 12);
  if (table_urn.rfind("urn:almanac:", 0) != 0 || colon == std::string::npos
      || colon + 1 == table_urn.size() || column.empty())
    return {};
  return "urn:almanac:column:" + table_urn.substr(colon + 1) + "."
         + catalog::encode_name(column);
}

std::string dataset_urn(const nlohmann::json& d) {
  auto name = d.value("name", std::string{});
  auto ns = d.value("namespace", std::string{});
  auto parts = split_dots(name);
  auto source = parts.size() >= 3 ? parts[0] : ns;
  auto qualified = parts.size() >= 3 ? parts[parts.size() - 2] + "." + parts.back() : name;
  return table_urn(source, qualified);
}

std::string be64(uint64_t x) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((x >> (56 - 8 * i)) & 0xFF);
  return out;
}

std::string execution_id(const nlohmann::json& q) {
  auto text = q.value("source", "") + "\x1f" + q.value("user", "") + "\x1f"
              + q.value("start_time", "") + "\x1f" + q.value("sql", "") + "\x1f"
              + q.value("origin", "");
  return sha256_hex(text).substr(0, 24);
}

} // namespace almanac::lineage
