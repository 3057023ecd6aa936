#include "actors/analytics/store.hpp"

#include "actors/analytics/domain/facts.hpp"
#include "actors/analytics/domain/schema.hpp"
#include "messages/digest.hpp"

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <map>
#include <set>

namespace almanac::analytics {
namespace {

// The tables a digest covers, in order (the state tables are not the log's).
const std::vector<std::string>& digest_tables() {
  static const std::vector<std::string> t = [] {
    std::vector<std::string> v = {"dim_users", "dim_sources", "dim_entities", "dim_dates"};
    for (auto& f : fact_tables()) v.push_back(f.name);
    return v;
  }();
  return t;
}

// libpqxx 6's stream_to takes rows as tuples: a row of N fields as one.
template <size_t... I>
auto as_tuple(const row& r, std::index_sequence<I...>) {
  return std::make_tuple(r[I]...);
}

template <size_t N>
void copy_row(pqxx::stream_to& copy, const row& r) {
  copy << as_tuple(r, std::make_index_sequence<N>{});
}

void copy_row(pqxx::stream_to& copy, const row& r) {
  switch (r.size()) {
    case 6: return copy_row<6>(copy, r);
    case 7: return copy_row<7>(copy, r);
    case 8: return copy_row<8>(copy, r);
    case 9: return copy_row<9>(copy, r);
    case 10: return copy_row<10>(copy, r);
    default: throw std::logic_error("a fact row of " + std::to_string(r.size()) + " fields");
  }
}

} // namespace

struct store::impl {
  std::string dsn;
  std::string dsn_error; ///< analytics.dsn did not parse
  std::string password;  ///< scrubbed from every error
  std::unique_ptr<pqxx::connection> conn;
  bool migrated = false; ///< the schema is known to be at our version

  pqxx::connection& connection() {
    if (!dsn_error.empty()) throw std::runtime_error(dsn_error);
    if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(dsn);
    return *conn;
  }

  // An error text without the password, should a server or libpq echo it.
  std::string scrub(std::string text) const {
    if (password.size() >= 3)
      for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at))
        text.replace(at, password.size(), "***");
    return text;
  }
};

namespace {

// A conninfo value in single quotes.
std::string quoted(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

} // namespace

store::store(std::string dsn, std::string password, std::string schema)
  : impl_(std::make_unique<impl>()), schema_(std::move(schema)) {
  impl_->password = password;
  // The DSN (key=value or a URI) parsed by libpq and written again as
  // key='value' pairs, the password added apart: appending it to a URI
  // would put it into the database name, and so into the server's errors.
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (!opts) {
    impl_->dsn_error = std::string("analytics.dsn is not a libpq connection string: ") +
                       (err ? err : "out of memory");
    if (err) PQfreemem(err);
    return;
  }
  std::string out;
  bool has_timeout = false, has_options = false;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val || std::string(o->keyword) == "password") continue;
    std::string k = o->keyword, v = o->val;
    if (k == "connect_timeout") has_timeout = true;
    if (k == "options") {
      has_options = true;
      v += " -c TimeZone=UTC";
    }
    out += k + "=" + quoted(v) + " ";
  }
  PQconninfoFree(opts);
  if (!has_timeout) out += "connect_timeout='10' ";
  if (!has_options) out += "options='-c TimeZone=UTC' ";
  out += "client_encoding='UTF8' keepalives='1' keepalives_idle='30' ";
  if (!password.empty()) out += "password=" + quoted(password);
  impl_->dsn = out;
}

store::~store() = default;

namespace {

// The schema's checkpoint went back (recreated by someone else, restored):
// the projection must start again from it.
struct checkpoint_behind : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace

template <class F>
result guarded(store::impl& i, F f) {
  try {
    f();
    return {};
  } catch (const checkpoint_behind& e) {
    return {i.scrub(e.what()), true};
  } catch (const pqxx::broken_connection& e) {
    i.conn.reset(); // the next call connects again
    return {i.scrub(std::string("analytics database unreachable: ") + e.what())};
  } catch (const std::exception& e) {
    return {i.scrub(std::string("analytics database: ") + e.what())};
  }
}

result store::open(uint64_t& checkpoint) {
  return guarded(*impl_, [&] {
    auto m = migrate(impl_->connection(), schema_);
    if (!m.ok()) throw std::runtime_error(m.error);
    impl_->migrated = true;
    pqxx::work tx(impl_->connection());
    checkpoint = tx.exec("SELECT next_offset FROM " + quote_ident(schema_) + ".projection_state")[0][0]
                   .as<uint64_t>();
  });
}

result store::apply(const std::vector<event_record>& events, uint64_t next, uint64_t expected) {
  return guarded(*impl_, [&] {
    const auto s = quote_ident(schema_);
    if (!impl_->migrated) { // open() found the database down
      auto m = migrate(impl_->connection(), schema_);
      if (!m.ok()) throw std::runtime_error(m.error);
      impl_->migrated = true;
    }
    pqxx::work tx(impl_->connection());
    auto from = tx.exec("SELECT next_offset FROM " + s + ".projection_state FOR UPDATE")[0][0]
                  .as<uint64_t>();
    if (next <= from) return; // applied already (a commit reported failed that landed)
    if (from < expected)
      throw checkpoint_behind("the analytics schema " + schema_ + " is at offset " +
                              std::to_string(from) + ", behind this projection's " +
                              std::to_string(expected) +
                              " (recreated or restored): starting again from it");
    batch b;
    for (auto& r : events)
      if (r.offset >= from) add_event(r, b);
    // Facts: one COPY per table.
    for (auto& t : fact_tables()) {
      auto rows = b.facts.find(t.name);
      if (rows == b.facts.end() || rows->second.empty()) continue;
      pqxx::stream_to copy(tx, s + "." + t.name, t.columns);
      for (auto& r : rows->second) {
        if (r.size() != t.columns.size())
          throw std::logic_error(std::string("a row of ") + t.name + " with " +
                                 std::to_string(r.size()) + " fields");
        copy_row(copy, r);
      }
      copy.complete();
    }
    // Dimensions, in log order; the users seen once per batch.
    std::map<std::string, std::pair<int64_t, int64_t>> seen;
    for (auto& d : b.dims) {
      using w = dim_change::what;
      auto at = timestamp(d.at_ms);
      auto v = [&](const char* k) -> field {
        auto i = d.values.find(k);
        return i == d.values.end() ? field{} : i->second;
      };
      switch (d.kind) {
        case w::entity_registered:
          tx.exec_params(
            "INSERT INTO " + s + ".dim_entities (urn, kind, source, schema_name, name, parent, "
            "has_title, has_description, has_steward, has_tags, endorsed, deprecated, "
            "registered_at, updated_at, removed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10, $11, $12, $13, $13, NULL) ON CONFLICT (urn) DO UPDATE SET kind = EXCLUDED.kind, "
            "source = EXCLUDED.source, schema_name = EXCLUDED.schema_name, name = EXCLUDED.name, "
            "parent = EXCLUDED.parent, has_title = EXCLUDED.has_title, "
            "has_description = EXCLUDED.has_description, has_steward = EXCLUDED.has_steward, "
            "has_tags = EXCLUDED.has_tags, endorsed = EXCLUDED.endorsed, "
            "deprecated = EXCLUDED.deprecated, registered_at = EXCLUDED.registered_at, "
            "updated_at = EXCLUDED.updated_at, removed_at = NULL",
            d.key, v("kind"), v("source"), v("schema_name"), v("name"), v("parent"),
            v("has_title"), v("has_description"), v("has_steward"), v("has_tags"),
            v("endorsed"), v("deprecated"), at);
          if (v("kind") == field{"source"})
            tx.exec_params("INSERT INTO " + s + ".dim_sources (name, urn, registered_at) "
                           "VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET urn = "
                           "EXCLUDED.urn, registered_at = EXCLUDED.registered_at, removed_at = NULL",
                           v("name"), d.key, at);
          break;
        case w::entity_edited: {
          std::string sets = "updated_at = $2";
          // Only the known flag columns (facts.cpp names them).
          static const std::set<std::string> flags = {"has_title", "has_description",
                                                      "has_steward", "has_tags",
                                                      "endorsed", "deprecated"};
          for (auto& [c, val] : d.values)
            if (flags.count(c))
              sets += ", " + c + " = " + (val == field{"t"} ? "true" : "false");
          tx.exec_params("UPDATE " + s + ".dim_entities SET " + sets + " WHERE urn = $1", d.key,
                         at);
          break;
        }
        case w::entity_removed:
          tx.exec_params("UPDATE " + s + ".dim_entities SET removed_at = $2 WHERE urn = $1",
                         d.key, at);
          tx.exec_params("UPDATE " + s + ".dim_sources SET removed_at = $2 WHERE urn = $1",
                         d.key, at);
          break;
        case w::user_created:
          tx.exec_params("INSERT INTO " + s + ".dim_users (name, role, created_at) VALUES ($1, "
                         "$2, $3) ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, "
                         "created_at = coalesce(" + s + ".dim_users.created_at, EXCLUDED.created_at)",
                         d.key, v("role"), at);
          break;
        case w::user_seen: {
          auto [i, fresh] = seen.emplace(d.key, std::make_pair(d.at_ms, d.at_ms));
          if (!fresh) {
            i->second.first = std::min(i->second.first, d.at_ms);
            i->second.second = std::max(i->second.second, d.at_ms);
          }
          break;
        }
      }
    }
    for (auto& [user, span] : seen)
      tx.exec_params("INSERT INTO " + s + ".dim_users (name, first_seen, last_seen) VALUES ($1, "
                     "$2, $3) ON CONFLICT (name) DO UPDATE SET first_seen = least(coalesce(" + s +
                       ".dim_users.first_seen, EXCLUDED.first_seen), EXCLUDED.first_seen), "
                       "last_seen = greatest(coalesce(" + s +
                       ".dim_users.last_seen, EXCLUDED.last_seen), EXCLUDED.last_seen)",
                     user, timestamp(span.first), timestamp(span.second));
    // The days (UTC) the batch's facts fall on.
    std::string days;
    for (auto& t : fact_tables()) {
      if (!b.facts.count(t.name)) continue;
      auto time_col = std::string(t.name) == "fact_extraction_runs" ||
                          std::string(t.name) == "fact_profiling_runs"
                        ? "finished_at"
                        : "occurred_at";
      days += std::string(days.empty() ? "" : " UNION ") + "SELECT (" + time_col +
              " AT TIME ZONE 'UTC')::date AS d FROM " + s + "." + t.name +
              " WHERE event_offset >= $1";
    }
    if (!days.empty())
      tx.exec_params("INSERT INTO " + s + ".dim_dates SELECT d, extract(year FROM d), "
                     "extract(quarter FROM d), extract(month FROM d), extract(week FROM d), "
                     "extract(isodow FROM d) FROM (" + days + ") v ON CONFLICT DO NOTHING",
                     from);
    // A run's duration: from its job's first event to its end.
    for (auto t : {"fact_extraction_runs", "fact_profiling_runs"})
      if (b.facts.count(t)) // only this batch's runs (fact_jobs is indexed by job)
        tx.exec_params(std::string("UPDATE ") + s + "." + t + " r SET duration_ms = "
                       "(SELECT (extract(epoch FROM r.finished_at - min(j.occurred_at)) * "
                       "1000)::bigint FROM " + s + ".fact_jobs j WHERE j.job = r.job) "
                       "WHERE r.event_offset >= $1",
                       from);
    tx.exec_params("UPDATE " + s + ".projection_state SET next_offset = $1, updated_at = now()",
                   next);
    tx.commit();
  });
}

result store::reset() {
  return guarded(*impl_, [&] {
    {
      pqxx::work tx(impl_->connection());
      tx.exec("DROP SCHEMA IF EXISTS " + quote_ident(schema_) + " CASCADE");
      tx.commit();
    }
    impl_->migrated = false;
    auto m = migrate(impl_->connection(), schema_);
    if (!m.ok()) throw std::runtime_error(m.error);
    impl_->migrated = true;
  });
}

result store::digest(std::string& out) {
  return guarded(*impl_, [&] {
    pqxx::work tx(impl_->connection());
    sha256 h;
    for (auto& t : digest_tables()) {
      h.field(t);
      auto r = tx.exec("SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM " +
                       quote_ident(schema_) + "." + t + " x");
      h.field(r[0][0].c_str());
    }
    out = h.hex();
  });
}

result store::counts(std::vector<std::pair<std::string, uint64_t>>& out, uint64_t& checkpoint) {
  return guarded(*impl_, [&] {
    pqxx::work tx(impl_->connection());
    out.clear();
    for (auto& t : digest_tables())
      out.emplace_back(t, tx.exec("SELECT count(*) FROM " + quote_ident(schema_) + "." + t)[0][0]
                            .as<uint64_t>());
    checkpoint = tx.exec("SELECT next_offset FROM " + quote_ident(schema_) + ".projection_state")
                   [0][0].as<uint64_t>();
  });
}

} // namespace almanac::analytics
