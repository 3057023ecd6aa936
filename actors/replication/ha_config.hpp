#pragma once

// The ha.* settings of a node, checked and resolved: endpoints parsed, the
// secret read (ALMANAC_HA_SECRET, else ha.secret_file, which must be mode
// 0600), the node's name chosen.

#include "config/settings.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace almanac::replication {

struct ha_config {
  std::string name;
  /// ha.listen (empty host: no listener).
  std::string listen_host;
  uint16_t listen_port = 0;
  /// ha.primary (a standby's; empty host: none).
  std::string primary_host;
  uint16_t primary_port = 0;
  bool sync = false;
  bool fallback_async = false;
  std::chrono::milliseconds sync_timeout{5000};
  std::chrono::milliseconds heartbeat{1000};
  std::string secret;
  /// This node's HTTP API, as standbys name it in read_only errors.
  std::string http_url;
  std::string data_dir;

  bool listens() const {
    return !listen_host.empty();
  }

  bool follows() const {
    return !primary_host.empty();
  }
};

/// Resolves the settings. ec::invalid_config naming the setting: a bad
/// endpoint, a standby without ha.primary, replication without a secret, a
/// secret file readable by others.
caf::expected<ha_config> ha_config_from(const config::settings& s);

} // namespace almanac::replication
