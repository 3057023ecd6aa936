#pragma once

// What the analytics schema (schema.hpp) gets from each event of the log:
// rows for the fact tables, and ordered changes to the dimensions. Pure (no
// database): the analytics store writes them (store.hpp).
//
// Every fact row starts with the event's offset (and an ordinal for events
// holding several facts), the primary key that makes a replayed event fail
// loudly instead of counting twice.

#include "messages/events.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace almanac::analytics {

/// A field as COPY gets it (nullopt: NULL).
using field = std::optional<std::string>;
using row = std::vector<field>;

/// A fact table and its columns, in COPY order.
struct fact_table {
  const char* name;
  std::vector<const char*> columns;
};

/// The fact tables the projection fills.
const std::vector<fact_table>& fact_tables();

/// One change to a dimension, applied in log order.
struct dim_change {
  enum class what { entity_registered, entity_edited, entity_removed, user_created, user_seen };
  what kind;
  int64_t at_ms = 0;
  std::string key;                        ///< urn or user name
  std::map<std::string, field> values;    ///< column -> value (edits: the columns set)
};

/// The rows and dimension changes of a batch of events.
struct batch {
  std::map<std::string, std::vector<row>> facts; ///< table -> rows
  std::vector<dim_change> dims;
  uint64_t skipped = 0; ///< events whose payload did not decode
};

/// The event types the projection reads.
std::vector<std::string> consumed_types();

/// Adds the facts and dimension changes of `r` to `out`.
void add_event(const event_record& r, batch& out);

/// An ISO-8601 UTC timestamp with milliseconds, for a timestamptz column.
std::string timestamp(int64_t ms);

} // namespace almanac::analytics
