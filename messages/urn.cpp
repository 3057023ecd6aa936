#include "messages/urn.hpp"

#include "messages/text_checks.hpp"
#include "messages/error.hpp"

namespace almanac::catalog {

namespace {

constexpr std::string_view prefix = "urn:almanac:";

/// Whether byte `c` must be percent-encoded in a name.
bool must_encode(unsigned char c) {
  return c <= 0x20 || c == 0x7F || c == '.' || c == '%' || c == '/';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

caf::error invalid(std::string_view urn, const std::string& why) {
  return make_error(ec::invalid_argument,
                    "invalid identifier '" + printable(urn) + "': " + why);
}

/// Decodes one path segment; fails on bad or non-canonical escapes.
caf::expected<std::string> decode_segment(std::string_view urn,
                                          std::string_view seg) {
  std::string out;
  for (size_t i = 0; i < seg.size(); ++i) {
    auto c = static_cast<unsigned char>(seg[i]);
    if (c != '%') {
      if (must_encode(c))
        return invalid(urn, "'" + printable(seg.substr(i, 1))
                              + "' must be percent-encoded as "
                              + encode_name(seg.substr(i, 1)));
      out += seg[i];
      continue;
    }
    if (i + 2 >= seg.size())
      return invalid(urn, "truncated percent escape");
    auto hi = hex_value(seg[i + 1]);
    auto lo = hex_value(seg[i + 2]);
    if (hi < 0 || lo < 0)
      return invalid(urn, "'%' must be followed by two hex digits");
    auto byte = static_cast<unsigned char>(hi * 16 + lo);
    if (!must_encode(byte) || seg[i + 1] > 'F' || seg[i + 2] > 'F')
      return invalid(urn, "non-canonical escape '" + std::string{seg.substr(i, 3)}
                            + "' (escape only . % / whitespace and control "
                              "characters, with uppercase hex)");
    out += static_cast<char>(byte);
    i += 2;
  }
  if (out.empty())
    return invalid(urn, "empty name in path");
  if (!valid_utf8(out))
    return invalid(urn, "name is not valid UTF-8");
  return out;
}

} // namespace

const char* to_string(entity_kind k) {
  switch (k) {
    case entity_kind::source: return "source";
    case entity_kind::schema: return "schema";
    case entity_kind::table: return "table";
    case entity_kind::view: return "view";
    case entity_kind::column: return "column";
    case entity_kind::query: return "query";
    case entity_kind::term: return "term";
    case entity_kind::user: return "user";
    case entity_kind::tag: return "tag";
    case entity_kind::job: return "job";
    case entity_kind::run: return "run";
  }
  return "source";
}

const std::vector<entity_kind>& all_kinds() {
  static const std::vector<entity_kind> kinds = {
    entity_kind::source, entity_kind::schema, entity_kind::table,
    entity_kind::view,   entity_kind::column, entity_kind::query,
    entity_kind::term,   entity_kind::user,   entity_kind::tag,
    entity_kind::job,    entity_kind::run,
  };
  return kinds;
}

std::optional<entity_kind> parse_kind(std::string_view name) {
  for (auto k : all_kinds())
    if (name == to_string(k))
      return k;
  return std::nullopt;
}

size_t expected_depth(entity_kind k) {
  switch (k) {
    case entity_kind::schema:
    case entity_kind::job: return 2;
    case entity_kind::run:
    case entity_kind::table:
    case entity_kind::view: return 3;
    case entity_kind::column: return 4;
    default: return 1;
  }
}

std::vector<entity_kind> parent_kinds(entity_kind k) {
  switch (k) {
    case entity_kind::schema: return {entity_kind::source};
    case entity_kind::table:
    case entity_kind::view: return {entity_kind::schema};
    case entity_kind::column: return {entity_kind::table, entity_kind::view};
    case entity_kind::run: return {entity_kind::job};
    default: return {};
  }
}

std::string encode_name(std::string_view name) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (must_encode(c)) {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

caf::error check_name(std::string_view name) {
  if (name.empty())
    return make_error(ec::invalid_argument, "invalid identifier: empty name");
  if (auto at = invalid_utf8_at(name))
    return make_error(ec::invalid_argument,
                      "invalid identifier: name is not valid UTF-8 (byte "
                        + std::to_string(*at) + ")");
  return caf::none;
}

caf::expected<std::string> make_urn(entity_kind kind,
                                    const std::vector<std::string>& names) {
  if (names.size() != expected_depth(kind))
    return make_error(ec::invalid_argument,
                      std::string{"invalid identifier: a "} + to_string(kind)
                        + " has " + std::to_string(expected_depth(kind))
                        + " name(s) in its path, not "
                        + std::to_string(names.size()));
  std::string out{prefix};
  out += to_string(kind);
  out += ':';
  for (size_t i = 0; i < names.size(); ++i) {
    if (auto err = check_name(names[i]))
      return err;
    if (i > 0)
      out += '.';
    out += encode_name(names[i]);
  }
  return out;
}

caf::expected<parsed_urn> parse_urn(std::string_view urn) {
  if (urn.substr(0, prefix.size()) != prefix)
    return invalid(urn, "must start with 'urn:almanac:'");
  auto rest = urn.substr(prefix.size());
  auto colon = rest.find(':');
  if (colon == std::string_view::npos)
    return invalid(urn, "missing ':' after the kind");
  auto kind = parse_kind(rest.substr(0, colon));
  if (!kind)
    return invalid(urn, "unknown kind '" + printable(rest.substr(0, colon))
                          + "' (expected source, schema, table, view, column, "
                            "query, term, user, tag, job or run)");
  parsed_urn result;
  result.kind = *kind;
  auto path = rest.substr(colon + 1);
  if (path.empty())
    return invalid(urn, "empty path");
  size_t start = 0;
  for (;;) {
    auto dot = path.find('.', start);
    auto seg = path.substr(start, dot == std::string_view::npos
                                    ? std::string_view::npos
                                    : dot - start);
    auto name = decode_segment(urn, seg);
    if (!name)
      return name.error();
    result.names.push_back(std::move(*name));
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  if (result.names.size() != expected_depth(*kind))
    return invalid(urn, std::string{"a "} + to_string(*kind) + " has "
                          + std::to_string(expected_depth(*kind))
                          + " name(s) in its path, not "
                          + std::to_string(result.names.size()));
  return result;
}

caf::expected<std::string> parent_urn(std::string_view urn,
                                      entity_kind parent_kind) {
  auto parsed = parse_urn(urn);
  if (!parsed)
    return parsed.error();
  for (auto k : parent_kinds(parsed->kind)) {
    if (k != parent_kind)
      continue;
    auto names = parsed->names;
    names.pop_back();
    return make_urn(k, names);
  }
  return make_error(ec::invalid_argument,
                    std::string{"a "} + to_string(parsed->kind)
                      + " has no parent of kind " + to_string(parent_kind));
}

caf::expected<std::string> parent_urn(std::string_view urn) {
  auto parsed = parse_urn(urn);
  if (!parsed)
    return parsed.error();
  auto kinds = parent_kinds(parsed->kind);
  if (kinds.empty())
    return make_error(ec::invalid_argument,
                      std::string{"a "} + to_string(parsed->kind)
                        + " has no parent");
  return parent_urn(urn, kinds.front());
}

} // namespace almanac::catalog
