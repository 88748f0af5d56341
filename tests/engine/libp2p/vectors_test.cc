// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The engine reproduces every byte of tests/vectors/libp2p_v1.json: what a dialer and
// a listener send (multistream-select, the three Noise XX messages, one transport
// message each way) and the handshake hash, from the inputs alone. The file's bytes
// come from tests/vectors/check_libp2p_vectors.py, an implementation in Python that
// shares no code with the engine.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hex.h"
#include "p2pnet/libp2p_connection.h"

namespace p2pnet {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes hex_field(const nlohmann::json& object, const char* name) {
  const auto bytes = testing::from_hex(object.at(name).get<std::string>());
  EXPECT_TRUE(bytes) << name;
  return bytes.value_or(Bytes{});
}

std::array<std::uint8_t, 32> key_field(const nlohmann::json& object, const char* name) {
  const Bytes bytes = hex_field(object, name);
  std::array<std::uint8_t, 32> out{};
  if (bytes.size() == out.size()) std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// FixedRandom hands out the one ephemeral private key of a vector, then fails.
class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(const std::array<std::uint8_t, 32>& key) : key_(key) {}
  bool fill(std::span<std::uint8_t> out) override {
    if (used_ || out.size() != key_.size()) return false;
    std::copy(key_.begin(), key_.end(), out.begin());
    used_ = true;
    return true;
  }

 private:
  std::array<std::uint8_t, 32> key_;
  bool used_ = false;
};

Bytes take(Libp2pConnection& conn) {
  Bytes out(conn.pending_transmit());
  out.resize(conn.poll_transmit(out));
  return out;
}

Bytes feed(Libp2pConnection& conn, const Bytes& bytes) {
  Bytes data;
  ByteSpan rest(bytes);
  while (!rest.empty()) {
    const ReadResult r = conn.handle_bytes(rest, Instant(0));
    while (auto event = conn.poll_event()) {
      if (event->type == Libp2pEventType::kData) {
        data.insert(data.end(), event->data.begin(), event->data.end());
      }
    }
    EXPECT_EQ(r.error, Error::kNone) << error_name(r.error);
    if (r.error != Error::kNone) break;
    rest = rest.subspan(r.consumed);
  }
  return data;
}

TEST(Libp2pVectorsTest, TheEngineReproducesEveryByte) {
  std::ifstream file(P2PNET_LIBP2P_VECTORS_FILE);
  ASSERT_TRUE(file) << P2PNET_LIBP2P_VECTORS_FILE;
  const nlohmann::json vectors = nlohmann::json::parse(file);
  ASSERT_GE(vectors.at("cases").size(), 2u);
  for (const nlohmann::json& c : vectors.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const auto d_seed = key_field(c, "dialer_identity_seed");
    const auto l_seed = key_field(c, "listener_identity_seed");
    const Identity d_identity = Identity::from_seed(d_seed);
    const Identity l_identity = Identity::from_seed(l_seed);
    const Libp2pStaticKey d_static =
        Libp2pStaticKey::from_private_key(key_field(c, "dialer_static"));
    const Libp2pStaticKey l_static =
        Libp2pStaticKey::from_private_key(key_field(c, "listener_static"));
    FixedRandom d_random(key_field(c, "dialer_ephemeral"));
    FixedRandom l_random(key_field(c, "listener_ephemeral"));
    const auto d_names = c.at("dialer_muxers").get<std::vector<std::string>>();
    const auto l_names = c.at("listener_muxers").get<std::vector<std::string>>();
    const std::vector<std::string_view> d_muxers(d_names.begin(), d_names.end());
    const std::vector<std::string_view> l_muxers(l_names.begin(), l_names.end());

    Libp2pConfig dc;
    dc.identity = &d_identity;
    dc.static_key = &d_static;
    dc.stream_muxers = d_muxers;
    dc.negotiate = c.at("negotiate").get<bool>();
    dc.random = &d_random;
    dc.expected_peer = l_identity.public_key();
    Libp2pConfig lc = dc;
    lc.identity = &l_identity;
    lc.static_key = &l_static;
    lc.stream_muxers = l_muxers;
    lc.random = &l_random;
    lc.expected_peer.reset();
    Libp2pConnection dialer = Libp2pConnection::dialer(dc, Instant(0));
    Libp2pConnection listener = Libp2pConnection::listener(lc, Instant(0));

    Bytes dialer_sent;
    Bytes listener_sent;
    Bytes to_listener;
    Bytes to_dialer;
    for (int round = 0; round < 8; ++round) {
      to_listener = take(dialer);
      to_dialer = take(listener);
      dialer_sent.insert(dialer_sent.end(), to_listener.begin(), to_listener.end());
      listener_sent.insert(listener_sent.end(), to_dialer.begin(), to_dialer.end());
      (void)feed(listener, to_listener);
      (void)feed(dialer, to_dialer);
    }
    ASSERT_EQ(dialer.state(), Libp2pState::kEstablished) << error_name(dialer.error());
    ASSERT_EQ(listener.state(), Libp2pState::kEstablished) << error_name(listener.error());
    const Bytes d_data = hex_field(c, "dialer_data");
    const Bytes l_data = hex_field(c, "listener_data");
    ASSERT_EQ(dialer.send(d_data), Error::kNone);
    ASSERT_EQ(listener.send(l_data), Error::kNone);
    to_listener = take(dialer);
    to_dialer = take(listener);
    dialer_sent.insert(dialer_sent.end(), to_listener.begin(), to_listener.end());
    listener_sent.insert(listener_sent.end(), to_dialer.begin(), to_dialer.end());
    EXPECT_EQ(feed(listener, to_listener), d_data);
    EXPECT_EQ(feed(dialer, to_dialer), l_data);

    EXPECT_EQ(testing::to_hex(dialer_sent), c.at("dialer_sends").get<std::string>());
    EXPECT_EQ(testing::to_hex(listener_sent), c.at("listener_sends").get<std::string>());
    EXPECT_EQ(testing::to_hex(dialer.handshake_hash()), c.at("handshake_hash").get<std::string>());
  }
}

}  // namespace
}  // namespace p2pnet
