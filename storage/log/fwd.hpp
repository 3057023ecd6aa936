#pragma once

// Forward declarations of the event log's types, for headers that only
// mention them (actor interfaces, state structs).

#include <cstdint>

namespace almanac {
struct event_record;
} // namespace almanac

namespace almanac::storage {

class segment_log;
class segment;
class offset_index;
class frame_reader;
class dir_lock;
class file;

using record = almanac::event_record;
struct record_input;
struct log_options;
struct open_report;
struct append_result;
struct segment_info;
struct writer_stats;

enum class fsync_policy;
enum class fault_point;

} // namespace almanac::storage
