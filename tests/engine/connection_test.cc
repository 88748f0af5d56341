// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/connection.h"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "p2pnet/internal/connection_test_access.h"
#include "pair.h"

namespace p2pnet {
namespace {

using testing::Bytes;
using testing::Inbox;
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
  // server_failed_with_its_accept_queued: a server whose channel failed
  // (kFrameAuthFailed) on a bad frame that came in the same input as the client's
  // KeyExchange, so the call that queued its Accept also failed it.
  Connection server_failed_with_its_accept_queued() {
    Connection client = Connection::client(client_config(), Instant{0});
    Connection server = Connection::server(server_config(), Instant{0});
    testing::Inbox client_inbox, server_inbox;
    testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
    testing::feed(client, testing::take_output(server), Instant{0}, client_inbox);
    Bytes exchange_and_junk = testing::take_output(client);
    exchange_and_junk.resize(exchange_and_junk.size() + kFrameOverhead + 3, 0x00);
    exchange_and_junk[kKeyExchangeSize + 3] = 3;  // a frame header, then a bad tag
    EXPECT_EQ(testing::feed(server, exchange_and_junk, Instant{0}, server_inbox),
              Error::kFrameAuthFailed);
    return server;
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
  using Access = ConnectionTestAccess;
  EXPECT_TRUE(std::ranges::equal(Access::key_c2s(pair.client), Access::key_c2s(pair.server)));
  EXPECT_TRUE(std::ranges::equal(Access::key_s2c(pair.client), Access::key_s2c(pair.server)));
  EXPECT_FALSE(std::ranges::equal(Access::key_c2s(pair.client), Access::key_s2c(pair.client)));

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

TEST_F(ConnectionTest, SameSeedGivesAByteIdenticalTranscript) {
  auto run = [this](std::uint64_t client_seed, std::uint64_t server_seed) {
    client_random = DeterministicRandom(client_seed);
    server_random = DeterministicRandom(server_seed);
    const ClientConfig cc = client_config();
    const ServerConfig sc = server_config();
    Pair pair(cc, sc);
    pair.drive();
    EXPECT_EQ(pair.client.send(Bytes{1, 2, 3}), Error::kNone);
    pair.drive();
    return std::pair(pair.client_sent, pair.server_sent);
  };
  const auto first = run(1, 2);
  EXPECT_EQ(first, run(1, 2));
  EXPECT_NE(first.second, run(1, 3).second);  // another challenge and server key
  EXPECT_NE(first.first, run(4, 2).first);    // another client ephemeral key
}

// Records a whole session once, then replays each side's recorded input to a fresh
// engine with the same seed, split in two at every byte, and in pieces of every size.
// The deterministic engine regenerates the same challenge and ephemeral keys, so the
// recorded signatures stay valid, and every split must give the same outcome.
TEST_F(ConnectionTest, EverySplitPointGivesTheSameResult) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_EQ(pair.server.send(Bytes{'s', '1'}), Error::kNone);
  ASSERT_EQ(pair.client.send(Bytes{'c', '1'}), Error::kNone);
  ASSERT_EQ(pair.client.send(Bytes(300, 'c')), Error::kNone);
  ASSERT_EQ(pair.client.close(), Error::kNone);
  ASSERT_EQ(pair.server.close(), Error::kNone);
  pair.drive();
  ASSERT_TRUE(pair.server_inbox.peer_closed && pair.client_inbox.peer_closed);
  ASSERT_EQ(pair.client_inbox.session_key.size(), kKeySize);
  ASSERT_EQ(pair.client_inbox.session_key, pair.server_inbox.session_key);

  struct Run {
    Connection conn;
    testing::Inbox inbox;
    Bytes sent;
  };
  auto replay = [&](Role role, const Bytes& input, std::vector<std::size_t> cuts) {
    client_random = DeterministicRandom(1);
    server_random = DeterministicRandom(2);
    const ClientConfig ccfg = client_config();
    const ServerConfig scfg = server_config();
    Run run{role == Role::kClient ? Connection::client(ccfg, Instant{0})
                                  : Connection::server(scfg, Instant{0}),
            {},
            {}};
    cuts.push_back(input.size());
    std::size_t offset = 0;
    for (std::size_t cut : cuts) {
      const Bytes piece(input.begin() + static_cast<std::ptrdiff_t>(offset),
                        input.begin() + static_cast<std::ptrdiff_t>(cut));
      offset = cut;
      EXPECT_EQ(testing::feed(run.conn, piece, Instant{0}, run.inbox), Error::kNone);
      const Bytes out = testing::take_output(run.conn);
      run.sent.insert(run.sent.end(), out.begin(), out.end());
    }
    return run;
  };
  for (const Role role : {Role::kServer, Role::kClient}) {
    const Bytes& input = role == Role::kServer ? pair.client_sent : pair.server_sent;
    const testing::Inbox& expected = role == Role::kServer ? pair.server_inbox : pair.client_inbox;
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
      Run run = replay(role, input, {cut});
      ASSERT_TRUE(run.conn.is_established()) << "cut " << cut;
      EXPECT_EQ(run.inbox.messages, expected.messages) << "cut " << cut;
      EXPECT_TRUE(run.inbox.peer_closed) << "cut " << cut;
      EXPECT_EQ(run.inbox.session_key, pair.client_inbox.session_key) << "cut " << cut;
    }
  }
}

TEST_F(ConnectionTest, FramesInTheSameBufferAsAcceptReachTheChannel) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Connection client = Connection::client(cc, Instant{0});
  Connection server = Connection::server(sc, Instant{0});
  testing::Inbox client_inbox, server_inbox;
  testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
  testing::feed(client, testing::take_output(server), Instant{0}, client_inbox);
  testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
  ASSERT_TRUE(server.is_established());
  ASSERT_EQ(server.send(Bytes{'a'}), Error::kNone);
  ASSERT_EQ(server.send(Bytes{'b'}), Error::kNone);
  const Bytes accept_and_frames = testing::take_output(server);
  EXPECT_EQ(accept_and_frames.size(), kAcceptSize + 2 * (1 + kFrameOverhead));
  EXPECT_EQ(testing::feed(client, accept_and_frames, Instant{0}, client_inbox), Error::kNone);
  EXPECT_TRUE(client_inbox.handshake_complete);
  EXPECT_EQ(client_inbox.messages, (std::vector<Bytes>{{'a'}, {'b'}}));
}

// peek_transmit/consume_transmit give the bytes poll_transmit would, in place: the
// Accept first, then the frames sealed after it, across the two buffers they sit in.
TEST_F(ConnectionTest, PeekAndConsumeGiveWhatPollTransmitWould) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Connection client = Connection::client(cc, Instant{0});
  Connection server = Connection::server(sc, Instant{0});
  testing::Inbox client_inbox, server_inbox;
  EXPECT_TRUE(server.peek_transmit().empty());
  const ByteSpan hello = client.peek_transmit();
  ASSERT_EQ(hello.size(), client.pending_transmit());
  testing::feed(server, Bytes(hello.begin(), hello.end()), Instant{0}, server_inbox);
  client.consume_transmit(hello.size() + 100);  // more than there is: all of it
  EXPECT_EQ(client.pending_transmit(), 0u);
  testing::feed(client, testing::take_output(server), Instant{0}, client_inbox);
  testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
  ASSERT_TRUE(server.is_established());
  ASSERT_EQ(server.send(Bytes(700, 'a')), Error::kNone);
  ASSERT_EQ(server.send(Bytes{'b'}), Error::kNone);
  const std::size_t pending = server.pending_transmit();
  Bytes peeked;
  // Take a few bytes at a time, as a socket that accepts partial writes would.
  while (!server.peek_transmit().empty()) {
    const ByteSpan next = server.peek_transmit();
    const std::size_t n = std::min<std::size_t>(next.size(), 37);
    peeked.insert(peeked.end(), next.begin(), next.begin() + static_cast<std::ptrdiff_t>(n));
    server.consume_transmit(n);
  }
  EXPECT_EQ(peeked.size(), pending);
  EXPECT_EQ(server.pending_transmit(), 0u);
  EXPECT_EQ(testing::feed(client, peeked, Instant{0}, client_inbox), Error::kNone);
  EXPECT_EQ(client_inbox.messages, (std::vector<Bytes>{Bytes(700, 'a'), Bytes{'b'}}));
}

// A failed channel shows nothing to peek either, and consuming changes nothing.
TEST_F(ConnectionTest, PeekTransmitIsEmptyAfterTheChannelFails) {
  Connection server = server_failed_with_its_accept_queued();
  EXPECT_TRUE(server.peek_transmit().empty());
  server.consume_transmit(10);
  EXPECT_EQ(server.pending_transmit(), 0u);
}

// A server whose channel fails on bytes that came with the KeyExchange must not send
// the Accept queued by the same call: the client would be established with a dead peer.
TEST_F(ConnectionTest, AcceptIsNotSentWhenTheChannelFailsInTheSameInput) {
  Connection server = server_failed_with_its_accept_queued();
  EXPECT_EQ(server.pending_transmit(), 0u);
  EXPECT_TRUE(testing::take_output(server).empty());
}

// Every key of a failed or closed connection is wiped: the session key too, since
// with the public transcript it gives both traffic keys again. A direction's traffic
// key goes as soon as that direction is done; the session key when both are, or at
// the first failure. ConnectionTestAccess looks at the memory itself, not at what the
// accessors choose to report.
TEST_F(ConnectionTest, FailedOrClosedConnectionHoldsNoKey) {
  using Holders = std::vector<std::string_view>;
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  {  // A channel failure: a frame that does not authenticate.
    Pair pair(cc, sc);
    pair.drive();
    ASSERT_TRUE(pair.client.is_established());
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.client),
              (Holders{"Channel::session_key_", "Channel::send_key_", "Channel::receive_key_"}));
    Bytes junk(kFrameOverhead + 3, 0x00);
    junk[3] = 3;
    EXPECT_EQ(testing::feed(pair.client, junk, pair.now, pair.client_inbox),
              Error::kFrameAuthFailed);
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.client), Holders{});
    EXPECT_TRUE(pair.client.session_key().empty());
    EXPECT_TRUE(ConnectionTestAccess::key_c2s(pair.client).empty());
    EXPECT_TRUE(ConnectionTestAccess::key_s2c(pair.client).empty());
  }
  {  // close_notify both ways, one direction at a time.
    Pair pair(cc, sc);
    pair.drive();
    ASSERT_EQ(pair.client.close(), Error::kNone);
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.client),
              (Holders{"Channel::session_key_", "Channel::receive_key_"}));
    EXPECT_TRUE(ConnectionTestAccess::key_c2s(pair.client).empty());
    EXPECT_EQ(ConnectionTestAccess::key_s2c(pair.client).size(), kKeySize);
    EXPECT_EQ(pair.client.session_key().size(), kKeySize);
    pair.drive();
    ASSERT_TRUE(pair.server_inbox.peer_closed);
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.server),
              (Holders{"Channel::session_key_", "Channel::send_key_"}));
    EXPECT_TRUE(ConnectionTestAccess::key_c2s(pair.server).empty());
    ASSERT_EQ(pair.server.close(), Error::kNone);
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.server), Holders{});
    EXPECT_TRUE(pair.server.session_key().empty());
    pair.drive();
    ASSERT_TRUE(pair.client_inbox.peer_closed);
    EXPECT_EQ(pair.client.state_name(), "Closed");
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.client), Holders{});
    EXPECT_TRUE(pair.client.session_key().empty());
    EXPECT_TRUE(ConnectionTestAccess::key_s2c(pair.client).empty());
  }
  {  // The stream ends without close_notify (truncated) on an established connection.
    Pair pair(cc, sc);
    pair.drive();
    EXPECT_EQ(pair.server.handle_bytes({}, pair.now).error, Error::kTruncated);
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.server), Holders{});
  }
  {  // A handshake that fails while the client holds its ephemeral secret: a bad Accept.
    Connection client = Connection::client(cc, Instant{0});
    Connection server = Connection::server(sc, Instant{0});
    testing::Inbox client_inbox, server_inbox;
    testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
    testing::feed(client, testing::take_output(server), Instant{0}, client_inbox);
    EXPECT_EQ(ConnectionTestAccess::key_holders(client), Holders{"Handshake::my_eph_"});
    testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
    Bytes accept = testing::take_output(server);
    accept.back() ^= 0x01;  // the last byte of server_sig
    EXPECT_EQ(testing::feed(client, accept, Instant{0}, client_inbox),
              Error::kAuthenticationFailed);
    EXPECT_EQ(ConnectionTestAccess::key_holders(client), Holders{});
  }
  {  // A handshake deadline passing while the client holds its ephemeral secret.
    Connection client = Connection::client(cc, Instant{0});
    Connection server = Connection::server(sc, Instant{0});
    testing::Inbox client_inbox, server_inbox;
    testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
    testing::feed(client, testing::take_output(server), Instant{0}, client_inbox);
    EXPECT_EQ(client.handle_timeout(Instant{0} + kDefaultHandshakeTimeout), Error::kTimeout);
    EXPECT_EQ(ConnectionTestAccess::key_holders(client), Holders{});
  }
}

// --- Hooks that throw ----------------------------------------------------------------
// A log hook or key log that throws (log.h, key_log.h) must never leave a connection
// that later runs on keys it no longer has. The engine catches what a hook throws and
// fails the connection closed (kHookFailed), with the channel built before any hook
// ran, so the keys are wiped with it; nothing escapes to the caller, the completion is
// never reported, and no frame is ever sent or opened. Each hook here throws once, at
// one call site, and is quiet afterwards: a caller that went on after an escaped
// exception would otherwise find a completed handshake without a channel.

enum class HookSite {
  kStarted,   // log hook, "handshake started" (in Connection::client/server)
  kComplete,  // log hook, "handshake complete" (the call that completes it)
  kKeyLog,    // key log line (the same call)
};

std::string_view site_name(HookSite site) {
  switch (site) {
    case HookSite::kStarted: return "Started";
    case HookSite::kComplete: return "Complete";
    case HookSite::kKeyLog: return "KeyLog";
  }
  return "?";
}

struct HookThrew : std::runtime_error {
  HookThrew() : std::runtime_error("hook threw") {}
};

// What one side saw: every event it pulled and every byte it put on the link after its
// hook threw.
struct Observed {
  bool escaped = false;  // an exception came out of a Connection call
  bool completed = false;
  std::vector<Bytes> messages;
  Bytes sent_after_failure;
};

class ThrowingHookTest : public ConnectionTest,
                         public ::testing::WithParamInterface<std::tuple<Role, HookSite>> {
 protected:
  Role hooked_role() const { return std::get<0>(GetParam()); }
  HookSite site() const { return std::get<1>(GetParam()); }

  int thrown_ = 0;
  LogHook log_hook_ = [this](LogLevel level, std::uint64_t, std::string_view) {
    const bool at_site = (level == LogLevel::kDebug && site() == HookSite::kStarted) ||
                         (level == LogLevel::kInfo && site() == HookSite::kComplete);
    if (at_site && thrown_++ == 0) throw HookThrew();
  };
  KeyLogHook key_log_ = [this](std::string_view) {
    if (site() == HookSite::kKeyLog && thrown_++ == 0) throw HookThrew();
  };

  // call runs |f| as an embedder would, catching whatever escapes it.
  template <typename F>
  static void call(Observed& seen, F f) {
    try {
      f();
    } catch (...) {
      seen.escaped = true;
    }
  }
  static void pull_events(Connection& conn, Observed& seen) {
    while (const auto event = conn.poll_event()) {
      if (event->type == EventType::kHandshakeComplete) seen.completed = true;
      if (event->type == EventType::kMessage)
        seen.messages.emplace_back(event->message.begin(), event->message.end());
    }
  }
  // deliver feeds |bytes| to |to| whole (re-offering after each event) and pulls events.
  static void deliver(Connection& to, const Bytes& bytes, Observed& seen) {
    call(seen, [&] {
      ByteSpan rest(bytes);
      for (int i = 0; i < 8 && !rest.empty(); ++i) {
        const ReadResult result = to.handle_bytes(rest, Instant{0});
        pull_events(to, seen);
        if (result.error != Error::kNone) break;
        rest = rest.subspan(result.consumed);
      }
    });
  }
};

TEST_P(ThrowingHookTest, FailsClosedWithNoFrameEver) {
  if (!key_log_available() && site() == HookSite::kKeyLog) GTEST_SKIP() << "no key log built in";
  ClientConfig cc = client_config();
  ServerConfig sc = server_config();
  if (hooked_role() == Role::kClient) {
    cc.log_hook = &log_hook_;
    cc.key_log = &key_log_;
  } else {
    sc.log_hook = &log_hook_;
    sc.key_log = &key_log_;
  }
  Observed hooked_seen, peer_seen;
  Observed& client_seen = hooked_role() == Role::kClient ? hooked_seen : peer_seen;
  Observed& server_seen = hooked_role() == Role::kServer ? hooked_seen : peer_seen;
  std::optional<Connection> client, server;
  call(client_seen, [&] { client.emplace(Connection::client(cc, Instant{0})); });
  call(server_seen, [&] { server.emplace(Connection::server(sc, Instant{0})); });
  ASSERT_FALSE(hooked_seen.escaped) << "the hook's exception left Connection::"
                                    << (hooked_role() == Role::kClient ? "client" : "server");
  ASSERT_TRUE(client && server);
  Connection& hooked = hooked_role() == Role::kClient ? *client : *server;

  // The handshake, message by message; then, as an embedder that saw an error might
  // still do, one more byte in, and a message out, on both sides.
  for (int round = 0; round < 4; ++round) {
    deliver(*server, testing::take_output(*client), server_seen);
    deliver(*client, testing::take_output(*server), client_seen);
  }
  const Bytes message{'h', 'i'};
  for (int round = 0; round < 2; ++round) {
    deliver(hooked, Bytes{0x00}, hooked_seen);
    (void)hooked.send(message);
    const Bytes out = testing::take_output(hooked);
    hooked_seen.sent_after_failure.insert(hooked_seen.sent_after_failure.end(), out.begin(),
                                          out.end());
    Connection& peer = hooked_role() == Role::kClient ? *server : *client;
    if (peer.is_established()) {
      (void)peer.send(message);
      deliver(hooked, testing::take_output(peer), hooked_seen);
    }
  }

  EXPECT_EQ(thrown_, 1);
  EXPECT_FALSE(hooked_seen.escaped);
  EXPECT_EQ(hooked.state(), ConnectionState::kFailed);
  EXPECT_EQ(error_name(hooked.error()), "HookFailed");
  EXPECT_FALSE(hooked_seen.completed) << "a connection whose hook failed reported completion";
  EXPECT_TRUE(hooked_seen.messages.empty());
  EXPECT_TRUE(hooked_seen.sent_after_failure.empty());
  EXPECT_NE(hooked.send(message), Error::kNone);
  EXPECT_TRUE(hooked.session_key().empty());
  EXPECT_EQ(ConnectionTestAccess::key_holders(hooked), std::vector<std::string_view>{});
  // The peer never received a message, and a server whose hook failed never sent
  // its Accept, so its client did not complete either.
  EXPECT_TRUE(peer_seen.messages.empty());
  if (hooked_role() == Role::kServer) {
    EXPECT_FALSE(peer_seen.completed);
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryCallSite, ThrowingHookTest,
    ::testing::Combine(::testing::Values(Role::kClient, Role::kServer),
                       ::testing::Values(HookSite::kStarted, HookSite::kComplete,
                                         HookSite::kKeyLog)),
    [](const ::testing::TestParamInfo<std::tuple<Role, HookSite>>& param) {
      return std::string(std::get<0>(param.param) == Role::kClient ? "Client" : "Server") +
             std::string(site_name(std::get<1>(param.param)));
    });

// The log hook's last call site: the failure itself. The connection has failed
// already, so a hook that throws there changes nothing, and nothing escapes: not from
// the constructor (a refused config), handle_bytes (the handshake or the channel),
// handle_timeout.
TEST_F(ConnectionTest, ALogHookThrowingAtTheFailureChangesNothing) {
  int calls = 0;
  const LogHook throwing = [&calls](LogLevel level, std::uint64_t, std::string_view) {
    ++calls;
    if (level == LogLevel::kWarning || level == LogLevel::kError) throw HookThrew();
  };
  auto escapes = [](auto f) {
    try {
      f();
      return false;
    } catch (...) {
      return true;
    }
  };
  {  // A config the engine refuses: it fails (and logs) inside Connection::client.
    ClientConfig cc = client_config();
    cc.log_hook = &throwing;
    cc.handshake_timeout = Duration::zero();
    std::optional<Connection> client;
    EXPECT_FALSE(escapes([&] { client.emplace(Connection::client(cc, Instant{0})); }));
    ASSERT_TRUE(client.has_value());
    EXPECT_EQ(client->error(), Error::kInvalidArgument);
  }
  {  // A refused peer (kWarning) in handle_bytes.
    ClientConfig cc = client_config();
    cc.log_hook = &throwing;
    cc.expected_server = testing::identity_from_byte(9).public_key();
    const ServerConfig sc = server_config();
    Connection client = Connection::client(cc, Instant{0});
    Connection server = Connection::server(sc, Instant{0});
    testing::Inbox inbox;
    EXPECT_FALSE(escapes([&] {
      testing::feed(server, testing::take_output(client), Instant{0}, inbox);
      testing::feed(client, testing::take_output(server), Instant{0}, inbox);
    }));
    EXPECT_EQ(client.error(), Error::kPeerNotAllowed);
  }
  {  // A channel failure (kError) in handle_bytes, then the same error on every call.
    ClientConfig cc = client_config();
    cc.log_hook = &throwing;
    const ServerConfig sc = server_config();
    Pair pair(cc, sc);
    pair.drive();
    ASSERT_TRUE(pair.client.is_established());
    Bytes junk(kFrameOverhead + 3, 0x00);
    junk[3] = 3;
    EXPECT_FALSE(escapes([&] { (void)pair.client.handle_bytes(junk, pair.now); }));
    EXPECT_EQ(pair.client.error(), Error::kFrameAuthFailed);
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.client), std::vector<std::string_view>{});
  }
  {  // The handshake deadline, in handle_timeout.
    ClientConfig cc = client_config();
    cc.log_hook = &throwing;
    Connection client = Connection::client(cc, Instant{0});
    EXPECT_FALSE(
        escapes([&] { (void)client.handle_timeout(Instant{0} + kDefaultHandshakeTimeout); }));
    EXPECT_EQ(client.error(), Error::kTimeout);
  }
  EXPECT_GE(calls, 4);
}

// A RandomSource is the embedder's code too: one that throws has failed, like one that
// returns false (kRandomFailure), and nothing it throws leaves the engine.
TEST_F(ConnectionTest, ARandomSourceThatThrowsHasFailed) {
  struct ThrowingRandom final : RandomSource {
    bool fill(std::span<std::uint8_t>) override { throw HookThrew(); }
  } throwing;
  ServerConfig sc = server_config();
  sc.random = &throwing;
  Connection client = Connection::client(client_config(), Instant{0});
  Connection server = Connection::server(sc, Instant{0});
  testing::Inbox inbox;
  bool escaped = false;
  try {
    testing::feed(server, testing::take_output(client), Instant{0}, inbox);
  } catch (...) {
    escaped = true;
  }
  EXPECT_FALSE(escaped);
  EXPECT_EQ(server.error(), Error::kRandomFailure);
  EXPECT_EQ(testing::take_output(server), (Bytes{0xFF, 0x06}));
}

// ConnectionState and state_name through a whole session: the handshake's states,
// then the channel's, kClosed once close_notify went both ways.
TEST_F(ConnectionTest, StateIsClosedOnlyWhenBothDirectionsAre) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  EXPECT_EQ(pair.client.state(), ConnectionState::kHandshaking);
  EXPECT_FALSE(pair.client.sent_close() || pair.client.peer_closed());
  pair.drive();
  EXPECT_EQ(pair.client.state(), ConnectionState::kEstablished);
  EXPECT_EQ(pair.client.state_name(), "Open");
  ASSERT_EQ(pair.client.close(), Error::kNone);
  EXPECT_EQ(pair.client.state(), ConnectionState::kEstablished);  // half-closed
  EXPECT_EQ(pair.client.state_name(), "SentClose");
  EXPECT_TRUE(pair.client.is_established());
  pair.drive();
  EXPECT_EQ(pair.server.state(), ConnectionState::kEstablished);
  EXPECT_EQ(pair.server.state_name(), "PeerClosed");
  EXPECT_TRUE(pair.server.peer_closed());
  ASSERT_EQ(pair.server.send(Bytes{1, 2, 3}), Error::kNone);  // still sends
  ASSERT_EQ(pair.server.close(), Error::kNone);
  EXPECT_EQ(pair.server.state(), ConnectionState::kClosed);
  EXPECT_EQ(pair.server.state_name(), "Closed");
  EXPECT_FALSE(pair.server.is_established());
  pair.drive();
  EXPECT_EQ(pair.client.state(), ConnectionState::kClosed);
  EXPECT_TRUE(pair.client.sent_close() && pair.client.peer_closed());
  EXPECT_EQ(pair.client.error(), Error::kNone);
  EXPECT_NE(pair.client.peer_identity(), nullptr);  // who it was stays known
  EXPECT_EQ(pair.client.send(Bytes{1}), Error::kAlreadyClosed);
  EXPECT_EQ(pair.client.state(), ConnectionState::kClosed);
  // A clean end of stream changes nothing; bytes after close_notify fail it.
  EXPECT_EQ(pair.client.handle_bytes({}, pair.now).error, Error::kNone);
  EXPECT_EQ(pair.client.state(), ConnectionState::kClosed);
  EXPECT_EQ(pair.client.handle_bytes(Bytes(kFrameOverhead, 0x00), pair.now).error,
            Error::kDataAfterClose);
  EXPECT_EQ(pair.client.state(), ConnectionState::kFailed);
  EXPECT_EQ(pair.client.state_name(), "Failed");
  EXPECT_FALSE(pair.client.sent_close() || pair.client.peer_closed());
}

TEST_F(ConnectionTest, SendBeforeEstablishedIsMisuse) {
  const ClientConfig cc = client_config();
  Connection client = Connection::client(cc, Instant{0});
  EXPECT_EQ(client.send(Bytes{1}), Error::kWrongState);
  EXPECT_EQ(client.close(), Error::kWrongState);
  EXPECT_EQ(client.peer_identity(), nullptr);
  EXPECT_TRUE(client.session_key().empty());
  EXPECT_EQ(client.state(), ConnectionState::kHandshaking);
  EXPECT_EQ(client.state_name(), "ClientAwaitServerHello");
}

TEST_F(ConnectionTest, HandshakeFailureIsReportedByEveryCall) {
  const ClientConfig cc = client_config();
  Connection client = Connection::client(cc, Instant{0});
  (void)testing::take_output(client);
  EXPECT_EQ(client.handle_bytes(Bytes{0x42}, Instant{0}).error, Error::kMalformedMessage);
  EXPECT_EQ(client.state(), ConnectionState::kFailed);
  EXPECT_EQ(client.send(Bytes{1}), Error::kMalformedMessage);
  EXPECT_EQ(client.close(), Error::kMalformedMessage);
  EXPECT_EQ(client.handle_timeout(Instant{1'000'000}), Error::kMalformedMessage);
  EXPECT_EQ(testing::take_output(client), (Bytes{0xFF, 0x01}));
}

TEST_F(ConnectionTest, TimeoutDrivenThroughThePair) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  ASSERT_EQ(pair.client.poll_timeout(), Instant{10'000});
  pair.advance(Duration{9'999});
  EXPECT_EQ(pair.client.state(), ConnectionState::kHandshaking);
  pair.advance(Duration{1});
  EXPECT_EQ(pair.client.error(), Error::kTimeout);
  EXPECT_EQ(pair.server.error(), Error::kTimeout);
  pair.drive();
  // Each side's Error 0x04 reaches a peer that has already failed: nothing changes.
  EXPECT_EQ(pair.client.error(), Error::kTimeout);
}

TEST_F(ConnectionTest, EstablishedConnectionHasNoDeadlineBetweenFrames) {
  const ClientConfig cc = client_config();
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  EXPECT_EQ(pair.client.poll_timeout(), std::nullopt);
  pair.advance(Duration{3'600'000});
  EXPECT_TRUE(pair.client.is_established());
  EXPECT_EQ(pair.client.state_name(), "Open");
}

// The frame deadline (issue 21 item 2): a frame that has started must be whole within
// ChannelConfig::frame_timeout, measured from its first byte on the caller's clock.
class FrameDeadlineTest : public ConnectionTest {
 protected:
  static constexpr Duration kFrameTimeout{5'000};

  // established: a handshake done at |now_|, and a sealed frame of |size| bytes from
  // the client, not yet delivered.
  void establish(std::size_t size = 100) {
    cc_ = client_config();
    sc_ = server_config();
    sc_.channel.frame_timeout = kFrameTimeout;
    pair_.emplace(cc_, sc_, now_);
    pair_->drive();
    ASSERT_TRUE(pair_->server.is_established());
    ASSERT_EQ(pair_->client.send(Bytes(size, 0xAB)), Error::kNone);
    frame_ = testing::take_output(pair_->client);
    ASSERT_EQ(frame_.size(), size + kFrameOverhead);
  }
  // deliver gives the server frame_[from, to) at |at|.
  Error deliver(std::size_t from, std::size_t to, Instant at) {
    const ByteSpan part = ByteSpan(frame_).subspan(from, to - from);
    return testing::feed(pair_->server, Bytes(part.begin(), part.end()), at, inbox_);
  }

  Instant now_{1'000};
  ClientConfig cc_;
  ServerConfig sc_;
  std::optional<testing::Pair> pair_;
  Bytes frame_;
  testing::Inbox inbox_;
};

TEST_F(FrameDeadlineTest, TheFirstByteOfAFrameStartsTheDeadline) {
  establish();
  Connection& server = pair_->server;
  EXPECT_EQ(server.poll_timeout(), std::nullopt);
  ASSERT_EQ(deliver(0, 1, Instant{2'000}), Error::kNone);
  EXPECT_EQ(server.poll_timeout(), Instant{2'000} + kFrameTimeout);
  // More bytes of the same frame do not move it: trickling buys nothing.
  ASSERT_EQ(deliver(1, 10, Instant{4'000}), Error::kNone);
  EXPECT_EQ(server.poll_timeout(), Instant{2'000} + kFrameTimeout);
  EXPECT_EQ(server.handle_timeout(Instant{6'999}), Error::kNone);
  EXPECT_EQ(server.handle_timeout(Instant{7'000}), Error::kFrameTimeout);
  EXPECT_EQ(server.state(), ConnectionState::kFailed);
  EXPECT_EQ(server.error(), Error::kFrameTimeout);
  EXPECT_EQ(server.poll_timeout(), std::nullopt);
  EXPECT_TRUE(ConnectionTestAccess::key_holders(server).empty());
  // Nothing is sent after the handshake (no Error message), and nothing more taken.
  EXPECT_EQ(server.pending_transmit(), 0u);
  EXPECT_EQ(deliver(10, frame_.size(), Instant{7'001}), Error::kFrameTimeout);
  EXPECT_TRUE(inbox_.messages.empty());
  EXPECT_EQ(server.send(Bytes{1}), Error::kFrameTimeout);
}

TEST_F(FrameDeadlineTest, AFrameFinishedInTimeClearsTheDeadline) {
  establish();
  Connection& server = pair_->server;
  ASSERT_EQ(deliver(0, 3, Instant{2'000}), Error::kNone);
  ASSERT_EQ(deliver(3, frame_.size(), Instant{6'999}), Error::kNone);
  ASSERT_EQ(inbox_.messages.size(), 1u);
  EXPECT_EQ(server.poll_timeout(), std::nullopt);
  EXPECT_EQ(server.handle_timeout(Instant{1'000'000}), Error::kNone);
  EXPECT_TRUE(server.is_established());
}

TEST_F(FrameDeadlineTest, ANewFrameInTheSameInputGetsItsOwnDeadline) {
  establish();
  Connection& server = pair_->server;
  ASSERT_EQ(pair_->client.send(Bytes(50, 0xCD)), Error::kNone);
  const Bytes second = testing::take_output(pair_->client);
  frame_.insert(frame_.end(), second.begin(), second.end());
  const std::size_t first_size = frame_.size() - second.size();
  ASSERT_EQ(deliver(0, 2, Instant{2'000}), Error::kNone);
  // The first frame ends and the second starts in one input at 6 s: 6 s + 5 s.
  ASSERT_EQ(deliver(2, first_size + 7, Instant{6'000}), Error::kNone);
  ASSERT_EQ(inbox_.messages.size(), 1u);
  EXPECT_EQ(server.poll_timeout(), Instant{6'000} + kFrameTimeout);
  EXPECT_EQ(server.handle_timeout(Instant{7'000}), Error::kNone);
  EXPECT_EQ(server.handle_timeout(Instant{11'000}), Error::kFrameTimeout);
}

TEST_F(FrameDeadlineTest, InputAfterTheDeadlineFailsAsTheTimerWould) {
  establish();
  ASSERT_EQ(deliver(0, 1, Instant{2'000}), Error::kNone);
  // The timer never fired (a busy loop): the late rest of the frame is not taken.
  EXPECT_EQ(deliver(1, frame_.size(), Instant{7'000}), Error::kFrameTimeout);
  EXPECT_TRUE(inbox_.messages.empty());
  EXPECT_TRUE(ConnectionTestAccess::key_holders(pair_->server).empty());
}

TEST_F(FrameDeadlineTest, FramesThatArriveWholeNeverSetADeadline) {
  establish();
  Connection& server = pair_->server;
  ASSERT_EQ(deliver(0, frame_.size(), Instant{2'000}), Error::kNone);
  EXPECT_EQ(server.poll_timeout(), std::nullopt);
  ASSERT_EQ(inbox_.messages.size(), 1u);
}

TEST_F(FrameDeadlineTest, DurationMaxMeansNoDeadlineAndZeroIsRefused) {
  ServerConfig sc = server_config();
  sc.channel.frame_timeout = Duration::max();
  const ClientConfig cc = client_config();
  Pair pair(cc, sc, Instant{5});
  pair.drive();
  ASSERT_EQ(pair.client.send(Bytes(10, 1)), Error::kNone);
  const Bytes frame = testing::take_output(pair.client);
  Inbox inbox;
  ASSERT_EQ(testing::feed(pair.server, Bytes(frame.begin(), frame.begin() + 1), Instant{6}, inbox),
            Error::kNone);
  EXPECT_EQ(pair.server.poll_timeout(), Instant::max());  // saturated: never reached
  EXPECT_EQ(pair.server.handle_timeout(Instant{Instant::max().count() - 1}), Error::kNone);

  for (const Duration bad : {Duration{0}, Duration{-1}}) {
    ServerConfig refused = server_config();
    refused.channel.frame_timeout = bad;
    EXPECT_FALSE(channel_config_is_valid(refused.channel));
  }
}

// The same deadline on the client side, through the Pair's clock: the server's frame
// stops half-way and the client gives up at the deadline.
TEST_F(ConnectionTest, ClientFrameDeadlineThroughThePair) {
  ClientConfig cc = client_config();
  cc.channel.frame_timeout = Duration{1'000};
  const ServerConfig sc = server_config();
  Pair pair(cc, sc);
  pair.drive();
  ASSERT_EQ(pair.server.send(Bytes(40, 7)), Error::kNone);
  const Bytes frame = testing::take_output(pair.server);
  Inbox inbox;
  ASSERT_EQ(testing::feed(pair.client, Bytes(frame.begin(), frame.begin() + 30), pair.now, inbox),
            Error::kNone);
  pair.advance(Duration{999});
  EXPECT_TRUE(pair.client.is_established());
  pair.advance(Duration{1});
  EXPECT_EQ(pair.client.error(), Error::kFrameTimeout);
  EXPECT_TRUE(pair.server.is_established());  // the peer is not told; its socket closes
}

}  // namespace
}  // namespace p2pnet
