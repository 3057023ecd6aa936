#include "actors/search/search_projection.hpp"

#include "actors/catalog/domain/entity.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

namespace almanac::search {

namespace fs = std::filesystem;
using nlohmann::json;

search_projection::search_projection(std::string dir, popularity_lookup popularity)
  : dir_(std::move(dir)), popularity_(std::move(popularity)) {
}

std::vector<std::string> search_projection::consumes() const {
  return {"EntityRegistered", "EntityEdited", "EntityRemoved", "LexiconEdited"};
}

std::string search_projection::gen_dir(uint64_t gen) const {
  return (fs::path{dir_} / ("index-" + std::to_string(gen))).string();
}

caf::expected<uint64_t> search_projection::open() {
  std::lock_guard<std::mutex> guard{mtx_};
  // A restart of the driver only (the projection outlives it): resume where
  // the index being fed stopped, the one being rebuilt if there is one.
  if (building_)
    return building_->checkpoint();
  if (live_)
    return live_->checkpoint();
  std::error_code ec_;
  fs::create_directories(dir_, ec_);
  std::ifstream cur{(fs::path{dir_} / "CURRENT").string()};
  if (!(cur >> gen_))
    gen_ = 0;
  auto idx = std::make_shared<search::search_index>();
  auto st = idx->open(gen_dir(gen_));
  if (!st.ok())
    return make_error(ec::io_error, "cannot open the search index: " + st.error);
  if (idx->discarded_old_format())
    spdlog::warn("[search] the index had an older format: rebuilding it from the log");
  live_ = idx;
  return live_->checkpoint();
}

std::shared_ptr<search::search_index> search_projection::live() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return live_;
}

bool search_projection::rebuilding() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return building_ != nullptr;
}

caf::error search_projection::apply_to(search::search_index& idx,
                                       const std::vector<event_record>& events,
                                       uint64_t next) {
  auto fail = [&](const search::status& st) {
    idx.rollback();
    return make_error(ec::io_error, "search index: " + st.error);
  };
  // A commit reported failed may have landed (see search_index::rollback):
  // the driver then offers the batch again; what the index has is skipped.
  auto from = idx.checkpoint();
  if (next <= from)
    return caf::none;
  for (auto& r : events) {
    if (r.offset < from)
      continue;
    // A payload that does not follow its schema is skipped (as by every
    // projection); the catalog projection names it in the server log.
    catalog::change_info info{r.offset, r.timestamp_ms, {}};
    search::status st;
    if (ev::is<ev::entity_registered>(r.type)) {
      auto e = ev::decode<ev::entity_registered>(r.payload);
      if (!e)
        continue;
      info.user = e->user;
      st = idx.upsert(catalog::registered_entity(*e, info));
    } else if (ev::is<ev::entity_edited>(r.type)) {
      auto edit = ev::decode<ev::entity_edited>(r.payload);
      if (!edit)
        continue;
      auto e = idx.entity(edit->urn);
      if (!e)
        continue;
      info.user = edit->user;
      catalog::apply_edit(*e, *edit, info);
      st = idx.upsert(*e);
    } else if (ev::is<ev::entity_removed>(r.type)) {
      if (auto e = ev::decode<ev::entity_removed>(r.payload))
        st = idx.remove(e->urn);
    } else if (ev::is<ev::lexicon_edited>(r.type)) {
      if (auto l = ev::decode<ev::lexicon_edited>(r.payload))
        st = idx.put_lexicon(l->abbreviation, l->expansion);
    }
    if (!st.ok())
      return fail(st);
  }
  if (auto st = idx.commit(next); !st.ok())
    return fail(st);
  return caf::none;
}

caf::error search_projection::apply(const std::vector<event_record>& events,
                                    uint64_t next) {
  std::shared_ptr<search::search_index> target;
  bool swap = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    target = building_ ? building_ : live_;
  }
  if (auto err = apply_to(*target, events, next))
    return err;
  std::shared_ptr<search::search_index> retired;
  std::unique_lock<std::mutex> guard{mtx_};
  if (building_ && next >= swap_at_) {
    // The new index has caught up: make it current, atomically on disk.
    auto old = gen_dir(gen_ - 1);
    auto tmp = (fs::path{dir_} / "CURRENT.tmp").string();
    {
      std::ofstream out{tmp};
      out << gen_ << "\n";
    }
    fs::rename(tmp, fs::path{dir_} / "CURRENT");
    retired = std::move(live_);
    if (retired)
      retired->discard(); // deleted below: no snapshot for it
    live_ = std::move(building_);
    building_ = nullptr;
    swap = true;
    std::error_code ec_;
    fs::remove_all(old, ec_);
  }
  (void) swap;
  guard.unlock(); // the retired index closes outside the lock
  retired.reset();
  return caf::none;
}

caf::error search_projection::reset() {
  std::lock_guard<std::mutex> guard{mtx_};
  // Build beside the live index; searches keep reading it meanwhile.
  swap_at_ = live_ ? live_->checkpoint() : 0;
  ++gen_;
  std::error_code ec_;
  fs::remove_all(gen_dir(gen_), ec_);
  auto idx = std::make_shared<search::search_index>();
  auto st = idx->open(gen_dir(gen_));
  if (!st.ok())
    return make_error(ec::io_error, "cannot create a new search index: " + st.error);
  building_ = idx;
  return caf::none;
}

caf::expected<std::string> search_projection::digest() const {
  std::shared_ptr<search::search_index> idx;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    idx = building_ ? building_ : live_; // the one at the driver's checkpoint
  }
  if (!idx)
    return make_error(ec::unavailable, "the search index is not open");
  std::string out;
  if (auto st = idx->digest(out); !st.ok())
    return make_error(ec::io_error, "search index: " + st.error);
  return out;
}

std::string search_projection::status() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return json{{"documents", live_ ? live_->size() : 0},
              {"checkpoint", live_ ? live_->checkpoint() : 0},
              {"generation", gen_},
              {"rebuilding", building_ != nullptr},
              {"rebuild_checkpoint", building_ ? building_->checkpoint() : 0}}
    .dump();
}

} // namespace almanac::search
