// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// asio_loop_test.cc: the event-loop suites (loop_conversation_tests.h,
// peer_reset_tests.h) on standalone Asio.
#include "asio_harness.h"
#include "loop_conversation_tests.h"
#ifndef _WIN32
#include "peer_reset_tests.h"
#endif

namespace p2pnet::loops {

INSTANTIATE_TYPED_TEST_SUITE_P(Asio, LoopConversationTest, AsioHarness);
#ifndef _WIN32  // no SIGPIPE there
INSTANTIATE_TYPED_TEST_SUITE_P(Asio, PeerResetTest, AsioHarness);
#endif

}  // namespace p2pnet::loops
