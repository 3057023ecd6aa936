// The lineage store as one projection: opening, the checkpoint, and apply(),
// which decodes each record and hands it to its store's apply function
// (store_batch.hpp), then writes the batch under the lock.

#include "actors/lineage/store/lineage_store.hpp"

#include "actors/lineage/store/store_batch.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "storage/state/rocks_store.hpp"

#include <rocksdb/write_batch.h>

#include <mutex>

namespace almanac::lineage {

using namespace store_detail;
using nlohmann::json;

lineage_store::lineage_store(std::string dir, double half_life_days)
  : dir_(std::move(dir)), half_life_ms_(popularity::half_life_ms(half_life_days)) {
}

lineage_store::~lineage_store() = default;

std::vector<std::string> lineage_store::consumes() const {
  return {"QueryObserved", "EntityRegistered", "EntityEdited", "EntityViewed",
          "LineageObserved"};
}

caf::expected<uint64_t> lineage_store::open() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (!store_) {
    auto s = storage::rocks_store::open(dir_);
    if (!s)
      return s.error();
    store_ = std::move(*s);
  }
  auto cp = store_->checkpoint();
  if (cp)
    checkpoint_ = *cp;
  if (graph_.edges.empty()) {
    // Load the adjacency from the stored edges (d/<from>\0<to>).
    auto err = store_->scan("d/", [&](const std::string& k, const std::string&) {
      auto nul = k.find('\0', 2);
      if (nul != std::string::npos)
        graph_.upsert(k.substr(2, nul - 2), k.substr(nul + 1));
      return true;
    });
    if (err)
      return err;
  }
  if (scores_.empty()) {
    auto err = store_->scan("p/", [&](const std::string& k, const std::string& v) {
      remember_score(scores_, k, v);
      return true;
    });
    if (err)
      return err;
  }
  return cp;
}

uint64_t lineage_store::checkpoint() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return checkpoint_;
}

namespace {

/// One decoded record of the batch (views analysed already).
struct decoded_record {
  std::optional<ev::query_observed> query;
  std::optional<view_definition> view;
  std::optional<ev::entity_viewed> views;
  std::optional<ev::lineage_observed> run;
  json raw_run;
  std::string error; ///< Why it was skipped, if it was.
};

decoded_record decode_record(const event_record& r) {
  decoded_record d;
  auto note = [&](const caf::error& err) { d.error = message_of(err); };
  if (ev::is<ev::query_observed>(r.type)) {
    if (auto q = ev::decode<ev::query_observed>(r.payload))
      d.query = std::move(*q);
    else
      note(q.error());
  } else if (ev::is<ev::entity_registered>(r.type)) {
    if (auto e = ev::decode<ev::entity_registered>(r.payload))
      d.view = view_of(e->urn, e->attributes);
    else
      note(e.error());
  } else if (ev::is<ev::entity_edited>(r.type)) {
    if (auto e = ev::decode<ev::entity_edited>(r.payload)) {
      if (e->fields_set.attributes)
        d.view = view_of(e->urn, *e->fields_set.attributes);
    } else {
      note(e.error());
    }
  } else if (ev::is<ev::entity_viewed>(r.type)) {
    if (auto v = ev::decode<ev::entity_viewed>(r.payload))
      d.views = std::move(*v);
    else
      note(v.error());
  } else if (ev::is<ev::lineage_observed>(r.type)) {
    d.raw_run = json::parse(r.payload, nullptr, false);
    if (auto l = ev::from_json<ev::lineage_observed>(d.raw_run))
      d.run = std::move(*l);
    else
      note(l.error());
  }
  return d;
}

} // namespace

caf::error lineage_store::apply(const std::vector<event_record>& events, uint64_t next) {
  // Decoding and the SQL analysis of view definitions need no lock: readers
  // are blocked only while the batch is written.
  std::vector<decoded_record> decoded;
  decoded.reserve(events.size());
  for (auto& r : events)
    decoded.push_back(decode_record(r));
  std::unique_lock<std::shared_mutex> guard{mtx_};
  batch bs{*store_};
  for (size_t i = 0; i < events.size(); ++i) {
    auto& r = events[i];
    auto& d = decoded[i];
    // A record whose payload is not what we expect is skipped (and counted),
    // never fatal: a projection must not stop on one bad event.
    if (!d.error.empty()) {
      ++skipped_;
      last_skip_ = "offset " + std::to_string(r.offset) + ": " + d.error;
      continue;
    }
    bs.undo.clear();
    bs.doc_changed = false;
    try {
      if (d.query)
        apply_query(bs, half_life_ms_, *d.query, r);
      else if (d.view)
        apply_view(bs, *d.view, r.timestamp_ms);
      else if (d.views) {
        for (auto& v : d.views->views) // every document loaded before any change
          if (!v.urn.empty())
            bs.doc("p/" + v.urn, usage_shape);
        for (auto& v : d.views->views)
          bump(bs, half_life_ms_, v.urn, v.user, r.timestamp_ms, v.count);
      }
      else if (d.run)
        apply_run(bs, *d.run, d.raw_run, r);
    } catch (const std::exception& e) {
      // Documents are loaded and checked before an event changes any: an
      // exception after a change (out of memory) cannot be undone, and the
      // batch is not written.
      if (bs.doc_changed)
        return make_error(ec::unspecified, "lineage store: applying offset "
                                          + std::to_string(r.offset) + " failed: " + e.what());
      bs.rollback_event();
      ++skipped_;
      last_skip_ = "offset " + std::to_string(r.offset) + ": " + e.what();
    }
  }
  bs.flush_docs();
  rocksdb::WriteBatch batch;
  for (auto& [k, v] : bs.pending)
    batch.Put(k, v);
  if (auto err = store_->commit(batch, next))
    return err;
  checkpoint_ = next;
  for (auto& [k, v] : bs.pending)
    if (k.compare(0, 2, "d/") == 0) {
      auto nul = k.find('\0', 2);
      if (nul != std::string::npos)
        graph_.upsert(k.substr(2, nul - 2), k.substr(nul + 1));
    }
  for (auto& [k, p] : bs.docs)
    if (k.compare(0, 2, "p/") == 0 && p.is_object())
      scores_[k.substr(2)] = {p["score"].get<double>(), p["last_ms"].get<int64_t>()};
  return caf::none;
}

caf::error lineage_store::reset() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  checkpoint_ = 0;
  graph_.clear();
  scores_.clear();
  return store_->clear();
}

caf::expected<std::string> lineage_store::digest() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return make_error(ec::unavailable, "the lineage store is not open");
  return store_->digest();
}

std::string lineage_store::status() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  uint64_t queries = 0, edges = 0;
  store_->scan("q/", [&](const std::string&, const std::string&) { ++queries; return true; });
  store_->scan("d/", [&](const std::string&, const std::string&) { ++edges; return true; });
  return json{{"checkpoint", checkpoint_}, {"queries", queries}, {"edges", edges},
              {"skipped", skipped_}, {"last_skip", last_skip_}}.dump();
}

} // namespace almanac::lineage
