// Fuzzes the event log's open and recovery (storage/log/segment_log_open.cpp,
// segment_scan.hpp's tail rule): a log directory whose last segment holds
// the fuzzer's bytes, optionally after a sealed segment of three valid
// records and with an index whose entries (checksums made valid here) come
// from the fuzzer too.
// Input: one flags byte (bit 0: the sealed segment 0-2 comes first; bit 1:
// the last segment has epoch 2; bit 2: an index for the last segment, the
// next byte giving its entry count (mod 16), 12 bytes per entry: u32
// relative offset, u64 file position); bit 3: the checksums of the last
// segment's frames are made right), then the last segment's bytes.
// Checks: open either fails with an error or recovers; after recovery every
// record in [start, end) reads back (or, with an index, read() reports
// corrupt_data for a frame before the index's last entry), an append lands
// at the end, and a second open finds nothing to cut and the same records
// plus the append.

#include "fuzz/frame_fixup.hpp"
#include "fuzz/fuzz_check.hpp"
#include "messages/error.hpp"
#include "storage/log/offset_index.hpp"
#include "storage/log/record_format.hpp"
#include "storage/log/segment.hpp"
#include "storage/log/segment_log.hpp"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

using namespace almanac::storage;
namespace fs = std::filesystem;

namespace {

std::string root;

void remove_root() {
  std::error_code ignored;
  if (!root.empty())
    fs::remove_all(root, ignored);
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(static_cast<bool>(out));
}

uint64_t load_u64(const uint8_t* p) {
  uint64_t x = 0;
  std::memcpy(&x, p, 8); // little-endian host, as the log itself assumes
  return x;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  std::string pattern = (fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp")
                        + std::string{"/almanac-recovery-fuzz-XXXXXX"};
  FUZZ_CHECK(mkdtemp(pattern.data()) != nullptr);
  root = pattern;
  std::atexit(remove_root);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1u << 20))
    return 0;
  auto flags = data[0];
  size_t pos = 1;
  bool sealed = flags & 1;
  uint64_t epoch = (flags & 2) ? 2 : 1;
  uint64_t base = sealed ? 3 : 0;
  std::string index;
  if (flags & 4) {
    size_t entries = pos < size ? data[pos++] % 16 : 0;
    offset_index idx{base, epoch};
    index = idx.serialize_header();
    for (size_t i = 0; i < entries && pos + 12 <= size; ++i, pos += 12) {
      uint32_t rel = 0;
      std::memcpy(&rel, data + pos, 4);
      idx.serialize_entry({base + rel, load_u64(data + pos + 4)}, index);
    }
  }
  std::string last(reinterpret_cast<const char*>(data + pos), size - pos);
  if (flags & 8)
    fix_frame_crcs(last);

  std::error_code ignored;
  fs::remove_all(root + "/log", ignored);
  fs::create_directories(root + "/log");
  fs::path dir = root + "/log";
  if (sealed) {
    std::string seg;
    for (uint64_t o = 0; o < 3; ++o)
      encode_frame(seg, o, 1, 1714566896000 + o, "EntityRegistered@1", "urn:k",
                   "{\"n\":" + std::to_string(o) + "}");
    write(dir / segment_file_name(0, 1), seg);
  }
  auto name = segment_file_name(base, epoch);
  write(dir / name, last);
  if (flags & 4)
    write(dir / index_file_name(name), index);

  log_options opts;
  opts.dir = dir.string();
  opts.create = false;
  auto log = segment_log::open(opts);
  if (!log) {
    FUZZ_CHECK(log.error().category() == almanac::error_category);
    return 0;
  }
  auto start = (*log)->start_offset();
  auto end = (*log)->end_offset();
  FUZZ_CHECK(start <= end && (*log)->report().end_offset == end);
  // Without an index the whole last segment is scanned on open, so every
  // record must read back. An index is trusted up to its last entry (that
  // entry's frame is checked): a damaged frame before it is found by read(),
  // as in a sealed segment, and must be reported as corrupt_data.
  auto all = (*log)->read(start, std::numeric_limits<size_t>::max());
  bool indexed = (flags & 4) != 0;
  FUZZ_CHECK(all || (indexed && almanac::code_of(all.error()) == almanac::ec::corrupt_data));
  if (all) {
    FUZZ_CHECK(all->size() == end - start);
    for (size_t i = 0; i < all->size(); ++i)
      FUZZ_CHECK((*all)[i].offset == start + i);
  }
  auto appended = (*log)->append_sync({{"Fuzzed@1", "k", "{}", 1}});
  FUZZ_CHECK(static_cast<bool>(appended) && appended->first_offset == end);
  FUZZ_CHECK(!(*log)->close());
  log->reset();

  auto again = segment_log::open(opts);
  FUZZ_CHECK(static_cast<bool>(again));
  FUZZ_CHECK((*again)->report().bytes_truncated == 0);
  FUZZ_CHECK((*again)->end_offset() == end + 1);
  auto reread = (*again)->read(start, std::numeric_limits<size_t>::max());
  if (!all) {
    FUZZ_CHECK(!reread && almanac::code_of(reread.error()) == almanac::ec::corrupt_data);
    auto tail = (*again)->read(end, 10);
    FUZZ_CHECK(tail && tail->size() == 1 && tail->front().type == "Fuzzed@1");
    return 0;
  }
  FUZZ_CHECK(static_cast<bool>(reread) && reread->size() == end + 1 - start);
  for (size_t i = 0; i < all->size(); ++i)
    FUZZ_CHECK((*reread)[i].payload == (*all)[i].payload && (*reread)[i].type == (*all)[i].type);
  FUZZ_CHECK(reread->back().type == "Fuzzed@1");
  return 0;
}
