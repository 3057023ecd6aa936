#pragma once

// The writes of one projection batch, readable before they are committed:
// several events of a batch may touch the same key, and each must see the
// effect of the ones before it.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <map>
#include <optional>
#include <string>

namespace rocksdb {
class WriteBatch;
} // namespace rocksdb

namespace almanac::storage {
class rocks_store;
} // namespace almanac::storage

namespace almanac::catalog {

/// Point reads through pending writes to a store; one batch's worth.
class batch_overlay {
public:
  explicit batch_overlay(const storage::rocks_store& store);

  /// Returns the value of `key` as of the writes so far in this batch.
  caf::expected<std::optional<std::string>> get(const std::string& key);

  /// Sets `key` to `value` (pending).
  void put(const std::string& key, std::string value);

  /// Deletes `key` (pending).
  void erase(const std::string& key);

  /// Writes every pending change into `batch`, after what it holds already
  /// (the overlay's keys must be disjoint from keys written directly).
  void flush(rocksdb::WriteBatch& batch) const;

private:
  const storage::rocks_store& store_;
  std::map<std::string, std::optional<std::string>> pending_;
};

} // namespace almanac::catalog
