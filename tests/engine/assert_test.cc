// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Every P2PNET_ASSERT site of the engine (internal/assert.h), each with its invariant
// broken on purpose through the test-access headers. This file is built twice:
//   - into p2pnet_engine_tests, where P2PNET_ASSERTIONS is on: each broken invariant
//     aborts (a death test), which shows the site is reached;
//   - into p2pnet_fail_closed_tests, with the engine's assertions compiled off: each
//     broken invariant must leave the connection failed with kInternalError, every key
//     wiped (ConnectionTestAccess::key_holders looks at the memory), no completion
//     reported, and nothing sent or opened afterwards.
// The sites: handshake.cc (ClientHello, KeyExchange, ServerHello, Accept, Error
// message), channel.cc (open_frame, poll_event, seal). key_schedule.cc has none: the
// signed contents are built with concat_into, whose sizes the compiler checks
// (check_concat_into.cmake shows a mismatch does not compile). SitesTest counts the
// sites in the sources, so a new one without a test here fails.
#include "p2pnet/internal/assert.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/internal/channel_test_access.h"
#include "p2pnet/internal/connection_test_access.h"
#include "pair.h"

namespace p2pnet {
namespace {

using testing::Bytes;
using testing::Pair;
using Holders = std::vector<std::string_view>;

// The build this binary was linked for (tests/engine/CMakeLists.txt sets it).
TEST(AssertionsTest, TheBinaryRunsTheBuildItWasMadeFor) {
  EXPECT_EQ(internal::assertions_abort(), P2PNET_EXPECT_ASSERTIONS_ABORT != 0);
}

class AssertSiteTest : public ::testing::Test {
 protected:
  Identity client_id_ = testing::identity_from_byte(1);
  Identity server_id_ = testing::identity_from_byte(2);
  ClientConfig client_config() {
    ClientConfig c;
    c.identity = &client_id_;
    c.expected_server = server_id_.public_key();
    return c;
  }
  ServerConfig server_config() {
    ServerConfig s;
    s.identity = &server_id_;
    return s;
  }

  // trip breaks nothing itself: it runs the call that reaches the broken invariant.
  // With assertions on it must abort; with them off, |connection| must have failed
  // closed with |expected| (kInternalError, unless the site is the Error message of
  // an earlier failure), whatever it was doing.
  static void expect_abort_or_fail_closed(Connection& connection, const std::function<void()>& trip,
                                          Error expected = Error::kInternalError) {
    if (internal::assertions_abort()) {
#if GTEST_HAS_DEATH_TEST && !defined(_WIN32)
      EXPECT_EXIT(trip(), ::testing::KilledBySignal(SIGABRT), "");  // assert.cc's abort
#else
      GTEST_SKIP() << "death tests are not run on this platform";
#endif
      return;
    }
    trip();
    EXPECT_EQ(connection.state(), ConnectionState::kFailed);
    EXPECT_EQ(connection.error(), expected);
    EXPECT_EQ(ConnectionTestAccess::key_holders(connection), Holders{});
    EXPECT_TRUE(connection.session_key().empty());
    EXPECT_NE(connection.send(Bytes{1}), Error::kNone);
    EXPECT_EQ(connection.handle_bytes(Bytes(64, 0x00), Instant{0}).error, expected);
    while (const auto event = connection.poll_event()) {
      EXPECT_NE(event->type, EventType::kHandshakeComplete);
      EXPECT_NE(event->type, EventType::kMessage);
    }
  }
};

// --- handshake.cc ----------------------------------------------------------------------

TEST_F(AssertSiteTest, ClientHelloThatDoesNotFit) {
  Connection client = Connection::client(client_config(), Instant{0});
  (void)testing::take_output(client);
  ConnectionTestAccess::leave_no_room_for_output(client);
  expect_abort_or_fail_closed(client, [&] { ConnectionTestAccess::queue_client_hello(client); });
  EXPECT_TRUE(testing::take_output(client).empty());
}

TEST_F(AssertSiteTest, KeyExchangeThatDoesNotFit) {
  Connection client = Connection::client(client_config(), Instant{0});
  Connection server = Connection::server(server_config(), Instant{0});
  testing::Inbox inbox;
  testing::feed(server, testing::take_output(client), Instant{0}, inbox);
  ConnectionTestAccess::leave_no_room_for_output(client);
  const Bytes server_hello = testing::take_output(server);
  // The client draws its ephemeral secret, signs, and then cannot queue the message:
  // the secret must go with the failure.
  expect_abort_or_fail_closed(client,
                              [&] { testing::feed(client, server_hello, Instant{0}, inbox); });
  EXPECT_TRUE(testing::take_output(client).empty());
}

TEST_F(AssertSiteTest, ServerHelloThatDoesNotFit) {
  Connection client = Connection::client(client_config(), Instant{0});
  Connection server = Connection::server(server_config(), Instant{0});
  testing::Inbox inbox;
  ConnectionTestAccess::leave_no_room_for_output(server);
  const Bytes client_hello = testing::take_output(client);
  expect_abort_or_fail_closed(server,
                              [&] { testing::feed(server, client_hello, Instant{0}, inbox); });
  EXPECT_TRUE(testing::take_output(server).empty());
}

TEST_F(AssertSiteTest, AcceptThatDoesNotFit) {
  Connection client = Connection::client(client_config(), Instant{0});
  Connection server = Connection::server(server_config(), Instant{0});
  testing::Inbox client_inbox, server_inbox;
  testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
  testing::feed(client, testing::take_output(server), Instant{0}, client_inbox);
  ConnectionTestAccess::leave_no_room_for_output(server);
  const Bytes key_exchange = testing::take_output(client);
  // The server has derived the keys when the Accept does not fit: they must never
  // reach a channel.
  expect_abort_or_fail_closed(
      server, [&] { testing::feed(server, key_exchange, Instant{0}, server_inbox); });
  EXPECT_EQ(ConnectionTestAccess::channel(server), nullptr);
  EXPECT_FALSE(server_inbox.handshake_complete);
}

TEST_F(AssertSiteTest, ErrorMessageThatDoesNotFit) {
  // Any failure queues an Error message; with no room for it, the handshake has failed
  // all the same, only without telling the peer: the failure's own error stays.
  Connection server = Connection::server(server_config(), Instant{0});
  ConnectionTestAccess::leave_no_room_for_output(server);
  testing::Inbox inbox;
  expect_abort_or_fail_closed(
      server, [&] { testing::feed(server, Bytes{0x42}, Instant{0}, inbox); },
      Error::kMalformedMessage);
  EXPECT_TRUE(testing::take_output(server).empty());
}

// --- channel.cc ------------------------------------------------------------------------
// Each on an established connection, so the check covers the session key too: it
// lives in the channel and goes at the failure itself, whichever call failed.

class ChannelAssertSiteTest : public AssertSiteTest {
 protected:
  void SetUp() override {
    pair_.drive();
    ASSERT_TRUE(pair_.client.is_established());
    ASSERT_EQ(ConnectionTestAccess::key_holders(pair_.client),
              (Holders{"Channel::session_key_", "Channel::send_key_", "Channel::receive_key_"}));
  }
  Channel& channel() { return *ConnectionTestAccess::channel(pair_.client); }

  const ClientConfig cc_ = client_config();
  const ServerConfig sc_ = server_config();
  Pair pair_{cc_, sc_};
};

TEST_F(ChannelAssertSiteTest, FrameBodyOfTheWrongLength) {
  // A body that is not the length its header announced (none was read: 0 + 16).
  expect_abort_or_fail_closed(pair_.client, [&] {
    EXPECT_EQ(ChannelTestAccess::open_frame(channel(), Bytes(5, 0x00)), Error::kInternalError);
  });
}

TEST_F(ChannelAssertSiteTest, PendingMessageLargerThanItsBuffer) {
  ChannelTestAccess::force_pending_message(channel(), 100);  // nothing was ever received
  expect_abort_or_fail_closed(pair_.client, [&] {
    EXPECT_FALSE(pair_.client.poll_event().has_value());  // no message, no bytes of one
  });
}

TEST_F(ChannelAssertSiteTest, SendQueueThatEndsPastItsBuffer) {
  ChannelTestAccess::end_send_queue_past_its_buffer(channel());
  expect_abort_or_fail_closed(pair_.client, [&] {
    EXPECT_EQ(pair_.client.send(Bytes{1, 2, 3}), Error::kInternalError);
  });
  if (!internal::assertions_abort()) {
    EXPECT_EQ(pair_.client.pending_transmit(), 0u);
    EXPECT_TRUE(testing::take_output(pair_.client).empty());
  }
}

// --- Every site has a test above -------------------------------------------------------

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(P2PNET_ENGINE_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in.good()) << relative;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count_sites(const std::string& text) {
  std::size_t count = 0;
  for (std::size_t at = text.find("P2PNET_ASSERT("); at != std::string::npos;
       at = text.find("P2PNET_ASSERT(", at + 1)) {
    ++count;
  }
  return count;
}

TEST(SitesTest, EverySiteInTheseFilesHasATestHere) {
  // Update both the map and the tests above when a site is added or removed.
  const std::map<std::string, std::size_t> expected = {
      {"handshake.cc", 5},  {"channel.cc", 3},        {"key_schedule.cc", 0},
      {"connection.cc", 0}, {"connection_log.cc", 0},
  };
  for (const auto& [file, sites] : expected) {
    EXPECT_EQ(count_sites(read_source(file)), sites) << file;
  }
}

}  // namespace
}  // namespace p2pnet
