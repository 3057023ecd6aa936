#include "search_bench_gen.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <unordered_set>

namespace search_bench {
namespace {

using rng_t = std::mt19937_64;

/// A vocabulary word and its usual abbreviation in identifiers.
struct word {
  const char* full;
  const char* abbr;
};

const word nouns[] = {
  {"customer", "cust"},     {"order", "ord"},         {"invoice", "inv"},
  {"payment", "pmt"},       {"product", "prod"},      {"address", "addr"},
  {"account", "acct"},      {"shipment", "shpmt"},    {"supplier", "supp"},
  {"employee", "emp"},      {"store", "str"},         {"region", "rgn"},
  {"campaign", "cmpgn"},    {"session", "sess"},      {"event", "evt"},
  {"ticket", "tkt"},        {"contract", "cntrct"},   {"balance", "bal"},
  {"inventory", "invtry"},  {"category", "cat"},      {"warehouse", "whse"},
  {"transaction", "txn"},   {"refund", "rfnd"},       {"price", "prc"},
  {"discount", "disc"},     {"subscription", "sub"},  {"user", "usr"},
  {"vendor", "vndr"},       {"department", "dept"},   {"company", "co"},
  {"branch", "brnch"},      {"country", "ctry"},      {"currency", "ccy"},
  {"message", "msg"},       {"document", "doc"},      {"organization", "org"},
  {"location", "loc"},      {"schedule", "sched"},    {"delivery", "dlvry"},
  {"return", "rtn"},        {"promotion", "promo"},   {"coupon", "cpn"},
  {"review", "rvw"},        {"rating", "rtg"},        {"device", "dev"},
  {"click", "clk"},         {"impression", "impr"},   {"lead", "ld"},
  {"opportunity", "opp"},   {"contact", "cntct"},     {"policy", "pol"},
  {"claim", "clm"},         {"ledger", "ldgr"},       {"journal", "jrnl"},
  {"budget", "bdgt"},       {"forecast", "fcst"},     {"revenue", "rev"},
  {"cost", "cst"},          {"margin", "mgn"},        {"tax", "tx"},
  {"fee", "fee"},           {"credit", "cr"},         {"card", "crd"},
  {"bank", "bnk"},          {"loan", "ln"},           {"project", "proj"},
  {"task", "tsk"},          {"partner", "ptnr"},      {"channel", "chnl"},
  {"segment", "seg"},
};
constexpr size_t noun_count = sizeof(nouns) / sizeof(nouns[0]);
static_assert(noun_count == 70, "domains() index nouns by position");

// Domains: indices into nouns that a source of that domain mostly uses.
struct domain {
  const char* name;
  std::vector<int> nouns;
  const char* system;
};
const std::vector<domain>& domains() {
  static const std::vector<domain> d = {
    {"sales", {0, 1, 2, 4, 24, 40, 41, 10, 11, 23, 42, 67}, "the web shop"},
    {"finance", {2, 3, 6, 17, 21, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 32}, "SAP"},
    {"crm", {0, 49, 47, 48, 12, 6, 29, 42, 43, 13, 15, 69}, "Salesforce"},
    {"logistics", {7, 20, 18, 38, 8, 27, 4, 36, 39, 37, 1}, "the warehouse system"},
    {"hr", {9, 28, 30, 35, 16, 37, 36, 50, 65, 66}, "Workday"},
    {"web", {13, 14, 45, 46, 44, 26, 12, 25, 68, 69}, "the event stream"},
    {"support", {15, 0, 33, 34, 51, 50, 43, 42, 26}, "Zendesk"},
  };
  return d;
}

struct source_name {
  const char* name;
  int domain;
};
const source_name source_names[] = {
  {"sales_pg", 0},      {"finance_mart", 1},  {"crm", 2},           {"logistics", 3},
  {"hr_core", 4},       {"web_events", 5},    {"support_desk", 6},  {"erp_prod", 1},
  {"shop", 0},          {"billing", 1},       {"salesforce_replica", 2},
  {"wms", 3},           {"payroll", 4},       {"clickstream", 5},   {"helpdesk", 6},
  {"dwh", 0},           {"ledger", 1},        {"marketing", 2},     {"fulfillment", 3},
  {"talent", 4},        {"mobile_app", 5},    {"claims", 6},        {"pos", 0},
  {"treasury", 1},      {"partners", 2},      {"procurement", 3},   {"legacy_ora", 4},
  {"analytics", 5},     {"callcenter", 6},    {"ecommerce", 0},     {"accounting", 1},
  {"hubspot", 2},       {"shipping", 3},      {"workforce", 4},     {"ads", 5},
  {"service_now", 6},   {"retail", 0},        {"risk", 1},          {"loyalty", 2},
  {"supply_chain", 3},
};

const char* schema_names[] = {"public", "staging", "raw", "analytics", "mart", "reporting",
                              "archive", "sandbox", "core", "ods", "landing", "dbo",
                              "history", "ref", "audit"};

/// Column attributes: words, data type, description category.
enum cat { c_id, c_amount, c_date, c_ts, c_status, c_code, c_flag, c_text, c_count,
           c_contact, c_address, c_person, c_percent };
struct attr {
  std::vector<word> words;
  const char* type;
  cat category;
  bool own_noun; ///< usually prefixed with the table's noun (order_date)
};
const std::vector<attr>& attrs() {
  static const std::vector<attr> a = {
    {{{"name", "nm"}}, "text", c_text, true},
    {{{"amount", "amt"}}, "numeric(12,2)", c_amount, true},
    {{{"total", "tot"}, {"amount", "amt"}}, "numeric(12,2)", c_amount, false},
    {{{"net", "net"}, {"amount", "amt"}}, "numeric(12,2)", c_amount, false},
    {{{"tax", "tx"}, {"amount", "amt"}}, "numeric(12,2)", c_amount, false},
    {{{"date", "dt"}}, "date", c_date, true},
    {{{"start", "strt"}, {"date", "dt"}}, "date", c_date, false},
    {{{"end", "end"}, {"date", "dt"}}, "date", c_date, false},
    {{{"created", "crt"}, {"at", "at"}}, "timestamptz", c_ts, false},
    {{{"updated", "upd"}, {"at", "at"}}, "timestamptz", c_ts, false},
    {{{"deleted", "del"}, {"at", "at"}}, "timestamptz", c_ts, false},
    {{{"timestamp", "ts"}}, "timestamptz", c_ts, true},
    {{{"status", "sts"}}, "text", c_status, true},
    {{{"type", "typ"}}, "text", c_code, true},
    {{{"code", "cd"}}, "varchar(16)", c_code, true},
    {{{"number", "num"}}, "varchar(32)", c_code, true},
    {{{"is", "is"}, {"active", "actv"}}, "boolean", c_flag, false},
    {{{"is", "is"}, {"deleted", "del"}}, "boolean", c_flag, false},
    {{{"description", "desc"}}, "text", c_text, true},
    {{{"notes", "nts"}}, "text", c_text, false},
    {{{"quantity", "qty"}}, "integer", c_count, false},
    {{{"count", "cnt"}}, "integer", c_count, true},
    {{{"email", "email"}}, "text", c_contact, false},
    {{{"phone", "ph"}}, "varchar(20)", c_contact, false},
    {{{"address", "addr"}, {"line1", "ln1"}}, "text", c_address, false},
    {{{"address", "addr"}, {"line2", "ln2"}}, "text", c_address, false},
    {{{"city", "cty"}}, "text", c_address, false},
    {{{"postal", "pstl"}, {"code", "cd"}}, "varchar(10)", c_address, false},
    {{{"country", "ctry"}, {"code", "cd"}}, "char(2)", c_code, false},
    {{{"currency", "ccy"}, {"code", "cd"}}, "char(3)", c_code, false},
    {{{"first", "frst"}, {"name", "nm"}}, "text", c_person, false},
    {{{"last", "lst"}, {"name", "nm"}}, "text", c_person, false},
    {{{"birth", "brth"}, {"date", "dt"}}, "date", c_person, false},
    {{{"discount", "disc"}, {"percent", "pct"}}, "numeric(5,2)", c_percent, false},
    {{{"rate", "rt"}}, "numeric(8,4)", c_percent, true},
    {{{"score", "scr"}}, "numeric(6,2)", c_count, true},
    {{{"balance", "bal"}}, "numeric(14,2)", c_amount, false},
    {{{"url", "url"}}, "text", c_text, false},
    {{{"version", "ver"}}, "integer", c_count, false},
    {{{"source", "src"}, {"system", "sys"}}, "text", c_code, false},
    {{{"external", "ext"}, {"ref", "ref"}}, "text", c_code, false},
    {{{"row", "row"}, {"hash", "hsh"}}, "char(32)", c_code, false},
  };
  return a;
}

const char* prefixes[] = {"dim", "fact", "stg", "raw", "agg", "tmp", "int", "rpt"};
const char* suffixes[] = {"hist", "daily", "monthly", "snapshot", "log", "v2", "archive",
                          "items", "lines", "details", "summary", "map", "xref", "events"};
const char* tags_table[] = {"finance", "core", "gold", "silver", "bronze", "kpi",
                            "gdpr", "sensitive", "certified", "marketing", "ops", "raw"};
const char* teams[] = {"finance", "marketing", "sales operations", "customer success",
                       "supply chain", "data science", "risk", "compliance",
                       "product analytics", "support"};
const char* purposes[] = {"revenue reporting",   "churn analysis",     "fraud detection",
                          "inventory planning",  "commission payouts", "demand forecasting",
                          "audit trails",        "regulatory reporting",
                          "campaign attribution", "customer segmentation",
                          "margin analysis",     "capacity planning"};
const char* freqs[] = {"hourly", "nightly", "daily", "weekly", "every 15 minutes",
                       "in near real time", "monthly"};
const char* systems[] = {"Stripe", "NetSuite", "Shopify", "HubSpot", "Kafka", "the ERP",
                         "the mobile app", "the billing service", "Google Analytics",
                         "the data lake", "an SFTP drop", "the legacy mainframe"};
const char* adjectives[] = {"active", "archived", "historical", "current", "pending",
                            "open", "closed", "gross", "net", "billing", "shipping",
                            "primary", "internal", "external", "legacy", "new", "cancelled",
                            "approved", "duplicate", "late"};
const char* verbs_past[] = {"created", "updated", "approved", "shipped", "cancelled",
                            "closed", "paid", "received", "booked", "invoiced"};
const char* periods[] = {"day", "week", "month", "quarter", "fiscal year"};
const char* currencies[] = {"EUR", "USD", "GBP", "the account currency",
                            "the reporting currency"};
const char* status_values[] = {"new", "open", "pending", "active", "closed", "cancelled",
                               "failed", "refunded", "shipped", "draft"};
/// Words of descriptions that also make single-word queries.
const char* prose_words[] = {"snapshot", "nightly", "churn", "fraud", "forecasting",
                             "attribution", "regulatory", "surrogate", "aggregated",
                             "deprecated", "duplicate", "currency", "segmentation",
                             "commission", "audit", "mainframe", "quarter", "fiscal"};

/// Nouns whose tables hold people's data (names, emails, addresses).
bool people_noun(int i) {
  static const std::set<std::string> people = {"customer", "employee", "supplier", "vendor",
                                               "user", "contact", "lead", "partner", "company",
                                               "store", "branch", "organization", "address"};
  return people.count(nouns[i].full) > 0;
}

enum style { snake, pascal, upper };

std::string plural(const std::string& w) {
  if (w.empty()) return w;
  char last = w.back();
  if (last == 'y' && w.size() > 1 && std::string("aeiou").find(w[w.size() - 2]) == std::string::npos)
    return w.substr(0, w.size() - 1) + "ies";
  if (last == 's' || last == 'x' || (w.size() > 1 && w.compare(w.size() - 2, 2, "ch") == 0))
    return w + "es";
  return w + "s";
}

std::string cap(std::string w) {
  if (!w.empty() && w[0] >= 'a' && w[0] <= 'z') w[0] = static_cast<char>(w[0] - 'a' + 'A');
  return w;
}

std::string upper_str(std::string w) {
  for (auto& c : w)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return w;
}

/// Joins identifier parts in a style; `camel_lower` starts camelCase lower.
std::string join_ident(const std::vector<std::string>& parts, style s, bool camel_lower = false) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    switch (s) {
    case snake:
      if (i) out += '_';
      out += parts[i];
      break;
    case upper:
      if (i) out += '_';
      out += upper_str(parts[i]);
      break;
    case pascal:
      out += (i == 0 && camel_lower) ? parts[i] : cap(parts[i]);
      break;
    }
  }
  return out;
}

std::string title_of(const std::vector<std::string>& full_words) {
  std::string out;
  for (auto& w : full_words) {
    if (!out.empty()) out += ' ';
    out += cap(w);
  }
  return out;
}

template <class T, size_t N>
const T& pick(rng_t& rng, const T (&arr)[N]) {
  return arr[rng() % N];
}
template <class T>
const T& pick(rng_t& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}
bool chance(rng_t& rng, double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

struct source_info {
  std::string name;
  int domain;
  style st;
  double abbr_rate;
  std::vector<std::string> schemas;
  std::vector<double> schema_weights;
};

struct generator {
  rng_t rng;
  std::vector<gen_entity> out;
  size_t n;

  int noun_for(const source_info& s) {
    if (chance(rng, 0.75)) return pick(rng, domains()[s.domain].nouns);
    return static_cast<int>(rng() % noun_count);
  }

  std::string part(const word& w, double abbr_rate) {
    return chance(rng, abbr_rate) ? w.abbr : w.full;
  }

  std::string table_description(const std::vector<int>& ns, const std::string& source_system,
                                bool deprecated, const std::string& other) {
    const std::string n0 = nouns[ns[0]].full;
    const std::string n1 = nouns[ns.size() > 1 ? ns[1] : (ns[0] + 7) % noun_count].full;
    std::vector<std::string> sentences;
    int count = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < count; ++i) {
      switch (rng() % 9) {
      case 0:
        sentences.push_back("One row per " + n0 +
                            (chance(rng, 0.5) ? " and " + n1 : std::string(" per ") + pick(rng, periods)) + ".");
        break;
      case 1:
        sentences.push_back(cap(n0) + " " + plural(n1) + " loaded " + pick(rng, freqs) + " from " +
                            (chance(rng, 0.5) ? source_system : std::string(pick(rng, systems))) + ".");
        break;
      case 2:
        sentences.push_back(std::string("Used by the ") + pick(rng, teams) + " team for " +
                            pick(rng, purposes) + ".");
        break;
      case 3:
        sentences.push_back(std::string("Includes ") + pick(rng, adjectives) + " and " +
                            pick(rng, adjectives) + " " + plural(n0) + "; " +
                            pick(rng, adjectives) + " " + plural(n1) + " are excluded.");
        break;
      case 4:
        sentences.push_back("Snapshot of " + n0 + " " + pick(rng, attrs()).words[0].full +
                            " at the end of each " + pick(rng, periods) + ".");
        break;
      case 5:
        sentences.push_back("Joins " + plural(n0) + " to " + plural(n1) + " through the " + n1 +
                            " key.");
        break;
      case 6:
        sentences.push_back("Aggregated " + n0 + " " + pick(rng, attrs()).words[0].full + " by " +
                            n1 + " and " + pick(rng, periods) + ".");
        break;
      case 7:
        sentences.push_back(cap(plural(n0)) + " that were " + pick(rng, verbs_past) +
                            " in the last " + pick(rng, periods) + ", with their " + n1 + ".");
        break;
      default:
        sentences.push_back(std::string("Source of truth for ") + n0 + " data in " +
                            pick(rng, systems) + "; see the " + pick(rng, teams) +
                            " wiki for definitions.");
      }
    }
    if (deprecated) sentences.push_back("Deprecated: use " + other + " instead.");
    std::string d;
    for (auto& s : sentences) d += (d.empty() ? "" : " ") + s;
    return d;
  }

  std::string column_description(const attr& a, const std::string& noun, const std::string& fk) {
    std::string what;
    for (auto& w : a.words) what += (what.empty() ? "" : " ") + std::string(w.full);
    if (!fk.empty())
      return chance(rng, 0.5) ? "Foreign key to the " + fk + " table."
                              : "References the " + fk + " this " + noun + " belongs to.";
    switch (a.category) {
    case c_id: return "Surrogate key of the " + noun + ".";
    case c_amount:
      return cap(what) + " of the " + noun + " in " + pick(rng, currencies) +
             (chance(rng, 0.5) ? ", including tax." : ", excluding tax.");
    case c_date:
    case c_ts:
      return std::string(chance(rng, 0.5) ? "Date" : "Time") + " when the " + noun + " was " +
             pick(rng, verbs_past) + (a.category == c_ts ? " (UTC)." : ".");
    case c_status:
      return "Current status of the " + noun + " (" + pick(rng, status_values) + ", " +
             pick(rng, status_values) + " or " + pick(rng, status_values) + ").";
    case c_flag: return "True when the " + noun + " is " + pick(rng, adjectives) + ".";
    case c_count: return "Number of " + plural(pick(rng, nouns).full) + " for the " + noun + ".";
    case c_contact: return "Primary " + what + " of the " + noun + "; personal data.";
    case c_address: return cap(what) + " of the " + noun + " " + pick(rng, adjectives) + " address.";
    case c_person: return cap(what) + " of the " + noun + " contact person.";
    case c_percent: return cap(what) + " applied to the " + noun + ", in percent.";
    default: return "The " + what + " of the " + noun + ".";
    }
  }

  void emit(gen_entity e) { out.push_back(std::move(e)); }

  void table(source_info& s, const std::string& schema, std::unordered_set<std::string>& used) {
    std::vector<int> ns{noun_for(s)};
    if (chance(rng, 0.4)) ns.push_back(noun_for(s));
    std::vector<std::string> parts, full;
    bool is_view = chance(rng, 0.08);
    if (chance(rng, 0.3)) parts.push_back(pick(rng, prefixes));
    for (int i : ns) {
      parts.push_back(part(nouns[i], s.abbr_rate));
      full.push_back(nouns[i].full);
    }
    if (chance(rng, 0.35)) {
      parts.push_back(pick(rng, suffixes));
      full.push_back(parts.back());
    } else if (s.st != pascal && chance(rng, 0.3)) {
      parts.back() = plural(parts.back()); // orders, customer_addresses
    }
    if (is_view) {
      if (s.st == pascal)
        parts.insert(parts.begin(), "vw");
      else if (chance(rng, 0.5))
        parts.insert(parts.begin(), "v");
      else
        parts.push_back("vw");
    }
    std::string name = join_ident(parts, s.st);
    std::string base = name;
    for (int k = 2; !used.insert(name).second; ++k)
      name = base + (s.st == pascal ? "" : "_") + std::to_string(k);

    gen_entity t;
    t.kind = is_view ? "view" : "table";
    t.source = s.name;
    t.schema = schema;
    t.name = name;
    std::string path = s.name + "." + schema + "." + name;
    t.urn = "urn:almanac:" + t.kind + ":" + path;
    t.parent = "urn:almanac:schema:" + s.name + "." + schema;
    if (chance(rng, 0.15)) t.title = title_of(full);
    t.deprecated = chance(rng, 0.02);
    t.endorsed = !t.deprecated && chance(rng, 0.03);
    if (chance(rng, 0.85))
      t.description = table_description(ns, domains()[s.domain].system, t.deprecated,
                                        join_ident({nouns[ns[0]].full, "v2"}, s.st));
    else if (t.deprecated)
      t.description = "Deprecated.";
    if (chance(rng, 0.3)) {
      t.tags.push_back(pick(rng, tags_table));
      if (chance(rng, 0.3)) {
        std::string t2 = pick(rng, tags_table);
        if (t2 != t.tags[0]) t.tags.push_back(t2);
      }
    }
    std::string noun0 = nouns[ns[0]].full;
    std::string turn = t.urn;
    emit(std::move(t));
    if (out.size() >= n) return;

    // Columns: lognormal count around 12 (2 to 80).
    double ln = std::normal_distribution<double>(std::log(10.0), 0.6)(rng);
    size_t cols = std::clamp<size_t>(static_cast<size_t>(std::exp(ln)), 2, 80);
    std::set<std::string> col_used;
    bool camel = s.st == pascal;
    auto col = [&](std::vector<std::string> cparts, const std::string& type, std::string desc,
                   std::vector<std::string> tags, std::vector<std::string> cfull) {
      std::string cname = join_ident(cparts, s.st, camel);
      std::string cbase = cname;
      for (int k = 2; !col_used.insert(cname).second; ++k) cname = cbase + std::to_string(k);
      gen_entity c;
      c.kind = "column";
      c.source = s.name;
      c.schema = schema;
      c.name = cname;
      c.urn = "urn:almanac:column:" + path + "." + cname;
      c.parent = turn;
      c.data_type = type;
      c.ordinal = static_cast<int>(col_used.size());
      if (chance(rng, 0.03)) c.title = title_of(cfull);
      c.description = std::move(desc);
      c.tags = std::move(tags);
      emit(std::move(c));
    };
    // Key.
    if (chance(rng, 0.3))
      col({"id"}, "bigint", chance(rng, 0.4) ? "Surrogate key of the " + noun0 + "." : "", {},
          {"id"});
    else
      col({part(nouns[ns[0]], s.abbr_rate), "id"}, "bigint",
          chance(rng, 0.4) ? "Unique identifier of the " + noun0 + "." : "", {}, {noun0, "id"});
    while (col_used.size() < cols && out.size() < n) {
      if (chance(rng, 0.2)) { // foreign key
        int fk = noun_for(s);
        std::string fkn = nouns[fk].full;
        col({part(nouns[fk], s.abbr_rate), "id"}, "bigint",
            chance(rng, 0.4) ? column_description(attrs()[0], noun0, fkn) : "", {}, {fkn, "id"});
        continue;
      }
      const attr& a = pick(rng, attrs());
      bool personal = a.category == c_contact || a.category == c_address || a.category == c_person;
      if (personal && !people_noun(ns[0]) && chance(rng, 0.8)) continue; // rarely elsewhere
      std::vector<std::string> cparts, cfull;
      if (a.own_noun && chance(rng, 0.6)) {
        cparts.push_back(part(nouns[ns[0]], s.abbr_rate));
        cfull.push_back(noun0);
      }
      for (auto& w : a.words) {
        cparts.push_back(part(w, s.abbr_rate));
        cfull.push_back(w.full);
      }
      std::vector<std::string> tags;
      if (personal && chance(rng, 0.7)) tags.push_back("pii");
      if (a.category == c_amount && chance(rng, 0.2)) tags.push_back("finance");
      col(cparts, a.type, chance(rng, 0.4) ? column_description(a, noun0, "") : "", tags, cfull);
    }
  }

  void run() {
    size_t source_count = std::clamp<size_t>(n / 40000, 4, sizeof(source_names) / sizeof(source_names[0]));
    std::vector<source_info> sources;
    for (size_t i = 0; i < source_count; ++i) {
      source_info s;
      s.name = source_names[i].name;
      s.domain = source_names[i].domain;
      auto r = rng() % 10;
      s.st = r < 7 ? snake : r < 9 ? pascal : upper;
      s.abbr_rate = 0.05 + 0.4 * std::uniform_real_distribution<double>(0, 1)(rng);
      std::vector<std::string> all(std::begin(schema_names), std::end(schema_names));
      std::shuffle(all.begin(), all.end(), rng);
      size_t k = 3 + rng() % 10;
      if (s.st == pascal) all.insert(all.begin(), "dbo");
      for (size_t j = 0; j < k && j < all.size(); ++j)
        if (std::find(s.schemas.begin(), s.schemas.end(), all[j]) == s.schemas.end()) {
          s.schemas.push_back(all[j]);
          s.schema_weights.push_back(std::exponential_distribution<double>(1.0)(rng) + 0.05);
        }
      sources.push_back(std::move(s));
    }
    for (auto& s : sources) {
      if (out.size() >= n) return;
      gen_entity e;
      e.kind = "source";
      e.name = s.name;
      e.source = s.name;
      e.urn = "urn:almanac:source:" + s.name;
      e.description = std::string("Production ") + domains()[s.domain].name + " database (" +
                      domains()[s.domain].system + ").";
      e.endorsed = chance(rng, 0.3);
      emit(std::move(e));
    }
    for (auto& s : sources)
      for (auto& sc : s.schemas) {
        if (out.size() >= n) return;
        gen_entity e;
        e.kind = "schema";
        e.name = sc;
        e.source = s.name;
        e.schema = sc;
        e.urn = "urn:almanac:schema:" + s.name + "." + sc;
        e.parent = "urn:almanac:source:" + s.name;
        if (chance(rng, 0.5))
          e.description = cap(std::string(pick(rng, adjectives))) + " " +
                          domains()[s.domain].name + " tables (" + sc + ").";
        emit(std::move(e));
      }
    // Tables over (source, schema) with uneven weights.
    std::vector<std::pair<size_t, size_t>> slots;
    std::vector<double> weights;
    for (size_t i = 0; i < sources.size(); ++i)
      for (size_t j = 0; j < sources[i].schemas.size(); ++j) {
        slots.emplace_back(i, j);
        weights.push_back(sources[i].schema_weights[j]);
      }
    std::discrete_distribution<size_t> which(weights.begin(), weights.end());
    std::vector<std::unordered_set<std::string>> used(slots.size());
    while (out.size() < n) {
      size_t k = which(rng);
      auto& s = sources[slots[k].first];
      table(s, s.schemas[slots[k].second], used[k]);
    }
  }
};

} // namespace

nlohmann::json gen_entity::to_json() const {
  nlohmann::json attributes = nlohmann::json::object();
  if (kind == "column") attributes = {{"data_type", data_type}, {"ordinal", ordinal}};
  return {{"urn", urn},
          {"kind", kind},
          {"name", name},
          {"parent", parent.empty() ? nlohmann::json() : nlohmann::json(parent)},
          {"title", title},
          {"description", description},
          {"tags", tags},
          {"stewards", nlohmann::json::array()},
          {"terms", nlohmann::json::array()},
          {"deprecated", deprecated},
          {"endorsed", endorsed},
          {"attributes", std::move(attributes)},
          {"version", 1}};
}

std::vector<gen_entity> generate_catalog(size_t n, uint64_t seed) {
  generator g{rng_t(seed), {}, n};
  g.out.reserve(n);
  g.run();
  return std::move(g.out);
}

std::vector<bench_query> query_mix(const std::vector<std::string>& sources, size_t per_category,
                                   uint64_t seed) {
  rng_t rng(seed);
  std::vector<bench_query> out;
  std::set<std::string> seen;
  auto add = [&](bench_query q) {
    std::string key = q.category + "|" + q.text;
    for (auto& v : {q.kinds, q.sources, q.tags})
      for (auto& x : v) key += "|" + x;
    if (seen.insert(key).second) out.push_back(std::move(q));
  };
  auto noun = [&] { return std::string(pick(rng, nouns).full); };
  auto attr_word = [&] { return std::string(pick(rng, attrs()).words.back().full); };
  auto single = [&]() -> std::string {
    auto r = rng() % 20;
    if (r < 12) return noun();
    if (r < 16) return attr_word();
    if (r < 19) return pick(rng, prose_words);
    return pick(rng, nouns).abbr;
  };
  auto multi = [&]() -> std::string {
    auto r = rng() % 10;
    if (r < 4) return noun() + " " + attr_word();
    if (r < 6) return std::string(pick(rng, adjectives)) + " " + noun();
    if (r < 8) return noun() + " " + noun();
    if (r < 9) return pick(rng, purposes);
    return noun() + " " + attr_word() + " " + pick(rng, periods);
  };
  for (size_t tries = 0; out.size() < per_category && tries < 100 * per_category; ++tries)
    add({"single", single(), {}, {}, {}});
  for (size_t tries = 0; out.size() < 2 * per_category && tries < 100 * per_category; ++tries)
    add({"multi", multi(), {}, {}, {}});
  for (size_t tries = 0; out.size() < 3 * per_category && tries < 100 * per_category; ++tries) {
    std::string w = noun();
    size_t len = 3 + rng() % std::max<size_t>(1, w.size() - 3);
    std::string p = w.substr(0, std::min(len, w.size()));
    add({"prefix", chance(rng, 0.3) ? noun() + " " + p + "*" : p + "*", {}, {}, {}});
  }
  for (size_t tries = 0; out.size() < 4 * per_category && tries < 100 * per_category; ++tries) {
    bench_query q{"filtered", chance(rng, 0.6) ? single() : multi(), {}, {}, {}};
    auto r = rng() % 20;
    if (r < 6)
      q.kinds = {"table"};
    else if (r < 11)
      q.kinds = {"column"};
    else if (r < 13)
      q.kinds = {"table", "view"};
    else if (r < 17 && !sources.empty())
      q.sources = {pick(rng, sources)};
    else
      q.tags = {chance(rng, 0.5) ? "pii" : "finance"};
    add(std::move(q));
  }
  return out;
}

std::vector<std::string> suggest_prefixes(size_t count, uint64_t seed) {
  rng_t rng(seed);
  std::vector<std::string> out;
  while (out.size() < count) {
    const word& w = pick(rng, nouns);
    std::string base;
    switch (rng() % 6) {
    case 0: base = w.abbr + std::string("_") + pick(rng, attrs()).words[0].full; break;
    case 1: base = cap(w.full) + cap(pick(rng, nouns).full); break; // PascalCase as typed
    case 2: base = std::string(w.full) + "_" + pick(rng, nouns).full; break;
    default: base = w.full;
    }
    size_t len = 1 + rng() % std::min<size_t>(10, base.size());
    out.push_back(base.substr(0, len));
  }
  return out;
}

} // namespace search_bench
