// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "vector_runner.h"

#include <deque>

#include "p2pnet/internal/connection_test_access.h"

namespace p2pnet::testing {
namespace {

// ScriptedRandom hands out the given byte strings in order, each to one fill() call
// of exactly its size. Any other call fails, so a change in what the engine draws
// shows up as an error instead of silently different vectors.
class ScriptedRandom final : public RandomSource {
 public:
  explicit ScriptedRandom(std::deque<Bytes> script) : script_(std::move(script)) {}
  bool fill(std::span<std::uint8_t> out) override {
    if (script_.empty() || script_.front().size() != out.size()) return false;
    std::copy(script_.front().begin(), script_.front().end(), out.begin());
    script_.pop_front();
    return true;
  }

 private:
  std::deque<Bytes> script_;
};

Bytes take_n(const Bytes& all, std::size_t offset, std::size_t n) {
  if (offset + n > all.size()) return {};
  return Bytes(all.begin() + static_cast<std::ptrdiff_t>(offset),
               all.begin() + static_cast<std::ptrdiff_t>(offset + n));
}

}  // namespace

VectorOutputs run_vector_case(const VectorInputs& in) {
  VectorOutputs out;
  if (in.client_id_seed.size() != 32 || in.server_id_seed.size() != 32) {
    out.error = "identity seeds must be 32 bytes";
    return out;
  }
  const Identity client_identity =
      Identity::from_seed(std::span<const std::uint8_t, 32>(in.client_id_seed.data(), 32));
  const Identity server_identity =
      Identity::from_seed(std::span<const std::uint8_t, 32>(in.server_id_seed.data(), 32));
  // The client draws its ephemeral secret; the server its challenge, then its secret.
  ScriptedRandom client_random({in.client_eph_sk});
  ScriptedRandom server_random({in.challenge, in.server_eph_sk});
  ClientConfig client_config;
  client_config.identity = &client_identity;
  client_config.expected_server = server_identity.public_key();
  client_config.random = &client_random;
  const PublicKey allowed[] = {client_identity.public_key()};
  ServerConfig server_config;
  server_config.identity = &server_identity;
  server_config.allowed_clients = allowed;
  server_config.random = &server_random;

  Pair pair(client_config, server_config);
  pair.drive();
  if (!pair.client.is_established() || !pair.server.is_established()) {
    out.error = "handshake failed: client " + std::string(error_name(pair.client.error())) +
                ", server " + std::string(error_name(pair.server.error()));
    return out;
  }
  out.client_hello = take_n(pair.client_sent, 0, kClientHelloSize);
  out.key_exchange = take_n(pair.client_sent, kClientHelloSize, kKeyExchangeSize);
  out.server_hello = take_n(pair.server_sent, 0, kServerHelloSize);
  out.accept = take_n(pair.server_sent, kServerHelloSize, kAcceptSize);
  out.session_key.assign(pair.client.session_key().begin(), pair.client.session_key().end());
  const ByteSpan key_c2s = ConnectionTestAccess::key_c2s(pair.client);
  const ByteSpan key_s2c = ConnectionTestAccess::key_s2c(pair.client);
  out.key_c2s.assign(key_c2s.begin(), key_c2s.end());
  out.key_s2c.assign(key_s2c.begin(), key_s2c.end());
  if (!std::ranges::equal(pair.client.session_key(), pair.server.session_key())) {
    out.error = "the two sides derived different session keys";
    return out;
  }

  for (const VectorInputs::Frame& frame : in.transport) {
    const bool c2s = frame.direction == "c2s";
    Connection& sender = c2s ? pair.client : pair.server;
    Connection& receiver = c2s ? pair.server : pair.client;
    Inbox& inbox = c2s ? pair.server_inbox : pair.client_inbox;
    const Error sent = frame.plaintext.empty() ? sender.close() : sender.send(frame.plaintext);
    if (sent != Error::kNone) {
      out.error = "send failed: " + std::string(error_name(sent));
      return out;
    }
    out.frames.push_back(take_output(sender));
    const std::size_t before = inbox.messages.size();
    if (const Error e = feed(receiver, out.frames.back(), pair.now, inbox); e != Error::kNone) {
      out.error = "receive failed: " + std::string(error_name(e));
      return out;
    }
    out.received.push_back(inbox.messages.size() > before ? inbox.messages.back() : Bytes{});
  }
  return out;
}

}  // namespace p2pnet::testing
