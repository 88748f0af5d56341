// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// blocking.h: the engine driven over one socket in blocking style, with a deadline
// on every call. Each call loops "drain poll_transmit into the socket, wait with
// poll/WSAPoll for at most the time left, read, handle_bytes, pull events" in the
// order connection.h gives, and returns when its goal is reached or the deadline
// passes; it never waits unbounded. A handshake ends at the earlier of the caller's
// deadline and config.handshake_timeout, and either way the engine's timeout fires
// and Error 0x04 goes to the peer (protocol-v1 "Timeouts"). Timeouts and deadlines
// saturate: Duration::max() and Deadline::max() mean no limit.
//
// A BlockingSession borrows its socket (the caller closes it after the session is
// gone) and the identity and allow-list its config points to.
#ifndef P2PNET_SOCKET_BLOCKING_H_
#define P2PNET_SOCKET_BLOCKING_H_

#include <array>
#include <memory>
#include <optional>

#include "p2pnet/connection.h"
#include "p2pnet/socket/socket.h"

namespace p2pnet::net {

class BlockingSession {
 public:
  // handshake_client runs a client handshake on the connected |socket|. On success
  // *out holds an established session. Errors: kTimeout (the earlier of |deadline| and
  // config.handshake_timeout passed; Error 0x04 is sent), kEngine (the engine's
  // error, e.g. kPeerNotAllowed when the server is not the expected one, or
  // kPeerAbortNotAccepted when the server refused us), kConnectionClosed, kSystem.
  static Status handshake_client(std::unique_ptr<BlockingSession>* out, Socket& socket,
                                 const ClientConfig& config, Deadline deadline);
  // handshake_server is the same for the server side of an accepted socket.
  static Status handshake_server(std::unique_ptr<BlockingSession>* out, Socket& socket,
                                 const ServerConfig& config, Deadline deadline);

  // send seals |message| (1..max_message_size bytes) and writes it out completely.
  // Errors: kEngine (kInvalidArgument, kMessageTooLarge, kAlreadyClosed, ...),
  // kTimeout (part may have been written: the session is then unusable),
  // kConnectionClosed, kSystem.
  Status send(ByteSpan message, Deadline deadline);

  // receive waits for the next message. On success *message points at it; the bytes
  // stay valid until the next call on this session. Errors: kPeerClosed (the peer
  // sent close_notify: a clean end), kConnectionClosed (the stream ended or was reset
  // without close_notify, i.e. truncated), kEngine, kTimeout, kSystem.
  Status receive(ByteSpan* message, Deadline deadline);

  // close sends close_notify and writes it out. Receiving stays possible until the
  // peer's close_notify. Errors: as send.
  Status close(Deadline deadline);

  const Connection& connection() const { return connection_; }
  const PublicKey& peer_identity() const { return *connection_.peer_identity(); }

 private:
  class Sink;  // the feed loop's view of the session (blocking.cc)
  BlockingSession(Socket& socket, Connection connection)
      : socket_(&socket), connection_(std::move(connection)) {}

  static Status run_handshake(std::unique_ptr<BlockingSession>* out, Socket& socket,
                              Connection connection, Deadline deadline);
  Status flush(Deadline deadline);
  Status read_and_handle(Deadline deadline);
  Status handle_buffered();
  Status fail_with_engine_error();
  void flush_best_effort();

  Socket* socket_;
  Connection connection_;
  bool handshake_done_ = false;
  bool peer_closed_ = false;
  std::optional<ByteSpan> message_;  // a message pulled but not yet returned
  bool end_of_stream_ = false;
  // Bytes read but not yet consumed (the engine stops after each message).
  static constexpr std::size_t kReadSize = 16 * 1024;
  std::array<std::uint8_t, kReadSize> input_{};
  std::size_t input_begin_ = 0;
  std::size_t input_end_ = 0;
  // Output is written straight from the engine's queue (peek_transmit).
};

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_BLOCKING_H_
