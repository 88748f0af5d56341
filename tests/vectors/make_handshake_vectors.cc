// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// make_handshake_vectors: writes tests/vectors/handshake_v1.json to stdout. Every
// input is derived from a fixed label, so the output never changes unless the
// protocol or the engine does. Regenerate with
//   build/.../tests/vectors/make_handshake_vectors > tests/vectors/handshake_v1.json
// and check it against the independent implementation (check_vectors.py).
#include <sodium.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "hex.h"
#include "vector_runner.h"

namespace {

using p2pnet::testing::Bytes;

Bytes derive(const std::string& label) {
  Bytes out(32);
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(label.data()),
                     label.size(), nullptr, 0);
  return out;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

int main() {
  if (sodium_init() < 0) return 1;
  using p2pnet::testing::to_hex;
  const std::vector<std::vector<p2pnet::testing::VectorInputs::Frame>> transports = {
      {{"c2s", text("hello server")},
       {"s2c", text("hello client")},
       {"c2s", text("second")},
       {"s2c", text("bye")},
       {"c2s", {}},
       {"s2c", {}}},
      {{"s2c", text("server speaks first")},
       {"c2s", Bytes{0x00}},
       {"s2c", Bytes(100, 0xA5)},
       {"c2s", Bytes(17, 0x17)},
       {"s2c", {}},
       {"c2s", {}}},
      {{"c2s", text("x")},
       {"c2s", text("y")},
       {"s2c", text("z")},
       {"s2c", Bytes(1024, 0x00)},
       {"c2s", {}},
       {"s2c", {}}},
  };
  nlohmann::ordered_json cases = nlohmann::ordered_json::array();
  for (std::size_t n = 0; n < transports.size(); ++n) {
    const std::string prefix = "P2PNet-v1 test vector " + std::to_string(n + 1) + " ";
    p2pnet::testing::VectorInputs in{
        derive(prefix + "client_id_seed"), derive(prefix + "server_id_seed"),
        derive(prefix + "client_eph_sk"),  derive(prefix + "server_eph_sk"),
        derive(prefix + "challenge"),      transports[n]};
    const p2pnet::testing::VectorOutputs out = p2pnet::testing::run_vector_case(in);
    if (!out.error.empty()) {
      std::fprintf(stderr, "case %zu: %s\n", n + 1, out.error.c_str());
      return 1;
    }
    nlohmann::ordered_json c;
    c["name"] = "case " + std::to_string(n + 1);
    c["client_id_seed"] = to_hex(in.client_id_seed);
    c["server_id_seed"] = to_hex(in.server_id_seed);
    c["client_eph_sk"] = to_hex(in.client_eph_sk);
    c["server_eph_sk"] = to_hex(in.server_eph_sk);
    c["challenge"] = to_hex(in.challenge);
    c["client_hello"] = to_hex(out.client_hello);
    c["server_hello"] = to_hex(out.server_hello);
    c["key_exchange"] = to_hex(out.key_exchange);
    c["accept"] = to_hex(out.accept);
    c["session_key"] = to_hex(out.session_key);
    c["key_c2s"] = to_hex(out.key_c2s);
    c["key_s2c"] = to_hex(out.key_s2c);
    nlohmann::ordered_json transport = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < in.transport.size(); ++i) {
      transport.push_back({{"direction", in.transport[i].direction},
                           {"plaintext", to_hex(in.transport[i].plaintext)},
                           {"frame", to_hex(out.frames[i])}});
    }
    c["transport"] = transport;
    cases.push_back(c);
  }
  std::printf("%s\n", cases.dump(2).c_str());
  return 0;
}
