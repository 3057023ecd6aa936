#include "actors/analytics/domain/schema.hpp"

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace almanac::analytics {
namespace {

// "@S" in a statement stands for the quoted schema name.
std::string in_schema(std::string sql, const std::string& schema) {
  const auto q = quote_ident(schema);
  for (size_t at = sql.find("@S"); at != std::string::npos; at = sql.find("@S", at + q.size()))
    sql.replace(at, 2, q);
  return sql;
}

// Version 1: the tables and the views.
const char* const v1_tables = R"sql(
CREATE TABLE @S.projection_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  next_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO @S.projection_state (next_offset) VALUES (0);

CREATE TABLE @S.dim_users (
  name text PRIMARY KEY,
  role text,
  created_at timestamptz,
  first_seen timestamptz,
  last_seen timestamptz);
CREATE TABLE @S.dim_sources (
  name text PRIMARY KEY,
  urn text NOT NULL UNIQUE,
  kind text,
  registered_at timestamptz,
  removed_at timestamptz);
CREATE TABLE @S.dim_entities (
  urn text PRIMARY KEY,
  kind text NOT NULL,
  source text,
  schema_name text,
  name text NOT NULL,
  parent text,
  has_title boolean NOT NULL DEFAULT false,
  has_description boolean NOT NULL DEFAULT false,
  has_steward boolean NOT NULL DEFAULT false,
  has_tags boolean NOT NULL DEFAULT false,
  endorsed boolean NOT NULL DEFAULT false,
  deprecated boolean NOT NULL DEFAULT false,
  registered_at timestamptz,
  updated_at timestamptz,
  removed_at timestamptz);
CREATE TABLE @S.dim_dates (
  day date PRIMARY KEY,
  year int NOT NULL,
  quarter int NOT NULL,
  month int NOT NULL,
  iso_week int NOT NULL,
  day_of_week int NOT NULL);

CREATE TABLE @S.fact_entity_views (
  event_offset bigint NOT NULL,
  ordinal int NOT NULL,
  occurred_at timestamptz NOT NULL,
  user_name text NOT NULL,
  urn text NOT NULL,
  views bigint NOT NULL,
  PRIMARY KEY (event_offset, ordinal));
CREATE TABLE @S.fact_searches (
  event_offset bigint NOT NULL,
  ordinal int NOT NULL,
  occurred_at timestamptz NOT NULL,
  user_name text NOT NULL,
  text text NOT NULL,
  searches bigint NOT NULL,
  results bigint NOT NULL,
  PRIMARY KEY (event_offset, ordinal));
CREATE TABLE @S.fact_query_executions (
  event_offset bigint PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  user_name text,
  source text,
  fingerprint text,
  statement_kind text,
  tables_read text[] NOT NULL DEFAULT '{}',
  tables_written text[] NOT NULL DEFAULT '{}',
  duration_ms double precision,
  calls bigint NOT NULL DEFAULT 1);
CREATE TABLE @S.fact_curation_edits (
  event_offset bigint NOT NULL,
  ordinal int NOT NULL,
  occurred_at timestamptz NOT NULL,
  user_name text NOT NULL,
  urn text NOT NULL,
  field text NOT NULL,
  PRIMARY KEY (event_offset, ordinal));
CREATE TABLE @S.fact_jobs (
  event_offset bigint PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  job text NOT NULL,
  kind text NOT NULL,
  source text,
  user_name text,
  state text NOT NULL,
  attempts bigint,
  error text);
CREATE TABLE @S.fact_extraction_runs (
  event_offset bigint PRIMARY KEY,
  finished_at timestamptz NOT NULL,
  job text NOT NULL,
  source text,
  user_name text,
  outcome text NOT NULL,
  added bigint,
  changed bigint,
  removed bigint,
  duration_ms bigint);
CREATE TABLE @S.fact_profiling_runs (
  event_offset bigint PRIMARY KEY,
  finished_at timestamptz NOT NULL,
  job text NOT NULL,
  source text,
  user_name text,
  outcome text NOT NULL,
  objects bigint,
  duration_ms bigint);
CREATE TABLE @S.fact_logins (
  event_offset bigint PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  owner text NOT NULL,
  token_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('issued', 'revoked')),
  role text);
CREATE TABLE @S.fact_lineage_edges (
  event_offset bigint NOT NULL,
  ordinal int NOT NULL,
  occurred_at timestamptz NOT NULL,
  from_urn text NOT NULL,
  to_urn text NOT NULL,
  level text NOT NULL CHECK (level IN ('table', 'column')),
  origin text NOT NULL,
  PRIMARY KEY (event_offset, ordinal));
CREATE TABLE @S.fact_compose_executions (
  event_offset bigint PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  user_name text NOT NULL,
  source text NOT NULL,
  duration_ms bigint,
  rows bigint,
  failed boolean NOT NULL);
)sql";

// Days, weeks and months are UTC's, whatever the reader's session says.
const char* const v1_views = R"sql(
CREATE VIEW @S.activity AS
  SELECT occurred_at, user_name, 'view' AS what, views AS amount FROM @S.fact_entity_views
  UNION ALL SELECT occurred_at, user_name, 'search', searches FROM @S.fact_searches
  UNION ALL SELECT occurred_at, user_name, 'query', calls FROM @S.fact_query_executions
    WHERE user_name IS NOT NULL AND user_name <> ''
  UNION ALL SELECT occurred_at, user_name, 'edit', 1 FROM @S.fact_curation_edits
  UNION ALL SELECT occurred_at, user_name, 'compose', 1 FROM @S.fact_compose_executions;
CREATE VIEW @S.active_users_daily AS
  SELECT date_trunc('day', occurred_at AT TIME ZONE 'UTC')::date AS day,
         count(DISTINCT user_name) AS active_users
  FROM @S.activity GROUP BY 1;
CREATE VIEW @S.active_users_weekly AS
  SELECT date_trunc('week', occurred_at AT TIME ZONE 'UTC')::date AS week,
         count(DISTINCT user_name) AS active_users
  FROM @S.activity GROUP BY 1;
CREATE VIEW @S.active_users_monthly AS
  SELECT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS month,
         count(DISTINCT user_name) AS active_users
  FROM @S.activity GROUP BY 1;
CREATE VIEW @S.top_entities_viewed_90d AS
  SELECT v.urn, e.kind, e.name, sum(v.views)::bigint AS views,
         count(DISTINCT v.user_name) AS viewers
  FROM @S.fact_entity_views v LEFT JOIN @S.dim_entities e ON e.urn = v.urn
  WHERE v.occurred_at >= now() - interval '90 days'
  GROUP BY v.urn, e.kind, e.name;
CREATE VIEW @S.top_entities_queried_90d AS
  SELECT t.urn, sum(q.calls)::bigint AS queries, count(DISTINCT q.user_name) AS users
  FROM @S.fact_query_executions q,
       LATERAL (SELECT DISTINCT unnest(q.tables_read || q.tables_written) AS urn) t
  WHERE q.occurred_at >= now() - interval '90 days'
  GROUP BY t.urn;
CREATE VIEW @S.top_users AS
  SELECT user_name,
         coalesce(sum(amount) FILTER (WHERE what = 'view'), 0)::bigint AS views,
         coalesce(sum(amount) FILTER (WHERE what = 'search'), 0)::bigint AS searches,
         coalesce(sum(amount) FILTER (WHERE what = 'query'), 0)::bigint AS queries,
         coalesce(sum(amount) FILTER (WHERE what = 'edit'), 0)::bigint AS edits,
         coalesce(sum(amount) FILTER (WHERE what = 'compose'), 0)::bigint AS compose_runs,
         sum(amount)::bigint AS count
  FROM @S.activity GROUP BY user_name;
CREATE VIEW @S.searches_without_results AS
  SELECT text, sum(searches)::bigint AS count, count(DISTINCT user_name) AS users,
         max(occurred_at) AS last_searched
  FROM @S.fact_searches WHERE results = 0 GROUP BY text;
CREATE VIEW @S.curation_coverage AS
  SELECT coalesce(source, '') AS source, kind, count(*) AS entities,
         round(100.0 * count(*) FILTER (WHERE has_description) / count(*), 1) AS pct_described,
         round(100.0 * count(*) FILTER (WHERE has_steward) / count(*), 1) AS pct_stewarded,
         round(100.0 * count(*) FILTER (WHERE has_tags) / count(*), 1) AS pct_tagged,
         round(100.0 * count(*) FILTER (WHERE has_title AND has_description AND has_steward
                                         AND has_tags) / count(*), 1) AS pct_curated
  FROM @S.dim_entities WHERE removed_at IS NULL GROUP BY 1, 2;
CREATE VIEW @S.adoption_over_time AS
  WITH firsts AS (SELECT user_name, min(occurred_at AT TIME ZONE 'UTC')::date AS first_day
                  FROM @S.activity GROUP BY user_name),
       days AS (SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day,
                       count(DISTINCT user_name) AS active_users
                FROM @S.activity GROUP BY 1)
  SELECT d.day, d.active_users,
         (SELECT count(*) FROM firsts f WHERE f.first_day = d.day) AS new_users,
         (SELECT count(*) FROM firsts f WHERE f.first_day <= d.day) AS cumulative_users
  FROM days d;
)sql";

// Version 2: indexes for the views' time windows and joins.
const char* const v2_indexes = R"sql(
CREATE INDEX fact_entity_views_time ON @S.fact_entity_views (occurred_at);
CREATE INDEX fact_entity_views_urn ON @S.fact_entity_views (urn);
CREATE INDEX fact_searches_time ON @S.fact_searches (occurred_at);
CREATE INDEX fact_searches_zero ON @S.fact_searches (text) WHERE results = 0;
CREATE INDEX fact_query_executions_time ON @S.fact_query_executions (occurred_at);
CREATE INDEX fact_curation_edits_urn ON @S.fact_curation_edits (urn);
CREATE INDEX dim_entities_source_kind ON @S.dim_entities (source, kind);
CREATE INDEX fact_jobs_job ON @S.fact_jobs (job);
)sql";

struct step {
  int to;
  std::vector<const char*> sql;
};
const std::vector<step>& steps() {
  static const std::vector<step> s = {{1, {v1_tables, v1_views}}, {2, {v2_indexes}}};
  return s;
}

int read_version(pqxx::work& tx, const std::string& schema) {
  auto exists = tx.exec_params1(
    "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_version'",
    schema)[0].as<int>();
  if (exists == 0) return 0;
  auto r = tx.exec(in_schema("SELECT max(version) FROM @S.schema_version", schema));
  return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int>();
}

} // namespace

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

int version_of(pqxx::connection& conn, const std::string& schema) {
  pqxx::work tx(conn);
  return read_version(tx, schema);
}

migration migrate(pqxx::connection& conn, const std::string& schema, int target) {
  migration m;
  if (schema.empty()) {
    m.error = "analytics.schema is empty";
    return m;
  }
  if (target < 1 || target > schema_version) {
    m.error = "no analytics schema version " + std::to_string(target) +
              " (this node knows 1 to " + std::to_string(schema_version) + ")";
    return m;
  }
  try {
    pqxx::work tx(conn);
    // One migrator at a time (another node, a rebuild).
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('almanac-analytics:' || $1))", schema);
    tx.exec(in_schema("CREATE SCHEMA IF NOT EXISTS @S", schema));
    m.from = read_version(tx, schema);
    m.to = m.from;
    if (m.from > schema_version) {
      m.error = "the analytics schema " + schema + " is at version " + std::to_string(m.from) +
                ", newer than this node's " + std::to_string(schema_version) +
                ": upgrade the node, or set analytics.schema to another schema";
      return m; // rolled back: nothing changed
    }
    if (m.from == 0)
      tx.exec(in_schema("CREATE TABLE @S.schema_version (version int NOT NULL, "
                        "migrated_at timestamptz NOT NULL DEFAULT now())",
                        schema));
    for (auto& s : steps()) {
      if (s.to <= m.from || s.to > target) continue;
      for (auto sql : s.sql) tx.exec(in_schema(sql, schema));
      tx.exec_params(in_schema("INSERT INTO @S.schema_version (version) VALUES ($1)", schema), s.to);
      m.to = s.to;
    }
    // The reader role: SELECT on this schema only (roles are cluster-wide).
    tx.exec(std::string("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '") +
            reader_role + "') THEN CREATE ROLE " + reader_role + " NOLOGIN; END IF; END $$");
    tx.exec(in_schema(std::string("GRANT USAGE ON SCHEMA @S TO ") + reader_role, schema));
    tx.exec(in_schema(std::string("GRANT SELECT ON ALL TABLES IN SCHEMA @S TO ") + reader_role,
                      schema));
    tx.exec(in_schema(std::string("ALTER DEFAULT PRIVILEGES IN SCHEMA @S GRANT SELECT ON TABLES TO ") +
                        reader_role,
                      schema));
    tx.commit();
  } catch (const std::exception& e) {
    m.error = std::string("analytics schema ") + schema + ": " + e.what();
  }
  return m;
}

} // namespace almanac::analytics
