#pragma once

// The key layout of the catalog state store (one RocksDB database):
//
//   e/<urn>                       current entity (JSON, entity.hpp; no children)
//   c/<parent urn>\0<child urn>   "" — current children
//   a/<parent urn>\0<child urn>   "" — every child ever (children as of)
//   h/<urn>\0<offset: 8 bytes BE> one change (JSON, see catalog_projection.hpp)
//   u/<user name>                 user (JSON {"name", "role", "created"})
//   t/<token sha256>              token (JSON {"id", "owner", "role",
//                                 "revoked", "issued", "revoked_by"})
//   i/<token id>                  token sha256
//   o/<owner>\0<token id>         "" — tokens of a user
//   n/entities                    number of current entities (decimal)
//
// URNs, user names and token ids never contain NUL (URNs percent-encode
// control characters), so "\0" ends a component.

#include <cstdint>
#include <string>
#include <string_view>

namespace almanac::catalog::keys {

std::string entity(std::string_view urn);

/// The prefix of the current children of `parent`.
std::string children(std::string_view parent);

std::string child(std::string_view parent, std::string_view urn);

/// The prefix of every child `parent` ever had.
std::string all_children(std::string_view parent);

std::string any_child(std::string_view parent, std::string_view urn);

/// The prefix of the history of `urn`.
std::string history(std::string_view urn);

std::string change(std::string_view urn, uint64_t offset);

std::string user(std::string_view name);

std::string token(std::string_view sha256);

std::string token_id(std::string_view id);

/// The prefix of the tokens of `owner`.
std::string tokens_of(std::string_view owner);

std::string owned_token(std::string_view owner, std::string_view id);

/// The key of the entity counter.
std::string entity_count();

/// Returns what follows `prefix` in `key` (the child URN, the token id...).
std::string_view suffix(std::string_view key, std::string_view prefix);

} // namespace almanac::catalog::keys
