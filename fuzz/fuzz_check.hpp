#pragma once

// FUZZ_CHECK(condition): the fuzzers' assertion. Unlike assert() it stays in
// every build; a failure prints the condition and its line, then aborts, so
// libFuzzer keeps the input as a crash.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__,  \
                   #cond);                                                        \
      std::abort();                                                               \
    }                                                                             \
  } while (false)
