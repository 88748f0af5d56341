// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// raw_aead.h: the floor for one transport message. Seal a message the way protocol-v1
// frames it (4-byte big-endian length as associated data, nonce = 4 zero bytes ||
// little-endian counter) and open it again, with the bare calls of one library and
// nothing else: libsodium's detached ChaCha20-Poly1305-IETF, or OpenSSL 3's EVP with
// one context per direction whose key is set once (the least EVP needs per message:
// nonce, associated data, update, final, tag). The engine's transport benchmarks and
// instruction counts are compared with this.
#ifndef P2PNET_BENCH_RAW_AEAD_H_
#define P2PNET_BENCH_RAW_AEAD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace p2pnet::bench {

enum class AeadLibrary : std::uint8_t { kSodium, kOpenSsl };

const char* aead_library_name(AeadLibrary library);

class RawAead {
 public:
  RawAead(AeadLibrary library, std::size_t message_size);
  ~RawAead();
  RawAead(const RawAead&) = delete;
  RawAead& operator=(const RawAead&) = delete;

  // round_trip seals the message into a frame and opens it; false if opening failed
  // or the library refused a call.
  bool round_trip();

 private:
  bool seal();
  bool open();

  AeadLibrary library_;
  std::size_t size_;
  std::uint8_t key_[32];
  std::vector<std::uint8_t> message_, frame_, opened_;
  std::uint64_t send_counter_ = 0, receive_counter_ = 0;
  void* seal_context_ = nullptr;  // EVP_CIPHER_CTX*, OpenSSL only
  void* open_context_ = nullptr;
};

}  // namespace p2pnet::bench

#endif  // P2PNET_BENCH_RAW_AEAD_H_
