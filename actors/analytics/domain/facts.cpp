#include "actors/analytics/domain/facts.hpp"

#include "messages/event_types.hpp"
#include "messages/urn.hpp"

#include <charconv>
#include <ctime>

namespace almanac::analytics {
namespace {

// PostgreSQL text cannot hold NUL (a search for "%00" is valid UTF-8): one
// would fail every retry of its batch, so it is dropped.
field text(const std::string& s) {
  if (s.find('\0') == std::string::npos) return s;
  std::string out;
  for (char c : s)
    if (c != '\0') out += c;
  return out;
}

field real(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d); // shortest, locale-free
  return std::string(buf, r.ptr);
}

// A time the query log gave, if it is plausible (1970 to 2200), else none.
bool plausible_ms(int64_t ms) { return ms > 0 && ms < 7258118400000LL; }
field num(int64_t n) { return std::to_string(n); }
field unum(uint64_t n) { return std::to_string(n); }
field flag(bool b) { return std::string(b ? "t" : "f"); }

// A PostgreSQL text[] literal.
field array(const std::vector<std::string>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += '"';
    const auto clean = text(v[i]); // (not in the range expression: a temporary)
    for (char c : *clean) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

void add(batch& b, const char* table, row r) { b.facts[table].push_back(std::move(r)); }

void seen(batch& b, const std::string& user, int64_t at) {
  if (user.empty()) return;
  b.dims.push_back({dim_change::what::user_seen, at, user, {}});
}

// The source and schema names of a located entity's URN.
void location(const std::string& urn, std::map<std::string, field>& v) {
  auto parsed = catalog::parse_urn(urn);
  v["source"] = std::nullopt;
  v["schema_name"] = std::nullopt;
  if (!parsed) return;
  auto k = parsed->kind;
  using ek = catalog::entity_kind;
  bool located = k == ek::source || k == ek::schema || k == ek::table || k == ek::view ||
                 k == ek::column;
  if (!located || parsed->names.empty()) return;
  v["source"] = parsed->names[0];
  if (k != ek::source && parsed->names.size() >= 2) v["schema_name"] = parsed->names[1];
}

// An integer of a job's result, and whether it has one.
int64_t int_field(const nlohmann::json& result, const char* key, bool& present) {
  present = result.is_object() && result.contains(key) && result[key].is_number_integer();
  return present ? result[key].get<int64_t>() : 0;
}

} // namespace

const std::vector<fact_table>& fact_tables() {
  static const std::vector<fact_table> t = {
    {"fact_entity_views", {"event_offset", "ordinal", "occurred_at", "user_name", "urn", "views"}},
    {"fact_searches",
     {"event_offset", "ordinal", "occurred_at", "user_name", "text", "searches", "results"}},
    {"fact_query_executions",
     {"event_offset", "occurred_at", "user_name", "source", "fingerprint", "statement_kind",
      "tables_read", "tables_written", "duration_ms", "calls"}},
    {"fact_curation_edits",
     {"event_offset", "ordinal", "occurred_at", "user_name", "urn", "field"}},
    {"fact_jobs",
     {"event_offset", "occurred_at", "job", "kind", "source", "user_name", "state", "attempts",
      "error"}},
    {"fact_extraction_runs",
     {"event_offset", "finished_at", "job", "source", "user_name", "outcome", "added",
      "changed", "removed", "duration_ms"}},
    {"fact_profiling_runs",
     {"event_offset", "finished_at", "job", "source", "user_name", "outcome", "objects",
      "duration_ms"}},
    {"fact_logins", {"event_offset", "occurred_at", "owner", "token_id", "action", "role"}},
    {"fact_lineage_edges",
     {"event_offset", "ordinal", "occurred_at", "from_urn", "to_urn", "level", "origin"}},
    {"fact_compose_executions",
     {"event_offset", "occurred_at", "user_name", "source", "duration_ms", "rows", "failed"}},
  };
  return t;
}

std::vector<std::string> consumed_types() {
  return {"EntityRegistered", "EntityEdited",   "EntityRemoved", "UserCreated",
          "TokenIssued",      "TokenRevoked",   "EntityViewed",  "SearchPerformed",
          "QueryObserved",    "ComposeExecuted", "JobSubmitted",  "JobProgressed",
          "JobFinished"};
}

std::string timestamp(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int millis = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

void add_event(const event_record& r, batch& out) {
  const auto off = unum(r.offset);
  const auto at = text(timestamp(r.timestamp_ms));
  const int64_t ms = r.timestamp_ms;
  using w = dim_change::what;
  auto bad = [&] { ++out.skipped; };

  if (ev::is<ev::entity_viewed>(r.type)) {
    auto e = ev::decode<ev::entity_viewed>(r.payload);
    if (!e) return bad();
    for (size_t i = 0; i < e->views.size(); ++i) {
      auto& v = e->views[i];
      add(out, "fact_entity_views", {off, num(i), at, text(v.user), text(v.urn), unum(v.count)});
      seen(out, v.user, ms);
    }
  } else if (ev::is<ev::search_performed>(r.type)) {
    auto e = ev::decode<ev::search_performed>(r.payload);
    if (!e) return bad();
    for (size_t i = 0; i < e->searches.size(); ++i) {
      auto& s = e->searches[i];
      add(out, "fact_searches",
          {off, num(i), at, text(s.user), text(s.text), unum(s.count), unum(s.results)});
      seen(out, s.user, ms);
    }
  } else if (ev::is<ev::query_observed>(r.type)) {
    auto q = ev::decode<ev::query_observed>(r.payload);
    if (!q) return bad();
    auto when = plausible_ms(q->start_ms) ? text(timestamp(q->start_ms)) : at;
    add(out, "fact_query_executions",
        {off, when, q->user.empty() ? field{} : text(q->user), text(q->source),
         q->fingerprint.empty() ? field{} : text(q->fingerprint), text(q->kind),
         array(q->tables_read), array(q->tables_written), real(q->duration_ms),
         unum(q->calls)});
    int64_t ordinal = 0;
    for (auto& e : q->table_lineage)
      add(out, "fact_lineage_edges",
          {off, num(ordinal++), when, text(e.from), text(e.to), text("table"), text("query")});
    for (auto& c : q->column_lineage)
      for (auto& s : c.sources)
        add(out, "fact_lineage_edges",
            {off, num(ordinal++), when, text(s), text(c.target), text("column"), text("query")});
  } else if (ev::is<ev::compose_executed>(r.type)) {
    auto c = ev::decode<ev::compose_executed>(r.payload);
    if (!c) return bad();
    add(out, "fact_compose_executions",
        {off, at, text(c->user), text(c->source), num(c->duration_ms),
         c->rows ? unum(*c->rows) : field{}, flag(c->error.has_value())});
    seen(out, c->user, ms);
  } else if (ev::is<ev::entity_registered>(r.type)) {
    auto e = ev::decode<ev::entity_registered>(r.payload);
    if (!e) return bad();
    dim_change d{w::entity_registered, ms, e->urn, {}};
    auto& v = d.values;
    v["kind"] = e->kind;
    v["name"] = e->name;
    v["parent"] = e->parent ? field{*e->parent} : field{};
    location(e->urn, v);
    v["has_title"] = flag(!e->title.empty());
    v["has_description"] = flag(!e->description.empty());
    v["has_steward"] = flag(!e->stewards.empty());
    v["has_tags"] = flag(!e->tags.empty());
    v["endorsed"] = flag(e->endorsed);
    v["deprecated"] = flag(e->deprecated);
    out.dims.push_back(std::move(d));
  } else if (ev::is<ev::entity_edited>(r.type)) {
    auto e = ev::decode<ev::entity_edited>(r.payload);
    if (!e) return bad();
    auto& f = e->fields_set;
    dim_change d{w::entity_edited, ms, e->urn, {}};
    std::vector<std::string> fields;
    if (f.title) { fields.push_back("title"); d.values["has_title"] = flag(!f.title->empty()); }
    if (f.description) {
      fields.push_back("description");
      d.values["has_description"] = flag(!f.description->empty());
    }
    if (f.stewards) {
      fields.push_back("stewards");
      d.values["has_steward"] = flag(!f.stewards->empty());
    }
    if (f.tags) { fields.push_back("tags"); d.values["has_tags"] = flag(!f.tags->empty()); }
    if (f.terms) fields.push_back("terms");
    if (f.endorsed) { fields.push_back("endorsed"); d.values["endorsed"] = flag(*f.endorsed); }
    if (f.deprecated) {
      fields.push_back("deprecated");
      d.values["deprecated"] = flag(*f.deprecated);
    }
    if (f.attributes) fields.push_back("attributes");
    for (size_t i = 0; i < fields.size(); ++i)
      add(out, "fact_curation_edits", {off, num(i), at, text(e->user), text(e->urn), text(fields[i])});
    out.dims.push_back(std::move(d));
  } else if (ev::is<ev::entity_removed>(r.type)) {
    auto e = ev::decode<ev::entity_removed>(r.payload);
    if (!e) return bad();
    out.dims.push_back({w::entity_removed, ms, e->urn, {}});
  } else if (ev::is<ev::user_created>(r.type)) {
    auto u = ev::decode<ev::user_created>(r.payload);
    if (!u) return bad();
    out.dims.push_back({w::user_created, ms, u->name, {{"role", u->role}}});
  } else if (ev::is<ev::token_issued>(r.type)) {
    auto t = ev::decode<ev::token_issued>(r.payload);
    if (!t) return bad();
    add(out, "fact_logins", {off, at, text(t->owner), text(t->token_id), text("issued"), text(t->role)});
  } else if (ev::is<ev::token_revoked>(r.type)) {
    auto t = ev::decode<ev::token_revoked>(r.payload);
    if (!t) return bad();
    add(out, "fact_logins", {off, at, text(t->owner), text(t->token_id), text("revoked"), field{}});
  } else if (ev::is<ev::job_submitted>(r.type) || ev::is<ev::job_progressed>(r.type)) {
    caf::expected<ev::job_ref> j = caf::error{};
    if (ev::is<ev::job_submitted>(r.type)) {
      auto s = ev::decode<ev::job_submitted>(r.payload);
      if (s) j = static_cast<ev::job_ref>(*s);
    } else {
      auto p = ev::decode<ev::job_progressed>(r.payload);
      if (p) j = static_cast<ev::job_ref>(*p);
    }
    if (!j) return bad();
    add(out, "fact_jobs",
        {off, at, text(j->job), text(j->kind), text(j->source), text(j->user), text(j->state),
         field{}, field{}});
  } else if (ev::is<ev::job_finished>(r.type)) {
    auto j = ev::decode<ev::job_finished>(r.payload);
    if (!j) return bad();
    add(out, "fact_jobs",
        {off, at, text(j->job), text(j->kind), text(j->source), text(j->user), text(j->state),
         unum(j->attempts), j->error ? field{*j->error} : field{}});
    // The duration is the store's: from the job's first event to this one.
    const nlohmann::json result = j->result ? *j->result : nlohmann::json{};
    if (j->kind == "extract") {
      bool a = false, c = false, x = false;
      auto added = int_field(result, "added", a);
      auto changed = int_field(result, "changed", c);
      auto removed = int_field(result, "removed", x);
      add(out, "fact_extraction_runs",
          {off, at, text(j->job), text(j->source), text(j->user), text(j->state),
           a ? num(added) : field{}, c ? num(changed) : field{}, x ? num(removed) : field{},
           field{}});
    } else if (j->kind == "profile") {
      bool t = false, c = false;
      auto tables = int_field(result, "tables", t);
      auto columns = int_field(result, "columns", c);
      add(out, "fact_profiling_runs",
          {off, at, text(j->job), text(j->source), text(j->user), text(j->state),
           t || c ? num(tables + columns) : field{}, field{}});
    }
  }
}

} // namespace almanac::analytics
