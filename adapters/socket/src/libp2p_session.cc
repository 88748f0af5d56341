// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// libp2p_session.cc: the blocking driver of the libp2p channel. Every wait goes
// through wait_ready, bounded by the caller's deadline, or during the handshake by
// the earlier of it and the engine's.
#include "p2pnet/socket/libp2p_session.h"

#include <algorithm>

namespace p2pnet::net {
namespace {

Status engine_failure(const Libp2pConnection& connection) {
  return Status::engine(connection.error());
}

}  // namespace

Status Libp2pSession::dial(std::unique_ptr<Libp2pSession>* out, Socket& socket,
                           const Libp2pConfig& config, Deadline deadline) {
  return run(out, socket, Libp2pConnection::dialer(config, engine_now()), deadline);
}

Status Libp2pSession::accept(std::unique_ptr<Libp2pSession>* out, Socket& socket,
                             const Libp2pConfig& config, Deadline deadline) {
  return run(out, socket, Libp2pConnection::listener(config, engine_now()), deadline);
}

Status Libp2pSession::run(std::unique_ptr<Libp2pSession>* out, Socket& socket,
                          Libp2pConnection connection, Deadline deadline) {
  std::unique_ptr<Libp2pSession> session(new Libp2pSession(socket, std::move(connection)));
  if (session->connection_.error() != Error::kNone) return engine_failure(session->connection_);
  while (!session->complete_) {
    if (Status s = session->feed(deadline); !s.ok()) return s;
    if (session->ended_ && !session->complete_) {
      return Status(StatusCode::kConnectionClosed,
                    "peer closed the connection during the handshake");
    }
  }
  if (Status s = session->flush(deadline); !s.ok()) return s;
  *out = std::move(session);
  return Status();
}

Status Libp2pSession::send(ByteSpan bytes, Deadline deadline) {
  // In pieces that fit the engine's output bound, each written out before the next.
  while (!bytes.empty()) {
    const ByteSpan piece = bytes.first(std::min<std::size_t>(bytes.size(), 1024 * 1024));
    if (const Error e = connection_.send(piece); e != Error::kNone) return Status::engine(e);
    if (Status s = flush(deadline); !s.ok()) return s;
    bytes = bytes.subspan(piece.size());
  }
  return Status();
}

Status Libp2pSession::close(Deadline deadline) {
  if (const Error e = connection_.close(); e != Error::kNone) return Status::engine(e);
  if (Status s = flush(deadline); !s.ok()) return s;
  shutdown_write(*socket_);
  return Status();
}

Status Libp2pSession::receive(ByteSpan* bytes, Deadline deadline) {
  for (;;) {
    if (Status s = handle_buffered(); !s.ok()) return s;
    if (data_) {
      *bytes = *data_;
      data_.reset();
      return Status();
    }
    if (ended_) return Status(StatusCode::kConnectionClosed, "peer ended the stream");
    if (Status s = feed(deadline); !s.ok()) return s;
  }
}

Status Libp2pSession::flush(Deadline deadline) {
  while (connection_.pending_transmit() > 0) {
    const std::size_t n = connection_.poll_transmit(output_);
    ByteSpan rest = ByteSpan(output_).first(n);
    while (!rest.empty()) {
      const IoResult io = send_some(*socket_, rest);
      switch (io.state) {
        case IoState::kDone: rest = rest.subspan(io.bytes); break;
        case IoState::kWouldBlock: {
          unsigned ready = 0;
          if (Status s = wait_ready(*socket_, kWaitWritable, deadline, &ready); !s.ok()) return s;
          break;
        }
        case IoState::kEndOfStream:
        case IoState::kReset:
          return Status(StatusCode::kConnectionClosed, "connection reset by peer");
        case IoState::kError:
          return Status(StatusCode::kSystem, "send: " + system_error_text(io.system_error));
      }
    }
  }
  return Status();
}

Status Libp2pSession::handle_buffered() {
  // Never with an empty span, which would tell the engine the stream ended.
  while (!data_ && input_begin_ < input_end_) {
    const ReadResult r = connection_.handle_bytes(
        ByteSpan(input_).subspan(input_begin_, input_end_ - input_begin_), engine_now());
    input_begin_ += r.consumed;
    while (auto event = connection_.poll_event()) {
      switch (event->type) {
        case Libp2pEventType::kHandshakeComplete: complete_ = true; break;
        case Libp2pEventType::kData: data_ = event->data; break;
        case Libp2pEventType::kPeerEnded: ended_ = true; break;
      }
    }
    if (r.error != Error::kNone) {
      (void)flush(Clock::now());
      return engine_failure(connection_);
    }
    if (r.consumed == 0 && !data_) break;  // nothing taken and nothing to pull: wait
  }
  return Status();
}

Status Libp2pSession::feed(Deadline deadline) {
  if (input_begin_ < input_end_) return handle_buffered();
  if (Status s = flush(deadline); !s.ok()) return s;
  const std::optional<Instant> engine_deadline = connection_.poll_timeout();
  const Deadline wait_until =
      engine_deadline ? std::min(deadline, to_deadline(*engine_deadline)) : deadline;
  unsigned ready = 0;
  if (Status s = wait_ready(*socket_, kWaitReadable, wait_until, &ready); !s.ok()) {
    if (s.code() == StatusCode::kTimeout && engine_deadline) {
      connection_.handle_timeout(engine_now());
      if (connection_.error() != Error::kNone) return engine_failure(connection_);
      if (Clock::now() < deadline) return Status();
    }
    return s;
  }
  const IoResult io = receive_some(*socket_, input_);
  switch (io.state) {
    case IoState::kDone:
      input_begin_ = 0;
      input_end_ = io.bytes;
      return handle_buffered();
    case IoState::kWouldBlock: return Status();
    case IoState::kEndOfStream: {
      (void)connection_.handle_bytes({}, engine_now());
      while (auto event = connection_.poll_event()) {
        if (event->type == Libp2pEventType::kPeerEnded) ended_ = true;
      }
      if (connection_.error() != Error::kNone) return engine_failure(connection_);
      ended_ = true;
      return Status();
    }
    case IoState::kReset: return Status(StatusCode::kConnectionClosed, "connection reset by peer");
    case IoState::kError:
      return Status(StatusCode::kSystem, "recv: " + system_error_text(io.system_error));
  }
  return Status();
}

}  // namespace p2pnet::net
