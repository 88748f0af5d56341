// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The key log (key_log.h): one line per session with the public challenge and both
// traffic keys, the same on both sides; refused loudly by a build without it.
#include "p2pnet/key_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"
#include "p2pnet/connection.h"
#include "p2pnet/internal/connection_test_access.h"
#include "pair.h"

namespace p2pnet {
namespace {

using testing::Pair;

class KeyLogTest : public ::testing::Test {
 protected:
  Identity client_id_ = testing::identity_from_byte(1);
  Identity server_id_ = testing::identity_from_byte(2);
  DeterministicRandom client_random_{1};
  DeterministicRandom server_random_{2};
  std::vector<std::string> client_lines_, server_lines_;
  KeyLogHook client_hook_ = [this](std::string_view line) { client_lines_.emplace_back(line); };
  KeyLogHook server_hook_ = [this](std::string_view line) { server_lines_.emplace_back(line); };
  ClientConfig client_config() {
    ClientConfig c;
    c.identity = &client_id_;
    c.expected_server = server_id_.public_key();
    c.random = &client_random_;
    c.key_log = &client_hook_;
    return c;
  }
  ServerConfig server_config() {
    ServerConfig s;
    s.identity = &server_id_;
    s.random = &server_random_;
    s.key_log = &server_hook_;
    return s;
  }
};

TEST_F(KeyLogTest, OneLineWithChallengeAndBothTrafficKeys) {
  if (!key_log_available())
    GTEST_SKIP() << "built with P2PNET_KEY_LOG=OFF (see RefusedWhenCompiledOut)";
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_TRUE(pair.client.is_established());
  const std::string expected =
      std::string(kKeyLogLabel) + " " +
      testing::to_hex(ConnectionTestAccess::transcript(pair.client)->challenge) + " " +
      testing::to_hex(ConnectionTestAccess::key_c2s(pair.client)) + " " +
      testing::to_hex(ConnectionTestAccess::key_s2c(pair.client));
  ASSERT_EQ(client_lines_.size(), 1u);
  EXPECT_EQ(client_lines_[0], expected);
  ASSERT_EQ(server_lines_, client_lines_);  // both sides name the same session the same way
  EXPECT_EQ(expected.size(), kKeyLogLabel.size() + 3 * 65);
  // Messages after the handshake add no line.
  ASSERT_EQ(pair.client.send(testing::Bytes{1}), Error::kNone);
  ASSERT_EQ(pair.client.close(), Error::kNone);
  pair.drive();
  EXPECT_EQ(client_lines_.size(), 1u);
}

TEST_F(KeyLogTest, NothingBeforeCompletionOrOnFailure) {
  ClientConfig cc = client_config();
  cc.expected_server = testing::identity_from_byte(9).public_key();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_EQ(pair.client.error(),
            key_log_available() ? Error::kPeerNotAllowed : Error::kInvalidArgument);
  EXPECT_TRUE(client_lines_.empty());
  EXPECT_TRUE(server_lines_.empty());
}

TEST_F(KeyLogTest, RefusedWhenCompiledOut) {
  if (key_log_available()) GTEST_SKIP() << "this build has the key log (P2PNET_KEY_LOG=ON)";
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  EXPECT_EQ(Connection::client(cc, Instant{0}).error(), Error::kInvalidArgument);
  EXPECT_EQ(Connection::server(sc, Instant{0}).error(), Error::kInvalidArgument);
}

}  // namespace
}  // namespace p2pnet
