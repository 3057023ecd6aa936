#include "actors/search_service/search_projection.hpp"

#include "actors/catalog/entity.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace almanac::search_service {

namespace fs = std::filesystem;
using nlohmann::json;

search_projection::search_projection(std::string dir) : dir_(std::move(dir)) {
}

std::vector<std::string> search_projection::consumes() const {
  return {"EntityRegistered", "EntityEdited", "EntityRemoved", "QueryObserved",
          "EntityViewed", "LexiconEdited"};
}

std::string search_projection::gen_dir(uint64_t gen) const {
  return (fs::path{dir_} / ("index-" + std::to_string(gen))).string();
}

caf::expected<uint64_t> search_projection::open() {
  std::lock_guard<std::mutex> guard{mtx_};
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
  for (auto& r : events) {
    auto name = parse_event_tag(r.type).first;
    auto p = json::parse(r.payload, nullptr, false);
    if (!p.is_object())
      continue;
    catalog::change_info info{r.offset, r.timestamp_ms, p.value("user", "")};
    if (name == "EntityRegistered") {
      auto e = catalog::registered_entity(p, info);
      if (auto st = idx.upsert(e); !st.ok())
        return fail(st);
    } else if (name == "EntityEdited") {
      auto e = idx.entity(p.value("urn", ""));
      if (!e)
        continue;
      catalog::apply_edit(*e, p, info);
      if (auto st = idx.upsert(*e); !st.ok())
        return fail(st);
    } else if (name == "EntityRemoved") {
      if (auto st = idx.remove(p.value("urn", "")); !st.ok())
        return fail(st);
    } else if (name == "QueryObserved" || name == "EntityViewed") {
      std::vector<std::pair<std::string, double>> used;
      if (name == "QueryObserved") {
        auto calls = p.value("calls", 1.0);
        for (auto key : {"tables_read", "tables_written"})
          if (p.contains(key) && p[key].is_array())
            for (auto& u : p[key])
              if (u.is_string())
                used.emplace_back(u.get<std::string>(), calls);
      } else if (p.contains("views") && p["views"].is_array()) {
        for (auto& v : p["views"])
          if (v.is_object())
            used.emplace_back(v.value("urn", ""), v.value("count", 1.0));
      }
      for (auto& [urn, n] : used) {
        auto& u = uses_[urn];
        u += n;
        idx.set_popularity(urn, u);
      }
    } else if (name == "LexiconEdited") {
      if (auto st = idx.put_lexicon(p.value("abbreviation", ""), p.value("expansion", ""));
          !st.ok())
        return fail(st);
    }
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
  std::lock_guard<std::mutex> guard{mtx_};
  if (building_ && next >= swap_at_) {
    // The new index has caught up: make it current, atomically on disk.
    auto old = gen_dir(gen_ - 1);
    auto tmp = (fs::path{dir_} / "CURRENT.tmp").string();
    {
      std::ofstream out{tmp};
      out << gen_ << "\n";
    }
    fs::rename(tmp, fs::path{dir_} / "CURRENT");
    live_ = std::move(building_);
    building_ = nullptr;
    swap = true;
    std::error_code ec_;
    fs::remove_all(old, ec_);
  }
  (void) swap;
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
  uses_.clear();
  return caf::none;
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

} // namespace almanac::search_service
