#define BOOST_TEST_MODULE log_commands
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "log_test_helpers.hpp"

#include "storage/log/log_commands.hpp"

#include <nlohmann/json.hpp>

#include <sstream>

using namespace almanac;
using namespace almanac::storage;
using namespace almanac::storage::test;

namespace {

std::vector<nlohmann::json> parse_lines(const std::string& text) {
  std::vector<nlohmann::json> result;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line))
    result.push_back(nlohmann::json::parse(line));
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(timestamps_are_iso_8601_utc) {
  BOOST_TEST(format_timestamp_ms(0) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(format_timestamp_ms(1700000000123) == "2023-11-14T22:13:20.123Z");
  BOOST_TEST(format_timestamp_ms(-1) == "1969-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(append_then_dump_and_stat) {
  temp_dir tmp;
  std::istringstream in{"{\"a\":1}\n\n[1,2,3]\nnot json\n\"text\"\n"};
  std::ostringstream out;
  std::ostringstream err;
  BOOST_TEST(log_append(tmp.path, "dataset_created", "ds/1", in, out, err)
             == 1); // one bad line
  BOOST_TEST(out.str() == "0\n1\n2\n");
  BOOST_TEST(err.str().find("line 4") != std::string::npos);

  std::ostringstream dump;
  BOOST_TEST(log_dump(tmp.path, 0, std::nullopt, dump, err) == 0);
  auto lines = parse_lines(dump.str());
  BOOST_TEST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines[0]["offset"] == 0);
  BOOST_TEST(lines[0]["type"] == "dataset_created");
  BOOST_TEST(lines[0]["key"] == "ds/1");
  BOOST_TEST(lines[0]["epoch"] == 1);
  BOOST_TEST(lines[0]["position"] == 0);
  BOOST_TEST(lines[0]["payload"] == nlohmann::json::parse(R"({"a":1})"));
  BOOST_TEST(lines[1]["payload"] == nlohmann::json::parse("[1,2,3]"));
  BOOST_TEST(lines[2]["payload"] == "text");
  auto ts = lines[0]["timestamp"].get<std::string>();
  BOOST_TEST(ts.size() == 24u);
  BOOST_TEST(ts.back() == 'Z');
  BOOST_TEST(lines[0]["timestamp_ms"].get<int64_t>() > 1600000000000);

  std::ostringstream range;
  BOOST_TEST(log_dump(tmp.path, 1, uint64_t{2}, range, err) == 0);
  lines = parse_lines(range.str());
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0]["offset"] == 1);

  std::ostringstream stat;
  BOOST_TEST(log_stat(tmp.path, stat, err) == 0);
  BOOST_TEST(stat.str().find("end_offset: 3") != std::string::npos);
  BOOST_TEST(stat.str().find("00000000000000000000-0001.log")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(non_json_payloads_dump_as_strings) {
  temp_dir tmp;
  {
    log_options opts;
    opts.dir = log_dir_of(tmp.path);
    auto log = open_log(opts);
    append_one(*log, "plain text");
    append_one(*log, std::string("\xff\xfe bytes", 8));
  }
  std::ostringstream dump;
  std::ostringstream err;
  BOOST_TEST(log_dump(tmp.path, 0, std::nullopt, dump, err) == 0);
  auto lines = parse_lines(dump.str());
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0]["payload"] == "plain text");
  BOOST_TEST(lines[1]["payload"].is_string());
}

BOOST_AUTO_TEST_CASE(commands_fail_cleanly) {
  temp_dir tmp;
  std::ostringstream out;
  std::ostringstream err;
  // No log yet: stat and dump do not create one.
  BOOST_TEST(log_stat(tmp.path + "/nothing", out, err) == 1);
  BOOST_TEST(log_dump(tmp.path + "/nothing", 0, std::nullopt, out, err) == 1);
  BOOST_TEST(!std::filesystem::exists(tmp.path + "/nothing/log"));
  BOOST_TEST(err.str().find("not_found") != std::string::npos);
  // A running node holds the lock.
  log_options opts;
  opts.dir = log_dir_of(tmp.path);
  auto log = open_log(opts);
  std::ostringstream err2;
  std::istringstream in{"{}\n"};
  BOOST_TEST(log_append(tmp.path, "t", "k", in, out, err2) == 1);
  BOOST_TEST(err2.str().find("locked") != std::string::npos);
  BOOST_TEST(log->end_offset() == 0u);
}
