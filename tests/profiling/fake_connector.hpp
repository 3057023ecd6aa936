#pragma once

// An in-memory connector that understands just the SQL the table profiler
// writes (SELECT list FROM t [AS "almanac$row"] [TABLESAMPLE ... [REPEATABLE
// ...]] [WHERE k > v] [ORDER BY ... | md5("almanac$row"::text)]
// [LIMIT n] [OFFSET m], and count(*)), logs every statement, and can fail
// or raise the cancel flag on cue.

#include "connectors/connector.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <functional>
#include <random>
#include <regex>

namespace almanac::profiling::test {

class fake_connector : public connectors::connector {
public:
  std::string from;                    ///< The quoted name queries must use.
  std::vector<std::string> columns;
  std::vector<std::string> types;
  std::vector<nlohmann::json> rows;    ///< JSON arrays, one value per column.
  std::vector<std::string> log;        ///< Every statement received.
  std::vector<uint64_t> limits;        ///< row_limit of every statement.
  std::string fail_on;                 ///< Fail statements holding this text...
  ec fail_with = ec::invalid_argument; ///< ...with this code.
  std::atomic<bool>* cancel_flag = nullptr;
  size_t cancel_after = SIZE_MAX;      ///< Raise *cancel_flag after this many.

  caf::expected<connectors::catalog_snapshot>
  extract(const connectors::extract_options&, const connectors::progress_fn&,
          const std::atomic<bool>&) override {
    return make_error(ec::unavailable, "not in the fake");
  }

  void cancel() override {
  }

  caf::expected<std::vector<connectors::query_log_entry>>
  read_query_log(uint64_t) override {
    return make_error(ec::unavailable, "not in the fake");
  }

  caf::expected<std::string> privileges() override {
    return std::string{};
  }

  caf::expected<connectors::query_result>
  query(const std::string& sql, const connectors::query_options& opts) override {
    log.push_back(sql);
    limits.push_back(opts.row_limit);
    if (cancel_flag && log.size() >= cancel_after)
      *cancel_flag = true;
    if (!fail_on.empty() && sql.find(fail_on) != std::string::npos)
      return make_error(fail_with, "fake failure on " + fail_on);
    connectors::query_result r;
    if (sql == "SELECT count(*) FROM " + from) {
      r.columns = {"count"};
      r.column_types = {"bigint"};
      r.rows.push_back({rows.size()});
      return r;
    }
    static const std::regex shape{
      R"(SELECT (.+) FROM (.+?)(?: AS "almanac\$row")?)"
      R"(( TABLESAMPLE BERNOULLI \([0-9.]+\)(?: REPEATABLE \(\d+\))?)?)"
      R"((?: WHERE (\S+) > (\S+))?(?: ORDER BY (.+?))?(?: LIMIT (\d+))?(?: OFFSET (\d+))?)"};
    std::smatch m;
    if (!std::regex_match(sql, m, shape) || m[2] != from)
      return make_error(ec::invalid_argument, "fake cannot run: " + sql);
    // Each row extended by its rowid, so that "rowid" is a column too.
    std::vector<nlohmann::json> table;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto row = rows[i];
      row.push_back(i + 1);
      table.push_back(row);
    }
    auto index_of = [&](std::string name) -> int {
      if (name == "rowid")
        return static_cast<int>(columns.size());
      name = name.substr(1, name.size() - 2);
      for (size_t p; (p = name.find("\"\"")) != std::string::npos;)
        name.erase(p, 1);
      auto i = std::find(columns.begin(), columns.end(), name);
      return i == columns.end() ? -1 : static_cast<int>(i - columns.begin());
    };
    std::vector<int> picked;
    std::string select = m[1];
    if (select == "*") {
      for (size_t i = 0; i < columns.size(); ++i)
        picked.push_back(static_cast<int>(i));
    } else {
      static const std::regex item{R"("(?:[^"]|"")*"|rowid)"};
      for (auto i = std::sregex_iterator(select.begin(), select.end(), item);
           i != std::sregex_iterator(); ++i)
        picked.push_back(index_of(i->str()));
    }
    if (std::count(picked.begin(), picked.end(), -1) > 0)
      return make_error(ec::invalid_argument, "fake: unknown column in " + sql);
    if (m[4].matched) {
      auto k = index_of(m[4]);
      auto bound = nlohmann::json::parse(m[5].str());
      table.erase(std::remove_if(table.begin(), table.end(),
                                 [&](auto& row) { return !(bound < row[k]); }),
                  table.end());
    }
    std::string order = m[6];
    if (order == "random()") {
      std::shuffle(table.begin(), table.end(), std::mt19937{7});
    } else if (order == R"(md5("almanac$row"::text))") {
      // An order by a hash of each row's content (without its rowid).
      std::vector<std::pair<size_t, nlohmann::json>> keyed;
      for (auto& row : table) {
        auto content = row;
        content.erase(content.size() - 1);
        keyed.emplace_back(std::hash<std::string>{}(content.dump()), std::move(row));
      }
      std::stable_sort(keyed.begin(), keyed.end(),
                       [](auto& a, auto& b) { return a.first < b.first; });
      table.clear();
      for (auto& [digest, row] : keyed)
        table.push_back(std::move(row));
    } else if (!order.empty()) {
      std::vector<int> keys;
      static const std::regex item{R"("(?:[^"]|"")*"|rowid|\d+)"};
      for (auto i = std::sregex_iterator(order.begin(), order.end(), item);
           i != std::sregex_iterator(); ++i) {
        auto s = i->str();
        keys.push_back(std::isdigit(s[0]) ? picked[std::stoi(s) - 1] : index_of(s));
      }
      std::stable_sort(table.begin(), table.end(), [&](auto& a, auto& b) {
        for (auto k : keys)
          if (a[k] != b[k])
            return a[k] < b[k];
        return false;
      });
    }
    size_t offset = m[8].matched ? std::stoul(m[8]) : 0;
    size_t limit = m[7].matched ? std::stoul(m[7]) : SIZE_MAX;
    for (auto i : picked) {
      r.columns.push_back(i < static_cast<int>(columns.size()) ? columns[i] : "rowid");
      r.column_types.push_back(i < static_cast<int>(types.size()) ? types[i] : "integer");
    }
    for (size_t i = offset; i < table.size() && i - offset < limit; ++i) {
      if (r.rows.size() == opts.row_limit) {
        r.truncated = true;
        break;
      }
      auto out = nlohmann::json::array();
      for (auto k : picked)
        out.push_back(table[i][k]);
      r.rows.push_back(out);
    }
    return r;
  }
};

} // namespace almanac::profiling::test
