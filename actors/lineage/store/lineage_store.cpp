#include "actors/lineage/store/lineage_store.hpp"

#include "actors/catalog/iso_time.hpp"
#include "actors/catalog/urn.hpp"
#include "actors/lineage/sql/sql_analysis.hpp"
#include "actors/lineage/store/lineage_keys.hpp"
#include "messages/error.hpp"
#include "storage/state/rocks_store.hpp"

#include <rocksdb/write_batch.h>

#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <set>

namespace almanac::lineage {

using nlohmann::json;

namespace {

const char sep = '\0';

std::string key2(const std::string& prefix, const std::string& a, const std::string& b) {
  return prefix + a + std::string(1, sep) + b;
}

bool is_column(const std::string& urn) {
  return urn.rfind("urn:almanac:column:", 0) == 0;
}

std::string kind_of(const std::string& urn) {
  auto a = urn.find(':', 4);
  auto b = urn.find(':', a + 1);
  return a == std::string::npos || b == std::string::npos ? "" : urn.substr(a + 1, b - a - 1);
}

} // namespace

/// Reads through the writes of one batch.
struct lineage_store::batch_state {
  const storage::rocks_store& store;
  std::map<std::string, std::string> pending;

  std::optional<std::string> get(const std::string& k) {
    auto i = pending.find(k);
    if (i != pending.end())
      return i->second;
    auto v = store.get(k);
    if (!v || !*v)
      return std::nullopt;
    return **v;
  }

  json get_json(const std::string& k) {
    auto v = get(k);
    if (!v)
      return nullptr;
    auto j = json::parse(*v, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
  }

  /// Old values of the keys the current event wrote (to undo a bad event).
  std::map<std::string, std::optional<std::string>> undo;

  void put(const std::string& k, std::string v) {
    if (!undo.count(k)) {
      auto i = pending.find(k);
      undo[k] = i == pending.end() ? std::nullopt : std::optional<std::string>{i->second};
    }
    pending[k] = std::move(v);
  }

  void rollback_event() {
    for (auto& [k, old] : undo) {
      if (old)
        pending[k] = *old;
      else
        pending.erase(k);
    }
    undo.clear();
  }
};

uint32_t lineage_store::graph::id(const std::string& urn) {
  auto [it, fresh] = ids.emplace(urn, static_cast<uint32_t>(names.size()));
  if (fresh) {
    names.push_back(urn);
    out.emplace_back();
    in.emplace_back();
  }
  return it->second;
}

void lineage_store::graph::upsert(const std::string& from, const std::string& to,
                                  std::string data) {
  auto f = id(from);
  auto t = id(to);
  auto key = (static_cast<uint64_t>(f) << 32) | t;
  auto i = by_ends.find(key);
  if (i != by_ends.end()) {
    edges[i->second].data = std::move(data);
    return;
  }
  auto e = static_cast<uint32_t>(edges.size());
  edges.push_back({f, t, std::move(data)});
  by_ends.emplace(key, e);
  out[f].push_back(e);
  in[t].push_back(e);
}

void lineage_store::graph::clear() {
  *this = graph{};
}

lineage_store::lineage_store(std::string dir, double half_life_days)
  : dir_(std::move(dir)), half_life_ms_(half_life_days * 86400000.0) {
}

lineage_store::~lineage_store() = default;

std::vector<std::string> lineage_store::consumes() const {
  return {"QueryObserved", "EntityRegistered", "EntityEdited", "EntityViewed",
          "LineageObserved"};
}

caf::expected<uint64_t> lineage_store::open() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (!store_) {
    auto s = storage::rocks_store::open(dir_);
    if (!s)
      return s.error();
    store_ = std::move(*s);
  }
  auto cp = store_->checkpoint();
  if (cp)
    checkpoint_ = *cp;
  if (graph_.edges.empty()) {
    // Load the adjacency from the stored edges (d/<from>\0<to>).
    auto err = store_->scan("d/", [&](const std::string& k, const std::string& v) {
      auto nul = k.find('\0', 2);
      if (nul != std::string::npos)
        graph_.upsert(k.substr(2, nul - 2), k.substr(nul + 1), v);
      return true;
    });
    if (err)
      return err;
  }
  return cp;
}

uint64_t lineage_store::checkpoint() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return checkpoint_;
}

namespace {

template <class Batch>
void add_edge(lineage_store* /*unused*/, Batch& bs, const std::string& from,
              const std::string& to, const std::string& kind, const std::string& id,
              int64_t ms) {
  if (from.empty() || to.empty() || from == to)
    return;
  auto k = key2("d/", from, to);
  auto e = bs.get_json(k);
  if (e.is_null())
    e = json{{"from", from}, {"to", to}, {"count", 0}, {"first_seen", ms},
             {"evidence", json::array()}};
  e["count"] = e["count"].template get<uint64_t>() + 1;
  e["last_seen"] = ms;
  auto& ev = e["evidence"];
  bool found = false;
  for (auto& x : ev)
    if (x["kind"] == kind && x["id"] == id) {
      x["count"] = x["count"].template get<uint64_t>() + 1;
      x["last_seen"] = ms;
      found = true;
    }
  if (!found && ev.size() < 20)
    ev.push_back({{"kind", kind}, {"id", id}, {"count", 1}, {"first_seen", ms},
                  {"last_seen", ms}});
  bs.put(k, e.dump());
  bs.put(key2("u/", to, from), "");
}

} // namespace

caf::error lineage_store::apply(const std::vector<event_record>& events, uint64_t next) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  batch_state bs{*store_, {}, {}};
  auto bump = [&](const std::string& urn, const std::string& user, int64_t ms,
                  uint64_t n) {
    if (urn.empty())
      return;
    auto k = "p/" + urn;
    auto p = bs.get_json(k);
    if (p.is_null())
      p = json{{"count", 0}, {"score", 0.0}, {"last_ms", ms}, {"users", json::array()}};
    auto last = p["last_ms"].get<int64_t>();
    double score = p["score"].get<double>();
    if (ms >= last) {
      score = score * std::pow(2.0, -(ms - last) / half_life_ms_) + n;
      p["last_ms"] = ms;
    } else {
      score += n * std::pow(2.0, -(last - ms) / half_life_ms_);
    }
    p["score"] = score;
    p["count"] = p["count"].get<uint64_t>() + n;
    auto& users = p["users"];
    if (!user.empty() && users.size() < 1000
        && std::find(users.begin(), users.end(), user) == users.end())
      users.push_back(user);
    bs.put(k, p.dump());
  };
  for (auto& r : events) {
    auto name = parse_event_tag(r.type).first;
    auto p = json::parse(r.payload, nullptr, false);
    if (!p.is_object())
      continue;
    // A record whose payload is not what we expect is skipped (and counted),
    // never fatal: a projection must not stop on one bad event.
    bs.undo.clear();
    try {
    if (name == "QueryObserved") {
      auto exec = p.value("execution_id", "");
      if (exec.empty() || bs.get("x/" + exec))
        continue; // ingested before: idempotent
      bs.put("x/" + exec, "");
      auto fp = p.value("fingerprint", "");
      auto ms = p.value("start_ms", int64_t{0});
      if (ms == 0)
        ms = r.timestamp_ms;
      auto calls = p.value("calls", uint64_t{1});
      auto user = p.value("user", "");
      auto q = bs.get_json("q/" + fp);
      if (q.is_null())
        q = json{{"fingerprint", fp}, {"normalized", p["normalized"]}, {"kind", p["kind"]},
                 {"count", 0}, {"users", json::array()}, {"first_seen", ms},
                 {"last_seen", ms}, {"total_duration_ms", 0.0},
                 {"tables_read", p["tables_read"]}, {"tables_written", p["tables_written"]},
                 {"parse_error", p["parse_error"]}, {"sql", p["sql"]},
                 {"source", p["source"]}};
      q["count"] = q["count"].get<uint64_t>() + calls;
      q["first_seen"] = std::min(q["first_seen"].get<int64_t>(), ms);
      q["last_seen"] = std::max(q["last_seen"].get<int64_t>(), ms);
      q["total_duration_ms"] = q["total_duration_ms"].get<double>()
                               + p.value("duration_ms", 0.0) * calls;
      q["mean_duration_ms"] = q["total_duration_ms"].get<double>() / q["count"].get<double>();
      auto& users = q["users"];
      if (!user.empty() && users.size() < 1000
          && std::find(users.begin(), users.end(), user) == users.end())
        users.push_back(user);
      bs.put("q/" + fp, q.dump());
      bs.put("e/" + fp + std::string(1, sep) + be64(static_cast<uint64_t>(ms))
               + std::string(1, sep) + exec,
             json{{"user", user}, {"start_ms", ms}, {"duration_ms", p.value("duration_ms", 0.0)},
                  {"calls", calls}, {"origin", p.value("origin", "")}, {"offset", r.offset}}
               .dump());
      std::set<std::string> touched;
      for (auto key : {"tables_read", "tables_written", "columns_read", "columns_written"})
        for (auto& u : p.value(key, json::array()))
          touched.insert(u.get<std::string>());
      for (auto& u : touched) {
        bs.put(key2("t/", u, fp), "");
        bump(u, user, ms, calls);
      }
      for (auto& e : p.value("table_lineage", json::array()))
        add_edge(this, bs, e.value("from", ""), e.value("to", ""), "query", fp, ms);
      for (auto& e : p.value("column_lineage", json::array()))
        for (auto& s : e.value("sources", json::array()))
          add_edge(this, bs, s.get<std::string>(), e.value("target", ""), "query", fp, ms);
    } else if (name == "EntityRegistered" || name == "EntityEdited") {
      // View definitions (from extraction) become lineage.
      auto attrs = name == "EntityRegistered"
                     ? p.value("attributes", json::object())
                     : p.value("fields", json::object()).value("attributes", json::object());
      auto def = attrs.value("definition", std::string{});
      auto urn = p.value("urn", std::string{});
      if (def.empty() || kind_of(urn) != "view")
        continue;
      auto parsed = catalog::parse_urn(urn);
      if (!parsed || parsed->names.size() != 3)
        continue;
      auto& n = parsed->names;
      bs.put("k/" + urn, ""); // a known view (for names in later definitions)
      auto a = analyze("CREATE VIEW \"" + n[1] + "\".\"" + n[2] + "\" AS " + def, nullptr, n[1]);
      auto resolve = [&](const std::string& q) {
        // The view itself is a view; every other name is resolved against
        // the catalog's relations of that source (a view if one exists).
        bool view = q == n[1] + "." + n[2]
                    || bs.get("k/" + table_urn(n[0], q, true)).has_value();
        return table_urn(n[0], q, view);
      };
      for (auto& e : a.table_lineage)
        add_edge(this, bs, resolve(e.from), resolve(e.to), "view", urn, r.timestamp_ms);
      for (auto& e : a.column_lineage)
        for (auto& s : e.sources)
          add_edge(this, bs, column_urn(resolve(s.table), s.column),
                   column_urn(resolve(e.target.table), e.target.column), "view", urn,
                   r.timestamp_ms);
    } else if (name == "EntityViewed") {
      for (auto& v : p.value("views", json::array()))
        bump(v.value("urn", ""), v.value("user", ""), r.timestamp_ms, v.value("count", uint64_t{1}));
    } else if (name == "LineageObserved") {
      auto run = p["run"].value("runId", "");
      auto ms = r.timestamp_ms;
      if (auto t = catalog::parse_iso_time(p.value("eventTime", "")))
        ms = *t;
      auto ds_urn = [](const json& d) { return dataset_urn(d); };
      std::vector<std::string> ins, outs;
      for (auto& d : p.value("inputs", json::array()))
        ins.push_back(ds_urn(d));
      for (auto& d : p.value("outputs", json::array())) {
        auto o = ds_urn(d);
        outs.push_back(o);
        auto facets = d.value("facets", json::object());
        auto cl = facets.is_object() ? facets.value("columnLineage", json::object()) : json::object();
        auto fields = cl.is_object() ? cl.value("fields", json::object()) : json::object();
        if (!fields.is_object())
          continue;
        for (auto& [field, spec] : fields.items())
          if (spec.is_object() && spec.contains("inputFields") && spec["inputFields"].is_array())
          for (auto& in : spec["inputFields"])
            add_edge(this, bs, column_urn(ds_urn(in), in.value("field", "")),
                     column_urn(o, field), "openlineage", run, ms);
      }
      for (auto& i : ins)
        for (auto& o : outs)
          add_edge(this, bs, i, o, "openlineage", run, ms);
      // Merge the run: events may arrive in any order; the latest eventTime
      // decides the state, datasets accumulate, later facets win.
      auto rk = "r/" + run;
      auto merged = bs.get_json(rk);
      if (merged.is_null())
        merged = json{{"runId", run}, {"job", p["job"]}, {"events", 0},
                      {"first_event_ms", ms}, {"last_event_ms", ms},
                      {"state", p.value("eventType", "OTHER")},
                      {"inputs", json::array()}, {"outputs", json::array()},
                      {"facets", json::object()}};
      merged["events"] = merged["events"].get<uint64_t>() + 1;
      if (ms >= merged["last_event_ms"].get<int64_t>()) {
        merged["last_event_ms"] = ms;
        merged["state"] = p.value("eventType", merged["state"].get<std::string>());
        if (p["run"].contains("facets") && p["run"]["facets"].is_object())
          for (auto& [k, v] : p["run"]["facets"].items())
            merged["facets"][k] = v;
      }
      merged["first_event_ms"] = std::min(merged["first_event_ms"].get<int64_t>(), ms);
      for (auto list : {"inputs", "outputs"})
        for (auto& d : p.value(list, json::array())) {
          json ds{{"namespace", d.value("namespace", "")}, {"name", d.value("name", "")},
                  {"urn", ds_urn(d)}};
          auto& arr = merged[list];
          if (std::find(arr.begin(), arr.end(), ds) == arr.end())
            arr.push_back(ds);
        }
      bs.put(rk, merged.dump());
    }
    } catch (const std::exception& e) {
      bs.rollback_event();
      ++skipped_;
      last_skip_ = "offset " + std::to_string(r.offset) + ": " + e.what();
    }
  }
  rocksdb::WriteBatch batch;
  for (auto& [k, v] : bs.pending)
    batch.Put(k, v);
  if (auto err = store_->commit(batch, next))
    return err;
  checkpoint_ = next;
  for (auto& [k, v] : bs.pending)
    if (k.compare(0, 2, "d/") == 0) {
      auto nul = k.find('\0', 2);
      if (nul != std::string::npos)
        graph_.upsert(k.substr(2, nul - 2), k.substr(nul + 1), v);
    }
  return caf::none;
}

caf::error lineage_store::reset() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  checkpoint_ = 0;
  graph_.clear();
  return store_->clear();
}

std::string lineage_store::status() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  uint64_t queries = 0, edges = 0;
  store_->scan("q/", [&](const std::string&, const std::string&) { ++queries; return true; });
  store_->scan("d/", [&](const std::string&, const std::string&) { ++edges; return true; });
  return json{{"checkpoint", checkpoint_}, {"queries", queries}, {"edges", edges},
              {"skipped", skipped_}, {"last_skip", last_skip_}}.dump();
}

caf::expected<std::optional<json>> lineage_store::query(const std::string& fp) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto v = store_->get("q/" + fp);
  if (!v)
    return v.error();
  if (!*v)
    return std::optional<json>{};
  auto q = json::parse(**v);
  std::deque<json> execs;
  store_->scan("e/" + fp + std::string(1, sep), [&](const std::string&, const std::string& val) {
    execs.push_front(json::parse(val));
    if (execs.size() > 20)
      execs.pop_back();
    return true;
  });
  q["executions"] = json(std::vector<json>(execs.begin(), execs.end()));
  q["first_seen"] = catalog::iso_time(q["first_seen"].get<int64_t>());
  q["last_seen"] = catalog::iso_time(q["last_seen"].get<int64_t>());
  return std::optional<json>{q};
}

caf::expected<json> lineage_store::queries_for(const std::string& urn, size_t limit) const {
  std::vector<json> found;
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    auto prefix = "t/" + urn + std::string(1, sep);
    std::vector<std::string> fps;
    store_->scan(prefix, [&](const std::string& k, const std::string&) {
      fps.push_back(k.substr(prefix.size()));
      return fps.size() < 10000;
    });
    for (auto& fp : fps)
      if (auto v = store_->get("q/" + fp); v && *v)
        found.push_back(json::parse(**v));
  }
  std::sort(found.begin(), found.end(), [](const json& a, const json& b) {
    return a["count"].get<uint64_t>() > b["count"].get<uint64_t>();
  });
  auto out = json::array();
  for (size_t i = 0; i < found.size() && i < limit; ++i) {
    auto q = found[i];
    q["first_seen"] = catalog::iso_time(q["first_seen"].get<int64_t>());
    q["last_seen"] = catalog::iso_time(q["last_seen"].get<int64_t>());
    out.push_back(q);
  }
  return out;
}

caf::expected<json> lineage_store::traverse(const std::string& root,
                                            const traversal_limits& lim) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto start = std::chrono::steady_clock::now();
  bool column_level = lim.level == "column";
  bool truncated = false;
  auto& g = graph_;
  std::vector<uint32_t> edge_ids;
  std::unordered_map<uint32_t, bool> nodes; // node id -> seen in any walk
  auto r = g.ids.find(root);
  if (r != g.ids.end()) {
    nodes[r->second] = true;
    std::unordered_map<uint32_t, bool> edges_seen;
    auto walk = [&](bool down) {
      std::deque<std::pair<uint32_t, uint64_t>> frontier{{r->second, 0}};
      std::unordered_map<uint32_t, bool> seen{{r->second, true}};
      size_t steps = 0;
      while (!frontier.empty()) {
        if ((++steps & 255) == 0 && std::chrono::steady_clock::now() - start > lim.deadline) {
          truncated = true;
          return;
        }
        if (nodes.size() >= lim.max_nodes) {
          truncated = true;
          return;
        }
        auto [u, d] = frontier.front();
        frontier.pop_front();
        if (d >= lim.depth)
          continue;
        size_t followed = 0;
        for (auto e : (down ? g.out[u] : g.in[u])) {
          auto other = down ? g.edges[e].to : g.edges[e].from;
          if (is_column(g.names[other]) != column_level)
            continue;
          if (++followed > lim.fan_out) {
            truncated = true;
            break;
          }
          if (edges_seen.emplace(e, true).second)
            edge_ids.push_back(e);
          nodes[other] = true;
          if (seen.emplace(other, true).second)
            frontier.emplace_back(other, d + 1);
        }
      }
    };
    if (lim.direction != "upstream")
      walk(true);
    if (lim.direction != "downstream")
      walk(false);
  }
  std::vector<std::string> names;
  names.reserve(nodes.size() + 1);
  if (r == g.ids.end())
    names.push_back(root);
  for (auto& [n, _] : nodes)
    names.push_back(g.names[n]);
  std::sort(names.begin(), names.end());
  auto ns = json::array();
  for (auto& n : names)
    ns.push_back({{"urn", n}, {"kind", kind_of(n)}});
  auto es = json::array();
  for (auto e : edge_ids) {
    auto& ed = g.edges[e];
    auto data = json::parse(ed.data, nullptr, false);
    es.push_back({{"from", g.names[ed.from]},
                  {"to", g.names[ed.to]},
                  {"evidence", data.is_object() ? data.value("evidence", json::array()) : json::array()},
                  {"count", data.is_object() ? data.value("count", 0) : 0}});
  }
  return json{{"root", root}, {"nodes", ns}, {"edges", es}, {"truncated", truncated}};
}

caf::expected<std::optional<json>> lineage_store::run(const std::string& run_id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto v = store_->get("r/" + run_id);
  if (!v)
    return v.error();
  if (!*v)
    return std::optional<json>{};
  auto r = json::parse(**v);
  r["first_event"] = catalog::iso_time(r["first_event_ms"].get<int64_t>());
  r["last_event"] = catalog::iso_time(r["last_event_ms"].get<int64_t>());
  return std::optional<json>{r};
}

caf::expected<std::optional<json>> lineage_store::popularity(const std::string& urn) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto v = store_->get("p/" + urn);
  if (!v)
    return v.error();
  if (!*v)
    return std::optional<json>{};
  auto p = json::parse(**v);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  auto last = p["last_ms"].get<int64_t>();
  auto score = p["score"].get<double>()
               * std::pow(2.0, -std::max<int64_t>(0, now - last) / half_life_ms_);
  return std::optional<json>{json{{"score", score},
                                  {"count", p["count"]},
                                  {"users", p["users"].size()},
                                  {"last_seen", catalog::iso_time(last)}}};
}

} // namespace almanac::lineage
