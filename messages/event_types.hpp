#pragma once

// The payload of every event type, as a struct: producers build one and call
// to_event(); projections call decode<T>() on a record's payload. Each struct
// lists its fields once (its `fields` function, in event_types.cpp), and that
// list is the only JSON codec of the type and the source of its published
// JSON Schema (GET /api/v1/events/schema, docs/events.md).
//
// A record's type is "<type_name>@<schema_version>". Keys a struct does not
// know are kept in `extra` and written back, so a newer writer's fields
// survive an older reader. Changing a field's meaning or type needs a new
// schema_version (and a decoder for the old one); adding an optional field
// does not.

#include "messages/events.hpp"

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace almanac::ev {

using json = nlohmann::json;

// -- catalog -----------------------------------------------------------------

/// EntityRegistered: a new entity, every curated field at its first value.
struct entity_registered {
  static constexpr const char* type_name = "EntityRegistered";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string urn;
  std::string kind;
  std::string name;
  std::optional<std::string> parent;
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  std::vector<std::string> stewards;
  std::vector<std::string> terms;
  bool deprecated = false;
  bool endorsed = false;
  json attributes = json::object();
  uint64_t version = 1;
  json extra = json::object();
  template <class F>
  static void fields(F& f, entity_registered& x);
};

/// The fields an edit sets (absent: unchanged).
struct entity_changes {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::vector<std::string>> stewards;
  std::optional<std::vector<std::string>> terms;
  std::optional<bool> deprecated;
  std::optional<bool> endorsed;
  std::optional<json> attributes;
  json extra = json::object();
  template <class F>
  static void fields(F& f, entity_changes& x);
  bool empty() const {
    return !title && !description && !tags && !stewards && !terms && !deprecated
           && !endorsed && !attributes && extra.empty();
  }
};

/// EntityEdited: curated fields or attributes of an entity changed.
struct entity_edited {
  static constexpr const char* type_name = "EntityEdited";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string urn;
  uint64_t version = 0;
  uint64_t previous_version = 0;
  entity_changes fields_set;
  json extra = json::object();
  template <class F>
  static void fields(F& f, entity_edited& x);
};

/// EntityRemoved: an entity was removed (alone, or as part of a cascade).
struct entity_removed {
  static constexpr const char* type_name = "EntityRemoved";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string urn;
  std::string kind;
  std::optional<std::string> parent;
  uint64_t version = 0;
  std::optional<std::string> cascade_of;
  json extra = json::object();
  template <class F>
  static void fields(F& f, entity_removed& x);
};

// -- accounts ----------------------------------------------------------------

/// UserCreated: an admin created a user.
struct user_created {
  static constexpr const char* type_name = "UserCreated";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string name;
  std::string role;
  json extra = json::object();
  template <class F>
  static void fields(F& f, user_created& x);
};

/// TokenIssued: a token was issued; only its SHA-256 is recorded.
struct token_issued {
  static constexpr const char* type_name = "TokenIssued";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string owner;
  std::string token_id;
  std::string role;
  std::string token_sha256;
  json extra = json::object();
  template <class F>
  static void fields(F& f, token_issued& x);
};

/// TokenRevoked: a token was revoked.
struct token_revoked {
  static constexpr const char* type_name = "TokenRevoked";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string owner;
  std::string token_id;
  json extra = json::object();
  template <class F>
  static void fields(F& f, token_revoked& x);
};

// -- usage -------------------------------------------------------------------

struct view_count {
  std::string user;
  std::string urn;
  uint64_t count = 0;
  template <class F>
  static void fields(F& f, view_count& x);
};

/// EntityViewed: entity reads since the last flush, per user and entity.
struct entity_viewed {
  static constexpr const char* type_name = "EntityViewed";
  static constexpr uint32_t schema_version = 1;
  std::vector<view_count> views;
  json extra = json::object();
  template <class F>
  static void fields(F& f, entity_viewed& x);
};

struct search_count {
  std::string user;
  std::string text;
  uint64_t count = 0;
  uint64_t results = 0;
  template <class F>
  static void fields(F& f, search_count& x);
};

/// SearchPerformed: searches since the last flush, per user and text.
struct search_performed {
  static constexpr const char* type_name = "SearchPerformed";
  static constexpr uint32_t schema_version = 1;
  std::vector<search_count> searches;
  json extra = json::object();
  template <class F>
  static void fields(F& f, search_performed& x);
};

/// ComposeExecuted: a user ran SQL on a source.
struct compose_executed {
  static constexpr const char* type_name = "ComposeExecuted";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string source;
  std::string sql;
  int64_t duration_ms = 0;
  bool read_only = true;
  std::string execution_id;
  std::optional<uint64_t> rows;
  std::optional<bool> truncated;
  std::optional<uint64_t> bytes;
  std::optional<std::string> error;
  int64_t start_ms = 0;
  std::string start_time;
  json extra = json::object();
  template <class F>
  static void fields(F& f, compose_executed& x);
};

// -- jobs --------------------------------------------------------------------

/// What every job event says about its job.
struct job_ref {
  std::string job;
  std::string kind;
  std::string source;
  std::string user;
  std::string state;
};

/// JobSubmitted: a job was queued (its id is durable from here on).
struct job_submitted : job_ref {
  static constexpr const char* type_name = "JobSubmitted";
  static constexpr uint32_t schema_version = 1;
  json options = json::object();
  json extra = json::object();
  template <class F>
  static void fields(F& f, job_submitted& x);
};

/// JobProgressed: a job started an attempt or reported progress.
struct job_progressed : job_ref {
  static constexpr const char* type_name = "JobProgressed";
  static constexpr uint32_t schema_version = 1;
  std::optional<uint64_t> attempt;
  std::optional<uint64_t> done;
  std::optional<uint64_t> total;
  json extra = json::object();
  template <class F>
  static void fields(F& f, job_progressed& x);
};

/// JobFinished: a job succeeded, failed, was cancelled or interrupted.
struct job_finished : job_ref {
  static constexpr const char* type_name = "JobFinished";
  static constexpr uint32_t schema_version = 1;
  uint64_t done = 0;
  uint64_t total = 0;
  uint64_t attempts = 0;
  std::optional<std::string> error;
  std::optional<json> result;
  std::optional<bool> interrupted;
  json extra = json::object();
  template <class F>
  static void fields(F& f, job_finished& x);
};

/// ScheduleDefined: a cron schedule for a job.
struct schedule_defined {
  static constexpr const char* type_name = "ScheduleDefined";
  static constexpr uint32_t schema_version = 1;
  std::string id;
  std::string user;
  std::string cron;
  std::string kind;
  std::string source;
  json options = json::object();
  json extra = json::object();
  template <class F>
  static void fields(F& f, schedule_defined& x);
};

/// ScheduleRemoved: a schedule was removed.
struct schedule_removed {
  static constexpr const char* type_name = "ScheduleRemoved";
  static constexpr uint32_t schema_version = 1;
  std::string id;
  std::string user;
  json extra = json::object();
  template <class F>
  static void fields(F& f, schedule_removed& x);
};

// -- queries and lineage -----------------------------------------------------

struct join_columns {
  std::string left;
  std::string right;
  std::vector<std::pair<std::string, std::string>> columns;
  template <class F>
  static void fields(F& f, join_columns& x);
};

struct table_edge {
  std::string from;
  std::string to;
  template <class F>
  static void fields(F& f, table_edge& x);
};

struct column_edge {
  std::string target;
  std::vector<std::string> sources;
  template <class F>
  static void fields(F& f, column_edge& x);
};

/// One result column of a query (a SELECT's, or RETURNING's), in order.
struct output_column {
  std::string name;
  std::vector<std::string> sources;
  template <class F>
  static void fields(F& f, output_column& x);
};

/// QueryObserved: a query ran on a source, with what its analysis found.
struct query_observed {
  static constexpr const char* type_name = "QueryObserved";
  static constexpr uint32_t schema_version = 1;
  std::string origin;
  std::string source;
  std::string database;
  std::string user;
  std::string sql;
  std::string start_time;
  int64_t start_ms = 0;
  double duration_ms = 0;
  uint64_t calls = 1;
  std::string kind;
  std::string normalized;
  std::optional<std::string> parse_error;
  std::string execution_id;
  std::string fingerprint;
  std::vector<std::string> tables_read;
  std::vector<std::string> tables_written;
  std::vector<std::string> columns_read;
  std::vector<std::string> columns_written;
  std::vector<std::string> filters;
  std::vector<join_columns> joins;
  std::vector<table_edge> table_lineage;
  std::vector<column_edge> column_lineage;
  /// The search_path its one-part names resolved with, as given ("" if none).
  std::string search_path;
  /// Three-part names naming neither its database nor a source.
  std::vector<std::string> unresolved_tables;
  /// The columns its query yields (a SELECT's result; what feeds an
  /// INSERT, CREATE TABLE AS or view), with the columns each comes from.
  std::vector<output_column> outputs;
  json extra = json::object();
  template <class F>
  static void fields(F& f, query_observed& x);
};

struct ol_run {
  std::string runId;
  std::optional<json> facets;
  json extra = json::object();
  template <class F>
  static void fields(F& f, ol_run& x);
};

struct ol_job {
  std::string namespace_;
  std::string name;
  std::optional<json> facets;
  json extra = json::object();
  template <class F>
  static void fields(F& f, ol_job& x);
};

struct ol_dataset {
  std::string namespace_;
  std::string name;
  std::optional<json> facets;
  json extra = json::object();
  template <class F>
  static void fields(F& f, ol_dataset& x);
};

/// LineageObserved: an OpenLineage run event, as received.
struct lineage_observed {
  static constexpr const char* type_name = "LineageObserved";
  static constexpr uint32_t schema_version = 1;
  std::optional<std::string> eventType;
  std::string eventTime;
  std::string producer;
  std::optional<std::string> schemaURL;
  ol_run run;
  ol_job job;
  std::optional<std::vector<ol_dataset>> inputs;
  std::optional<std::vector<ol_dataset>> outputs;
  json extra = json::object();
  template <class F>
  static void fields(F& f, lineage_observed& x);
};

/// LexiconEdited: a steward set an abbreviation's expansion ("" clears it).
struct lexicon_edited {
  static constexpr const char* type_name = "LexiconEdited";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string abbreviation;
  std::string expansion;
  json extra = json::object();
  template <class F>
  static void fields(F& f, lexicon_edited& x);
};

// -- replication -------------------------------------------------------------

/// NodePromoted: a standby became the primary (docs/ha.md). The first
/// record of its epoch.
struct node_promoted {
  static constexpr const char* type_name = "NodePromoted";
  static constexpr uint32_t schema_version = 1;
  std::string user;
  std::string node;
  uint64_t epoch = 0;
  uint64_t previous_epoch = 0;
  std::string previous_primary;
  json extra = json::object();
  template <class F>
  static void fields(F& f, node_promoted& x);
};

// -- codec -------------------------------------------------------------------

/// The payload of `e` as JSON (its fields, then the unknown ones it kept).
template <class T>
json to_json(const T& e);

/// Reads a payload; the error (bad_request) names the first wrong field.
template <class T>
caf::expected<T> from_json(const json& payload);

/// Reads a record's payload text.
template <class T>
caf::expected<T> decode(const std::string& payload);

/// The event to append: "<type_name>@<schema_version>", `key`, the payload.
template <class T>
event_input to_event(const T& e, std::string key) {
  // Invalid UTF-8 (which the HTTP edge already refuses) is replaced, never
  // thrown from inside an actor.
  return event_input{std::string{T::type_name} + "@" + std::to_string(T::schema_version),
                     std::move(key),
                     to_json(e).dump(-1, ' ', false, json::error_handler_t::replace)};
}

/// True if `record_type` ("Name@3") is T's name (any version this build reads).
template <class T>
bool is(const std::string& record_type) {
  auto at = record_type.rfind('@');
  if (at == std::string::npos)
    at = record_type.size();
  return std::char_traits<char>::length(T::type_name) == at
         && record_type.compare(0, at, T::type_name) == 0;
}

/// One published schema: a type, its version and its JSON Schema.
struct event_schema {
  std::string type;
  uint32_t version;
  std::string description;
  json schema;
};

/// Every event type's schema, in the order of event_types().
const std::vector<event_schema>& event_schemas();

} // namespace almanac::ev
