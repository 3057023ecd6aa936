// Configuration: defaults, file < environment < flags precedence, and errors
// that name the bad key and value.
#define BOOST_TEST_MODULE settings
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "config/settings.hpp"
#include "messages/error.hpp"

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace almanac;
using namespace almanac::config;

namespace {

struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    char name[] = "/tmp/almanac-config-XXXXXX";
    int fd = mkstemp(name);
    ::close(fd);
    path = std::string{name} + ".toml";
    std::rename(name, path.c_str());
    std::ofstream{path} << text;
  }
  ~temp_file() {
    std::remove(path.c_str());
  }
};

std::string error_text(const caf::error& err) {
  return message_of(err);
}

} // namespace

BOOST_AUTO_TEST_CASE(every_setting_has_a_valid_default_and_a_description) {
  settings s;
  for (auto& spec : schema()) {
    BOOST_TEST_CONTEXT(spec.key) {
      BOOST_CHECK(!spec.description.empty());
      BOOST_CHECK(!validate(spec.key, spec.default_value));
      BOOST_CHECK_EQUAL(s.get(spec.key), spec.default_value);
      BOOST_CHECK_EQUAL(s.origin(spec.key), "default");
    }
  }
  BOOST_CHECK_EQUAL(s.get("http.listen"), "127.0.0.1:8080");
  BOOST_CHECK_EQUAL(s.get_uint("supervisor.max_restarts"), 5u);
  BOOST_CHECK_EQUAL(s.get_uint("supervisor.window_s"), 60u);
  BOOST_CHECK(!s.get_bool("enable_fault_injection"));
}

BOOST_AUTO_TEST_CASE(names_of_flags_and_environment_variables) {
  BOOST_CHECK_EQUAL(flag_name("http.max_body_bytes"), "--http-max-body-bytes");
  BOOST_CHECK_EQUAL(flag_name("data_dir"), "--data-dir");
  BOOST_CHECK_EQUAL(env_name("http.listen"), "ALMANAC_HTTP_LISTEN");
  BOOST_CHECK_EQUAL(env_name("enable_fault_injection"),
                    "ALMANAC_ENABLE_FAULT_INJECTION");
}

BOOST_AUTO_TEST_CASE(precedence_is_file_then_environment_then_flags) {
  temp_file f{"data_dir = \"/from/file\"\n[http]\nlisten = \"127.0.0.1:1111\"\n"
              "max_body_bytes = 2048\n[supervisor]\nmax_restarts = 7\n"};
  sources src;
  src.file = f.path;
  src.env = {{"ALMANAC_HTTP_LISTEN", "127.0.0.1:2222"},
             {"ALMANAC_SUPERVISOR_MAX_RESTARTS", "8"},
             {"UNRELATED", "x"}};
  src.flags = {{"supervisor.max_restarts", "9"}};
  auto s = load(src);
  if (!s)
    BOOST_FAIL(render(s.error()));
  BOOST_CHECK_EQUAL(s->get("data_dir"), "/from/file");      // file
  BOOST_CHECK_EQUAL(s->get_uint("http.max_body_bytes"), 2048u);
  BOOST_CHECK_EQUAL(s->get("http.listen"), "127.0.0.1:2222"); // env beats file
  BOOST_CHECK_EQUAL(s->get_uint("supervisor.max_restarts"), 9u); // flag beats env
  BOOST_CHECK(s->origin("data_dir").find("file") != std::string::npos);
  BOOST_CHECK(s->origin("http.listen").find("ALMANAC_HTTP_LISTEN")
              != std::string::npos);
  BOOST_CHECK_EQUAL(s->get("logging.level"), "info"); // untouched default
  auto toml = s->to_toml();
  BOOST_CHECK(toml.find("listen = \"127.0.0.1:2222\"") != std::string::npos);
  BOOST_CHECK(toml.find("max_restarts = 9") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(each_bad_value_names_its_key_and_value) {
  struct bad_case {
    std::string key;
    std::string value;
  };
  std::vector<bad_case> cases = {
    {"http.listen", "nohost"},
    {"http.listen", "127.0.0.1:99999"},
    {"http.max_body_bytes", "-5"},
    {"http.max_body_bytes", "12"},      // below the minimum
    {"supervisor.max_restarts", "many"},
    {"logging.level", "loud"},
    {"enable_fault_injection", "yes"},
    {"eventlog.fsync", "sometimes"},
    {"data_dir", ""},
  };
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(c.key << "=" << c.value) {
      sources src;
      src.flags = {{c.key, c.value}};
      auto s = load(src);
      BOOST_REQUIRE(!s);
      BOOST_CHECK(code_of(s.error()) == ec::invalid_config);
      auto text = error_text(s.error());
      BOOST_CHECK_MESSAGE(text.find(c.key) != std::string::npos, text);
      BOOST_CHECK_MESSAGE(text.find("'" + c.value + "'") != std::string::npos,
                          text);
      BOOST_CHECK_MESSAGE(text.find("flag") != std::string::npos, text);
    }
  }
  // Environment values are validated the same way and say where they came from.
  sources env_src;
  env_src.env = {{"ALMANAC_SCHEDULER_THREADS", "lots"}};
  auto s = load(env_src);
  BOOST_REQUIRE(!s);
  BOOST_CHECK(error_text(s.error()).find("ALMANAC_SCHEDULER_THREADS")
              != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_files_are_errors_naming_the_problem) {
  {
    temp_file f{"[http]\nlisten = 8080\n"}; // wrong type: integer, not HOST:PORT
    auto s = load(sources{f.path, {}, {}});
    BOOST_REQUIRE(!s);
    BOOST_CHECK(error_text(s.error()).find("http.listen") != std::string::npos);
  }
  {
    temp_file f{"[http]\nlistne = \"127.0.0.1:1\"\n"}; // typo
    auto s = load(sources{f.path, {}, {}});
    BOOST_REQUIRE(!s);
    BOOST_CHECK(error_text(s.error()).find("unknown setting 'http.listne'")
                != std::string::npos);
  }
  {
    temp_file f{"this is not toml ="};
    auto s = load(sources{f.path, {}, {}});
    BOOST_REQUIRE(!s);
    BOOST_CHECK(error_text(s.error()).find(f.path) != std::string::npos);
  }
  {
    auto s = load(sources{"/nonexistent/almanac.toml", {}, {}});
    BOOST_REQUIRE(!s);
    BOOST_CHECK(error_text(s.error()).find("/nonexistent/almanac.toml")
                != std::string::npos);
  }
  {
    sources src;
    src.flags = {{"no.such.key", "1"}};
    auto s = load(src);
    BOOST_REQUIRE(!s);
    BOOST_CHECK(error_text(s.error()).find("no.such.key") != std::string::npos);
  }
}

// --print-config's output is a configuration file --config accepts, with
// the same values (issue 10, item 14: a [] header for top-level keys).
BOOST_AUTO_TEST_CASE(printed_configuration_loads_back) {
  sources first;
  first.flags = {{"enable_fault_injection", "true"}, {"http.max_body_bytes", "4096"},
                 {"data_dir", "/tmp/x"}};
  auto s = load(first);
  if (!s)
    BOOST_FAIL(render(s.error()));
  auto toml = s->to_toml();
  BOOST_CHECK(toml.find("[]") == std::string::npos);
  temp_file f{toml};
  sources again;
  again.file = f.path;
  auto t = load(again);
  if (!t)
    BOOST_FAIL(render(t.error()));
  for (auto& spec : schema())
    BOOST_CHECK_MESSAGE(t->get(spec.key) == s->get(spec.key), spec.key);
}
