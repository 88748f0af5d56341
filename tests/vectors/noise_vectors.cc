// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// noise_vectors: runs the public Noise test vectors (tests/vectors/noise/) through the
// engine's Noise core and prints "N passed, N failed, N skipped" with the reason for
// every skip (docs/noise.md, "The vectors"). For each vector with DH 25519: both
// sides are initialized from the vector's keys, prologues and PSKs; every handshake
// message is written by its sender and compared byte for byte, then read by the
// receiver and its payload compared; the handshake hash is compared where the file
// has one; then every transport message is encrypted, compared and decrypted the
// same way. ChaChaPoly transport messages are run through each AEAD backend this
// build has. A vector whose crypto function this build lacks (AESGCM or BLAKE2s
// without libcrypto) is skipped and counted, never passed.
//
// Usage: noise_vectors FILE...   Exit status 0 if nothing failed and something ran.
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "hex.h"
#include "p2pnet/internal/aead.h"
#include "p2pnet/internal/noise/handshake_state.h"

namespace p2pnet {
namespace {

using noise::CipherState;
using noise::HandshakeConfig;
using noise::HandshakeState;
using noise::HandshakeStatus;
using testing::from_hex;
using testing::to_hex;
using Bytes = std::vector<std::uint8_t>;

struct Outcome {
  enum Kind { kPassed, kFailed, kSkipped } kind = kPassed;
  std::string reason;
};

Outcome failed(std::string reason) { return {Outcome::kFailed, std::move(reason)}; }
Outcome skipped(std::string reason) { return {Outcome::kSkipped, std::move(reason)}; }

Bytes hex_field(const nlohmann::json& vector, const char* key) {
  if (!vector.contains(key)) return {};
  return from_hex(vector.at(key).get<std::string>()).value_or(Bytes{});
}

// Side: one party's keys, kept alive while its HandshakeState is initialized.
struct Side {
  std::optional<noise::DhPrivateKey> static_key;
  std::optional<noise::DhPrivateKey> ephemeral_key;
  Bytes remote_static;
  Bytes prologue;
  std::vector<noise::Psk> psks;
};

std::optional<noise::DhPrivateKey> private_key(const Bytes& bytes) {
  if (bytes.size() != noise::kDhLen) return std::nullopt;
  noise::DhPrivateKey key;
  std::ranges::copy(bytes, key.bytes().begin());
  return key;
}

Side side_of(const nlohmann::json& vector, const std::string& prefix) {
  Side side;
  side.static_key = private_key(hex_field(vector, (prefix + "static").c_str()));
  side.ephemeral_key = private_key(hex_field(vector, (prefix + "ephemeral").c_str()));
  side.remote_static = hex_field(vector, (prefix + "remote_static").c_str());
  side.prologue = hex_field(vector, (prefix + "prologue").c_str());
  if (vector.contains(prefix + "psks")) {
    for (const auto& psk : vector.at(prefix + "psks")) {
      const Bytes bytes = from_hex(psk.get<std::string>()).value_or(Bytes{});
      noise::Psk key;
      if (bytes.size() == key.kSize) std::ranges::copy(bytes, key.bytes().begin());
      side.psks.push_back(std::move(key));
    }
  }
  return side;
}

HandshakeConfig config_of(const noise::Protocol& protocol, noise::Role role, const Side& side) {
  HandshakeConfig config;
  config.protocol = protocol;
  config.role = role;
  config.prologue = side.prologue;
  config.static_key = side.static_key ? &*side.static_key : nullptr;
  config.ephemeral_key = side.ephemeral_key ? &*side.ephemeral_key : nullptr;
  config.remote_static = side.remote_static;
  config.psks = side.psks;
  return config;
}

std::string field_error(const char* what, std::size_t index, Error error) {
  return std::string(what) + " of message " + std::to_string(index) + ": " +
         std::string(error_name(error));
}

Outcome run_vector(const nlohmann::json& vector, AeadBackend backend) {
  const std::string name = vector.at("protocol_name").get<std::string>();
  noise::Protocol protocol;
  if (noise::parse_protocol_name(&protocol, name) != Error::kNone) {
    return failed("the protocol name is refused");
  }
  if (!noise::cipher_available(protocol.cipher) || !noise::hash_available(protocol.hash)) {
    return skipped("needs libcrypto (AESGCM or BLAKE2s), not built in");
  }
  const Side init_side = side_of(vector, "init_");
  const Side resp_side = side_of(vector, "resp_");
  HandshakeState initiator;
  HandshakeState responder;
  if (const Error e = initiator.initialize(config_of(protocol, noise::Role::kInitiator, init_side));
      e != Error::kNone) {
    return failed("initiator initialize: " + std::string(error_name(e)));
  }
  if (const Error e = responder.initialize(config_of(protocol, noise::Role::kResponder, resp_side));
      e != Error::kNone) {
    return failed("responder initialize: " + std::string(error_name(e)));
  }

  const auto& messages = vector.at("messages");
  const std::size_t handshake_messages = protocol.pattern.message_count;
  if (messages.size() < handshake_messages) return failed("fewer messages than the pattern has");
  Bytes out(noise::kMaxMessageLen);
  Bytes payload_out(noise::kMaxMessageLen);
  std::size_t index = 0;
  for (; index < handshake_messages; ++index) {
    const Bytes payload = hex_field(messages[index], "payload");
    const Bytes expected = hex_field(messages[index], "ciphertext");
    HandshakeState& sender = index % 2 == 0 ? initiator : responder;
    HandshakeState& receiver = index % 2 == 0 ? responder : initiator;
    std::size_t written = 0;
    if (const Error e = sender.write_message(&written, out, payload); e != Error::kNone) {
      return failed(field_error("write", index, e));
    }
    const Bytes got(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(written));
    if (got != expected) {
      return failed("handshake message " + std::to_string(index) + " differs: " + to_hex(got));
    }
    std::size_t read = 0;
    if (const Error e = receiver.read_message(&read, payload_out, expected); e != Error::kNone) {
      return failed(field_error("read", index, e));
    }
    if (Bytes(payload_out.begin(), payload_out.begin() + static_cast<std::ptrdiff_t>(read)) !=
        payload) {
      return failed("payload " + std::to_string(index) + " differs");
    }
  }
  if (initiator.status() != HandshakeStatus::kComplete ||
      responder.status() != HandshakeStatus::kComplete) {
    return failed("the handshake did not complete");
  }
  if (vector.contains("handshake_hash")) {
    const Bytes expected = hex_field(vector, "handshake_hash");
    const ByteSpan ih = initiator.handshake_hash();
    const ByteSpan rh = responder.handshake_hash();
    if (Bytes(ih.begin(), ih.end()) != expected || Bytes(rh.begin(), rh.end()) != expected) {
      return failed("handshake hash differs");
    }
  }
  CipherState init_send, init_receive, resp_send, resp_receive;
  if (initiator.split(&init_send, &init_receive) != Error::kNone ||
      responder.split(&resp_send, &resp_receive) != Error::kNone) {
    return failed("split");
  }
  for (CipherState* c : {&init_send, &init_receive, &resp_send, &resp_receive}) {
    c->set_aead_backend(backend);
  }
  for (; index < messages.size(); ++index) {
    const bool from_initiator = protocol.pattern.one_way() || index % 2 == 0;
    CipherState& send = from_initiator ? init_send : resp_send;
    CipherState& receive = from_initiator ? resp_receive : init_receive;
    const Bytes payload = hex_field(messages[index], "payload");
    const Bytes expected = hex_field(messages[index], "ciphertext");
    std::size_t written = 0;
    if (const Error e = send.encrypt_with_ad(&written, out, {}, payload); e != Error::kNone) {
      return failed(field_error("encrypt", index, e));
    }
    if (Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(written)) != expected) {
      return failed("transport message " + std::to_string(index) + " differs");
    }
    std::size_t read = 0;
    if (const Error e = receive.decrypt_with_ad(&read, payload_out, {}, expected);
        e != Error::kNone) {
      return failed(field_error("decrypt", index, e));
    }
    if (Bytes(payload_out.begin(), payload_out.begin() + static_cast<std::ptrdiff_t>(read)) !=
        payload) {
      return failed("transport payload " + std::to_string(index) + " differs");
    }
  }
  return {};
}

Outcome run(const nlohmann::json& vector) {
  const std::string name = vector.at("protocol_name").get<std::string>();
  // The DH section: "Noise_<pattern>_<dh>_...".
  const std::size_t first = name.find('_');
  const std::size_t second = name.find('_', first + 1);
  const std::string dh = name.substr(second + 1, name.find('_', second + 1) - second - 1);
  if (dh != "25519") return skipped("DH " + dh + " is not supported (25519 only)");
  Outcome outcome = run_vector(vector, AeadBackend::kSodium);
  // ChaChaPoly transport messages again through the OpenSSL backend, when built in.
  if (outcome.kind == Outcome::kPassed && name.find("_ChaChaPoly_") != std::string::npos &&
      aead_openssl_built_in()) {
    outcome = run_vector(vector, AeadBackend::kOpenSsl);
    if (outcome.kind == Outcome::kFailed) outcome.reason += " (OpenSSL AEAD backend)";
  }
  return outcome;
}

int run_files(std::span<char* const> files) {
  std::size_t passed = 0, failed = 0, skipped = 0;
  std::map<std::string, std::size_t> skip_reasons;
  for (const char* path : files) {
    std::ifstream file(path);
    const nlohmann::json document = nlohmann::json::parse(file, nullptr, false);
    if (document.is_discarded() || !document.contains("vectors")) {
      std::cout << path << ": not a vector file\n";
      return 1;
    }
    for (const auto& vector : document.at("vectors")) {
      const Outcome outcome = run(vector);
      const std::string name = vector.at("protocol_name").get<std::string>();
      switch (outcome.kind) {
        case Outcome::kPassed: ++passed; break;
        case Outcome::kFailed:
          ++failed;
          std::cout << "FAILED " << name << " (" << path << "): " << outcome.reason << "\n";
          break;
        case Outcome::kSkipped:
          ++skipped;
          ++skip_reasons[outcome.reason];
          break;
      }
    }
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  for (const auto& [reason, count] : skip_reasons) {
    std::cout << "  skipped " << count << ": " << reason << "\n";
  }
  return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace
}  // namespace p2pnet

int main(int argc, char** argv) {
  try {
    return p2pnet::run_files(
        std::span<char* const>(argv, static_cast<std::size_t>(argc)).subspan(1));
  } catch (const std::exception& e) {  // a vector file that is not what the format says
    std::cout << "error: " << e.what() << "\n";
    return 1;
  }
}
