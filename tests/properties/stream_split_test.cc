// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Splitting and merging: TCP may cut and join the byte streams anywhere. For any
// schedule of chunk sizes and directions, the outcome (states, errors, peers, keys,
// delivered messages) equals that of delivering each side's output whole.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <utility>

#include "session_setup.h"

namespace p2pnet::testing {
namespace {

struct Outcome {
  ConnectionState client_state = ConnectionState::kHandshaking;
  ConnectionState server_state = ConnectionState::kHandshaking;
  Error client_error = Error::kNone;
  Error server_error = Error::kNone;
  std::optional<SessionView> client;
  std::optional<SessionView> server;
  Inbox client_inbox;
  Inbox server_inbox;
};

// A chunk of the schedule: which direction moves (true: client to server) and how many
// bytes at most.
using Chunk = std::pair<bool, std::size_t>;

struct Scenario {
  PairSeeds seeds;
  bool server_refuses_client = false;
  bool client_expects_someone_else = false;
  std::vector<Bytes> client_messages;  // sent as soon as the client is established
  std::vector<Bytes> server_messages;  // sent as soon as the server is established
};

// run_scenario drives the pair; |schedule| empty means "each side's output whole".
Outcome run_scenario(const Scenario& scenario, const std::vector<Chunk>& schedule) {
  PairSetup setup(scenario.seeds);
  if (scenario.server_refuses_client) setup.allowed = std::vector<PublicKey>{};
  if (scenario.client_expects_someone_else) {
    setup.expected_server = identity_from_byte(0xEE).public_key();
    RC_PRE(*setup.expected_server != setup.server_identity.public_key());
  }
  const ClientConfig cc = setup.client_config();
  const ServerConfig sc = setup.server_config();
  Connection client = Connection::client(cc, Instant{0});
  Connection server = Connection::server(sc, Instant{0});
  Outcome out;
  std::array<Bytes, 2> queue;  // [0]: client to server, [1]: server to client
  std::array<bool, 2> sent_messages{false, false};

  const auto pump = [&] {
    for (std::size_t side = 0; side < 2; ++side) {
      Connection& conn = side == 0 ? client : server;
      const auto& messages = side == 0 ? scenario.client_messages : scenario.server_messages;
      if (conn.is_established() && !sent_messages[side]) {
        sent_messages[side] = true;
        for (const Bytes& m : messages) RC_ASSERT(conn.send(m) == Error::kNone);
        RC_ASSERT(conn.close() == Error::kNone);
      }
      const Bytes bytes = take_output(conn);
      queue[side].insert(queue[side].end(), bytes.begin(), bytes.end());
    }
  };

  std::size_t next = 0;
  for (int round = 0; round < 10'000; ++round) {
    pump();
    if (queue[0].empty() && queue[1].empty()) break;
    std::size_t side = queue[0].empty() ? 1 : 0;
    std::size_t count = queue[side].size();
    if (next < schedule.size()) {
      const auto [to_server, size] = schedule[next++];
      const std::size_t wanted = to_server ? 0 : 1;
      if (!queue[wanted].empty()) side = wanted;
      count = std::min(size, queue[side].size());
    }
    const Bytes piece(queue[side].begin(),
                      queue[side].begin() + static_cast<std::ptrdiff_t>(count));
    queue[side].erase(queue[side].begin(),
                      queue[side].begin() + static_cast<std::ptrdiff_t>(count));
    Connection& receiver = side == 0 ? server : client;
    (void)feed(receiver, piece, Instant{0}, side == 0 ? out.server_inbox : out.client_inbox);
  }
  out.client_state = client.state();
  out.server_state = server.state();
  out.client_error = client.error();
  out.server_error = server.error();
  out.client = view_of(client);
  out.server = view_of(server);
  return out;
}

void assert_same_view(const std::optional<SessionView>& a, const std::optional<SessionView>& b) {
  RC_ASSERT(a.has_value() == b.has_value());
  if (!a) return;
  RC_ASSERT(a->peer == b->peer);
  RC_ASSERT(same_keys(*a, *b));
}

RC_GTEST_PROP(StreamSplitting, AnySplitOrMergeGivesTheSameOutcome, ()) {
  Scenario scenario;
  scenario.seeds = *gen_pair_seeds();
  // Mostly successful handshakes, sometimes one that must fail the same way.
  scenario.server_refuses_client = *rc::gen::weightedElement<bool>({{9, false}, {1, true}});
  scenario.client_expects_someone_else = *rc::gen::weightedElement<bool>({{9, false}, {1, true}});
  const auto message =
      rc::gen::nonEmpty(rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>()));
  scenario.client_messages = *rc::gen::resize(20, rc::gen::container<std::vector<Bytes>>(message));
  scenario.server_messages = *rc::gen::resize(20, rc::gen::container<std::vector<Bytes>>(message));
  const auto schedule = *rc::gen::container<std::vector<Chunk>>(
      rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange<std::size_t>(1, 140)));

  const Outcome whole = run_scenario(scenario, {});
  const Outcome split = run_scenario(scenario, schedule);
  // Both sides close after their messages, so a session that worked ends kClosed.
  RC_TAG(whole.client_state == ConnectionState::kClosed ? "closed" : "refused");

  RC_ASSERT(split.client_state == whole.client_state);
  RC_ASSERT(split.server_state == whole.server_state);
  RC_ASSERT(split.client_error == whole.client_error);
  RC_ASSERT(split.server_error == whole.server_error);
  assert_same_view(split.client, whole.client);
  assert_same_view(split.server, whole.server);
  RC_ASSERT(split.client_inbox.messages == whole.client_inbox.messages);
  RC_ASSERT(split.server_inbox.messages == whole.server_inbox.messages);
  RC_ASSERT(split.client_inbox.peer_closed == whole.client_inbox.peer_closed);
  RC_ASSERT(split.server_inbox.peer_closed == whole.server_inbox.peer_closed);
  // The whole-message run is itself right: what was sent is what arrived.
  if (whole.client_state == ConnectionState::kClosed) {
    RC_ASSERT(whole.server_state == ConnectionState::kClosed);
    RC_ASSERT(whole.server_inbox.messages == scenario.client_messages);
    RC_ASSERT(whole.client_inbox.messages == scenario.server_messages);
    RC_ASSERT(whole.client_inbox.peer_closed && whole.server_inbox.peer_closed);
  } else {
    RC_ASSERT(whole.client_state == ConnectionState::kFailed);
    RC_ASSERT(whole.server_state == ConnectionState::kFailed);
  }
}

}  // namespace
}  // namespace p2pnet::testing
