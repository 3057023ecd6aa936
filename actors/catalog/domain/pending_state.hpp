#pragma once

// The catalog as the command side must see it: the projected state plus the
// events this node appended (or is appending) that the projection has not
// applied yet. Commands are validated against it one after the other, so a
// second PATCH sees the version the first one produced even before the
// projection catches up.

#include "actors/catalog/domain/state_view.hpp"
#include "messages/events.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace almanac::catalog {

/// A state_view overlaying pending events on a base view.
class pending_state : public catalog::state_view {
public:
  explicit pending_state(const catalog::state_view& base);

  /// Records the effect of `events` (validated, about to be appended) under
  /// the sequence number `seq`.
  void add(uint64_t seq, const std::vector<event_input>& events,
           const std::string& user);

  /// The events of `seq` are durable up to log offset `end` (exclusive).
  void acked(uint64_t seq, uint64_t end);

  /// Forgets what the projection has applied (offsets below `checkpoint`).
  void trim(uint64_t checkpoint);

  /// Forgets everything (after a failed append: the log is failed anyway).
  void clear();

  /// Number of overlaid keys (for status).
  size_t size() const;

  caf::expected<std::optional<nlohmann::json>>
  entity(const std::string& urn) const override;

  caf::expected<std::vector<std::string>>
  children(const std::string& urn) const override;

  caf::expected<std::optional<nlohmann::json>>
  user(const std::string& name) const override;

  caf::expected<std::optional<nlohmann::json>>
  token(const std::string& token_id) const override;

private:
  /// One overlaid value: nullopt = removed.
  struct entry {
    std::optional<nlohmann::json> value;
    uint64_t seq = 0;
    std::optional<uint64_t> end; ///< Set once durable.
  };

  void put(std::map<std::string, entry>& table, const std::string& key,
           std::optional<nlohmann::json> value, uint64_t seq);

  /// Overlaid children per parent: true = added, false = removed.
  void note_child(const std::optional<nlohmann::json>& value, const std::string& urn);

  const catalog::state_view& base_;
  std::map<std::string, entry> entities_;
  std::map<std::string, std::map<std::string, bool>> children_;
  std::map<std::string, std::string> parent_of_;
  std::map<std::string, entry> users_;
  std::map<std::string, entry> tokens_;
};

} // namespace almanac::catalog
