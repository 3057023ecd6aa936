#include "actors/catalog/catalog_projection.hpp"

#include "actors/catalog/domain/batch_overlay.hpp"
#include "actors/catalog/catalog_applier.hpp"
#include "actors/catalog/catalog_keys.hpp"
#include "actors/catalog/domain/stored_json.hpp"
#include "messages/error.hpp"
#include "storage/state/rocks_store.hpp"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

namespace almanac::catalog {

namespace {

using json = nlohmann::json;

caf::error not_open() {
  return make_error(ec::unavailable, "catalog state is not open");
}

bool is_storage_failure(const caf::error& err) {
  auto code = code_of(err);
  return code == ec::io_error || code == ec::corrupt_data || code == ec::unspecified;
}

} // namespace

catalog_projection::catalog_projection(std::string dir) : dir_(std::move(dir)) {
  // nop
}

catalog_projection::~catalog_projection() = default;

std::vector<std::string> catalog_projection::consumes() const {
  return {"EntityRegistered", "EntityEdited", "EntityRemoved",
          "UserCreated",      "TokenIssued",  "TokenRevoked"};
}

caf::expected<uint64_t> catalog_projection::open() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (!store_) {
    auto store = storage::rocks_store::open(dir_);
    if (!store)
      return store.error();
    store_ = std::move(*store);
  }
  auto cp = store_->checkpoint();
  if (cp)
    checkpoint_ = *cp;
  return cp;
}

caf::error catalog_projection::apply(const std::vector<event_record>& events,
                                     uint64_t next) {
  if (!store_)
    return not_open();
  rocksdb::WriteBatch batch;
  batch_overlay overlay{*store_};
  catalog_applier applier{overlay, batch};
  for (auto& e : events) {
    if (auto err = applier.apply(e)) {
      if (is_storage_failure(err))
        return err;
      ++skipped_;
      std::lock_guard<std::mutex> guard{skip_mtx_};
      last_skip_ = "offset " + std::to_string(e.offset) + " (" + e.type
                   + "): " + message_of(err);
    }
  }
  overlay.flush(batch);
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (auto err = store_->commit(batch, next))
    return err;
  checkpoint_ = next;
  return caf::none;
}

caf::error catalog_projection::reset() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return not_open();
  if (auto err = store_->clear())
    return err;
  checkpoint_ = 0;
  return caf::none;
}

caf::expected<std::string> catalog_projection::digest() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return not_open();
  return store_->digest();
}

std::string catalog_projection::status() const {
  json result{{"checkpoint", checkpoint()}, {"skipped", skipped_.load()}};
  auto count = read_json(keys::entity_count());
  result["entities"] = count && *count ? **count : json(0);
  std::lock_guard<std::mutex> guard{skip_mtx_};
  result["last_skip"] = last_skip_;
  return result.dump();
}

uint64_t catalog_projection::checkpoint() const {
  return checkpoint_.load();
}

caf::expected<std::optional<json>>
catalog_projection::read_json(const std::string& key) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return not_open();
  return parse_stored(store_->get(key), key);
}

caf::expected<std::vector<std::string>>
catalog_projection::child_keys(const std::string& prefix) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return not_open();
  std::vector<std::string> result;
  auto err = store_->scan(prefix, [&](const std::string& key, const std::string&) {
    result.emplace_back(keys::suffix(key, prefix));
    return true;
  });
  if (err)
    return err;
  return result;
}

caf::expected<std::vector<std::string>>
catalog_projection::list(const std::string& prefix, size_t limit) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return not_open();
  std::vector<std::string> result;
  auto key_prefix = keys::entity(prefix);
  auto err = store_->scan(key_prefix, [&](const std::string& key, const std::string&) {
    result.emplace_back(keys::suffix(key, keys::entity("")));
    return result.size() < limit;
  });
  if (err)
    return err;
  return result;
}

caf::expected<std::optional<json>>
catalog_projection::entity(const std::string& urn) const {
  return read_json(keys::entity(urn));
}

caf::expected<std::vector<std::string>>
catalog_projection::children(const std::string& urn) const {
  return child_keys(keys::children(urn));
}

caf::expected<std::optional<json>>
catalog_projection::user(const std::string& name) const {
  return read_json(keys::user(name));
}

caf::expected<std::optional<json>>
catalog_projection::token(const std::string& token_id) const {
  auto hash = read_json(keys::token_id(token_id));
  if (!hash || !*hash)
    return hash;
  return read_json(keys::token((*hash)->get<std::string>()));
}

caf::expected<std::optional<json>> catalog_projection::get(const std::string& urn) const {
  // One lock for both reads: the entity and its children from one batch.
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return not_open();
  auto result = parse_stored(store_->get(keys::entity(urn)), urn);
  if (!result || !*result)
    return result;
  auto prefix = keys::children(urn);
  json children = json::array();
  auto err = store_->scan(prefix, [&](const std::string& key, const std::string&) {
    children.push_back(std::string{keys::suffix(key, prefix)});
    return true;
  });
  if (err)
    return err;
  (**result)["children"] = std::move(children);
  return result;
}

} // namespace almanac::catalog
