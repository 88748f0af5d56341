// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The libp2p Noise secure channel (libp2p_connection.h, docs/libp2p.md).
//
// Theory of operation. Every transition lives in this file. A connection is in one
// Libp2pState; handle_bytes runs the state's step on the input until the input is
// used up, an event waits to be pulled (a chunk of data), or the connection failed:
//   kNegotiating  multistream-select 1.0. The dialer sends its header and "/noise" at
//                 once and expects the listener's header, then "/noise" (go on) or
//                 "na" (kProtocolNotSupported). The listener sends its header at once,
//                 expects the dialer's header, then answers each proposal: "/noise" is
//                 echoed and the handshake starts; anything else gets "na", at most
//                 kMaxRefusedProposals times.
//   kHandshake    Noise XX, each message behind a 2-byte big-endian length:
//                 -> e;  <- e, ee, s, es + payload;  -> s, se + payload.
//                 A received payload is verified before anything else happens: the
//                 identity key must be the canonical Ed25519 PublicKey protobuf, the
//                 signature over "noise-libp2p-static-key:" || the Noise static key
//                 must verify, and the peer must be the expected one (dialer) or on
//                 the allow-list (listener). The first message's payload is ignored
//                 (libp2p sends none; the spec forbids processing early data).
//   kEstablished  transport messages, each behind the same 2-byte length, hold
//                 the stream's bytes; each decrypted message is one kData event, and
//                 handle_bytes stops after it until the event is pulled.
//   kPeerEnded    the input ended between messages: reported, and sending goes on.
//   kFailed       terminal; every key and buffer of plaintext is wiped.
#include <sodium.h>

#include <algorithm>
#include <new>

#include "p2pnet/internal/byte_buffer.h"
#include "p2pnet/internal/bytes.h"
#include "p2pnet/internal/libp2p/handshake_payload.h"
#include "p2pnet/internal/libp2p/key_protobuf.h"
#include "p2pnet/internal/libp2p/multistream.h"
#include "p2pnet/internal/noise/cipher_state.h"
#include "p2pnet/internal/noise/handshake_state.h"
#include "p2pnet/internal/noise/protocol.h"
#include "p2pnet/libp2p_connection.h"

namespace p2pnet {
namespace {

constexpr std::string_view kSignaturePrefix = "noise-libp2p-static-key:";
constexpr std::size_t kFrameHeader = 2;
constexpr std::size_t kMaxFrame = kFrameHeader + kLibp2pMaxNoiseMessage;
constexpr std::size_t kMaxRefusedProposals = 8;
// Our payload: the 36-byte key protobuf, the 64-byte signature, 16 muxers of 256.
constexpr std::size_t kMaxOwnPayload = 2 + libp2p::kPublicKeyProtobufSize + 2 + kSignatureSize + 4 +
                                       kLibp2pMaxStreamMuxers * (3 + kLibp2pMaxStreamMuxerSize);
static_assert(kMaxOwnPayload < kLibp2pMaxChunk - 64, "our payload fits one Noise message");

ByteSpan text_bytes(std::string_view text) {
  return ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace

struct Libp2pConnection::Impl {
  // --- configuration (borrowed as Libp2pConfig says) ---
  Libp2pRole role = Libp2pRole::kDialer;
  const Identity* identity = nullptr;
  const Libp2pStaticKey* static_key = nullptr;
  std::optional<PublicKey> expected_peer;
  std::span<const PublicKey> allowed_peers;
  std::span<const std::string_view> muxers;
  std::size_t max_pending_output = 0;
  RandomSource* random = nullptr;
  Instant deadline{};

  // --- state ---
  Libp2pState state = Libp2pState::kNegotiating;
  Error error = Error::kNone;
  bool header_seen = false;  // multistream-select: the peer's header arrived
  std::size_t refused = 0;   // listener: proposals answered "na"
  bool closed = false;       // close() was called
  bool complete_pending = false;
  bool ended_pending = false;
  std::optional<ByteSpan> data_pending;

  noise::HandshakeState handshake;
  noise::CipherState send_cipher;
  noise::CipherState receive_cipher;
  std::array<std::uint8_t, noise::kMaxHashLen> hash{};
  std::size_t hash_size = 0;
  PublicKey peer;
  bool have_peer = false;
  std::array<std::uint8_t, kLibp2pMaxStreamMuxerSize> muxer{};
  std::size_t muxer_size = 0;

  // --- buffers ---
  // The message being assembled from the input (multistream-select or Noise).
  std::array<std::uint8_t, kMaxFrame> frame{};
  std::size_t frame_size = 0;
  // Decrypted bytes: a handshake payload, or the data of the last kData event.
  std::array<std::uint8_t, kLibp2pMaxNoiseMessage> plain{};
  // Encrypted output: pending bytes are output[out_begin, out_end).
  ByteBuffer output;
  std::size_t out_begin = 0;
  std::size_t out_end = 0;

  ~Impl() { wipe(); }

  void wipe() {
    sodium_memzero(plain.data(), plain.size());
    sodium_memzero(frame.data(), frame.size());
    send_cipher.disable();
    receive_cipher.disable();
    handshake = noise::HandshakeState();
    data_pending.reset();
  }

  Error fail(Error e) {
    if (state == Libp2pState::kFailed) return error;
    state = Libp2pState::kFailed;
    error = e;
    complete_pending = false;
    ended_pending = false;
    wipe();
    output.release();
    out_begin = out_end = 0;
    return error;
  }

  // --- output ---
  std::size_t pending() const { return out_end - out_begin; }

  // reserve_output returns |n| bytes of room at the end of the output, or an empty
  // span when the bound or the allocator refuses (|*error| says which).
  MutableByteSpan reserve_output(std::size_t n, Error* why) {
    if (pending() + n > max_pending_output) {
      *why = Error::kSendBufferFull;
      return {};
    }
    if (output.capacity() - out_end < n) {
      // Move what is pending to the front, then grow if that is not enough.
      const std::size_t size = pending();
      if (out_begin != 0 && size != 0) {
        const MutableByteSpan all = output.bytes();
        std::copy(all.begin() + static_cast<std::ptrdiff_t>(out_begin),
                  all.begin() + static_cast<std::ptrdiff_t>(out_end), all.begin());
      }
      out_begin = 0;
      out_end = size;
      if (output.capacity() - out_end < n) {
        const std::size_t want =
            std::min(max_pending_output, std::max(size + n, 2 * output.capacity()));
        if (!output.reserve(want, size)) {
          *why = Error::kOutOfMemory;
          return {};
        }
      }
    }
    return output.bytes().subspan(out_end, n);
  }

  bool queue_bytes(ByteSpan bytes) {
    Error why = Error::kNone;
    const MutableByteSpan room = reserve_output(bytes.size(), &why);
    if (room.size() != bytes.size()) return false;
    std::ranges::copy(bytes, room.begin());
    out_end += bytes.size();
    return true;
  }

  bool queue_multistream(std::string_view text) {
    std::array<std::uint8_t, libp2p::kMaxMultistreamEncoded> bytes{};
    ByteWriter writer(bytes);
    return libp2p::write_multistream_message(writer, text) && queue_bytes(writer.result());
  }

  // --- the handshake ---
  Error start(const Libp2pConfig& config) {
    noise::HandshakeConfig hs;
    if (noise::parse_protocol_name(&hs.protocol, kLibp2pNoiseProtocolName) != Error::kNone) {
      return fail(Error::kInternalError);
    }
    hs.role = role == Libp2pRole::kDialer ? noise::Role::kInitiator : noise::Role::kResponder;
    hs.static_key = &Libp2pConnection::static_secret(*config.static_key);
    hs.random = random;
    if (const Error e = handshake.initialize(hs); e != Error::kNone) return fail(e);
    if (config.negotiate) {
      if (!queue_multistream(libp2p::kMultistreamProtocol)) return fail(Error::kOutOfMemory);
      if (role == Libp2pRole::kDialer && !queue_multistream(libp2p::kNoiseProtocol)) {
        return fail(Error::kOutOfMemory);
      }
      return Error::kNone;
    }
    return begin_handshake();
  }

  Error begin_handshake() {
    state = Libp2pState::kHandshake;
    if (role == Libp2pRole::kDialer) return write_handshake_message(false);
    return Error::kNone;
  }

  // write_handshake_message writes the next Noise message, with our signed payload
  // when |with_payload|, behind its length.
  Error write_handshake_message(bool with_payload) {
    std::array<std::uint8_t, kMaxOwnPayload> payload_bytes{};
    std::size_t payload_size = 0;
    if (with_payload) {
      const Error e = write_own_payload(payload_bytes, &payload_size);
      if (e != Error::kNone) return fail(e);
    }
    const ByteSpan payload = ByteSpan(payload_bytes).first(payload_size);
    const std::size_t size = handshake.next_message_size(payload.size());
    Error why = Error::kNone;
    const MutableByteSpan room = reserve_output(kFrameHeader + size, &why);
    if (room.empty()) return fail(why == Error::kSendBufferFull ? Error::kInternalError : why);
    std::size_t written = 0;
    if (const Error e = handshake.write_message(&written, room.subspan(kFrameHeader), payload);
        e != Error::kNone) {
      return fail(e);
    }
    room[0] = static_cast<std::uint8_t>(written >> 8);
    room[1] = static_cast<std::uint8_t>(written);
    out_end += kFrameHeader + written;
    sodium_memzero(payload_bytes.data(), payload_bytes.size());
    return Error::kNone;
  }

  Error write_own_payload(std::span<std::uint8_t> out, std::size_t* size) {
    const libp2p::PublicKeyProtobuf key =
        libp2p::encode_public_key_protobuf(identity->public_key());
    std::array<std::uint8_t, kSignaturePrefix.size() + kLibp2pStaticKeySize> signed_bytes{};
    std::ranges::copy(text_bytes(kSignaturePrefix), signed_bytes.begin());
    std::ranges::copy(static_key->public_key(),
                      signed_bytes.begin() + static_cast<std::ptrdiff_t>(kSignaturePrefix.size()));
    const Signature signature = identity->sign(signed_bytes);
    libp2p::HandshakePayload payload;
    payload.identity_key = key;
    payload.identity_sig = signature;
    payload.has_extensions = true;  // as js-libp2p: present, empty when there is no muxer
    for (const std::string_view name : muxers) {
      payload.stream_muxers[payload.stream_muxer_count++] = text_bytes(name);
    }
    ByteWriter writer(out);
    if (!libp2p::write_handshake_payload(writer, payload)) return Error::kInternalError;
    *size = writer.written();
    return Error::kNone;
  }

  // verify_peer_payload checks the payload that came with the peer's static key.
  Error verify_peer_payload(ByteSpan bytes) {
    const auto payload = libp2p::parse_handshake_payload(bytes);
    if (!payload) return Error::kMalformedMessage;
    const auto key = libp2p::parse_public_key_protobuf(payload->identity_key);
    if (!key) return Error::kAuthenticationFailed;  // not an Ed25519 key we can check
    Signature signature{};
    if (payload->identity_sig.size() != signature.size()) return Error::kAuthenticationFailed;
    std::ranges::copy(payload->identity_sig, signature.begin());
    const ByteSpan remote_static = handshake.remote_static();
    if (remote_static.size() != kLibp2pStaticKeySize) return Error::kInternalError;
    std::array<std::uint8_t, kSignaturePrefix.size() + kLibp2pStaticKeySize> signed_bytes{};
    std::ranges::copy(text_bytes(kSignaturePrefix), signed_bytes.begin());
    std::ranges::copy(remote_static,
                      signed_bytes.begin() + static_cast<std::ptrdiff_t>(kSignaturePrefix.size()));
    if (!verify_signature(*key, signed_bytes, signature)) return Error::kAuthenticationFailed;
    if (role == Libp2pRole::kDialer) {
      if (expected_peer && *expected_peer != *key) return Error::kPeerNotAllowed;
    } else if (!allowed_peers.empty() &&
               std::ranges::find(allowed_peers, *key) == allowed_peers.end()) {
      return Error::kPeerNotAllowed;
    }
    peer = *key;
    have_peer = true;
    choose_muxer(*payload);
    return Error::kNone;
  }

  // choose_muxer: the first of the initiator's muxers that the responder also lists.
  void choose_muxer(const libp2p::HandshakePayload& remote) {
    const std::span<const ByteSpan> theirs =
        std::span(remote.stream_muxers).first(remote.stream_muxer_count);
    const auto pick = [this](ByteSpan name) {
      std::ranges::copy(name, muxer.begin());
      muxer_size = name.size();
    };
    if (role == Libp2pRole::kDialer) {
      for (const std::string_view ours : muxers) {
        for (const ByteSpan name : theirs) {
          if (libp2p::text_equals(name, ours)) return pick(name);
        }
      }
    } else {
      for (const ByteSpan name : theirs) {
        for (const std::string_view ours : muxers) {
          if (libp2p::text_equals(name, ours)) return pick(name);
        }
      }
    }
  }

  Error complete() {
    if (const Error e = handshake.split(&send_cipher, &receive_cipher); e != Error::kNone) {
      return fail(e);
    }
    const ByteSpan h = handshake.handshake_hash();
    std::ranges::copy(h, hash.begin());
    hash_size = h.size();
    state = Libp2pState::kEstablished;
    complete_pending = true;
    return Error::kNone;
  }

  // on_handshake_message handles one whole Noise handshake message.
  Error on_handshake_message(ByteSpan message) {
    if (handshake.status() != noise::HandshakeStatus::kReadMessage) {
      return fail(Error::kMalformedMessage);
    }
    std::size_t payload_size = 0;
    if (const Error e = handshake.read_message(&payload_size, plain, message); e != Error::kNone) {
      return fail(e);
    }
    const ByteSpan payload = ByteSpan(plain).first(payload_size);
    const std::size_t index = handshake.message_index();  // messages done, this one included
    Error result = Error::kNone;
    if (index == 1) {  // listener: -> e; its payload is ignored
      result = write_handshake_message(true);
    } else if (index == 2) {  // dialer: <- e, ee, s, es + payload
      if (const Error e = verify_peer_payload(payload); e != Error::kNone) return fail(e);
      result = write_handshake_message(true);
      if (result == Error::kNone) result = complete();
    } else {  // listener: -> s, se + payload
      if (const Error e = verify_peer_payload(payload); e != Error::kNone) return fail(e);
      result = complete();
    }
    sodium_memzero(plain.data(), payload_size);
    return result;
  }

  // on_multistream_message handles one multistream-select line.
  Error on_multistream_message(ByteSpan text) {
    if (!header_seen) {
      if (!libp2p::text_equals(text, libp2p::kMultistreamProtocol)) {
        return fail(Error::kMalformedMessage);
      }
      header_seen = true;
      return Error::kNone;
    }
    if (role == Libp2pRole::kDialer) {
      if (libp2p::text_equals(text, libp2p::kNoiseProtocol)) return begin_handshake();
      if (libp2p::text_equals(text, libp2p::kNotAvailable)) {
        return fail(Error::kProtocolNotSupported);
      }
      return fail(Error::kMalformedMessage);
    }
    if (libp2p::text_equals(text, libp2p::kNoiseProtocol)) {
      if (!queue_multistream(libp2p::kNoiseProtocol)) return fail(Error::kOutOfMemory);
      return begin_handshake();
    }
    if (++refused > kMaxRefusedProposals) return fail(Error::kMalformedMessage);
    if (!queue_multistream(libp2p::kNotAvailable)) return fail(Error::kOutOfMemory);
    return Error::kNone;
  }

  Error on_transport_message(ByteSpan message) {
    std::size_t size = 0;
    const Error e = receive_cipher.decrypt_with_ad(&size, plain, {}, message);
    if (e == Error::kAuthenticationFailed || e == Error::kMalformedMessage) {
      return fail(Error::kFrameAuthFailed);
    }
    if (e != Error::kNone) return fail(e);
    if (size != 0) data_pending = ByteSpan(plain).first(size);
    return Error::kNone;
  }

  // take_frame moves input into |frame| until one whole message is there; returns how
  // much of |input| it used and sets |*whole| when the message is complete.
  std::size_t take_frame(ByteSpan input, bool* whole) {
    *whole = false;
    std::size_t used = 0;
    if (state == Libp2pState::kNegotiating) {
      // multistream-select: a varint length, then the line; at most kMaxMultistreamEncoded.
      while (used < input.size()) {
        frame[frame_size++] = input[used++];
        ByteSpan text;
        std::size_t consumed = 0;
        const libp2p::DecodeStatus status =
            libp2p::parse_multistream_message(ByteSpan(frame).first(frame_size), &text, &consumed);
        if (status == libp2p::DecodeStatus::kMalformed) {
          fail(Error::kMalformedMessage);
          return used;
        }
        if (status == libp2p::DecodeStatus::kOk) {
          *whole = true;
          return used;
        }
      }
      return used;
    }
    if (frame_size < kFrameHeader) {
      const std::size_t n = std::min(kFrameHeader - frame_size, input.size());
      std::copy_n(input.begin(), n, frame.begin() + static_cast<std::ptrdiff_t>(frame_size));
      frame_size += n;
      used += n;
      if (frame_size < kFrameHeader) return used;
    }
    const std::size_t length = (std::size_t{frame[0]} << 8) | frame[1];
    const std::size_t want = kFrameHeader + length - frame_size;
    const std::size_t n = std::min(want, input.size() - used);
    std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(used), n,
                frame.begin() + static_cast<std::ptrdiff_t>(frame_size));
    frame_size += n;
    used += n;
    *whole = frame_size == kFrameHeader + length;
    return used;
  }

  // on_frame dispatches the whole message in |frame| and empties it.
  void on_frame() {
    const ByteSpan bytes = ByteSpan(frame).first(frame_size);
    switch (state) {
      case Libp2pState::kNegotiating: {
        ByteSpan text;
        std::size_t consumed = 0;
        if (libp2p::parse_multistream_message(bytes, &text, &consumed) ==
            libp2p::DecodeStatus::kOk) {
          (void)on_multistream_message(text);
        }
        break;
      }
      case Libp2pState::kHandshake: (void)on_handshake_message(bytes.subspan(kFrameHeader)); break;
      case Libp2pState::kEstablished:
      case Libp2pState::kPeerEnded: (void)on_transport_message(bytes.subspan(kFrameHeader)); break;
      case Libp2pState::kFailed: break;
    }
    frame_size = 0;
  }

  ReadResult handle_bytes(ByteSpan input, Instant now) {
    if (state == Libp2pState::kFailed) return {0, error};
    if (state != Libp2pState::kEstablished && state != Libp2pState::kPeerEnded && now >= deadline) {
      return {0, fail(Error::kTimeout)};
    }
    if (input.empty()) return {0, end_of_stream()};
    if (state == Libp2pState::kPeerEnded) return {0, fail(Error::kDataAfterClose)};
    std::size_t consumed = 0;
    while (consumed < input.size() && state != Libp2pState::kFailed && !data_pending) {
      bool whole = false;
      consumed += take_frame(input.subspan(consumed), &whole);
      if (whole) on_frame();
    }
    return {consumed, state == Libp2pState::kFailed ? error : Error::kNone};
  }

  Error end_of_stream() {
    switch (state) {
      case Libp2pState::kNegotiating:
      case Libp2pState::kHandshake: return fail(Error::kConnectionClosed);
      case Libp2pState::kEstablished:
        if (frame_size != 0) return fail(Error::kTruncated);
        state = Libp2pState::kPeerEnded;
        ended_pending = true;
        return Error::kNone;
      case Libp2pState::kPeerEnded: return Error::kNone;
      case Libp2pState::kFailed: return error;
    }
    return error;
  }

  Error send(ByteSpan bytes) {
    if (state == Libp2pState::kFailed) return Error::kWrongState;
    if (state != Libp2pState::kEstablished && state != Libp2pState::kPeerEnded) {
      return Error::kWrongState;
    }
    if (closed) return Error::kAlreadyClosed;
    const std::size_t chunks = (bytes.size() + kLibp2pMaxChunk - 1) / kLibp2pMaxChunk;
    const std::size_t total = bytes.size() + chunks * (kFrameHeader + noise::kTagLen);
    if (pending() + total > max_pending_output) return Error::kSendBufferFull;
    Error why = Error::kNone;
    if (reserve_output(total, &why).size() != total)
      return why == Error::kOutOfMemory ? fail(why) : why;
    while (!bytes.empty()) {
      const ByteSpan chunk = bytes.first(std::min(bytes.size(), kLibp2pMaxChunk));
      bytes = bytes.subspan(chunk.size());
      const MutableByteSpan room =
          output.bytes().subspan(out_end, kFrameHeader + chunk.size() + noise::kTagLen);
      std::size_t written = 0;
      const Error e = send_cipher.encrypt_with_ad(&written, room.subspan(kFrameHeader), {}, chunk);
      if (e != Error::kNone) return fail(e);
      room[0] = static_cast<std::uint8_t>(written >> 8);
      room[1] = static_cast<std::uint8_t>(written);
      out_end += kFrameHeader + written;
    }
    return Error::kNone;
  }
};

// --- Libp2pStaticKey ---

std::optional<Libp2pStaticKey> Libp2pStaticKey::generate(RandomSource& random) {
  Secret<kLibp2pStaticKeySize> bytes;
  if (!random.fill(bytes.bytes())) return std::nullopt;
  return from_private_key(bytes.bytes());
}

Libp2pStaticKey Libp2pStaticKey::from_private_key(
    std::span<const std::uint8_t, kLibp2pStaticKeySize> private_key) {
  Libp2pStaticKey key;
  std::ranges::copy(private_key, key.private_.bytes().begin());
  crypto_scalarmult_curve25519_base(key.public_.data(), key.private_.data());
  return key;
}

// --- Libp2pConnection ---

namespace {

bool usable(const Libp2pConfig& config) {
  if (config.identity == nullptr || config.static_key == nullptr ||
      config.stream_muxers.size() > kLibp2pMaxStreamMuxers ||
      config.max_pending_output < kMaxFrame) {
    return false;
  }
  return std::ranges::all_of(config.stream_muxers, [](std::string_view name) {
    return !name.empty() && name.size() <= kLibp2pMaxStreamMuxerSize;
  });
}

}  // namespace

Libp2pConnection::Libp2pConnection(std::unique_ptr<Impl> impl, Error error) noexcept
    : impl_(std::move(impl)), early_error_(error) {}
Libp2pConnection::Libp2pConnection(Libp2pConnection&&) noexcept = default;
Libp2pConnection& Libp2pConnection::operator=(Libp2pConnection&&) noexcept = default;
Libp2pConnection::~Libp2pConnection() = default;

namespace {

Libp2pConfig with_role(const Libp2pConfig& config, Libp2pRole role) {
  Libp2pConfig out = config;
  out.role = role;
  return out;
}

}  // namespace

Libp2pConnection Libp2pConnection::make(const Libp2pConfig& config, Libp2pRole role,
                                        Instant now) noexcept {
  const Libp2pConfig c = with_role(config, role);
  if (!usable(c)) return Libp2pConnection(nullptr, Error::kInvalidArgument);
  std::unique_ptr<Impl> impl(new (std::nothrow) Impl());
  if (!impl) return Libp2pConnection(nullptr, Error::kOutOfMemory);
  impl->role = c.role;
  impl->identity = c.identity;
  impl->static_key = c.static_key;
  impl->expected_peer = c.expected_peer;
  impl->allowed_peers = c.allowed_peers;
  impl->muxers = c.stream_muxers;
  impl->max_pending_output = c.max_pending_output;
  impl->random = c.random != nullptr ? c.random : &system_random();
  impl->deadline = saturating_add(now, c.handshake_timeout);
  (void)impl->start(c);
  return Libp2pConnection(std::move(impl), Error::kNone);
}

Libp2pConnection Libp2pConnection::dialer(const Libp2pConfig& config, Instant now) noexcept {
  return make(config, Libp2pRole::kDialer, now);
}

Libp2pConnection Libp2pConnection::listener(const Libp2pConfig& config, Instant now) noexcept {
  return make(config, Libp2pRole::kListener, now);
}

ReadResult Libp2pConnection::handle_bytes(ByteSpan input, Instant now) noexcept {
  if (!impl_) return {0, early_error_};
  // A chunk of data not yet pulled still lives in the plaintext buffer: nothing more is
  // read until it is (poll_event first, as the polling order says).
  if (impl_->data_pending) return {0, impl_->error};
  return impl_->handle_bytes(input, now);
}

std::optional<Libp2pEvent> Libp2pConnection::poll_event() noexcept {
  if (!impl_) return std::nullopt;
  Impl& c = *impl_;
  if (c.complete_pending) {
    c.complete_pending = false;
    return Libp2pEvent{Libp2pEventType::kHandshakeComplete, {}};
  }
  if (c.data_pending) {
    const ByteSpan data = *c.data_pending;
    c.data_pending.reset();
    return Libp2pEvent{Libp2pEventType::kData, data};
  }
  if (c.ended_pending) {
    c.ended_pending = false;
    return Libp2pEvent{Libp2pEventType::kPeerEnded, {}};
  }
  return std::nullopt;
}

std::size_t Libp2pConnection::pending_transmit() const noexcept {
  return impl_ ? impl_->pending() : 0;
}

std::size_t Libp2pConnection::poll_transmit(MutableByteSpan out) noexcept {
  if (!impl_) return 0;
  Impl& c = *impl_;
  const std::size_t n = std::min(out.size(), c.pending());
  const ByteSpan from = c.output.bytes().subspan(c.out_begin, n);
  std::ranges::copy(from, out.begin());
  c.out_begin += n;
  if (c.out_begin == c.out_end) c.out_begin = c.out_end = 0;
  return n;
}

std::optional<Instant> Libp2pConnection::poll_timeout() const noexcept {
  if (!impl_) return std::nullopt;
  switch (impl_->state) {
    case Libp2pState::kNegotiating:
    case Libp2pState::kHandshake: return impl_->deadline;
    case Libp2pState::kEstablished:
    case Libp2pState::kPeerEnded:
    case Libp2pState::kFailed: return std::nullopt;
  }
  return std::nullopt;
}

void Libp2pConnection::handle_timeout(Instant now) noexcept {
  if (!impl_) return;
  if (poll_timeout() && now >= impl_->deadline) (void)impl_->fail(Error::kTimeout);
}

Error Libp2pConnection::send(ByteSpan bytes) noexcept {
  if (!impl_) return early_error_;
  return impl_->send(bytes);
}

Error Libp2pConnection::close() noexcept {
  if (!impl_) return early_error_;
  Impl& c = *impl_;
  if (c.state != Libp2pState::kEstablished && c.state != Libp2pState::kPeerEnded) {
    return Error::kWrongState;
  }
  c.closed = true;
  return Error::kNone;
}

Libp2pState Libp2pConnection::state() const noexcept {
  return impl_ ? impl_->state : Libp2pState::kFailed;
}

std::string_view Libp2pConnection::state_name() const noexcept {
  switch (state()) {
    case Libp2pState::kNegotiating: return "Negotiating";
    case Libp2pState::kHandshake: return "Handshake";
    case Libp2pState::kEstablished: return "Established";
    case Libp2pState::kPeerEnded: return "PeerEnded";
    case Libp2pState::kFailed: return "Failed";
  }
  return "Failed";
}

Error Libp2pConnection::error() const noexcept { return impl_ ? impl_->error : early_error_; }

const PublicKey* Libp2pConnection::peer_identity() const noexcept {
  if (!impl_ || !impl_->have_peer || impl_->state == Libp2pState::kFailed) return nullptr;
  if (impl_->state == Libp2pState::kHandshake) return nullptr;
  return &impl_->peer;
}

std::string_view Libp2pConnection::stream_muxer() const noexcept {
  if (!impl_) return {};
  return std::string_view(reinterpret_cast<const char*>(impl_->muxer.data()), impl_->muxer_size);
}

ByteSpan Libp2pConnection::handshake_hash() const noexcept {
  if (!impl_) return {};
  return ByteSpan(impl_->hash).first(impl_->hash_size);
}

}  // namespace p2pnet
