// Limits on untrusted text: UTF-8 checks, its repair, JSON depth, guarded
// parsing.
#define BOOST_TEST_MODULE messages_json_guard
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "messages/error.hpp"
#include "messages/json_guard.hpp"

using namespace almanac;

BOOST_AUTO_TEST_CASE(finds_the_first_invalid_byte) {
  BOOST_CHECK(valid_utf8("caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80"));
  BOOST_CHECK_EQUAL(find_invalid_utf8("ab\xC3"), 2u);         // cut short
  BOOST_CHECK_EQUAL(find_invalid_utf8("a\xC0\xAF"), 1u);      // overlong
  BOOST_CHECK_EQUAL(find_invalid_utf8("\xED\xA0\x80"), 0u);   // surrogate
  BOOST_CHECK_EQUAL(find_invalid_utf8("\xF4\x90\x80\x80"), 0u); // above U+10FFFF
  BOOST_CHECK_EQUAL(find_invalid_utf8("x\x80"), 1u);          // lone continuation
}

BOOST_AUTO_TEST_CASE(repair_replaces_each_invalid_byte) {
  BOOST_CHECK_EQUAL(to_valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  BOOST_CHECK_EQUAL(to_valid_utf8("2\xEF"), "2\xEF\xBF\xBD");
  BOOST_CHECK_EQUAL(to_valid_utf8("\xED\xA0\x80!"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
  BOOST_CHECK_EQUAL(to_valid_utf8(""), "");
  for (std::string s : {"\xF5\x80", "\xC0\xAF", "a\xE2\x98", "\xFF\xFE"}) {
    auto fixed = to_valid_utf8(s);
    BOOST_CHECK(valid_utf8(fixed));
    BOOST_CHECK_NO_THROW(nlohmann::json(fixed).dump());
  }
}

BOOST_AUTO_TEST_CASE(guarded_parse_names_the_problem) {
  BOOST_CHECK(parse_json_guarded(R"({"a":[1,2]})", "the body"));
  auto deep = parse_json_guarded(std::string(65, '[') + std::string(65, ']'), "the body");
  BOOST_REQUIRE(!deep);
  BOOST_CHECK(code_of(deep.error()) == ec::bad_request);
  BOOST_CHECK(message_of(deep.error()).find("deeper than 64") != std::string::npos);
  auto bad = parse_json_guarded("\"\xFF\"", "the body");
  BOOST_REQUIRE(!bad);
  BOOST_CHECK(message_of(bad.error()).find("not valid UTF-8 (byte 1)") != std::string::npos);
}
