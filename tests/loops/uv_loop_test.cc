// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// uv_loop_test.cc: the event-loop suite (loop_conversation_tests.h) on libuv.
#include "loop_conversation_tests.h"
#include "uv_harness.h"

namespace p2pnet::loops {

INSTANTIATE_TYPED_TEST_SUITE_P(Uv, LoopConversationTest, UvHarness);

}  // namespace p2pnet::loops
