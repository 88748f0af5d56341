// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// assert.h: P2PNET_ASSERT(cond) states an invariant the engine relies on: |cond| is
// false only if the engine has a bug (a writer that ran out of a buffer sized for the
// message, a pending message larger than its buffer). It is never compiled away:
//   - with the CMake option P2PNET_ASSERTIONS on (the default in builds with tests,
//     fuzzers or sanitizers), a false |cond| aborts at once, so a test or a fuzzer
//     stops where the bug is;
//   - with it off (a library built for release), the expression is false and the
//     caller fails closed: the connection ends with Error::kInternalError and wipes
//     its keys, and the embedder's process goes on.
// The expression is [[nodiscard]], so every use decides what failing closed means:
//   if (!P2PNET_ASSERT(out.ok())) return fail(Error::kInternalError);
// The choice is made once, in assert.cc, when the engine is compiled; the header is
// the same for every includer.
#ifndef P2PNET_INTERNAL_ASSERT_H_
#define P2PNET_INTERNAL_ASSERT_H_

namespace p2pnet::internal {

// invariant_failed aborts when the engine was built with P2PNET_ASSERTIONS, and
// returns false otherwise.
bool invariant_failed();
// assertions_abort reports how the engine was built: true if invariant_failed aborts.
bool assertions_abort();

[[nodiscard]] constexpr bool invariant_holds(bool holds) { return holds; }

}  // namespace p2pnet::internal

#define P2PNET_ASSERT(cond)                                      \
  ::p2pnet::internal::invariant_holds(static_cast<bool>(cond) || \
                                      ::p2pnet::internal::invariant_failed())

#endif  // P2PNET_INTERNAL_ASSERT_H_
