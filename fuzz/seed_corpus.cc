// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// seed_corpus.cc: writes the seed inputs of every fuzz target from real transcripts:
// a real client and a real server Connection (the fixtures' identities, seeds and
// scripted messages) talk, and their bytes become inputs, with the option bytes of
// each target set to reach each configuration. Everything is deterministic, so a
// run gives the same files every time. `scripts/fuzz.sh seed` runs it and minimises
// the result into corpus/<target>/.
//
// Usage: p2pnet_fuzz_seed_corpus OUT_DIR  (creates OUT_DIR/<target>/seed-NNN files)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/internal/aead.h"
#include "p2pnet/internal/channel.h"
#include "p2pnet/internal/channel_test_access.h"
#include "p2pnet/internal/key_schedule.h"
#include "p2pnet/internal/noise/pattern.h"
#include "support/fixtures.h"

namespace p2pnet::fuzz {
namespace {

namespace fs = std::filesystem;

class SeedWriter {
 public:
  explicit SeedWriter(fs::path root) : root_(std::move(root)) {}
  void add(const std::string& target, const Bytes& input) {
    const fs::path dir = root_ / target;
    fs::create_directories(dir);
    char name[32];
    std::snprintf(name, sizeof name, "seed-%03zu", counts_[target]++);
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(input.data()),
               static_cast<std::streamsize>(input.size()));
  }

 private:
  fs::path root_;
  std::map<std::string, std::size_t> counts_;
};

Bytes take(Connection& conn) {
  Bytes out(conn.pending_transmit());
  out.resize(conn.poll_transmit(out));
  return out;
}

void feed_all(Connection& conn, const Bytes& bytes, Instant now) {
  ByteSpan rest(bytes);
  while (!rest.empty()) {
    const ReadResult result = conn.handle_bytes(rest, now);
    while (conn.poll_event()) {
    }
    if (result.error != Error::kNone) return;
    rest = rest.subspan(result.consumed);
  }
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

Bytes flipped(Bytes bytes, std::size_t at) {
  bytes[at] ^= 0x01;
  return bytes;
}

// The public values of a recorded handshake, read back from its messages.
Transcript transcript_of(const Bytes& server_hello, const Bytes& key_exchange) {
  Transcript t;
  t.client_id = client_identity().public_key();
  t.server_id = server_identity().public_key();
  std::copy_n(server_hello.begin() + 33, kChallengeSize, t.challenge.begin());
  std::copy_n(key_exchange.begin() + 1, kX25519KeySize, t.client_eph.begin());
  return t;
}

// A correctly signed message whose ephemeral key is the all-zero (low-order) point:
// only the key derivation can refuse it.
Bytes signed_low_order(MessageType type, const Identity& signer, Transcript t) {
  const bool client = type == MessageType::kKeyExchange;
  if (client)
    t.client_eph = {};
  else
    t.server_eph = {};
  const Signature sig =
      signer.sign(client ? client_signed_content(t).span() : server_signed_content(t).span());
  Bytes out{static_cast<std::uint8_t>(type)};
  out.resize(1 + kX25519KeySize, 0);
  out.insert(out.end(), sig.begin(), sig.end());
  return out;
}

// A real handshake between the fixtures' client and server, with each side's
// random seeded as the single-connection targets seed it, and then |messages|
// scripted messages each way and close_notify from both.
struct Recording {
  Bytes client_hello, key_exchange, client_frames;  // what the client sent
  Bytes server_hello, accept, server_frames;        // what the server sent
};

Recording record(std::size_t messages) {
  DeterministicRandom client_random(kClientRandomSeed);
  DeterministicRandom server_random(kServerRandomSeed);
  ClientConfig cc;
  cc.identity = &client_identity();
  cc.expected_server = server_identity().public_key();
  cc.random = &client_random;
  ServerConfig sc;
  sc.identity = &server_identity();
  sc.random = &server_random;
  Connection client = Connection::client(cc, Instant{0});
  Connection server = Connection::server(sc, Instant{0});
  Recording t;
  t.client_hello = take(client);
  feed_all(server, t.client_hello, Instant{0});
  t.server_hello = take(server);
  feed_all(client, t.server_hello, Instant{0});
  t.key_exchange = take(client);
  feed_all(server, t.key_exchange, Instant{0});
  t.accept = take(server);
  feed_all(client, t.accept, Instant{0});
  if (!client.is_established() || !server.is_established()) {
    std::fprintf(stderr, "seed: the recorded handshake failed\n");
    std::exit(1);
  }
  for (std::size_t i = 0; i < messages; ++i) {
    (void)client.send(scripted_message(i));
    (void)server.send(scripted_message(i));
    const Bytes c = take(client);
    const Bytes s = take(server);
    t.client_frames.insert(t.client_frames.end(), c.begin(), c.end());
    t.server_frames.insert(t.server_frames.end(), s.begin(), s.end());
  }
  (void)client.close();
  (void)server.close();
  const Bytes c = take(client);
  const Bytes s = take(server);
  t.client_frames.insert(t.client_frames.end(), c.begin(), c.end());
  t.server_frames.insert(t.server_frames.end(), s.begin(), s.end());
  return t;
}

Bytes with_header(std::uint8_t options, std::uint8_t chunk, const Bytes& stream) {
  return concat({Bytes{options, chunk}, stream});
}

void seed_wire_codec(SeedWriter& out, const Recording& t) {
  for (const Bytes* message : {&t.client_hello, &t.server_hello, &t.key_exchange, &t.accept}) {
    out.add("wire_codec", *message);
    out.add("wire_codec", Bytes(message->begin(), message->end() - 1));  // one byte short
  }
  for (std::uint8_t code = 0; code <= 7; ++code) out.add("wire_codec", Bytes{0xFF, code});
  out.add("wire_codec", Bytes{0x00});  // not a message type
  out.add("wire_codec", Bytes{0x05, 0x01});
}

void seed_server_connection(SeedWriter& out, const Recording& t) {
  const Bytes handshake = concat({t.client_hello, t.key_exchange});
  const Bytes session = concat({handshake, t.client_frames});
  out.add("server_connection", with_header(0x00, 0, session));
  out.add("server_connection", with_header(0x1C, 7, session));         // close, echo, end of stream
  out.add("server_connection", with_header(0x01, 1, session));         // allow-list: the client
  out.add("server_connection", with_header(0x02, 0, session));         // allow-list: stranger only
  out.add("server_connection", with_header(0x23, 0, session));         // 64-byte limit
  out.add("server_connection", with_header(0x40, 8, session));         // slow: times out
  out.add("server_connection", with_header(0x10, 0, t.client_hello));  // end mid-handshake
  out.add("server_connection", with_header(0x10, 0, handshake));       // end without close_notify
  out.add("server_connection", with_header(0x00, 0, concat({t.client_hello, Bytes{0xFF, 0x02}})));
  out.add("server_connection", with_header(0x00, 0, concat({session, Bytes{0, 0, 0, 1}})));
  out.add("server_connection", with_header(0x00, 0, flipped(session, session.size() - 30)));
  out.add("server_connection",  // KeyExchange with a bad signature
          with_header(0x00, 0, concat({t.client_hello, flipped(t.key_exchange, 60)})));
  out.add("server_connection",
          with_header(0x00, 0,
                      concat({t.client_hello,
                              signed_low_order(MessageType::kKeyExchange, client_identity(),
                                               transcript_of(t.server_hello, t.key_exchange))})));
}

void seed_client_connection(SeedWriter& out, const Recording& t) {
  const Bytes handshake = concat({t.server_hello, t.accept});
  const Bytes session = concat({handshake, t.server_frames});
  out.add("client_connection", with_header(0x00, 0, session));
  out.add("client_connection", with_header(0x18, 5, session));         // echo, end of stream
  out.add("client_connection", with_header(0x01, 0, session));         // any server
  out.add("client_connection", with_header(0x02, 0, session));         // expects the stranger
  out.add("client_connection", with_header(0x04, 0, session));         // replayed challenge
  out.add("client_connection", with_header(0x80, 0, session));         // one-entry cache
  out.add("client_connection", with_header(0x20, 0, session));         // 64-byte limit
  out.add("client_connection", with_header(0x40, 8, session));         // slow: times out
  out.add("client_connection", with_header(0x10, 0, t.server_hello));  // end mid-handshake
  out.add("client_connection", with_header(0x00, 0, concat({t.server_hello, Bytes{0xFF, 0x03}})));
  Bytes bad_accept = t.accept;
  bad_accept.back() ^= 0x01;
  out.add("client_connection", with_header(0x00, 0, concat({t.server_hello, bad_accept})));
  out.add("client_connection", with_header(0x00, 0, flipped(session, session.size() - 30)));
  out.add("client_connection",
          with_header(0x00, 0,
                      concat({t.server_hello,
                              signed_low_order(MessageType::kAccept, server_identity(),
                                               transcript_of(t.server_hello, t.key_exchange))})));
}

// Frames a sender channel of |sender_role| seals with the fixtures' keys.
Bytes sealed_frames(Role sender_role, std::size_t messages, bool near_limit, bool close) {
  Channel sender(sender_role, channel_key_c2s(), channel_key_s2c(), ChannelConfig{});
  if (near_limit) ChannelTestAccess::set_send_counter(sender, kFrameCounterLimit - 2);
  for (std::size_t i = 0; i < messages; ++i) (void)sender.send(scripted_message(i));
  if (close) (void)sender.close();
  Bytes out(sender.pending_transmit());
  out.resize(sender.poll_transmit(out));
  return out;
}

void seed_channel_frames(SeedWriter& out) {
  for (const Role receiver : {Role::kServer, Role::kClient}) {
    const Role sender = receiver == Role::kClient ? Role::kServer : Role::kClient;
    const auto opts = [&](unsigned bits) {
      return static_cast<std::uint8_t>((receiver == Role::kClient ? 1u : 0u) | bits);
    };
    const Bytes frames = sealed_frames(sender, 4, false, true);
    out.add("channel_frames", with_header(opts(0), 0, frames));
    out.add("channel_frames", with_header(opts(0x08), 3, frames));
    out.add("channel_frames", with_header(opts(0x02), 0, frames));  // 64-byte limit
    out.add("channel_frames", with_header(opts(0x10), 0, frames));  // small queue
    out.add("channel_frames", with_header(opts(0x04), 0, sealed_frames(sender, 3, true, false)));
    out.add("channel_frames",
            with_header(opts(0x08), 0, sealed_frames(sender, 2, false, false)));  // truncated
    out.add("channel_frames", with_header(opts(0), 0, concat({frames, Bytes{0x00}})));
    out.add("channel_frames", with_header(opts(0), 0, flipped(frames, 30)));  // bad tag
    out.add("channel_frames", with_header(opts(0x20), 9, frames));            // moved
    out.add("channel_frames", with_header(opts(0x40), 0, frames));            // bad config
  }
}

// aead_backends: [mode] [counter LE] [ad length] [ad] [body] (fuzz/aead_backends.cc).
void seed_aead_backends(SeedWriter& out) {
  const Bytes ad = {0x00, 0x00, 0x02, 0x00};
  const auto input = [&](std::uint8_t mode, std::uint64_t counter, const Bytes& body) {
    Bytes in = {mode};
    for (int i = 0; i < 8; ++i) in.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
    in.push_back(static_cast<std::uint8_t>(ad.size()));
    return concat({in, ad, body});
  };
  // Sizes on both sides of the backend switch (kOpenSslMinSize) and of the block sizes.
  for (const std::size_t size : {std::size_t{0}, std::size_t{15}, std::size_t{64}, std::size_t{511},
                                 std::size_t{512}, std::size_t{1000}, std::size_t{4096}}) {
    Bytes plaintext(size);
    for (std::size_t i = 0; i < size; ++i) plaintext[i] = static_cast<std::uint8_t>(i * 31);
    const std::uint64_t counter = size * 3;
    AeadKey key(channel_key_c2s());
    Bytes sealed(size + kAeadTagSize);
    key.seal(sealed.data(), sealed.data() + size, plaintext.data(), size, ByteSpan(ad), counter,
             AeadBackend::kSodium);
    out.add("aead_backends", input(0x00, counter, sealed));  // opens
    out.add("aead_backends", input(0x02, counter, sealed));  // opens in place
    out.add("aead_backends", input(0x00, counter, flipped(sealed, sealed.size() / 2)));  // forged
    out.add("aead_backends", input(0x01, counter, sealed));     // wrong key
    out.add("aead_backends", input(0x04, counter, plaintext));  // seal both
  }
}

void seed_identities(SeedWriter& out) {
  for (const Identity* identity : {&client_identity(), &server_identity(), &stranger_identity()}) {
    const IdentityFileBytes file = encode_identity_file(*identity);
    const Bytes bytes(file.bytes().begin(), file.bytes().end());
    out.add("identity_file", bytes);
    Bytes corrupt = bytes;
    corrupt[40] ^= 0x01;
    out.add("identity_file", corrupt);
    const std::string text = encode_public_key(identity->public_key());
    out.add("public_key_text", Bytes(text.begin(), text.end()));
  }
  const std::string not_base64(kPublicKeyTextSize, '!');
  out.add("public_key_text", Bytes(not_base64.begin(), not_base64.end()));
  // Not a point of large order: all-zero key bytes, and their text.
  out.add("public_key_text", Bytes(kPublicKeySize, 0));
  const std::string zero = encode_public_key(PublicKey{});
  out.add("public_key_text", Bytes(zero.begin(), zero.end()));
}

void seed_replay_cache(SeedWriter& out) {
  // [capacity] then [slot][tag] pairs: fills past capacity, repeats, and runs of
  // challenges that share a slot so that deletion has to shift them back.
  out.add("replay_cache", Bytes{1, 0, 0, 0, 0, 0, 1, 1, 0});
  out.add("replay_cache", Bytes{4, 3, 0, 3, 1, 3, 2, 4, 0, 3, 3, 3, 4, 3, 0, 5, 0, 3, 1});
  Bytes many{16};
  for (std::uint8_t i = 0; i < 40; ++i) {
    many.push_back(static_cast<std::uint8_t>(i % 5));
    many.push_back(static_cast<std::uint8_t>(i % 7));
  }
  out.add("replay_cache", many);
}

// FdpScript builds a FuzzedDataProvider input: integers are read from the end of the
// input (most significant byte first, as many bytes as the range needs) and byte
// strings from the front, so each goes to its own half.
class FdpScript {
 public:
  void integer(std::uint64_t value_minus_min, std::uint64_t range) {
    std::vector<std::uint8_t> be;
    for (unsigned offset = 0; offset < 64 && (range >> offset) > 0; offset += 8) be.push_back(0);
    for (std::size_t i = be.size(); i-- > 0;) {
      be[i] = static_cast<std::uint8_t>(value_minus_min);
      value_minus_min >>= 8;
    }
    tail_.insert(tail_.end(), be.begin(), be.end());
  }
  void boolean(bool value) { integer(value ? 1 : 0, 255); }
  void bytes(const Bytes& value) { head_.insert(head_.end(), value.begin(), value.end()); }
  Bytes finish() const { return concat({head_, Bytes(tail_.rbegin(), tail_.rend())}); }

 private:
  Bytes head_, tail_;
};

// The pair target's actions and faults (pair_session.cc), in its order.
enum PairAction : std::uint64_t {
  kToServer,
  kToClient,
  kAdvance,
  kClientSend,
  kServerSend,
  kClientClose,
  kServerClose,
  kClientEnd,
  kServerEnd
};
constexpr std::uint64_t kLastAction = kServerEnd;
enum PairFault : std::uint64_t { kNoFault, kFlip, kDrop, kDuplicate, kDelay };
constexpr std::uint64_t kLastFault = kDelay;

struct PairConfig {
  std::uint64_t client_seed = 7, server_seed = 9;
  unsigned client_fail_at = 0, server_fail_at = 0, expect_mode = 0, allow_mode = 0;
  std::int64_t timeout = -2;  // -2: the default
  unsigned max_choice = 0;    // 1..5: small limit (then max_message_size)
  std::size_t max_message_size = 0;
  std::size_t max_pending = 0;  // 0: the default
  bool replay_cache = false;
};

void pair_config(FdpScript& s, const PairConfig& c) {
  s.integer(c.client_seed, ~std::uint64_t{0});
  s.integer(c.client_fail_at, 15);
  s.integer(c.server_seed, ~std::uint64_t{0});
  s.integer(c.server_fail_at, 15);
  s.integer(c.expect_mode, 3);
  s.integer(c.allow_mode, 3);
  s.boolean(c.timeout != -2);
  if (c.timeout != -2) s.integer(static_cast<std::uint64_t>(c.timeout + 1), 30001);
  s.integer(c.max_choice, 7);
  if (c.max_choice >= 1 && c.max_choice <= 5) s.integer(c.max_message_size - 1, 299);
  s.boolean(c.max_pending != 0);
  if (c.max_pending != 0) s.integer(c.max_pending - 1, 999);
  s.boolean(c.replay_cache);
}

// deliver |n| of the |link| bytes waiting, with |fault| (flip: byte 0, bit 0).
void pair_deliver(FdpScript& s, PairAction to, std::size_t n, std::size_t link, PairFault fault) {
  s.integer(to, kLastAction);
  s.integer(n - 1, link - 1);
  s.integer(fault, kLastFault);
  if (fault == kFlip) {
    s.integer(0, n - 1);
    s.integer(0, 7);
  }
}

void pair_send(FdpScript& s, PairAction who, const Bytes& message) {
  s.integer(who, kLastAction);
  s.integer(message.size(), 300);
  s.bytes(message);
}

// The handshake, delivered whole in its four flights, with a fault on flight |faulty|
// (0..3; 4: none).
void pair_handshake(FdpScript& s, int faulty, PairFault fault) {
  const std::size_t sizes[] = {kClientHelloSize, kServerHelloSize, kKeyExchangeSize, kAcceptSize};
  for (int i = 0; i < 4; ++i) {
    pair_deliver(s, i % 2 == 0 ? kToServer : kToClient, sizes[i], sizes[i],
                 i == faulty ? fault : kNoFault);
    if (i == faulty && fault != kNoFault) return;  // what follows depends on the fault
  }
}

void seed_pair_session(SeedWriter& out) {
  const auto add = [&](const PairConfig& config, auto&& script) {
    FdpScript s;
    pair_config(s, config);
    script(s);
    out.add("pair_session", s.finish());
  };
  const Bytes hello{'h', 'e', 'l', 'l', 'o'};
  const auto session = [&](FdpScript& s) {
    pair_handshake(s, 4, kNoFault);
    pair_send(s, kClientSend, hello);
    pair_send(s, kServerSend, scripted_message(1));
    pair_deliver(s, kToServer, 4 + 3, hello.size() + kFrameOverhead, kNoFault);  // split frame
    s.integer(kClientClose, kLastAction);
    s.integer(kServerClose, kLastAction);
  };
  add(PairConfig{}, session);
  add(PairConfig{.expect_mode = 2, .replay_cache = true}, session);
  add(PairConfig{.allow_mode = 2}, session);
  add(PairConfig{.expect_mode = 3}, session);
  add(PairConfig{.allow_mode = 3}, session);
  add(PairConfig{.timeout = 0}, session);
  add(PairConfig{.max_choice = 6}, session);
  add(PairConfig{.max_choice = 7}, session);
  add(PairConfig{.max_choice = 1, .max_message_size = 4}, session);
  add(PairConfig{.max_pending = 10}, session);
  add(PairConfig{.client_fail_at = 1}, session);
  add(PairConfig{.server_fail_at = 1}, session);
  add(PairConfig{.server_fail_at = 2}, session);
  add(PairConfig{}, [&](FdpScript& s) {  // sending before the handshake ends is refused
    pair_send(s, kClientSend, hello);
    s.integer(kServerClose, kLastAction);
  });
  for (int flight = 0; flight < 4; ++flight) {
    for (const PairFault fault : {kFlip, kDrop, kDuplicate}) {
      add(PairConfig{}, [&](FdpScript& s) { pair_handshake(s, flight, fault); });
    }
  }
  add(PairConfig{}, [&](FdpScript& s) {  // ClientHello split and reordered
    pair_deliver(s, kToServer, 10, kClientHelloSize, kDelay);
  });
  add(PairConfig{}, [&](FdpScript& s) {  // a flipped frame after the handshake
    session(s);
    pair_deliver(s, kToClient, 1, scripted_message(1).size() + 2 * kFrameOverhead, kFlip);
  });
  add(PairConfig{.timeout = 5000}, [&](FdpScript& s) {  // deadline passes mid-handshake
    pair_deliver(s, kToServer, kClientHelloSize, kClientHelloSize, kNoFault);
    s.integer(kAdvance, kLastAction);
    s.integer(6000, 12000);
  });
  add(PairConfig{}, [&](FdpScript& s) {  // streams end: mid-handshake, and after it
    s.integer(kServerEnd, kLastAction);
  });
  add(PairConfig{}, [&](FdpScript& s) {
    session(s);
    s.integer(kClientEnd, kLastAction);
  });
}

// The C API target's actions and faults (c_api_session.cc), in its order.
enum CAction : std::uint64_t {
  kCToServer,
  kCToClient,
  kCAdvance,
  kCClientSend,
  kCServerSend,
  kCClientClose,
  kCServerClose,
  kCClientEnd,
  kCServerEnd,
  kCMisuse
};
constexpr std::uint64_t kCLastAction = kCMisuse;
enum CFault : std::uint64_t { kCNoFault, kCFlip, kCDrop, kCDuplicate };
constexpr std::uint64_t kCLastFault = kCDuplicate;

struct CConfig {
  std::uint64_t seed = 5;
  unsigned expect_mode = 0, allow_mode = 0;  // target: 2 any / +stranger, 3 stranger, 4 none
  bool options = false;
  std::uint32_t timeout_ms = 0;  // with options; 0: the default
  unsigned max_choice = 0;       // 1..5: max_message_size; 6: over the limit
  std::size_t max_message_size = 0;
  std::size_t max_pending = 0;
  bool replay_cache = false;
  bool bad_struct_size = false;
  unsigned start_choice = 0;  // 1: near P2P_MAX_NOW_MS, 2: start, 3: over it
  std::uint64_t start = 0;
};

void c_config(FdpScript& s, const CConfig& c) {
  s.integer(c.seed, ~std::uint64_t{0});
  s.integer(c.expect_mode, 3);
  s.integer(c.allow_mode, 4);
  s.boolean(c.options);
  if (c.options) {
    s.integer(c.timeout_ms, 30000);
    s.integer(c.max_choice, 7);
    if (c.max_choice >= 1 && c.max_choice <= 5) s.integer(c.max_message_size - 1, 299);
    s.boolean(c.max_pending != 0);
    if (c.max_pending != 0) s.integer(c.max_pending - 1, 999);
    s.boolean(c.replay_cache);
    s.integer(c.bad_struct_size ? 31 : 0, 31);
  }
  s.integer(c.start_choice, 3);
  if (c.start_choice == 2) s.integer(c.start, ~std::uint64_t{0});
}

void c_deliver(FdpScript& s, CAction to, std::size_t n, std::size_t link, CFault fault) {
  s.integer(to, kCLastAction);
  s.integer(n - 1, link - 1);
  s.integer(fault, kCLastFault);
  if (fault == kCFlip) {
    s.integer(0, n - 1);
    s.integer(0, 7);
  }
}

void c_send(FdpScript& s, CAction who, const Bytes& message) {
  s.integer(who, kCLastAction);
  s.integer(message.size(), 300);
  s.bytes(message);
}

// The four handshake flights, whole, with |fault| on flight |faulty| (4: none).
void c_handshake(FdpScript& s, int faulty, CFault fault) {
  const std::size_t sizes[] = {kClientHelloSize, kServerHelloSize, kKeyExchangeSize, kAcceptSize};
  for (int i = 0; i < 4; ++i) {
    c_deliver(s, i % 2 == 0 ? kCToServer : kCToClient, sizes[i], sizes[i],
              i == faulty ? fault : kCNoFault);
    if (i == faulty && fault != kCNoFault) return;  // what follows depends on the fault
  }
}

void seed_c_api_session(SeedWriter& out) {
  const auto add = [&](const CConfig& config, auto&& script) {
    FdpScript s;
    c_config(s, config);
    script(s);
    out.add("c_api_session", s.finish());
  };
  const Bytes hello{'h', 'e', 'l', 'l', 'o'};
  const Bytes reply{'w', 'o', 'r', 'l', 'd', '!'};
  // Handshake, a message each way (the server's delivered in two pieces), close both.
  const auto session = [&](FdpScript& s) {
    c_handshake(s, 4, kCNoFault);
    c_send(s, kCClientSend, hello);
    c_send(s, kCServerSend, reply);
    c_deliver(s, kCToServer, hello.size() + kFrameOverhead, hello.size() + kFrameOverhead,
              kCNoFault);
    c_deliver(s, kCToClient, 7, reply.size() + kFrameOverhead, kCNoFault);
    c_deliver(s, kCToClient, reply.size() + kFrameOverhead - 7, reply.size() + kFrameOverhead - 7,
              kCNoFault);
    s.integer(kCClientClose, kCLastAction);
    c_deliver(s, kCToServer, kFrameOverhead, kFrameOverhead, kCNoFault);
    s.integer(kCServerClose, kCLastAction);
  };
  add(CConfig{}, session);
  add(CConfig{.options = true,
              .timeout_ms = 5000,
              .max_choice = 1,
              .max_message_size = 8,
              .max_pending = 60,
              .replay_cache = true},
      session);
  add(CConfig{.expect_mode = 2, .allow_mode = 2}, session);
  add(CConfig{.expect_mode = 3}, session);
  add(CConfig{.allow_mode = 3}, session);
  add(CConfig{.allow_mode = 4}, session);
  add(CConfig{.options = true, .max_choice = 6}, session);          // refused at creation
  add(CConfig{.options = true, .bad_struct_size = true}, session);  // refused at creation
  add(CConfig{.start_choice = 1}, session);
  add(CConfig{.start_choice = 2, .start = 123456789}, session);
  add(CConfig{.start_choice = 3}, session);            // refused at creation
  add(CConfig{.start_choice = 1}, [&](FdpScript& s) {  // the clock runs past P2P_MAX_NOW_MS
    c_deliver(s, kCToServer, kClientHelloSize, kClientHelloSize, kCNoFault);
    s.integer(kCAdvance, kCLastAction);
    s.integer(12000, 12000);
    for (int i = 0; i < 4; ++i) {
      s.integer(kCAdvance, kCLastAction);
      s.integer(12000, 12000);
    }
    c_deliver(s, kCToClient, kServerHelloSize, kServerHelloSize, kCNoFault);
  });
  for (int flight = 0; flight < 4; ++flight) {
    for (const CFault fault : {kCFlip, kCDrop, kCDuplicate}) {
      add(CConfig{}, [&](FdpScript& s) { c_handshake(s, flight, fault); });
    }
  }
  add(CConfig{.options = true, .timeout_ms = 5000}, [&](FdpScript& s) {  // deadline mid-handshake
    c_deliver(s, kCToServer, kClientHelloSize, kClientHelloSize, kCNoFault);
    s.integer(kCAdvance, kCLastAction);
    s.integer(6000, 12000);
  });
  add(CConfig{}, [&](FdpScript& s) {  // sending and closing before the handshake ends
    c_send(s, kCClientSend, hello);
    s.integer(kCServerClose, kCLastAction);
  });
  add(CConfig{}, [&](FdpScript& s) { s.integer(kCServerEnd, kCLastAction); });
  add(CConfig{}, [&](FdpScript& s) {
    session(s);
    s.integer(kCClientEnd, kCLastAction);
  });
  // Every kind of misuse, before and after the handshake, each switching the output
  // chunk to a few bytes.
  for (unsigned which = 0; which <= 8; ++which) {
    add(CConfig{}, [&](FdpScript& s) {
      s.integer(kCMisuse, kCLastAction);
      s.integer(which, 8);
      s.boolean(which % 2 == 0);
      s.integer(which, 4095);
      c_handshake(s, 4, kCNoFault);
      s.integer(kCMisuse, kCLastAction);
      s.integer(which, 8);
      s.boolean(which % 2 == 1);
      s.integer(0, 4095);
    });
  }
}

// noise_handshake (fuzz/noise_handshake.cc): every vector of the Noise vector files
// whose DH is 25519 and whose pattern the core has, as a clean run with the vector's
// keys, prologue and payloads; then the same runs with each fault on the first and
// second message, so the corpus starts with every way a message can be spoiled.
Bytes from_hex_text(const std::string& text) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
  }
  return out;
}

struct NoiseSeed {
  Bytes head;             // pattern, suite, psk mask, prologue, keys, psks
  std::vector<Bytes> hs;  // handshake payloads
  std::vector<Bytes> transport;
  bool one_way = false;
};

Bytes noise_input(const NoiseSeed& seed, std::size_t faulty, const Bytes& fault) {
  Bytes in = seed.head;
  for (std::size_t i = 0; i < seed.hs.size(); ++i) {
    in.push_back(static_cast<std::uint8_t>(seed.hs[i].size()));
    in.insert(in.end(), seed.hs[i].begin(), seed.hs[i].end());
    if (i == faulty) {
      in.insert(in.end(), fault.begin(), fault.end());
    } else {
      in.push_back(0);  // delivered as written
    }
  }
  for (std::size_t i = 0; i < seed.transport.size(); ++i) {
    // Transport messages alternate after the handshake, one way only when one-way.
    std::size_t from = seed.one_way ? 0 : (seed.hs.size() + i) % 2;
    in.push_back(static_cast<std::uint8_t>(from | (i == 3 ? 2 : 0)));  // a rekey once
    in.push_back(static_cast<std::uint8_t>(seed.transport[i].size()));
    in.insert(in.end(), seed.transport[i].begin(), seed.transport[i].end());
    in.push_back(0);
  }
  return in;
}

void seed_noise_handshake(SeedWriter& out) {
  namespace noise = p2pnet::noise;
  const auto table = noise::pattern_table();
  const std::array<std::string, 4> hashes = {"SHA256", "SHA512", "BLAKE2s", "BLAKE2b"};
  std::vector<NoiseSeed> seeds;
  std::vector<std::string> names;
  for (const char* file :
       {P2PNET_NOISE_VECTORS_DIR "/cacophony.txt", P2PNET_NOISE_VECTORS_DIR "/snow.txt"}) {
    std::ifstream stream(file);
    if (!stream) {
      std::fprintf(stderr, "seed: cannot read %s\n", file);
      std::exit(1);
    }
    const nlohmann::json vectors = nlohmann::json::parse(stream).at("vectors");
    for (const nlohmann::json& v : vectors) {
      // Noise_<pattern><modifiers>_<dh>_<cipher>_<hash>
      std::string name = v.at("protocol_name").get<std::string>();
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      std::vector<std::string> parts;
      for (std::size_t start = 0;;) {
        std::size_t end = name.find('_', start);
        parts.push_back(name.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
      }
      if (parts.size() != 5 || parts[2] != "25519") continue;
      std::string base = parts[1];
      std::uint8_t mask = 0;
      if (std::size_t psk = base.find("psk"); psk != std::string::npos) {
        std::string modifiers = base.substr(psk);
        base = base.substr(0, psk);
        for (std::size_t at = 0; (at = modifiers.find("psk", at)) != std::string::npos; at += 3) {
          mask = static_cast<std::uint8_t>(mask | (1U << (modifiers[at + 3] - '0')));
        }
      }
      std::size_t index = table.size();
      for (std::size_t i = 0; i < table.size(); ++i) {
        if (table[i].name() == base) index = i;
      }
      if (index == table.size()) continue;  // fallback patterns: not in the core
      std::size_t hash = 0;
      while (hash < hashes.size() && hashes[hash] != parts[4]) ++hash;
      NoiseSeed seed;
      seed.one_way = table[index].one_way();
      const std::size_t messages = table[index].message_count;
      auto key = [&](const char* field) {
        Bytes k = v.contains(field) ? from_hex_text(v.at(field).get<std::string>()) : Bytes{};
        k.resize(32, 0);
        return k;
      };
      Bytes prologue = from_hex_text(v.at("init_prologue").get<std::string>());
      if (prologue.size() > 64) prologue.resize(64);
      seed.head = {static_cast<std::uint8_t>(index),
                   static_cast<std::uint8_t>((parts[3] == "AESGCM" ? 1 : 0) | (hash << 1)), mask,
                   static_cast<std::uint8_t>(prologue.size())};
      seed.head.insert(seed.head.end(), prologue.begin(), prologue.end());
      for (const char* field : {"init_static", "resp_static", "init_ephemeral", "resp_ephemeral"}) {
        Bytes k = key(field);
        seed.head.insert(seed.head.end(), k.begin(), k.end());
      }
      if (v.contains("init_psks")) {
        for (const nlohmann::json& psk : v.at("init_psks")) {
          Bytes k = from_hex_text(psk.get<std::string>());
          seed.head.insert(seed.head.end(), k.begin(), k.end());
        }
      } else if (v.contains("init_psk")) {
        Bytes k = from_hex_text(v.at("init_psk").get<std::string>());
        seed.head.insert(seed.head.end(), k.begin(), k.end());
      }
      const nlohmann::json& ms = v.at("messages");
      for (std::size_t i = 0; i < ms.size(); ++i) {
        Bytes payload = from_hex_text(ms[i].at("payload").get<std::string>());
        if (payload.size() > 255) payload.resize(255);
        (i < messages ? seed.hs : seed.transport).push_back(payload);
      }
      if (seed.hs.size() != messages) continue;
      seeds.push_back(std::move(seed));
    }
  }
  // Faults (fuzz/noise_handshake.cc, apply_fault): a fault byte >= 128 picks
  // (fault - 128) % 7; 0 none, 1 flip [u16 bit], 2 truncate [u16], 3 extend
  // [n][bytes], 4 replace [u16][bytes], 5 earlier [i], 6 out of turn [b].
  const std::vector<Bytes> faults = {
      {129, 3, 0},        // flip bit 3 of byte 0
      {129, 0x07, 0x01},  // flip bit 7 of byte 32 (the end of a key)
      {130, 16, 0},       // truncate to 16 bytes
      {130, 40, 0},       // truncate to 40 bytes
      {131, 0, 0x55},     // extend by one byte
      {132, 32, 0},       // replace by 32 zero bytes (a low-order key)
      {133, 0},           // an earlier message
      {134, 0},           // the reader writes out of turn
      {134, 1},           // the writer reads out of turn
  };
  for (const NoiseSeed& seed : seeds) {
    out.add("noise_handshake", noise_input(seed, seed.hs.size(), {}));
  }
  // The faults on a sample of the vectors (every 9th: all patterns and suites still
  // appear), on the first and the second message.
  for (std::size_t i = 0; i < seeds.size(); i += 9) {
    for (std::size_t faulty = 0; faulty < std::min<std::size_t>(2, seeds[i].hs.size()); ++faulty) {
      for (const Bytes& fault : faults) {
        out.add("noise_handshake", noise_input(seeds[i], faulty, fault));
      }
    }
    // The suite byte's other bits: fresh ephemeral keys, their random source failing
    // at the first or second draw, no initiator static key, one psk too few.
    for (unsigned bits : {0x08U, 0x18U, 0x28U, 0x40U, 0x80U}) {
      NoiseSeed variant = seeds[i];
      variant.head[1] = static_cast<std::uint8_t>(variant.head[1] | bits);
      out.add("noise_handshake", noise_input(variant, variant.hs.size(), {}));
    }
  }
  // Protocol names (a first byte of 0xff): every name of the vectors, and broken ones.
  std::vector<std::string> all_names = names;
  for (const char* name :
       {"Noise_XXpsk3+psk0_25519_ChaChaPoly_BLAKE2b", "Noise_XXfallback_25519_ChaChaPoly_BLAKE2b",
        "Noise_XX_448_ChaChaPoly_BLAKE2b", "Noise_XXpsk9_25519_AESGCM_SHA256",
        "Noise_NNpsk0+psk0_25519_ChaChaPoly_SHA512", "Noise_XX_25519"}) {
    all_names.emplace_back(name);
  }
  for (const std::string& name : all_names) {
    Bytes input{0xff};
    input.insert(input.end(), name.begin(), name.end());
    out.add("noise_handshake", input);
  }
}

}  // namespace
}  // namespace p2pnet::fuzz

int main(int argc, char** argv) {
  using namespace p2pnet::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  SeedWriter out{std::filesystem::path(argv[1])};
  const Recording t = record(3);
  seed_wire_codec(out, t);
  seed_server_connection(out, t);
  seed_client_connection(out, t);
  seed_channel_frames(out);
  seed_aead_backends(out);
  seed_identities(out);
  seed_replay_cache(out);
  seed_pair_session(out);
  seed_c_api_session(out);
  try {
    seed_noise_handshake(out);
  } catch (const std::exception& error) {  // a vector file that does not parse
    std::fprintf(stderr, "seed: the Noise vectors: %s\n", error.what());
    return 1;
  }
  return 0;
}
