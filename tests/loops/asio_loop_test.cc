// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// asio_loop_test.cc: the event-loop suite (loop_conversation_tests.h) on standalone Asio.
#include "asio_harness.h"
#include "loop_conversation_tests.h"

namespace p2pnet::loops {

INSTANTIATE_TYPED_TEST_SUITE_P(Asio, LoopConversationTest, AsioHarness);

}  // namespace p2pnet::loops
