#include "messages/event_types.hpp"
#include "messages/error.hpp"
#include "messages/field_codec.hpp"

#include <stdexcept>

namespace almanac::ev {

using codec::presence;
using codec::shape;
constexpr auto req = presence::required;
constexpr auto opt = presence::optional;

// -- catalog -----------------------------------------------------------------

template <class F>
void entity_registered::fields(F& f, entity_registered& x) {
  f("user", x.user, req, "who registered it (a user name, or the job's user)");
  f("urn", x.urn, req, "the entity's URN, urn:almanac:<kind>:<source>.<path>");
  f("kind", x.kind, req, "source, schema, table, view, column, term, ...");
  f("name", x.name, req, "the last part of its qualified name");
  f("parent", x.parent, req, "the URN of the entity it belongs to (null for a source)");
  f("title", x.title, opt, "a curated display name");
  f("description", x.description, opt, "a curated description (multi-line)");
  f("tags", x.tags, opt, "curated tags");
  f("stewards", x.stewards, opt, "the URNs of its stewards (users)");
  f("terms", x.terms, opt, "the URNs of the glossary terms it is tagged with");
  f("deprecated", x.deprecated, opt, "marked deprecated by a steward");
  f("endorsed", x.endorsed, opt, "endorsed by a steward");
  f("attributes", x.attributes, opt, "what extraction found (type, comment, profile, ...)",
    shape::object);
  f("version", x.version, req, "the entity's version after this event (1)");
}

template <class F>
void entity_changes::fields(F& f, entity_changes& x) {
  f("title", x.title, opt, "the new title");
  f("description", x.description, opt, "the new description");
  f("tags", x.tags, opt, "the new tags (the whole list)");
  f("stewards", x.stewards, opt, "the new stewards (the whole list)");
  f("terms", x.terms, opt, "the new glossary terms (the whole list)");
  f("deprecated", x.deprecated, opt, "the new deprecation flag");
  f("endorsed", x.endorsed, opt, "the new endorsement flag");
  f("attributes", x.attributes, opt, "the new attributes (the whole object)", shape::object);
}

template <class F>
void entity_edited::fields(F& f, entity_edited& x) {
  f("user", x.user, req, "who edited it");
  f("urn", x.urn, req, "the entity's URN");
  f("version", x.version, req, "the entity's version after this edit");
  f("previous_version", x.previous_version, req, "its version before");
  f("fields", x.fields_set, req, "the fields set, each at its new value");
}

template <class F>
void entity_removed::fields(F& f, entity_removed& x) {
  f("user", x.user, req, "who removed it");
  f("urn", x.urn, req, "the entity's URN");
  f("kind", x.kind, req, "its kind");
  f("parent", x.parent, req, "the URN of its parent (null for a source)");
  f("version", x.version, req, "its version after removal");
  f("cascade_of", x.cascade_of, opt, "the URN whose removal removed it too");
}

// -- accounts ----------------------------------------------------------------

template <class F>
void user_created::fields(F& f, user_created& x) {
  f("user", x.user, req, "the admin who created it");
  f("name", x.name, req, "the new user's name");
  f("role", x.role, req, "viewer, steward or admin");
}

template <class F>
void token_issued::fields(F& f, token_issued& x) {
  f("user", x.user, req, "the admin who issued it");
  f("owner", x.owner, req, "the user the token acts as");
  f("token_id", x.token_id, req, "the token's public id (for revocation)");
  f("role", x.role, req, "the token's role (at most its owner's)");
  f("token_sha256", x.token_sha256, opt,
    "hex SHA-256 of the secret (in the log; the event stream leaves it out)");
}

template <class F>
void token_revoked::fields(F& f, token_revoked& x) {
  f("user", x.user, req, "the admin who revoked it");
  f("owner", x.owner, req, "the token's owner");
  f("token_id", x.token_id, req, "the token's id");
}

// -- usage -------------------------------------------------------------------

template <class F>
void view_count::fields(F& f, view_count& x) {
  f("user", x.user, req, "who read");
  f("urn", x.urn, req, "the entity read");
  f("count", x.count, req, "how many times since the last flush");
}

template <class F>
void entity_viewed::fields(F& f, entity_viewed& x) {
  f("views", x.views, req, "reads per user and entity");
}

template <class F>
void search_count::fields(F& f, search_count& x) {
  f("user", x.user, req, "who searched");
  f("text", x.text, req, "the search text");
  f("count", x.count, req, "how many times since the last flush");
  f("results", x.results, req, "the number of results of the last of them");
}

template <class F>
void search_performed::fields(F& f, search_performed& x) {
  f("searches", x.searches, req, "searches per user and text");
}

template <class F>
void compose_executed::fields(F& f, compose_executed& x) {
  f("user", x.user, req, "who ran it");
  f("source", x.source, req, "the source's name");
  f("sql", x.sql, req, "the statement");
  f("duration_ms", x.duration_ms, req, "wall time in milliseconds");
  f("read_only", x.read_only, req, "run in a read-only transaction");
  f("execution_id", x.execution_id, req, "the id to cancel it by");
  f("rows", x.rows, opt, "rows returned (on success)");
  f("truncated", x.truncated, opt, "the answer hit the row or byte limit");
  f("bytes", x.bytes, opt, "bytes returned");
  f("error", x.error, opt, "why it failed");
  f("start_ms", x.start_ms, req, "start, milliseconds since the epoch");
  f("start_time", x.start_time, req, "start, ISO-8601 UTC");
}

// -- jobs --------------------------------------------------------------------

template <class F>
void job_fields(F& f, job_ref& x) {
  f("job", x.job, req, "the job's id, job-NNNNNN");
  f("kind", x.kind, req, "extract, profile, query_log, ...");
  f("source", x.source, req, "the source it runs on");
  f("user", x.user, req, "who submitted it (or the scheduler)");
  f("state", x.state, req, "queued, running, succeeded, failed or cancelled");
}

template <class F>
void job_submitted::fields(F& f, job_submitted& x) {
  job_fields(f, x);
  f("options", x.options, opt, "the job's options as given (left out for non-admins: they may hold a scheduled query)",
    shape::object);
}

template <class F>
void job_progressed::fields(F& f, job_progressed& x) {
  job_fields(f, x);
  f("attempt", x.attempt, opt, "the attempt that started");
  f("done", x.done, opt, "units done");
  f("total", x.total, opt, "units in all (0: unknown)");
}

template <class F>
void job_finished::fields(F& f, job_finished& x) {
  job_fields(f, x);
  f("done", x.done, req, "units done");
  f("total", x.total, req, "units in all");
  f("attempts", x.attempts, req, "attempts made");
  f("error", x.error, opt, "why it failed");
  f("result", x.result, opt, "what it produced (counts and the like)");
  f("interrupted", x.interrupted, opt, "the node stopped while it ran");
}

template <class F>
void schedule_defined::fields(F& f, schedule_defined& x) {
  f("id", x.id, req, "the schedule's id, sched-...");
  f("user", x.user, req, "the admin who defined it");
  f("cron", x.cron, req, "five-field cron expression (UTC)");
  f("kind", x.kind, req, "the kind of job it submits");
  f("source", x.source, req, "the source the job runs on");
  f("options", x.options, req, "the job's options", shape::object);
}

template <class F>
void schedule_removed::fields(F& f, schedule_removed& x) {
  f("id", x.id, req, "the schedule's id");
  f("user", x.user, req, "the admin who removed it");
}

// -- queries and lineage -----------------------------------------------------

template <class F>
void join_columns::fields(F& f, join_columns& x) {
  f("left", x.left, req, "the URN of one joined table");
  f("right", x.right, req, "the URN of the other");
  f("columns", x.columns, req, "the column pairs compared, [left, right]");
}

template <class F>
void table_edge::fields(F& f, table_edge& x) {
  f("from", x.from, req, "the URN of the table read");
  f("to", x.to, req, "the URN of the table written");
}

template <class F>
void column_edge::fields(F& f, column_edge& x) {
  f("target", x.target, req, "the URN of the column written");
  f("sources", x.sources, req, "the URNs of the columns it is computed from");
}

template <class F>
void output_column::fields(F& f, output_column& x) {
  f("name", x.name, req, "the column's name in the result, as PostgreSQL names it");
  f("sources", x.sources, req, "the URNs of the columns it is computed from");
}

template <class F>
void query_observed::fields(F& f, query_observed& x) {
  f("origin", x.origin, req, "query_log, upload or compose");
  f("source", x.source, req, "the source it ran on");
  f("database", x.database, opt, "the database it ran in, as logged");
  f("user", x.user, opt, "who ran it, as logged");
  f("sql", x.sql, req, "the statement");
  f("start_time", x.start_time, opt, "start, ISO-8601, as logged");
  f("start_ms", x.start_ms, opt, "start, milliseconds since the epoch (0: unknown)");
  f("duration_ms", x.duration_ms, opt, "duration in milliseconds");
  f("calls", x.calls, opt, "executions this line stands for");
  f("kind", x.kind, req, "select, insert, update, ..., unknown");
  f("normalized", x.normalized, req, "the statement with constants replaced");
  f("parse_error", x.parse_error, req, "why it did not parse (null if it did)");
  f("execution_id", x.execution_id, req, "a stable id of this execution");
  f("fingerprint", x.fingerprint, req, "the id of its normalized form");
  f("tables_read", x.tables_read, req, "URNs of the tables read");
  f("tables_written", x.tables_written, req, "URNs of the tables written");
  f("columns_read", x.columns_read, req, "URNs of the columns read");
  f("columns_written", x.columns_written, req, "URNs of the columns written");
  f("filters", x.filters, req, "URNs of the columns filtered on");
  f("joins", x.joins, req, "the joins");
  f("table_lineage", x.table_lineage, req, "table-level lineage edges");
  f("column_lineage", x.column_lineage, req, "column-level lineage edges");
  f("search_path", x.search_path, opt, "the search_path its one-part names resolved with");
  f("unresolved_tables", x.unresolved_tables, opt,
    "db.schema.table names whose db is neither its database nor a source");
  f("outputs", x.outputs, opt,
    "the columns its query yields (a SELECT's result; what feeds an INSERT, "
    "CREATE TABLE AS or view), in order, with their source columns");
}

template <class F>
void ol_run::fields(F& f, ol_run& x) {
  f("runId", x.runId, req, "the run's UUID");
  f("facets", x.facets, opt, "run facets", shape::object);
}

template <class F>
void ol_job::fields(F& f, ol_job& x) {
  f("namespace", x.namespace_, req, "the job's namespace");
  f("name", x.name, req, "the job's name");
  f("facets", x.facets, opt, "job facets (sql, ...)", shape::object);
}

template <class F>
void ol_dataset::fields(F& f, ol_dataset& x) {
  f("namespace", x.namespace_, req, "the dataset's namespace");
  f("name", x.name, req, "the dataset's name");
  f("facets", x.facets, opt, "dataset facets (schema, columnLineage, ...)", shape::object);
}

template <class F>
void lineage_observed::fields(F& f, lineage_observed& x) {
  f("eventType", x.eventType, opt, "START, RUNNING, COMPLETE, ABORT, FAIL or OTHER");
  f("eventTime", x.eventTime, req, "ISO-8601 date-time");
  f("producer", x.producer, req, "URI of the producer");
  f("schemaURL", x.schemaURL, opt, "the OpenLineage schema it follows");
  f("run", x.run, req, "the run");
  f("job", x.job, req, "the job");
  f("inputs", x.inputs, opt, "datasets read");
  f("outputs", x.outputs, opt, "datasets written");
}

template <class F>
void lexicon_edited::fields(F& f, lexicon_edited& x) {
  f("user", x.user, req, "the steward");
  f("abbreviation", x.abbreviation, req, "one word, lower case");
  f("expansion", x.expansion, req, "what it stands for (\"\": removed)");
}

template <class F>
void node_promoted::fields(F& f, node_promoted& x) {
  f("user", x.user, req, "the admin who promoted it");
  f("node", x.node, req, "the promoted node's ha.name");
  f("epoch", x.epoch, req, "the epoch it started");
  f("previous_epoch", x.previous_epoch, req, "the epoch of the primary it followed");
  f("previous_primary", x.previous_primary, req, "HOST:PORT of that primary (ha.primary)");
}

// -- codec -------------------------------------------------------------------

template <class T>
json to_json(const T& e) {
  return codec::write(e);
}

template <class T, class = void>
struct has_type_name : std::false_type {};

template <class T>
struct has_type_name<T, std::void_t<decltype(T::type_name)>> : std::true_type {};

template <class T>
caf::expected<T> from_json(const json& payload) {
  T out{};
  std::string error;
  if (!codec::read(payload, out, shape::object, error, "")) {
    if constexpr (has_type_name<T>::value)
      error = std::string{T::type_name} + ": " + error;
    return make_error(ec::bad_request, error);
  }
  return out;
}

template <class T>
caf::expected<T> decode(const std::string& payload) {
  auto j = json::parse(payload, nullptr, false);
  if (j.is_discarded())
    return make_error(ec::bad_request,
                      std::string{T::type_name} + ": the payload is not JSON");
  return from_json<T>(j);
}

namespace {

template <class T>
event_schema schema_entry() {
  auto info = find_event_type(T::type_name);
  if (!info || info->version != T::schema_version)
    throw std::logic_error(std::string{"event type "} + T::type_name
                           + " is not registered at its schema version");
  auto s = codec::schema_of<T>(shape::object);
  json out{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
           {"$id", "urn:almanac:event-schema:" + std::string{T::type_name} + "@"
                     + std::to_string(T::schema_version)},
           {"title", T::type_name},
           {"description", info->description}};
  out.update(s);
  return {T::type_name, T::schema_version, info->description, std::move(out)};
}

} // namespace

#define ALMANAC_EVENT_TYPE(T)                                                  \
  template json to_json<T>(const T&);                                          \
  template caf::expected<T> from_json<T>(const json&);                         \
  template caf::expected<T> decode<T>(const std::string&);

ALMANAC_EVENT_TYPE(entity_registered)
ALMANAC_EVENT_TYPE(entity_edited)
ALMANAC_EVENT_TYPE(entity_removed)
ALMANAC_EVENT_TYPE(user_created)
ALMANAC_EVENT_TYPE(token_issued)
ALMANAC_EVENT_TYPE(token_revoked)
ALMANAC_EVENT_TYPE(entity_viewed)
ALMANAC_EVENT_TYPE(search_performed)
ALMANAC_EVENT_TYPE(job_submitted)
ALMANAC_EVENT_TYPE(job_progressed)
ALMANAC_EVENT_TYPE(job_finished)
ALMANAC_EVENT_TYPE(compose_executed)
ALMANAC_EVENT_TYPE(schedule_defined)
ALMANAC_EVENT_TYPE(schedule_removed)
ALMANAC_EVENT_TYPE(query_observed)
ALMANAC_EVENT_TYPE(lineage_observed)
ALMANAC_EVENT_TYPE(lexicon_edited)
ALMANAC_EVENT_TYPE(node_promoted)

template json to_json<entity_changes>(const entity_changes&);
template caf::expected<entity_changes> from_json<entity_changes>(const json&);

#undef ALMANAC_EVENT_TYPE

const std::vector<event_schema>& event_schemas() {
  // In the order of the pinned ids (events.cpp); a test checks both agree.
  static const std::vector<event_schema> schemas = {
    schema_entry<entity_registered>(), schema_entry<entity_edited>(),
    schema_entry<entity_removed>(),    schema_entry<user_created>(),
    schema_entry<token_issued>(),      schema_entry<token_revoked>(),
    schema_entry<entity_viewed>(),     schema_entry<search_performed>(),
    schema_entry<job_submitted>(),     schema_entry<job_progressed>(),
    schema_entry<job_finished>(),      schema_entry<compose_executed>(),
    schema_entry<schedule_defined>(),  schema_entry<schedule_removed>(),
    schema_entry<query_observed>(),    schema_entry<lineage_observed>(),
    schema_entry<lexicon_edited>(),    schema_entry<node_promoted>(),
  };
  return schemas;
}

} // namespace almanac::ev
