#pragma once

// A RocksDB database holding one projection's state and its checkpoint.
// Writes go through one WriteBatch so that state and checkpoint change
// together (exactly-once application of the log).

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rocksdb {
class DB;
class WriteBatch;
} // namespace rocksdb

namespace almanac::storage {

/// One projection's RocksDB database.
class rocks_store {
public:
  /// The reserved key of the checkpoint (next log offset to apply).
  static constexpr const char* checkpoint_key = "\x00" "checkpoint";

  /// Format version stored under the reserved "\0format" key.
  static constexpr uint32_t format_version = 1;

  /// Opens or creates the database at `dir`. Fails with io_error, or
  /// unsupported_version if the store was written by a newer format.
  static caf::expected<std::unique_ptr<rocks_store>> open(const std::string& dir);

  ~rocks_store();

  /// Returns the value of `key`, if any.
  caf::expected<std::optional<std::string>> get(const std::string& key) const;

  /// The values of `keys` in one batched lookup (RocksDB MultiGet: one pass
  /// over the files for all of them), in the order of `keys`.
  caf::expected<std::vector<std::optional<std::string>>>
  get_all(const std::vector<std::string>& keys) const;

  /// Calls `fn(key, value)` for each key starting with `prefix`, in key order,
  /// until it returns false. Reserved keys ("\0...") are skipped.
  caf::error scan(const std::string& prefix,
                  const std::function<bool(const std::string&, const std::string&)>& fn) const;

  /// Calls `fn(key, value)` for each key starting with `prefix` and below
  /// `before` (all of them when `before` is empty), in reverse key order,
  /// until it returns false. Reserved keys are skipped.
  caf::error scan_back(const std::string& prefix, const std::string& before,
                       const std::function<bool(const std::string&, const std::string&)>& fn) const;

  /// A SHA-256 (hex) over every key and value but the reserved ones, in
  /// key order, from one snapshot.
  caf::expected<std::string> digest() const;

  /// Returns the checkpoint (0 for a new store).
  caf::expected<uint64_t> checkpoint() const;

  /// Applies `batch` and sets the checkpoint to `next`, atomically.
  caf::error commit(rocksdb::WriteBatch& batch, uint64_t next);

  /// Deletes every key (state and checkpoint) atomically.
  caf::error clear();

  /// The directory of the database.
  const std::string& dir() const {
    return dir_;
  }

private:
  rocks_store(std::string dir, rocksdb::DB* db);
  /// Whether the disk has room for Resume() to finish (see commit()).
  bool room_to_resume() const;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  bool needs_resume_ = false; ///< A write failed: DB::Resume() before the next.
};

/// The memory every state store of the process shares (rocks_store.cpp):
/// one block cache and one memtable budget, both bounded.
struct state_memory_usage {
  uint64_t block_cache_bytes = 0;
  uint64_t block_cache_pinned_bytes = 0;
  uint64_t block_cache_capacity = 0;
  uint64_t memtable_bytes = 0;
  uint64_t memtable_budget = 0;
};

/// Returns what the shared cache and memtables hold now.
state_memory_usage state_memory();

} // namespace almanac::storage
