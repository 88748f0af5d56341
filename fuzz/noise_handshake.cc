// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target noise_handshake: the engine's Noise core (engine/src/noise) with both
// sides played here, every message in the fuzzer's hands. The input picks the
// pattern (any of the 38), the suite, the psk modifiers, the prologue and every key;
// then, for each handshake message, its payload and what happens to it on the way:
// delivered as written, one bit flipped, truncated, extended, replaced by fuzzer
// bytes, swapped for an earlier message (reorder, replay), or the reader writing out
// of turn. After the handshake, transport messages each way, tampered with the same
// way, and rekeys.
//
// The oracle is what a correct implementation does (docs/fuzzing.md, noise_handshake):
//   - a message delivered as written is accepted with its payload; a run with nothing
//     tampered always completes, both sides with the same handshake hash, and the
//     transport keys work both ways (one way for a one-way pattern);
//   - a changed message that carries encrypted data (a key is set when its payload is
//     processed: after a DH or psk token, or an e token in a psk handshake) is
//     refused; one without any (the first message of NN, XN, IN, ...) is accepted if
//     it is long enough for its tokens, with the bytes after them as its payload, and
//     from then on the sides disagree on h: every later message is refused by its
//     reader (a writer may refuse first, with kAuthenticationFailed, when the changed
//     bytes were a low-order key), so the handshake never completes;
//   - a read on the wrong side is kWrongState; a failed handshake call is terminal: the
//     same error again on the next call, whatever it is;
//   - a changed transport message is refused and leaves the receiving CipherState as it
//     was: the message as written still decrypts after it.
//
// Input layout (a Cursor reads it; past its end every byte is 0, so any input is a
// whole case and a short one a clean run):
//   [pattern] [suite: bit 0 AESGCM, bits 1-2 hash] [psk mask: bit N = pskN]
//   [prologue length % 65] [prologue] [4 x 32 key bytes: s_i, s_r, e_i, e_r]
//   [32 bytes per psk]
//   per handshake message: [payload length] [payload] [fault] [fault arguments]
//   then up to 16 transport steps: [step] [payload length] [payload] [fault] [args]
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "p2pnet/errors.h"
#include "p2pnet/internal/noise/algorithms.h"
#include "p2pnet/internal/noise/cipher_state.h"
#include "p2pnet/internal/noise/dh.h"
#include "p2pnet/internal/noise/handshake_state.h"
#include "p2pnet/internal/noise/pattern.h"
#include "p2pnet/internal/noise/protocol.h"
#include "p2pnet/random.h"
#include "support/fuzz_check.h"

namespace p2pnet::fuzz {
namespace {

using Bytes = std::vector<std::uint8_t>;
using noise::HandshakeStatus;
using noise::Token;

class Cursor {
 public:
  explicit Cursor(std::span<const std::uint8_t> data) : data_(data) {}
  std::uint8_t byte() {
    if (data_.empty()) return 0;
    std::uint8_t value = data_.front();
    data_ = data_.subspan(1);
    return value;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  // bytes: the next |n| bytes, zeros past the end.
  Bytes bytes(std::size_t n) {
    Bytes out(n, 0);
    std::size_t take = std::min(n, data_.size());
    std::copy_n(data_.begin(), take, out.begin());
    data_ = data_.subspan(take);
    return out;
  }
  template <std::size_t N>
  void secret(Secret<N>* out) {
    Bytes b = bytes(N);
    std::copy(b.begin(), b.end(), out->bytes().begin());
  }

 private:
  std::span<const std::uint8_t> data_;
};

enum class Fault : std::uint8_t {
  kNone,
  kFlipBit,    // [u16 bit index]
  kTruncate,   // [u16 new length, below the old]
  kExtend,     // [n] [n bytes]
  kReplace,    // [u16 length % 1024] [bytes]
  kEarlier,    // [i]: an earlier message of the run instead (a reorder or replay)
  kWrongSide,  // handshake: [b] the reader writes (b even) or the writer reads first
               // (b odd), out of turn; transport: the sender decrypts its own message
  kCount,
};

constexpr std::size_t kMaxTransportSteps = 16;

// apply_fault returns what arrives instead of |message|; |*wrong_side| says the
// writer reads it.
Bytes apply_fault(Cursor& in, const Bytes& message, const std::vector<Bytes>& earlier,
                  bool* wrong_side) {
  *wrong_side = false;
  std::uint8_t pick = in.byte();
  // Most inputs deliver most messages: half the fault values mean "none".
  auto fault = static_cast<Fault>(pick < 128 ? 0 : (pick - 128) % static_cast<int>(Fault::kCount));
  Bytes out = message;
  switch (fault) {
    case Fault::kNone: break;
    case Fault::kFlipBit:
      if (!out.empty()) {
        std::size_t bit = in.u16() % (out.size() * 8);
        out.at(bit / 8) ^= static_cast<std::uint8_t>(1U << (bit % 8));
      }
      break;
    case Fault::kTruncate:
      if (!out.empty()) out.resize(in.u16() % out.size());
      break;
    case Fault::kExtend: {
      Bytes extra = in.bytes(1 + in.byte());
      out.insert(out.end(), extra.begin(), extra.end());
      break;
    }
    case Fault::kReplace: out = in.bytes(in.u16() % 1024); break;
    case Fault::kEarlier:
      if (!earlier.empty()) out = earlier.at(in.byte() % earlier.size());
      break;
    case Fault::kWrongSide: *wrong_side = true; break;
    case Fault::kCount: break;
  }
  return out;
}

// keyed: whether message |index| of |pattern| carries encrypted data, i.e. the
// CipherState has a key when its payload is processed (spec sections 5.2 and 9.2).
bool keyed(const noise::Pattern& pattern, std::size_t index) {
  bool psk_mode = pattern.psk_mode();
  for (std::size_t i = 0; i <= index; ++i) {
    for (Token token : pattern.message_span()[i].span()) {
      if (token != Token::kS && (token != Token::kE || psk_mode)) return true;
    }
  }
  return false;
}

// token_bytes: how many bytes the tokens of message |index| take (so a shorter
// message is malformed): 32 per e, 32 per s (48 once a key is set).
std::size_t token_bytes(const noise::Pattern& pattern, std::size_t index) {
  std::size_t size = 0;
  for (Token token : pattern.message_span()[index].span()) {
    if (token == Token::kE) size += noise::kDhLen;
    if (token == Token::kS) size += noise::kDhLen;  // unkeyed: no tag (keyed() is false)
  }
  return size;
}

// EphemeralRandom: fresh ephemeral keys from a DeterministicRandom seeded by the input,
// whose |fail_at|-th draw (1-based; 0: never) fails.
class EphemeralRandom final : public RandomSource {
 public:
  EphemeralRandom(std::uint64_t seed, unsigned fail_at) : random_(seed), fail_at_(fail_at) {}
  bool fill(std::span<std::uint8_t> out) override {
    if (++calls_ == fail_at_) return false;
    return random_.fill(out);
  }
  unsigned calls() const { return calls_; }

 private:
  DeterministicRandom random_;
  unsigned fail_at_;
  unsigned calls_ = 0;
};

// fuzz_name: the input after its first byte as a protocol name. parse_protocol_name
// refuses it, or reads a protocol whose name is exactly those bytes and with which a
// HandshakeState can be made (the table's patterns and psk modifiers are all valid).
void fuzz_name(std::span<const std::uint8_t> data) {
  const std::string name(data.begin(), data.end());
  noise::Protocol protocol;
  if (noise::parse_protocol_name(&protocol, name) != Error::kNone) return;
  noise::ProtocolName written;
  FUZZ_CHECK(noise::protocol_name(&written, protocol) == Error::kNone);
  FUZZ_CHECK(written.view() == name);
  if (!noise::cipher_available(protocol.cipher) || !noise::hash_available(protocol.hash)) return;
  FUZZ_CHECK(noise::check_pattern(protocol.pattern) == noise::PatternCheck::kValid);
}

struct Side {
  noise::HandshakeState handshake;
  noise::CipherState send;
  noise::CipherState receive;
};

void check_terminal(noise::HandshakeState& state, Error error) {
  FUZZ_CHECK(state.status() == HandshakeStatus::kFailed);
  FUZZ_CHECK(state.error() == error);
  std::array<std::uint8_t, 64> buffer{};
  std::size_t size = 0;
  FUZZ_CHECK(state.read_message(&size, buffer, buffer) == error);
  FUZZ_CHECK(state.write_message(&size, buffer, {}) == error);
}

void run(std::span<const std::uint8_t> data) {
  if (!data.empty() && data.front() == 0xff) {
    fuzz_name(data.subspan(1));
    return;
  }
  Cursor in(data);
  const auto table = noise::pattern_table();
  noise::Protocol protocol;
  protocol.pattern = table[in.byte() % table.size()];
  // [suite]: bit 0 AESGCM, bits 1-2 the hash, bit 3 fresh ephemeral keys from a
  // seeded random source instead of the input's, bits 4-5 which draw of it fails
  // (0: none), bit 6 the initiator is given no static key, bit 7 one psk too few.
  std::uint8_t suite = in.byte();
  protocol.cipher = (suite & 1) != 0 && noise::cipher_available(noise::CipherKind::kAesGcm)
                        ? noise::CipherKind::kAesGcm
                        : noise::CipherKind::kChaChaPoly;
  constexpr std::array<noise::HashKind, 4> kHashes = {
      noise::HashKind::kSha256, noise::HashKind::kSha512, noise::HashKind::kBlake2s,
      noise::HashKind::kBlake2b};
  protocol.hash = kHashes.at((suite >> 1) & 3);
  if (!noise::hash_available(protocol.hash)) protocol.hash = noise::HashKind::kBlake2b;
  std::uint8_t mask = in.byte();
  const std::size_t messages = protocol.pattern.message_count;
  for (std::size_t position = 0; position <= messages; ++position) {
    if ((mask >> position) & 1) {
      FUZZ_CHECK(noise::apply_psk_modifier(&protocol.pattern, position) == Error::kNone);
    }
  }
  // The name the choices make, read back by parse_protocol_name: the same protocol.
  noise::ProtocolName name;
  FUZZ_CHECK(noise::protocol_name(&name, protocol) == Error::kNone);
  noise::Protocol parsed;
  FUZZ_CHECK(noise::parse_protocol_name(&parsed, name.view()) == Error::kNone);
  FUZZ_CHECK(parsed.pattern.name() == protocol.pattern.name());
  FUZZ_CHECK(parsed.pattern.message_count == protocol.pattern.message_count);
  for (std::size_t i = 0; i < messages; ++i) {
    FUZZ_CHECK(std::ranges::equal(parsed.pattern.message_span()[i].span(),
                                  protocol.pattern.message_span()[i].span()));
  }
  FUZZ_CHECK(parsed.cipher == protocol.cipher && parsed.hash == protocol.hash);
  Bytes prologue = in.bytes(in.byte() % 65);
  std::array<noise::DhPrivateKey, 2> statics;
  std::array<noise::DhPrivateKey, 2> ephemerals;
  for (auto& key : statics) in.secret(&key);
  for (auto& key : ephemerals) in.secret(&key);
  std::vector<noise::Psk> psks(protocol.pattern.psk_count());
  for (auto& psk : psks) in.secret(&psk);
  std::array<noise::DhPublicKey, 2> static_publics{};
  for (std::size_t i = 0; i < 2; ++i) noise::dh_public_key(&static_publics.at(i), statics.at(i));

  const bool fresh_ephemerals = (suite & 0x08) != 0;
  const unsigned fail_at = (suite >> 4) & 3;
  const bool no_static = (suite & 0x40) != 0;
  const bool psk_short = (suite & 0x80) != 0 && !psks.empty();
  EphemeralRandom random(data.size(), fresh_ephemerals ? fail_at : 0);
  std::array<Side, 2> sides;  // [0] initiator, [1] responder
  for (std::size_t i = 0; i < 2; ++i) {
    noise::HandshakeConfig config;
    config.protocol = protocol;
    config.role = i == 0 ? noise::Role::kInitiator : noise::Role::kResponder;
    config.prologue = prologue;
    config.static_key = no_static && i == 0 ? nullptr : &statics.at(i);
    config.ephemeral_key = fresh_ephemerals ? nullptr : &ephemerals.at(i);
    config.random = &random;
    const noise::MessagePattern& peer_pre =
        i == 0 ? protocol.pattern.responder_premessage : protocol.pattern.initiator_premessage;
    if (std::ranges::find(peer_pre.span(), Token::kS) != peer_pre.span().end()) {
      config.remote_static = static_publics.at(1 - i);
    }
    config.psks = psk_short ? std::span<const noise::Psk>(psks).first(psks.size() - 1)
                            : std::span<const noise::Psk>(psks);
    // Every pattern of the table, with any psk modifiers, is valid: it is refused only
    // for a key the handshake needs and was not given, when the state is made.
    const noise::Pattern& p = protocol.pattern;
    bool needs_static = false;
    const noise::MessagePattern& own_pre = i == 0 ? p.initiator_premessage : p.responder_premessage;
    needs_static = std::ranges::find(own_pre.span(), Token::kS) != own_pre.span().end();
    for (std::size_t m = i; m < messages; m += 2) {
      const auto tokens = p.message_span()[m].span();
      needs_static = needs_static || std::ranges::find(tokens, Token::kS) != tokens.end();
    }
    const bool refused = psk_short || (no_static && i == 0 && needs_static);
    const Error error = sides.at(i).handshake.initialize(config);
    if (refused) {
      FUZZ_CHECK(error == Error::kInvalidArgument);
      FUZZ_CHECK(sides.at(i).handshake.status() == HandshakeStatus::kFailed);
      return;
    }
    FUZZ_CHECK(error == Error::kNone);
  }

  std::vector<Bytes> written;
  Bytes buffer(noise::kMaxMessageLen);
  bool diverged = false;
  for (std::size_t index = 0; index < messages; ++index) {
    Side& writer = sides.at(index % 2);
    Side& reader = sides.at(1 - index % 2);
    FUZZ_CHECK(writer.handshake.status() == HandshakeStatus::kWriteMessage);
    FUZZ_CHECK(reader.handshake.status() == HandshakeStatus::kReadMessage);
    Bytes payload = in.bytes(in.byte());
    const std::size_t expected_size = writer.handshake.next_message_size(payload.size());
    std::size_t size = 0;
    const unsigned draws = random.calls();
    Error error = writer.handshake.write_message(&size, buffer, payload);
    if (error != Error::kNone) {
      // A write fails only when its fresh ephemeral key cannot be drawn, or in a
      // diverged handshake: a low-order key the fuzzer slipped into an unencrypted
      // message, met by a DH.
      const bool random_failed = fresh_ephemerals && fail_at > draws && fail_at <= random.calls();
      FUZZ_CHECK((random_failed && error == Error::kRandomFailure) ||
                 (diverged && error == Error::kAuthenticationFailed));
      check_terminal(writer.handshake, error);
      return;
    }
    FUZZ_CHECK(!fresh_ephemerals || fail_at <= draws || fail_at > random.calls());
    FUZZ_CHECK(size == expected_size);
    Bytes message(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size));
    bool wrong_side = false;
    Bytes delivered = apply_fault(in, message, written, &wrong_side);
    written.push_back(message);
    Bytes received(noise::kMaxMessageLen);
    std::size_t received_size = 0;
    if (wrong_side) {
      // Out of turn: the reader writes, or the writer reads; refused, and for good
      // unless the writer is complete (then nothing changes).
      if (in.byte() % 2 == 0) {
        error = reader.handshake.write_message(&size, buffer, payload);
        FUZZ_CHECK(error == Error::kWrongState);
        check_terminal(reader.handshake, error);
        return;
      }
      if (writer.handshake.status() == HandshakeStatus::kComplete) {
        FUZZ_CHECK(writer.handshake.read_message(&received_size, received, delivered) ==
                   Error::kWrongState);
        FUZZ_CHECK(writer.handshake.status() == HandshakeStatus::kComplete);
        wrong_side = false;
        delivered = message;
      } else {
        // Its turn to read the next message: its own message is not that one.
        error = writer.handshake.read_message(&received_size, received, delivered);
        if (error == Error::kNone) {
          // Only if nothing in the next message is encrypted (never: it has ee).
          FUZZ_CHECK(!keyed(protocol.pattern, index + 1));
        } else {
          check_terminal(writer.handshake, error);
        }
        return;
      }
    }
    error = reader.handshake.read_message(&received_size, received, delivered);
    const bool changed = delivered != message;
    if (diverged || (changed && keyed(protocol.pattern, index))) {
      FUZZ_CHECK(error != Error::kNone);
      check_terminal(reader.handshake, error);
      return;
    }
    if (changed) {
      // Nothing encrypted: accepted when long enough for its tokens.
      if (delivered.size() < token_bytes(protocol.pattern, index) ||
          delivered.size() > noise::kMaxMessageLen) {
        FUZZ_CHECK(error == Error::kMalformedMessage);
        check_terminal(reader.handshake, error);
        return;
      }
      FUZZ_CHECK(error == Error::kNone);
      FUZZ_CHECK(received_size == delivered.size() - token_bytes(protocol.pattern, index));
      diverged = true;
      continue;
    }
    FUZZ_CHECK(error == Error::kNone);
    FUZZ_CHECK(received_size == payload.size());
    FUZZ_CHECK(std::equal(payload.begin(), payload.end(), received.begin()));
  }
  FUZZ_CHECK(!diverged);  // a diverged handshake never gets here: its last message fails

  // A clean handshake: both complete with the same h.
  for (Side& side : sides) {
    FUZZ_CHECK(side.handshake.status() == HandshakeStatus::kComplete);
  }
  FUZZ_CHECK(
      std::ranges::equal(sides[0].handshake.handshake_hash(), sides[1].handshake.handshake_hash()));
  FUZZ_CHECK(sides[0].handshake.handshake_hash().size() == noise::hash_len(protocol.hash));
  for (Side& side : sides) {
    FUZZ_CHECK(side.handshake.split(&side.send, &side.receive) == Error::kNone);
  }

  // Transport: [step: bit 0 direction, bit 1 rekey first] [payload] [fault].
  std::array<std::vector<Bytes>, 2> sent;
  for (std::size_t step = 0; step < kMaxTransportSteps; ++step) {
    std::uint8_t what = in.byte();
    std::size_t from = what & 1;
    Side& sender = sides.at(from);
    Side& receiver = sides.at(1 - from);
    Bytes payload = in.bytes(in.byte());
    if (protocol.pattern.one_way() && from == 1) {
      // The responder of a one-way pattern never sends (section 7.4).
      std::size_t size = 0;
      FUZZ_CHECK(sender.send.encrypt_with_ad(&size, buffer, {}, payload) == Error::kWrongState);
      continue;
    }
    if ((what & 2) != 0) {
      FUZZ_CHECK(sender.send.rekey() == Error::kNone);
      FUZZ_CHECK(receiver.receive.rekey() == Error::kNone);
    }
    std::size_t size = 0;
    FUZZ_CHECK(sender.send.encrypt_with_ad(&size, buffer, {}, payload) == Error::kNone);
    FUZZ_CHECK(size == payload.size() + noise::kTagLen);
    Bytes message(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size));
    bool wrong_side = false;
    Bytes delivered = apply_fault(in, message, sent.at(from), &wrong_side);
    sent.at(from).push_back(message);
    Bytes opened(noise::kMaxMessageLen);
    std::size_t opened_size = 0;
    if (wrong_side) {
      // Its own receive key is not its send key (and is disabled in a one-way pattern).
      const std::uint64_t nonce = sender.receive.nonce();
      FUZZ_CHECK(sender.receive.decrypt_with_ad(&opened_size, opened, {}, message) != Error::kNone);
      FUZZ_CHECK(sender.receive.nonce() == nonce);
    } else if (delivered != message) {
      const std::uint64_t nonce = receiver.receive.nonce();
      FUZZ_CHECK(receiver.receive.decrypt_with_ad(&opened_size, opened, {}, delivered) !=
                 Error::kNone);
      FUZZ_CHECK(receiver.receive.nonce() == nonce);
    }
    FUZZ_CHECK(receiver.receive.decrypt_with_ad(&opened_size, opened, {}, message) == Error::kNone);
    FUZZ_CHECK(opened_size == payload.size());
    FUZZ_CHECK(std::equal(payload.begin(), payload.end(), opened.begin()));
  }
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  p2pnet::fuzz::run(std::span(data, size));
  return 0;
}
