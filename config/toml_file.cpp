// Reads a TOML configuration file into settings (toml11 stays in this file).
#include "config/settings.hpp"
#include "messages/error.hpp"

#include <toml.hpp>

namespace almanac::config {

namespace {

caf::error flatten(const toml::value& table, const std::string& prefix,
                   const std::string& path, settings& result) {
  for (auto& [name, v] : table.as_table()) {
    auto key = prefix.empty() ? name : prefix + "." + name;
    if (v.is_table()) {
      if (auto err = flatten(v, key, path, result))
        return err;
      continue;
    }
    auto spec = find_spec(key);
    if (!spec)
      return make_error(ec::invalid_config,
                        "unknown setting '" + key + "' in " + path);
    std::string text;
    if (v.is_string())
      text = v.as_string().str;
    else if (v.is_integer() && v.as_integer() >= 0)
      text = std::to_string(v.as_integer());
    else if (v.is_boolean())
      text = v.as_boolean() ? "true" : "false";
    else
      return make_error(ec::invalid_config, "invalid value for " + key
                                              + " in " + path
                                              + ": wrong type");
    if (auto err = result.set(key, text, "file " + path))
      return err;
  }
  return caf::none;
}

} // namespace

caf::error load_toml_file(const std::string& path, settings& result) {
  toml::value doc;
  try {
    doc = toml::parse(path);
  } catch (const std::exception& e) {
    return make_error(ec::invalid_config,
                      "cannot read config file " + path + ": " + e.what());
  }
  return flatten(doc, "", path, result);
}

} // namespace almanac::config
