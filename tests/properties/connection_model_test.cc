// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Stateful property (rc::state): a client/server Connection pair over a link that
// RapidCheck controls, checked against a small model of protocol-v1 after every
// command. The model knows the link as a queue of whole items per direction (a
// handshake message, an Error, a frame) with how many bytes of the first one were
// delivered, and each side as a phase of the handshake or the channel. Commands:
// deliver all, deliver some bytes, drop, duplicate or corrupt an item, advance time,
// time out, send a message, close. After every command the engine and the model
// must agree on each side's state name, error, events and delivered messages and on
// the bytes waiting on the link; two established sides must share their keys; and
// each side holds exactly the keys it can still use (none once failed or closed).
//
// What the model predicts, from the protocol text:
//   - a handshake side fails as malformed on the first byte of anything other than
//     the message it waits for or an Error; an Error ends it with the peer's code;
//   - a corrupted ServerHello challenge makes the server reject the KeyExchange; a
//     corrupted signature fails authentication; a type byte xor 0x80 is malformed;
//   - an established side reads frames: a duplicate, a dropped predecessor or a
//     corrupted tag fails authentication; any non-frame bytes form a header whose
//     length is over the maximum (the first byte is never 0); bytes after
//     close_notify are an error;
//   - at the deadline every side still handshaking fails with timeout; a handshake
//     failure queues the Error message protocol-v1 assigns, a channel failure none.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <deque>
#include <numeric>

#include "hex.h"
#include "p2pnet/internal/connection_test_access.h"
#include "session_setup.h"

namespace p2pnet::testing {
namespace {

constexpr Duration kTimeoutForModel{10'000};

enum class Phase : std::uint8_t {
  kClientAwaitServerHello,
  kClientAwaitAccept,
  kServerAwaitClientHello,
  kServerAwaitKeyExchange,
  kEstablished,
  kFailed,
};

enum class Kind : std::uint8_t {
  kClientHello,
  kServerHello,
  kKeyExchange,
  kAccept,
  kError,
  kFrame,
  kClose
};

struct Item {
  Kind kind = Kind::kFrame;
  std::size_t size = 0;
  std::uint8_t code = 0;      // kError: the wire code
  std::uint64_t seq = 0;      // kFrame, kClose: the sender's counter
  Bytes payload;              // kFrame
  bool type_corrupt = false;  // first byte xor 0x80
  bool tail_corrupt = false;  // last byte xor 0x01 (challenge, signature or tag)
  bool poisoned = false;      // a KeyExchange signed over a corrupted challenge
};

std::uint8_t first_byte(const Item& item) {
  std::uint8_t b = 0x00;  // frames: the top byte of a length under 16 MiB
  switch (item.kind) {
    case Kind::kClientHello: b = 0x01; break;
    case Kind::kServerHello: b = 0x02; break;
    case Kind::kKeyExchange: b = 0x03; break;
    case Kind::kAccept: b = 0x04; break;
    case Kind::kError: b = 0xFF; break;
    case Kind::kFrame:
    case Kind::kClose: break;
  }
  return item.type_corrupt ? static_cast<std::uint8_t>(b ^ 0x80) : b;
}

struct SideModel {
  Phase phase = Phase::kFailed;
  Error error = Error::kNone;
  bool was_established = false;
  bool handshake_complete = false;
  std::vector<Bytes> received;
  bool peer_closed = false;
  bool sent_close = false;
  std::uint64_t send_seq = 0;
  std::uint64_t recv_seq = 0;
  bool reading_junk_header = false;  // a header started on bytes that are not a frame
  std::size_t junk_header = 0;       // how many of its 4 bytes have arrived
};

struct Model {
  std::array<SideModel, 2> sides;                // [0]: client, [1]: server
  std::array<std::deque<Item>, 2> link;          // [0]: client to server, [1]: server to client
  std::array<std::size_t, 2> head_offset{0, 0};  // bytes of link[d].front() delivered
  Instant now{0};
  bool server_allows_client = true;
  bool client_expects_this_server = true;
};

std::size_t pending_bytes(const Model& m, std::size_t dir) {
  const auto& q = m.link[dir];
  return std::accumulate(q.begin(), q.end(), std::size_t{0},
                         [](std::size_t sum, const Item& it) { return sum + it.size; }) -
         m.head_offset[dir];
}

// first_whole_item: the first item none of whose bytes were delivered.
std::size_t first_whole_item(const Model& m, std::size_t dir) {
  return m.head_offset[dir] > 0 ? 1 : 0;
}

std::size_t item_offset(const Model& m, std::size_t dir, std::size_t index) {
  std::size_t offset = 0;
  for (std::size_t i = 0; i < index; ++i) offset += m.link[dir][i].size;
  return offset - m.head_offset[dir];
}

bool handshaking(const SideModel& s) {
  return s.phase != Phase::kEstablished && s.phase != Phase::kFailed;
}

Item handshake_item(Kind kind, std::size_t size) {
  Item it;
  it.kind = kind;
  it.size = size;
  return it;
}

// fail: side |side| fails; a handshake failure queues the protocol's Error message.
void fail(Model& m, std::size_t side, Error error) {
  SideModel& s = m.sides[side];
  if (s.phase == Phase::kFailed) return;
  const bool in_handshake = handshaking(s);
  s.phase = Phase::kFailed;
  s.error = error;
  if (!in_handshake) return;
  std::uint8_t code = 0;
  switch (error) {
    case Error::kMalformedMessage: code = 0x01; break;
    case Error::kAuthenticationFailed: code = 0x02; break;
    case Error::kPeerNotAllowed: code = 0x03; break;
    case Error::kTimeout: code = 0x04; break;
    default: break;  // a peer abort: no reply
  }
  if (code == 0) return;
  Item err = handshake_item(Kind::kError, kWireError);
  err.code = code;
  m.link[side].push_back(err);
}

Error peer_abort(std::uint8_t code) {
  switch (code) {
    case 0x01: return Error::kPeerAbortMalformed;
    case 0x02: return Error::kPeerAbortAuthenticationFailed;
    case 0x03: return Error::kPeerAbortNotAccepted;
    default: return Error::kPeerAbortTimeout;
  }
}

void establish(SideModel& s) {
  s.phase = Phase::kEstablished;
  s.was_established = true;
  s.handshake_complete = true;
}

// handshake_message: |side| has read the whole |item| it was waiting for.
void handshake_message(Model& m, std::size_t side, const Item& item) {
  SideModel& s = m.sides[side];
  if (item.kind == Kind::kError) return fail(m, side, peer_abort(item.code));
  switch (s.phase) {
    case Phase::kServerAwaitClientHello:
      if (!m.server_allows_client) return fail(m, side, Error::kPeerNotAllowed);
      m.link[side].push_back(handshake_item(Kind::kServerHello, kWireServerHello));
      s.phase = Phase::kServerAwaitKeyExchange;
      return;
    case Phase::kClientAwaitServerHello: {
      if (!m.client_expects_this_server) return fail(m, side, Error::kPeerNotAllowed);
      Item ke = handshake_item(Kind::kKeyExchange, kWireKeyExchange);
      ke.poisoned = item.tail_corrupt;  // signed over the altered challenge
      m.link[side].push_back(ke);
      s.phase = Phase::kClientAwaitAccept;
      return;
    }
    case Phase::kServerAwaitKeyExchange:
      if (item.tail_corrupt || item.poisoned) return fail(m, side, Error::kAuthenticationFailed);
      m.link[side].push_back(handshake_item(Kind::kAccept, kWireAccept));
      establish(s);
      return;
    case Phase::kClientAwaitAccept:
      if (item.tail_corrupt) return fail(m, side, Error::kAuthenticationFailed);
      establish(s);
      return;
    case Phase::kEstablished:
    case Phase::kFailed: return;
  }
}

Kind expected_kind(Phase phase) {
  switch (phase) {
    case Phase::kClientAwaitServerHello: return Kind::kServerHello;
    case Phase::kClientAwaitAccept: return Kind::kAccept;
    case Phase::kServerAwaitClientHello: return Kind::kClientHello;
    case Phase::kServerAwaitKeyExchange: return Kind::kKeyExchange;
    case Phase::kEstablished:
    case Phase::kFailed: break;
  }
  return Kind::kFrame;
}

// deliver: |n| bytes of link |dir| reach the other side.
void deliver(Model& m, std::size_t dir, std::size_t n) {
  const std::size_t side = 1 - dir;  // the receiver
  SideModel& s = m.sides[side];
  if (n == 0) return;
  // The handshake checks its deadline on every input, before reading it.
  if (handshaking(s) && m.now >= Instant{0} + kTimeoutForModel) fail(m, side, Error::kTimeout);
  // What the receiver queues during this delivery is still unsent when the call ends;
  // a channel that fails drops it (an Accept included: see Connection::poll_transmit).
  const std::size_t queued_before = m.link[side].size();
  const bool failed_before = s.phase == Phase::kFailed;
  auto& q = m.link[dir];
  while (n > 0) {
    Item& it = q.front();
    const std::size_t start = m.head_offset[dir];
    const std::size_t k = std::min(n, it.size - start);
    n -= k;
    m.head_offset[dir] += k;
    const bool whole = m.head_offset[dir] == it.size;
    if (handshaking(s)) {
      if (start == 0) {
        const std::uint8_t b = first_byte(it);
        const bool expected = !it.type_corrupt && it.kind == expected_kind(s.phase);
        if (b != 0xFF && !expected) fail(m, side, Error::kMalformedMessage);
      }
      if (whole && handshaking(s)) handshake_message(m, side, it);
    } else if (s.phase == Phase::kEstablished) {
      if (s.peer_closed) {
        fail(m, side, Error::kDataAfterClose);
      } else if (s.reading_junk_header ||
                 (start == 0 &&
                  (it.type_corrupt || (it.kind != Kind::kFrame && it.kind != Kind::kClose)))) {
        s.reading_junk_header = true;
        s.junk_header += k;
        if (s.junk_header >= kFrameHeaderSize) fail(m, side, Error::kFrameTooLarge);
      } else if (whole) {
        if (it.tail_corrupt || it.seq != s.recv_seq) {
          fail(m, side, Error::kFrameAuthFailed);
        } else {
          ++s.recv_seq;
          if (it.kind == Kind::kClose) {
            s.peer_closed = true;
          } else {
            s.received.push_back(it.payload);
          }
        }
      }
    }
    // A failed receiver's bytes are simply gone (the engine consumes nothing more).
    if (whole) {
      q.pop_front();
      m.head_offset[dir] = 0;
    }
  }
  if (!failed_before && s.phase == Phase::kFailed && s.was_established) {
    m.link[side].resize(queued_before);
  }
}

void expire(Model& m) {
  for (std::size_t side = 0; side < 2; ++side) {
    if (handshaking(m.sides[side]) && m.now >= Instant{0} + kTimeoutForModel) {
      fail(m, side, Error::kTimeout);
    }
  }
}

// --- The system under test ---------------------------------------------------------

struct Params {
  PairSeeds seeds;
  bool server_allows_client = true;
  bool client_expects_this_server = true;
};

class Sut {
 public:
  explicit Sut(const Params& p)
      : setup_(p.seeds),
        cc_(make_client_config(p)),
        sc_(make_server_config(p)),
        conns{Connection::client(cc_, Instant{0}), Connection::server(sc_, Instant{0})} {
    collect();
  }
  Sut(const Sut&) = delete;
  Sut& operator=(const Sut&) = delete;

  // collect moves what each side has to send onto its link.
  void collect() {
    for (std::size_t side = 0; side < 2; ++side) {
      const Bytes out = take_output(conns[side]);
      link[side].insert(link[side].end(), out.begin(), out.end());
    }
  }
  void deliver(std::size_t dir, std::size_t n) {
    const Bytes piece(link[dir].begin(), link[dir].begin() + static_cast<std::ptrdiff_t>(n));
    link[dir].erase(link[dir].begin(), link[dir].begin() + static_cast<std::ptrdiff_t>(n));
    (void)feed(conns[1 - dir], piece, now, inboxes[1 - dir]);
  }
  PublicKey identity(std::size_t side) const {
    return side == 0 ? setup_.client_identity.public_key() : setup_.server_identity.public_key();
  }

 private:
  ClientConfig make_client_config(const Params& p) {
    if (!p.client_expects_this_server)
      setup_.expected_server = identity_from_byte(0xEE).public_key();
    return setup_.client_config();
  }
  ServerConfig make_server_config(const Params& p) {
    if (!p.server_allows_client) setup_.allowed = std::vector<PublicKey>{};
    return setup_.server_config();
  }

  PairSetup setup_;
  ClientConfig cc_;
  ServerConfig sc_;

 public:
  std::array<Connection, 2> conns;
  std::array<Inbox, 2> inboxes;
  std::array<Bytes, 2> link;
  Instant now{0};
};

std::string expected_state_name(const SideModel& s) {
  switch (s.phase) {
    case Phase::kClientAwaitServerHello: return "ClientAwaitServerHello";
    case Phase::kClientAwaitAccept: return "ClientAwaitAccept";
    case Phase::kServerAwaitClientHello: return "ServerAwaitClientHello";
    case Phase::kServerAwaitKeyExchange: return "ServerAwaitKeyExchange";
    case Phase::kEstablished:
      if (s.sent_close && s.peer_closed) return "Closed";
      if (s.sent_close) return "SentClose";
      if (s.peer_closed) return "PeerClosed";
      return "Open";
    case Phase::kFailed: return "Failed";  // the handshake's or the channel's
  }
  return "?";
}

ConnectionState expected_state(const SideModel& s) {
  switch (s.phase) {
    case Phase::kClientAwaitServerHello:
    case Phase::kClientAwaitAccept:
    case Phase::kServerAwaitClientHello:
    case Phase::kServerAwaitKeyExchange: return ConnectionState::kHandshaking;
    case Phase::kEstablished:
      return s.sent_close && s.peer_closed ? ConnectionState::kClosed
                                           : ConnectionState::kEstablished;
    case Phase::kFailed: return ConnectionState::kFailed;
  }
  return ConnectionState::kFailed;
}

// agree: the engine and the model say the same after a command.
void agree(const Model& m, const Sut& sut) {
  for (std::size_t side = 0; side < 2; ++side) {
    const SideModel& s = m.sides[side];
    const Connection& conn = sut.conns[side];
    const Inbox& inbox = sut.inboxes[side];
    RC_ASSERT(std::string(conn.state_name()) == expected_state_name(s));
    RC_ASSERT(conn.state() == expected_state(s));
    const bool open = s.phase == Phase::kEstablished;  // sent_close/peer_closed: false once failed
    RC_ASSERT(conn.sent_close() == (open && s.sent_close));
    RC_ASSERT(conn.peer_closed() == (open && s.peer_closed));
    RC_ASSERT(std::string(error_name(conn.error())) == std::string(error_name(s.error)));
    RC_ASSERT(inbox.handshake_complete == s.handshake_complete);
    RC_ASSERT(inbox.messages == s.received);
    RC_ASSERT(inbox.peer_closed == s.peer_closed);
    RC_ASSERT(sut.link[side].size() == pending_bytes(m, side));
  }
  // Keys are held exactly while they can still be used (docs/architecture.md
  // "Secrets"): a direction's traffic key until that direction is done, the session
  // key until both are, nothing at all once a side failed or closed both ways.
  for (std::size_t side = 0; side < 2; ++side) {
    const SideModel& s = m.sides[side];
    const Connection& conn = sut.conns[side];
    const bool established = s.phase == Phase::kEstablished;
    const bool sending_done = !established || s.sent_close;
    const bool receiving_done = !established || s.peer_closed;
    RC_ASSERT(ConnectionTestAccess::key_c2s(conn).empty() ==
              (side == 0 ? sending_done : receiving_done));
    RC_ASSERT(ConnectionTestAccess::key_s2c(conn).empty() ==
              (side == 0 ? receiving_done : sending_done));
    RC_ASSERT(conn.session_key().empty() == (sending_done && receiving_done));
    if (s.phase == Phase::kFailed || (s.sent_close && s.peer_closed)) {
      RC_ASSERT(ConnectionTestAccess::key_holders(conn).empty());
    }
    // The session key is there when kHandshakeComplete is pulled, unless the channel
    // already failed on bytes that came in the same input as the last handshake message.
    const Inbox& inbox = sut.inboxes[side];
    if (inbox.handshake_complete && inbox.session_key.empty()) RC_ASSERT(s.phase == Phase::kFailed);
  }
  // Safety: two sides that completed the handshake talk to each other with the same
  // keys: the session key as each read it at kHandshakeComplete, and every traffic
  // key both still hold.
  const auto client = view_of(sut.conns[0]);
  const auto server = view_of(sut.conns[1]);
  if (client) RC_ASSERT(client->peer == sut.identity(1));
  if (server) RC_ASSERT(server->peer == sut.identity(0));
  if (!sut.inboxes[0].session_key.empty() && !sut.inboxes[1].session_key.empty()) {
    RC_ASSERT(sut.inboxes[0].session_key == sut.inboxes[1].session_key);
  }
  const auto both_hold = [](const Bytes& a, const Bytes& b) { return !a.empty() && !b.empty(); };
  if (client && server && both_hold(client->key_c2s, server->key_c2s)) {
    RC_ASSERT(client->key_c2s == server->key_c2s);
  }
  if (client && server && both_hold(client->key_s2c, server->key_s2c)) {
    RC_ASSERT(client->key_s2c == server->key_s2c);
  }
}

using Command = rc::state::Command<Model, Sut>;

// Each command: apply() changes the model; run() does the same to the engine and
// checks agreement with the model as apply() left it.
template <typename Derived>
struct Checked : Command {
  void run(const Model& before, Sut& sut) const override {
    Model after = before;
    apply(after);
    static_cast<const Derived*>(this)->act(before, sut);
    sut.collect();
    agree(after, sut);
  }
};

std::size_t gen_direction(const Model& m) {
  const bool any0 = pending_bytes(m, 0) > 0;
  const bool any1 = pending_bytes(m, 1) > 0;
  RC_PRE(any0 || any1);
  if (any0 && any1) return *rc::gen::inRange<std::size_t>(0, 2);
  return any0 ? 0 : 1;
}

struct DeliverAll : Checked<DeliverAll> {
  std::size_t dir;
  explicit DeliverAll(const Model& m) : dir(gen_direction(m)) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(pending_bytes(m, dir) > 0); }
  void apply(Model& m) const override { deliver(m, dir, pending_bytes(m, dir)); }
  void act(const Model& m, Sut& sut) const { sut.deliver(dir, pending_bytes(m, dir)); }
  void show(std::ostream& os) const override {
    os << "DeliverAll(" << (dir == 0 ? "c->s" : "s->c") << ")";
  }
};

struct DeliverSome : Checked<DeliverSome> {
  std::size_t dir;
  std::size_t n;
  explicit DeliverSome(const Model& m)
      : dir(gen_direction(m)), n(*rc::gen::inRange<std::size_t>(1, pending_bytes(m, dir) + 1)) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(n >= 1 && n <= pending_bytes(m, dir));
  }
  void apply(Model& m) const override { deliver(m, dir, n); }
  void act(const Model&, Sut& sut) const { sut.deliver(dir, n); }
  void show(std::ostream& os) const override {
    os << "DeliverSome(" << (dir == 0 ? "c->s" : "s->c") << ", " << n << ")";
  }
};

// An item none of whose bytes were delivered yet, chosen at random.
std::pair<std::size_t, std::size_t> gen_whole_item(const Model& m) {
  const std::size_t dir = gen_direction(m);
  const std::size_t first = first_whole_item(m, dir);
  RC_PRE(m.link[dir].size() > first);
  return {dir, *rc::gen::inRange<std::size_t>(first, m.link[dir].size())};
}

struct DropItem : Checked<DropItem> {
  std::pair<std::size_t, std::size_t> at;
  explicit DropItem(const Model& m) : at(gen_whole_item(m)) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(at.second >= first_whole_item(m, at.first) && at.second < m.link[at.first].size());
  }
  void apply(Model& m) const override {
    m.link[at.first].erase(m.link[at.first].begin() + static_cast<std::ptrdiff_t>(at.second));
  }
  void act(const Model& m, Sut& sut) const {
    const std::size_t offset = item_offset(m, at.first, at.second);
    auto& l = sut.link[at.first];
    const auto begin = l.begin() + static_cast<std::ptrdiff_t>(offset);
    l.erase(begin, begin + static_cast<std::ptrdiff_t>(m.link[at.first][at.second].size));
  }
  void show(std::ostream& os) const override {
    os << "Drop(" << at.first << ", item " << at.second << ")";
  }
};

struct DuplicateItem : Checked<DuplicateItem> {
  std::pair<std::size_t, std::size_t> at;
  explicit DuplicateItem(const Model& m) : at(gen_whole_item(m)) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(at.second >= first_whole_item(m, at.first) && at.second < m.link[at.first].size());
  }
  void apply(Model& m) const override {
    auto& q = m.link[at.first];
    const Item copy = q[at.second];
    q.insert(q.begin() + static_cast<std::ptrdiff_t>(at.second) + 1, copy);
  }
  void act(const Model& m, Sut& sut) const {
    const std::size_t offset = item_offset(m, at.first, at.second);
    auto& l = sut.link[at.first];
    const auto begin = l.begin() + static_cast<std::ptrdiff_t>(offset);
    const Bytes copy(begin, begin + static_cast<std::ptrdiff_t>(m.link[at.first][at.second].size));
    l.insert(begin + static_cast<std::ptrdiff_t>(copy.size()), copy.begin(), copy.end());
  }
  void show(std::ostream& os) const override {
    os << "Duplicate(" << at.first << ", item " << at.second << ")";
  }
};

struct CorruptItem : Checked<CorruptItem> {
  std::pair<std::size_t, std::size_t> at;
  bool tail;
  explicit CorruptItem(const Model& m) : at(gen_whole_item(m)), tail(*rc::gen::arbitrary<bool>()) {
    checkPreconditions(m);
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(at.second >= first_whole_item(m, at.first) && at.second < m.link[at.first].size());
    const Item& it = m.link[at.first][at.second];
    // Error messages are left alone (a changed code is another valid Error), and a
    // ClientHello's last byte is part of a key whose validity the model cannot tell.
    RC_PRE(it.kind != Kind::kError);
    RC_PRE(!(tail && it.kind == Kind::kClientHello));
  }
  void apply(Model& m) const override {
    Item& it = m.link[at.first][at.second];
    if (tail) {
      it.tail_corrupt = !it.tail_corrupt;
    } else {
      it.type_corrupt = !it.type_corrupt;
    }
  }
  void act(const Model& m, Sut& sut) const {
    const std::size_t offset = item_offset(m, at.first, at.second);
    const std::size_t size = m.link[at.first][at.second].size;
    auto& l = sut.link[at.first];
    if (tail) {
      l[offset + size - 1] ^= 0x01;
    } else {
      l[offset] ^= 0x80;
    }
  }
  void show(std::ostream& os) const override {
    os << "Corrupt(" << at.first << ", item " << at.second << ", " << (tail ? "tail" : "type")
       << ")";
  }
};

struct AdvanceTime : Checked<AdvanceTime> {
  Duration by{*rc::gen::inRange<std::int64_t>(0, 2'500)};
  void checkPreconditions(const Model&) const override {}
  void apply(Model& m) const override {
    m.now += by;
    expire(m);
  }
  void act(const Model&, Sut& sut) const {
    sut.now += by;
    (void)sut.conns[0].handle_timeout(sut.now);
    (void)sut.conns[1].handle_timeout(sut.now);
  }
  void show(std::ostream& os) const override { os << "AdvanceTime(" << by.count() << " ms)"; }
};

struct TimeOut : Checked<TimeOut> {
  void checkPreconditions(const Model&) const override {}
  void apply(Model& m) const override {
    m.now = std::max(m.now, Instant{0} + kTimeoutForModel);
    expire(m);
  }
  void act(const Model&, Sut& sut) const {
    sut.now = std::max(sut.now, Instant{0} + kTimeoutForModel);
    (void)sut.conns[0].handle_timeout(sut.now);
    (void)sut.conns[1].handle_timeout(sut.now);
  }
  void show(std::ostream& os) const override { os << "TimeOut"; }
};

// What send() and close() must return, from the model.
Error expected_send_result(const SideModel& s) {
  if (s.phase == Phase::kFailed) return s.error;
  if (handshaking(s)) return Error::kWrongState;
  if (s.sent_close) return Error::kAlreadyClosed;
  return Error::kNone;
}

struct SendMessage : Checked<SendMessage> {
  std::size_t side = *rc::gen::inRange<std::size_t>(0, 2);
  Bytes message = *rc::gen::resize(
      40, rc::gen::nonEmpty(rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>())));
  void checkPreconditions(const Model&) const override {}
  void apply(Model& m) const override {
    SideModel& s = m.sides[side];
    if (expected_send_result(s) != Error::kNone) return;
    Item frame;
    frame.kind = Kind::kFrame;
    frame.size = message.size() + kFrameOverhead;
    frame.seq = s.send_seq++;
    frame.payload = message;
    m.link[side].push_back(frame);
  }
  void act(const Model& m, Sut& sut) const {
    RC_ASSERT(error_name(sut.conns[side].send(message)) ==
              error_name(expected_send_result(m.sides[side])));
  }
  void show(std::ostream& os) const override {
    os << "Send(" << (side == 0 ? "client" : "server") << ", " << to_hex(message) << ")";
  }
};

struct CloseSide : Checked<CloseSide> {
  std::size_t side = *rc::gen::inRange<std::size_t>(0, 2);
  void checkPreconditions(const Model&) const override {}
  void apply(Model& m) const override {
    SideModel& s = m.sides[side];
    if (expected_send_result(s) != Error::kNone) return;
    Item close;
    close.kind = Kind::kClose;
    close.size = kFrameOverhead;
    close.seq = s.send_seq++;
    m.link[side].push_back(close);
    s.sent_close = true;
  }
  void act(const Model& m, Sut& sut) const {
    RC_ASSERT(error_name(sut.conns[side].close()) ==
              error_name(expected_send_result(m.sides[side])));
  }
  void show(std::ostream& os) const override {
    os << "Close(" << (side == 0 ? "client" : "server") << ")";
  }
};

Model initial_model(const Params& p) {
  Model m;
  m.sides[0].phase = Phase::kClientAwaitServerHello;
  m.sides[1].phase = Phase::kServerAwaitClientHello;
  m.server_allows_client = p.server_allows_client;
  m.client_expects_this_server = p.client_expects_this_server;
  m.link[0].push_back(handshake_item(Kind::kClientHello, kWireClientHello));
  return m;
}

RC_GTEST_PROP(ConnectionModel, EngineAgreesWithTheProtocolModel, ()) {
  Params p;
  p.seeds = *gen_pair_seeds();
  p.server_allows_client = *rc::gen::weightedElement<bool>({{9, true}, {1, false}});
  p.client_expects_this_server = *rc::gen::weightedElement<bool>({{9, true}, {1, false}});
  Sut sut(p);
  const Model model = initial_model(p);
  agree(model, sut);
  // Repeats weight the choice: mostly traffic, now and then a fault or the clock.
  rc::state::check(
      model, sut,
      rc::state::gen::execOneOfWithArgs<DeliverAll, DeliverAll, DeliverAll, DeliverAll, DeliverSome,
                                        DeliverSome, DeliverSome, SendMessage, SendMessage,
                                        SendMessage, CloseSide, DropItem, DuplicateItem,
                                        CorruptItem, AdvanceTime, TimeOut>());
  RC_TAG(std::string(sut.conns[0].state_name()), std::string(sut.conns[1].state_name()));
}

}  // namespace
}  // namespace p2pnet::testing
