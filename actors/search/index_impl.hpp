#pragma once

// Internals of search_index shared by its source files (not for users).

#include "actors/search/lexicon.hpp"
#include "actors/search/search_index.hpp"
#include "actors/search/domain/suggester.hpp"

#include <xapian.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <unordered_set>

namespace almanac::search {

/// Value slots. A query reads a few values of thousands of documents, one
/// B-tree lookup per slot and document: what it needs together is packed
/// into one slot (pack_fields).
enum slot : Xapian::valueno {
  /// The facets, 6 lists (pack_lists): kind, source, schema (0 or 1 value
  /// each), tags, stewards, curation ("endorsed", "deprecated").
  slot_facets = 0,
  /// What re-ranking reads (pack_fields, rank_field order).
  slot_rank = 1,
  /// Columns: column_key(ordinal, name), for their table's column list
  /// without decoding their data.
  slot_column = 2,
  /// Tables and views: their column names (a MessagePack array), in order.
  slot_columns = 3,
};

/// The fields of slot_rank, in order.
enum rank_field : size_t {
  rank_urn,         ///< popularity is looked up by it
  rank_kind,
  rank_curation,    ///< "endorsed", "deprecated", "endorsed\ndeprecated" or ""
  rank_exact_name,  ///< normalize(name)
  rank_exact_title, ///< normalize(title)
  rank_stem_name,   ///< bag_key(name)
  rank_qualified,   ///< columns: bag_key(table name + column name)
  rank_fields
};

/// Strings, each after its length (a varint): any bytes survive.
std::string pack_fields(const std::vector<std::string>& fields);
/// The fields of pack_fields (fewer if `packed` is cut short).
std::vector<std::string> unpack_fields(const std::string& packed);
/// Lists of strings: each list's length, then its strings as pack_fields.
std::string pack_lists(const std::vector<std::vector<std::string>>& lists);
std::vector<std::vector<std::string>> unpack_lists(const std::string& packed);

/// The distinct stems of the words of `text` but stop words (by, of, the,
/// ...), sorted and joined by spaces: "sales_by_store" and "store sales"
/// both give "sale store".
std::string bag_key(const std::string& text, const Xapian::Stem& stem);

/// Text fields: term prefix and weight.
struct field {
  const char* prefix;
  double weight;
};
constexpr field field_name{"N", 4.0};
constexpr field field_title{"T", 3.0};
constexpr field field_tags{"A", 2.0}; ///< tags, glossary terms, stewards
constexpr field field_description{"D", 1.5};
constexpr field field_columns{"C", 1.0};
constexpr field field_location{"L", 0.8}; ///< source, schema, parent table
constexpr field field_definition{"S", 0.4};
constexpr field all_fields[] = {field_name,    field_title,    field_tags,
                                field_description, field_columns, field_location,
                                field_definition};

/// Boolean term prefixes.
constexpr const char* term_id = "Q";        ///< + urn
constexpr const char* term_parent = "XP";   ///< + parent urn
constexpr const char* term_kind = "XK";     ///< + kind
constexpr const char* term_source = "XS";   ///< + source name
constexpr const char* term_schema = "XH";   ///< + schema name
constexpr const char* term_tag = "XG";      ///< + lowercase tag
constexpr const char* term_steward = "XW";  ///< + steward
constexpr const char* term_endorsed = "XE";
constexpr const char* term_deprecated = "XD";
constexpr const char* term_exact_name = "XN";  ///< + normalize(name), weighted
constexpr const char* term_exact_title = "XT"; ///< + normalize(title), weighted
constexpr const char* term_identifier = "XI";  ///< + lowercase name when it has
                                               ///< several words, weighted

/// The names of a URN's path, decoded, and its kind ("" if malformed).
struct urn_parts {
  std::string kind;
  std::vector<std::string> names;
};
urn_parts split_urn(const std::string& urn);

/// The stored data of a document: the entity (its data, in MessagePack) and,
/// for a table or view, its column names (slot_columns).
struct doc_info {
  nlohmann::json entity;
  std::vector<std::string> columns;
};
doc_info read_data(const Xapian::Document& doc);

/// A column's slot_column value: its ordinal in 16 hex digits (in numeric
/// order), then its name.
std::string column_key(int64_t ordinal, const std::string& name);

/// The entity of a document alone.
nlohmann::json read_entity(const Xapian::Document& doc);

/// Builds the document of an entity (without "children") and, for a table or
/// view, its column names in order.
Xapian::Document make_document(const nlohmann::json& entity,
                               const std::vector<std::string>& columns,
                               const Xapian::Stem& stem);

/// The text a snippet is cut from.
std::string snippet_text(const nlohmann::json& entity, const std::vector<std::string>& columns);

/// A string field of the entity ("" if absent or not a string).
std::string str(const nlohmann::json& e, const char* key);

/// A string list field of the entity.
std::vector<std::string> strs(const nlohmann::json& e, const char* key);

struct search_index::impl {
  std::string dir;
  Xapian::Stem stem{"en"};
  // Writer.
  mutable std::mutex write_mu;
  std::unique_ptr<Xapian::WritableDatabase> db;
  std::unordered_set<std::string> dirty_parents;
  bool vocab_dirty = false;
  std::atomic<bool> pending{false}; ///< changes since the last commit
  /// The suggester and lexicon are those of the index's documents (false
  /// while they are being loaded, or if loading failed).
  bool memory_valid = false;
  bool discarded = false; ///< discard(): closing writes no snapshot
  bool from_snapshot = false;
  std::chrono::steady_clock::time_point last_relearn{};
  uint64_t checkpoint = 0;
  bool discarded_old_format = false;
  // In memory, read by many.
  mutable std::shared_mutex mem_mu;
  class lexicon lex;
  class suggester sugg;
  // Commits take the gate exclusively; a query that a commit overtook
  // twice retries holding it shared, so its third try cannot be overtaken.
  mutable std::shared_mutex commit_gate;
  // Reader pool.
  mutable std::mutex pool_mu;
  mutable std::vector<std::unique_ptr<Xapian::Database>> pool;

  std::unique_ptr<Xapian::Database> acquire() const;
  void release(std::unique_ptr<Xapian::Database> db) const;

  void load_memory();
  bool load_snapshot();
  bool read_snapshot();
  void save_snapshot();
  void account(const nlohmann::json& entity, int delta);
  std::optional<Xapian::docid> find(const std::string& urn) const;
  void write(const nlohmann::json& entity);
  std::vector<std::string> column_names(const std::string& urn) const;
};

} // namespace almanac::search
