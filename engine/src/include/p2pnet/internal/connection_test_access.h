// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection_test_access.h: test-only view of every place a Connection keeps key
// material: the handshake's ephemeral secret, and the channel's session and traffic
// keys (the handshake keeps no derived key: it hands them over once), and of the
// transcript. Tests, test vectors and fuzz
// targets read traffic keys through it and check that a failed or closed connection
// holds none of them, whatever the public accessors report. Never installed; only
// tests and fuzz targets include it.
#ifndef P2PNET_INTERNAL_CONNECTION_TEST_ACCESS_H_
#define P2PNET_INTERNAL_CONNECTION_TEST_ACCESS_H_

#include <sodium.h>

#include <string_view>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/internal/connection_impl.h"

namespace p2pnet {

struct ConnectionTestAccess {
  // key_holders names each place in |connection| that still holds a key: a key with
  // a non-zero byte, or an ephemeral secret at all. Empty means nothing to wipe.
  static std::vector<std::string_view> key_holders(const Connection& connection) {
    std::vector<std::string_view> holders;
    auto check = [&holders](std::string_view name, const Key& key) {
      if (sodium_is_zero(key.data(), key.kSize) == 0) holders.push_back(name);
    };
    const Connection::Impl& impl = connection.impl();
    const Handshake& handshake = impl.handshake;
    if (handshake.my_eph_) holders.push_back("Handshake::my_eph_");
    if (impl.channel) {
      const Channel& channel = *impl.channel;
      if (channel.session_key_) check("Channel::session_key_", *channel.session_key_);
      check("Channel::send_key_", channel.send_key_.key());
      check("Channel::receive_key_", channel.receive_key_.key());
      // An OpenSSL context holds its own copy of the key schedule.
      if (channel.send_key_.has_openssl_context())
        holders.push_back("Channel::send_key_ (OpenSSL)");
      if (channel.receive_key_.has_openssl_context())
        holders.push_back("Channel::receive_key_ (OpenSSL)");
    }
    return holders;
  }

  // key_c2s and key_s2c: the traffic keys, for vectors and checks; treat them as
  // secrets. Each is empty before the handshake completes and once it is wiped: its
  // direction is done (close_notify sent, for the sender, or received) or the
  // connection failed.
  static ByteSpan key_c2s(const Connection& connection) {
    return traffic_key(connection, connection.role() == Role::kClient);  // the client sends c2s
  }
  static ByteSpan key_s2c(const Connection& connection) {
    return traffic_key(connection, connection.role() == Role::kServer);
  }

  // channel: the connection's channel, nullptr before the handshake completes (for
  // ChannelTestAccess).
  static Channel* channel(Connection& connection) {
    Connection::Impl& impl = connection.impl();
    return impl.channel ? &*impl.channel : nullptr;
  }

  // receiving_frame: the channel holds part of a frame from the peer (the frame
  // deadline runs); false before the handshake completes.
  static bool receiving_frame(const Connection& connection) {
    const Connection::Impl& impl = connection.impl();
    return impl.channel && impl.channel->receiving_frame();
  }

  // Impossible handshake states, for the P2PNET_ASSERT sites of handshake.cc
  // (tests/engine/assert_test.cc):
  // leave_no_room_for_output: the handshake's output buffer, sized for the worst case,
  // full with nothing left to send, so its next message (or Error) cannot be written.
  static void leave_no_room_for_output(Connection& connection) {
    Handshake& handshake = connection.impl().handshake;
    handshake.tx_size_ = handshake.tx_sent_ = handshake.tx_.size();
  }
  // queue_client_hello queues a client's ClientHello again (it is queued once, when
  // the client is made, before a test can break anything).
  static void queue_client_hello(Connection& connection) {
    connection.impl().handshake.queue_client_hello();
  }

  // transcript: the public values both sides agreed on; nullptr before completion.
  static const Transcript* transcript(const Connection& connection) {
    const Connection::Impl& impl = connection.impl();
    return impl.channel ? &impl.handshake.transcript() : nullptr;
  }

 private:
  static ByteSpan traffic_key(const Connection& connection, bool sending) {
    const Connection::Impl& impl = connection.impl();
    if (!impl.channel) return {};
    const Channel& channel = *impl.channel;
    if (sending)
      return channel.holds_send_key() ? ByteSpan(channel.send_key().bytes()) : ByteSpan{};
    return channel.holds_receive_key() ? ByteSpan(channel.receive_key().bytes()) : ByteSpan{};
  }
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_CONNECTION_TEST_ACCESS_H_
