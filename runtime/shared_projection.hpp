#pragma once

// A projection object that outlives its driver: the node keeps it (readers
// on other threads use it directly) and every (re)started driver gets this
// forwarding handle. The target's open() must be idempotent.

#include "runtime/projection.hpp"

#include <memory>

namespace almanac::runtime {

/// Forwards to a shared projection.
class shared_projection : public projection {
public:
  explicit shared_projection(std::shared_ptr<projection> target)
    : target_(std::move(target)) {
  }

  std::vector<std::string> consumes() const override {
    return target_->consumes();
  }

  caf::expected<uint64_t> open() override {
    return target_->open();
  }

  caf::error apply(const std::vector<event_record>& events,
                   uint64_t next) override {
    return target_->apply(events, next);
  }

  caf::error reset() override {
    return target_->reset();
  }

  std::string status() const override {
    return target_->status();
  }

  caf::expected<std::string> digest() const override {
    return target_->digest();
  }

private:
  std::shared_ptr<projection> target_;
};

} // namespace almanac::runtime
