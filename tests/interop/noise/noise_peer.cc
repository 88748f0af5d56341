// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// noise_peer.cc: the engine's Noise core (engine/src/noise) as a peer of the interop
// harness, speaking the line protocol of docs/interop.md on standard input and output:
// one JSON request per line, one JSON answer per line. It serves many sessions at once,
// so one process plays a whole run of interop.py.
//
// The peer uses the core the way a user would: the protocol name is parsed by
// parse_protocol_name (the core's pattern table, not the harness's tokens), keys go in
// through HandshakeConfig, and transport messages through the CipherStates of split.
// The case's ephemeral private key is handed over as HandshakeConfig::ephemeral_key.
#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hex.h"
#include "p2pnet/errors.h"
#include "p2pnet/internal/noise/algorithms.h"
#include "p2pnet/internal/noise/cipher_state.h"
#include "p2pnet/internal/noise/dh.h"
#include "p2pnet/internal/noise/handshake_state.h"
#include "p2pnet/internal/noise/pattern.h"
#include "p2pnet/internal/noise/protocol.h"

namespace {

using nlohmann::json;
using p2pnet::Error;
namespace noise = p2pnet::noise;
using p2pnet::testing::from_hex;
using p2pnet::testing::to_hex;

// A request the peer cannot serve; the answer is {"ok": false, "error": what()}.
struct Refused : std::exception {
  explicit Refused(std::string text) : message(std::move(text)) {}
  const char* what() const noexcept override { return message.c_str(); }
  std::string message;
};

void check(Error error, const char* what) {
  if (error != Error::kNone) {
    throw Refused(std::string(what) + ": " + std::string(p2pnet::error_name(error)));
  }
}

std::vector<std::uint8_t> bytes_of(const json& request, const char* key) {
  std::optional<std::vector<std::uint8_t>> bytes = from_hex(request.at(key).get<std::string>());
  if (!bytes) throw Refused(std::string("bad hex in ") + key);
  return *bytes;
}

template <std::size_t N>
void load_secret(p2pnet::Secret<N>* out, const std::vector<std::uint8_t>& bytes) {
  if (bytes.size() != N) throw Refused("a key of the wrong size");
  std::copy(bytes.begin(), bytes.end(), out->bytes().begin());
}

struct Session {
  noise::HandshakeState handshake;
  noise::CipherState send;
  noise::CipherState receive;
  noise::DhPrivateKey static_key;
  noise::DhPrivateKey ephemeral_key;
  std::vector<std::uint8_t> remote_static;
  std::vector<std::uint8_t> prologue;
  std::vector<noise::Psk> psks;
  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(noise::kMaxMessageLen);

  void init(const json& request) {
    noise::HandshakeConfig config;
    check(noise::parse_protocol_name(&config.protocol, request.at("protocol").get<std::string>()),
          "parse_protocol_name");
    config.role =
        request.at("initiator").get<bool>() ? noise::Role::kInitiator : noise::Role::kResponder;
    prologue = bytes_of(request, "prologue");
    config.prologue = prologue;
    load_secret(&ephemeral_key, bytes_of(request, "e"));
    config.ephemeral_key = &ephemeral_key;
    if (request.contains("s")) {
      load_secret(&static_key, bytes_of(request, "s"));
      config.static_key = &static_key;
    }
    if (request.contains("rs")) {
      remote_static = bytes_of(request, "rs");
      config.remote_static = remote_static;
    }
    for (const json& psk : request.at("psks")) {
      std::optional<std::vector<std::uint8_t>> bytes = from_hex(psk.get<std::string>());
      if (!bytes) throw Refused("bad hex in psks");
      psks.emplace_back();
      load_secret(&psks.back(), *bytes);
    }
    config.psks = psks;
    check(handshake.initialize(config), "initialize");
  }

  void finish(json* answer) {
    bool done = handshake.status() == noise::HandshakeStatus::kComplete;
    (*answer)["done"] = done;
    if (done) {
      check(handshake.split(&send, &receive), "split");
      (*answer)["h"] = to_hex(handshake.handshake_hash());
    }
  }

  json write(const json& request) {
    std::vector<std::uint8_t> payload = bytes_of(request, "payload");
    std::size_t written = 0;
    check(handshake.write_message(&written, buffer, payload), "write_message");
    json answer = {{"ok", true}, {"message", to_hex(std::span(buffer).first(written))}};
    finish(&answer);
    return answer;
  }

  json read(const json& request) {
    std::vector<std::uint8_t> message = bytes_of(request, "message");
    std::size_t payload_size = 0;
    check(handshake.read_message(&payload_size, buffer, message), "read_message");
    json answer = {{"ok", true}, {"payload", to_hex(std::span(buffer).first(payload_size))}};
    finish(&answer);
    return answer;
  }

  json encrypt(const json& request) {
    std::vector<std::uint8_t> payload = bytes_of(request, "payload");
    std::size_t written = 0;
    check(send.encrypt_with_ad(&written, buffer, {}, payload), "encrypt_with_ad");
    return {{"ok", true}, {"message", to_hex(std::span(buffer).first(written))}};
  }

  json decrypt(const json& request) {
    std::vector<std::uint8_t> message = bytes_of(request, "message");
    std::size_t written = 0;
    check(receive.decrypt_with_ad(&written, buffer, {}, message), "decrypt_with_ad");
    return {{"ok", true}, {"payload", to_hex(std::span(buffer).first(written))}};
  }

  json rekey(const json& request) {
    check(request.at("which").get<std::string>() == "send" ? send.rekey() : receive.rekey(),
          "rekey");
    return {{"ok", true}};
  }
};

json hello() {
  json patterns = json::array();
  for (const noise::Pattern& pattern : noise::pattern_table()) {
    patterns.push_back(std::string(pattern.name()));
  }
  json ciphers = json::array();
  for (noise::CipherKind kind : {noise::CipherKind::kChaChaPoly, noise::CipherKind::kAesGcm}) {
    if (noise::cipher_available(kind)) ciphers.push_back(std::string(noise::cipher_name(kind)));
  }
  json hashes = json::array();
  for (noise::HashKind kind : {noise::HashKind::kSha256, noise::HashKind::kSha512,
                               noise::HashKind::kBlake2s, noise::HashKind::kBlake2b}) {
    if (noise::hash_available(kind)) hashes.push_back(std::string(noise::hash_name(kind)));
  }
  return {{"ok", true},
          {"name", "engine"},
          {"patterns", patterns},
          {"ciphers", ciphers},
          {"hashes", hashes},
          {"max_psks", noise::kMaxPsks},
          {"distinct_psks", true},
          {"psk0_with_psk1", true},
          {"max_psk_placement", noise::kMaxMessages},
          {"rekey", true}};
}

json serve(std::map<int, std::unique_ptr<Session>>* sessions, const json& request) {
  const std::string op = request.at("op").get<std::string>();
  if (op == "hello") return hello();
  const int id = request.at("id").get<int>();
  if (op == "init") {
    auto session = std::make_unique<Session>();
    session->init(request);
    (*sessions)[id] = std::move(session);
    return {{"ok", true}};
  }
  if (op == "close") {
    sessions->erase(id);
    return {{"ok", true}};
  }
  auto found = sessions->find(id);
  if (found == sessions->end()) throw Refused("no session " + std::to_string(id));
  Session& session = *found->second;
  if (op == "write") return session.write(request);
  if (op == "read") return session.read(request);
  if (op == "encrypt") return session.encrypt(request);
  if (op == "decrypt") return session.decrypt(request);
  if (op == "rekey") return session.rekey(request);
  throw Refused("unsupported op " + op);
}

}  // namespace

int main() {
  try {
    std::ios::sync_with_stdio(false);
    std::map<int, std::unique_ptr<Session>> sessions;
    std::string line;
    while (std::getline(std::cin, line)) {
      json answer;
      try {
        answer = serve(&sessions, json::parse(line));
      } catch (const std::exception& error) {  // Refused, or a malformed request
        answer = {{"ok", false}, {"error", error.what()}};
      }
      // An error text that is not UTF-8 cannot be dumped as is: replace its bytes.
      std::cout << answer.dump(-1, ' ', false, json::error_handler_t::replace) << '\n'
                << std::flush;
    }
    return 0;
  } catch (const std::exception& error) {  // out of memory, or a broken stdout
    std::cerr << "noise_interop_peer: " << error.what() << '\n';
    return 1;
  }
}
