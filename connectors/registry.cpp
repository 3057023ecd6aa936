#include "connectors/connector.hpp"

#include "connectors/postgresql/postgresql_connector.hpp"
#include "connectors/sqlite/sqlite_connector.hpp"
#include "messages/error.hpp"

namespace almanac::connectors {

namespace {

using factory = caf::expected<std::unique_ptr<connector>> (*)(const source_config&);

struct registration {
  const char* kind;
  factory open;
};

/// Every connector kind. Adding a connector: one folder and one line here.
constexpr registration registry[] = {
  {"postgresql", &postgresql_connector::open},
  {"sqlite", &sqlite_connector::open},
};

} // namespace

caf::expected<std::unique_ptr<connector>> connect(const source_config& cfg) {
  for (const auto& r : registry)
    if (cfg.kind == r.kind)
      return r.open(cfg);
  std::string known;
  for (const auto& r : registry)
    known += (known.empty() ? "" : ", ") + std::string{r.kind};
  return make_error(ec::invalid_argument, "unknown source kind '" + cfg.kind
                                            + "' (known: " + known + ")");
}

std::vector<std::string> connector_kinds() {
  std::vector<std::string> out;
  for (const auto& r : registry)
    out.emplace_back(r.kind);
  return out;
}

} // namespace almanac::connectors
