// Accuracy of the SQL analysis over OpenLineage's own SQL lineage test cases
// (../shared/corpus/openlineage-sql, the records PostgreSQL's parser
// accepts). Prints how many cases match their expected input/output tables
// and, separately, their expected column lineage; exits 1 if either count is
// below the best recorded in accuracy_best.json.
//
//   lineage_accuracy CORPUS_DIR BEST_JSON [--update] [--report FILE]
//
// --update rewrites BEST_JSON when a count improved; --report writes every
// failing case with the reason as Markdown (for docs/lineage.md).
//
// Matching rules (docs/lineage.md): names compare case-insensitively (the
// corpus keeps case as written, PostgreSQL folds unquoted names); a
// one-part expected table name gets the default schema "public." (ours
// resolves unqualified tables that way); lists compare as sets; a `null`
// expectation is not checked. Column lineage compares the statement's
// output columns: unnamed computed outputs are named _0, _1, ... in order,
// outputs with no source column are left out, and each output's source
// columns compare as a set.

#include "actors/lineage/sql/sql_analysis.hpp"
#include "messages/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace {

using nlohmann::json;
using namespace almanac::lineage;

using almanac::lower;

std::string expected_table(const std::string& name) {
  auto n = lower(name);
  return n.find('.') == std::string::npos ? "public." + n : n;
}

std::string show(const std::set<std::string>& s) {
  std::string out = "[";
  for (auto& x : s)
    out += (out.size() > 1 ? ", " : "") + x;
  return out + "]";
}

using lineage_set = std::map<std::string, std::set<std::string>>;

std::string show(const lineage_set& l) {
  std::string out;
  for (auto& [col, sources] : l)
    out += (out.empty() ? "" : "; ") + col + " <- " + show(sources);
  return out.empty() ? "(none)" : out;
}

std::vector<json> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      out.push_back(json::parse(line));
  return out;
}

struct outcome {
  std::string id;
  bool ok = true;
  std::string reason;
};

std::string short_error(const analysis& a) {
  return a.parse_error ? " (parse error: " + *a.parse_error + ")" : "";
}

outcome check_tables(const json& r) {
  outcome o;
  o.id = r["id"].get<std::string>();
  auto a = analyze(r["sql"].get<std::string>());
  auto compare = [&](const char* key, const std::vector<std::string>& got_list) {
    if (!r.contains(key) || r[key].is_null())
      return;
    std::set<std::string> want, got;
    for (auto& t : r[key])
      want.insert(expected_table(t.get<std::string>()));
    for (auto& t : got_list)
      got.insert(lower(t));
    if (want != got) {
      o.ok = false;
      o.reason += std::string(o.reason.empty() ? "" : "; ") + key + ": expected "
                  + show(want) + ", got " + show(got);
    }
  };
  compare("in_tables", a.tables_read);
  compare("out_tables", a.tables_written);
  if (!o.ok)
    o.reason += short_error(a);
  return o;
}

outcome check_columns(const json& r) {
  outcome o;
  o.id = r["id"].get<std::string>();
  auto a = analyze(r["sql"].get<std::string>());
  lineage_set want, got;
  for (auto& e : r["column_lineage"]) {
    auto& sources = want[lower(e["descendant"]["column"].get<std::string>())];
    for (auto& s : e["lineage"])
      sources.insert(expected_table(s["table"].get<std::string>()) + "."
                     + lower(s["column"].get<std::string>()));
  }
  int unnamed = 0;
  for (auto& out : a.outputs) {
    auto name = out.named ? lower(out.name) : "_" + std::to_string(unnamed++);
    if (out.sources.empty())
      continue;
    for (auto& s : out.sources)
      got[name].insert(lower(s.table) + "." + lower(s.column));
  }
  if (want != got) {
    o.ok = false;
    o.reason = "expected " + show(want) + ", got " + show(got) + short_error(a);
  }
  return o;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: lineage_accuracy CORPUS_DIR BEST_JSON [--update] [--report FILE]\n";
    return 2;
  }
  std::string corpus = argv[1], best_path = argv[2], report_path;
  bool update = false;
  for (int i = 3; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--update")
      update = true;
    else if (arg == "--report" && i + 1 < argc)
      report_path = argv[++i];
  }
  try {
    std::vector<outcome> tables, columns;
    for (auto& r : read_lines(corpus + "/table_lineage.jsonl"))
      if (r.value("parses_as_postgres", false))
        tables.push_back(check_tables(r));
    for (auto& r : read_lines(corpus + "/column_lineage.jsonl"))
      if (r.value("parses_as_postgres", false))
        columns.push_back(check_columns(r));
    auto passed = [](const std::vector<outcome>& v) {
      return static_cast<int>(std::count_if(v.begin(), v.end(), [](auto& o) { return o.ok; }));
    };
    int t = passed(tables), c = passed(columns);
    std::ostringstream report;
    report << "Failing table cases (" << tables.size() - t << "):\n\n";
    for (auto& o : tables)
      if (!o.ok)
        report << "- `" << o.id << "`: " << o.reason << "\n";
    report << "\nFailing column cases (" << columns.size() - c << "):\n\n";
    for (auto& o : columns)
      if (!o.ok)
        report << "- `" << o.id << "`: " << o.reason << "\n";
    std::cout << report.str() << "\n";
    std::cout << "tables: " << t << "/" << tables.size() << " cases match\n";
    std::cout << "columns: " << c << "/" << columns.size() << " cases match\n";
    if (!report_path.empty())
      std::ofstream(report_path) << report.str();
    json best = {{"tables", 0}, {"columns", 0}};
    if (std::ifstream in(best_path); in)
      best = json::parse(in);
    int best_t = best.value("tables", 0), best_c = best.value("columns", 0);
    std::cout << "best so far: tables " << best_t << ", columns " << best_c << "\n";
    if (t < best_t || c < best_c) {
      std::cout << "FAILED: accuracy dropped below the best recorded in " << best_path << "\n";
      return 1;
    }
    if ((t > best_t || c > best_c)) {
      if (update) {
        // Other keys (catalog_accuracy.py's "catalog_cases") stay.
        best["tables"] = t;
        best["tables_total"] = tables.size();
        best["columns"] = c;
        best["columns_total"] = columns.size();
        std::ofstream(best_path) << best.dump(2) << "\n";
        std::cout << "recorded the new best in " << best_path << "\n";
      } else {
        std::cout << "improved: run with --update to record it in " << best_path << "\n";
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "lineage_accuracy: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
