#include "storage/state/rocks_store.hpp"

#include "storage/state/rocks_logger.hpp"

#include "messages/digest.hpp"
#include "messages/error.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <sys/statvfs.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace almanac::storage {

namespace {

const std::string format_key{"\x00" "format", 7};

std::string key_of(const char* reserved) {
  // Reserved keys start with a NUL byte: build them with their length.
  return std::string{reserved, 1 + std::strlen(reserved + 1)};
}

std::string encode_u64(uint64_t x) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((x >> (56 - 8 * i)) & 0xFF);
  return out;
}

uint64_t decode_u64(std::string_view s) {
  uint64_t x = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i)
    x = (x << 8) | static_cast<unsigned char>(s[i]);
  return x;
}

caf::error from_status(const rocksdb::Status& st, const std::string& what) {
  if (st.ok())
    return caf::none;
  auto code = st.IsCorruption() ? ec::corrupt_data
              : st.IsNoSpace() || st.ToString().find("No space left") != std::string::npos
                ? ec::storage_full
                : ec::io_error;
  return make_error(code, what + ": " + st.ToString());
}

// Every store of the node shares one memory budget. RocksDB's defaults give
// each store 64 MB memtables (two of them) and its own cache: under a steady
// write load the node grew by 270 MB in the soak's first five minutes before
// any flush. The shared write-buffer manager flushes the largest memtable
// once all of them together reach its budget. The block cache holds
// uncompressed blocks, and the files' index and filter blocks too: left out
// of it (RocksDB's default) they are held for every table file, and the
// node's memory grew with its data (+5 MB every 2 minutes of soak, steadily).
// The files' pages stay in the OS page cache anyway.
//
// The cache has four shards of 8 MB. With RocksDB's default sharding (512 KB
// a shard, 64 shards) a table file's index block, ~800 KB for a 64 MB file,
// did not fit in its shard: it was dropped as soon as it was read, and every
// prefix scan read and checksummed it again from the file. After four
// minutes of soak that was 15 % of the node's CPU, and the cause of its
// falling throughput. The index and filters are also partitioned (below), so
// no cached block is much larger than a data block, whatever the data size.
constexpr size_t memtable_budget = 32u << 20;
constexpr size_t block_cache_size = 32u << 20;
constexpr int block_cache_shard_bits = 2;

struct shared_memory {
  std::shared_ptr<rocksdb::Cache> cache
    = rocksdb::NewLRUCache(block_cache_size, block_cache_shard_bits);
  std::shared_ptr<rocksdb::WriteBufferManager> buffers
    = std::make_shared<rocksdb::WriteBufferManager>(memtable_budget);
};

const shared_memory& memory() {
  static const shared_memory m;
  return m;
}

} // namespace

state_memory_usage state_memory() {
  auto& m = memory();
  state_memory_usage u;
  u.block_cache_bytes = m.cache->GetUsage();
  u.block_cache_pinned_bytes = m.cache->GetPinnedUsage();
  u.block_cache_capacity = m.cache->GetCapacity();
  u.memtable_bytes = m.buffers->memory_usage();
  u.memtable_budget = m.buffers->buffer_size();
  return u;
}

rocks_store::rocks_store(std::string dir, rocksdb::DB* db)
  : dir_(std::move(dir)), db_(db) {
  // nop
}

rocks_store::~rocks_store() {
  if (db_)
    db_->Close();
}

caf::expected<std::unique_ptr<rocks_store>>
rocks_store::open(const std::string& dir) {
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.max_open_files = 256;
  opts.write_buffer_size = 8u << 20;
  opts.max_write_buffer_number = 2;
  opts.write_buffer_manager = memory().buffers;
  // No LOG file: see rocks_logger.hpp (its writer aborted the node on a
  // disk that stayed full).
  opts.info_log = make_rocks_logger();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = memory().cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // A Bloom filter per table file (10 bits a key, ~1 % false positives): a
  // point read then reads only the file that has the key, not one file per
  // level. (It does not help prefix scans; the soak's throughput decline is
  // not explained by point reads alone, see issue 10's note.)
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index blocks stay uncompressed: every prefix scan opens the index block
  // of each table file it touches, and under the soak their decompression
  // (Snappy) took ~10 % of the node's CPU after four minutes. Data blocks
  // stay compressed: uncompressed stores filled the chaos run's 256 MB disk.
  table.enable_index_compression = false;
  // A two-level index and partitioned filters: the top level (small) stays
  // pinned, the partitions (4 KB) are cached, at high priority, like data.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* db = nullptr;
  auto st = rocksdb::DB::Open(opts, dir, &db);
  if (auto err = from_status(st, "cannot open state store " + dir))
    return err;
  std::unique_ptr<rocks_store> store{new rocks_store(dir, db)};
  std::string value;
  st = db->Get(rocksdb::ReadOptions{}, format_key, &value);
  if (st.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    st = db->Put(wo, format_key, encode_u64(format_version));
    if (auto err = from_status(st, "cannot initialise " + dir))
      return err;
  } else if (auto err = from_status(st, "cannot read " + dir)) {
    return err;
  } else if (decode_u64(value) > format_version) {
    return make_error(ec::unsupported_version,
                      dir + " has state format " + std::to_string(decode_u64(value))
                        + "; this build reads up to "
                        + std::to_string(format_version));
  }
  return store;
}

caf::expected<std::optional<std::string>>
rocks_store::get(const std::string& key) const {
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions{}, key, &value);
  if (st.IsNotFound())
    return std::optional<std::string>{};
  if (auto err = from_status(st, "get in " + dir_))
    return err;
  return std::optional<std::string>{std::move(value)};
}

caf::expected<std::vector<std::optional<std::string>>>
rocks_store::get_all(const std::vector<std::string>& keys) const {
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values;
  auto statuses = db_->MultiGet(rocksdb::ReadOptions{}, slices, &values);
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      out.emplace_back();
      continue;
    }
    if (auto err = from_status(statuses[i], "get in " + dir_))
      return err;
    out.emplace_back(std::move(values[i]));
  }
  return out;
}

caf::error rocks_store::scan(
  const std::string& prefix,
  const std::function<bool(const std::string&, const std::string&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{})};
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto k = it->key();
    if (!k.starts_with(prefix))
      break;
    if (!k.empty() && k[0] == '\0')
      continue;
    if (!fn(k.ToString(), it->value().ToString()))
      break;
  }
  return from_status(it->status(), "scan in " + dir_);
}

caf::error rocks_store::scan_back(
  const std::string& prefix, const std::string& before,
  const std::function<bool(const std::string&, const std::string&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{})};
  if (!before.empty()) {
    it->SeekForPrev(before);
    if (it->Valid() && it->key() == rocksdb::Slice{before})
      it->Prev();
  } else {
    // Past every key of the prefix: the prefix followed by 0xFF bytes.
    it->SeekForPrev(prefix + std::string(64, '\xff'));
  }
  for (; it->Valid(); it->Prev()) {
    auto k = it->key();
    if (!k.starts_with(prefix))
      break;
    if (!k.empty() && k[0] == '\0')
      continue;
    if (!fn(k.ToString(), it->value().ToString()))
      break;
  }
  return from_status(it->status(), "scan in " + dir_);
}

caf::expected<std::string> rocks_store::digest() const {
  rocksdb::ReadOptions ro;
  ro.snapshot = db_->GetSnapshot();
  sha256 h;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(ro)};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto k = it->key();
    if (!k.empty() && k[0] == '\0')
      continue;
    h.field({k.data(), k.size()});
    h.field({it->value().data(), it->value().size()});
  }
  auto st = it->status();
  it.reset();
  db_->ReleaseSnapshot(ro.snapshot);
  if (auto err = from_status(st, "digest of " + dir_))
    return err;
  return h.hex();
}

caf::expected<uint64_t> rocks_store::checkpoint() const {
  auto v = get(key_of(checkpoint_key));
  if (!v)
    return v.error();
  return *v ? decode_u64(**v) : 0;
}

bool rocks_store::room_to_resume() const {
  struct statvfs fs{};
  if (::statvfs(dir_.c_str(), &fs) != 0)
    return true;
  uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  uint64_t live = 0;
  db_->GetIntProperty("rocksdb.live-sst-files-size", &live);
  return free_bytes >= std::max<uint64_t>(live, 4u << 20);
}

caf::error rocks_store::commit(rocksdb::WriteBatch& batch, uint64_t next) {
  batch.Put(key_of(checkpoint_key), encode_u64(next));
  // The WAL makes the batch atomic; losing an unsynced tail on power loss
  // loses state and checkpoint together, and the log replays it.
  // After a failed write RocksDB refuses writes until it is resumed (a full
  // disk sets a background error): resume first, then write. Resume()
  // waits for the background work, and a compaction waits for room on the
  // disk: with less free space than the store's live files (a compaction's
  // most), it would block this actor, and the readers of its projection,
  // until space returns. Then the write fails at once instead, and RocksDB's
  // own recovery (its SstFileManager) or a later commit resumes it.
  if (needs_resume_ && room_to_resume() && db_->Resume().ok())
    needs_resume_ = false;
  auto st = db_->Write(rocksdb::WriteOptions{}, &batch);
  if (!st.ok() && !st.IsCorruption())
    needs_resume_ = true;
  return from_status(st, "write to " + dir_);
}

caf::error rocks_store::clear() {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{})};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    if (it->key() != format_key)
      batch.Delete(it->key());
  if (auto err = from_status(it->status(), "scan of " + dir_))
    return err;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return from_status(db_->Write(wo, &batch), "clear " + dir_);
}

} // namespace almanac::storage
