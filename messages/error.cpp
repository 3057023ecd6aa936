#include "messages/error.hpp"

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

namespace almanac {

const char* to_string(ec x) {
  switch (x) {
    case ec::unspecified: return "unspecified";
    case ec::invalid_config: return "invalid_config";
    case ec::invalid_argument: return "invalid_argument";
    case ec::bad_request: return "bad_request";
    case ec::not_found: return "not_found";
    case ec::unauthenticated: return "unauthenticated";
    case ec::forbidden: return "forbidden";
    case ec::method_not_allowed: return "method_not_allowed";
    case ec::payload_too_large: return "payload_too_large";
    case ec::conflict: return "conflict";
    case ec::io_error: return "io_error";
    case ec::corrupt_data: return "corrupt_data";
    case ec::locked: return "locked";
    case ec::escalated: return "escalated";
    case ec::fault_injected: return "fault_injected";
    case ec::unavailable: return "unavailable";
    case ec::timeout: return "timeout";
    case ec::unsupported_version: return "unsupported_version";
    case ec::cancelled: return "cancelled";
    case ec::storage_full: return "storage_full";
    case ec::read_only: return "read_only";
  }
  return "unspecified";
}

caf::error make_error(ec code, std::string context) {
  if (context.empty())
    return caf::error{static_cast<uint8_t>(code), error_category};
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(context))};
}

ec code_of(const caf::error& err) {
  if (err.category() != error_category)
    return ec::unspecified;
  return static_cast<ec>(err.code());
}

std::string message_of(const caf::error& err) {
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return {};
}

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() == error_category) {
    auto msg = message_of(err);
    std::string result = to_string(code_of(err));
    if (!msg.empty())
      result += ": " + msg;
    return result;
  }
  if (err.category() == caf::atom("system"))
    return "system: " + to_string(static_cast<caf::sec>(err.code()));
  if (err.category() == caf::atom("exit"))
    return "exit: " + to_string(static_cast<caf::exit_reason>(err.code()));
  return "error " + std::to_string(err.code()) + " in category "
         + to_string(err.category());
}

int http_status(const caf::error& err) {
  if (err.category() != error_category)
    return 500;
  switch (code_of(err)) {
    case ec::bad_request: return 400;
    case ec::unauthenticated: return 401;
    case ec::forbidden: return 403;
    case ec::not_found: return 404;
    case ec::method_not_allowed: return 405;
    case ec::conflict:
    case ec::cancelled: return 409;
    case ec::payload_too_large: return 413;
    case ec::invalid_argument:
    case ec::invalid_config: return 422;
    case ec::locked:
    case ec::read_only:
    case ec::unavailable: return 503;
    case ec::timeout: return 504;
    case ec::storage_full: return 507;
    case ec::io_error: return 503;
    default: return 500;
  }
}

} // namespace almanac
