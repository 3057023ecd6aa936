#include "runtime/actor_registry.hpp"

namespace almanac::runtime {

const char* to_string(actor_state x) {
  switch (x) {
    case actor_state::starting: return "starting";
    case actor_state::running: return "running";
    case actor_state::restarting: return "restarting";
    case actor_state::failed: return "failed";
    case actor_state::stopped: return "stopped";
  }
  return "unknown";
}

actor_registry::entry& actor_registry::get_or_add(const std::string& name) {
  auto i = entries_.find(name);
  if (i != entries_.end())
    return i->second;
  order_.push_back(name);
  auto& e = entries_[name];
  e.info.name = name;
  e.metrics = std::make_shared<actor_metrics>();
  return e;
}

void actor_registry::declare(const std::string& name, const std::string& parent,
                             const std::string& kind,
                             caf::strong_actor_ptr supervisor) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = get_or_add(name);
  e.info.parent = parent;
  e.info.kind = kind;
  e.supervisor = std::move(supervisor);
  e.handle = nullptr;
  e.info.state = actor_state::starting;
}

std::shared_ptr<actor_metrics>
actor_registry::metrics(const std::string& name) {
  std::lock_guard<std::mutex> guard{mtx_};
  return get_or_add(name).metrics;
}

void actor_registry::started(const std::string& name,
                             caf::strong_actor_ptr handle) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = get_or_add(name);
  e.handle = std::move(handle);
  e.info.state = actor_state::running;
}

void actor_registry::set_state(const std::string& name, actor_state state) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = get_or_add(name);
  e.info.state = state;
  if (state != actor_state::running && state != actor_state::starting)
    e.handle = nullptr;
}

void actor_registry::failed(const std::string& name, const std::string& reason,
                            actor_state next) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = get_or_add(name);
  e.info.last_error = reason;
  e.info.state = next;
  e.handle = nullptr;
}

void actor_registry::restarted(const std::string& name) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++get_or_add(name).info.restarts;
}

caf::strong_actor_ptr actor_registry::handle(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  return i == entries_.end() ? nullptr : i->second.handle;
}

caf::strong_actor_ptr
actor_registry::supervisor_of(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  return i == entries_.end() ? nullptr : i->second.supervisor;
}

void actor_registry::storage_fault(const std::string& name, bool faulty,
                                   const std::string& reason) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (faulty)
    storage_faults_[name] = reason;
  else
    storage_faults_.erase(name);
}

std::map<std::string, std::string> actor_registry::storage_faults() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return storage_faults_;
}

bool actor_registry::contains(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.count(name) > 0;
}

actor_info actor_registry::render(const entry& e) const {
  auto result = e.info;
  result.processed = e.metrics->processed.load();
  result.mailbox = e.metrics->mailbox.load();
  auto cp = e.metrics->checkpoint.load();
  if (cp >= 0) {
    auto end = log_end.load();
    result.checkpoint = static_cast<uint64_t>(cp);
    result.lag = end > static_cast<uint64_t>(cp) ? end - cp : 0;
  }
  return result;
}

std::optional<actor_info> actor_registry::info(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  if (i == entries_.end())
    return std::nullopt;
  return render(i->second);
}

std::vector<actor_info> actor_registry::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<actor_info> result;
  for (auto& name : order_)
    result.push_back(render(entries_.at(name)));
  return result;
}

} // namespace almanac::runtime
