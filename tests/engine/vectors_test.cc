// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The engine reproduces every byte of tests/vectors/handshake_v1.json: the four
// handshake messages, the three keys, and every transport frame.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "hex.h"
#include "vector_runner.h"

namespace p2pnet {
namespace {

using testing::Bytes;

Bytes hex_field(const nlohmann::json& object, const char* name) {
  const auto bytes = testing::from_hex(object.at(name).get<std::string>());
  EXPECT_TRUE(bytes) << name;
  return bytes.value_or(Bytes{});
}

nlohmann::json load_vectors() {
  std::ifstream file(P2PNET_VECTORS_FILE);
  EXPECT_TRUE(file) << "cannot open " << P2PNET_VECTORS_FILE;
  return nlohmann::json::parse(file);
}

TEST(VectorsTest, FileHasAtLeastThreeCompleteCases) {
  const nlohmann::json cases = load_vectors();
  ASSERT_TRUE(cases.is_array());
  EXPECT_GE(cases.size(), 3u);
  for (const auto& c : cases) {
    for (const char* field : {"client_id_seed", "server_id_seed", "client_eph_sk", "server_eph_sk",
                              "challenge", "session_key", "key_c2s", "key_s2c"}) {
      EXPECT_EQ(hex_field(c, field).size(), 32u) << field;
    }
    EXPECT_EQ(hex_field(c, "client_hello").size(), 33u);
    EXPECT_EQ(hex_field(c, "server_hello").size(), 65u);
    EXPECT_EQ(hex_field(c, "key_exchange").size(), 97u);
    EXPECT_EQ(hex_field(c, "accept").size(), 97u);
    int c2s = 0, s2c = 0, closes = 0;
    for (const auto& frame : c.at("transport")) {
      (frame.at("direction") == "c2s" ? c2s : s2c)++;
      if (frame.at("plaintext") == "") ++closes;
    }
    EXPECT_GE(c2s, 2);
    EXPECT_GE(s2c, 2);
    EXPECT_GE(closes, 1);
  }
}

TEST(VectorsTest, EngineReproducesEveryByte) {
  for (const auto& c : load_vectors()) {
    SCOPED_TRACE(c.value("name", "unnamed case"));
    testing::VectorInputs in{hex_field(c, "client_id_seed"), hex_field(c, "server_id_seed"),
                             hex_field(c, "client_eph_sk"),  hex_field(c, "server_eph_sk"),
                             hex_field(c, "challenge"),      {}};
    for (const auto& frame : c.at("transport")) {
      in.transport.push_back(
          {frame.at("direction").get<std::string>(), hex_field(frame, "plaintext")});
    }
    const testing::VectorOutputs out = testing::run_vector_case(in);
    ASSERT_EQ(out.error, "");
    EXPECT_EQ(testing::to_hex(out.client_hello), c.at("client_hello"));
    EXPECT_EQ(testing::to_hex(out.server_hello), c.at("server_hello"));
    EXPECT_EQ(testing::to_hex(out.key_exchange), c.at("key_exchange"));
    EXPECT_EQ(testing::to_hex(out.accept), c.at("accept"));
    EXPECT_EQ(testing::to_hex(out.session_key), c.at("session_key"));
    EXPECT_EQ(testing::to_hex(out.key_c2s), c.at("key_c2s"));
    EXPECT_EQ(testing::to_hex(out.key_s2c), c.at("key_s2c"));
    ASSERT_EQ(out.frames.size(), c.at("transport").size());
    for (std::size_t i = 0; i < out.frames.size(); ++i) {
      const auto& frame = c.at("transport")[i];
      EXPECT_EQ(testing::to_hex(out.frames[i]), frame.at("frame")) << "frame " << i;
      EXPECT_EQ(testing::to_hex(out.received[i]), frame.at("plaintext")) << "frame " << i;
    }
  }
}

}  // namespace
}  // namespace p2pnet
