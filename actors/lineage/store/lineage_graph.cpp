// The lineage graph: edges with their evidence (d/, u/, k/ keys), view
// definitions as lineage, the graph's shape in memory and its traversal.

#include "actors/lineage/store/lineage_store.hpp"

#include "messages/urn.hpp"
#include "actors/lineage/domain/lineage_keys.hpp"
#include "actors/lineage/store/store_batch.hpp"
#include "messages/error.hpp"
#include "messages/json_guard.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <mutex>

namespace almanac::lineage {

using namespace store_detail;
using nlohmann::json;

namespace store_detail {

bool edge_shape(const json& j) {
  if (!j.is_object() || !j.contains("count") || !j["count"].is_number())
    return false;
  auto ev = j.find("evidence");
  if (ev == j.end() || !ev->is_array())
    return false;
  for (auto& x : *ev)
    if (!x.is_object() || !x.contains("kind") || !x.contains("id") || !x.contains("count")
        || !x["count"].is_number())
      return false;
  return true;
}

void load_edge(batch& bs, const std::string& from, const std::string& to) {
  if (!from.empty() && !to.empty())
    bs.doc(key2("d/", from, to), edge_shape);
}

void add_edge(batch& bs, const std::string& from,
              const std::string& to, const std::string& kind, const std::string& id,
              int64_t ms) {
  // A self-edge (`UPDATE t SET c = c + 1`: c <- c; `INSERT INTO t SELECT
  // ... FROM t`) is an edge like any, with its evidence (docs/lineage.md).
  if (from.empty() || to.empty())
    return;
  auto& e = bs.doc(key2("d/", from, to), edge_shape);
  bs.changed();
  if (e.is_null())
    e = json{{"from", from}, {"to", to}, {"count", 0}, {"first_seen", ms},
             {"evidence", json::array()}};
  e["count"] = e["count"].get<uint64_t>() + 1;
  e["last_seen"] = ms;
  auto& ev = e["evidence"];
  bool found = false;
  for (auto& x : ev)
    if (x["kind"] == kind && x["id"] == id) {
      x["count"] = x["count"].get<uint64_t>() + 1;
      x["last_seen"] = ms;
      found = true;
    }
  if (!found && ev.size() < 20)
    ev.push_back({{"kind", kind}, {"id", id}, {"count", 1}, {"first_seen", ms},
                  {"last_seen", ms}});
  bs.put(key2("u/", to, from), "");
}

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

void apply_view(batch& bs, const view_definition& v, int64_t ms) {
  auto& n = v.names;
  bs.put("k/" + v.urn, ""); // a known view (for names in later definitions)
  auto resolve = [&](const std::string& q) {
    // The view itself is a view; every other name is resolved against the
    // catalog's relations of that source (a view if one exists).
    bool view = q == n[1] + "." + n[2] || bs.get("k/" + table_urn(n[0], q, true)).has_value();
    return table_urn(n[0], q, view);
  };
  std::vector<std::pair<std::string, std::string>> edges;
  for (auto& e : v.parsed.table_lineage)
    edges.emplace_back(resolve(e.from), resolve(e.to));
  for (auto& e : v.parsed.column_lineage)
    for (auto& s : e.sources)
      edges.emplace_back(column_urn(resolve(s.table), s.column),
                         column_urn(resolve(e.target.table), e.target.column));
  for (auto& [from, to] : edges)
    load_edge(bs, from, to);
  for (auto& [from, to] : edges)
    add_edge(bs, from, to, "view", v.urn, ms);
}

} // namespace store_detail

uint32_t lineage_store::graph::id(const std::string& urn) {
  auto [it, fresh] = ids.emplace(urn, static_cast<uint32_t>(names.size()));
  if (fresh) {
    names.push_back(urn);
    column.push_back(is_column(urn));
    out.emplace_back();
    in.emplace_back();
  }
  return it->second;
}

void lineage_store::graph::upsert(const std::string& from, const std::string& to) {
  auto f = id(from);
  auto t = id(to);
  auto key = (static_cast<uint64_t>(f) << 32) | t;
  if (by_ends.count(key))
    return;
  auto e = static_cast<uint32_t>(edges.size());
  edges.push_back({f, t});
  by_ends.emplace(key, e);
  // Each node's edges stay sorted by the other end's URN: a walk cut by a
  // cap (nodes, fan-out, depth) then takes the same edges whatever order
  // the edges arrived in, so a projection answers as its rebuild does
  // (batches of a rebuild apply in another order than the live ones).
  auto place = [this](std::vector<uint32_t>& list, uint32_t edge, bool by_target) {
    auto end_of = [&](uint32_t x) -> const std::string& {
      return names[by_target ? edges[x].to : edges[x].from];
    };
    auto at = std::lower_bound(list.begin(), list.end(), edge, [&](uint32_t a, uint32_t b) {
      return end_of(a) < end_of(b);
    });
    list.insert(at, edge);
  };
  place(out[f], e, true);
  place(in[t], e, false);
}

void lineage_store::graph::clear() {
  *this = graph{};
}

namespace {

/// Appends `v` as a JSON string, escaped as json::dump() escapes it (UTF-8
/// kept; bytes that are not UTF-8 do not occur in URNs, which come from
/// validated JSON).
void append_json_string(std::string& out, const std::string& v) {
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

/// Visit marks over node or edge ids, one set per thread: a mark is set when
/// it equals the generation, so starting a traversal clears nothing.
struct marks {
  std::vector<uint32_t> at;
  uint32_t gen = 0;

  void start(size_t n) {
    if (at.size() < n)
      at.resize(n, 0);
    if (++gen == 0) {
      std::fill(at.begin(), at.end(), 0);
      gen = 1;
    }
  }
  /// Marks `i`; false if it was marked already.
  bool set(uint32_t i) {
    if (at[i] == gen)
      return false;
    at[i] = gen;
    return true;
  }
};

} // namespace

caf::expected<json> lineage_store::traverse(const std::string& root,
                                            const traversal_limits& lim) const {
  auto text = traverse_text(root, lim);
  if (!text)
    return text.error();
  return json::parse(*text);
}

caf::expected<std::string> lineage_store::traverse_text(const std::string& root,
                                                       const traversal_limits& lim) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto start = std::chrono::steady_clock::now();
  bool column_level = lim.level == "column";
  bool truncated = false;
  bool depth_cut = false;
  auto& g = graph_;
  std::vector<uint32_t> edge_ids;
  std::vector<uint32_t> node_ids; // every node seen in any walk
  thread_local marks nodes, seen, edges_seen;
  auto r = g.ids.find(root);
  if (r != g.ids.end()) {
    nodes.start(g.names.size());
    edges_seen.start(g.edges.size());
    nodes.set(r->second);
    node_ids.push_back(r->second);
    thread_local std::vector<std::pair<uint32_t, uint64_t>> frontier;
    auto walk = [&](bool down) {
      frontier.clear();
      frontier.emplace_back(r->second, 0);
      seen.start(g.names.size());
      seen.set(r->second);
      size_t steps = 0;
      for (size_t head = 0; head < frontier.size(); ++head) {
        if ((++steps & 255) == 0 && std::chrono::steady_clock::now() - start > lim.deadline) {
          truncated = true;
          return;
        }
        if (node_ids.size() >= lim.max_nodes) {
          truncated = true;
          return;
        }
        auto [u, d] = frontier[head];
        if (d >= lim.depth) {
          // Cut at the depth cap: truncated if the graph goes on from here.
          for (auto e : (down ? g.out[u] : g.in[u]))
            if (auto other = down ? g.edges[e].to : g.edges[e].from;
                other != u && (g.column[other] != 0) == column_level) {
              truncated = true;
              depth_cut = true;
              break;
            }
          continue;
        }
        size_t followed = 0;
        for (auto e : (down ? g.out[u] : g.in[u])) {
          auto other = down ? g.edges[e].to : g.edges[e].from;
          if ((g.column[other] != 0) != column_level)
            continue;
          if (++followed > lim.fan_out) {
            truncated = true;
            break;
          }
          if (edges_seen.set(e))
            edge_ids.push_back(e);
          if (nodes.set(other))
            node_ids.push_back(other);
          if (seen.set(other))
            frontier.emplace_back(other, d + 1);
        }
      }
    };
    if (lim.direction != "upstream")
      walk(true);
    if (lim.direction != "downstream")
      walk(false);
  }
  // The answer is written as text, as json::dump() would write it (keys in
  // order): building it as a json value cost most of a wide traversal.
  std::string out;
  out.reserve(64 + node_ids.size() * 96 + edge_ids.size() * (lim.evidence ? 320 : 160));
  auto str = [&](const std::string& v) { append_json_string(out, v); };
  std::vector<const std::string*> names;
  names.reserve(node_ids.size() + 1);
  // A root the graph does not hold comes from the request as it was sent.
  auto shown_root = to_valid_utf8(root);
  if (r == g.ids.end())
    names.push_back(&shown_root);
  for (auto n : node_ids)
    names.push_back(&g.names[n]);
  std::sort(names.begin(), names.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  out += "{\"depth_reached\":";
  out += depth_cut ? "true" : "false";
  out += ",\"edges\":[";
  std::optional<std::vector<std::optional<std::string>>> stored;
  if (lim.evidence && !edge_ids.empty()) {
    std::vector<std::string> keys;
    keys.reserve(edge_ids.size());
    for (auto e : edge_ids)
      keys.push_back(key2("d/", g.names[g.edges[e].from], g.names[g.edges[e].to]));
    auto got = store_->get_all(keys); // the evidence, in one batched read
    if (!got)
      return got.error();
    stored = std::move(*got);
  }
  for (size_t i = 0; i < edge_ids.size(); ++i) {
    auto& ed = g.edges[edge_ids[i]];
    out += i ? ",{" : "{";
    if (lim.evidence) {
      auto& v = (*stored)[i];
      auto data = v ? json::parse(*v, nullptr, false) : json(nullptr);
      json evidence = json::array();
      json count = 0;
      if (data.is_object()) {
        if (auto it = data.find("evidence"); it != data.end() && it->is_array())
          evidence = std::move(*it);
        if (auto it = data.find("count"); it != data.end() && it->is_number())
          count = *it;
      }
      out += "\"count\":";
      out += count.dump();
      out += ",\"evidence\":";
      out += evidence.dump(-1, ' ', false, json::error_handler_t::replace);
      out += ',';
    }
    out += "\"from\":";
    str(g.names[ed.from]);
    out += ",\"to\":";
    str(g.names[ed.to]);
    out += '}';
  }
  out += "],\"nodes\":[";
  for (size_t i = 0; i < names.size(); ++i) {
    out += i ? ",{\"kind\":" : "{\"kind\":";
    str(kind_of(*names[i]));
    out += ",\"urn\":";
    str(*names[i]);
    out += '}';
  }
  out += "],\"root\":";
  str(shown_root);
  out += ",\"truncated\":";
  out += truncated ? "true" : "false";
  out += '}';
  return out;
}

} // namespace almanac::lineage
