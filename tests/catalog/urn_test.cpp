#define BOOST_TEST_MODULE catalog_urn
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "tests/catalog/test_helpers.hpp"

#include "messages/time.hpp"
#include "messages/text_checks.hpp"
#include "messages/urn.hpp"
#include "messages/error.hpp"

using namespace almanac;
using namespace almanac::catalog;
using almanac::catalog::test::why;

namespace {

std::string urn_of(entity_kind k, std::vector<std::string> names) {
  auto u = make_urn(k, names);
  BOOST_REQUIRE_MESSAGE(u, why(u));
  return *u;
}

/// Parses `urn`, expecting an invalid_argument that mentions `needle`.
void expect_invalid(const std::string& urn, const std::string& needle) {
  auto p = parse_urn(urn);
  BOOST_REQUIRE_MESSAGE(!p, "accepted " + urn);
  BOOST_CHECK(code_of(p.error()) == ec::invalid_argument);
  auto msg = message_of(p.error());
  BOOST_CHECK_MESSAGE(msg.find("invalid identifier") != std::string::npos, msg);
  BOOST_CHECK_MESSAGE(msg.find(needle) != std::string::npos,
                      "'" + msg + "' lacks '" + needle + "'");
}

} // namespace

BOOST_AUTO_TEST_CASE(plain_names) {
  BOOST_CHECK_EQUAL(urn_of(entity_kind::column, {"pagila", "public", "film", "title"}),
                    "urn:almanac:column:pagila.public.film.title");
  BOOST_CHECK_EQUAL(urn_of(entity_kind::source, {"pagila"}), "urn:almanac:source:pagila");
  BOOST_CHECK_EQUAL(urn_of(entity_kind::term, {"Customer"}), "urn:almanac:term:Customer");
  auto p = parse_urn("urn:almanac:table:pagila.public.film");
  BOOST_REQUIRE(p);
  BOOST_CHECK(p->kind == entity_kind::table);
  BOOST_CHECK((p->names == std::vector<std::string>{"pagila", "public", "film"}));
}

BOOST_AUTO_TEST_CASE(tricky_names_round_trip) {
  std::vector<std::vector<std::string>> cases = {
    {"my.db", "sch/ema", "50%off", "first name"},
    {"tab\there", "new\nline", "a:b", "ünïcødé"},
    {"%2E", "..", "%", "\x7f"},
    {"日本語", "スキーマ", "表", "列 1"},
    {"\x01", "a\rb", "x\u00a0y", "end."},
  };
  for (auto& names : cases) {
    auto urn = urn_of(entity_kind::column, names);
    // Exactly four path segments: every '.' inside a name is encoded.
    auto path = urn.substr(std::string{"urn:almanac:column:"}.size());
    BOOST_CHECK_EQUAL(std::count(path.begin(), path.end(), '.'), 3);
    BOOST_CHECK(path.find(' ') == std::string::npos);
    BOOST_CHECK(path.find('/') == std::string::npos);
    auto back = parse_urn(urn);
    BOOST_REQUIRE_MESSAGE(back, why(back));
    BOOST_CHECK(back->kind == entity_kind::column);
    BOOST_CHECK(back->names == names);
  }
  BOOST_CHECK_EQUAL(urn_of(entity_kind::table, {"my.db", "s p", "50%"}),
                    "urn:almanac:table:my%2Edb.s%20p.50%25");
  // Non-ASCII stays as-is.
  BOOST_CHECK_EQUAL(urn_of(entity_kind::tag, {"ünï"}), "urn:almanac:tag:ünï");
}

BOOST_AUTO_TEST_CASE(make_urn_errors) {
  auto depth = make_urn(entity_kind::table, {"a", "b"});
  BOOST_REQUIRE(!depth);
  BOOST_CHECK(code_of(depth.error()) == ec::invalid_argument);
  BOOST_CHECK(message_of(depth.error()).find("3 name(s)") != std::string::npos);
  auto empty = make_urn(entity_kind::schema, {"a", ""});
  BOOST_REQUIRE(!empty);
  BOOST_CHECK(message_of(empty.error()).find("empty name") != std::string::npos);
  auto bad_utf8 = make_urn(entity_kind::source, {"a\xff"});
  BOOST_REQUIRE(!bad_utf8);
  BOOST_CHECK(message_of(bad_utf8.error()).find("UTF-8") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(parse_errors_name_the_problem) {
  expect_invalid("", "must start with 'urn:almanac:'");
  expect_invalid("urn:other:table:a.b.c", "must start with 'urn:almanac:'");
  expect_invalid("urn:almanac:table", "missing ':'");
  expect_invalid("urn:almanac:materialized_view:a.b.c", "unknown kind 'materialized_view'");
  expect_invalid("urn:almanac:Table:a.b.c", "unknown kind");
  expect_invalid("urn:almanac:table:", "empty path");
  expect_invalid("urn:almanac:table:a..c", "empty name");
  expect_invalid("urn:almanac:table:a.b.", "empty name");
  expect_invalid("urn:almanac:table:a.b", "3 name(s) in its path, not 2");
  expect_invalid("urn:almanac:column:a.b.c.d.e", "not 5");
  expect_invalid("urn:almanac:table:a.b.c d", "' ' must be percent-encoded as %20");
  expect_invalid("urn:almanac:table:a.b.c/d", "percent-encoded as %2F");
  expect_invalid("urn:almanac:table:a.b.c\x01", "\\x01");
  expect_invalid("urn:almanac:table:a.b.c%", "truncated percent escape");
  expect_invalid("urn:almanac:table:a.b.c%2", "truncated percent escape");
  expect_invalid("urn:almanac:table:a.b.c%zz", "two hex digits");
  expect_invalid("urn:almanac:table:a.b.c%2e", "non-canonical escape '%2e'");
  expect_invalid("urn:almanac:table:a.b.%41", "non-canonical escape '%41'");
  expect_invalid("urn:almanac:table:a.b.c%FF", "non-canonical");
  expect_invalid("urn:almanac:table:a.b.\xc3\x28", "not valid UTF-8");
}

BOOST_AUTO_TEST_CASE(error_messages_are_printable) {
  auto p = parse_urn("urn:almanac:table:a.b.\xff\x01");
  BOOST_REQUIRE(!p);
  auto msg = message_of(p.error());
  BOOST_CHECK(valid_utf8(msg));
  BOOST_CHECK(!control_char_at(msg, false));
}

BOOST_AUTO_TEST_CASE(parents) {
  BOOST_CHECK_EQUAL(*parent_urn("urn:almanac:column:s.p.t.c"), "urn:almanac:table:s.p.t");
  BOOST_CHECK_EQUAL(*parent_urn("urn:almanac:column:s.p.t.c", entity_kind::view),
                    "urn:almanac:view:s.p.t");
  BOOST_CHECK_EQUAL(*parent_urn("urn:almanac:table:s.p.t"), "urn:almanac:schema:s.p");
  BOOST_CHECK_EQUAL(*parent_urn("urn:almanac:view:s.p.t"), "urn:almanac:schema:s.p");
  BOOST_CHECK_EQUAL(*parent_urn("urn:almanac:schema:s%2E1.p"), "urn:almanac:source:s%2E1");
  BOOST_CHECK(!parent_urn("urn:almanac:source:s"));
  BOOST_CHECK(!parent_urn("urn:almanac:term:t"));
  BOOST_CHECK(!parent_urn("urn:almanac:table:s.p.t", entity_kind::source));
  BOOST_CHECK(!parent_urn("not a urn"));
  BOOST_CHECK_EQUAL(expected_depth(entity_kind::source), 1u);
  BOOST_CHECK_EQUAL(expected_depth(entity_kind::schema), 2u);
  BOOST_CHECK_EQUAL(expected_depth(entity_kind::view), 3u);
  BOOST_CHECK_EQUAL(expected_depth(entity_kind::column), 4u);
  for (auto k : {entity_kind::query, entity_kind::term, entity_kind::user, entity_kind::tag})
    BOOST_CHECK_EQUAL(expected_depth(k), 1u);
  for (auto k : all_kinds())
    BOOST_CHECK(parse_kind(to_string(k)) == k);
}

BOOST_AUTO_TEST_CASE(utf8_and_controls) {
  BOOST_CHECK(valid_utf8("plain ascii"));
  BOOST_CHECK(valid_utf8("ünï 日本 \xF0\x9F\x98\x80"));
  BOOST_CHECK(!valid_utf8("\xC0\xAF"));         // overlong '/'
  BOOST_CHECK(!valid_utf8("\xED\xA0\x80"));     // surrogate
  BOOST_CHECK(!valid_utf8("\xF4\x90\x80\x80")); // above U+10FFFF
  BOOST_CHECK(!valid_utf8("\xE2\x82"));         // truncated
  BOOST_CHECK(!valid_utf8("\x80"));
  BOOST_CHECK(!control_char_at("a\nb\tc", true));
  BOOST_CHECK_EQUAL(*control_char_at("a\nb", false), 1u);
  BOOST_CHECK_EQUAL(*control_char_at("ab\r", true), 2u);
  BOOST_CHECK_EQUAL(*control_char_at("a\x7f", true), 1u);
  BOOST_CHECK_EQUAL(*control_char_at("a\xC2\x85", true), 1u); // NEL (C1)
  BOOST_CHECK(!control_char_at("\xC2\xA0", false));          // NBSP is fine
  BOOST_CHECK_EQUAL(printable("a\x01\xff" "b"), "a\\x01\\xFFb");
}

BOOST_AUTO_TEST_CASE(iso_times) {
  BOOST_CHECK_EQUAL(iso_time(0), "1970-01-01T00:00:00.000Z");
  BOOST_CHECK_EQUAL(iso_time(1714566896789), "2024-05-01T12:34:56.789Z");
  BOOST_CHECK_EQUAL(iso_time(951782400000), "2000-02-29T00:00:00.000Z");
  BOOST_CHECK_EQUAL(iso_time(-1), "1969-12-31T23:59:59.999Z");
  BOOST_CHECK_EQUAL(*parse_iso_time("2024-05-01T12:34:56.789Z"), 1714566896789);
  BOOST_CHECK_EQUAL(*parse_iso_time("2024-05-01T12:34:56.789123Z"), 1714566896789);
  BOOST_CHECK_EQUAL(*parse_iso_time("2024-05-01 12:34:56"), 1714566896000);
  BOOST_CHECK_EQUAL(*parse_iso_time("2024-05-01T14:34:56+02:00"), 1714566896000);
  BOOST_CHECK_EQUAL(*parse_iso_time("2024-05-01T12:34"), 1714566840000);
  BOOST_CHECK_EQUAL(*parse_iso_time("2024-05-01"), 1714521600000);
  BOOST_CHECK_EQUAL(*parse_iso_time("2000-02-29"), 951782400000);
  for (auto bad : {"", "2024", "2024-13-01", "2023-02-29", "2024-05-01T25:00",
                   "2024-05-01T12:34:56.", "2024-05-01T12:34:56Zjunk",
                   "2024-05-01X12:00", "2024-05-01T12:34+0200", "12345"})
    BOOST_CHECK_MESSAGE(!parse_iso_time(bad), bad);
  for (int64_t ms : {int64_t{0}, int64_t{1714566896789}, int64_t{4102444799999}})
    BOOST_CHECK_EQUAL(*parse_iso_time(iso_time(ms)), ms);
}
