#pragma once

// One JSON codec and one JSON Schema for every struct that lists its fields.
//
// A struct describes itself once, with a static `fields(F& f, S& x)` that
// calls `f(name, member, presence, description)` for each member (see
// event_types.hpp). Three visitors walk that list: a decoder (JSON -> struct,
// naming the first wrong field), an encoder (struct -> JSON) and a schema
// writer (struct -> JSON Schema, draft 2020-12). Because all three read the
// same list, an event's codec and its published schema cannot disagree.
//
// Member types: std::string, bool, uint64_t, int64_t, double, nlohmann::json
// (free-form: its schema is given by a `shape`), std::optional<T> (absent or
// null), std::vector<T>, std::pair<std::string, std::string> (a 2-array) and
// any struct that has `fields` itself. A struct with a member named `extra`
// (an object) keeps the keys it does not know there, so that a newer writer's
// fields survive a round trip through an older reader.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace almanac::codec {

/// Whether a decoder insists on the field.
enum class presence { required, optional };

/// The schema of a free-form (nlohmann::json) member.
enum class shape { any, object, array };

template <class T, class = void>
struct has_fields : std::false_type {};

template <class T>
struct has_fields<T, std::void_t<decltype(T::fields(std::declval<int&>(), std::declval<T&>()))>>
  : std::true_type {};

// `int&` above is only for detection; visitors are templates, so any F works.

template <class T, class = void>
struct has_extra : std::false_type {};

template <class T>
struct has_extra<T, std::void_t<decltype(std::declval<T&>().extra)>> : std::true_type {};

// Declared first: each is found by the others' instantiations.
template <class T>
bool read(const nlohmann::json& in, T& out, shape sh, std::string& error,
          const std::string& where);
template <class T>
bool read_container(const nlohmann::json& in, std::optional<T>& out, shape sh,
                    std::string& error, const std::string& where);
template <class T>
bool read_container(const nlohmann::json& in, std::vector<T>& out, shape sh,
                    std::string& error, const std::string& where);
template <class T>
nlohmann::json write(const T& x);
template <class T>
nlohmann::json write_container(const std::optional<T>& x);
template <class T>
nlohmann::json write_container(const std::vector<T>& xs);
template <class T>
struct schema_tag {};
template <class T>
nlohmann::json schema_of(shape sh);
template <class T>
nlohmann::json schema_container(schema_tag<std::optional<T>>, shape sh);
template <class T>
nlohmann::json schema_container(schema_tag<std::vector<T>>, shape sh);

// -- decoding ----------------------------------------------------------------

class decoder {
public:
  decoder(const nlohmann::json& in, std::string& error, std::string where)
    : in_(in), error_(error), where_(std::move(where)) {}

  template <class T>
  void operator()(const char* key, T& member, presence p, const char*,
                  shape sh = shape::any) {
    if (!error_.empty())
      return;
    auto i = in_.find(key);
    if (i == in_.end()) {
      if (p == presence::required)
        error_ = "field '" + where_ + key + "' is missing";
      return;
    }
    read(*i, member, sh, error_, where_ + key);
  }

private:
  const nlohmann::json& in_;
  std::string& error_;
  std::string where_;
};

/// Collects the names a struct lists (to find the unknown keys).
struct name_collector {
  std::vector<std::string> names;
  template <class T>
  void operator()(const char* key, T&, presence, const char*, shape = shape::any) {
    names.emplace_back(key);
  }
};

inline const char* json_kind(const nlohmann::json& v) {
  return v.type_name();
}

template <class T>
bool read(const nlohmann::json& in, T& out, shape sh, std::string& error,
          const std::string& where) {
  auto wrong = [&](const char* want) {
    error = "field '" + where + "' must be " + want + ", not " + json_kind(in);
    return false;
  };
  if constexpr (std::is_same_v<T, std::string>) {
    if (!in.is_string())
      return wrong("a string");
    out = in.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!in.is_boolean())
      return wrong("a boolean");
    out = in.get<bool>();
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    if (!in.is_number_unsigned())
      return wrong("a non-negative integer");
    out = in.get<uint64_t>();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (!in.is_number_integer())
      return wrong("an integer");
    out = in.get<int64_t>();
  } else if constexpr (std::is_same_v<T, double>) {
    if (!in.is_number())
      return wrong("a number");
    out = in.get<double>();
  } else if constexpr (std::is_same_v<T, nlohmann::json>) {
    if (sh == shape::object && !in.is_object())
      return wrong("an object");
    if (sh == shape::array && !in.is_array())
      return wrong("an array");
    out = in;
  } else if constexpr (std::is_same_v<T, std::pair<std::string, std::string>>) {
    if (!in.is_array() || in.size() != 2 || !in[0].is_string() || !in[1].is_string())
      return wrong("a pair of strings");
    out = {in[0].get<std::string>(), in[1].get<std::string>()};
  } else if constexpr (has_fields<T>::value) {
    if (!in.is_object())
      return wrong("an object");
    decoder d{in, error, where.empty() ? std::string{} : where + "."};
    T::fields(d, out);
    if (!error.empty())
      return false;
    if constexpr (has_extra<T>::value) {
      name_collector names;
      T::fields(names, out);
      out.extra = nlohmann::json::object();
      for (auto& [k, v] : in.items())
        if (std::find(names.names.begin(), names.names.end(), k) == names.names.end())
          out.extra[k] = v;
    }
  } else {
    return read_container(in, out, sh, error, where);
  }
  return true;
}

template <class T>
bool read_container(const nlohmann::json& in, std::optional<T>& out, shape sh,
                    std::string& error, const std::string& where) {
  if (in.is_null()) {
    out.reset();
    return true;
  }
  T value{};
  if (!read(in, value, sh, error, where))
    return false;
  out = std::move(value);
  return true;
}

template <class T>
bool read_container(const nlohmann::json& in, std::vector<T>& out, shape sh,
                    std::string& error, const std::string& where) {
  if (!in.is_array()) {
    error = "field '" + where + "' must be an array, not " + json_kind(in);
    return false;
  }
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    T value{};
    if (!read(in[i], value, sh, error, where + "[" + std::to_string(i) + "]"))
      return false;
    out.push_back(std::move(value));
  }
  return true;
}

// -- encoding ----------------------------------------------------------------

class encoder {
public:
  explicit encoder(nlohmann::json& out) : out_(out) {}

  template <class T>
  void operator()(const char* key, T& member, presence p, const char*,
                  shape = shape::any) {
    if constexpr (is_optional<T>::value) {
      // An absent optional is written only when it is required (as null).
      if (!member) {
        if (p == presence::required)
          out_[key] = nullptr;
        return;
      }
    }
    out_[key] = write(member);
  }

private:
  template <class U>
  struct is_optional : std::false_type {};
  template <class U>
  struct is_optional<std::optional<U>> : std::true_type {};

  nlohmann::json& out_;
};

template <class T>
nlohmann::json write(const T& x) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>
                || std::is_same_v<T, uint64_t> || std::is_same_v<T, int64_t>
                || std::is_same_v<T, double> || std::is_same_v<T, nlohmann::json>) {
    return nlohmann::json(x);
  } else if constexpr (std::is_same_v<T, std::pair<std::string, std::string>>) {
    return nlohmann::json::array({x.first, x.second});
  } else if constexpr (has_fields<T>::value) {
    nlohmann::json out = nlohmann::json::object();
    if constexpr (has_extra<T>::value)
      if (x.extra.is_object())
        out = x.extra;
    encoder e{out};
    T::fields(e, const_cast<T&>(x));
    return out;
  } else {
    return write_container(x);
  }
}

template <class T>
nlohmann::json write_container(const std::optional<T>& x) {
  return x ? write(*x) : nlohmann::json(nullptr);
}

template <class T>
nlohmann::json write_container(const std::vector<T>& xs) {
  auto out = nlohmann::json::array();
  for (auto& x : xs)
    out.push_back(write(x));
  return out;
}

// -- schema ------------------------------------------------------------------

class schema_writer {
public:
  schema_writer(nlohmann::json& properties, nlohmann::json& required)
    : properties_(properties), required_(required) {}

  template <class T>
  void operator()(const char* key, T&, presence p, const char* doc,
                  shape sh = shape::any) {
    auto s = schema_of<T>(sh);
    s["description"] = doc;
    properties_[key] = std::move(s);
    if (p == presence::required)
      required_.push_back(key);
  }

private:
  nlohmann::json& properties_;
  nlohmann::json& required_;
};

template <class T>
nlohmann::json schema_container(schema_tag<std::optional<T>>, shape sh) {
  auto inner = schema_of<T>(sh);
  return nlohmann::json{{"anyOf", nlohmann::json::array({inner, {{"type", "null"}}})}};
}

template <class T>
nlohmann::json schema_container(schema_tag<std::vector<T>>, shape sh) {
  return nlohmann::json{{"type", "array"}, {"items", schema_of<T>(sh)}};
}

template <class T>
nlohmann::json schema_of(shape sh) {
  using nlohmann::json;
  if constexpr (std::is_same_v<T, std::string>) {
    return json{{"type", "string"}};
  } else if constexpr (std::is_same_v<T, bool>) {
    return json{{"type", "boolean"}};
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    return json{{"type", "integer"}, {"minimum", 0}};
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return json{{"type", "integer"}};
  } else if constexpr (std::is_same_v<T, double>) {
    return json{{"type", "number"}};
  } else if constexpr (std::is_same_v<T, json>) {
    if (sh == shape::object)
      return json{{"type", "object"}};
    if (sh == shape::array)
      return json{{"type", "array"}};
    return json::object();
  } else if constexpr (std::is_same_v<T, std::pair<std::string, std::string>>) {
    return json{{"type", "array"},
                {"prefixItems", json::array({{{"type", "string"}}, {{"type", "string"}}})},
                {"items", false}, {"minItems", 2}};
  } else if constexpr (has_fields<T>::value) {
    json properties = json::object();
    json required = json::array();
    schema_writer w{properties, required};
    T dummy{};
    T::fields(w, dummy);
    json out{{"type", "object"}, {"properties", properties},
             {"additionalProperties", has_extra<T>::value}};
    if (!required.empty())
      out["required"] = required;
    return out;
  } else {
    return schema_container(schema_tag<T>{}, sh);
  }
}

} // namespace almanac::codec
