#pragma once

// Forward declarations of the catalog core (URNs, entity model, commands,
// state projection).

namespace almanac::catalog {

enum class entity_kind;
struct parsed_urn;
struct change_info;
template <class Reply>
struct command_result;
class state_view;
class batch_overlay;
class catalog_applier;
class catalog_projection;

} // namespace almanac::catalog
