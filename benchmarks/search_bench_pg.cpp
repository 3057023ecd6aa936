#include "search_bench_pg.hpp"

#include "actors/search/domain/text.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <tuple>

namespace search_bench {
namespace {

constexpr const char* table = "search_bench_entities";

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

} // namespace

struct pg_fts::impl {
  pqxx::connection conn;
  explicit impl(const std::string& dsn) : conn(dsn) {}

  std::string list(const std::vector<std::string>& v) {
    std::string out;
    for (auto& s : v) out += (out.empty() ? "" : ", ") + conn.quote(s);
    return out;
  }
};

pg_fts::pg_fts(const std::string& dsn) : impl_(std::make_unique<impl>(dsn)) {
  pqxx::nontransaction tx{impl_->conn};
  tx.exec("SET client_min_messages = warning");
  tx.exec("SET maintenance_work_mem = '1GB'");
  tx.exec("SET work_mem = '64MB'");
}

pg_fts::~pg_fts() = default;

pg_fts::load_times pg_fts::load(const std::vector<gen_entity>& entities) {
  load_times t;
  auto t0 = std::chrono::steady_clock::now();
  {
    pqxx::work tx{impl_->conn};
    tx.exec(std::string("DROP TABLE IF EXISTS ") + table);
    tx.exec(std::string("CREATE TABLE ") + table + R"( (
      urn text NOT NULL,
      kind text NOT NULL,
      source text NOT NULL,
      schema_name text NOT NULL,
      name text NOT NULL,
      name_words text NOT NULL,
      title text NOT NULL,
      description text NOT NULL,
      tags text[] NOT NULL,
      tags_text text NOT NULL,
      endorsed boolean NOT NULL,
      deprecated boolean NOT NULL,
      tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name_words), 'A') ||
        setweight(to_tsvector('english', title), 'B') ||
        setweight(to_tsvector('english', tags_text), 'B') ||
        setweight(to_tsvector('english', description), 'C')) STORED))");
    pqxx::stream_to copy{tx, table,
                         std::vector<std::string>{"urn", "kind", "source", "schema_name", "name",
                                                  "name_words", "title", "description", "tags",
                                                  "tags_text", "endorsed", "deprecated"}};
    for (auto& e : entities) {
      copy << std::make_tuple(e.urn, e.kind, e.source, e.schema, e.name,
                              almanac::search::split_for_display(e.name), e.title, e.description,
                              "{" + join(e.tags, ",") + "}", join(e.tags, " "),
                              e.endorsed ? "t" : "f", e.deprecated ? "t" : "f");
    }
    copy.complete();
    tx.commit();
  }
  t.copy_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  {
    pqxx::nontransaction tx{impl_->conn};
    tx.exec(std::string("ALTER TABLE ") + table + " ADD PRIMARY KEY (urn)");
    tx.exec(std::string("CREATE INDEX ON ") + table + " USING gin (tsv)");
    tx.exec(std::string("CREATE INDEX ON ") + table + " (kind)");
    tx.exec(std::string("CREATE INDEX ON ") + table + " (source)");
    tx.exec(std::string("CREATE INDEX ON ") + table + " USING gin (tags)");
  }
  t.index_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  pqxx::nontransaction{impl_->conn}.exec(std::string("VACUUM ANALYZE ") + table);
  t.analyze_s = seconds_since(t0);
  return t;
}

std::string pg_fts::sql(const bench_query& q) const {
  std::string tsq;
  if (!q.text.empty() && q.text.back() == '*') {
    auto ws = almanac::search::words(q.text);
    std::string expr;
    for (size_t i = 0; i < ws.size(); ++i)
      expr += (i ? " & " : "") + ws[i] + (i + 1 == ws.size() ? ":*" : "");
    tsq = "to_tsquery('english', " + impl_->conn.quote(expr) + ")";
  } else {
    tsq = "websearch_to_tsquery('english', " + impl_->conn.quote(q.text) + ")";
  }
  std::string s = std::string("SELECT urn, kind, name, title, ts_rank(tsv, q) AS rank FROM ") +
                  table + " e, " + tsq + " q WHERE e.tsv @@ q";
  if (!q.kinds.empty()) s += " AND e.kind IN (" + impl_->list(q.kinds) + ")";
  if (!q.sources.empty()) s += " AND e.source IN (" + impl_->list(q.sources) + ")";
  if (!q.tags.empty()) s += " AND e.tags && ARRAY[" + impl_->list(q.tags) + "]::text[]";
  return s + " ORDER BY rank DESC LIMIT 20";
}

size_t pg_fts::run(const bench_query& q) {
  pqxx::nontransaction tx{impl_->conn};
  auto r = tx.exec(sql(q));
  size_t bytes = 0;
  for (auto row : r) bytes += row[0].size() + row[2].size();
  (void)bytes;
  return r.size();
}

uint64_t pg_fts::size_bytes() {
  pqxx::nontransaction tx{impl_->conn};
  auto r = tx.exec(std::string("SELECT pg_total_relation_size('") + table + "')");
  return r[0][0].as<uint64_t>();
}

} // namespace search_bench
