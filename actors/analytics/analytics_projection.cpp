#include "actors/analytics/analytics_projection.hpp"

#include "actors/analytics/domain/facts.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace almanac::analytics {

analytics_projection::analytics_projection(std::string dsn, std::string password,
                                           std::string schema)
  : store_(std::move(dsn), std::move(password), std::move(schema)) {}

std::vector<std::string> analytics_projection::consumes() const {
  return consumed_types();
}

caf::error analytics_projection::fail(const result& r) {
  last_error_ = r.error;
  // io_error: the driver keeps the node up and retries (see the header).
  return make_error(ec::io_error, r.error);
}

caf::expected<uint64_t> analytics_projection::open() {
  std::lock_guard<std::mutex> lock(mtx_);
  uint64_t cp = 0;
  if (auto r = store_.open(cp); !r.ok()) {
    // Down at start: begin at 0 and stall in apply() until it answers.
    last_error_ = r.error;
    spdlog::warn("[analytics] {} (retrying)", r.error);
    checkpoint_ = 0;
    opened_ = false;
    return uint64_t{0};
  }
  checkpoint_ = cp;
  opened_ = true;
  last_error_.clear();
  return cp;
}

caf::error analytics_projection::apply(const std::vector<event_record>& events, uint64_t next) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (!opened_) {
    uint64_t cp = 0;
    if (auto r = store_.open(cp); !r.ok())
      return fail(r);
    opened_ = true;
    if (cp != checkpoint_) {
      // The database holds offsets the driver did not know of: restart, so
      // that the driver resumes from them (and checks them against the
      // log's end, as after any open).
      last_error_ = "the analytics database is back at offset " + std::to_string(cp);
      return make_error(ec::unavailable, last_error_ + ": restarting from it");
    }
  }
  if (auto r = store_.apply(events, next, checkpoint_); !r.ok()) {
    if (r.behind) {
      last_error_ = r.error;
      return make_error(ec::unavailable, r.error); // the driver restarts: open() resumes
    }
    return fail(r);
  }
  checkpoint_ = next;
  last_error_.clear();
  return caf::none;
}

caf::error analytics_projection::reset() {
  std::lock_guard<std::mutex> lock(mtx_);
  if (auto r = store_.reset(); !r.ok())
    return fail(r);
  checkpoint_ = 0;
  opened_ = true;
  last_error_.clear();
  return caf::none;
}

std::string analytics_projection::status() const {
  std::lock_guard<std::mutex> lock(mtx_);
  return nlohmann::json{{"schema", store_.schema()},
                        {"checkpoint", checkpoint_},
                        {"error", last_error_}}
    .dump();
}

caf::expected<std::string> analytics_projection::digest() const {
  std::lock_guard<std::mutex> lock(mtx_);
  std::string out;
  if (auto r = store_.digest(out); !r.ok())
    return make_error(ec::unavailable, r.error);
  return out;
}

} // namespace almanac::analytics
