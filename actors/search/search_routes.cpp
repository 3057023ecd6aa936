#include "actors/search/search_routes.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "actors/http/ask_routes.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <sstream>

namespace almanac::search {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::vector<std::string> list_param(const http::request& req, const char* name) {
  std::vector<std::string> out;
  auto i = req.query.find(name);
  if (i == req.query.end())
    return out;
  std::stringstream ss{i->second};
  std::string x;
  while (std::getline(ss, x, ','))
    if (!x.empty())
      out.push_back(x);
  return out;
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<search_projection> search) {
  using http::role;
  r.add_async("GET", "/api/v1/search", role::viewer,
              [&node, search](http::request& req, const http::principal& who,
                              http::responder reply) {
    http::read_after_min_offset(node, projection_name, req, std::move(reply),
                                [&node, &req, search, user = who.user]() -> http::response {
           search::search_query q;
           q.text = req.query.count("q") ? req.query.at("q") : "";
           q.kinds = list_param(req, "kind");
           q.sources = list_param(req, "source");
           q.schemas = list_param(req, "schema");
           q.tags = list_param(req, "tag");
           q.stewards = list_param(req, "steward");
           for (auto flag : {"endorsed", "deprecated"})
             if (req.query.count(flag)) {
               auto v = req.query.at(flag);
               if (v != "true" && v != "false")
                 return http::error_response(make_error(
                   ec::bad_request, std::string{"query parameter "} + flag + " must be true or false"));
               (std::string{flag} == "endorsed" ? q.endorsed : q.deprecated) = v == "true";
             }
           auto limit = http::query_uint(req, "limit", 20, 1000);
           if (!limit)
             return http::error_response(limit.error());
           auto offset = http::query_uint(req, "offset", 0, 100000);
           if (!offset)
             return http::error_response(offset.error());
           q.limit = *limit;
           q.offset = *offset;
           q.popularity = search->popularity();
           auto idx = search->live();
           if (!idx)
             return http::error_response(make_error(ec::unavailable, "the search index is opening"));
           auto res = idx->search(q);
           if (!res.error.empty() && res.busy) {
             spdlog::warn("[search] query failed on the index: {}", res.error);
             auto resp = http::error_response(make_error(
               ec::unavailable, "the search index is busy; try again"));
             resp.headers["Retry-After"] = "1";
             return resp;
           }
           if (!res.error.empty())
             return http::error_response(make_error(ec::bad_request, "search: " + res.error));
           if (auto h = node.registry.find(names::usage); h && !q.text.empty())
             caf::anon_send(h, atom::searched::value, user, q.text, res.total);
           return http::json_response(200, res.to_json());
    });
  });
  r.add({"GET", "/api/v1/search/suggest", role::viewer,
         [search](http::request& req, const http::principal&) {
           auto prefix = req.query.count("prefix") ? req.query.at("prefix") : "";
           if (prefix.empty())
             return http::error_response(make_error(ec::bad_request, "query parameter prefix is required"));
           auto limit = http::query_uint(req, "limit", 10, 100);
           if (!limit)
             return http::error_response(limit.error());
           auto idx = search->live();
           if (!idx)
             return http::error_response(make_error(ec::unavailable, "the search index is opening"));
           auto arr = json::array();
           for (auto& s : idx->suggest(prefix, *limit, search->popularity()))
             arr.push_back({{"urn", s.urn}, {"name", s.name}, {"kind", s.kind}, {"title", s.title}});
           return http::json_response(200, {{"suggestions", arr}});
         }});
  r.add_async("GET", "/api/v1/lexicon", role::viewer,
              [&node, search](http::request& req, const http::principal&,
                              http::responder reply) {
                http::read_after_min_offset(node, projection_name, req, std::move(reply),
                                            [search] {
                  auto idx = search->live();
                  if (!idx)
                    return http::error_response(
                      make_error(ec::unavailable, "the search index is opening"));
                  return http::json_response(200, idx->lexicon_json());
                });
              });
  r.add_async("PUT", "/api/v1/lexicon/{abbreviation}", role::steward,
              [&node](http::request& req, const http::principal& who, http::responder reply) {
           auto& abbr = req.params["abbreviation"];
           if (abbr.empty() || abbr.size() > 64 || abbr.find_first_of(" \t\r\n") != std::string::npos)
             return reply(http::error_response(make_error(
               ec::invalid_argument, "an abbreviation is one word of at most 64 characters")));
           if (!req.json.is_object() || !req.json.contains("expansion")
               || !req.json["expansion"].is_string())
             return reply(http::error_response(make_error(
               ec::bad_request, "the body must be {\"expansion\": \"...\"} (\"\" removes it)")));
           for (auto& [k, v] : req.json.items())
             if (k != "expansion")
               return reply(http::error_response(make_error(ec::bad_request, "unknown field '" + k + "'")));
           auto exp = req.json["expansion"].get<std::string>();
           if (exp.size() > 200)
             return reply(http::error_response(make_error(ec::invalid_argument, "field 'expansion' is too long")));
           ev::lexicon_edited edit;
           edit.user = who.user;
           edit.abbreviation = abbr;
           edit.expansion = exp;
           std::vector<event_input> evs{ev::to_event(edit, "lexicon:" + abbr)};
           http::ask_actor<append_ack>(
             node, names::eventlog, 10s,
             [reply, abbr, exp](caf::expected<append_ack> ack) {
               if (!ack)
                 return reply(http::error_response(ack.error()));
               reply(http::json_response(200, {{"abbreviation", abbr}, {"expansion", exp},
                                               {"offset", ack->end_offset - 1}}));
             },
             atom::append::value, evs);
         });
}

} // namespace almanac::search
