// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// libp2p_session.h: the libp2p Noise secure channel (p2pnet/libp2p_connection.h)
// driven over one socket in blocking style, each call bounded by a deadline, like
// BlockingSession for protocol v1 (docs/libp2p.md, "Socket adapter"). The session
// borrows its socket and the identity, static key, allow-list and muxer names its
// config points to.
#ifndef P2PNET_SOCKET_LIBP2P_SESSION_H_
#define P2PNET_SOCKET_LIBP2P_SESSION_H_

#include <array>
#include <memory>

#include "p2pnet/libp2p_connection.h"
#include "p2pnet/socket/clock.h"
#include "p2pnet/socket/socket.h"
#include "p2pnet/socket/status.h"

namespace p2pnet::net {

class Libp2pSession {
 public:
  // dial runs the dialer's negotiation and handshake on the connected |socket|;
  // accept the listener's on an accepted one. On success *out is established. The
  // handshake ends at the earlier of |deadline| and config.handshake_timeout. Errors:
  // kEngine (the engine's error: kPeerNotAllowed, kAuthenticationFailed,
  // kProtocolNotSupported, kTimeout, ...), kConnectionClosed, kTimeout, kSystem.
  static Status dial(std::unique_ptr<Libp2pSession>* out, Socket& socket,
                     const Libp2pConfig& config, Deadline deadline);
  static Status accept(std::unique_ptr<Libp2pSession>* out, Socket& socket,
                       const Libp2pConfig& config, Deadline deadline);

  // send encrypts |bytes| and writes them out completely. Errors: kEngine, kTimeout,
  // kConnectionClosed, kSystem.
  Status send(ByteSpan bytes, Deadline deadline);
  // receive waits for the next decrypted bytes; *bytes points at them until the next
  // call. Errors: kConnectionClosed when the peer's direction ended (between messages:
  // a clean end only if the stream muxer above closed first; libp2p's Noise channel
  // has no close message), kEngine (kTruncated, kFrameAuthFailed, ...), kTimeout,
  // kSystem.
  Status receive(ByteSpan* bytes, Deadline deadline);
  // close ends our direction: nothing more may be sent, and the socket's write side is
  // shut down once everything pending is written.
  Status close(Deadline deadline);

  const Libp2pConnection& connection() const { return connection_; }

 private:
  Libp2pSession(Socket& socket, Libp2pConnection connection)
      : socket_(&socket), connection_(std::move(connection)) {}
  static Status run(std::unique_ptr<Libp2pSession>* out, Socket& socket,
                    Libp2pConnection connection, Deadline deadline);
  Status flush(Deadline deadline);
  Status feed(Deadline deadline);  // one read (or the buffered rest) into the engine
  Status handle_buffered();

  Socket* socket_;
  Libp2pConnection connection_;
  bool complete_ = false;
  bool ended_ = false;
  std::optional<ByteSpan> data_;
  static constexpr std::size_t kReadSize = 64 * 1024;
  std::array<std::uint8_t, kReadSize> input_{};
  std::size_t input_begin_ = 0;
  std::size_t input_end_ = 0;
  std::array<std::uint8_t, kReadSize> output_{};
};

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_LIBP2P_SESSION_H_
