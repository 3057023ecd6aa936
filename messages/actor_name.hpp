#pragma once

// The name an actor is registered under, typed with the interface it
// answers to (messages/actors.hpp lists them): a registry lookup by it
// cannot pair a name with the wrong interface.

namespace almanac {

template <class Handle>
struct actor_name {
  const char* name;
};

} // namespace almanac
