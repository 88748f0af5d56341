// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// callbacks.h: what the embedder of a loop adapter hears. Every adapter offers the same
// callbacks, which differ in two types only: the connection they receive (UvConnection,
// AsioConnection) and the loop's status for a failed transport (libuv: a negative int,
// Asio: std::error_code). So they are one template, and so is the small forwarder from
// the Driver's Events to them; the adapters name them (UvCallbacks, AsioCallbacks).
#ifndef P2PNET_STREAM_CALLBACKS_H_
#define P2PNET_STREAM_CALLBACKS_H_

#include <functional>
#include <utility>

#include "p2pnet/connection.h"
#include "p2pnet/stream/driver.h"

namespace p2pnet::stream {

// Callbacks: every member may be empty. Each receives the connection, on which it may
// call send(), close() or abort().
template <typename Conn, typename TransportStatus>
struct Callbacks {
  // on_established: the peer is authenticated (engine().peer_identity() is set).
  std::function<void(Conn&)> on_established;
  // on_message: one message from the peer; the span is valid during the call only.
  std::function<void(Conn&, ByteSpan)> on_message;
  // on_peer_closed: the peer sent close_notify. When empty, the adapter answers with
  // close() at once; otherwise the embedder may still send, then must call close().
  std::function<void(Conn&)> on_peer_closed;
  // on_drain: a send() refused with kSendBufferFull may be retried now.
  std::function<void(Conn&)> on_drain;
  // on_error: called at most once, at the first failure. |error| is the engine's
  // error (a stream that breaks is shown to the engine as EOF, so a broken handshake
  // reads kConnectionClosed and a broken channel kTruncated); it is kNone when only
  // the transport failed after a clean close_notify. The status is the loop's error
  // when the socket failed, its "timed out" when close_timeout cut a closing
  // connection, and empty (0, a default std::error_code) when the engine failed on
  // its own.
  std::function<void(Conn&, Error error, TransportStatus transport)> on_error;
  // on_closed: the last callback, from the loop (never inside a call the embedder
  // made), once the socket is closed.
  std::function<void(Conn&)> on_closed;
};

// CallbackEvents: the Driver's Events, forwarded to |callbacks| with the connection.
template <typename Conn, typename TransportStatus>
class CallbackEvents final : public Events {
 public:
  // |timed_out| is the status on_error gives when close_timeout cut a connection.
  CallbackEvents(Conn& conn, Callbacks<Conn, TransportStatus> callbacks, TransportStatus timed_out)
      : conn_(conn), callbacks_(std::move(callbacks)), timed_out_(std::move(timed_out)) {}

  // set_transport_status keeps why the stream failed, for the on_error that follows
  // (the adapter calls it before Driver::on_transport_error).
  void set_transport_status(TransportStatus status) { transport_status_ = std::move(status); }

  // on_closed calls the embedder's on_closed, then drops the callbacks and whatever
  // they captured.
  void on_closed() {
    if (callbacks_.on_closed) callbacks_.on_closed(conn_);
    callbacks_ = {};
  }

  void on_established() override {
    if (callbacks_.on_established) callbacks_.on_established(conn_);
  }
  void on_message(ByteSpan message) override {
    if (callbacks_.on_message) callbacks_.on_message(conn_, message);
  }
  bool on_peer_closed() override {
    if (!callbacks_.on_peer_closed) return false;
    callbacks_.on_peer_closed(conn_);
    return true;
  }
  void on_drain() override {
    if (callbacks_.on_drain) callbacks_.on_drain(conn_);
  }
  void on_error(Error error, Failure failure) override {
    if (!callbacks_.on_error) return;
    switch (failure) {
      case Failure::kEngine: callbacks_.on_error(conn_, error, TransportStatus{}); return;
      case Failure::kTransport: callbacks_.on_error(conn_, error, transport_status_); return;
      case Failure::kCloseTimeout: callbacks_.on_error(conn_, error, timed_out_); return;
    }
  }

 private:
  Conn& conn_;
  Callbacks<Conn, TransportStatus> callbacks_;
  TransportStatus timed_out_;
  TransportStatus transport_status_{};
};

}  // namespace p2pnet::stream

#endif  // P2PNET_STREAM_CALLBACKS_H_
