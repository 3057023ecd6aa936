#include "actors/catalog/catalog_keys.hpp"

namespace almanac::catalog::keys {

namespace {

std::string join(std::string_view tag, std::string_view a) {
  std::string out{tag};
  out += a;
  return out;
}

std::string join(std::string_view tag, std::string_view a, std::string_view b) {
  auto out = join(tag, a);
  out += '\0';
  out += b;
  return out;
}

} // namespace

std::string entity(std::string_view urn) {
  return join("e/", urn);
}

std::string children(std::string_view parent) {
  return join("c/", parent, "");
}

std::string child(std::string_view parent, std::string_view urn) {
  return join("c/", parent, urn);
}

std::string all_children(std::string_view parent) {
  return join("a/", parent, "");
}

std::string any_child(std::string_view parent, std::string_view urn) {
  return join("a/", parent, urn);
}

std::string history(std::string_view urn) {
  return join("h/", urn, "");
}

std::string change(std::string_view urn, uint64_t offset) {
  auto out = history(urn);
  for (int shift = 56; shift >= 0; shift -= 8)
    out += static_cast<char>((offset >> shift) & 0xFF);
  return out;
}

std::string user(std::string_view name) {
  return join("u/", name);
}

std::string token(std::string_view sha256) {
  return join("t/", sha256);
}

std::string token_id(std::string_view id) {
  return join("i/", id);
}

std::string tokens_of(std::string_view owner) {
  return join("o/", owner, "");
}

std::string owned_token(std::string_view owner, std::string_view id) {
  return join("o/", owner, id);
}

std::string entity_count() {
  return "n/entities";
}

std::string_view suffix(std::string_view key, std::string_view prefix) {
  return key.size() >= prefix.size() ? key.substr(prefix.size()) : std::string_view{};
}

} // namespace almanac::catalog::keys
