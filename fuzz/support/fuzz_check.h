// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// fuzz_check.h: FUZZ_CHECK(condition) stops the process with a message when an
// invariant of the engine breaks. assert() would vanish under NDEBUG in release
// builds; this must fire in the libFuzzer build and in the corpus replay tests alike,
// and abort() is what libFuzzer and ctest both report as a failure.
#ifndef P2PNET_FUZZ_SUPPORT_FUZZ_CHECK_H_
#define P2PNET_FUZZ_SUPPORT_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

namespace p2pnet::fuzz {

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, condition);
  std::abort();
}

}  // namespace p2pnet::fuzz

#define FUZZ_CHECK(condition)                                                       \
  do {                                                                              \
    if (!(condition)) ::p2pnet::fuzz::check_failed(#condition, __FILE__, __LINE__); \
  } while (false)

#endif  // P2PNET_FUZZ_SUPPORT_FUZZ_CHECK_H_
