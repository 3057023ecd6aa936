#include "connectors/sqlite/sqlite_catalog.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <tuple>

namespace almanac::connectors::sqlite_detail {

namespace {

using clock_type = std::chrono::steady_clock;

/// What the progress handler checks during an extraction.
struct guard_state {
  const std::atomic<bool>* cancel;
  clock_type::time_point deadline = clock_type::time_point::max();
};

int on_progress(void* p) {
  auto* g = static_cast<guard_state*>(p);
  return (*g->cancel || clock_type::now() > g->deadline) ? 1 : 0;
}

/// Installs the extraction's progress handler; restores none on exit.
struct handler_scope {
  sqlite3* db;
  handler_scope(sqlite3* db, guard_state* g) : db(db) {
    sqlite3_progress_handler(db, 1000, &on_progress, g);
  }
  ~handler_scope() {
    sqlite3_progress_handler(db, 0, nullptr, nullptr);
  }
};

struct reader {
  sqlite3* db;
  const std::string& source;
  const std::atomic<bool>& cancel;
  guard_state guard{&cancel};

  caf::error failure(const char* what) const {
    if (cancel)
      return make_error(ec::cancelled, "extraction cancelled");
    return make_error(ec::unavailable, "extract on " + source + ": " + what + ": "
                                         + sqlite3_errmsg(db));
  }

  bool has_table(const std::string& schema, const char* name) {
    statement st{db, "SELECT 1 FROM " + quote_identifier(schema)
                       + ".sqlite_master WHERE type = 'table' AND name = ?1"};
    st.bind(1, name);
    return st.status() == SQLITE_OK && st.step() == SQLITE_ROW;
  }

  /// sqlite_stat1's row count, else count(*) if it takes at most 50 ms.
  int64_t row_estimate(const std::string& schema, const std::string& table,
                       bool has_stat1) {
    if (has_stat1) {
      statement st{db, "SELECT stat FROM " + quote_identifier(schema)
                         + ".sqlite_stat1 WHERE tbl = ?1 LIMIT 1"};
      st.bind(1, table);
      if (st.status() == SQLITE_OK && st.step() == SQLITE_ROW)
        return std::strtoll(st.text(0).c_str(), nullptr, 10);
    }
    statement st{db, "SELECT count(*) FROM " + quote_identifier(schema) + "."
                       + quote_identifier(table)};
    guard.deadline = clock_type::now() + std::chrono::milliseconds{50};
    int64_t n = -1;
    if (st.status() == SQLITE_OK && st.step() == SQLITE_ROW)
      n = st.integer(0);
    guard.deadline = clock_type::time_point::max();
    return n;
  }

  caf::error columns(table_info& t) {
    statement st{db, "SELECT name, type, \"notnull\", dflt_value, pk, hidden "
                     "FROM pragma_table_xinfo(?1, ?2) ORDER BY cid"};
    if (st.status() != SQLITE_OK)
      return failure("columns");
    st.bind(1, t.name);
    st.bind(2, t.schema);
    std::vector<std::pair<int64_t, std::string>> pk;
    int rc;
    int ordinal = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
      if (st.integer(5) == 1)
        continue; // a hidden column of a virtual table
      column_info c;
      c.name = st.text(0);
      c.data_type = st.text(1);
      c.nullable = st.integer(2) == 0;
      if (!st.is_null(3))
        c.default_value = st.text(3);
      c.ordinal = ++ordinal;
      if (st.integer(4) > 0)
        pk.emplace_back(st.integer(4), c.name);
      t.columns.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE)
      return failure("columns");
    std::sort(pk.begin(), pk.end());
    for (auto& p : pk)
      t.primary_key.push_back(p.second);
    // An INTEGER PRIMARY KEY is the rowid: never NULL, whatever was declared.
    if (t.primary_key.size() == 1)
      for (auto& c : t.columns) {
        std::string type = c.data_type;
        for (auto& ch : type)
          ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (c.name == t.primary_key[0] && type == "INTEGER")
          c.nullable = false;
      }
    return {};
  }

  caf::error foreign_keys(table_info& t) {
    statement st{db, "SELECT id, \"table\", \"from\", \"to\" "
                     "FROM pragma_foreign_key_list(?1, ?2) ORDER BY id, seq"};
    if (st.status() != SQLITE_OK)
      return failure("foreign keys");
    st.bind(1, t.name);
    st.bind(2, t.schema);
    int64_t current = -1;
    std::vector<bool> implicit; // "to" missing: the referenced table's key
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      if (st.integer(0) != current) {
        current = st.integer(0);
        foreign_key fk;
        fk.ref_schema = t.schema;
        fk.ref_table = st.text(1);
        t.foreign_keys.push_back(std::move(fk));
        implicit.push_back(false);
      }
      auto& fk = t.foreign_keys.back();
      fk.columns.push_back(st.text(2));
      if (st.is_null(3))
        implicit.back() = true;
      else
        fk.ref_columns.push_back(st.text(3));
    }
    if (rc != SQLITE_DONE)
      return failure("foreign keys");
    for (size_t i = 0; i < t.foreign_keys.size(); ++i) {
      auto& fk = t.foreign_keys[i];
      fk.name = t.name;
      for (auto& c : fk.columns)
        fk.name += "_" + c;
      fk.name += "_fkey";
      if (implicit[i]) {
        table_info ref;
        ref.schema = t.schema;
        ref.name = fk.ref_table;
        if (auto err = columns(ref))
          return err;
        fk.ref_columns = ref.primary_key;
      }
    }
    return {};
  }
};

bool wanted(const std::vector<std::string>& filter, const std::string& name) {
  return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
}

} // namespace

caf::expected<catalog_snapshot> read_catalog(sqlite3* db, const std::string& source,
                                             const extract_options& opts,
                                             const progress_fn& progress,
                                             const std::atomic<bool>& cancel) {
  reader rd{db, source, cancel};
  handler_scope scope{db, &rd.guard};
  catalog_snapshot snap;

  statement list{db, "SELECT name FROM pragma_database_list ORDER BY seq"};
  if (list.status() != SQLITE_OK)
    return rd.failure("schemas");
  int rc;
  while ((rc = list.step()) == SQLITE_ROW) {
    auto name = list.text(0);
    if (name != "temp" && wanted(opts.schemas, name))
      snap.schemas.push_back({name, ""});
  }
  if (rc != SQLITE_DONE)
    return rd.failure("schemas");

  for (const auto& schema : snap.schemas) {
    statement st{db, "SELECT type, name, sql FROM " + quote_identifier(schema.name)
                       + ".sqlite_master WHERE type IN ('table', 'view')"
                         " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"};
    if (st.status() != SQLITE_OK)
      return rd.failure("tables");
    while ((rc = st.step()) == SQLITE_ROW) {
      table_info t;
      t.schema = schema.name;
      t.name = st.text(1);
      if (!wanted(opts.tables, t.schema + "." + t.name))
        continue;
      t.kind = st.text(0);
      if (t.kind == "view")
        t.definition = view_body(st.text(2));
      snap.tables.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE)
      return rd.failure("tables");
  }
  std::sort(snap.schemas.begin(), snap.schemas.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  std::sort(snap.tables.begin(), snap.tables.end(), [](auto& a, auto& b) {
    return std::tie(a.schema, a.name) < std::tie(b.schema, b.name);
  });

  const uint64_t total = snap.tables.size();
  if (progress)
    progress(0, total);
  std::string stat1_schema;
  bool has_stat1 = false;
  for (uint64_t i = 0; i < total; ++i) {
    if (cancel)
      return make_error(ec::cancelled, "extraction cancelled");
    auto& t = snap.tables[i];
    if (auto err = rd.columns(t))
      return err;
    if (t.kind == "table") {
      if (auto err = rd.foreign_keys(t))
        return err;
      if (t.schema != stat1_schema) {
        stat1_schema = t.schema;
        has_stat1 = rd.has_table(t.schema, "sqlite_stat1");
      }
      t.row_estimate = rd.row_estimate(t.schema, t.name, has_stat1);
    }
    if (progress)
      progress(i + 1, total);
  }
  if (cancel)
    return make_error(ec::cancelled, "extraction cancelled");
  return snap;
}

} // namespace almanac::connectors::sqlite_detail
