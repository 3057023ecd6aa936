#include "node/node.hpp"

#include "actors/admin/admin_routes.hpp"
#include "actors/catalog/catalog_projection.hpp"
#include "actors/catalog/catalog_actor.hpp"
#include "actors/catalog/catalog_routes.hpp"
#include "actors/compose/compose_routes.hpp"
#include "actors/eventlog/event_log.hpp"
#include "actors/extraction/extract_job.hpp"
#include "actors/extraction/profile_job.hpp"
#include "actors/jobs/jobs.hpp"
#include "actors/search/search_routes.hpp"
#include "actors/lineage/store/lineage_routes.hpp"
#include "actors/scheduler/scheduler.hpp"
#include "actors/sources/source_routes.hpp"
#include "actors/sources/source_config.hpp"
#include "actors/usage/usage.hpp"
#include "actors/eventlog/event_routes.hpp"
#include "actors/eventlog/event_counts.hpp"
#include "actors/http/gateway.hpp"
#include "actors/http/server.hpp"
#include "actors/replication/ha_config.hpp"
#include "actors/replication/replication_actor.hpp"
#include "actors/replication/replication_routes.hpp"
#include "messages/error.hpp"
#include "messages/message_types.hpp"
#include "runtime/node_context.hpp"
#include "runtime/projection_driver.hpp"
#include "actors/analytics/analytics_projection.hpp"
#include "runtime/shared_projection.hpp"
#include "runtime/supervisor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <csignal>
#include <malloc.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace almanac::runtime {

namespace fs = std::filesystem;

caf::expected<std::string> bootstrap_admin_token(const std::string& data_dir,
                                                 bool& created) {
  created = false;
  if (auto env = getenv("ALMANAC_ADMIN_TOKEN"); env && *env)
    return std::string{env};
  auto path = (fs::path{data_dir} / "admin.token").string();
  if (fs::exists(path)) {
    std::ifstream in{path};
    std::string token;
    std::getline(in, token);
    if (token.empty())
      return make_error(ec::io_error, path + " is empty; delete it to have "
                                              "a new admin token generated");
    return token;
  }
  auto generated = http::generate_token();
  if (!generated)
    return generated.error();
  auto token = *generated;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    return make_error(ec::io_error, "cannot create " + path + ": "
                                      + std::strerror(errno));
  auto line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size())
              == static_cast<ssize_t>(line.size())
            && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return make_error(ec::io_error, "cannot write " + path);
  created = true;
  return token;
}

namespace {

// Fails fast, with a clear message, when the HTTP port is taken.
caf::error check_port(const std::string& host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return caf::none;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  auto h = host == "localhost" ? std::string{"127.0.0.1"} : host;
  if (::inet_pton(AF_INET, h.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return caf::none; // a name or IPv6: let the listener report problems
  }
  caf::error result;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    result = make_error(ec::io_error, "cannot listen on " + host + ":"
                                        + std::to_string(port) + ": "
                                        + std::strerror(errno)
                                        + " (see http.listen)");
  ::close(fd);
  return result;
}

supervisor_spec make_tree(node_context& node,
                          std::shared_ptr<const http::router> routes,
                          std::shared_ptr<catalog::catalog_projection> projected_catalog,
                          std::shared_ptr<sources::secret_store> secrets,
                          std::shared_ptr<lineage::lineage_store> lineage_state,
                          std::shared_ptr<search::search_projection> search_state) {
  auto& s = node.settings;
  restart_policy policy;
  policy.max_restarts = s.get_uint("supervisor.max_restarts");
  policy.window = std::chrono::seconds(s.get_uint("supervisor.window_s"));
  policy.backoff_initial
    = std::chrono::milliseconds(s.get_uint("supervisor.backoff_initial_ms"));
  policy.backoff_max
    = std::chrono::milliseconds(s.get_uint("supervisor.backoff_max_ms"));
  policy.shutdown_grace
    = std::chrono::milliseconds(s.get_uint("shutdown.grace_ms"));
  auto data_dir = std::filesystem::path{s.get("data_dir")};
  auto counts_dir = (data_dir / "projections" / "event_counts").string();
  supervisor_spec projections{
    "projections", strategy::one_for_one, policy,
    {projection_child(catalog::projection_name,
                      [projected_catalog] {
                        return std::make_unique<shared_projection>(projected_catalog);
                      }),
     projection_child(lineage::projection_name,
                      [lineage_state] {
                        return std::make_unique<shared_projection>(lineage_state);
                      }),
     projection_child(search::projection_name,
                      [search_state] {
                        return std::make_unique<shared_projection>(search_state);
                      }),
     projection_child("event_counts", [counts_dir] {
       return eventlog::make_event_counts(counts_dir);
     })}};
  // Analytics in PostgreSQL (docs/analytics.md), when configured: its
  // password from the environment, never from the log or a log line.
  // A primary's only: a standby writing the same schema would race it (a
  // promoted standby starts it at its next restart).
  if (auto dsn = s.get("analytics.dsn"); !dsn.empty() && s.get("node.role") == "primary") {
    std::string password;
    if (auto var = s.get("analytics.password_env"); !var.empty())
      if (const char* v = std::getenv(var.c_str()))
        password = v;
    projections.children.push_back(projection_child(
      analytics::projection_name,
      [dsn, password, schema = s.get("analytics.schema")] {
        return std::make_unique<analytics::analytics_projection>(dsn, password, schema);
      }));
  }
  // rest-for-one: when the log restarts, its projections resubscribe and
  // the command side drops what it had pending.
  supervisor_spec storage{
    "storage", strategy::rest_for_one, policy,
    {eventlog::event_log_child(s, node.ha), supervisor_child(projections),
     catalog::catalog_child(projected_catalog),
     usage::usage_child(std::chrono::milliseconds(1000), node.ha),
     replication::replication_child(node)}};
  jobs::jobs_config jobs_cfg;
  jobs_cfg.kinds["extract"] = extraction::run_extract;
  jobs_cfg.kinds["profile"] = extraction::run_profile;
  jobs_cfg.kinds["compose"] = scheduler::run_compose_job;
  jobs_cfg.kinds["query_log"] = lineage::run_query_log;
  jobs_cfg.catalog = projected_catalog;
  jobs_cfg.secrets = secrets;
  jobs_cfg.max_concurrent = s.get_uint("jobs.max_concurrent");
  jobs_cfg.max_per_source = s.get_uint("jobs.max_per_source");
  jobs_cfg.max_attempts = s.get_uint("jobs.max_attempts");
  supervisor_spec work{"work", strategy::one_for_one, policy,
                       {jobs::jobs_child(jobs_cfg),
                        scheduler::scheduler_child(node.ha)}};
  supervisor_spec gateway{"gateway", strategy::one_for_one, policy,
                          {http::gateway_child(node, routes)}};
  return {"root", strategy::one_for_one, policy,
          {supervisor_child(storage), supervisor_child(work),
           supervisor_child(gateway)}};
}

// While the node reports its failure: only /health answers.
void linger_failed(node_context& node) {
  auto ms = node.settings.get_uint("node.failed_linger_ms");
  if (ms == 0)
    return;
  std::string host;
  uint16_t port = 0;
  config::parse_endpoint(node.settings.get("http.listen"), host, port);
  auto routes = std::make_shared<http::router>();
  admin::add_routes(*routes, node);
  http::server srv{host, port, routes, &node.tokens, http::limits_of(node.settings),
                   std::make_shared<actor_metrics>()};
  if (auto err = srv.open())
    spdlog::warn("[node] cannot report the failure over HTTP: {}", render(err));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

} // namespace

int run_node(const config::settings& settings) {
  node_context node;
  node.settings = settings;
  node.version = ALMANAC_VERSION_STRING;
  auto data_dir = settings.get("data_dir");
  std::error_code fs_err;
  fs::create_directories(fs::path{data_dir} / "projections", fs_err);
  if (!fs_err) // a data directory made before 0077 became the rule
    fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace, fs_err);
  if (fs_err) {
    spdlog::critical("[node] cannot create data_dir {}: {}", data_dir,
                     fs_err.message());
    return exit_bad_setup;
  }
  bool created = false;
  auto token = bootstrap_admin_token(data_dir, created);
  if (!token) {
    spdlog::critical("[node] {}", render(token.error()));
    return exit_bad_setup;
  }
  node.tokens.put(http::hash_token(*token), {"admin", http::role::admin});
  if (getenv("ALMANAC_ADMIN_TOKEN") && *getenv("ALMANAC_ADMIN_TOKEN"))
    spdlog::info("[node] admin token from ALMANAC_ADMIN_TOKEN");
  else
    spdlog::info("[node] admin token {} {}", created ? "written to" : "in",
                 (fs::path{data_dir} / "admin.token").string());
  std::string host;
  uint16_t port = 0;
  config::parse_endpoint(settings.get("http.listen"), host, port);
  if (auto err = check_port(host, port)) {
    spdlog::critical("[node] {}", render(err));
    return exit_bad_setup;
  }
  // Replication's settings are checked before anything starts.
  auto ha_cfg = replication::ha_config_from(settings);
  if (!ha_cfg) {
    spdlog::critical("[node] {}", render(ha_cfg.error()));
    return exit_bad_setup;
  }
  node.ha->standby = settings.get("node.role") == "standby";
  node.ha->sync = ha_cfg->sync;
  node.ha->sync_timeout_ms = static_cast<uint64_t>(ha_cfg->sync_timeout.count());
  node.ha->fallback_async = ha_cfg->fallback_async;
  node.ha->name = ha_cfg->name;
  // Signals are taken by one thread with sigtimedwait; block them everywhere.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  caf::actor_system_config cfg;
  add_message_types(cfg);
  auto threads = settings.get_uint("scheduler.threads");
  if (threads == 0)
    threads = std::max(2u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", threads);
  int exit_code = 0;
  {
    caf::actor_system sys{cfg};
    node.system = &sys;
    // The catalog state outlives its driver: HTTP reads use it directly.
    auto projected_catalog = std::make_shared<catalog::catalog_projection>(
      (fs::path{data_dir} / "projections" / "catalog_state").string());
    node.tokens.set_fallback([projected_catalog](const std::string& sha)
                               -> std::optional<http::principal> {
      auto t = projected_catalog->find_token(sha);
      if (!t || !*t)
        return std::nullopt;
      auto role = http::parse_role((**t).value("role", ""));
      if (!role)
        return std::nullopt;
      return http::principal{(**t).value("user", ""), *role};
    });
    auto routes = std::make_shared<http::router>();
    // A standby refuses every write but the node-local admin ones (actor
    // restarts, rebuilds, promotion), naming the primary.
    routes->set_write_guard([ha = node.ha](const http::request& req)
                              -> std::optional<http::response> {
      if (!ha->standby || req.path.rfind("/api/v1/admin/", 0) == 0)
        return std::nullopt;
      return http::error_response(make_error(ec::read_only, ha->read_only_reason()));
    });
    admin::add_routes(*routes, node);
    replication::add_routes(*routes, node);
    eventlog::add_routes(*routes, node);
    auto lineage_state = std::make_shared<lineage::lineage_store>(
      (fs::path{data_dir} / "projections" / "lineage").string(),
      static_cast<double>(settings.get_uint("popularity.half_life_days")));
    catalog::add_routes(*routes, node, projected_catalog,
                                [lineage_state](const std::string& urn) {
                                  auto p = lineage_state->popularity(urn);
                                  return p && *p ? **p : nlohmann::json(nullptr);
                                });
    auto secrets = std::make_shared<sources::secret_store>(
      (fs::path{data_dir} / "secrets.json").string());
    node.ha->set_password_check([projected_catalog, secrets] {
      return sources::sources_without_password(*projected_catalog, *secrets);
    });
    sources::add_routes(*routes, node, projected_catalog, secrets);
    compose::add_routes(*routes, node, projected_catalog, secrets);
    scheduler::add_routes(*routes, node, projected_catalog);
    lineage::add_routes(*routes, node, projected_catalog, lineage_state);
    // Search ranks with the lineage store's decayed popularity (one
    // popularity for the node; messages/popularity.hpp).
    auto search_state = std::make_shared<search::search_projection>(
      (fs::path{data_dir} / "projections" / "search").string(),
      [lineage_state](const std::vector<std::string>& urns) {
        return lineage_state->popularity_scores(urns);
      });
    search::add_routes(*routes, node, search_state);
    auto root = spawn_root(sys, node.registry,
                           make_tree(node, routes, projected_catalog, secrets, lineage_state,
                                     search_state));
    spdlog::info("[node] almanacd {} up as {}; API at http://{}:{}",
                 node.version, settings.get("node.role"), host, port);
    std::atomic<bool> done{false};
    std::atomic<int> signals{0};
    std::thread signal_thread{[&] {
      timespec ts{0, 200 * 1000 * 1000};
      auto trimmed = std::chrono::steady_clock::now();
      while (!done) {
        int sig = sigtimedwait(&sigs, nullptr, &ts);
        if (sig <= 0) {
          // glibc keeps what RocksDB's memtables and the HTTP buffers freed
          // in its arenas (the soak saw 36 MB free in them for 60 MB in
          // use); give those pages back every half minute (a few ms).
          if (auto now = std::chrono::steady_clock::now(); now - trimmed > std::chrono::seconds(30)) {
            ::malloc_trim(0);
            trimmed = now;
          }
          continue;
        }
        if (++signals == 1) {
          spdlog::info("[node] {} received: shutting down",
                       sig == SIGTERM ? "SIGTERM" : "SIGINT");
          caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
        } else {
          spdlog::warn("[node] second signal: exiting now");
          std::_Exit(130);
        }
      }
    }};
    // Wait for the root to end, without a blocking actor on this thread.
    auto root_done = std::make_shared<std::promise<caf::error>>();
    auto root_reason = root_done->get_future();
    root->attach_functor([root_done](const caf::error& reason) {
      root_done->set_value(reason);
    });
    auto reason = root_reason.get();
    done = true;
    signal_thread.join();
    bool clean = signals > 0
                 && (!reason || reason == caf::exit_reason::user_shutdown);
    if (!clean) {
      node.failed = true;
      node.failure = render(reason);
      spdlog::critical("[node] root supervisor failed: {}", node.failure);
      exit_code = exit_root_failed;
    }
    root = nullptr;
    node.ha->set_password_check({});
  }
  if (exit_code != 0)
    linger_failed(node);
  spdlog::info("[node] stopped (exit {})", exit_code);
  return exit_code;
}

} // namespace almanac::runtime
