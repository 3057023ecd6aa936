// Fuzzes the SQL analysis (actors/lineage/sql/sql_analysis.hpp, libpg_query)
// with arbitrary text: analyze() with and without known table columns and a
// default schema, its JSON form, fingerprint() and normalize().
// Input: one flags byte (bit 0: a schema provider knows a few tables; bit 1:
// no default schema), then the SQL text.
// Checks: nothing throws; the walk never fails on a tree the parser made
// ("analysis failed" is our bug, not the input's); a text that parses has
// a fingerprint; the JSON form dumps.

#include "fuzz/fuzz_check.hpp"
#include "actors/lineage/sql/analysis_json.hpp"
#include "actors/lineage/sql/sql_analysis.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace almanac::lineage;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 16 * 1024)
    return 0;
  static const map_schema_provider schemas{{
    {"public.orders", {"id", "customer_id", "amount", "created_at"}},
    {"public.customers", {"id", "name", "email"}},
    {"public.t", {"a", "b", "c"}},
    {"s.u", {"x", "y"}},
  }};
  auto flags = data[0];
  std::string sql(reinterpret_cast<const char*>(data + 1), size - 1);
  auto a = analyze(sql, (flags & 1) ? &schemas : nullptr, (flags & 2) ? "" : "public");
  if (a.parse_error)
    FUZZ_CHECK(a.parse_error->rfind("analysis failed", 0) != 0);
  for (auto& s : a.statements)
    if (s.parse_error)
      FUZZ_CHECK(s.parse_error->rfind("analysis failed", 0) != 0);
  if (!a.parse_error && !a.statements.empty())
    FUZZ_CHECK(!a.fingerprint.empty() || !a.statements.front().fingerprint.empty());
  FUZZ_CHECK(!to_json(a).dump().empty());
  fingerprint(sql);
  normalize(sql);
  return 0;
}
