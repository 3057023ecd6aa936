#pragma once

// The analytics store: the log's facts (domain/facts.hpp) written into the
// PostgreSQL schema (domain/schema.hpp), each batch and its checkpoint in
// one transaction, so a crash never applies an event twice or skips one.
// Blocking (libpqxx): the projection's driver thread calls it, never the
// shared scheduler. Errors come back as a message; no exception escapes.

#include "messages/events.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace almanac::analytics {

/// Success, or what went wrong (naming the database's error).
struct result {
  std::string error;
  /// The schema's checkpoint is behind the caller's: it was recreated or
  /// restored, and the projection must start again from it.
  bool behind = false;
  bool ok() const { return error.empty(); }
};

class store {
public:
  /// `dsn`: a libpq connection string or URI (its password given apart,
  /// never logged, scrubbed from errors; the session runs in UTC and UTF-8,
  /// with a 10 s connect timeout unless the DSN says otherwise);
  /// `schema`: where the tables are.
  store(std::string dsn, std::string password, std::string schema);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Connects, creates or migrates the schema; `checkpoint` is the next
  /// offset to apply.
  result open(uint64_t& checkpoint);

  /// Applies the events at or after the stored checkpoint (a batch the
  /// driver offers again after a commit it saw fail is skipped), and sets
  /// the checkpoint to `next`, in one transaction. A stored checkpoint below
  /// `expected` (what the caller last applied) fails with `behind`.
  result apply(const std::vector<event_record>& events, uint64_t next, uint64_t expected = 0);

  /// Drops the schema and creates it again (checkpoint 0).
  result reset();

  /// A SHA-256 over every dimension and fact row, in order (not the
  /// checkpoint, not the migration times).
  result digest(std::string& out);

  /// Rows per fact table, and the stored checkpoint (for status and tests).
  result counts(std::vector<std::pair<std::string, uint64_t>>& out, uint64_t& checkpoint);

  /// The schema.
  const std::string& schema() const { return schema_; }

  struct impl;

private:
  std::unique_ptr<impl> impl_;
  std::string schema_;
};

} // namespace almanac::analytics
