// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/connection.h"

#include <gtest/gtest.h>

#include "pair.h"

namespace p2pnet {
namespace {

using testing::Bytes;
using testing::Pair;

class ConnectionTest : public ::testing::Test {
 protected:
  Identity client_id = testing::identity_from_byte(1);
  Identity server_id = testing::identity_from_byte(2);
  DeterministicRandom client_random{1};
  DeterministicRandom server_random{2};
  ClientConfig client_config() {
    ClientConfig c;
    c.identity = &client_id;
    c.expected_server = server_id.public_key();
    c.random = &client_random;
    return c;
  }
  ServerConfig server_config() {
    ServerConfig s;
    s.identity = &server_id;
    s.random = &server_random;
    return s;
  }
};

TEST_F(ConnectionTest, HandshakeThenMessagesBothWays) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_TRUE(pair.client.is_established()) << error_message(pair.client.error());
  ASSERT_TRUE(pair.server.is_established()) << error_message(pair.server.error());
  EXPECT_TRUE(pair.client_inbox.handshake_complete);
  EXPECT_TRUE(pair.server_inbox.handshake_complete);
  EXPECT_EQ(*pair.client.peer_identity(), server_id.public_key());
  EXPECT_EQ(*pair.server.peer_identity(), client_id.public_key());
  EXPECT_TRUE(std::ranges::equal(pair.client.session_key(), pair.server.session_key()));
  EXPECT_TRUE(std::ranges::equal(pair.client.key_c2s(), pair.server.key_c2s()));
  EXPECT_TRUE(std::ranges::equal(pair.client.key_s2c(), pair.server.key_s2c()));
  EXPECT_FALSE(std::ranges::equal(pair.client.key_c2s(), pair.client.key_s2c()));

  const Bytes hello{'h', 'i'};
  ASSERT_EQ(pair.client.send(hello), Error::kNone);
  ASSERT_EQ(pair.server.send(Bytes{'y', 'o'}), Error::kNone);
  ASSERT_EQ(pair.client.close(), Error::kNone);
  pair.drive();
  ASSERT_EQ(pair.server_inbox.messages.size(), 1u);
  EXPECT_EQ(pair.server_inbox.messages[0], hello);
  ASSERT_EQ(pair.client_inbox.messages.size(), 1u);
  EXPECT_EQ(pair.client_inbox.messages[0], (Bytes{'y', 'o'}));
  EXPECT_TRUE(pair.server_inbox.peer_closed);
  EXPECT_EQ(pair.client.send(hello), Error::kAlreadyClosed);
}

}  // namespace
}  // namespace p2pnet
