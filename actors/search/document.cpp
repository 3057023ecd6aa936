#include "actors/search/index_impl.hpp"
#include "messages/text.hpp"

#include "actors/search/domain/pack.hpp"
#include "actors/search/domain/text.hpp"

#include <cstdio>
#include <set>

namespace almanac::search {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

// Indexes the words of `text` in field `f`: positional raw terms and
// stemmed terms, `wdf` each.
void index_text(Xapian::Document& doc, const field& f, const std::string& text,
                const Xapian::Stem& stem, Xapian::termpos& pos, unsigned wdf = 1) {
  auto ws = words(text);
  for (auto& w : ws) {
    if (w.size() > 64) continue;
    doc.add_posting(f.prefix + w, ++pos, wdf);
    doc.add_term(std::string("Z") + f.prefix + stem(w), wdf);
  }
  pos += 100; // no phrase across values
}

} // namespace

std::string str(const nlohmann::json& e, const char* key) {
  if (!e.is_object()) return {};
  auto it = e.find(key);
  return it != e.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::vector<std::string> strs(const nlohmann::json& e, const char* key) {
  std::vector<std::string> out;
  if (!e.is_object()) return out;
  auto it = e.find(key);
  if (it == e.end() || !it->is_array()) return out;
  for (auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

urn_parts split_urn(const std::string& urn) {
  urn_parts out;
  const std::string head = "urn:almanac:";
  if (urn.compare(0, head.size(), head) != 0) return out;
  auto colon = urn.find(':', head.size());
  if (colon == std::string::npos) return out;
  out.kind = urn.substr(head.size(), colon - head.size());
  std::string path = urn.substr(colon + 1);
  size_t start = 0;
  while (true) {
    auto dot = path.find('.', start);
    out.names.push_back(decode(path.substr(start, dot - start)));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

nlohmann::json read_entity(const Xapian::Document& doc) {
  auto data = doc.get_data();
  auto e = nlohmann::json::from_msgpack(data, true, false);
  if (e.is_discarded() || !e.is_object()) return nlohmann::json::object();
  return e;
}

std::string pack_fields(const std::vector<std::string>& fields) {
  packer p;
  for (auto& f : fields) p.str(f);
  return std::move(p.out());
}

std::vector<std::string> unpack_fields(const std::string& packed) {
  std::vector<std::string> out;
  unpacker u(packed);
  while (!u.done()) {
    auto f = u.str();
    if (!u.ok()) break;
    out.push_back(std::move(f));
  }
  return out;
}

std::string pack_lists(const std::vector<std::vector<std::string>>& lists) {
  packer p;
  for (auto& l : lists) {
    p.u64(l.size());
    for (auto& f : l) p.str(f);
  }
  return std::move(p.out());
}

std::vector<std::vector<std::string>> unpack_lists(const std::string& packed) {
  std::vector<std::vector<std::string>> out;
  unpacker u(packed);
  while (!u.done()) {
    auto n = u.u64();
    if (!u.ok()) break;
    auto& l = out.emplace_back();
    for (uint64_t i = 0; i < n; ++i) {
      auto f = u.str();
      if (!u.ok()) return out;
      l.push_back(std::move(f));
    }
  }
  return out;
}

std::string column_key(int64_t ordinal, const std::string& name) {
  // 16 hex digits of the ordinal with its sign bit flipped: string order is
  // numeric order.
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(static_cast<uint64_t>(ordinal) ^ (1ULL << 63)));
  return std::string(buf, 16) + name;
}

doc_info read_data(const Xapian::Document& doc) {
  doc_info info;
  info.entity = read_entity(doc);
  auto cols = doc.get_value(slot_columns);
  if (!cols.empty()) {
    auto j = nlohmann::json::from_msgpack(cols, true, false);
    if (j.is_array())
      for (auto& c : j)
        if (c.is_string()) info.columns.push_back(c.get<std::string>());
  }
  return info;
}

std::string snippet_text(const nlohmann::json& e, const std::vector<std::string>& columns) {
  std::string text = str(e, "description");
  if (text.empty()) text = str(e, "title");
  auto kind = str(e, "kind");
  const auto& attrs = e.contains("attributes") ? e["attributes"] : nlohmann::json();
  if (!columns.empty()) {
    if (!text.empty()) text += " — ";
    text += "columns: ";
    for (size_t i = 0; i < columns.size(); ++i) text += (i ? ", " : "") + columns[i];
  } else if (kind == "column") {
    auto parts = split_urn(str(e, "urn"));
    if (!text.empty()) text += " — ";
    text += str(e, "name") + " " + str(attrs, "data_type");
    if (parts.names.size() >= 3) text += " column of " + parts.names[parts.names.size() - 2];
  }
  if (text.size() < 80 && attrs.is_object()) {
    auto def = str(attrs, "definition");
    if (!def.empty()) text += (text.empty() ? "" : " — ") + def;
  }
  return split_for_display(text);
}

std::string bag_key(const std::string& text, const Xapian::Stem& stem) {
  static const std::set<std::string> stop = {"a",  "an", "and", "by", "for", "in", "of",
                                             "on", "per", "the", "to", "with"};
  std::set<std::string> stems;
  for (auto& w : words(text))
    if (!stop.count(w)) stems.insert(stem(w));
  std::string out;
  for (auto& s : stems) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

Xapian::Document make_document(const nlohmann::json& e, const std::vector<std::string>& columns,
                               const Xapian::Stem& stem) {
  Xapian::Document doc;
  auto urn = str(e, "urn");
  auto kind = str(e, "kind");
  auto name = str(e, "name");
  auto title = str(e, "title");
  auto parts = split_urn(urn);
  bool located = kind == "source" || kind == "schema" || kind == "table" ||
                 kind == "view" || kind == "column";
  std::string source = located && !parts.names.empty() ? parts.names[0] : "";
  std::string schema = located && parts.names.size() >= 2 ? parts.names[1] : "";

  doc.add_boolean_term(term_id + urn);
  doc.add_boolean_term(term_kind + kind);
  auto parent = str(e, "parent");
  if (!parent.empty()) doc.add_boolean_term(term_parent + parent);
  if (!source.empty()) doc.add_boolean_term(term_source + source);
  if (!schema.empty()) doc.add_boolean_term(term_schema + schema);
  auto tags = strs(e, "tags");
  auto stewards = strs(e, "stewards");
  for (auto& t : tags) doc.add_boolean_term(term_tag + lower(t));
  for (auto& s : stewards) doc.add_boolean_term(term_steward + s);
  bool endorsed = e.value("endorsed", false);
  bool deprecated = e.value("deprecated", false);
  if (endorsed) doc.add_boolean_term(term_endorsed);
  if (deprecated) doc.add_boolean_term(term_deprecated);

  // Weighted exact-name terms (so an exact match is always retrieved).
  if (auto n = normalize(name); !n.empty()) doc.add_term(term_exact_name + n);
  if (auto t = normalize(title); !t.empty()) doc.add_term(term_exact_title + t);

  Xapian::termpos pos = 0;
  index_text(doc, field_name, name, stem, pos);
  if (auto whole = lower(name); words(name).size() > 1 && whole.size() <= 64)
    doc.add_term(term_identifier + whole); // not under N: keeps N* expansions small
  index_text(doc, field_title, title, stem, pos);
  for (auto& t : tags) index_text(doc, field_tags, t, stem, pos);
  for (auto& t : strs(e, "terms")) {
    auto tp = split_urn(t);
    index_text(doc, field_tags, tp.names.empty() ? t : tp.names.back(), stem, pos);
  }
  for (auto& s : stewards) index_text(doc, field_tags, s, stem, pos);
  index_text(doc, field_description, str(e, "description"), stem, pos);
  for (auto& c : columns) index_text(doc, field_columns, c, stem, pos);
  // Location: the path above the entity (source, schema, table).
  if (located)
    for (size_t i = 0; i + 1 < parts.names.size(); ++i)
      index_text(doc, field_location, parts.names[i], stem, pos);
  if (e.contains("attributes") && e["attributes"].is_object()) {
    const auto& a = e["attributes"];
    index_text(doc, field_definition, str(a, "definition"), stem, pos);
    if (kind == "column") index_text(doc, field_definition, str(a, "data_type"), stem, pos);
    if (kind == "term") {
      for (auto& s : strs(a, "synonyms")) index_text(doc, field_tags, s, stem, pos);
      for (auto& s : strs(a, "abbreviations")) index_text(doc, field_tags, s, stem, pos);
    }
  }

  std::vector<std::string> cur;
  if (endorsed) cur.push_back("endorsed");
  if (deprecated) cur.push_back("deprecated");
  auto one = [](const std::string& v) {
    return v.empty() ? std::vector<std::string>{} : std::vector<std::string>{v};
  };
  doc.add_value(slot_facets, pack_lists({one(kind), one(source), one(schema), tags, stewards, cur}));
  std::vector<std::string> rank(rank_fields);
  rank[rank_urn] = urn;
  rank[rank_kind] = kind;
  rank[rank_curation] = joined(cur);
  rank[rank_exact_name] = normalize(name);
  rank[rank_exact_title] = normalize(title);
  rank[rank_stem_name] = bag_key(name, stem);
  if (kind == "column" && parts.names.size() >= 2)
    rank[rank_qualified] = bag_key(parts.names[parts.names.size() - 2] + " " + name, stem);
  doc.add_value(slot_rank, pack_fields(rank));
  if (kind == "column") {
    int64_t ordinal = 0;
    if (auto a = e.find("attributes"); a != e.end() && a->is_object())
      if (auto o = a->find("ordinal"); o != a->end() && o->is_number())
        ordinal = o->get<int64_t>();
    doc.add_value(slot_column, column_key(ordinal, name));
  }
  if (!columns.empty()) {
    std::string packed;
    nlohmann::json::to_msgpack(nlohmann::json(columns), packed);
    doc.add_value(slot_columns, packed);
  }
  // MessagePack: a third of the time of JSON text to decode, and smaller.
  std::string data;
  nlohmann::json::to_msgpack(e, data);
  doc.set_data(data);
  return doc;
}

} // namespace almanac::search
