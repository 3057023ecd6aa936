// `almanac log`: the event log of a data directory, offline (the node must be
// stopped): its segments and offsets, its records as JSON lines, or appending
// one record per JSON line of stdin. The work is in storage/log/log_commands.
#include "node/cli/commands.hpp"

#include "storage/log/log_commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>

namespace almanac::cli {

namespace {

struct log_options {
  std::string data_dir = "./data";
  uint64_t from = 0;
  uint64_t to = 0;
  std::string type;
  std::string key;
};

} // namespace

void add_log(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<log_options>();
  auto log = app.add_subcommand("log", "inspect or append to an event log offline (node stopped)");
  log->require_subcommand(1);
  auto stat = log->add_subcommand("stat", "segments, offsets and bytes");
  stat->add_option("--data-dir", o->data_dir, "the node's data directory")->required();
  stat->callback([&ctx, o] { ctx.rc = storage::log_stat(o->data_dir, std::cout, std::cerr); });
  auto dump = log->add_subcommand("dump", "print records as JSON lines");
  dump->add_option("--data-dir", o->data_dir, "the node's data directory")->required();
  dump->add_option("--from", o->from, "first offset (default 0)");
  auto to_opt = dump->add_option("--to", o->to, "stop before this offset");
  dump->callback([&ctx, o, to_opt] {
    std::optional<uint64_t> upto;
    if (to_opt->count() > 0)
      upto = o->to;
    ctx.rc = storage::log_dump(o->data_dir, o->from, upto, std::cout, std::cerr);
  });
  auto append = log->add_subcommand("append", "append one record per JSON line of stdin; prints each offset once durable");
  append->add_option("--data-dir", o->data_dir, "the node's data directory")->required();
  append->add_option("--type", o->type, "event type name")->required();
  append->add_option("--key", o->key, "record key");
  append->callback([&ctx, o] {
    ctx.rc = storage::log_append(o->data_dir, o->type, o->key, std::cin, std::cout, std::cerr);
  });
}

} // namespace almanac::cli
