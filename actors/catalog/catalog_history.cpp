// catalog_projection: history and time travel.

#include "actors/catalog/catalog_keys.hpp"
#include "actors/catalog/catalog_projection.hpp"
#include "messages/error.hpp"
#include "storage/state/rocks_store.hpp"

#include <nlohmann/json.hpp>

namespace almanac::catalog {

namespace {

using json = nlohmann::json;

/// Decodes the offset at the end of a history key.
uint64_t offset_of(const std::string& key) {
  uint64_t x = 0;
  for (size_t i = key.size() - 8; i < key.size(); ++i)
    x = (x << 8) | static_cast<unsigned char>(key[i]);
  return x;
}

} // namespace

caf::expected<std::optional<json>>
catalog_projection::state_at(const std::string& urn, as_of_point at) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return make_error(ec::unavailable, "catalog state is not open");
  // History keys sort by offset; the last change at or before `at` wins.
  std::optional<std::string> last;
  bool corrupt = false;
  auto err = store_->scan(keys::history(urn), [&](const std::string& key,
                                                  const std::string& value) {
    if (!at.by_time) {
      if (offset_of(key) > at.offset)
        return false;
      last = value;
      return true;
    }
    auto change = json::parse(value, nullptr, false);
    if (change.is_discarded()) {
      corrupt = true;
      return false;
    }
    if (change.value("timestamp_ms", int64_t{0}) <= at.ms)
      last = value;
    return true;
  });
  if (err)
    return err;
  auto change = last ? json::parse(*last, nullptr, false) : json{};
  if (corrupt || change.is_discarded())
    return make_error(ec::corrupt_data, "catalog state: unreadable history of " + urn);
  if (!last || !change.contains("state") || change["state"].is_null())
    return std::optional<json>{};
  return std::optional<json>{std::move(change["state"])};
}

caf::expected<std::optional<json>>
catalog_projection::get_at(const std::string& urn, as_of_point at) const {
  auto result = state_at(urn, at);
  if (!result || !*result)
    return result;
  auto candidates = child_keys(keys::all_children(urn));
  if (!candidates)
    return candidates.error();
  json children = json::array();
  for (auto& child : *candidates) {
    auto state = state_at(child, at);
    if (!state)
      return state.error();
    if (*state)
      children.push_back(child);
  }
  (**result)["children"] = std::move(children);
  return result;
}

caf::expected<std::optional<json>>
catalog_projection::get_as_of(const std::string& urn, uint64_t offset) const {
  return get_at(urn, as_of_point{false, offset, 0});
}

caf::expected<std::optional<json>>
catalog_projection::get_as_of_time(const std::string& urn, int64_t ms) const {
  return get_at(urn, as_of_point{true, 0, ms});
}

caf::expected<std::optional<json>>
catalog_projection::history(const std::string& urn, size_t limit, uint64_t before) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return make_error(ec::unavailable, "catalog state is not open");
  // Newest first from `before`, one past the page to know whether older
  // changes remain; the page is then turned oldest first.
  std::vector<json> newest;
  bool corrupt = false;
  bool more = false;
  auto err = store_->scan_back(
    keys::history(urn), before ? keys::change(urn, before) : std::string{},
    [&](const std::string&, const std::string& value) {
      if (newest.size() == limit) {
        more = true;
        return false;
      }
      auto change = json::parse(value, nullptr, false);
      if (change.is_discarded()) {
        corrupt = true;
        return false;
      }
      change.erase("state");
      newest.push_back(std::move(change));
      return true;
    });
  if (err)
    return err;
  if (corrupt)
    return make_error(ec::corrupt_data, "catalog state: unreadable history of " + urn);
  if (newest.empty() && !before)
    return std::optional<json>{};
  json changes = json::array();
  for (auto i = newest.rbegin(); i != newest.rend(); ++i)
    changes.push_back(std::move(*i));
  json out{{"urn", urn}, {"changes", std::move(changes)}, {"more", more}};
  if (more)
    out["before"] = out["changes"][0].value("offset", uint64_t{0});
  return std::optional<json>{std::move(out)};
}

} // namespace almanac::catalog
