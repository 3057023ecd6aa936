#pragma once

// The catalog state projection: current entities, their children and full
// history, users and tokens, in one RocksDB store (layout: catalog_keys.hpp).
//
// Consumes EntityRegistered, EntityEdited, EntityRemoved, UserCreated,
// TokenIssued and TokenRevoked (payloads: commands.hpp, accounts.hpp). A
// record that cannot apply (malformed, or contradicting the state, e.g. an
// edit of an unknown entity) is skipped and counted in status(); it never
// stops the projection.
//
// A history change, as history() returns it:
//
//   {"offset": 42, "time": "2024-05-01T12:34:56.789Z", "timestamp_ms": ...,
//    "user": "alice", "event": "registered" | "edited" | "removed",
//    "version": 3, "fields": {...}}
//
// where "fields" holds every entity field for "registered", the changed
// fields with their new values for "edited", and {} for "removed".
//
// Threads: the driver calls the runtime::projection methods from one
// thread; the read methods are const and may run concurrently on any
// thread. Each read sees the state between two committed batches.

#include "actors/catalog/domain/state_view.hpp"
#include "runtime/projection.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

namespace almanac::storage {
class rocks_store;
} // namespace almanac::storage

namespace almanac::catalog {

/// The catalog state projection. Also the state_view of command validation.
class catalog_projection : public runtime::projection, public state_view {
public:
  /// A projection stored in `dir` (opened by open()).
  explicit catalog_projection(std::string dir);

  ~catalog_projection() override;

  // -- runtime::projection ----------------------------------------------------

  std::vector<std::string> consumes() const override;

  /// Opens the store (once; later calls return the checkpoint again).
  caf::expected<uint64_t> open() override;

  caf::error apply(const std::vector<event_record>& events,
                   uint64_t next) override;

  caf::error reset() override;

  /// {"checkpoint", "entities", "skipped", "last_skip"}.
  std::string status() const override;
  caf::expected<std::string> digest() const override;

  // -- state_view -------------------------------------------------------------

  caf::expected<std::optional<nlohmann::json>>
  entity(const std::string& urn) const override;

  caf::expected<std::vector<std::string>>
  children(const std::string& urn) const override;

  caf::expected<std::optional<nlohmann::json>>
  user(const std::string& name) const override;

  caf::expected<std::optional<nlohmann::json>>
  token(const std::string& token_id) const override;

  // -- reads ------------------------------------------------------------------

  /// The current entity with "children" (URNs, in URN order), or nullopt.
  caf::expected<std::optional<nlohmann::json>> get(const std::string& urn) const;

  /// The entity as it was after its last change at or before log offset
  /// `offset`, with the children it had then; nullopt if it did not exist
  /// yet or was removed at that point.
  caf::expected<std::optional<nlohmann::json>>
  get_as_of(const std::string& urn, uint64_t offset) const;

  /// As get_as_of(), for the last change whose record time is at or before
  /// `ms` (milliseconds since the epoch).
  caf::expected<std::optional<nlohmann::json>>
  get_as_of_time(const std::string& urn, int64_t ms) const;

  /// {"urn", "changes": [change, ...]} oldest first (removed entities keep
  /// their history); nullopt if the entity never existed. At most `limit`
  /// changes, the newest ones made before log offset `before` (0: all);
  /// when older ones remain, "more": true and "before": the offset to ask
  /// for next. Reads only the changes it returns.
  caf::expected<std::optional<nlohmann::json>>
  history(const std::string& urn, size_t limit = SIZE_MAX, uint64_t before = 0) const;

  /// The owner of a token by its SHA-256 (hex): {"user", "role",
  /// "token_id"}; nullopt if unknown or revoked.
  caf::expected<std::optional<nlohmann::json>>
  find_token(const std::string& sha256) const;

  /// Every user, by name: [{"name", "role", "created"}, ...].
  caf::expected<nlohmann::json> users() const;

  /// The tokens of `user` (never their hashes): [{"id", "owner", "role",
  /// "revoked", "issued", "revoked_by"?}, ...].
  caf::expected<nlohmann::json> tokens_of(const std::string& user) const;

  /// The URNs of current entities whose URN starts with `prefix` (e.g.
  /// "urn:almanac:source:"), in URN order, at most `limit`.
  caf::expected<std::vector<std::string>> list(const std::string& prefix,
                                               size_t limit) const;

  /// The checkpoint (next offset to apply); 0 before open().
  uint64_t checkpoint() const;

private:
  /// A point of time travel: which changes are at or before it.
  struct as_of_point {
    bool by_time;
    uint64_t offset;
    int64_t ms;
  };

  caf::expected<std::optional<nlohmann::json>>
  read_json(const std::string& key) const;

  caf::expected<std::vector<std::string>> child_keys(const std::string& prefix) const;

  caf::expected<std::optional<nlohmann::json>> state_at(const std::string& urn,
                                                        as_of_point at) const;

  caf::expected<std::optional<nlohmann::json>> get_at(const std::string& urn,
                                                      as_of_point at) const;

  std::string dir_;
  /// Guards store_ (its replacement) and the commit of a batch against
  /// reads: reads share it, open/commit/reset hold it exclusively.
  mutable std::shared_mutex mtx_;
  std::unique_ptr<storage::rocks_store> store_;
  std::atomic<uint64_t> checkpoint_{0};
  std::atomic<uint64_t> skipped_{0};
  mutable std::mutex skip_mtx_;
  std::string last_skip_;
};

} // namespace almanac::catalog
