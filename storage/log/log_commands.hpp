#pragma once

// The offline `almanac log ...` commands, as plain functions the CLI calls.
// Each opens the log in <data_dir>/log (taking its lock: they fail with
// "locked" while a node runs on that data dir), does its work and closes it.
// They return the process exit code: 0 ok, 1 error (message on `err`).
//
// Opening runs recovery, so a command on a log whose last write was torn
// truncates that tail (and says so on `err`).
//
// spdlog: the log reports through the default logger; a CLI whose `out` is
// stdout should point that logger at stderr so that it cannot mix with the
// command's output.

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

namespace almanac::storage {

/// Returns the log directory of a node's data directory: <data_dir>/log.
std::string log_dir_of(const std::string& data_dir);

/// `almanac log stat`: prints every segment (file, base offset, epoch,
/// bytes, records), the start and end offset and the total bytes.
int log_stat(const std::string& data_dir, std::ostream& out,
             std::ostream& err = std::cerr);

/// `almanac log dump`: prints the records with offsets in [from, to) (to the
/// end without `to`), one JSON object per line: offset, epoch, position,
/// type, key, timestamp (ISO-8601 UTC, milliseconds), timestamp_ms and
/// payload (as JSON if it parses as JSON, else as a string).
int log_dump(const std::string& data_dir, uint64_t from,
             std::optional<uint64_t> to, std::ostream& out,
             std::ostream& err = std::cerr);

/// `almanac log append`: appends one record of `type` and `key` per line of
/// `in`, the line being the JSON payload (blank lines are skipped). Prints
/// each record's offset on its own line of `out`, flushed, once it is
/// durable (fsync=always). A line that is not valid JSON is reported on
/// `err` with its line number and not appended; the other lines are, and
/// the exit code is 1. Lines are appended in order, pipelined so that group
/// commit can batch them.
int log_append(const std::string& data_dir, const std::string& type,
               const std::string& key, std::istream& in, std::ostream& out,
               std::ostream& err);

/// Formats milliseconds since the Unix epoch as ISO-8601 UTC,
/// e.g. "2026-11-21T23:57:25.159Z".
std::string format_timestamp_ms(int64_t ms);

} // namespace almanac::storage
