// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection_test_access.h: test-only view of every place a Connection keeps key
// material: its session key, the handshake's derived keys and ephemeral secret, and
// the channel's traffic keys. Tests and fuzz targets check through it that a failed
// or closed connection holds none of them, whatever the public accessors report.
// Not installed; only tests include it.
#ifndef P2PNET_ENGINE_SRC_CONNECTION_TEST_ACCESS_H_
#define P2PNET_ENGINE_SRC_CONNECTION_TEST_ACCESS_H_

#include <sodium.h>

#include <string_view>
#include <vector>

#include "p2pnet/connection.h"

namespace p2pnet {

struct ConnectionTestAccess {
  // key_holders names each place in |connection| that still holds a key: a key with
  // a non-zero byte, or an ephemeral secret at all. Empty means nothing to wipe.
  static std::vector<std::string_view> key_holders(const Connection& connection) {
    std::vector<std::string_view> holders;
    auto check = [&holders](std::string_view name, const Key& key) {
      if (sodium_is_zero(key.data(), key.kSize) == 0) holders.push_back(name);
    };
    check("Connection::session_key_", connection.session_key_);
    const Handshake& handshake = connection.handshake_;
    check("Handshake::keys_.session_key", handshake.keys_.session_key);
    check("Handshake::keys_.key_c2s", handshake.keys_.key_c2s);
    check("Handshake::keys_.key_s2c", handshake.keys_.key_s2c);
    if (handshake.my_eph_) holders.push_back("Handshake::my_eph_");
    if (connection.channel_) {
      const Channel& channel = *connection.channel_;
      check("Channel::send_key_", channel.send_key_.key());
      check("Channel::receive_key_", channel.receive_key_.key());
      // An OpenSSL context holds its own copy of the key schedule.
      if (channel.send_key_.has_openssl_context()) holders.push_back("Channel::send_key_ (OpenSSL)");
      if (channel.receive_key_.has_openssl_context()) holders.push_back("Channel::receive_key_ (OpenSSL)");
    }
    return holders;
  }
};

}  // namespace p2pnet

#endif  // P2PNET_ENGINE_SRC_CONNECTION_TEST_ACCESS_H_
