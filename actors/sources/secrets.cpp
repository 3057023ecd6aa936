#include "actors/sources/secrets.hpp"

#include "actors/sources/connection_rules.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace almanac::sources {

namespace {

nlohmann::json load(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return nlohmann::json::object();
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

} // namespace

secret_store::secret_store(std::string path) : path_(std::move(path)) {
  // nop
}

caf::error secret_store::write_locked(const std::string& text) {
  auto tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    return make_error(ec::io_error, "cannot write " + tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())
            && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path_.c_str()) != 0)
    return make_error(ec::io_error, "cannot write " + path_);
  return caf::none;
}

caf::error secret_store::put(const std::string& name, const std::string& value) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto j = load(path_);
  j[name] = value;
  return write_locked(j.dump(2));
}

std::optional<std::string> secret_store::get(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto j = load(path_);
  if (!j.contains(name) || !j[name].is_string())
    return std::nullopt;
  return j[name].get<std::string>();
}

caf::error secret_store::remove(const std::string& name) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto j = load(path_);
  if (!j.contains(name))
    return caf::none;
  j.erase(name);
  return write_locked(j.dump(2));
}

caf::expected<std::string> resolve_password(const secret_store& secrets,
                                            const std::string& source,
                                            const std::string& password_env,
                                            const std::string& password_ref) {
  // Checked again at use: the log may hold a connection from before a rule.
  if (!password_env.empty()) {
    if (auto err = check_password_env(password_env))
      return make_error(ec::forbidden, "source " + source + ": " + message_of(err));
    auto v = std::getenv(password_env.c_str());
    if (!v)
      return make_error(ec::unauthenticated,
                        "source " + source + ": environment variable "
                          + password_env + " (password_env) is not set on this node");
    return std::string{v};
  }
  if (!password_ref.empty()) {
    if (auto err = check_password_ref(source, password_ref))
      return err;
    auto v = secrets.get(password_ref);
    if (!v)
      return make_error(ec::unauthenticated,
                        "source " + source + ": secret " + password_ref
                          + " is not in this node's secrets file");
    return *v;
  }
  return std::string{};
}

} // namespace almanac::sources
