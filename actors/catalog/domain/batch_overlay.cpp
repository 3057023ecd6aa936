#include "actors/catalog/domain/batch_overlay.hpp"

#include "storage/state/rocks_store.hpp"

#include <rocksdb/write_batch.h>

namespace almanac::catalog {

batch_overlay::batch_overlay(const storage::rocks_store& store) : store_(store) {
  // nop
}

caf::expected<std::optional<std::string>>
batch_overlay::get(const std::string& key) {
  if (auto i = pending_.find(key); i != pending_.end())
    return i->second;
  return store_.get(key);
}

void batch_overlay::put(const std::string& key, std::string value) {
  pending_[key] = std::move(value);
}

void batch_overlay::erase(const std::string& key) {
  pending_[key] = std::nullopt;
}

void batch_overlay::flush(rocksdb::WriteBatch& batch) const {
  for (auto& [key, value] : pending_) {
    if (value)
      batch.Put(key, *value);
    else
      batch.Delete(key);
  }
}

} // namespace almanac::catalog
