#pragma once

// The gateway's names for the runtime's access model (runtime/access.hpp):
// roles, principals, token hashes and the token table.

#include "runtime/access.hpp"

namespace almanac::http {

using runtime::generate_token;
using runtime::hash_token;
using runtime::parse_role;
using runtime::principal;
using runtime::role;
using runtime::to_string;
using runtime::token_table;

} // namespace almanac::http
