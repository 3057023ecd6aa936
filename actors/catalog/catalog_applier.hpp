#pragma once

// Applies catalog events to the state store, one record at a time, through
// a batch overlay (so later events of a batch see earlier ones) into one
// WriteBatch that the projection commits with its checkpoint.

#include "messages/event_types.hpp"

#include <caf/error.hpp>

#include <nlohmann/json_fwd.hpp>

namespace rocksdb {
class WriteBatch;
} // namespace rocksdb

namespace almanac::catalog {

class batch_overlay;
struct change_info;

/// Writes the effect of catalog events (see catalog_keys.hpp for the layout).
class catalog_applier {
public:
  catalog_applier(batch_overlay& overlay, rocksdb::WriteBatch& batch);

  /// Applies one record. A storage failure is returned as io_error or
  /// corrupt_data; a record that cannot apply (malformed payload, edit of an
  /// unknown entity, duplicate registration, ...) is skipped and returned as
  /// invalid_argument, not_found or conflict, naming why.
  caf::error apply(const event_record& record);

private:
  caf::error registered(const ev::entity_registered& e, const change_info& info);
  caf::error edited(const ev::entity_edited& e, const change_info& info);
  caf::error removed(const ev::entity_removed& e, const change_info& info);
  caf::error user_created(const ev::user_created& e, const change_info& info);
  caf::error token_issued(const ev::token_issued& e, const change_info& info);
  caf::error token_revoked(const ev::token_revoked& e, const change_info& info);

  /// Adds `delta` to the entity counter.
  caf::error count(int delta);

  /// Writes one history entry of `urn`.
  void record_change(const std::string& urn, const change_info& info,
                     const char* event, const nlohmann::json& version,
                     const nlohmann::json& fields, const nlohmann::json& state);

  batch_overlay& overlay_;
  rocksdb::WriteBatch& batch_;
};

} // namespace almanac::catalog
