#include "config/settings.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

extern char** environ;

namespace almanac::config {

const setting_spec* find_spec(const std::string& key) {
  for (auto& spec : schema())
    if (spec.key == key)
      return &spec;
  return nullptr;
}

std::string flag_name(const std::string& key) {
  std::string result = "--";
  for (char c : key)
    result += (c == '.' || c == '_') ? '-' : c;
  return result;
}

std::string env_name(const std::string& key) {
  std::string result = "ALMANAC_";
  for (char c : key)
    result += (c == '.') ? '_' : static_cast<char>(std::toupper(c));
  return result;
}

namespace {

caf::error bad(const std::string& key, const std::string& value,
               const std::string& why) {
  return make_error(ec::invalid_config,
                    "invalid value '" + value + "' for " + key + ": " + why);
}

bool parse_uint(const std::string& text, uint64_t& out) {
  if (text.empty() || text.size() > 20)
    return false;
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  try {
    out = std::stoull(text);
  } catch (...) {
    return false;
  }
  return true;
}

} // namespace

caf::error parse_endpoint(const std::string& value, std::string& host,
                          uint16_t& port) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(ec::invalid_config,
                      "'" + value + "' is not HOST:PORT");
  uint64_t p = 0;
  if (!parse_uint(value.substr(colon + 1), p) || p == 0 || p > 65535)
    return make_error(ec::invalid_config,
                      "'" + value + "' has no port between 1 and 65535");
  host = value.substr(0, colon);
  port = static_cast<uint16_t>(p);
  return caf::none;
}

caf::error validate(const std::string& key, const std::string& value) {
  auto spec = find_spec(key);
  if (!spec)
    return make_error(ec::invalid_config, "unknown setting '" + key + "'");
  switch (spec->kind) {
    case value_kind::optional:
      return caf::none;
    case value_kind::string:
      if (value.empty())
        return bad(key, value, "must not be empty");
      return caf::none;
    case value_kind::uint: {
      uint64_t x = 0;
      if (!parse_uint(value, x))
        return bad(key, value, "expected a non-negative integer");
      if (x < spec->min || x > spec->max)
        return bad(key, value,
                   "must be between " + std::to_string(spec->min) + " and "
                     + std::to_string(spec->max));
      return caf::none;
    }
    case value_kind::boolean:
      if (value != "true" && value != "false")
        return bad(key, value, "expected true or false");
      return caf::none;
    case value_kind::choice: {
      auto& cs = spec->choices;
      if (std::find(cs.begin(), cs.end(), value) != cs.end())
        return caf::none;
      std::string all;
      for (auto& c : cs)
        all += (all.empty() ? "" : ", ") + c;
      return bad(key, value, "expected one of " + all);
    }
    case value_kind::endpoint: {
      std::string host;
      uint16_t port = 0;
      if (auto err = parse_endpoint(value, host, port))
        return bad(key, value, "expected HOST:PORT with a port in 1..65535");
      return caf::none;
    }
  }
  return caf::none;
}

settings::settings() {
  for (auto& spec : schema()) {
    values_[spec.key] = spec.default_value;
    origins_[spec.key] = "default";
  }
}

caf::error settings::set(const std::string& key, const std::string& value,
                         const std::string& origin) {
  if (auto err = validate(key, value)) {
    auto msg = message_of(err);
    return make_error(ec::invalid_config, msg + " (from " + origin + ")");
  }
  values_[key] = value;
  origins_[key] = origin;
  return caf::none;
}

const std::string& settings::get(const std::string& key) const {
  return values_.at(key);
}

uint64_t settings::get_uint(const std::string& key) const {
  return std::stoull(values_.at(key));
}

bool settings::get_bool(const std::string& key) const {
  return values_.at(key) == "true";
}

const std::string& settings::origin(const std::string& key) const {
  return origins_.at(key);
}

std::string settings::to_toml() const {
  std::ostringstream out;
  out << "# Almanac effective configuration (origin of each value in brackets)\n";
  // TOML: keys outside any table come first (after a [table] header they
  // would belong to it), then each table with its keys.
  std::vector<const setting_spec*> ordered;
  for (auto& spec : schema())
    if (spec.key.find('.') == std::string::npos)
      ordered.push_back(&spec);
  for (auto& spec : schema())
    if (spec.key.find('.') != std::string::npos)
      ordered.push_back(&spec);
  std::string table;
  for (auto* p : ordered) {
    auto& spec = *p;
    auto dot = spec.key.rfind('.');
    std::string t = dot == std::string::npos ? "" : spec.key.substr(0, dot);
    std::string name = dot == std::string::npos ? spec.key
                                                : spec.key.substr(dot + 1);
    if (t != table) {
      out << "\n[" << t << "]\n";
      table = t;
    }
    out << "# " << spec.description << " [" << origin(spec.key) << "]\n";
    auto& v = get(spec.key);
    if (spec.kind == value_kind::uint || spec.kind == value_kind::boolean)
      out << name << " = " << v << "\n";
    else
      out << name << " = \"" << v << "\"\n";
  }
  return out.str();
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> result;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos)
      result[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return result;
}

// Defined in toml_file.cpp (the only translation unit that includes toml11).
caf::error load_toml_file(const std::string& path, settings& result);

caf::expected<settings> load(const sources& src) {
  settings result;
  if (!src.file.empty())
    if (auto err = load_toml_file(src.file, result))
      return err;
  for (auto& spec : schema()) {
    auto i = src.env.find(env_name(spec.key));
    if (i != src.env.end())
      if (auto err = result.set(spec.key, i->second,
                                "environment variable " + i->first))
        return err;
  }
  for (auto& [key, value] : src.flags) {
    if (!find_spec(key))
      return make_error(ec::invalid_config, "unknown setting '" + key + "'");
    if (auto err = result.set(key, value, "flag " + flag_name(key)))
      return err;
  }
  return result;
}

} // namespace almanac::config
