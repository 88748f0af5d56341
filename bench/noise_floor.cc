// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// noise_floor.cc: protocol v2's handshake through the engine's Noise core, and the same
// handshake written straight on libsodium, as the floor (noise_floor.h).
#include "noise_floor.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "p2pnet/errors.h"
#include "p2pnet/internal/noise/cipher_state.h"
#include "p2pnet/internal/noise/protocol.h"

namespace p2pnet::bench {
namespace {

constexpr std::string_view kProtocolName = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
// protocol-v2 section 1: "P2PNet-v2" and an empty application prologue.
constexpr std::array<std::uint8_t, 9> kPrologue = {'P', '2', 'P', 'N', 'e', 't', '-', 'v', '2'};
constexpr std::size_t kHashLen = 64;
constexpr std::size_t kBlockLen = 128;

std::span<const std::uint8_t> prologue_bytes() { return kPrologue; }

// v2's check of an identity payload: 32 bytes, converting to the Noise remote static.
bool identity_matches(std::span<const std::uint8_t> payload, ByteSpan remote_static) {
  std::array<std::uint8_t, 32> converted{};
  return payload.size() == crypto_sign_PUBLICKEYBYTES && remote_static.size() == 32 &&
         crypto_sign_ed25519_pk_to_curve25519(converted.data(), payload.data()) == 0 &&
         sodium_memcmp(converted.data(), remote_static.data(), 32) == 0;
}

// --- The floor: one side of Noise XX, straight on libsodium --------------------------

using Block = std::array<std::uint8_t, kHashLen>;

void blake2b(Block* out, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  crypto_generichash_blake2b_state state;
  crypto_generichash_blake2b_init(&state, nullptr, 0, kHashLen);
  crypto_generichash_blake2b_update(&state, a.data(), a.size());
  crypto_generichash_blake2b_update(&state, b.data(), b.size());
  crypto_generichash_blake2b_final(&state, out->data(), kHashLen);
}

// hmac: HMAC-BLAKE2b(key, a || b), RFC 2104 over the 128-byte block.
void hmac(Block* out, std::span<const std::uint8_t> key, std::span<const std::uint8_t> a,
          std::span<const std::uint8_t> b = {}) {
  std::array<std::uint8_t, kBlockLen> pad{};
  std::copy(key.begin(), key.end(), pad.begin());
  for (std::uint8_t& byte : pad) byte ^= 0x36;
  crypto_generichash_blake2b_state state;
  crypto_generichash_blake2b_init(&state, nullptr, 0, kHashLen);
  crypto_generichash_blake2b_update(&state, pad.data(), pad.size());
  crypto_generichash_blake2b_update(&state, a.data(), a.size());
  crypto_generichash_blake2b_update(&state, b.data(), b.size());
  Block inner{};
  crypto_generichash_blake2b_final(&state, inner.data(), kHashLen);
  for (std::uint8_t& byte : pad) byte ^= 0x36 ^ 0x5c;
  blake2b(out, pad, inner);
  sodium_memzero(pad.data(), pad.size());
  sodium_memzero(inner.data(), inner.size());
}

struct FloorSide {
  Block ck{};
  Block h{};
  std::array<std::uint8_t, 32> k{};
  std::uint64_t n = 0;
  bool has_k = false;
  std::array<std::uint8_t, 32> e_private{}, e_public{}, re{}, rs{};

  FloorSide() {
    std::copy(kProtocolName.begin(), kProtocolName.end(), h.begin());
    ck = h;
    mix_hash(prologue_bytes());
  }
  void mix_hash(std::span<const std::uint8_t> data) { blake2b(&h, h, data); }
  // mix_key: ck, k = HKDF(ck, dh, 2): three HMACs.
  void mix_key(std::span<const std::uint8_t> ikm) {
    Block temp{}, out1{}, out2{};
    hmac(&temp, ck, ikm);
    const std::array<std::uint8_t, 1> one = {1}, two = {2};
    hmac(&out1, temp, one);
    hmac(&out2, temp, out1, two);
    ck = out1;
    std::copy_n(out2.begin(), k.size(), k.begin());
    n = 0;
    has_k = true;
  }
  void dh(const std::array<std::uint8_t, 32>& private_key,
          const std::array<std::uint8_t, 32>& public_key) {
    std::array<std::uint8_t, 32> shared{};
    if (crypto_scalarmult(shared.data(), private_key.data(), public_key.data()) != 0) return;
    mix_key(shared);
    sodium_memzero(shared.data(), shared.size());
  }
  std::array<std::uint8_t, 12> nonce() const {
    std::array<std::uint8_t, 12> out{};
    for (std::size_t i = 0; i < 8; ++i) out.at(4 + i) = static_cast<std::uint8_t>(n >> (8 * i));
    return out;
  }
  // encrypt_and_hash into |out| (plaintext size + 16).
  void encrypt_and_hash(std::span<std::uint8_t> out, std::span<const std::uint8_t> plaintext) {
    unsigned long long written = 0;
    const auto iv = nonce();
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, plaintext.data(),
                                              plaintext.size(), h.data(), h.size(), nullptr,
                                              iv.data(), k.data());
    ++n;
    mix_hash(out.first(written));
  }
  bool decrypt_and_hash(std::span<std::uint8_t> out, std::span<const std::uint8_t> ciphertext) {
    unsigned long long written = 0;
    const auto iv = nonce();
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &written, nullptr, ciphertext.data(),
                                                  ciphertext.size(), h.data(), h.size(), iv.data(),
                                                  k.data()) != 0) {
      return false;
    }
    ++n;
    mix_hash(ciphertext);
    return true;
  }
  void generate_ephemeral() {
    randombytes_buf(e_private.data(), e_private.size());
    crypto_scalarmult_base(e_public.data(), e_private.data());
  }
  // split: HKDF(ck, empty, 2): three HMACs.
  void split(Block* k1, Block* k2) {
    Block temp{};
    const std::array<std::uint8_t, 1> one = {1}, two = {2};
    hmac(&temp, ck, {});
    hmac(k1, temp, one);
    hmac(k2, temp, *k1, two);
  }
};

}  // namespace

NoiseIdentities::NoiseIdentities() {
  for (std::size_t i = 0; i < 2; ++i) {
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
    crypto_sign_keypair(ed25519_public.at(i).data(), secret.data());
    crypto_sign_ed25519_sk_to_curve25519(static_private.at(i).data(), secret.data());
    noise::dh_public_key(&static_public.at(i), static_private.at(i));
    sodium_memzero(secret.data(), secret.size());
  }
}

bool noise_xx_engine(const NoiseIdentities& ids) {
  std::array<noise::HandshakeState, 2> sides;  // [0] client (initiator), [1] server
  for (std::size_t i = 0; i < 2; ++i) {
    noise::HandshakeConfig config;
    if (noise::parse_protocol_name(&config.protocol, kProtocolName) != Error::kNone) return false;
    config.role = i == 0 ? noise::Role::kInitiator : noise::Role::kResponder;
    config.prologue = prologue_bytes();
    config.static_key = &ids.static_private.at(i);
    config.static_public_key = &ids.static_public.at(i);  // converted once, as v2 does
    if (sides.at(i).initialize(config) != Error::kNone) return false;
  }
  // The three messages with v2's payloads: empty, the server's identity, the client's.
  std::array<std::uint8_t, 128> message{};
  std::array<std::uint8_t, 64> payload{};
  const std::array<std::span<const std::uint8_t>, 3> payloads = {
      std::span<const std::uint8_t>(), ids.ed25519_public[1], ids.ed25519_public[0]};
  for (std::size_t index = 0; index < 3; ++index) {
    noise::HandshakeState& writer = sides.at(index % 2);
    noise::HandshakeState& reader = sides.at(1 - index % 2);
    std::size_t size = 0;
    std::size_t payload_size = 0;
    if (writer.write_message(&size, message, payloads.at(index)) != Error::kNone ||
        reader.read_message(&payload_size, payload, std::span(message).first(size)) !=
            Error::kNone) {
      return false;
    }
    if (index > 0 &&
        !identity_matches(std::span(payload).first(payload_size), reader.remote_static())) {
      return false;
    }
  }
  std::array<noise::CipherState, 2> send, receive;
  for (std::size_t i = 0; i < 2; ++i) {
    if (sides.at(i).split(&send.at(i), &receive.at(i)) != Error::kNone) return false;
  }
  return std::ranges::equal(sides[0].handshake_hash(), sides[1].handshake_hash());
}

bool noise_xx_floor(const NoiseIdentities& ids) {
  std::array<FloorSide, 2> sides;  // [0] client, [1] server
  FloorSide& client = sides[0];
  FloorSide& server = sides[1];
  std::array<std::uint8_t, 32> client_s{}, server_s{};
  std::copy(ids.static_private[0].bytes().begin(), ids.static_private[0].bytes().end(),
            client_s.begin());
  std::copy(ids.static_private[1].bytes().begin(), ids.static_private[1].bytes().end(),
            server_s.begin());
  std::array<std::uint8_t, 48> s_box{};
  std::array<std::uint8_t, 48> payload_box{};
  std::array<std::uint8_t, 32> opened{};

  // -> e (empty payload, no key: MixHash of it)
  client.generate_ephemeral();
  client.mix_hash(client.e_public);
  client.mix_hash({});
  server.re = client.e_public;
  server.mix_hash(server.re);
  server.mix_hash({});

  // <- e, ee, s, es (payload: the server's identity)
  server.generate_ephemeral();
  server.mix_hash(server.e_public);
  server.dh(server.e_private, server.re);
  server.encrypt_and_hash(s_box, ids.static_public[1]);
  server.dh(server_s, server.re);
  server.encrypt_and_hash(payload_box, ids.ed25519_public[1]);
  client.re = server.e_public;
  client.mix_hash(client.re);
  client.dh(client.e_private, client.re);
  if (!client.decrypt_and_hash(opened, s_box)) return false;
  client.rs = opened;
  client.dh(client.e_private, client.rs);
  if (!client.decrypt_and_hash(opened, payload_box) || !identity_matches(opened, client.rs)) {
    return false;
  }

  // -> s, se (payload: the client's identity)
  client.encrypt_and_hash(s_box, ids.static_public[0]);
  client.dh(client_s, client.re);
  client.encrypt_and_hash(payload_box, ids.ed25519_public[0]);
  if (!server.decrypt_and_hash(opened, s_box)) return false;
  server.rs = opened;
  server.dh(server.e_private, server.rs);
  if (!server.decrypt_and_hash(opened, payload_box) || !identity_matches(opened, server.rs)) {
    return false;
  }

  std::array<Block, 2> client_keys{}, server_keys{};
  client.split(&client_keys[0], &client_keys[1]);
  server.split(&server_keys[0], &server_keys[1]);
  bool agree = sodium_memcmp(client_keys[0].data(), server_keys[0].data(), 32) == 0 &&
               sodium_memcmp(client.h.data(), server.h.data(), kHashLen) == 0;
  for (FloorSide& side : sides) {
    sodium_memzero(side.ck.data(), side.ck.size());
    sodium_memzero(side.k.data(), side.k.size());
    sodium_memzero(side.e_private.data(), side.e_private.size());
  }
  sodium_memzero(client_s.data(), client_s.size());
  sodium_memzero(server_s.data(), server_s.size());
  return agree;
}

}  // namespace p2pnet::bench
