#pragma once

// Almanac Analytics as a projection of the log (issue 15): the driver feeds
// it like the others; each batch and its checkpoint go into PostgreSQL in
// one transaction (store.hpp). An unreachable database fails the batch with
// `unavailable`; the driver offers it again, and the rest of the node keeps
// serving meanwhile.
//
// The node adds it when analytics.dsn is set. An unreachable or failing
// database stalls it (io_error: the driver retries every second and
// /health names it) without stopping the node; the database's own
// checkpoint decides what a batch still has to apply, so opening while the
// database is down starts from 0 and skips, once it is back, what it holds.

#include "actors/analytics/store.hpp"
#include "runtime/projection.hpp"

#include <mutex>
#include <string>

namespace almanac::analytics {

/// The projection's name (admin API, /health).
constexpr const char* projection_name = "analytics";

class analytics_projection : public runtime::projection {
public:
  analytics_projection(std::string dsn, std::string password, std::string schema);

  std::vector<std::string> consumes() const override;
  caf::expected<uint64_t> open() override;
  caf::error apply(const std::vector<event_record>& events, uint64_t next) override;
  caf::error reset() override;
  /// {"schema", "checkpoint", "error"} (the last error, "" once a batch lands).
  std::string status() const override;
  caf::expected<std::string> digest() const override;

private:
  caf::error fail(const result& r);

  mutable std::mutex mtx_;
  mutable store store_;
  uint64_t checkpoint_ = 0;
  bool opened_ = false; ///< open() reached the database
  std::string last_error_;
};

} // namespace almanac::analytics
