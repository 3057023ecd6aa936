#pragma once

// Helpers shared by the catalog test suites (include after
// boost/test/unit_test.hpp).

#include "actors/catalog/catalog_projection.hpp"
#include "actors/catalog/domain/commands.hpp"
#include "messages/error.hpp"

#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace almanac::catalog::test {

/// The rendered error of `x`, or "" if it holds a value (safe to call
/// either way; Boost.Test evaluates messages eagerly).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : render(x.error());
}

/// Checks that `result` failed with `code` and a message containing `needle`.
template <class R>
void expect_error(const caf::expected<command_result<R>>& result, ec code,
                  const std::string& needle) {
  BOOST_REQUIRE_MESSAGE(!result, "accepted; expected " + needle);
  BOOST_CHECK_MESSAGE(code_of(result.error()) == code,
                      "got " + render(result.error()) + ", want " + to_string(code));
  auto msg = message_of(result.error());
  BOOST_CHECK_MESSAGE(msg.find(needle) != std::string::npos,
                      "'" + msg + "' lacks '" + needle + "'");
}

/// A fresh directory under /tmp, removed with the object.
struct temp_dir {
  temp_dir() {
    std::string pattern = "/tmp/almanac-catalog-XXXXXX";
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

/// The URNs catalog_fixture::add_chain() registers.
namespace chain {
inline const std::string source = "urn:almanac:source:s";
inline const std::string schema = "urn:almanac:schema:s.p";
inline const std::string table = "urn:almanac:table:s.p.t";
inline const std::string column = "urn:almanac:column:s.p.t.c";
} // namespace chain

/// A catalog projection in a temp dir, fed like the driver would: records
/// get dense offsets and a clock that advances 1 s per record.
struct catalog_fixture {
  catalog_fixture() {
    reopen();
  }

  /// Destroys and reopens the projection (as after a restart).
  void reopen() {
    state.reset();
    state = std::make_unique<catalog_projection>(dir.path + "/state");
    auto cp = state->open();
    if (!cp)
      throw std::runtime_error(render(cp.error()));
  }

  /// Turns `events` into records and applies them as one batch.
  std::vector<event_record> append(const std::vector<event_input>& events) {
    std::vector<event_record> records;
    for (auto& e : events)
      records.push_back(event_record{next_offset++, 1, now_ms += 1000, e.type, e.key,
                                     e.payload, 0});
    if (auto err = state->apply(records, next_offset))
      throw std::runtime_error(render(err));
    return records;
  }

  /// Applies the events of a successful command; returns its reply as the
  /// HTTP API renders it, without the offset (the catalog actor sets it).
  template <class R>
  nlohmann::json commit(const caf::expected<command_result<R>>& result) {
    if (!result)
      throw std::runtime_error(render(result.error()));
    append(result->events);
    nlohmann::json reply = result->reply;
    reply.erase("offset");
    return reply;
  }

  /// Registers an entity from a body, as user "bob" (a source as the
  /// sources API does).
  nlohmann::json add(const nlohmann::json& body) {
    if (body.value("kind", "") == "source")
      return commit(register_source(body, "bob", *state));
    return commit(register_entity(body, "bob", *state));
  }

  /// Registers the chain source s, schema s.p, table s.p.t, column s.p.t.c.
  void add_chain() {
    add({{"urn", chain::source}, {"kind", "source"}});
    add({{"urn", chain::schema}, {"kind", "schema"}});
    add({{"urn", chain::table}, {"kind", "table"}});
    add({{"urn", chain::column}, {"kind", "column"}});
  }

  temp_dir dir;
  std::unique_ptr<catalog_projection> state;
  uint64_t next_offset = 0;
  int64_t now_ms = 1714566896000;
};

} // namespace almanac::catalog::test
