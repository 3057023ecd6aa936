#include "actors/eventlog/event_counts.hpp"

#include "storage/state/rocks_store.hpp"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <map>

namespace almanac::eventlog {

namespace {

uint64_t fnv1a(uint64_t h, const std::string& bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class event_counts : public runtime::projection {
public:
  explicit event_counts(std::string dir) : dir_(std::move(dir)) {
  }

  std::vector<std::string> consumes() const override {
    std::vector<std::string> result;
    for (auto& t : event_types())
      result.push_back(t.name);
    return result;
  }

  caf::expected<uint64_t> open() override {
    auto store = storage::rocks_store::open(dir_);
    if (!store)
      return store.error();
    store_ = std::move(*store);
    return store_->checkpoint();
  }

  caf::error apply(const std::vector<event_record>& events,
                   uint64_t next) override {
    // Accumulate in memory first: a key may repeat within the batch.
    std::map<std::string, uint64_t> types;
    std::map<std::string, std::pair<uint64_t, uint64_t>> keys;
    for (auto& e : events) {
      auto t = "t/" + parse_event_tag(e.type).first;
      if (!types.count(t)) {
        auto v = load(t);
        if (!v)
          return v.error();
        types[t] = std::stoull(v->empty() ? "0" : *v);
      }
      ++types[t];
      auto k = "k/" + e.key;
      if (!keys.count(k)) {
        auto v = load(k);
        if (!v)
          return v.error();
        keys[k] = parse_key_value(*v);
      }
      auto& [n, h] = keys[k];
      ++n;
      h = fnv1a(fnv1a(h, std::to_string(e.offset)), e.payload);
    }
    rocksdb::WriteBatch batch;
    for (auto& [k, n] : types)
      batch.Put(k, std::to_string(n));
    for (auto& [k, v] : keys)
      batch.Put(k, std::to_string(v.first) + ":" + std::to_string(v.second));
    return store_->commit(batch, next);
  }

  caf::error reset() override {
    return store_->clear();
  }

  std::string status() const override {
    nlohmann::json types = nlohmann::json::object();
    uint64_t keys = 0;
    store_->scan("t/", [&](const std::string& k, const std::string& v) {
      types[k.substr(2)] = std::stoull(v);
      return true;
    });
    store_->scan("k/", [&](const std::string&, const std::string&) {
      ++keys;
      return true;
    });
    auto cp = store_->checkpoint();
    auto digest = store_->digest();
    return nlohmann::json{{"checkpoint", cp ? *cp : 0},
                          {"events_by_type", types},
                          {"keys", keys},
                          {"digest", digest ? *digest : ""}}
      .dump();
  }

  caf::expected<std::string> digest() const override {
    return store_->digest();
  }

private:
  caf::expected<std::string> load(const std::string& key) {
    auto v = store_->get(key);
    if (!v)
      return v.error();
    return v->value_or("");
  }

  static std::pair<uint64_t, uint64_t> parse_key_value(const std::string& v) {
    if (v.empty())
      return {0, 14695981039346656037ull};
    auto colon = v.find(':');
    return {std::stoull(v.substr(0, colon)), std::stoull(v.substr(colon + 1))};
  }

  std::string dir_;
  std::unique_ptr<storage::rocks_store> store_;
};

} // namespace

std::unique_ptr<runtime::projection> make_event_counts(std::string dir) {
  return std::make_unique<event_counts>(std::move(dir));
}

} // namespace almanac::eventlog
