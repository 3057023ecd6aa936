#include "actors/lineage/store/lineage_store.hpp"

#include "messages/time.hpp"
#include "actors/catalog/urn.hpp"
#include "actors/lineage/sql/sql_analysis.hpp"
#include "actors/lineage/store/lineage_keys.hpp"
#include "actors/lineage/store/openlineage.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "messages/popularity.hpp"
#include "storage/state/rocks_store.hpp"

#include <rocksdb/write_batch.h>

#include <algorithm>
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

namespace {

/// Keeps the score of a stored p/<urn> value in `scores`.
void remember_score(std::unordered_map<std::string, popularity::decayed_uses>& scores,
                    const std::string& key, const std::string& value) {
  auto p = json::parse(value, nullptr, false);
  if (p.is_object())
    scores[key.substr(2)] = {p.value("score", 0.0), p.value("last_ms", int64_t{0})};
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
  : dir_(std::move(dir)), half_life_ms_(popularity::half_life_ms(half_life_days)) {
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
  if (scores_.empty()) {
    auto err = store_->scan("p/", [&](const std::string& k, const std::string& v) {
      remember_score(scores_, k, v);
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

namespace {

/// Adds `n` uses by `user` at `ms` to the decayed popularity of `urn`.
template <class Batch>
void bump(Batch& bs, double half_life_ms, const std::string& urn, const std::string& user,
          int64_t ms, uint64_t n) {
  if (urn.empty())
    return;
  auto k = "p/" + urn;
  auto p = bs.get_json(k);
  if (p.is_null())
    p = json{{"count", 0}, {"score", 0.0}, {"last_ms", ms}, {"users", json::array()}};
  popularity::decayed_uses d{p["score"].template get<double>(),
                            p["last_ms"].template get<int64_t>()};
  popularity::add(d, static_cast<double>(n), ms, half_life_ms);
  p["score"] = d.score;
  p["last_ms"] = d.last_ms;
  p["count"] = p["count"].template get<uint64_t>() + n;
  auto& users = p["users"];
  if (!user.empty() && users.size() < 1000
      && std::find(users.begin(), users.end(), user) == users.end())
    users.push_back(user);
  bs.put(k, p.dump());
}

/// A query: the query store, its executions, usage and its lineage edges.
template <class Batch>
void apply_query(Batch& bs, double half_life_ms, const ev::query_observed& q,
                 const event_record& r) {
  auto& exec = q.execution_id;
  if (exec.empty() || bs.get("x/" + exec))
    return; // ingested before: idempotent
  bs.put("x/" + exec, "");
  auto& fp = q.fingerprint;
  auto ms = q.start_ms != 0 ? q.start_ms : r.timestamp_ms;
  auto calls = q.calls;
  json stored = bs.get_json("q/" + fp);
  if (stored.is_null())
    stored = json{{"fingerprint", fp}, {"normalized", q.normalized}, {"kind", q.kind},
                  {"count", 0}, {"users", json::array()}, {"first_seen", ms},
                  {"last_seen", ms}, {"total_duration_ms", 0.0},
                  {"tables_read", q.tables_read}, {"tables_written", q.tables_written},
                  {"parse_error", q.parse_error ? json(*q.parse_error) : json(nullptr)},
                  {"sql", q.sql}, {"source", q.source}};
  stored["count"] = stored["count"].get<uint64_t>() + calls;
  stored["first_seen"] = std::min(stored["first_seen"].get<int64_t>(), ms);
  stored["last_seen"] = std::max(stored["last_seen"].get<int64_t>(), ms);
  stored["total_duration_ms"] = stored["total_duration_ms"].get<double>()
                                + q.duration_ms * static_cast<double>(calls);
  stored["mean_duration_ms"] = stored["total_duration_ms"].get<double>()
                               / stored["count"].get<double>();
  auto& users = stored["users"];
  if (!q.user.empty() && users.size() < 1000
      && std::find(users.begin(), users.end(), q.user) == users.end())
    users.push_back(q.user);
  bs.put("q/" + fp, stored.dump());
  bs.put("e/" + fp + std::string(1, sep) + be64(static_cast<uint64_t>(ms))
           + std::string(1, sep) + exec,
         json{{"user", q.user}, {"start_ms", ms}, {"duration_ms", q.duration_ms},
              {"calls", calls}, {"origin", q.origin}, {"offset", r.offset}}
           .dump());
  std::set<std::string> touched;
  for (auto* list : {&q.tables_read, &q.tables_written, &q.columns_read, &q.columns_written})
    touched.insert(list->begin(), list->end());
  for (auto& u : touched) {
    bs.put(key2("t/", u, fp), "");
    bump(bs, half_life_ms, u, q.user, ms, calls);
  }
  for (auto& e : q.table_lineage)
    add_edge(nullptr, bs, e.from, e.to, "query", fp, ms);
  for (auto& e : q.column_lineage)
    for (auto& source : e.sources)
      add_edge(nullptr, bs, source, e.target, "query", fp, ms);
}

/// A view's definition, analysed before the store's lock is taken.
struct view_definition {
  std::string urn;
  std::vector<std::string> names; ///< source, schema, view
  analysis parsed;
};

/// The view definition an entity event carries, if it is one.
std::optional<view_definition> view_of(const std::string& urn, const json& attributes) {
  auto def = attributes.value("definition", std::string{});
  if (def.empty() || kind_of(urn) != "view")
    return std::nullopt;
  auto parsed = catalog::parse_urn(urn);
  if (!parsed || parsed->names.size() != 3)
    return std::nullopt;
  auto& n = parsed->names;
  return view_definition{
    urn, n, analyze("CREATE VIEW \"" + n[1] + "\".\"" + n[2] + "\" AS " + def, nullptr, n[1])};
}

/// A view's definition becomes lineage (from what it reads to the view).
template <class Batch>
void apply_view(Batch& bs, const view_definition& v, int64_t ms) {
  auto& n = v.names;
  bs.put("k/" + v.urn, ""); // a known view (for names in later definitions)
  auto resolve = [&](const std::string& q) {
    // The view itself is a view; every other name is resolved against the
    // catalog's relations of that source (a view if one exists).
    bool view = q == n[1] + "." + n[2] || bs.get("k/" + table_urn(n[0], q, true)).has_value();
    return table_urn(n[0], q, view);
  };
  for (auto& e : v.parsed.table_lineage)
    add_edge(nullptr, bs, resolve(e.from), resolve(e.to), "view", v.urn, ms);
  for (auto& e : v.parsed.column_lineage)
    for (auto& s : e.sources)
      add_edge(nullptr, bs, column_urn(resolve(s.table), s.column),
               column_urn(resolve(e.target.table), e.target.column), "view", v.urn, ms);
}

/// An OpenLineage run event: its edges and the merged run.
template <class Batch>
void apply_run(Batch& bs, const ev::lineage_observed& l, const json& raw,
               const event_record& r) {
  auto& run = l.run.runId;
  auto ms = r.timestamp_ms;
  if (auto t = parse_iso_time(l.eventTime))
    ms = *t;
  auto lineage = read_openlineage(raw);
  for (auto& [from, to] : lineage.column_edges)
    add_edge(nullptr, bs, from, to, "openlineage", run, ms);
  for (auto& i : lineage.inputs)
    for (auto& o : lineage.outputs)
      add_edge(nullptr, bs, i, o, "openlineage", run, ms);
  auto rk = "r/" + run;
  bs.put(rk, merge_run(bs.get_json(rk), raw, ms).dump());
}

/// One decoded record of the batch (views analysed already).
struct decoded_record {
  std::optional<ev::query_observed> query;
  std::optional<view_definition> view;
  std::optional<ev::entity_viewed> views;
  std::optional<ev::lineage_observed> run;
  json raw_run;
  std::string error; ///< Why it was skipped, if it was.
};

decoded_record decode_record(const event_record& r) {
  decoded_record d;
  auto note = [&](const caf::error& err) { d.error = message_of(err); };
  if (ev::is<ev::query_observed>(r.type)) {
    if (auto q = ev::decode<ev::query_observed>(r.payload))
      d.query = std::move(*q);
    else
      note(q.error());
  } else if (ev::is<ev::entity_registered>(r.type)) {
    if (auto e = ev::decode<ev::entity_registered>(r.payload))
      d.view = view_of(e->urn, e->attributes);
    else
      note(e.error());
  } else if (ev::is<ev::entity_edited>(r.type)) {
    if (auto e = ev::decode<ev::entity_edited>(r.payload)) {
      if (e->fields_set.attributes)
        d.view = view_of(e->urn, *e->fields_set.attributes);
    } else {
      note(e.error());
    }
  } else if (ev::is<ev::entity_viewed>(r.type)) {
    if (auto v = ev::decode<ev::entity_viewed>(r.payload))
      d.views = std::move(*v);
    else
      note(v.error());
  } else if (ev::is<ev::lineage_observed>(r.type)) {
    d.raw_run = json::parse(r.payload, nullptr, false);
    if (auto l = ev::from_json<ev::lineage_observed>(d.raw_run))
      d.run = std::move(*l);
    else
      note(l.error());
  }
  return d;
}

} // namespace

caf::error lineage_store::apply(const std::vector<event_record>& events, uint64_t next) {
  // Decoding and the SQL analysis of view definitions need no lock: readers
  // are blocked only while the batch is written.
  std::vector<decoded_record> decoded;
  decoded.reserve(events.size());
  for (auto& r : events)
    decoded.push_back(decode_record(r));
  std::unique_lock<std::shared_mutex> guard{mtx_};
  batch_state bs{*store_, {}, {}};
  for (size_t i = 0; i < events.size(); ++i) {
    auto& r = events[i];
    auto& d = decoded[i];
    // A record whose payload is not what we expect is skipped (and counted),
    // never fatal: a projection must not stop on one bad event.
    if (!d.error.empty()) {
      ++skipped_;
      last_skip_ = "offset " + std::to_string(r.offset) + ": " + d.error;
      continue;
    }
    bs.undo.clear();
    try {
      if (d.query)
        apply_query(bs, half_life_ms_, *d.query, r);
      else if (d.view)
        apply_view(bs, *d.view, r.timestamp_ms);
      else if (d.views)
        for (auto& v : d.views->views)
          bump(bs, half_life_ms_, v.urn, v.user, r.timestamp_ms, v.count);
      else if (d.run)
        apply_run(bs, *d.run, d.raw_run, r);
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
    } else if (k.compare(0, 2, "p/") == 0) {
      remember_score(scores_, k, v);
    }
  return caf::none;
}

caf::error lineage_store::reset() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  checkpoint_ = 0;
  graph_.clear();
  scores_.clear();
  return store_->clear();
}

caf::expected<std::string> lineage_store::digest() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return make_error(ec::unavailable, "the lineage store is not open");
  return store_->digest();
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
  q["first_seen"] = iso_time(q["first_seen"].get<int64_t>());
  q["last_seen"] = iso_time(q["last_seen"].get<int64_t>());
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
    q["first_seen"] = iso_time(q["first_seen"].get<int64_t>());
    q["last_seen"] = iso_time(q["last_seen"].get<int64_t>());
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
  bool depth_cut = false;
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
        if (d >= lim.depth) {
          // Cut at the depth cap: truncated if the graph goes on from here.
          for (auto e : (down ? g.out[u] : g.in[u]))
            if (is_column(g.names[down ? g.edges[e].to : g.edges[e].from]) == column_level) {
              truncated = true;
              depth_cut = true;
              break;
            }
          continue;
        }
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
  return json{{"root", root}, {"nodes", ns}, {"edges", es}, {"truncated", truncated},
              {"depth_reached", depth_cut}};
}

caf::expected<std::optional<json>> lineage_store::run(const std::string& run_id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto v = store_->get("r/" + run_id);
  if (!v)
    return v.error();
  if (!*v)
    return std::optional<json>{};
  auto r = json::parse(**v);
  r["first_event"] = iso_time(r["first_event_ms"].get<int64_t>());
  r["last_event"] = iso_time(r["last_event_ms"].get<int64_t>());
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
  auto last = p["last_ms"].get<int64_t>();
  auto score = popularity::at({p["score"].get<double>(), last}, now_ms(), half_life_ms_);
  return std::optional<json>{json{{"score", score},
                                  {"count", p["count"]},
                                  {"users", p["users"].size()},
                                  {"last_seen", iso_time(last)}}};
}

std::vector<double> lineage_store::popularity_scores(const std::vector<std::string>& urns) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto now = now_ms();
  std::vector<double> out;
  out.reserve(urns.size());
  for (auto& u : urns) {
    auto i = scores_.find(u);
    out.push_back(i == scores_.end() ? 0.0 : popularity::at(i->second, now, half_life_ms_));
  }
  return out;
}

} // namespace almanac::lineage
