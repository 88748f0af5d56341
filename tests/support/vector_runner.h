// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// vector_runner.h: runs one test-vector case through the real engine. The inputs fix
// every random value (identity seeds, ephemeral secrets, challenge); the runner
// returns every byte the two sides put on the wire and the keys they derived. The
// vectors test compares that with tests/vectors/handshake_v1.json, and the generator
// (make_handshake_vectors) writes the file from it.
#ifndef P2PNET_TESTS_SUPPORT_VECTOR_RUNNER_H_
#define P2PNET_TESTS_SUPPORT_VECTOR_RUNNER_H_

#include <string>
#include <vector>

#include "pair.h"

namespace p2pnet::testing {

struct VectorInputs {
  Bytes client_id_seed, server_id_seed, client_eph_sk, server_eph_sk, challenge;
  // Transport messages in the order they are sent; an empty plaintext is close_notify.
  struct Frame {
    std::string direction;  // "c2s" or "s2c"
    Bytes plaintext;
  };
  std::vector<Frame> transport;
};

struct VectorOutputs {
  Bytes client_hello, server_hello, key_exchange, accept;
  Bytes session_key, key_c2s, key_s2c;
  std::vector<Bytes> frames;    // one per VectorInputs::transport entry
  std::vector<Bytes> received;  // what the receiving side delivered for each
  std::string error;            // empty on success; otherwise what went wrong
};

VectorOutputs run_vector_case(const VectorInputs& inputs);

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_SUPPORT_VECTOR_RUNNER_H_
