// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Tampering with one handshake message: a single bit flip, a truncation, an extension,
// a reordering or a duplication, of any of the four messages. Safety: no side reports
// a session with a wrong peer or keys other than the honest run's. Precision: each
// side ends established or with exactly the error protocol-v1 prescribes; the oracle
// below derives that error from the protocol text, case by case (it does not ask the
// engine). Randomness is deterministic, so an honest run with the same seeds yields
// the very messages the tampered run would have sent; reordering uses that.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sodium.h>

#include <array>

#include "hex.h"
#include "p2pnet/internal/channel.h"
#include "session_setup.h"

namespace p2pnet::testing {
namespace {

enum class Mutation : std::uint8_t { kBitFlip, kTruncate, kExtend, kReorder, kDuplicate };

struct Attack {
  bool client_to_server = true;  // which stream is tampered with
  std::size_t index = 0;  // 0: first message of that stream (CH or SH), 1: second (KE or Accept)
  Mutation mutation = Mutation::kBitFlip;
  std::size_t position = 0;  // bit flip: byte; truncate: bytes kept
  std::uint8_t bit = 0;
  Bytes extra;  // extend: appended bytes
};

void showValue(const Attack& a, std::ostream& os) {
  static constexpr std::array kNames{"bit flip", "truncate", "extend", "reorder", "duplicate"};
  os << "{" << (a.client_to_server ? "client->server" : "server->client") << " message #" << a.index
     << ", " << kNames[static_cast<std::size_t>(a.mutation)] << ", position=" << a.position
     << ", bit=" << int{a.bit} << ", extra=" << to_hex(a.extra) << "}";
}

struct Config {
  bool client_expects_server = true;
  bool server_has_allow_list = false;
};

// The honest run: messages per stream and the session each side accepted.
struct Reference {
  std::array<std::vector<Bytes>, 2> messages;  // [0]: client's, [1]: server's
  SessionView client;
  SessionView server;
};

void apply_config(PairSetup& setup, const Config& config) {
  if (!config.client_expects_server) setup.expected_server.reset();
  if (config.server_has_allow_list) setup.allowed = {setup.client_identity.public_key()};
}

Reference honest_run(const PairSeeds& seeds, const Config& config) {
  PairSetup setup(seeds);
  apply_config(setup, config);
  const ClientConfig cc = setup.client_config();
  const ServerConfig sc = setup.server_config();
  Pair pair(cc, sc);
  pair.drive();
  RC_ASSERT(pair.client.is_established());
  RC_ASSERT(pair.server.is_established());
  Reference ref;
  ref.messages[0] = split_messages(pair.client_sent, 2);
  ref.messages[1] = split_messages(pair.server_sent, 2);
  RC_ASSERT(ref.messages[0].size() == 2u);
  RC_ASSERT(ref.messages[1].size() == 2u);
  ref.client = *view_of(pair.client);
  ref.server = *view_of(pair.server);
  return ref;
}

Bytes mutate(const Attack& a, const Bytes& message, const Reference& ref) {
  Bytes out = message;
  switch (a.mutation) {
    case Mutation::kBitFlip: out[a.position] ^= static_cast<std::uint8_t>(1u << a.bit); break;
    case Mutation::kTruncate: out.resize(a.position); break;
    case Mutation::kExtend: out.insert(out.end(), a.extra.begin(), a.extra.end()); break;
    case Mutation::kReorder: {  // the sender's next message overtakes this one
      out = ref.messages[a.client_to_server ? 0 : 1][a.index + 1];
      out.insert(out.end(), message.begin(), message.end());
      break;
    }
    case Mutation::kDuplicate: out.insert(out.end(), message.begin(), message.end()); break;
  }
  return out;
}

struct Result {
  std::optional<SessionView> client;  // what each side accepted, when it did
  std::optional<SessionView> server;
  Error client_error = Error::kNone;
  Error server_error = Error::kNone;
};

Result attacked_run(const PairSeeds& seeds, const Config& config, const Attack& attack,
                    const Reference& ref) {
  PairSetup setup(seeds);
  apply_config(setup, config);
  const ClientConfig cc = setup.client_config();
  const ServerConfig sc = setup.server_config();
  Connection client = Connection::client(cc, Instant{0});
  Connection server = Connection::server(sc, Instant{0});
  Inbox client_inbox;
  Inbox server_inbox;
  Result result;
  std::array<std::size_t, 2> sent{0, 0};  // messages seen per stream
  bool tampered = false;

  // intercept passes a stream's new bytes, tampering with the chosen message once.
  const auto intercept = [&](std::size_t stream, const Bytes& bytes) {
    Bytes out;
    for (const Bytes& message : split_messages(bytes, 8)) {
      const bool target = !tampered && stream == (attack.client_to_server ? 0u : 1u) &&
                          sent[stream] == attack.index;
      ++sent[stream];
      if (target) {
        RC_ASSERT(message == ref.messages[stream][attack.index]);  // determinism
        tampered = true;
        const Bytes bad = mutate(attack, message, ref);
        out.insert(out.end(), bad.begin(), bad.end());
      } else {
        out.insert(out.end(), message.begin(), message.end());
      }
    }
    return out;
  };
  const auto snapshot = [&] {
    if (!result.client) result.client = view_of(client);
    if (!result.server) result.server = view_of(server);
  };
  Instant now{0};
  const auto exchange = [&] {
    const Bytes to_server = intercept(0, take_output(client));
    const Bytes to_client = intercept(1, take_output(server));
    if (!to_server.empty()) (void)feed(server, to_server, now, server_inbox);
    snapshot();
    if (!to_client.empty()) (void)feed(client, to_client, now, client_inbox);
    snapshot();
    return !to_server.empty() || !to_client.empty();
  };
  for (int round = 0; round < 16 && exchange(); ++round) {
  }
  // Whatever still waits times out at the deadline; the Error messages then cross.
  now = Instant{0} + kDefaultHandshakeTimeout;
  (void)client.handle_timeout(now);
  (void)server.handle_timeout(now);
  (void)exchange();
  RC_ASSERT(tampered);
  result.client_error = client.error();
  result.server_error = server.error();
  return result;
}

// --- The oracle: what protocol-v1 prescribes for each tampering ----------------------

// Expected outcome per side: kNone means "established with the honest keys".
struct Expected {
  Error client = Error::kNone;
  Error server = Error::kNone;
};

// peer_abort_for: what a side reports on receiving the Error message its peer sends
// for |error|; kTimeout when no Error message is sent (the side waits, then times out).
Error peer_abort_for(Error error) {
  switch (error) {
    case Error::kMalformedMessage: return Error::kPeerAbortMalformed;
    case Error::kAuthenticationFailed: return Error::kPeerAbortAuthenticationFailed;
    case Error::kPeerNotAllowed: return Error::kPeerAbortNotAccepted;
    case Error::kTimeout: return Error::kPeerAbortTimeout;
    default: return Error::kTimeout;
  }
}

// error_from_code: a received Error message with this code (0x01..0x06).
Error error_from_code(std::uint8_t code) {
  switch (code) {
    case 0x01: return Error::kPeerAbortMalformed;
    case 0x02: return Error::kPeerAbortAuthenticationFailed;
    case 0x03: return Error::kPeerAbortNotAccepted;
    case 0x04: return Error::kPeerAbortTimeout;
    case 0x05: return Error::kPeerAbortReplayedChallenge;
    default: return Error::kPeerAbortInternal;
  }
}

// channel_verdict: an established side whose channel receives |bytes| and nothing more.
Error channel_verdict(const Bytes& bytes) {
  if (bytes.size() < kFrameHeaderSize) return Error::kNone;  // a partial header waits
  const std::size_t length = (std::size_t{bytes[0]} << 24) | (std::size_t{bytes[1]} << 16) |
                             (std::size_t{bytes[2]} << 8) | std::size_t{bytes[3]};
  if (length > kDefaultMaxMessageSize) return Error::kFrameTooLarge;
  if (bytes.size() - kFrameHeaderSize < length + kFrameTagSize) return Error::kNone;  // waits
  return Error::kFrameAuthFailed;  // junk never authenticates
}

Expected oracle(const Attack& a, const Config& config, const Reference& ref) {
  const Bytes& message = ref.messages[a.client_to_server ? 0 : 1][a.index];
  // R receives the tampered stream, S sent it. R is the server for client->server.
  const bool receiver_is_server = a.client_to_server;
  // The second message of either stream (KeyExchange, Accept) is the receiver's last
  // handshake message: R is complete once it has read it. Only Accept leaves its
  // sender complete too; a client that sent KeyExchange still waits for Accept.
  const bool last_for_receiver = a.index == 1;
  const bool sender_complete_after = !a.client_to_server && a.index == 1;
  Expected e;
  Error& r = receiver_is_server ? e.server : e.client;
  Error& s = receiver_is_server ? e.client : e.server;

  // receiver_fails: R fails with |error|; S hears about it unless S is already done.
  // |after_reply| says R had already queued its answer to this message, which S then
  // reads first: an answer that completes S (KeyExchange, read by the server).
  const auto receiver_fails = [&](Error error, bool after_reply) {
    r = error;
    const bool sender_done = sender_complete_after || (after_reply && !receiver_is_server);
    s = sender_done ? Error::kNone : peer_abort_for(error);
  };

  switch (a.mutation) {
    case Mutation::kBitFlip: {
      if (a.position == 0) {  // the type byte: never a valid type in this position
        receiver_fails(Error::kMalformedMessage, false);
        break;
      }
      Bytes flipped = message;
      flipped[a.position] ^= static_cast<std::uint8_t>(1u << a.bit);
      if (message[0] == 0x01) {  // ClientHello: client_id altered
        // An invalid key is not validated early: it fails like any other wrong key.
        if (config.server_has_allow_list) {
          receiver_fails(Error::kPeerNotAllowed, false);
        } else {  // the server goes on; the client's signature then fails under the wrong key
          receiver_fails(Error::kAuthenticationFailed, false);
        }
      } else if (message[0] == 0x02) {  // ServerHello: server_id (1..32) or challenge
        if (a.position <= kPublicKeySize && config.client_expects_server) {
          receiver_fails(Error::kPeerNotAllowed, false);
        } else {  // the client signs the altered value; the server rejects it
          e.server = Error::kAuthenticationFailed;
          e.client = Error::kPeerAbortAuthenticationFailed;
        }
      } else {  // KeyExchange or Accept: ephemeral key or signature altered
        receiver_fails(Error::kAuthenticationFailed, false);
      }
      break;
    }
    case Mutation::kTruncate:
      // R waits for the rest and times out; S times out too unless it is done.
      r = Error::kTimeout;
      s = sender_complete_after ? Error::kNone : Error::kTimeout;
      break;
    case Mutation::kDuplicate:
      if (last_for_receiver) {
        // The copy reaches the channel: its type byte makes a length over the maximum.
        r = Error::kFrameTooLarge;
        // A server whose channel fails in the same input never sends its queued Accept
        // (Connection::poll_transmit), so the client waits and times out. A client
        // that fails on a copied Accept leaves the server complete.
        s = receiver_is_server ? Error::kTimeout : Error::kNone;
      } else {
        receiver_fails(Error::kMalformedMessage, true);  // a second Hello is out of order
      }
      break;
    case Mutation::kReorder:
      receiver_fails(Error::kMalformedMessage, false);  // the later type arrives first
      break;
    case Mutation::kExtend: {
      const Bytes& x = a.extra;
      if (last_for_receiver) {  // R is complete; the extra bytes are channel input
        r = channel_verdict(x);
        // As for a duplicate: a server failing here withholds its Accept.
        s = (receiver_is_server && r != Error::kNone) ? Error::kTimeout : Error::kNone;
        break;
      }
      // R read its Hello and queued its answer; x starts R's next message.
      const std::uint8_t next_type = receiver_is_server ? 0x03 : 0x04;
      if (x[0] == 0xFF && x.size() == 1) {
        // An Error whose code byte is the first byte of S's next message (0x03 from the
        // client's KeyExchange, 0x04 from the server's Accept).
        r = error_from_code(receiver_is_server ? 0x03 : 0x04);
        s = receiver_is_server ? Error::kTimeout : Error::kNone;
      } else if (x[0] == 0xFF) {
        // An Error, with a defined code or not: R ends without replying.
        r = x[1] >= 0x01 && x[1] <= 0x06 ? error_from_code(x[1]) : Error::kPeerAbortUnknownCode;
        s = receiver_is_server ? Error::kTimeout : Error::kNone;
      } else if (x[0] == next_type) {
        // A forged next message (junk, or junk completed by S's genuine bytes).
        receiver_fails(Error::kAuthenticationFailed, true);
      } else {
        receiver_fails(Error::kMalformedMessage, true);
      }
      break;
    }
  }
  return e;
}

rc::Gen<Attack> gen_attack() {
  return rc::gen::mapcat(
      rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange<std::size_t>(0, 2),
                     rc::gen::element(Mutation::kBitFlip, Mutation::kTruncate, Mutation::kExtend,
                                      Mutation::kReorder, Mutation::kDuplicate)),
      [](const std::tuple<bool, std::size_t, Mutation>& t) {
        Attack a;
        std::tie(a.client_to_server, a.index, a.mutation) = t;
        if (a.mutation == Mutation::kReorder) a.index = 0;  // only a first message can be overtaken
        const std::size_t size = a.client_to_server
                                     ? (a.index == 0 ? kWireClientHello : kWireKeyExchange)
                                     : (a.index == 0 ? kWireServerHello : kWireAccept);
        return rc::gen::apply(
            [a](std::size_t position, std::uint8_t bit, std::uint8_t first, Bytes extra) {
              Attack out = a;
              out.position = position;
              out.bit = bit;
              out.extra = std::move(extra);
              out.extra[0] = first;
              return out;
            },
            rc::gen::inRange<std::size_t>(0, size), rc::gen::inRange<std::uint8_t>(0, 8),
            // Extensions that start like a message (the next type, or Error with a
            // real code) reach deeper cases than uniform bytes would.
            rc::gen::weightedOneOf<std::uint8_t>(
                {{4, rc::gen::arbitrary<std::uint8_t>()},
                 {2, rc::gen::element<std::uint8_t>(0x03, 0x04, 0xFF)}}),
            rc::gen::weightedOneOf<Bytes>(
                {{3,
                  rc::gen::nonEmpty(rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>()))},
                 {1, rc::gen::container<Bytes>(1, rc::gen::arbitrary<std::uint8_t>())},
                 {1, rc::gen::map(rc::gen::inRange<std::uint8_t>(0, 8), [](std::uint8_t code) {
                    return Bytes{0xFF, code};
                  })}}));
      });
}

RC_GTEST_PROP(HandshakeTampering, NoWrongSessionAndOnlyTheProtocolsFailure, ()) {
  const PairSeeds seeds = *gen_pair_seeds();
  Config config;
  config.client_expects_server = *rc::gen::arbitrary<bool>();
  config.server_has_allow_list = *rc::gen::arbitrary<bool>();
  const Attack attack = *gen_attack();
  const Reference ref = honest_run(seeds, config);
  const Result result = attacked_run(seeds, config, attack, ref);

  // Safety: whatever a side accepted is exactly the honest session.
  if (result.client) {
    RC_ASSERT(result.client->peer == ref.client.peer);
    RC_ASSERT(same_keys(*result.client, ref.client));
  }
  if (result.server) {
    RC_ASSERT(result.server->peer == ref.server.peer);
    RC_ASSERT(same_keys(*result.server, ref.server));
  }
  // Precision: the failure the protocol defines, or success.
  const Expected expected = oracle(attack, config, ref);
  RC_TAG(error_name(expected.client), error_name(expected.server));
  RC_ASSERT(error_name(result.client_error) == error_name(expected.client));
  RC_ASSERT(error_name(result.server_error) == error_name(expected.server));
  // A side that did not fail was established (none is left half-way).
  if (expected.client == Error::kNone) RC_ASSERT(result.client.has_value());
  if (expected.server == Error::kNone) RC_ASSERT(result.server.has_value());
}

}  // namespace
}  // namespace p2pnet::testing
