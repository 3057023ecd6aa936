#include "actors/search/index_impl.hpp"

#include "actors/search/domain/pack.hpp"
#include "actors/search/domain/text.hpp"
#include "messages/digest.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <unistd.h>

namespace almanac::search {
namespace {

constexpr const char* format_key = "almanac.format";
// 2: popularity is no longer in the index (search reads the lineage
// store's); an index of format 1 is discarded and rebuilt from the log.
// 3: document data in MessagePack, column lists in value slots; an index of
// format 1 or 2 is discarded and rebuilt from the log.
constexpr const char* format_value = "almanac-search 3";
constexpr const char* formats_rebuilt[] = {"almanac-search 1", "almanac-search 2"};
constexpr const char* checkpoint_key = "almanac.checkpoint";
constexpr const char* lexicon_key = "almanac.lexicon";
constexpr auto relearn_interval = std::chrono::seconds(10);

template <class F>
status guarded(F f) {
  try {
    f();
    return {};
  } catch (const Xapian::Error& e) {
    return {e.get_description()};
  } catch (const std::exception& e) {
    return {e.what()};
  }
}

// Metadata keys are short in Xapian: long URNs are named by a hash.
bool is_container(const std::string& kind) { return kind == "table" || kind == "view"; }

} // namespace

constexpr const char* snapshot_file = "almanac-memory";
// The snapshot holds what the code derived from the documents (words,
// keys, counts, learned abbreviations): one written by another build is not
// used. Bump the number when the derivation changes between releases.
constexpr const char* snapshot_magic = "almanac-search-memory 1 " ALMANAC_SEARCH_BUILD "\n";

search_index::search_index() : impl_(std::make_unique<impl>()) {}

search_index::~search_index() {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  impl_->save_snapshot();
}

void search_index::discard() {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  impl_->discarded = true;
}

bool search_index::opened_from_snapshot() const {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  return impl_->from_snapshot;
}

// The suggester and lexicon of the last commit, in a file beside the index:
// opening 1M entities reads it in about a second instead of decoding every
// document. Written at close only (when nothing is uncommitted): the
// revision and checkpoint in it tell a stale one, the checksum a torn one.
void search_index::impl::save_snapshot() {
  if (!db || pending || !memory_valid || discarded) return;
  try {
    std::unique_lock<std::shared_mutex> mem(mem_mu);
    if (vocab_dirty) { // as open's scan would leave it
      lex.relearn();
      vocab_dirty = false;
    }
    packer p;
    p.u64(db->get_revision());
    p.u64(checkpoint);
    p.u64(db->get_doccount());
    lex.snapshot(p);
    sugg.snapshot(p);
    sha256 h;
    h.update(p.out());
    auto body = snapshot_magic + h.hex() + p.out();
    auto path = (std::filesystem::path(dir) / snapshot_file).string();
    auto tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    size_t done = 0;
    while (done < body.size()) {
      auto n = ::write(fd, body.data() + done, body.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    bool ok = done == body.size() && ::fsync(fd) == 0;
    ::close(fd);
    if (ok) std::filesystem::rename(tmp, path);
    else std::filesystem::remove(tmp);
  } catch (...) { // Xapian::Error is no std::exception
    // No snapshot: the next open reads every document.
  }
}

bool search_index::impl::load_snapshot() {
  try {
    return read_snapshot();
  } catch (...) { // out of memory, a Xapian error: read every document instead
    lex = lexicon{};
    sugg = suggester{};
    return false;
  }
}

bool search_index::impl::read_snapshot() {
  auto path = (std::filesystem::path(dir) / snapshot_file).string();
  std::string body;
  {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return false;
    auto size = in.tellg();
    if (size <= 0) return false;
    body.resize(static_cast<size_t>(size));
    in.seekg(0);
    if (!in.read(body.data(), size)) return false;
  }
  // Used once: after the next commit it is stale anyway.
  std::error_code ec;
  std::filesystem::remove(path, ec);
  const std::string magic = snapshot_magic;
  if (body.compare(0, magic.size(), magic) != 0 || body.size() < magic.size() + 64) return false;
  std::string payload = body.substr(magic.size() + 64);
  sha256 h;
  h.update(payload);
  if (h.hex() != body.substr(magic.size(), 64)) return false;
  unpacker u(payload);
  auto revision = u.u64();
  auto cp = u.u64();
  auto docs = u.u64();
  if (!u.ok() || revision != db->get_revision() || cp != checkpoint || docs != db->get_doccount())
    return false;
  lexicon l;
  suggester sg;
  if (!l.restore(u) || !sg.restore(u) || !u.done()) return false;
  lex = std::move(l);
  sugg = std::move(sg);
  return true;
}

std::unique_ptr<Xapian::Database> search_index::impl::acquire() const {
  {
    std::lock_guard<std::mutex> lock(pool_mu);
    if (!pool.empty()) {
      auto db = std::move(pool.back());
      pool.pop_back();
      db->reopen();
      return db;
    }
  }
  return std::make_unique<Xapian::Database>(dir);
}

void search_index::impl::release(std::unique_ptr<Xapian::Database> d) const {
  std::lock_guard<std::mutex> lock(pool_mu);
  if (pool.size() < 16) pool.push_back(std::move(d));
}

std::optional<Xapian::docid> search_index::impl::find(const std::string& urn) const {
  auto it = db->postlist_begin(term_id + urn);
  if (it == db->postlist_end(term_id + urn)) return std::nullopt;
  return *it;
}

std::vector<std::string> search_index::impl::column_names(const std::string& urn) const {
  std::vector<std::string> keys;
  auto term = term_parent + urn;
  for (auto it = db->postlist_begin(term); it != db->postlist_end(term); ++it) {
    auto key = db->get_document(*it, Xapian::DOC_ASSUME_VALID).get_value(slot_column);
    if (key.size() >= 16) keys.push_back(std::move(key)); // columns only
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (auto& k : keys) out.push_back(k.substr(16));
  return out;
}

// Adds (delta 1) or removes (-1) an entity to the in-memory structures.
// Caller holds mem_mu exclusively.
void search_index::impl::account(const nlohmann::json& e, int delta) {
  auto urn = str(e, "urn");
  auto kind = str(e, "kind");
  auto name = str(e, "name");
  lex.count_identifier(words(name), delta);
  auto text = words(str(e, "title"));
  auto desc = words(str(e, "description"));
  text.insert(text.end(), desc.begin(), desc.end());
  lex.count_text(text, delta);
  if (kind == "term") {
    std::vector<std::string> syns;
    if (delta > 0 && e.contains("attributes") && e["attributes"].is_object()) {
      const auto& a = e["attributes"];
      syns = strs(a, "synonyms");
      for (auto& s : strs(a, "abbreviations")) syns.push_back(s);
      if (auto s = str(a, "abbreviation"); !s.empty()) syns.push_back(s);
    }
    auto title = str(e, "title");
    lex.set_glossary(urn, title.empty() ? name : title, syns);
  }
  if (delta > 0)
    sugg.upsert(urn, name, kind, str(e, "title"));
  else
    sugg.remove(urn);
  vocab_dirty = true;
}

void search_index::impl::write(const nlohmann::json& e) {
  auto urn = str(e, "urn");
  std::vector<std::string> columns;
  if (is_container(str(e, "kind"))) columns = column_names(urn);
  db->replace_document(term_id + urn, make_document(e, columns, stem));
}

void search_index::impl::load_memory() {
  std::unique_lock<std::shared_mutex> lock(mem_mu);
  memory_valid = false; // until every document is counted
  pending = false;
  from_snapshot = load_snapshot();
  if (!from_snapshot) {
    lex = lexicon{};
    sugg = suggester{};
    for (auto it = db->postlist_begin(""); it != db->postlist_end(""); ++it)
      account(read_entity(db->get_document(*it)), 1);
  }
  auto saved = nlohmann::json::parse(db->get_metadata(lexicon_key), nullptr, false);
  if (!saved.is_discarded()) lex.load(saved);
  if (!from_snapshot) lex.relearn();
  vocab_dirty = false;
  memory_valid = true;
}

status search_index::open(const std::string& dir) {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  status st = guarded([&] {
    impl_->dir = dir;
    impl_->db = std::make_unique<Xapian::WritableDatabase>(dir, Xapian::DB_CREATE_OR_OPEN);
    auto format = impl_->db->get_metadata(format_key);
    if (std::find(std::begin(formats_rebuilt), std::end(formats_rebuilt), format) !=
        std::end(formats_rebuilt)) {
      // A projection: the log rebuilds it (the driver replays from 0).
      impl_->db.reset();
      std::filesystem::remove_all(dir);
      impl_->db = std::make_unique<Xapian::WritableDatabase>(dir, Xapian::DB_CREATE_OR_OPEN);
      format.clear();
      impl_->discarded_old_format = true;
    }
    if (format.empty()) {
      impl_->db->set_metadata(format_key, format_value);
      impl_->db->commit();
    } else if (format != format_value) {
      throw std::runtime_error("search index " + dir + ": unknown format '" + format + "'");
    }
    impl_->db->begin_transaction(true);
    auto cp = impl_->db->get_metadata(checkpoint_key);
    impl_->checkpoint = cp.empty() ? 0 : std::stoull(cp);
    impl_->load_memory();
  });
  if (!st.ok()) impl_->db.reset();
  return st;
}

status search_index::upsert(const nlohmann::json& entity) {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  if (!impl_->db) return {"search index not open"};
  auto urn = str(entity, "urn");
  if (urn.empty() || str(entity, "kind").empty()) return {"entity without urn or kind"};
  return guarded([&] {
    // The entity without its children (copied only if it has them).
    std::optional<nlohmann::json> trimmed;
    if (entity.contains("children")) {
      trimmed = entity;
      trimmed->erase("children");
    }
    const nlohmann::json& e = trimmed ? *trimmed : entity;
    impl_->pending = true; // before any change
    std::unique_lock<std::shared_mutex> mem(impl_->mem_mu);
    if (auto id = impl_->find(urn)) {
      auto old = read_entity(impl_->db->get_document(*id));
      impl_->account(old, -1);
      auto old_parent = str(old, "parent");
      if (!old_parent.empty()) impl_->dirty_parents.insert(old_parent);
    }
    impl_->write(e);
    impl_->account(e, 1);
    auto parent = str(e, "parent");
    if (!parent.empty() && str(e, "kind") == "column") impl_->dirty_parents.insert(parent);
  });
}

std::optional<nlohmann::json> search_index::entity(const std::string& urn) const {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  if (!impl_->db) return std::nullopt;
  try {
    auto id = impl_->find(urn);
    if (!id) return std::nullopt;
    return read_entity(impl_->db->get_document(*id));
  } catch (const Xapian::Error&) {
    return std::nullopt;
  }
}

status search_index::remove(const std::string& urn) {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  if (!impl_->db) return {"search index not open"};
  return guarded([&] {
    auto id = impl_->find(urn);
    if (!id) return;
    impl_->pending = true; // before any change
    auto old = read_entity(impl_->db->get_document(*id));
    {
      std::unique_lock<std::shared_mutex> mem(impl_->mem_mu);
      impl_->account(old, -1);
    }
    impl_->db->delete_document(*id);
    auto parent = str(old, "parent");
    if (!parent.empty()) impl_->dirty_parents.insert(parent);
  });
}

bool search_index::discarded_old_format() const {
  return impl_->discarded_old_format;
}

status search_index::put_lexicon(const std::string& abbreviation, const std::string& expansion) {
  std::unique_lock<std::shared_mutex> mem(impl_->mem_mu);
  if (normalize(abbreviation).empty()) return {"empty abbreviation"};
  impl_->pending = true;
  impl_->lex.put_manual(abbreviation, expansion);
  return {};
}

status search_index::commit(uint64_t checkpoint) {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  if (!impl_->db) return {"search index not open"};
  return guarded([&] {
    // Tables and views whose columns changed: re-index with the new names.
    for (auto& urn : impl_->dirty_parents) {
      auto id = impl_->find(urn);
      if (!id) continue;
      impl_->write(read_entity(impl_->db->get_document(*id)));
    }
    impl_->dirty_parents.clear();
    {
      std::unique_lock<std::shared_mutex> mem(impl_->mem_mu);
      // Relearning scans the vocabulary (about a second for 200,000 words):
      // on a large one at most every relearn_interval; lookups infer what
      // is not learned yet meanwhile.
      auto now = std::chrono::steady_clock::now();
      if (impl_->vocab_dirty && (impl_->lex.vocabulary_size() < 20000 ||
                                 now - impl_->last_relearn >= relearn_interval)) {
        impl_->lex.relearn();
        impl_->vocab_dirty = false;
        impl_->last_relearn = now;
      }
      impl_->db->set_metadata(lexicon_key, impl_->lex.save().dump());
    }
    impl_->db->set_metadata(checkpoint_key, std::to_string(checkpoint));
    std::unique_lock<std::shared_mutex> gate(impl_->commit_gate);
    impl_->db->commit_transaction();
    impl_->pending = false;
    impl_->checkpoint = checkpoint;
    impl_->db->begin_transaction(true);
  });
}

status search_index::rollback() {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  if (!impl_->db) return {"search index not open"};
  return guarded([&] {
    impl_->dirty_parents.clear();
    try {
      impl_->db->cancel_transaction();
      impl_->db->begin_transaction(true);
    } catch (const Xapian::Error&) {
      // A commit that failed (ENOSPC) closed the writer: reopen it at the
      // last commit; the caller retries from that checkpoint.
      impl_->db.reset();
      impl_->db = std::make_unique<Xapian::WritableDatabase>(impl_->dir, Xapian::DB_CREATE_OR_OPEN);
      impl_->db->begin_transaction(true);
      auto cp = impl_->db->get_metadata(checkpoint_key);
      impl_->checkpoint = cp.empty() ? 0 : std::stoull(cp);
    }
    impl_->load_memory();
  });
}

status search_index::digest(std::string& out) const {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  if (!impl_->db) return {"search index not open"};
  return guarded([&] {
    auto& db = *impl_->db;
    std::vector<std::string> docs;
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
      auto doc = db.get_document(*it);
      sha256 d;
      d.field(doc.get_data());
      for (auto v = doc.values_begin(); v != doc.values_end(); ++v) {
        d.field(std::to_string(v.get_valueno()));
        d.field(*v);
      }
      for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
        d.field(*t);
        d.field(std::to_string(t.get_wdf()));
      }
      docs.push_back(d.hex());
    }
    std::sort(docs.begin(), docs.end());
    sha256 h;
    for (auto& d : docs) h.field(d);
    for (auto k = db.metadata_keys_begin(); k != db.metadata_keys_end(); ++k)
      if (*k != checkpoint_key) {
        h.field(*k);
        h.field(db.get_metadata(*k));
      }
    out = h.hex();
  });
}

uint64_t search_index::checkpoint() const {
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  return impl_->checkpoint;
}

std::vector<suggestion> search_index::suggest(const std::string& prefix, size_t limit,
                                             const popularity_lookup& popularity) const {
  std::shared_lock<std::shared_mutex> mem(impl_->mem_mu);
  return impl_->sugg.suggest(prefix, limit, popularity);
}

nlohmann::json search_index::lexicon_json() const {
  std::shared_lock<std::shared_mutex> mem(impl_->mem_mu);
  return impl_->lex.to_json();
}

std::string search_index::suggest_title(const std::string& name) const {
  std::shared_lock<std::shared_mutex> mem(impl_->mem_mu);
  return impl_->lex.suggest_title(name);
}

uint64_t search_index::size() const {
  try {
    auto db = impl_->acquire();
    auto n = db->get_doccount();
    impl_->release(std::move(db));
    return n;
  } catch (const Xapian::Error&) {
    return 0;
  }
}

} // namespace almanac::search
