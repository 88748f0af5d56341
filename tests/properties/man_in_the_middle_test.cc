// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Man in the middle. Alice (client) and Bob (server) are honest; Mallory holds a
// valid identity of her own, runs her own client (to Bob) and server (for Alice), sees
// every byte, and may relay any endpoint's bytes to any endpoint in any pieces, flip
// bits, splice one stream into another, and inject messages she crafts from every
// value she has seen, signed with her own key. Whatever she does:
//   - if Alice accepts Bob, Bob accepted Alice with the very same keys;
//   - if Bob accepts Alice, Alice signed for exactly that session (Bob's identity,
//     Bob's challenge, Alice's ephemeral key), so Alice's keys, if she finishes, are
//     Bob's: no unknown-key-share (protocol-v1 hardening 1);
//   - either accepts Mallory only when that is the peer it asked for (Alice's expected
//     server, Bob's allow-list), and neither accepts any other identity.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <variant>

#include "hex.h"
#include "session_setup.h"

namespace p2pnet::testing {
namespace {

enum Node : std::uint8_t { kAlice, kBob, kMalloryClient, kMalloryServer, kNodeCount };

struct Relay {  // move up to |bytes| pending bytes of |from|'s output into |to|
  Node from;
  Node to;
  std::size_t bytes;  // 0: everything pending
};
struct FlipBit {  // flip one bit in |of|'s pending output
  Node of;
  std::size_t offset;
  std::uint8_t bit;
};
struct Splice {  // overwrite |into|'s pending bytes with |from|'s history at the same offset
  Node into;
  Node from;
  std::size_t offset;
  std::size_t length;
};
enum class Crafted : std::uint8_t { kClientHello, kServerHello, kKeyExchange, kAccept };
struct Inject {  // a message Mallory builds from seen values (indices wrap the pools)
  Node to;
  Crafted type;
  std::array<std::uint8_t, 6> pick;  // pool indices: ids, challenge, ephemerals, signature source
};
struct Rewrite {  // relay |from|'s next whole message to |to|, its identity field replaced
  Node from;
  Node to;
  std::uint8_t id;  // index into {Alice, Bob, Mallory}
};
struct Converse {  // relay faithfully both ways between two nodes for a few round trips
  Node client;
  Node server;
  std::size_t rounds;
};
struct RenamingConverse {  // Converse, but every Hello passed on names someone else
  Node client;
  Node server;
  std::uint8_t client_as;  // ClientHello's client_id becomes ids[client_as]; 3: kept
  std::uint8_t server_as;  // ServerHello's server_id becomes ids[server_as]; 3: kept
  std::size_t rounds;
};
using Action = std::variant<Relay, FlipBit, Splice, Inject, Converse, Rewrite, RenamingConverse>;

const char* node_name(Node n) {
  static constexpr std::array kNames{"Alice", "Bob", "MalloryClient", "MalloryServer"};
  return kNames[n];
}

void showValue(const Action& action, std::ostream& os) {
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Relay>) {
          os << "Relay " << node_name(a.from) << "->" << node_name(a.to) << " " << a.bytes;
        } else if constexpr (std::is_same_v<T, FlipBit>) {
          os << "FlipBit " << node_name(a.of) << " @" << a.offset << " bit " << int{a.bit};
        } else if constexpr (std::is_same_v<T, Splice>) {
          os << "Splice " << node_name(a.from) << " into " << node_name(a.into) << " @" << a.offset
             << " len " << a.length;
        } else if constexpr (std::is_same_v<T, Rewrite>) {
          os << "Rewrite " << node_name(a.from) << "->" << node_name(a.to) << " id " << int{a.id};
        } else if constexpr (std::is_same_v<T, RenamingConverse>) {
          os << "RenamingConverse " << node_name(a.client) << "<->" << node_name(a.server) << " as "
             << int{a.client_as} << "/" << int{a.server_as} << " x" << a.rounds;
        } else if constexpr (std::is_same_v<T, Converse>) {
          os << "Converse " << node_name(a.client) << "<->" << node_name(a.server) << " x"
             << a.rounds;
        } else {
          os << "Inject type " << int(a.type) << " to " << node_name(a.to) << " picks";
          for (const auto p : a.pick) os << " " << int{p};
        }
      },
      action);
}

rc::Gen<Node> gen_node() { return rc::gen::element(kAlice, kBob, kMalloryClient, kMalloryServer); }

rc::Gen<Action> gen_action() {
  const auto relay = rc::gen::construct<Relay>(
      gen_node(), gen_node(),
      rc::gen::weightedOneOf<std::size_t>(
          {{2, rc::gen::just<std::size_t>(0)}, {1, rc::gen::inRange<std::size_t>(1, 120)}}));
  // Mostly the "natural" routes, so that real sessions form and can be attacked.
  const auto route = rc::gen::map(
      rc::gen::element(std::pair(kAlice, kBob), std::pair(kBob, kAlice),
                       std::pair(kAlice, kMalloryServer), std::pair(kMalloryServer, kAlice),
                       std::pair(kMalloryClient, kBob), std::pair(kBob, kMalloryClient)),
      [](std::pair<Node, Node> p) {
        return Relay{p.first, p.second, 0};
      });
  const auto flip = rc::gen::construct<FlipBit>(gen_node(), rc::gen::inRange<std::size_t>(0, 200),
                                                rc::gen::inRange<std::uint8_t>(0, 8));
  const auto splice =
      rc::gen::construct<Splice>(gen_node(), gen_node(), rc::gen::inRange<std::size_t>(0, 200),
                                 rc::gen::inRange<std::size_t>(1, 98));
  const auto inject =
      rc::gen::construct<Inject>(gen_node(),
                                 rc::gen::element(Crafted::kClientHello, Crafted::kServerHello,
                                                  Crafted::kKeyExchange, Crafted::kAccept),
                                 rc::gen::arbitrary<std::array<std::uint8_t, 6>>());
  const auto converse = rc::gen::map(
      rc::gen::pair(rc::gen::element(std::pair(kAlice, kBob), std::pair(kAlice, kMalloryServer),
                                     std::pair(kMalloryClient, kBob)),
                    rc::gen::inRange<std::size_t>(1, 4)),
      [](std::pair<std::pair<Node, Node>, std::size_t> p) {
        return Converse{p.first.first, p.first.second, p.second};
      });
  const auto rewrite = rc::gen::map(
      rc::gen::pair(
          rc::gen::element(std::pair(kAlice, kBob), std::pair(kBob, kAlice),
                           std::pair(kAlice, kMalloryServer), std::pair(kMalloryServer, kAlice),
                           std::pair(kMalloryClient, kBob), std::pair(kBob, kMalloryClient)),
          rc::gen::inRange<std::uint8_t>(0, 3)),
      [](std::pair<std::pair<Node, Node>, std::uint8_t> p) {
        return Rewrite{p.first.first, p.first.second, p.second};
      });
  const auto renaming = rc::gen::map(
      rc::gen::tuple(rc::gen::element(std::pair(kAlice, kBob), std::pair(kAlice, kMalloryServer),
                                      std::pair(kMalloryClient, kBob)),
                     rc::gen::inRange<std::uint8_t>(0, 4), rc::gen::inRange<std::uint8_t>(0, 4),
                     rc::gen::inRange<std::size_t>(1, 4)),
      [](const std::tuple<std::pair<Node, Node>, std::uint8_t, std::uint8_t, std::size_t>& t) {
        const auto& [ends, client_as, server_as, rounds] = t;
        return RenamingConverse{ends.first, ends.second, client_as, server_as, rounds};
      });
  return rc::gen::weightedOneOf<Action>({
      {3, rc::gen::cast<Action>(converse)},
      {3, rc::gen::cast<Action>(renaming)},
      {3, rc::gen::cast<Action>(rewrite)},
      {6, rc::gen::cast<Action>(route)},
      {2, rc::gen::cast<Action>(relay)},
      {1, rc::gen::cast<Action>(flip)},
      {1, rc::gen::cast<Action>(splice)},
      {2, rc::gen::cast<Action>(inject)},
  });
}

// Whom each honest side asks for.
enum class AliceWants : std::uint8_t { kBob, kMallory, kAnyone };
enum class BobAllows : std::uint8_t { kAnyone, kAlice, kAliceAndMallory, kMallory };

Seed tagged(Seed seed, std::uint8_t tag) {
  seed[0] = tag;  // keeps the three identities distinct whatever is generated
  return seed;
}

class World {
 public:
  World(const Seed& seed, std::uint64_t random_seed, AliceWants wants, BobAllows allows)
      : alice_id_(Identity::from_seed(tagged(seed, 1))),
        bob_id_(Identity::from_seed(tagged(seed, 2))),
        mallory_id_(Identity::from_seed(tagged(seed, 3))),
        randoms_{DeterministicRandom(random_seed), DeterministicRandom(random_seed + 1),
                 DeterministicRandom(random_seed + 2), DeterministicRandom(random_seed + 3)} {
    ClientConfig alice_config;
    alice_config.identity = &alice_id_;
    alice_config.random = &randoms_[kAlice];
    if (wants == AliceWants::kBob) alice_config.expected_server = bob();
    if (wants == AliceWants::kMallory) alice_config.expected_server = mallory();
    alice_accepts_mallory = wants != AliceWants::kBob;
    switch (allows) {
      case BobAllows::kAnyone: break;
      case BobAllows::kAlice: allowed_ = {alice()}; break;
      case BobAllows::kAliceAndMallory: allowed_ = {alice(), mallory()}; break;
      case BobAllows::kMallory: allowed_ = {mallory()}; break;
    }
    bob_accepts_mallory = allows != BobAllows::kAlice;
    ServerConfig bob_config;
    bob_config.identity = &bob_id_;
    bob_config.random = &randoms_[kBob];
    if (allows != BobAllows::kAnyone)
      bob_config.allowed_clients = std::span<const PublicKey>(allowed_);
    ClientConfig mallory_client;
    mallory_client.identity = &mallory_id_;
    mallory_client.random = &randoms_[kMalloryClient];
    ServerConfig mallory_server;
    mallory_server.identity = &mallory_id_;
    mallory_server.random = &randoms_[kMalloryServer];
    conns_.push_back(Connection::client(alice_config, Instant{0}));
    conns_.push_back(Connection::server(bob_config, Instant{0}));
    conns_.push_back(Connection::client(mallory_client, Instant{0}));
    conns_.push_back(Connection::server(mallory_server, Instant{0}));
    collect();
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  PublicKey alice() const { return alice_id_.public_key(); }
  PublicKey bob() const { return bob_id_.public_key(); }
  PublicKey mallory() const { return mallory_id_.public_key(); }

  void act(const Action& action) {
    std::visit([&](const auto& a) { do_act(a); }, action);
    collect();
  }

  bool alice_accepts_mallory = false;
  bool bob_accepts_mallory = false;
  std::optional<SessionView> alice_view;  // what Alice accepted, when she did
  std::optional<SessionView> bob_view;
  std::array<Bytes, kNodeCount> history;  // every byte each node sent
  Bytes alice_input;                      // every byte delivered to Alice

 private:
  void deliver(Node to, const Bytes& bytes) {
    if (bytes.empty()) return;
    if (to == kAlice) alice_input.insert(alice_input.end(), bytes.begin(), bytes.end());
    (void)feed(conns_[to], bytes, Instant{0}, inboxes_[to]);
  }

  void do_act(const Relay& r) {
    Bytes& q = pending_[r.from];
    const std::size_t n = r.bytes == 0 ? q.size() : std::min(r.bytes, q.size());
    const Bytes piece(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n));
    q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n));
    deliver(r.to, piece);
  }
  void do_act(const FlipBit& f) {
    Bytes& q = pending_[f.of];
    if (q.empty()) return;
    q[f.offset % q.size()] ^= static_cast<std::uint8_t>(1u << f.bit);
  }
  void do_act(const Splice& s) {
    Bytes& q = pending_[s.into];
    const Bytes& source = history[s.from];
    for (std::size_t i = s.offset; i < s.offset + s.length && i < q.size() && i < source.size();
         ++i) {
      q[i] = source[i];
    }
  }
  void do_act(const Inject& inj) { deliver(inj.to, craft(inj)); }
  void do_act(const Rewrite& r) {
    // The classic relay attack: pass a Hello on with another name in it, and a
    // KeyExchange or Accept with Mallory's signature over what she claims.
    Bytes& q = pending_[r.from];
    if (q.empty()) return;
    const std::size_t size = wire_size_of(q[0]);
    if (size == 0 || q.size() < size) return;
    Bytes m(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(size));
    q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(size));
    const std::array ids{alice(), bob(), mallory()};
    const PublicKey& id = ids[r.id];
    if (m[0] == 0x01 || m[0] == 0x02) std::copy(id.bytes.begin(), id.bytes.end(), m.begin() + 1);
    deliver(r.to, m);
  }
  void do_act(const RenamingConverse& c) {
    const std::array ids{alice(), bob(), mallory()};
    const auto pass = [&](Node from, Node to, std::uint8_t as) {
      Bytes out;
      for (Bytes m : split_messages(pending_[from], 8)) {
        if (as < ids.size() && (m[0] == 0x01 || m[0] == 0x02) && m.size() >= 1 + kPublicKeySize) {
          std::copy(ids[as].bytes.begin(), ids[as].bytes.end(), m.begin() + 1);
        }
        out.insert(out.end(), m.begin(), m.end());
      }
      pending_[from].clear();
      deliver(to, out);
      collect();
    };
    for (std::size_t i = 0; i < c.rounds; ++i) {
      pass(c.client, c.server, c.client_as);
      pass(c.server, c.client, c.server_as);
    }
  }
  void do_act(const Converse& c) {
    for (std::size_t i = 0; i < c.rounds; ++i) {
      do_act(Relay{c.client, c.server, 0});
      collect();
      do_act(Relay{c.server, c.client, 0});
      collect();
    }
  }

  // craft builds a message from values seen on the wire and Mallory's own key.
  Bytes craft(const Inject& inj) const {
    std::vector<PublicKey> ids{alice(), bob(), mallory()};
    // Observed values first; the all-zero ones (a low-order X25519 point among them)
    // are appended last.
    std::vector<Challenge> challenges;
    std::vector<EphemeralPublicKey> ephs;
    std::vector<Signature> sigs;
    for (const Bytes& stream : history) {
      for (const Bytes& m : split_messages(stream, 4)) {
        if (m.size() == kWireServerHello && m[0] == 0x02) {
          Challenge c;
          std::copy_n(m.begin() + 33, 32, c.begin());
          challenges.push_back(c);
        } else if ((m[0] == 0x03 || m[0] == 0x04) && m.size() == kWireKeyExchange) {
          EphemeralPublicKey e;
          std::copy_n(m.begin() + 1, 32, e.begin());
          ephs.push_back(e);
          Signature s;
          std::copy_n(m.begin() + 33, 64, s.begin());
          sigs.push_back(s);
        }
      }
    }
    challenges.push_back(Challenge{});
    ephs.push_back(EphemeralPublicKey{});
    sigs.push_back(Signature{});
    const auto& p = inj.pick;
    Transcript t;
    t.client_id = ids[p[0] % ids.size()];
    t.server_id = ids[p[1] % ids.size()];
    t.challenge = challenges[p[2] % challenges.size()];
    t.client_eph = ephs[p[3] % ephs.size()];
    t.server_eph = ephs[p[4] % ephs.size()];
    // Signature: Mallory's own over the chosen transcript, or one replayed from the wire.
    const bool own = p[5] % 2 == 0;
    const Signature replayed = sigs[(p[5] / 2) % sigs.size()];
    Bytes out(kWireAccept);
    ByteWriter w(out);
    bool written = false;
    switch (inj.type) {
      case Crafted::kClientHello: written = write_client_hello(w, ClientHello{t.client_id}); break;
      case Crafted::kServerHello:
        written = write_server_hello(w, ServerHello{t.server_id, t.challenge});
        break;
      case Crafted::kKeyExchange:
        written = write_key_exchange(
            w, KeyExchange{t.client_eph,
                           own ? mallory_id_.sign(client_signed_content(t).span()) : replayed});
        break;
      case Crafted::kAccept:
        written = write_accept(
            w, Accept{t.server_eph,
                      own ? mallory_id_.sign(server_signed_content(t).span()) : replayed});
        break;
    }
    RC_ASSERT(written);
    out.resize(w.written());
    return out;
  }

  void collect() {
    for (std::size_t n = 0; n < kNodeCount; ++n) {
      const Bytes bytes = take_output(conns_[n]);
      pending_[n].insert(pending_[n].end(), bytes.begin(), bytes.end());
      history[n].insert(history[n].end(), bytes.begin(), bytes.end());
    }
    if (!alice_view) alice_view = view_of(conns_[kAlice]);
    if (!bob_view) bob_view = view_of(conns_[kBob]);
  }

  Identity alice_id_;
  Identity bob_id_;
  Identity mallory_id_;
  std::array<DeterministicRandom, kNodeCount> randoms_;
  std::vector<PublicKey> allowed_;
  std::vector<Connection> conns_;
  std::array<Inbox, kNodeCount> inboxes_;
  std::array<Bytes, kNodeCount> pending_;
};

RC_GTEST_PROP(ManInTheMiddle, NeverMakesAnHonestSideAcceptAWrongSession, ()) {
  const Seed seed = *rc::gen::arbitrary<Seed>();
  const auto random_seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto wants = *rc::gen::element(AliceWants::kBob, AliceWants::kMallory, AliceWants::kAnyone);
  const auto allows = *rc::gen::element(BobAllows::kAnyone, BobAllows::kAlice,
                                        BobAllows::kAliceAndMallory, BobAllows::kMallory);
  const auto actions = *rc::gen::container<std::vector<Action>>(gen_action());

  World world(seed, random_seed, wants, allows);
  for (const Action& action : actions) world.act(action);

  const PublicKey alice = world.alice();
  const PublicKey bob = world.bob();
  const PublicKey mallory = world.mallory();
  if (const auto& a = world.alice_view) {
    if (a->peer == bob) {
      RC_TAG("Alice accepted Bob");
      RC_ASSERT(world.bob_view.has_value());
      RC_ASSERT(world.bob_view->peer == alice);
      RC_ASSERT(same_keys(*a, *world.bob_view));
    } else {
      RC_TAG("Alice accepted Mallory");
      RC_ASSERT(a->peer == mallory);
      RC_ASSERT(world.alice_accepts_mallory);
    }
  }
  if (const auto& b = world.bob_view) {
    if (b->peer == alice) {
      RC_TAG("Bob accepted Alice");
      // Alice signed this session: her first message read was a ServerHello naming Bob
      // with Bob's challenge, and she sent a KeyExchange with this ephemeral key.
      const Bytes& in = world.alice_input;
      RC_ASSERT(in.size() >= kWireServerHello);
      RC_ASSERT(std::equal(bob.bytes.begin(), bob.bytes.end(), in.begin() + 1));
      RC_ASSERT(std::equal(b->transcript.challenge.begin(), b->transcript.challenge.end(),
                           in.begin() + 33));
      const auto sent = split_messages(world.history[kAlice], 2);
      RC_ASSERT(sent.size() >= 2u);
      RC_ASSERT(sent[1][0] == 0x03);
      RC_ASSERT(std::equal(b->transcript.client_eph.begin(), b->transcript.client_eph.end(),
                           sent[1].begin() + 1));
    } else {
      RC_TAG("Bob accepted Mallory");
      RC_ASSERT(b->peer == mallory);
      RC_ASSERT(world.bob_accepts_mallory);
    }
  }
}

}  // namespace
}  // namespace p2pnet::testing
