#include "storage/log/offset_index.hpp"

#include "storage/log/crc32c.hpp"
#include "storage/log/little_endian.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace almanac::storage {

namespace {

uint32_t entry_crc(const char* entry) {
  return crc32c(entry + 8, 8, crc32c(entry, 4));
}

} // namespace

offset_index::offset_index(uint64_t base_offset, uint64_t epoch)
  : base_offset_(base_offset), epoch_(epoch) {
}

void offset_index::add(index_entry entry) {
  assert(entry.offset >= base_offset_);
  assert(entries_.empty()
         || (entry.offset > entries_.back().offset
             && entry.file_pos > entries_.back().file_pos));
  entries_.push_back(entry);
}

index_entry offset_index::lookup(uint64_t offset) const {
  auto i = std::upper_bound(entries_.begin(), entries_.end(), offset,
                            [](uint64_t x, const index_entry& e) {
                              return x < e.offset;
                            });
  if (i == entries_.begin())
    return {base_offset_, 0};
  return *std::prev(i);
}

void offset_index::truncate(uint64_t offset) {
  auto i = std::lower_bound(entries_.begin(), entries_.end(), offset,
                            [](const index_entry& e, uint64_t x) {
                              return e.offset < x;
                            });
  entries_.erase(i, entries_.end());
}

void offset_index::assign(std::vector<index_entry> entries) {
  entries_ = std::move(entries);
}

std::string offset_index::serialize_header() const {
  std::string out(index_header_size, '\0');
  char* p = out.data();
  store_le<uint32_t>(p, index_magic);
  store_le<uint16_t>(p + 4, index_format_version);
  store_le<uint16_t>(p + 6, static_cast<uint16_t>(index_entry_size));
  store_le<uint64_t>(p + 8, base_offset_);
  store_le<uint64_t>(p + 16, epoch_);
  store_le<uint32_t>(p + 28, crc32c(p, 28));
  return out;
}

void offset_index::serialize_entry(index_entry entry, std::string& out) const {
  auto start = out.size();
  out.resize(start + index_entry_size);
  char* p = out.data() + start;
  store_le<uint32_t>(p, static_cast<uint32_t>(entry.offset - base_offset_));
  store_le<uint64_t>(p + 8, entry.file_pos);
  store_le<uint32_t>(p + 4, entry_crc(p));
}

std::string offset_index::serialize() const {
  auto out = serialize_header();
  out.reserve(out.size() + entries_.size() * index_entry_size);
  for (auto& e : entries_)
    serialize_entry(e, out);
  return out;
}

index_parse_result offset_index::parse(std::string_view data,
                                       uint64_t base_offset, uint64_t epoch,
                                       uint64_t segment_size) {
  index_parse_result result;
  const char* p = data.data();
  if (data.size() < index_header_size || load_le<uint32_t>(p) != index_magic
      || load_le<uint32_t>(p + 28) != crc32c(p, 28)
      || load_le<uint16_t>(p + 4) != index_format_version
      || load_le<uint16_t>(p + 6) != index_entry_size
      || load_le<uint64_t>(p + 8) != base_offset || load_le<uint64_t>(p + 16) != epoch)
    return result;
  result.header_valid = true;
  size_t pos = index_header_size;
  for (; pos + index_entry_size <= data.size(); pos += index_entry_size) {
    const char* e = p + pos;
    if (load_le<uint32_t>(e + 4) != entry_crc(e))
      return result;
    index_entry entry{base_offset + load_le<uint32_t>(e), load_le<uint64_t>(e + 8)};
    if (entry.file_pos >= segment_size
        || (!result.entries.empty()
            && (entry.offset <= result.entries.back().offset
                || entry.file_pos <= result.entries.back().file_pos)))
      return result;
    result.entries.push_back(entry);
  }
  result.complete = pos == data.size();
  return result;
}

} // namespace almanac::storage
