#include "connectors/postgresql/pg_support.hpp"

#include "messages/error.hpp"

#include <libpq-fe.h>
#include <pqxx/except>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace almanac::connectors::pg {

namespace {

// Type OIDs from pg_type.dat (stable across PostgreSQL versions).
constexpr unsigned bool_oid = 16;
constexpr unsigned int8_oid = 20;
constexpr unsigned int2_oid = 21;
constexpr unsigned int4_oid = 23;
constexpr unsigned oid_oid = 26;
constexpr unsigned float4_oid = 700;
constexpr unsigned float8_oid = 701;
constexpr unsigned numeric_oid = 1700;

using options_ptr = std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)>;

options_ptr parse_dsn(const std::string& dsn, std::string& error) {
  char* err = nullptr;
  options_ptr opts{PQconninfoParse(dsn.c_str(), &err), PQconninfoFree};
  if (!opts) {
    error = err ? err : "out of memory";
    PQfreemem(err);
  }
  return opts;
}

void append_quoted(std::string& out, const char* key, const std::string& val) {
  if (!out.empty())
    out += ' ';
  out += key;
  out += "='";
  for (char c : val) {
    if (c == '\\' || c == '\'')
      out += '\\';
    out += c;
  }
  out += '\'';
}

bool contains(const std::string& hay, const char* needle) {
  return hay.find(needle) != std::string::npos;
}

std::string prefix(const error_context& ctx) {
  return std::string{ctx.what} + " on " + ctx.target + ": ";
}

caf::error connection_error(const std::string& raw, const error_context& ctx) {
  auto msg = clean_message(raw, ctx.password);
  bool auth = contains(msg, "password authentication failed")
              || contains(msg, "no password supplied")
              || contains(msg, "authentication failed for user")
              || (contains(msg, "role \"") && contains(msg, "does not exist"));
  if (auth)
    return make_error(ec::unauthenticated,
                      "cannot log in to " + ctx.target + ": " + msg);
  if (std::strcmp(ctx.what, "connect") == 0)
    return make_error(ec::unavailable,
                      "cannot connect to " + ctx.target + ": " + msg);
  return make_error(ec::unavailable,
                    prefix(ctx) + "connection lost: " + msg);
}

caf::error sql_error(const pqxx::sql_error& e, const error_context& ctx) {
  const std::string state = sqlstate_of(e);
  auto msg = clean_message(e.what(), ctx.password);
  if (msg.rfind("ERROR: ", 0) == 0)
    msg.erase(0, 7);
  auto cls = state.substr(0, 2);
  if (state == "57014") {
    if (ctx.cancelled)
      return make_error(ec::cancelled, prefix(ctx) + "cancelled");
    if (contains(msg, "user request"))
      return make_error(ec::cancelled, prefix(ctx) + "cancelled on the server "
                                         "(pg_cancel_backend or an administrator)");
    return make_error(ec::timeout, prefix(ctx) + "exceeded the timeout of "
                                     + std::to_string(ctx.timeout_ms) + " ms");
  }
  if (state == "25006")
    return make_error(ec::forbidden, "read-only mode: " + msg);
  if (state == "42501" || cls == "28")
    return make_error(ec::forbidden, prefix(ctx) + msg);
  if (cls == "08" || cls == "53" || state.rfind("57P0", 0) == 0)
    return make_error(ec::unavailable, prefix(ctx) + msg);
  return make_error(ec::invalid_argument, msg);
}

} // namespace

std::string sqlstate_of(const pqxx::sql_error& e) {
  auto state = e.sqlstate();
  if (!state.empty())
    return state;
  // Most specific first: some classes derive from others.
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e)) return "42501";
  if (dynamic_cast<const pqxx::undefined_column*>(&e)) return "42703";
  if (dynamic_cast<const pqxx::undefined_function*>(&e)) return "42883";
  if (dynamic_cast<const pqxx::undefined_table*>(&e)) return "42P01";
  if (dynamic_cast<const pqxx::syntax_error*>(&e)) return "42601";
  if (dynamic_cast<const pqxx::feature_not_supported*>(&e)) return "0A000";
  if (dynamic_cast<const pqxx::data_exception*>(&e)) return "22000";
  if (dynamic_cast<const pqxx::integrity_constraint_violation*>(&e)) return "23000";
  if (dynamic_cast<const pqxx::invalid_cursor_state*>(&e)) return "24000";
  if (dynamic_cast<const pqxx::invalid_sql_statement_name*>(&e)) return "26000";
  if (dynamic_cast<const pqxx::invalid_cursor_name*>(&e)) return "34000";
  if (dynamic_cast<const pqxx::insufficient_resources*>(&e)) return "53000";
  if (dynamic_cast<const pqxx::plpgsql_error*>(&e)) return "P0001";
  return {};
}

std::string clean_message(std::string msg, const std::string& secret) {
  if (!secret.empty())
    for (auto pos = msg.find(secret); pos != std::string::npos;
         pos = msg.find(secret, pos))
      msg.replace(pos, secret.size(), "********");
  std::string out;
  out.reserve(msg.size());
  bool space = false;
  for (char c : msg) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string describe_target(const std::string& dsn) {
  std::string error;
  auto opts = parse_dsn(dsn, error);
  if (!opts)
    return "an unparsable dsn";
  std::string host, hostaddr, port, dbname, user;
  for (auto* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr)
      continue;
    std::string k = o->keyword;
    if (k == "host") host = o->val;
    else if (k == "hostaddr") hostaddr = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname") dbname = o->val;
    else if (k == "user") user = o->val;
  }
  if (host.empty())
    host = hostaddr;
  std::string out;
  auto add = [&](const char* key, const std::string& val) {
    if (val.empty())
      return;
    if (!out.empty())
      out += ' ';
    out += key;
    out += '=';
    out += val;
  };
  add("host", host.empty() ? std::string{"(default)"} : host);
  add("port", port.empty() ? std::string{"(default)"} : port);
  add("dbname", dbname);
  add("user", user);
  return out;
}

caf::error check_dsn(const std::string& dsn) {
  std::string error;
  auto opts = parse_dsn(dsn, error);
  if (!opts)
    // libpq's message may quote a piece of the dsn, which may be a secret.
    return make_error(ec::invalid_argument,
                      "field 'dsn' is not a valid PostgreSQL connection string "
                      "(key=value pairs, or a postgresql:// URI with "
                      "percent-encoded parts)");
  for (auto* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr)
      continue;
    if (std::strcmp(o->keyword, "password") == 0
        || std::strcmp(o->keyword, "sslpassword") == 0)
      return make_error(ec::invalid_argument,
                        std::string{"field 'dsn' must not contain a password (it sets '"}
                          + o->keyword
                          + "'; the dsn is stored in the event log): use "
                            "'password_env' or 'password' instead");
  }
  return caf::none;
}

caf::error make_conninfo(const std::string& dsn, const std::string& password,
                         std::string& out) {
  std::string error;
  auto opts = parse_dsn(dsn, error);
  if (!opts)
    return make_error(ec::invalid_argument,
                      "invalid postgresql dsn: " + clean_message(error, password));
  out.clear();
  bool has_timeout = false;
  for (auto* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::strcmp(o->keyword, "password") == 0)
      continue;
    if (std::strcmp(o->keyword, "connect_timeout") == 0)
      has_timeout = true;
    append_quoted(out, o->keyword, o->val);
  }
  if (!has_timeout)
    append_quoted(out, "connect_timeout", "10");
  if (!password.empty())
    append_quoted(out, "password", password);
  return {};
}

caf::error map_exception(std::exception_ptr ep, const error_context& ctx) {
  try {
    std::rethrow_exception(ep);
  } catch (const pqxx::broken_connection& e) {
    return connection_error(e.what(), ctx);
  } catch (const pqxx::sql_error& e) {
    // libpqxx reports a lost connection mid-statement as an sql_error without
    // a SQLSTATE; the message says so.
    std::string what = e.what();
    if (sqlstate_of(e).empty()
        && (contains(what, "server closed the connection")
            || contains(what, "connection to server") || contains(what, "no connection")))
      return connection_error(what, ctx);
    return sql_error(e, ctx);
  } catch (const pqxx::in_doubt_error& e) {
    return connection_error(e.what(), ctx);
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (contains(what, "server closed the connection")
        || contains(what, "terminating connection") || contains(what, "Lost connection"))
      return connection_error(what, ctx);
    return make_error(ec::unspecified,
                      prefix(ctx) + clean_message(what, ctx.password));
  } catch (...) {
    return make_error(ec::unspecified, prefix(ctx) + "unknown failure");
  }
}

nlohmann::json to_json_value(unsigned oid, const char* text, std::size_t size) {
  switch (oid) {
    case bool_oid:
      return size > 0 && (text[0] == 't' || text[0] == 'T');
    case int2_oid:
    case int4_oid:
    case int8_oid:
    case oid_oid: {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(text, &end, 10);
      if (errno == 0 && end == text + size)
        return static_cast<int64_t>(v);
      break;
    }
    case numeric_oid: {
      // Whole numbers that fit stay exact; others become doubles.
      if (std::strpbrk(text, ".eE") == nullptr) {
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(text, &end, 10);
        if (errno == 0 && end == text + size)
          return static_cast<int64_t>(v);
      }
      [[fallthrough]];
    }
    case float4_oid:
    case float8_oid: {
      char* end = nullptr;
      double v = std::strtod(text, &end);
      if (end == text + size && std::isfinite(v))
        return v;
      break;
    }
    default:
      break;
  }
  return std::string{text, size};
}

} // namespace almanac::connectors::pg
