#include "storage/state/rocks_store.hpp"

#include "messages/error.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

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
  auto code = st.IsCorruption() ? ec::corrupt_data : ec::io_error;
  return make_error(code, what + ": " + st.ToString());
}

} // namespace

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

caf::expected<uint64_t> rocks_store::checkpoint() const {
  auto v = get(key_of(checkpoint_key));
  if (!v)
    return v.error();
  return *v ? decode_u64(**v) : 0;
}

caf::error rocks_store::commit(rocksdb::WriteBatch& batch, uint64_t next) {
  batch.Put(key_of(checkpoint_key), encode_u64(next));
  // The WAL makes the batch atomic; losing an unsynced tail on power loss
  // loses state and checkpoint together, and the log replays it.
  return from_status(db_->Write(rocksdb::WriteOptions{}, &batch),
                     "write to " + dir_);
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
