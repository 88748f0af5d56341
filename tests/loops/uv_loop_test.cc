// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// uv_loop_test.cc: the event-loop suites (loop_conversation_tests.h, peer_reset_tests.h)
// on libuv.
#include "loop_conversation_tests.h"
#ifndef _WIN32
#include "peer_reset_tests.h"
#endif
#include "uv_harness.h"

namespace p2pnet::loops {

INSTANTIATE_TYPED_TEST_SUITE_P(Uv, LoopConversationTest, UvHarness);
#ifndef _WIN32  // no SIGPIPE there
INSTANTIATE_TYPED_TEST_SUITE_P(Uv, PeerResetTest, UvHarness);
#endif

}  // namespace p2pnet::loops
