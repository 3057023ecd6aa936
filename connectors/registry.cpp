#include "connectors/connector.hpp"

#include "connectors/postgresql/postgresql_connector.hpp"
#include "connectors/sqlite/sqlite_connector.hpp"
#include "messages/error.hpp"

namespace almanac::connectors {

namespace {

using factory = caf::expected<std::unique_ptr<connector>> (*)(const source_config&);
using checker = caf::error (*)(const source_config&);

struct registration {
  const char* kind;
  factory open;
  checker check;
};

/// Every connector kind. Adding a connector: one folder and one line here.
constexpr registration registry[] = {
  {"postgresql", &postgresql_connector::open, &postgresql_connector::check_config},
  {"sqlite", &sqlite_connector::open, &sqlite_connector::check_config},
};

} // namespace

namespace {

caf::error unknown_kind(const std::string& kind) {
  std::string known;
  for (const auto& r : registry)
    known += (known.empty() ? "" : ", ") + std::string{r.kind};
  return make_error(ec::invalid_argument, "unknown source kind '" + kind
                                            + "' (known: " + known + ")");
}

} // namespace

caf::expected<std::unique_ptr<connector>> connect(const source_config& cfg) {
  for (const auto& r : registry)
    if (cfg.kind == r.kind)
      return r.open(cfg);
  return unknown_kind(cfg.kind);
}

caf::error check_config(const source_config& cfg) {
  for (const auto& r : registry)
    if (cfg.kind == r.kind)
      return r.check(cfg);
  return unknown_kind(cfg.kind);
}

std::vector<std::string> connector_kinds() {
  std::vector<std::string> out;
  for (const auto& r : registry)
    out.emplace_back(r.kind);
  return out;
}

} // namespace almanac::connectors
