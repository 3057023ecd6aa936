#include "actors/profiling/table_profiler.hpp"

#include "actors/profiling/pii.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <cctype>

namespace almanac::profiling {

namespace {

using connectors::query_result;

/// Whether the source's type name is a decimal type that connectors may hand
/// over as text to keep its precision.
bool is_decimal_type(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return type.rfind("numeric", 0) == 0 || type.rfind("decimal", 0) == 0;
}

/// The count(*) a source returned, as a number or as text.
caf::expected<uint64_t> count_of(const query_result& r) {
  if (r.rows.size() == 1 && r.rows[0].is_array() && r.rows[0].size() == 1) {
    const auto& v = r.rows[0][0];
    if (v.is_number_integer() && v.get<int64_t>() >= 0)
      return v.get<uint64_t>();
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit))
        return std::stoull(s);
    }
  }
  return make_error(ec::unspecified, "count(*) answered " + r.rows.dump());
}

/// One profiling run over one table.
class table_run {
public:
  table_run(connectors::connector& c, const profile_options& opts,
            const std::atomic<bool>& cancel, const connectors::progress_fn& progress,
            std::string table, std::string from)
    : c_(c), opts_(opts), cancel_(cancel), progress_(progress), table_(std::move(table)),
      from_(std::move(from)) {
  }

  caf::expected<nlohmann::json> run(std::vector<std::string> columns);

private:
  caf::expected<query_result> query(const std::string& sql, uint64_t limit);
  caf::error feed(const query_result& r, size_t keys);
  caf::error read_sample();
  caf::error read_full();
  caf::error read_keyset(const std::vector<std::string>& keys);
  caf::error read_offset();
  void report() const {
    if (progress_)
      progress_(rows_read_, rows_total_);
  }

  connectors::connector& c_;
  const profile_options& opts_;
  const std::atomic<bool>& cancel_;
  const connectors::progress_fn& progress_;
  std::string table_;
  std::string from_;
  std::string select_;
  std::vector<std::string> columns_;
  std::vector<column_stats> stats_;
  uint64_t row_count_ = 0;
  uint64_t rows_total_ = 0;
  uint64_t rows_read_ = 0;
};

caf::expected<query_result> table_run::query(const std::string& sql, uint64_t limit) {
  if (cancel_.load())
    return make_error(ec::cancelled, "profiling of " + from_ + " cancelled");
  connectors::query_options q;
  q.row_limit = limit;
  q.timeout = opts_.query_timeout;
  q.read_only = true;
  return c_.query(sql, q);
}

caf::error table_run::feed(const query_result& r, size_t keys) {
  auto width = columns_.size() + keys;
  for (const auto& row : r.rows) {
    if (!row.is_array() || row.size() < width)
      return make_error(ec::unspecified, "a row of " + from_ + " has "
                                           + std::to_string(row.size())
                                           + " values, expected "
                                           + std::to_string(width));
    for (size_t i = 0; i < columns_.size(); ++i)
      stats_[i].add(row[i]);
  }
  rows_read_ += r.rows.size();
  report();
  return {};
}

caf::error table_run::read_sample() {
  auto n = opts_.sample_size;
  auto sql = sample_sql(opts_.dialect, select_, from_, n, row_count_);
  auto r = query(sql, n);
  if (!r && code_of(r.error()) == ec::invalid_argument
      && opts_.dialect == sql_dialect::postgresql) {
    // TABLESAMPLE works on tables and materialized views only, not on views.
    r = query(sample_sql(sql_dialect::postgresql, select_, from_, n, 0), n);
    if (!r && code_of(r.error()) == ec::invalid_argument)
      r = query(sample_sql(sql_dialect::generic, select_, from_, n, row_count_), n);
  }
  if (!r)
    return r.error();
  return feed(*r, 0);
}

caf::error table_run::read_keyset(const std::vector<std::string>& keys) {
  std::vector<nlohmann::json> last;
  for (;;) {
    auto r = query(keyset_page_sql(select_, from_, keys, last, opts_.page_size),
                   opts_.page_size);
    if (!r)
      return r.error();
    bool more = r->rows.size() >= opts_.page_size;
    if (more) {
      // Checked before feeding, so that a failed first page reads nothing.
      const auto& tail = r->rows.back();
      if (!tail.is_array() || tail.size() < columns_.size() + keys.size())
        return make_error(ec::unspecified, "a row of " + from_ + " lacks its key");
      last.assign(tail.end() - static_cast<ptrdiff_t>(keys.size()), tail.end());
      for (const auto& v : last)
        if (v.is_null())
          return make_error(ec::invalid_argument,
                            "a key column of " + from_ + " holds NULL: cannot page by it");
    }
    if (auto err = feed(*r, keys.size()))
      return err;
    if (!more)
      return {};
  }
}

caf::error table_run::read_offset() {
  for (uint64_t offset = 0;; offset += opts_.page_size) {
    auto sql = offset_page_sql(select_, from_, columns_.size(), offset, opts_.page_size);
    auto r = query(sql, opts_.page_size);
    if (!r && offset == 0 && code_of(r.error()) == ec::invalid_argument) {
      // A column type without an order (json, point): one unpaged read.
      r = query("SELECT " + select_ + " FROM " + from_, rows_total_ + opts_.page_size);
      if (!r)
        return r.error();
      return feed(*r, 0);
    }
    if (!r)
      return r.error();
    if (auto err = feed(*r, 0))
      return err;
    if (r->rows.size() < opts_.page_size)
      return {};
  }
}

caf::error table_run::read_full() {
  if (!opts_.key_columns.empty()) {
    std::vector<std::string> keys;
    for (const auto& k : opts_.key_columns)
      keys.push_back(quote_identifier(k));
    return read_keyset(keys);
  }
  if (opts_.dialect == sql_dialect::sqlite) {
    auto err = read_keyset({"rowid"});
    // Views and WITHOUT ROWID tables have no rowid; nothing was read then.
    if (!err || rows_read_ > 0 || code_of(err) != ec::invalid_argument)
      return err;
  }
  return read_offset();
}

caf::expected<nlohmann::json> table_run::run(std::vector<std::string> columns) {
  // One row tells the columns (for "all") and their types.
  auto probe = query("SELECT " + select_list(columns) + " FROM " + from_ + " LIMIT 1", 1);
  if (!probe)
    return probe.error();
  columns_ = columns.empty() ? probe->columns : std::move(columns);
  select_ = select_list(columns_);
  for (size_t i = 0; i < columns_.size(); ++i) {
    auto stats_opts = opts_.stats;
    if (i < probe->column_types.size() && is_decimal_type(probe->column_types[i]))
      stats_opts.numeric_strings = true;
    stats_.emplace_back(stats_opts);
  }
  auto counted = query(count_sql(from_), 1);
  if (!counted)
    return counted.error();
  auto n = count_of(*counted);
  if (!n)
    return n.error();
  row_count_ = *n;
  bool sampled = !opts_.full && row_count_ > opts_.sample_size;
  rows_total_ = sampled ? opts_.sample_size : row_count_;
  report();
  if (auto err = sampled ? read_sample() : read_full())
    return err;
  nlohmann::json result;
  result["table_row_count"] = row_count_;
  result["sampled"] = sampled;
  result["sample_size"] = rows_read_;
  result["method"] = sampled ? "sample" : "full";
  auto& cols = result["columns"] = nlohmann::json::object();
  for (size_t i = 0; i < columns_.size(); ++i) {
    auto p = sampled ? stats_[i].sampled_profile(row_count_) : stats_[i].profile();
    p["sampled"] = sampled;
    p["sample_size"] = rows_read_;
    if (auto pii = classify_pii(table_, columns_[i], p["kind"].get<std::string>(),
                                stats_[i].content())) {
      bool raw = opts_.raw_value_columns.count(columns_[i]) > 0;
      p["pii"] = {{"kind", pii->kind}, {"reason", pii->reason}, {"raw_values", raw}};
      if (!raw)
        redact_raw_values(p);
    }
    cols[columns_[i]] = std::move(p);
  }
  return result;
}

} // namespace

caf::expected<nlohmann::json>
profile_table(connectors::connector& c, const std::string& schema,
              const std::string& table, const std::vector<std::string>& columns,
              const profile_options& opts, const std::atomic<bool>& cancel,
              const connectors::progress_fn& progress) {
  if (opts.page_size == 0 || opts.sample_size == 0)
    return make_error(ec::invalid_argument, "profiling needs page_size and sample_size > 0");
  table_run run{c, opts, cancel, progress, table, qualified_name(schema, table)};
  return run.run(columns);
}

} // namespace almanac::profiling
