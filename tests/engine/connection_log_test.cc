// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The log hook (log.h) as a Connection drives it: which events, at which level, with
// which connection id, and never a secret.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "hex.h"
#include "p2pnet/connection.h"
#include "p2pnet/internal/connection_test_access.h"
#include "p2pnet/log.h"
#include "pair.h"

namespace p2pnet {
namespace {

using testing::Bytes;
using testing::Pair;

struct Entry {
  LogLevel level;
  std::uint64_t id;
  std::string message;
};

class ConnectionLogTest : public ::testing::Test {
 protected:
  Identity client_id_ = testing::identity_from_byte(1);
  Identity server_id_ = testing::identity_from_byte(2);
  Identity stranger_ = testing::identity_from_byte(3);
  DeterministicRandom client_random_{1};
  DeterministicRandom server_random_{2};
  std::vector<Entry> client_log_, server_log_;
  LogHook client_hook_ = [this](LogLevel l, std::uint64_t id, std::string_view m) {
    client_log_.push_back({l, id, std::string(m)});
  };
  LogHook server_hook_ = [this](LogLevel l, std::uint64_t id, std::string_view m) {
    server_log_.push_back({l, id, std::string(m)});
  };
  ClientConfig client_config() {
    ClientConfig c;
    c.identity = &client_id_;
    c.expected_server = server_id_.public_key();
    c.random = &client_random_;
    c.log_hook = &client_hook_;
    c.log_id = 7;
    return c;
  }
  ServerConfig server_config() {
    ServerConfig s;
    s.identity = &server_id_;
    s.random = &server_random_;
    s.log_hook = &server_hook_;
    s.log_id = 42;
    return s;
  }
};

std::size_t count(const std::vector<Entry>& log, LogLevel level) {
  std::size_t n = 0;
  for (const Entry& e : log) n += e.level == level ? 1 : 0;
  return n;
}

TEST_F(ConnectionLogTest, CompletedHandshakeLogsStartAndFullPeerKey) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_TRUE(pair.client.is_established());
  ASSERT_EQ(server_log_.size(), 2u);
  EXPECT_EQ(server_log_[0].level, LogLevel::kDebug);
  EXPECT_EQ(server_log_[0].message, "server handshake started");
  EXPECT_EQ(server_log_[1].level, LogLevel::kInfo);
  EXPECT_EQ(server_log_[1].message,
            "handshake complete, peer " + encode_public_key(client_id_.public_key()));
  for (const Entry& e : server_log_) EXPECT_EQ(e.id, 42u);
  ASSERT_EQ(client_log_.size(), 2u);
  EXPECT_EQ(client_log_[0].message, "client handshake started");
  EXPECT_EQ(client_log_[1].message,
            "handshake complete, peer " + encode_public_key(server_id_.public_key()));
  for (const Entry& e : client_log_) EXPECT_EQ(e.id, 7u);
}

TEST_F(ConnectionLogTest, RefusedClientIsNamedInFullOnBothSides) {
  const std::vector<PublicKey> allowed{stranger_.public_key()};
  ClientConfig cc = client_config();
  ServerConfig sc = server_config();
  sc.allowed_clients = std::span<const PublicKey>(allowed);
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_EQ(pair.server.error(), Error::kPeerNotAllowed);
  ASSERT_EQ(count(server_log_, LogLevel::kWarning), 1u);
  EXPECT_EQ(server_log_.back().message, "refused peer " +
                                            encode_public_key(client_id_.public_key()) +
                                            ": client not on the allow-list (sent Error 0x03)");
  // The client hears Error 0x03 and says so without answering it.
  EXPECT_EQ(client_log_.back().level, LogLevel::kError);
  EXPECT_EQ(client_log_.back().message, "handshake failed: PeerAbortNotAccepted (no Error sent)");
}

TEST_F(ConnectionLogTest, ClientRefusingAnUnexpectedServerNamesTheServerItMet) {
  ClientConfig cc = client_config();
  cc.expected_server = stranger_.public_key();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_EQ(pair.client.error(), Error::kPeerNotAllowed);
  EXPECT_EQ(client_log_.back().level, LogLevel::kWarning);
  EXPECT_EQ(client_log_.back().message, "refused peer " +
                                            encode_public_key(server_id_.public_key()) +
                                            ": server is not the expected one (sent Error 0x03)");
}

TEST_F(ConnectionLogTest, FailureNamesTheErrorAndWireCodeOnce) {
  const ServerConfig sc = server_config();
  Connection server = Connection::server(sc, Instant{0});
  const Bytes garbage{0x07, 0x00};
  (void)server.handle_bytes(garbage, Instant{0});
  (void)server.handle_bytes(garbage, Instant{1});
  (void)server.handle_timeout(Instant{1'000'000});
  ASSERT_EQ(server.error(), Error::kMalformedMessage);
  ASSERT_EQ(count(server_log_, LogLevel::kError), 1u);
  EXPECT_EQ(server_log_.back().message, "handshake failed: MalformedMessage (sent Error 0x01)");
}

TEST_F(ConnectionLogTest, TimeoutIsLogged) {
  const ClientConfig cc = client_config();
  Connection client = Connection::client(cc, Instant{0});
  (void)client.handle_timeout(Instant{0} + kDefaultHandshakeTimeout);
  ASSERT_EQ(client.error(), Error::kTimeout);
  EXPECT_EQ(client_log_.back().message, "handshake failed: Timeout (sent Error 0x04)");
}

TEST_F(ConnectionLogTest, ChannelFailureIsLoggedAsSuch) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_TRUE(pair.server.is_established());
  const Bytes forged{0, 0, 0, 1, 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  (void)pair.server.handle_bytes(forged, pair.now);
  ASSERT_EQ(pair.server.error(), Error::kFrameAuthFailed);
  EXPECT_EQ(server_log_.back().message, "channel failed: FrameAuthFailed (no Error sent)");
}

// A hook that throws at completion ends the new channel (ThrowingHookTest): the
// failure is logged once, as the channel's, and a channel sends no Error message
// whatever its error, even one with a handshake wire code (HookFailed's is 0x06).
TEST_F(ConnectionLogTest, AHookThatThrewAtCompletionIsLoggedAsAChannelFailure) {
  const LogHook throws_once = [this](LogLevel l, std::uint64_t id, std::string_view m) {
    client_log_.push_back({l, id, std::string(m)});
    if (l == LogLevel::kInfo) throw std::runtime_error("hook");
  };
  ClientConfig cc = client_config();
  cc.log_hook = &throws_once;
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_EQ(pair.client.error(), Error::kHookFailed);
  ASSERT_EQ(client_log_.size(), 3u);
  EXPECT_EQ(client_log_[1].level, LogLevel::kInfo);
  EXPECT_EQ(client_log_[2].level, LogLevel::kError);
  EXPECT_EQ(client_log_[2].message, "channel failed: HookFailed (no Error sent)");
}

TEST_F(ConnectionLogTest, NoMessageHoldsAKeyOfTheSession) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_TRUE(pair.client.is_established());
  const std::vector<std::string> secrets{
      testing::to_hex(pair.client.session_key()),
      testing::to_hex(ConnectionTestAccess::key_c2s(pair.client)),
      testing::to_hex(ConnectionTestAccess::key_s2c(pair.client))};
  ASSERT_EQ(pair.client.close(), Error::kNone);
  pair.drive();
  for (const auto* log : {&client_log_, &server_log_}) {
    for (const Entry& e : *log) {
      for (const std::string& secret : secrets) {
        ASSERT_EQ(secret.size(), 64u);
        // Any 8 hex digits of a key (4 bytes) would already be a leak worth failing on.
        for (std::size_t i = 0; i + 8 <= secret.size(); i += 8) {
          EXPECT_EQ(e.message.find(secret.substr(i, 8)), std::string::npos) << e.message;
        }
      }
    }
  }
}

TEST_F(ConnectionLogTest, NoHookMeansNoCall) {
  ClientConfig cc = client_config();
  ServerConfig sc = server_config();
  cc.log_hook = nullptr;
  sc.log_hook = nullptr;
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_TRUE(pair.client.is_established());
  EXPECT_TRUE(client_log_.empty());
  EXPECT_TRUE(server_log_.empty());
}

}  // namespace
}  // namespace p2pnet
