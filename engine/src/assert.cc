// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// What a broken invariant does (assert.h): decided here, by the one compile definition
// P2PNET_ASSERTIONS that CMake sets on the engine, so every includer of assert.h
// gets the same behaviour. The engine prints nothing (it is sans-IO); a debugger or a
// core file shows where the abort came from, and fuzzers and sanitizers report the
// stack.
#include "p2pnet/internal/assert.h"

#include <cstdlib>

#ifndef P2PNET_ASSERTIONS
#error "P2PNET_ASSERTIONS must be defined to 0 or 1 (engine/CMakeLists.txt)"
#endif

namespace p2pnet::internal {

bool invariant_failed() {
#if P2PNET_ASSERTIONS
  std::abort();
#else
  return false;
#endif
}

bool assertions_abort() { return P2PNET_ASSERTIONS != 0; }

}  // namespace p2pnet::internal
