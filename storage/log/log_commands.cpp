#include "storage/log/log_commands.hpp"

#include "messages/error.hpp"
#include "storage/log/segment_log.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <ctime>
#include <iomanip>
#include <mutex>

namespace almanac::storage {

namespace {

/// Opens the log of `data_dir` for a command; prints failures on `err`.
std::unique_ptr<segment_log> open_for_command(const std::string& data_dir,
                                              bool create, std::ostream& err) {
  log_options opts;
  opts.dir = log_dir_of(data_dir);
  opts.create = create;
  auto log = segment_log::open(opts);
  if (!log) {
    err << "error: " << render(log.error()) << '\n';
    return nullptr;
  }
  auto& report = (*log)->report();
  if (report.bytes_truncated > 0)
    err << "note: recovery truncated a torn tail of " << report.bytes_truncated
        << " bytes at log position " << report.truncated_at.value_or(0)
        << '\n';
  return std::move(*log);
}

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

} // namespace

std::string log_dir_of(const std::string& data_dir) {
  return data_dir + "/log";
}

std::string format_timestamp_ms(int64_t ms) {
  auto secs = ms / 1000;
  auto millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(millis));
  return buf;
}

int log_stat(const std::string& data_dir, std::ostream& out,
             std::ostream& err) {
  auto log = open_for_command(data_dir, false, err);
  if (!log)
    return 1;
  auto segments = log->segments();
  out << "log: " << log->options().dir << '\n'
      << "segments: " << segments.size() << '\n'
      << "start_offset: " << log->start_offset() << '\n'
      << "end_offset: " << log->end_offset() << '\n'
      << "total_bytes: " << log->end_position() << '\n'
      << "epoch: " << log->epoch() << '\n';
  out << std::left << std::setw(32) << "segment" << std::right
      << std::setw(14) << "base_offset" << std::setw(8) << "epoch"
      << std::setw(14) << "bytes" << std::setw(12) << "records" << '\n';
  for (auto& s : segments)
    out << std::left << std::setw(32) << s.file_name << std::right
        << std::setw(14) << s.base_offset << std::setw(8) << s.epoch
        << std::setw(14) << s.bytes << std::setw(12) << s.records << '\n';
  out.flush();
  if (auto e = log->close()) {
    err << "error: " << render(e) << '\n';
    return 1;
  }
  return 0;
}

int log_dump(const std::string& data_dir, uint64_t from,
             std::optional<uint64_t> to, std::ostream& out,
             std::ostream& err) {
  auto log = open_for_command(data_dir, false, err);
  if (!log)
    return 1;
  auto end = std::min(to.value_or(UINT64_MAX), log->end_offset());
  auto next = std::max(from, log->start_offset());
  while (next < end) {
    auto recs = log->read(next, std::min<uint64_t>(end - next, 1024));
    if (!recs) {
      err << "error: " << render(recs.error()) << '\n';
      return 1;
    }
    if (recs->empty())
      break;
    for (auto& r : *recs) {
      nlohmann::ordered_json line;
      line["offset"] = r.offset;
      line["epoch"] = r.epoch;
      line["position"] = r.position;
      line["type"] = r.type;
      line["key"] = r.key;
      line["timestamp"] = format_timestamp_ms(r.timestamp_ms);
      line["timestamp_ms"] = r.timestamp_ms;
      auto payload = nlohmann::json::parse(r.payload, nullptr, false);
      if (payload.is_discarded())
        line["payload"] = r.payload;
      else
        line["payload"] = std::move(payload);
      out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
          << '\n';
    }
    next = recs->back().offset + 1;
  }
  out.flush();
  return out ? 0 : 1;
}

int log_append(const std::string& data_dir, const std::string& type,
               const std::string& key, std::istream& in, std::ostream& out,
               std::ostream& err) {
  auto log = open_for_command(data_dir, true, err);
  if (!log)
    return 1;
  // Lines are queued without waiting for each fsync (at most `window` in
  // flight); acknowledgements arrive in order, one at a time, on the log's
  // threads, which alone write to `out`.
  constexpr size_t window = 4096;
  std::mutex mtx;
  std::condition_variable cv;
  size_t in_flight = 0;
  caf::error failure;
  int status = 0;
  std::string line;
  uint64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (is_blank(line))
      continue;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!nlohmann::json::accept(line)) {
      err << "error: line " << line_no << " is not valid JSON; not appended\n";
      status = 1;
      continue;
    }
    {
      std::unique_lock<std::mutex> guard{mtx};
      cv.wait(guard, [&] { return in_flight < window || failure; });
      if (failure)
        break;
      ++in_flight;
    }
    std::vector<record_input> recs;
    recs.push_back(record_input{type, key, std::move(line), std::nullopt});
    log->append(std::move(recs), [&](caf::expected<append_result> res) {
      if (res)
        out << res->first_offset << std::endl;
      std::lock_guard<std::mutex> guard{mtx};
      if (!res && !failure)
        failure = res.error();
      --in_flight;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [&] { return in_flight == 0; });
  }
  auto close_err = log->close();
  if (failure) {
    err << "error: " << render(failure) << '\n';
    return 1;
  }
  if (close_err) {
    err << "error: " << render(close_err) << '\n';
    return 1;
  }
  return status;
}

} // namespace almanac::storage
