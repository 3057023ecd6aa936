#include "api_bench_http.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace api_bench {

void die(const std::string& what) {
  std::fprintf(stderr, "api_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string encode_urn(const std::string& urn) {
  // The bench's URNs hold only letters, digits, '.', '_' and ':'.
  std::string out;
  for (char c : urn)
    out += c == ':' ? std::string("%3A") : std::string(1, c);
  return out;
}

// -- http_conn ----------------------------------------------------------------

http_conn::http_conn(uint16_t port, std::string token)
  : port_(port), token_(std::move(token)) {
}

http_conn::~http_conn() {
  close();
}

void http_conn::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  in_.clear();
  pos_ = 0;
}

bool http_conn::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    return false;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close();
    return false;
  }
  return true;
}

bool http_conn::fill() {
  if (pos_ > 0 && pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  }
  char buf[16384];
  for (;;) {
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return false;
  }
}

bool http_conn::read_line(std::string& line) {
  for (;;) {
    auto eol = in_.find("\r\n", pos_);
    if (eol != std::string::npos) {
      line.assign(in_, pos_, eol - pos_);
      pos_ = eol + 2;
      return true;
    }
    if (!fill())
      return false;
  }
}

bool http_conn::read_exact(size_t n, std::string& out) {
  while (in_.size() - pos_ < n)
    if (!fill())
      return false;
  out.append(in_, pos_, n);
  pos_ += n;
  return true;
}

int http_conn::request(const char* method, const std::string& path,
                       const std::string& json_body, std::string& body) {
  body.clear();
  if (fd_ < 0 && !connect())
    return -1;
  std::string req;
  req.reserve(256 + json_body.size());
  req += method;
  req += ' ';
  req += path;
  req += " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ";
  req += token_;
  req += "\r\n";
  if (!json_body.empty()) {
    req += "Content-Type: application/json\r\nContent-Length: ";
    req += std::to_string(json_body.size());
    req += "\r\n\r\n";
    req += json_body;
  } else {
    req += "\r\n";
  }
  size_t sent = 0;
  while (sent < req.size()) {
    auto n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      close();
      return -1;
    }
    sent += static_cast<size_t>(n);
  }
  std::string line;
  if (!read_line(line) || line.size() < 12 || line.compare(0, 5, "HTTP/") != 0) {
    close();
    return -1;
  }
  int status = std::atoi(line.c_str() + 9);
  long long length = -1;
  bool chunked = false;
  bool keep = line.compare(0, 8, "HTTP/1.1") == 0;
  for (;;) {
    if (!read_line(line)) {
      close();
      return -1;
    }
    if (line.empty())
      break;
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    for (auto& c : value)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "content-length")
      length = std::atoll(value.c_str());
    else if (name == "transfer-encoding" && value.find("chunked") != std::string::npos)
      chunked = true;
    else if (name == "connection")
      keep = value.find("close") == std::string::npos;
  }
  bool ok = true;
  if (chunked) {
    for (;;) {
      if (!read_line(line)) {
        ok = false;
        break;
      }
      auto n = std::strtoull(line.c_str(), nullptr, 16);
      if (n == 0) {
        while ((ok = read_line(line)) && !line.empty()) {
        }
        break;
      }
      if (!read_exact(n, body) || !read_line(line)) {
        ok = false;
        break;
      }
    }
  } else if (length >= 0) {
    ok = read_exact(static_cast<size_t>(length), body);
  } else {
    while (fill()) {
    }
    body.assign(in_, pos_, std::string::npos);
    keep = false;
  }
  if (!ok) {
    close();
    return -1;
  }
  if (!keep)
    close();
  return status;
}

// -- node ---------------------------------------------------------------------

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    die("cannot find a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}


node::node(const std::string& binary, const std::string& data_dir,
           const std::string& token)
  : node(binary, data_dir, token, {}, {}) {
}

void node::kill_now() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

node::node(const std::string& binary, const std::string& data_dir,
           const std::string& token, const std::vector<std::string>& flags,
           const std::vector<std::string>& env, uint16_t port) {
  port_ = port != 0 ? port : free_port();
  auto listen = "127.0.0.1:" + std::to_string(port_);
  auto log_path = data_dir + ".log";
  std::vector<std::string> args{binary,   "--data-dir",      data_dir,
                                "--http-listen", listen, "--logging-level",
                                "warn"};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "ALMANAC_", 8) != 0)
      env_store.emplace_back(*e);
  env_store.push_back("ALMANAC_ADMIN_TOKEN=" + token);
  env_store.insert(env_store.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_store)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = posix_spawn(&pid_, binary.c_str(), &fa, nullptr, argv.data(),
                       envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    die("cannot start " + binary + ": " + std::strerror(rc));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  http_conn c(port_, token);
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      die(binary + " exited at start; see " + log_path);
    }
    if (c.request("GET", "/health", "", body) == 200
        && body.find("\"ok\"") != std::string::npos)
      return;
    c.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  die(binary + " did not become healthy within 20 s; see " + log_path);
}

node::~node() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 1500; ++i) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
}

} // namespace api_bench
