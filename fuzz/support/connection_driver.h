// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection_driver.h: drives one Connection the way connection.h tells an embedder
// to (feed, pull every event, offer the rest again, drain output) and checks after
// every call the invariants a Connection keeps whatever bytes it is given:
//   - failure is terminal: the error never changes, no event follows it, nothing
//     more is transmitted, and a handshake failure that protocol-v1 answers with an
//     Error message leaves exactly that message at the end of the output;
//   - events come in order: HandshakeComplete once, then messages, then PeerClosed
//     at most once, and no message after PeerClosed;
//   - an established connection names the expected peer and has distinct keys per
//     direction; before that it exposes no peer and no key;
//   - keys are held exactly while they can be used: a direction's traffic key until
//     close_notify went that way, the session key until both did, and once the
//     connection failed or closed both ways no key is left anywhere in it
//     (ConnectionTestAccess looks at the memory);
//   - handle_bytes consumes less than its input only when it hands out an event;
//   - send() and close() return exactly the error the documented rules predict.
// A broken invariant aborts through FUZZ_CHECK.
#ifndef P2PNET_FUZZ_SUPPORT_CONNECTION_DRIVER_H_
#define P2PNET_FUZZ_SUPPORT_CONNECTION_DRIVER_H_

#include <cstddef>
#include <vector>

#include "fixtures.h"
#include "p2pnet/connection.h"

namespace p2pnet::fuzz {

class ConnectionDriver {
 public:
  // |conn| must outlive the driver. |expected_peer| is the only identity the
  // connection may ever report as its peer; |channel| is the config it was made with.
  ConnectionDriver(Connection& conn, const PublicKey& expected_peer, const ChannelConfig& channel);

  // deliver hands |bytes| to the connection as one arrival. Returns error().
  Error deliver(ByteSpan bytes, Instant now);
  // deliver_eof tells the connection that the peer closed the stream.
  Error deliver_eof(Instant now);
  // advance_to calls handle_timeout(now).
  Error advance_to(Instant now);
  // release_idle calls release_idle_buffers(), as the socket server does for a
  // connection that has been quiet for a second, and checks that it changes nothing
  // the embedder can see (state, error, pending output).
  void release_idle();
  // send and close call the connection's and check the result; a message that was
  // accepted is appended to sent().
  Error send(ByteSpan message);
  Error close();

  // take_output returns (and forgets) every byte the connection has transmitted
  // since the last call.
  Bytes take_output();

  Connection& connection() { return conn_; }
  bool handshake_complete() const { return handshake_complete_; }
  // session_key_at_completion: session_key() as read when kHandshakeComplete was
  // pulled (empty if the channel had already failed in the same call).
  const Bytes& session_key_at_completion() const { return session_key_at_completion_; }
  bool peer_closed() const { return peer_closed_; }
  const std::vector<Bytes>& received() const { return received_; }
  const std::vector<Bytes>& sent() const { return sent_; }

 private:
  bool pull_events();
  void after_call();
  Error expected_send_error(std::size_t frame_plaintext_size, bool is_close) const;

  Connection& conn_;
  PublicKey expected_peer_;
  ChannelConfig channel_;
  Error error_ = Error::kNone;  // the first error seen; it must never change
  bool failed_seen_ = false;    // true once a call has returned with an error
  bool handshake_complete_ = false;
  Bytes session_key_at_completion_;
  bool peer_closed_ = false;
  std::vector<Bytes> received_;
  std::vector<Bytes> sent_;
  Bytes outbox_;
  // drains_ counts output drains: odd ones use poll_transmit (an event loop's copy),
  // even ones peek_transmit/consume_transmit in uneven pieces (the socket server's
  // write from the engine's queue), so both paths meet the same checks.
  std::size_t drains_ = 0;
};

}  // namespace p2pnet::fuzz

#endif  // P2PNET_FUZZ_SUPPORT_CONNECTION_DRIVER_H_
