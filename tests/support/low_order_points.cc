// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "low_order_points.h"

#include "hex.h"

namespace p2pnet::testing {

std::vector<EphemeralPublicKey> low_order_points() {
  static constexpr const char* kHex[] = {
      "0000000000000000000000000000000000000000000000000000000000000000",  // 0
      "0100000000000000000000000000000000000000000000000000000000000000",  // 1
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",  // order 8
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",  // order 8
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p - 1
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p + 1
  };
  std::vector<EphemeralPublicKey> points;
  for (const char* hex : kHex) {
    const auto bytes = from_hex(hex);
    EphemeralPublicKey point{};
    std::copy(bytes->begin(), bytes->end(), point.begin());
    points.push_back(point);
  }
  return points;
}

}  // namespace p2pnet::testing
