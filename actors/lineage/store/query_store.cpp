// The query store: queries, their executions, the tables and columns they
// touch, and popularity (q/, x/, e/, t/, p/ keys; lineage_store.hpp).

#include "actors/lineage/store/lineage_store.hpp"

#include "actors/lineage/domain/lineage_keys.hpp"
#include "actors/lineage/store/store_batch.hpp"
#include "messages/error.hpp"
#include "messages/time.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <set>

namespace almanac::lineage {

using namespace store_detail;
using nlohmann::json;

namespace store_detail {

void remember_score(std::unordered_map<std::string, popularity::decayed_uses>& scores,
                    const std::string& key, const std::string& value) {
  auto p = json::parse(value, nullptr, false);
  if (p.is_object())
    scores[key.substr(2)] = {p.value("score", 0.0), p.value("last_ms", int64_t{0})};
}

namespace {

bool numbers(const json& j, std::initializer_list<const char*> keys) {
  for (auto k : keys) {
    auto i = j.find(k);
    if (i == j.end() || !i->is_number())
      return false;
  }
  return true;
}

bool strings_array(const json& j, const char* key) {
  auto i = j.find(key);
  if (i == j.end() || !i->is_array())
    return false;
  for (auto& x : *i)
    if (!x.is_string())
      return false;
  return true;
}

/// Adds `user` to a document's "users" (at most 1,000 kept).
void add_user(json& doc, const std::string& user) {
  auto& users = doc["users"];
  if (!user.empty() && users.size() < 1000
      && std::find(users.begin(), users.end(), user) == users.end())
    users.push_back(user);
}

} // namespace

bool usage_shape(const json& j) {
  return j.is_object() && numbers(j, {"count", "score", "last_ms"}) && strings_array(j, "users");
}

bool query_shape(const json& j) {
  return j.is_object() && numbers(j, {"count", "first_seen", "last_seen", "total_duration_ms"})
         && strings_array(j, "users");
}

void bump(batch& bs, double half_life_ms, const std::string& urn, const std::string& user,
          int64_t ms, uint64_t n) {
  if (urn.empty())
    return;
  auto& p = bs.doc("p/" + urn, usage_shape);
  bs.changed();
  if (p.is_null())
    p = json{{"count", 0}, {"score", 0.0}, {"last_ms", ms}, {"users", json::array()}};
  popularity::decayed_uses d{p["score"].get<double>(), p["last_ms"].get<int64_t>()};
  popularity::add(d, static_cast<double>(n), ms, half_life_ms);
  p["score"] = d.score;
  p["last_ms"] = d.last_ms;
  p["count"] = p["count"].get<uint64_t>() + n;
  add_user(p, user);
}

void apply_query(batch& bs, double half_life_ms, const ev::query_observed& q,
                 const event_record& r) {
  auto& exec = q.execution_id;
  if (exec.empty() || bs.get("x/" + exec))
    return; // ingested before: idempotent
  auto& fp = q.fingerprint;
  std::set<std::string> touched;
  for (auto* list : {&q.tables_read, &q.tables_written, &q.columns_read, &q.columns_written})
    touched.insert(list->begin(), list->end());
  // Every document this event changes, loaded (and checked) first.
  bs.doc("q/" + fp, query_shape);
  for (auto& u : touched)
    if (!u.empty())
      bs.doc("p/" + u, usage_shape);
  for (auto& e : q.table_lineage)
    load_edge(bs, e.from, e.to);
  for (auto& e : q.column_lineage)
    for (auto& source : e.sources)
      load_edge(bs, source, e.target);

  bs.put("x/" + exec, "");
  auto ms = q.start_ms != 0 ? q.start_ms : r.timestamp_ms;
  auto calls = q.calls;
  auto& stored = bs.doc("q/" + fp, query_shape);
  bs.changed();
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
  add_user(stored, q.user);
  bs.put("e/" + fp + std::string(1, sep) + be64(static_cast<uint64_t>(ms))
           + std::string(1, sep) + exec,
         json{{"user", q.user}, {"start_ms", ms}, {"duration_ms", q.duration_ms},
              {"calls", calls}, {"origin", q.origin}, {"offset", r.offset}}
           .dump(-1, ' ', false, json::error_handler_t::replace));
  for (auto& u : touched) {
    bs.put(key2("t/", u, fp), "");
    bump(bs, half_life_ms, u, q.user, ms, calls);
  }
  for (auto& e : q.table_lineage)
    add_edge(bs, e.from, e.to, "query", fp, ms);
  for (auto& e : q.column_lineage)
    for (auto& source : e.sources)
      add_edge(bs, source, e.target, "query", fp, ms);
}

} // namespace store_detail

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
