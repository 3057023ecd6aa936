// ingest_bench's generated query log (see ingest_bench_log.hpp).

#include "ingest_bench_log.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <random>
#include <set>

namespace ingest_bench {

namespace {

using rng_t = std::mt19937_64;

enum kind { join_select, simple_select, insert_select, update_from, update_plain, ctas };

const std::vector<std::string> words{
  "orders",    "customers", "payments",  "invoices",  "products",  "shipments", "accounts",
  "sessions",  "events",    "campaigns", "suppliers", "stores",    "employees", "returns",
  "refunds",   "carts",     "visits",    "tickets",   "contracts", "leads",     "devices",
  "regions",   "warehouses", "stock",    "prices",    "discounts", "reviews",   "clicks",
  "budgets",   "ledgers",   "transfers", "subscriptions", "plans", "usage",     "alerts",
  "partners",  "channels",  "orders_items", "deliveries", "claims"};

const std::vector<std::string> schemas{"sales", "ops", "finance", "marketing", "analytics"};

// Attribute columns and their constant kinds: i(nt), n(umeric), s(tring), d(ate), b(ool).
const std::vector<std::pair<std::string, char>> attributes{
  {"amount", 'n'},     {"status", 's'},    {"created_at", 'd'}, {"updated_at", 'd'},
  {"name", 's'},       {"region", 's'},    {"quantity", 'i'},   {"unit_price", 'n'},
  {"category", 's'},   {"score", 'n'},     {"email", 's'},      {"country", 's'},
  {"channel", 's'},    {"discount", 'n'},  {"currency", 's'},   {"note", 's'},
  {"is_active", 'b'},  {"priority", 'i'},  {"started_at", 'd'}, {"ended_at", 'd'},
  {"total", 'n'},      {"cost", 'n'},      {"code", 's'},       {"title", 's'},
  {"segment", 's'},    {"tier", 'i'},      {"weight", 'n'},     {"source_system", 's'}};

struct table {
  std::string schema, name;
  std::vector<std::pair<std::string, char>> attrs; // attribute columns
  std::vector<size_t> fks;                          // referenced tables
  std::string q() const { return schema + "." + name; }
};

struct model {
  std::vector<table> tables;
};

model make_model(size_t n, rng_t& rng) {
  model m;
  for (size_t i = 0; i < n; ++i) {
    table t;
    t.schema = schemas[i % schemas.size()];
    t.name = words[i % words.size()];
    if (i >= words.size())
      t.name += "_" + std::to_string(i / words.size());
    auto attrs = attributes;
    std::shuffle(attrs.begin(), attrs.end(), rng);
    size_t na = 6 + rng() % 12;
    t.attrs.assign(attrs.begin(), attrs.begin() + na);
    m.tables.push_back(std::move(t));
  }
  for (size_t i = 0; i < n; ++i) {
    size_t nf = 1 + rng() % 3;
    std::set<size_t> fks;
    while (fks.size() < nf) {
      auto j = rng() % n;
      if (j != i)
        fks.insert(j);
    }
    m.tables[i].fks.assign(fks.begin(), fks.end());
  }
  return m;
}

std::string fk_col(const model& m, size_t to) {
  return m.tables[to].name + "_id";
}

std::string alias_for(const table& t, std::set<std::string>& used) {
  std::string a(1, t.name[0]);
  for (size_t k = 2; used.count(a); ++k)
    a = std::string(1, t.name[0]) + std::to_string(k);
  used.insert(a);
  return a;
}

template <class T>
const T& pick(const std::vector<T>& v, rng_t& rng) {
  return v[rng() % v.size()];
}

// A placeholder for a constant of kind k ('i','n','s','d','b') or an IN list 'L'.
std::string ph(char k) {
  return std::string("$") + k;
}

std::string predicate(const std::string& alias, const std::pair<std::string, char>& col,
                      rng_t& rng) {
  auto c = alias.empty() ? col.first : alias + "." + col.first;
  switch (col.second) {
  case 's':
    return rng() % 3 == 0 ? c + " IN (" + ph('S') + ")" : c + " = " + ph('s');
  case 'd':
    return rng() % 2 ? c + " >= " + ph('d') : c + " BETWEEN " + ph('d') + " AND " + ph('d');
  case 'b':
    return c + " = " + ph('b');
  case 'i':
    return rng() % 3 == 0 ? c + " IN (" + ph('L') + ")" : c + " > " + ph('i');
  default:
    return c + " > " + ph('n');
  }
}

struct joined {
  size_t table;
  std::string alias;
};

// FROM clause with 1 + nj tables along foreign keys; fills `js`.
std::string from_joins(const model& m, size_t base, size_t nj, std::vector<joined>& js,
                       std::set<std::string>& used, rng_t& rng) {
  auto& bt = m.tables[base];
  js.push_back({base, alias_for(bt, used)});
  std::string out = bt.q() + " " + js[0].alias;
  for (size_t k = 0; k < nj; ++k) {
    auto& from = js[rng() % js.size()];
    auto to = pick(m.tables[from.table].fks, rng);
    auto a = alias_for(m.tables[to], used);
    out += rng() % 4 == 0 ? " LEFT JOIN " : " JOIN ";
    out += m.tables[to].q() + " " + a + " ON " + a + ".id = " + from.alias + "."
           + fk_col(m, to);
    js.push_back({to, a});
  }
  return out;
}

std::string select_list(const model& m, const std::vector<joined>& js, size_t n,
                        rng_t& rng, std::vector<std::string>* grouped = nullptr) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    auto& j = js[rng() % js.size()];
    auto& col = pick(m.tables[j.table].attrs, rng);
    if (!out.empty())
      out += ", ";
    out += j.alias + "." + col.first;
    if (grouped)
      grouped->push_back(j.alias + "." + col.first);
  }
  return out;
}

std::string aggregate(const model& m, const std::vector<joined>& js, rng_t& rng) {
  auto& j = js[rng() % js.size()];
  for (auto& c : m.tables[j.table].attrs)
    if (c.second == 'n' || c.second == 'i') {
      static const std::vector<std::string> fns{"sum", "avg", "max", "min"};
      return pick(fns, rng) + "(" + j.alias + "." + c.first + ") AS " + c.first + "_agg";
    }
  return "count(*) AS n";
}

std::string where_clause(const model& m, const std::vector<joined>& js, size_t n, rng_t& rng) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    auto& j = js[rng() % js.size()];
    out += out.empty() ? " WHERE " : " AND ";
    out += predicate(j.alias, pick(m.tables[j.table].attrs, rng), rng);
  }
  return out;
}

std::string make_shape(const model& m, kind k, rng_t& rng) {
  std::set<std::string> used;
  std::vector<joined> js;
  auto nt = m.tables.size();
  switch (k) {
  case join_select: {
    auto base = rng() % nt;
    auto variant = rng() % 10;
    if (variant == 0) { // CTE
      auto& bt = m.tables[base];
      auto to = pick(bt.fks, rng);
      auto& c1 = pick(bt.attrs, rng);
      auto& p = pick(bt.attrs, rng);
      auto& tt = m.tables[to];
      auto& c2 = pick(tt.attrs, rng);
      return "WITH recent AS (SELECT id, " + fk_col(m, to) + ", " + c1.first + " FROM "
             + bt.q() + " WHERE " + predicate("", p, rng) + ") SELECT r." + c1.first
             + ", x." + c2.first + ", count(*) AS n FROM recent r JOIN " + tt.q()
             + " x ON x.id = r." + fk_col(m, to) + " GROUP BY r." + c1.first + ", x."
             + c2.first + " ORDER BY n DESC LIMIT " + ph('i');
    }
    auto nj = 1 + rng() % 3;
    auto from = from_joins(m, base, nj, js, used, rng);
    if (variant == 1) { // IN (subquery)
      auto& bt = m.tables[base];
      auto to = pick(bt.fks, rng);
      auto& tt = m.tables[to];
      return "SELECT " + select_list(m, js, 2 + rng() % 4, rng) + " FROM " + from + " WHERE "
             + js[0].alias + "." + fk_col(m, to) + " IN (SELECT id FROM " + tt.q()
             + " WHERE " + predicate("", pick(tt.attrs, rng), rng) + ")";
    }
    if (variant < 5) { // grouped
      std::vector<std::string> g;
      auto cols = select_list(m, js, 1 + rng() % 3, rng, &g);
      std::string gb;
      for (auto& c : g)
        gb += (gb.empty() ? "" : ", ") + c;
      return "SELECT " + cols + ", " + aggregate(m, js, rng) + " FROM " + from
             + where_clause(m, js, 1 + rng() % 2, rng) + " GROUP BY " + gb;
    }
    auto s = "SELECT " + select_list(m, js, 2 + rng() % 6, rng) + " FROM " + from
             + where_clause(m, js, 1 + rng() % 3, rng);
    if (rng() % 2)
      s += " ORDER BY " + js[0].alias + ".id DESC LIMIT " + ph('i');
    return s;
  }
  case simple_select: {
    auto& t = m.tables[rng() % nt];
    js.push_back({static_cast<size_t>(&t - m.tables.data()), ""});
    std::string cols = rng() % 5 == 0 ? "*" : "";
    if (cols.empty())
      for (size_t i = 0, n = 1 + rng() % 5; i < n; ++i)
        cols += (cols.empty() ? "" : ", ") + pick(t.attrs, rng).first;
    if (rng() % 2)
      return "SELECT " + cols + " FROM " + t.q() + " WHERE id = " + ph('i');
    return "SELECT " + cols + " FROM " + t.q() + " WHERE " + predicate("", pick(t.attrs, rng), rng)
           + " ORDER BY " + pick(t.attrs, rng).first + " LIMIT " + ph('i');
  }
  case insert_select:
  case ctas: {
    auto base = rng() % nt;
    auto from = from_joins(m, base, rng() % 3, js, used, rng);
    std::vector<std::string> g;
    auto cols = select_list(m, js, 2 + rng() % 4, rng, &g);
    std::string gb;
    for (auto& c : g)
      gb += (gb.empty() ? "" : ", ") + c;
    auto agg = aggregate(m, js, rng);
    auto body = "SELECT " + cols + ", " + agg + " FROM " + from
                + where_clause(m, js, 1 + rng() % 2, rng) + " GROUP BY " + gb;
    if (k == ctas) {
      auto name = "analytics." + std::string(rng() % 2 ? "tmp_" : "snap_")
                  + pick(words, rng) + (rng() % 2 ? "_$T" : "");
      return "CREATE TABLE " + name + " AS " + body;
    }
    // Target: a table of the analytics schema with enough columns.
    const table* tgt = nullptr;
    while (!tgt || tgt->schema != "analytics" || tgt->attrs.size() < g.size() + 1)
      tgt = &m.tables[rng() % nt];
    std::string tcols;
    for (size_t i = 0; i <= g.size(); ++i)
      tcols += (tcols.empty() ? "" : ", ") + tgt->attrs[i].first;
    return "INSERT INTO " + tgt->q() + " (" + tcols + ") " + body;
  }
  case update_from: {
    auto& t = m.tables[rng() % nt];
    auto to = pick(t.fks, rng);
    auto& u = m.tables[to];
    auto& set1 = pick(t.attrs, rng);
    auto& src = pick(u.attrs, rng);
    return "UPDATE " + t.q() + " t SET " + set1.first + " = u." + src.first
           + ", updated_at = now() FROM " + u.q() + " u WHERE u.id = t." + fk_col(m, to)
           + " AND " + predicate("u", pick(u.attrs, rng), rng);
  }
  case update_plain:
  default: {
    auto& t = m.tables[rng() % nt];
    if (rng() % 3 == 0)
      return "DELETE FROM " + t.q() + " WHERE " + predicate("", pick(t.attrs, rng), rng);
    auto& c = pick(t.attrs, rng);
    return "UPDATE " + t.q() + " SET " + c.first + " = " + ph(c.second == 'd' ? 'd' : c.second)
           + " WHERE id = " + ph('i');
  }
  }
}

const std::vector<std::string> string_values{
  "active", "pending", "shipped", "cancelled", "EU", "US", "APAC", "web", "store", "mobile",
  "gold", "silver", "EUR", "USD", "refund", "promo", "b2b", "retail"};

std::string date_str(rng_t& rng) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "2024-%02d-%02d", int(1 + rng() % 12), int(1 + rng() % 28));
  return buf;
}

std::string render(const std::string& shape, rng_t& rng) {
  std::string out;
  out.reserve(shape.size() + 32);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] != '$' || i + 1 >= shape.size()) {
      out += shape[i];
      continue;
    }
    switch (shape[++i]) {
    case 'i': out += std::to_string(rng() % 100000); break;
    case 'n': out += std::to_string(rng() % 10000) + "." + std::to_string(rng() % 100); break;
    case 's':
      out += "'" + (rng() % 4 ? pick(string_values, rng) : "x" + std::to_string(rng() % 100000))
             + "'";
      break;
    case 'S':
      for (size_t k = 0, n = 1 + rng() % 4; k < n; ++k)
        out += (k ? ", '" : "'") + pick(string_values, rng) + "'";
      break;
    case 'L':
      for (size_t k = 0, n = 1 + rng() % 8; k < n; ++k)
        out += (k ? ", " : "") + std::to_string(rng() % 100000);
      break;
    case 'd': out += "'" + date_str(rng) + "'"; break;
    case 'b': out += rng() % 2 ? "true" : "false"; break;
    case 'T': {
      auto d = date_str(rng);
      d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
      out += d;
      break;
    }
    default: out += '$'; out += shape[i];
    }
  }
  return out;
}

bool parses(const std::string& sql) {
  auto r = pg_query_parse(sql.c_str());
  bool ok = !r.error;
  pg_query_free_parse_result(r);
  return ok;
}

std::string corrupt(const std::string& sql, rng_t& rng) {
  for (;;) {
    std::string s;
    switch (rng() % 6) {
    case 0: s = sql.substr(0, 10 + rng() % (sql.size() - 10)); break; // cut off
    case 1: {
      s = sql;
      auto p = s.find(' ');
      s = s.substr(0, p - 1) + s.substr(p); // SELEC, UPDAT, INSER ...
      break;
    }
    case 2: {
      s = sql;
      auto p = s.find(" FROM ");
      if (p == std::string::npos)
        continue;
      s.insert(p, " FROM");
      break;
    }
    case 3: {
      auto dot = sql.find('.');
      s = "\\d+ " + sql.substr(dot == std::string::npos || dot < 5 ? 0 : dot - 5, 20);
      break;
    }
    case 4: s = sql + " WHERE AND " + std::to_string(rng() % 1000); break;
    default: s = "ERROR:  syntax error at or near \"" + std::to_string(rng() % 100000) + "\""; break;
    }
    if (!parses(s))
      return s;
  }
}

std::string iso(int64_t ms) {
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

} // namespace

const std::vector<std::string>& query_log::kind_names() {
  static const std::vector<std::string> names{"join_select", "simple_select", "insert_select",
                                              "update_from", "update_delete", "ctas",
                                              "unparsable"};
  return names;
}

query_log generate(const log_options& opt) {
  rng_t rng{opt.seed};
  auto m = make_model(opt.tables, rng);
  // Shapes, by kind share.
  std::vector<std::pair<std::string, kind>> shapes;
  std::set<std::string> seen;
  while (shapes.size() < opt.shapes) {
    auto r = rng() % 100;
    kind k = r < 60   ? join_select
             : r < 74 ? simple_select
             : r < 86 ? insert_select
             : r < 92 ? update_from
             : r < 96 ? update_plain
                      : ctas;
    auto s = make_shape(m, k, rng);
    if (seen.insert(s).second)
      shapes.emplace_back(std::move(s), k);
  }
  std::shuffle(shapes.begin(), shapes.end(), rng);
  // Zipf over shapes.
  std::vector<double> cdf(shapes.size());
  double sum = 0;
  for (size_t i = 0; i < shapes.size(); ++i)
    cdf[i] = sum += 1.0 / std::pow(double(i + 1), opt.zipf_s);
  for (auto& c : cdf)
    c /= sum;
  std::uniform_real_distribution<double> u01{0, 1};
  std::vector<std::string> users;
  for (int i = 1; i <= 60; ++i)
    users.push_back((i <= 10 ? "etl_" : "analyst_") + std::to_string(i));

  query_log log;
  log.kind_counts.assign(query_log::kind_names().size(), 0);
  log.entries.reserve(opt.queries);
  log.sql.reserve(opt.queries);
  int64_t ms = 1714521600000; // 2024-05-01T00:00:00Z
  for (size_t i = 0; i < opt.queries; ++i) {
    auto idx = std::lower_bound(cdf.begin(), cdf.end(), u01(rng)) - cdf.begin();
    idx = std::min<size_t>(idx, shapes.size() - 1);
    auto sql = render(shapes[idx].first, rng);
    auto k = static_cast<size_t>(shapes[idx].second);
    if (u01(rng) < opt.bad_share) {
      sql = corrupt(sql, rng);
      ++log.bad;
      k = query_log::kind_names().size() - 1;
    }
    ++log.kind_counts[k];
    ms += 1 + rng() % 900;
    auto user = users[std::min<size_t>(users.size() - 1, size_t(-std::log(u01(rng) + 1e-12) * 8))];
    log.entries.push_back({{"sql", sql},
                           {"user", user},
                           {"database", "warehouse"},
                           {"source", "bench"},
                           {"start_time", iso(ms)},
                           {"start_ms", ms},
                           {"duration_ms", double(rng() % 500000) / 100.0}});
    log.sql.push_back(std::move(sql));
  }
  return log;
}

} // namespace ingest_bench
