#include "actors/lineage/domain/lineage_keys.hpp"
#include "messages/digest.hpp"

#include "messages/urn.hpp"

#include <openssl/evp.h>

namespace almanac::lineage {

std::string table_urn(const std::string& source, const std::string& qualified,
                      bool is_view) {
  std::string schema = "public";
  std::string table = qualified;
  auto dot = qualified.find('.');
  if (dot != std::string::npos) {
    schema = qualified.substr(0, dot);
    table = qualified.substr(dot + 1);
  }
  auto kind = is_view ? catalog::entity_kind::view : catalog::entity_kind::table;
  auto u = catalog::make_urn(kind, {source, schema, table});
  return u ? *u : std::string{};
}

std::string column_urn(const std::string& table_urn, const std::string& column) {
  // urn:almanac:<kind>:<path> -> urn:almanac:column:<path>.<column>
  auto colon = table_urn.find(':', 12);
  if (table_urn.rfind("urn:almanac:", 0) != 0 || colon == std::string::npos
      || colon + 1 == table_urn.size() || column.empty())
    return {};
  return "urn:almanac:column:" + table_urn.substr(colon + 1) + "."
         + catalog::encode_name(column);
}

std::string dataset_urn(const nlohmann::json& d) {
  auto name = d.value("name", std::string{});
  auto ns = d.value("namespace", std::string{});
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= name.size(); ++i)
    if (i == name.size() || name[i] == '.') {
      parts.push_back(name.substr(start, i - start));
      start = i + 1;
    }
  auto source = parts.size() >= 3 ? parts[0] : ns;
  auto qualified = parts.size() >= 3 ? parts[parts.size() - 2] + "." + parts.back() : name;
  return table_urn(source, qualified);
}

std::string be64(uint64_t x) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((x >> (56 - 8 * i)) & 0xFF);
  return out;
}

std::string execution_id(const nlohmann::json& q) {
  auto text = q.value("source", "") + "\x1f" + q.value("user", "") + "\x1f"
              + q.value("start_time", "") + "\x1f" + q.value("sql", "") + "\x1f"
              + q.value("origin", "");
  return sha256_hex(text).substr(0, 24);
}

} // namespace almanac::lineage
