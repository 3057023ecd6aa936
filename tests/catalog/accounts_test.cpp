#define BOOST_TEST_MODULE catalog_accounts
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "tests/catalog/test_helpers.hpp"

#include "actors/catalog/domain/accounts.hpp"
#include "actors/catalog/domain/token.hpp"

using namespace almanac;
using namespace almanac::catalog;
using namespace almanac::catalog::test;
using json = nlohmann::json;

namespace {

struct fixture : catalog_fixture {
  /// Creates a user and returns the reply (with its first token).
  json create(const std::string& name, const std::string& role) {
    auto result = create_user({{"user", name}, {"role", role}}, "root", *state);
    BOOST_REQUIRE_MESSAGE(result, why(result));
    for (auto& e : result->events)
      payloads.push_back(e.payload);
    return commit(result);
  }

  json issue(const json& body) {
    auto result = issue_token(body, "root", *state);
    BOOST_REQUIRE_MESSAGE(result, why(result));
    for (auto& e : result->events)
      payloads.push_back(e.payload);
    return commit(result);
  }

  std::optional<json> lookup(const std::string& token) {
    auto found = state->find_token(hash_token(token));
    BOOST_REQUIRE_MESSAGE(found, why(found));
    return *found;
  }

  std::vector<std::string> payloads;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(accounts, fixture)

BOOST_AUTO_TEST_CASE(token_hash_is_sha256_hex) {
  BOOST_CHECK_EQUAL(hash_token("abc"),
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto a = generate_token();
  auto b = generate_token();
  BOOST_REQUIRE(a && b);
  BOOST_CHECK_EQUAL(a->size(), 64u);
  BOOST_CHECK_NE(*a, *b);
  auto id = new_token_id();
  BOOST_REQUIRE(id);
  BOOST_CHECK_EQUAL(id->rfind("tok-", 0), 0u);
  BOOST_CHECK_EQUAL(id->size(), 20u);
}

BOOST_AUTO_TEST_CASE(create_user_issues_a_hashed_token) {
  auto result = create_user({{"user", "alice"}, {"role", "steward"}}, "root", *state);
  BOOST_REQUIRE_MESSAGE(result, why(result));
  BOOST_REQUIRE_EQUAL(result->events.size(), 2u);
  BOOST_CHECK_EQUAL(result->events[0].type, "UserCreated@1");
  BOOST_CHECK_EQUAL(result->events[0].key, "urn:almanac:user:alice");
  BOOST_CHECK_EQUAL(result->events[1].type, "TokenIssued@1");
  auto token = result->reply.token;
  auto created = json::parse(result->events[0].payload);
  BOOST_CHECK_EQUAL(created, (json{{"user", "root"}, {"name", "alice"}, {"role", "steward"}}));
  auto issued = json::parse(result->events[1].payload);
  BOOST_CHECK_EQUAL(issued["user"], "root");
  BOOST_CHECK_EQUAL(issued["owner"], "alice");
  BOOST_CHECK_EQUAL(issued["role"], "steward");
  BOOST_CHECK_EQUAL(issued["token_sha256"], hash_token(token));
  BOOST_CHECK_EQUAL(issued["token_id"], result->reply.token_id);
  for (auto& e : result->events)
    BOOST_CHECK(e.payload.find(token) == std::string::npos);
  commit(result);
  auto who = lookup(token);
  BOOST_REQUIRE(who);
  BOOST_CHECK_EQUAL((*who)["user"], "alice");
  BOOST_CHECK_EQUAL((*who)["role"], "steward");
  BOOST_CHECK(!lookup("not-a-token"));
  auto users = state->users();
  BOOST_REQUIRE(users);
  BOOST_REQUIRE_EQUAL(users->size(), 1u);
  BOOST_CHECK_EQUAL((*users)[0]["name"], "alice");
  BOOST_CHECK_EQUAL((*users)[0]["created"]["user"], "root");
}

BOOST_AUTO_TEST_CASE(the_plain_token_is_stored_nowhere) {
  auto first = create("alice", "admin");
  auto second = issue({{"user", "alice"}, {"role", "viewer"}});
  for (auto& token : {first["token"].get<std::string>(), second["token"].get<std::string>()}) {
    for (auto& p : payloads)
      BOOST_CHECK(p.find(token) == std::string::npos);
    auto tokens = state->tokens_of("alice");
    BOOST_REQUIRE(tokens);
    BOOST_CHECK(tokens->dump().find(token) == std::string::npos);
    BOOST_CHECK(tokens->dump().find(hash_token(token)) == std::string::npos);
  }
  BOOST_CHECK_EQUAL((*lookup(second["token"]))["role"], "viewer");
}

BOOST_AUTO_TEST_CASE(issue_token_rules) {
  create("bob", "steward");
  auto reply = issue({{"user", "bob"}});
  BOOST_CHECK_EQUAL(reply["role"], "steward"); // the user's role by default
  expect_error(issue_token({{"user", "carol"}}, "root", *state), ec::not_found, "no user 'carol'");
  expect_error(issue_token({{"user", "bob"}, {"role", "admin"}}, "root", *state),
               ec::invalid_argument, "field 'role': 'admin' exceeds the role of user 'bob'");
  expect_error(issue_token({{"user", "bob"}, {"role", "king"}}, "root", *state),
               ec::invalid_argument, "field 'role' is 'king'");
  expect_error(issue_token({{"user", "bob"}, {"ttl", 5}}, "root", *state), ec::bad_request,
               "unknown field 'ttl'");
  expect_error(issue_token({{"role", "viewer"}}, "root", *state), ec::bad_request,
               "missing required field 'user'");
  expect_error(issue_token(json::array(), "root", *state), ec::bad_request, "JSON object");
  auto tokens = state->tokens_of("bob");
  BOOST_REQUIRE(tokens);
  BOOST_CHECK_EQUAL(tokens->size(), 2u);
}

BOOST_AUTO_TEST_CASE(create_user_rules) {
  create("alice", "viewer");
  expect_error(create_user({{"user", "alice"}, {"role", "viewer"}}, "root", *state),
               ec::conflict, "user 'alice' already exists");
  expect_error(create_user({{"user", "dave"}}, "root", *state), ec::bad_request,
               "missing required field 'role'");
  expect_error(create_user({{"user", "dave"}, {"role", 3}}, "root", *state), ec::bad_request,
               "field 'role' must be a string");
  expect_error(create_user({{"user", "dave"}, {"role", "root"}}, "root", *state),
               ec::invalid_argument, "field 'role'");
  for (auto bad : {"", "has space", "-dash", "semi;colon", "ünï"})
    expect_error(create_user({{"user", bad}, {"role", "viewer"}}, "root", *state),
                 ec::invalid_argument, "field 'user': invalid user name");
  expect_error(create_user({{"user", std::string(65, 'a')}, {"role", "viewer"}}, "root", *state),
               ec::invalid_argument, "field 'user'");
  expect_error(create_user({{"user", "ctl\x01"}, {"role", "viewer"}}, "root", *state),
               ec::invalid_argument, "field 'user' contains a control character");
  auto ok = create_user({{"user", "eve.o'neil"}, {"role", "viewer"}}, "root", *state);
  BOOST_CHECK(!ok);
  auto email = create_user({{"user", "eve@example.com"}, {"role", "viewer"}}, "root", *state);
  BOOST_CHECK_MESSAGE(email, why(email));
}

BOOST_AUTO_TEST_CASE(revocation) {
  auto reply = create("alice", "steward");
  auto token = reply["token"].get<std::string>();
  auto id = reply["token_id"].get<std::string>();
  BOOST_REQUIRE(lookup(token));
  auto result = revoke_token(id, "root", *state);
  BOOST_REQUIRE_MESSAGE(result, why(result));
  BOOST_REQUIRE_EQUAL(result->events.size(), 1u);
  BOOST_CHECK_EQUAL(result->events[0].type, "TokenRevoked@1");
  BOOST_CHECK_EQUAL(json::parse(result->events[0].payload),
                    (json{{"user", "root"}, {"owner", "alice"}, {"token_id", id}}));
  BOOST_CHECK_EQUAL(result->reply.changed, true);
  commit(result);
  BOOST_CHECK(!lookup(token));
  auto tokens = state->tokens_of("alice");
  BOOST_REQUIRE(tokens);
  BOOST_REQUIRE_EQUAL(tokens->size(), 1u);
  BOOST_CHECK_EQUAL((*tokens)[0]["revoked"], true);
  BOOST_CHECK_EQUAL((*tokens)[0]["revoked_by"]["user"], "root");
  // Revoking again changes nothing; an unknown id is not found.
  auto again = revoke_token(id, "root", *state);
  BOOST_REQUIRE(again);
  BOOST_CHECK(again->events.empty());
  BOOST_CHECK_EQUAL(again->reply.changed, false);
  expect_error(revoke_token("tok-nope", "root", *state), ec::not_found, "no token 'tok-nope'");
  // Survives a restart.
  reopen();
  BOOST_CHECK(!lookup(token));
}

BOOST_AUTO_TEST_CASE(issue_and_revoke_in_one_batch) {
  create("alice", "admin");
  auto issued = issue_token({{"user", "alice"}}, "root", *state);
  BOOST_REQUIRE(issued);
  auto id = issued->reply.token_id;
  auto events = issued->events;
  events.push_back({"TokenRevoked@1", "urn:almanac:user:alice",
                    json{{"user", "root"}, {"owner", "alice"}, {"token_id", id}}.dump()});
  append(events);
  BOOST_CHECK(!lookup(issued->reply.token));
  BOOST_CHECK_EQUAL(json::parse(state->status())["skipped"], 0);
}

BOOST_AUTO_TEST_SUITE_END()
