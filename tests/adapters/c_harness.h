/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * c_harness.h: the smallest test harness for the C API tests, which are C11 and so
 * cannot use GoogleTest. RUN_TEST(fn) prints "[ RUN ] fn" and "[ OK ] fn" or
 * "[ FAILED ] fn" the way gtest does; CHECK records a failure and goes on; REQUIRE
 * stops the process (the state after it would be meaningless). c_harness_finish()
 * prints a summary and gives main's exit status. Include it once per test program. */
#ifndef P2PNET_TESTS_C_HARNESS_H_
#define P2PNET_TESTS_C_HARNESS_H_

#include <stdio.h>
#include <stdlib.h>

#include "p2pnet.h"

static int g_checks_failed = 0; /* in the whole program */
static int g_tests_failed = 0;
static int g_tests_run = 0;

#define CHECK(cond)                                                                               \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error %s: %s)\n", __FILE__, __LINE__, #cond, \
              p2p_error_name(p2p_last_error()), p2p_last_error_message());                        \
      ++g_checks_failed;                                                                          \
    }                                                                                             \
  } while (0)

/* CHECK_CODE(expr, code): expr returns p2p_error_t; it must be code, and the thread's
 * last error must say the same. */
#define CHECK_CODE(expr, code)                                                                    \
  do {                                                                                            \
    const p2p_error_t got_ = (expr);                                                              \
    if (got_ != (code) || p2p_last_error() != (code)) {                                           \
      fprintf(stderr, "%s:%d: %s gave %s (last error %s: %s), expected %s\n", __FILE__, __LINE__, \
              #expr, p2p_error_name(got_), p2p_error_name(p2p_last_error()),                      \
              p2p_last_error_message(), p2p_error_name(code));                                    \
      ++g_checks_failed;                                                                          \
    }                                                                                             \
  } while (0)

/* REQUIRE evaluates cond once (it may have side effects) and stops on failure. */
#define REQUIRE(cond)                                             \
  do {                                                            \
    const int required_ok_ = (cond) ? 1 : 0;                      \
    CHECK(required_ok_&& #cond);                                  \
    if (!required_ok_) {                                          \
      fprintf(stderr, "stopping: a required condition failed\n"); \
      exit(1);                                                    \
    }                                                             \
  } while (0)

static void c_harness_run(const char* name, void (*test)(void)) {
  const int before = g_checks_failed;
  printf("[ RUN      ] %s\n", name);
  fflush(stdout);
  test();
  ++g_tests_run;
  if (g_checks_failed != before) {
    ++g_tests_failed;
    printf("[  FAILED  ] %s (%d check(s))\n", name, g_checks_failed - before);
  } else {
    printf("[       OK ] %s\n", name);
  }
  fflush(stdout);
}

#define RUN_TEST(fn) c_harness_run(#fn, fn)

static int c_harness_finish(const char* program) {
  if (g_tests_failed != 0) {
    printf("%s: %d of %d test(s) failed\n", program, g_tests_failed, g_tests_run);
    return 1;
  }
  printf("%s: all %d tests passed\n", program, g_tests_run);
  return 0;
}

#endif /* P2PNET_TESTS_C_HARNESS_H_ */
