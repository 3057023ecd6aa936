#pragma once

// What each role may see of the event stream (least privilege). Admins see
// every event; viewers and stewards see catalog events only: no accounts or
// tokens, no source configuration or schedules, and of the usage and
// Compose events only their own. Nobody's stream carries a token hash or a
// source's connection (DSN, path, password reference): the log keeps what
// the projections need, the stream only what a subscriber may read.

#include "actors/http/auth.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace almanac::eventlog {

/// The event `payload` of type `type` as `who` may see it, or nullopt when
/// `who` may not see the event at all.
std::optional<nlohmann::json> visible_payload(const std::string& type,
                                              nlohmann::json payload,
                                              const http::principal& who);

} // namespace almanac::eventlog
