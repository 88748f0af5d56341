// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/errors.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace p2pnet {
namespace {

TEST(ErrorsTest, EveryErrorHasANameAMessageAndACategory) {
  std::set<std::string> names;
  for (int i = 0; i < kErrorCount; ++i) {
    const auto error = static_cast<Error>(i);
    EXPECT_FALSE(error_name(error).empty());
    EXPECT_FALSE(error_message(error).empty());
    EXPECT_TRUE(names.insert(std::string(error_name(error))).second) << error_name(error);
  }
  EXPECT_EQ(error_name(Error::kTimeout), "Timeout");
  EXPECT_EQ(error_name(Error::kFrameTimeout), "FrameTimeout");
  EXPECT_EQ(static_cast<int>(Error::kFrameTimeout), kErrorCount - 1);
  EXPECT_EQ(error_category(Error::kNone), ErrorCategory::kNone);
}

TEST(ErrorsTest, LocalAndRemoteFailuresAreDifferentCategories) {
  EXPECT_EQ(error_category(Error::kWrongState), ErrorCategory::kLocal);
  EXPECT_EQ(error_category(Error::kMessageTooLarge), ErrorCategory::kLocal);
  EXPECT_EQ(error_category(Error::kMalformedMessage), ErrorCategory::kRemote);
  EXPECT_EQ(error_category(Error::kFrameAuthFailed), ErrorCategory::kRemote);
  EXPECT_EQ(error_category(Error::kPeerAbortTimeout), ErrorCategory::kPeerAbort);
  EXPECT_EQ(error_category(Error::kTimeout), ErrorCategory::kTimeout);
  EXPECT_EQ(error_category(Error::kFrameTimeout), ErrorCategory::kTimeout);
}

TEST(ErrorsTest, WireCodesFollowProtocolV1) {
  EXPECT_EQ(wire_code_for(Error::kMalformedMessage), WireErrorCode::kMalformed);
  EXPECT_EQ(wire_code_for(Error::kAuthenticationFailed), WireErrorCode::kAuthenticationFailed);
  EXPECT_EQ(wire_code_for(Error::kPeerNotAllowed), WireErrorCode::kIdentityNotAccepted);
  EXPECT_EQ(wire_code_for(Error::kTimeout), WireErrorCode::kTimeout);
  EXPECT_EQ(wire_code_for(Error::kReplayedChallenge), WireErrorCode::kReplayedChallenge);
  EXPECT_EQ(wire_code_for(Error::kRandomFailure), WireErrorCode::kInternal);
  // A peer that aborted or vanished is not answered.
  EXPECT_EQ(wire_code_for(Error::kPeerAbortMalformed), WireErrorCode::kNone);
  EXPECT_EQ(wire_code_for(Error::kPeerAbortUnknownCode), WireErrorCode::kNone);
  EXPECT_EQ(wire_code_for(Error::kConnectionClosed), WireErrorCode::kNone);
  // After the handshake there is no Error message: a frame deadline just ends it.
  EXPECT_EQ(wire_code_for(Error::kFrameTimeout), WireErrorCode::kNone);
}

TEST(ErrorsTest, ReceivedWireCodesMapToPeerAbortErrors) {
  EXPECT_EQ(error_from_wire_code(WireErrorCode::kMalformed), Error::kPeerAbortMalformed);
  EXPECT_EQ(error_from_wire_code(WireErrorCode::kAuthenticationFailed),
            Error::kPeerAbortAuthenticationFailed);
  EXPECT_EQ(error_from_wire_code(WireErrorCode::kIdentityNotAccepted),
            Error::kPeerAbortNotAccepted);
  EXPECT_EQ(error_from_wire_code(WireErrorCode::kTimeout), Error::kPeerAbortTimeout);
  EXPECT_EQ(error_from_wire_code(WireErrorCode::kReplayedChallenge),
            Error::kPeerAbortReplayedChallenge);
  EXPECT_EQ(error_from_wire_code(WireErrorCode::kInternal), Error::kPeerAbortInternal);
  EXPECT_EQ(error_from_wire_code(WireErrorCode::kNone), Error::kPeerAbortUnknownCode);
}

}  // namespace
}  // namespace p2pnet
