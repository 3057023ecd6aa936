#pragma once

// Internal to the PostgreSQL connector: reads a database's metadata from the
// system catalogs with four queries, whatever the number of tables.

#include "connectors/connector.hpp"

namespace pqxx {
class transaction_base;
} // namespace pqxx

namespace almanac::connectors::pg {

/// Reads schemas, relations, columns and keys with `tx` (which should be a
/// repeatable-read snapshot). Throws what libpqxx throws; returns
/// ec::cancelled when `cancel` is set between queries or objects. Calls
/// `progress(0, total)` after listing the relations (before reading columns)
/// and `progress(total, total)` at the end. Partitioned tables' row estimates
/// are the sum of their leaf partitions' reltuples.
caf::expected<catalog_snapshot> read_catalog(pqxx::transaction_base& tx,
                                             const extract_options& opts,
                                             const progress_fn& progress,
                                             const std::atomic<bool>& cancel);

} // namespace almanac::connectors::pg
