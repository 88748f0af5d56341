// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// low_order_points.h: X25519 public keys of small order (and their non-canonical
// encodings). X25519 with any of them gives an all-zero shared secret, which
// protocol-v1 must reject. The list is libsodium's own blacklist.
#ifndef P2PNET_TESTS_SUPPORT_LOW_ORDER_POINTS_H_
#define P2PNET_TESTS_SUPPORT_LOW_ORDER_POINTS_H_

#include <vector>

#include "p2pnet/internal/messages.h"

namespace p2pnet::testing {

std::vector<EphemeralPublicKey> low_order_points();

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_SUPPORT_LOW_ORDER_POINTS_H_
