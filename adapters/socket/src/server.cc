// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// server.cc: the non-blocking server loop. One pass of run_once:
//   1. wait for readiness, at most until the nearest handshake or idle deadline;
//   2. accept pending connections: under pressure, refuse those from an address at
//      its cap of connections or handshakes; when the handshake table or the
//      connection bound is full, evict the oldest handshake of the address with the
//      most (handshake_admission.h), or refuse when there is none (every connection
//      an established session);
//   3. for each ready connection: write what is queued, read once if it may, feed
//      the engine and deliver its events (the feed loop every driver shares,
//      p2pnet/stream/feed.h), write again (pump);
//   4. expire deadlines (the engine's: a handshake's, a session's frame in progress;
//      the idle timeout); 5. forget closed connections; 6. tell the handler the pass
//      is over (ServerHandler::on_pass_end).
// A connection's interest set is recomputed after every change: readable only while
// there is no unconsumed input and room for a reply, writable only while output waits.
#include "p2pnet/socket/server.h"

#include <algorithm>

#include "connection_status.h"
#include "handshake_admission.h"
#include "p2pnet/internal/messages.h"
#include "p2pnet/stream/feed.h"

namespace p2pnet::net {
namespace {

constexpr std::size_t kReadSize = 16 * 1024;  // one read; also the bound on unconsumed input
constexpr int kAcceptsPerPass = 64;           // fairness: accepting cannot starve sessions
constexpr Duration kAcceptBackoff{100};       // after accept fails (e.g. out of descriptors)
constexpr Duration kRunSlice{200};
// A session quiet this long gives its buffers back (Connection::release_idle_buffers
// and the leftover input): idle connections cost little memory, bursts still reuse.
constexpr Duration kReleaseBuffersAfter{1000};

// The protocol's overload answer: Error message, code 0x06.
constexpr std::uint8_t kOverloadMessage[] = {0xFF, 0x06};

}  // namespace

struct Server::Peer {
  Peer(ConnectionId id_in, Socket socket_in, std::string address_in, const SourceKey& source_in,
       Connection connection_in)
      : id(id_in),
        socket(std::move(socket_in)),
        address(std::move(address_in)),
        source(source_in),
        connection(std::move(connection_in)) {}

  ConnectionId id;
  Socket socket;
  std::string address;
  SourceKey source;  // what max_*_per_address count against
  Connection connection;
  std::vector<std::uint8_t> input;  // unconsumed bytes of the last read
  std::size_t input_begin = 0;
  // Output is written straight from the engine's queue (peek_transmit): what the
  // socket has not accepted yet is the engine's pending_transmit().
  bool handshaking = true;
  bool end_of_stream = false;  // the peer sent FIN
  bool closing = false;        // close once output is written (after close_notify both ways)
  bool dead = false;
  unsigned interest = kWaitReadable;
  Deadline last_activity = Clock::now();  // the last byte read or written (buffers)
  // The last complete message either way (idle_timeout): bytes that end no message,
  // such as a frame trickled a byte at a time, do not count.
  Deadline last_message = Clock::now();
  bool may_hold_buffers = false;  // traffic since the buffers were last released
  std::size_t buffered = 0;       // what account() last counted for this peer

  std::size_t unconsumed() const { return input.size() - input_begin; }
  std::size_t unsent() const { return connection.pending_transmit(); }
};

// PeerSink: what the feed loop (p2pnet/stream/feed.h) does with one peer's events.
class Server::PeerSink final : public stream::FeedSink {
 public:
  PeerSink(Server& server, Peer& peer) : server_(server), peer_(peer) {}

  // Backpressure: a message is taken only when a full-size reply to it has room.
  bool wants_input() const override {
    return !peer_.dead && (peer_.handshaking || server_.has_room_for_reply(peer_));
  }
  void on_handshake_complete() override {
    peer_.handshaking = false;
    server_.admission_->remove(peer_.id);
    server_.counters_.active_handshakes.fetch_sub(1);
    server_.counters_.active_sessions.fetch_add(1);
    server_.counters_.handshakes_completed.fetch_add(1);
    peer_.last_message = Clock::now();
    server_.handler_.on_handshake_complete(peer_.id, *peer_.connection.peer_identity());
  }
  void on_message(ByteSpan message) override {
    server_.counters_.messages_received.fetch_add(1);
    peer_.last_message = Clock::now();
    server_.handler_.on_message(peer_.id, message);
  }
  bool on_peer_closed() override {
    // The peer will send nothing more: the feed loop answers with close_notify after
    // what is queued, and the connection closes once that is written.
    peer_.closing = true;
    return false;
  }

 private:
  Server& server_;
  Peer& peer_;
};

std::string connection_id_text(ConnectionId id) {
  const ConnectionId worker = id >> kConnectionWorkerShift;
  const ConnectionId serial = id & ((ConnectionId{1} << kConnectionWorkerShift) - 1);
  if (worker == 0) return std::to_string(serial);
  return std::to_string(worker) + "." + std::to_string(serial);
}

Server::Server(const ServerOptions& options, ServerHandler& handler)
    : options_(options),
      handler_(handler),
      next_id_((ConnectionId{options.worker} << kConnectionWorkerShift) | 1) {}

Server::~Server() {
  for (auto& [id, peer] : peers_) {
    if (poller_) poller_->remove(peer->socket.native());
  }
}

Status Server::create(std::unique_ptr<Server>* out, const ServerOptions& options,
                      ServerHandler& handler, const std::string& host, std::uint16_t port) {
  if (options.identity == nullptr)
    return Status(StatusCode::kInvalidArgument, "server needs an identity");
  if (options.max_handshakes == 0 || options.max_handshakes_per_address == 0 ||
      options.max_connections_per_address == 0 || options.max_connections == 0) {
    return Status(StatusCode::kInvalidArgument, "connection bounds must be positive");
  }
  if (options.max_message_size == 0 || options.max_message_size > kMaxMessageSizeLimit) {
    return Status(StatusCode::kInvalidArgument,
                  "max message size must be 1.." + std::to_string(kMaxMessageSizeLimit));
  }
  if (options.handshake_timeout.count() <= 0 || options.idle_timeout.count() <= 0 ||
      options.frame_timeout.count() <= 0) {
    return Status(StatusCode::kInvalidArgument, "timeouts must be positive");
  }
  if (options.worker > kMaxWorker) {
    return Status(StatusCode::kInvalidArgument, "worker must be 0.." + std::to_string(kMaxWorker));
  }
  if (options.per_address_limits_above > 100) {
    return Status(StatusCode::kInvalidArgument, "per_address_limits_above is a percentage, 0..100");
  }
  std::unique_ptr<Server> server(new Server(options, handler));
  server->config_.identity = options.identity;
  if (server->options_.allowed_clients) {
    server->config_.allowed_clients = std::span<const PublicKey>(*server->options_.allowed_clients);
  }
  server->config_.handshake_timeout = options.handshake_timeout;
  server->config_.log_hook = options.log_hook;
  server->config_.key_log = options.key_log;
  server->config_.channel.max_message_size = options.max_message_size;
  server->config_.channel.frame_timeout = options.frame_timeout;
  // Room for two full frames: one being written while the reply to the next waits.
  server->output_limit_ = 2 * (options.max_message_size + kFrameOverhead);
  server->config_.channel.max_pending_output = server->output_limit_;
  server->read_buffer_.resize(kReadSize);
  server->admission_ = std::make_unique<HandshakeAdmission>(
      options.max_handshakes, options.max_handshakes_per_address, options.per_address_limits_above);
  server->connections_per_source_ = std::make_unique<SourceCounts>();

  if (Status s = Poller::create(&server->poller_); !s.ok()) return s;
  if (Status s =
          listen_tcp(&server->listener_, host, port, options.listen_backlog, options.reuse_port);
      !s.ok()) {
    return s;
  }
  if (Status s = local_port(server->listener_, &server->port_); !s.ok()) return s;
  if (Status s = server->poller_->add(server->listener_.native(), 0, kWaitReadable); !s.ok())
    return s;
  *out = std::move(server);
  return Status();
}

Status Server::run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    if (Status s = run_once(kRunSlice); !s.ok()) return s;
  }
  // Shutting down: tell established peers we are done (best effort), then close all.
  for (auto& [id, peer] : peers_) {
    if (peer->dead) continue;
    if (!peer->handshaking) (void)peer->connection.close();
    flush(*peer);
    finish(*peer, Status(StatusCode::kConnectionClosed, "server shutting down"));
  }
  reap();
  handler_.on_pass_end();
  return Status();
}

Deadline Server::idle_deadline(const Peer& peer) const {
  return add_saturated(peer.last_message, options_.idle_timeout);  // Duration::max(): never
}

Deadline Server::next_deadline(Deadline cap) const {
  Deadline next = cap;
  for (const auto& [id, peer] : peers_) {
    if (peer->dead) continue;
    // The engine's deadline: the handshake's, or a session's frame in progress.
    if (const auto t = peer->connection.poll_timeout()) next = std::min(next, to_deadline(*t));
    if (!peer->handshaking) next = std::min(next, idle_deadline(*peer));
  }
  return next;
}

Status Server::run_once(Duration max_wait) {
  const Deadline wake = next_deadline(deadline_after(max_wait));
  if (Status s = poller_->wait(&ready_, remaining_ms(wake)); !s.ok()) return s;
  for (const ReadyEvent& event : ready_) {
    if (event.token == 0) {
      if (Clock::now() >= accept_paused_until_) accept_pending();
      continue;
    }
    const auto it = peers_.find(event.token);
    if (it == peers_.end() || it->second->dead) continue;
    on_ready(*it->second, event.readable, event.writable);
  }
  expire_timers();
  reap();
  handler_.on_pass_end();
  return Status();
}

void Server::accept_pending() {
  for (int i = 0; i < kAcceptsPerPass; ++i) {
    Socket socket;
    std::string address;
    IpAddress ip;
    const Status s = accept_tcp(listener_, &socket, &address, &ip);
    if (s.code() == StatusCode::kTimeout) return;  // none pending
    if (!s.ok()) {
      // Typically out of descriptors: the listener stays readable, so back off
      // instead of spinning; connections wait in the backlog meanwhile.
      accept_paused_until_ = Clock::now() + kAcceptBackoff;
      return;
    }
    counters_.accepted.fetch_add(1);
    const SourceKey source = source_key(ip);
    const std::size_t live = peers_.size() - dead_.size();
    // The per-address share of connections, under pressure only (as the handshake
    // table's, handshake_admission.h): one address may hold at most
    // max_connections_per_address once the server is more than
    // per_address_limits_above full, so it never holds every slot.
    if (above_share(live, options_.max_connections, options_.per_address_limits_above) &&
        connections_per_source_->count(source) >= options_.max_connections_per_address) {
      counters_.refused_per_address.fetch_add(1);
      refuse(socket, address);
      continue;
    }
    HandshakeAdmission::Decision decision = admission_->decide(source);
    if (decision.verdict == HandshakeAdmission::Verdict::kAdmit &&
        live >= options_.max_connections) {
      // The connection bound is full though the table is not: a handshake makes room
      // the same way if there is one. Established sessions are never evicted.
      const std::optional<ConnectionId> victim = admission_->victim();
      if (!victim) {
        refuse(socket, address);
        continue;
      }
      decision = {HandshakeAdmission::Verdict::kEvictThenAdmit, *victim};
    }
    switch (decision.verdict) {
      case HandshakeAdmission::Verdict::kRefuseSourceAtCap:
        counters_.refused_per_address.fetch_add(1);
        refuse(socket, address);
        continue;
      case HandshakeAdmission::Verdict::kEvictThenAdmit: evict(*peers_.at(decision.victim)); break;
      case HandshakeAdmission::Verdict::kAdmit: break;
    }
    const ConnectionId id = next_id_++;
    config_.log_id = id;
    auto peer = std::make_unique<Peer>(id, std::move(socket), address, source,
                                       Connection::server(config_, engine_now()));
    if (!admission_->add(id, source)) continue;  // a broken bound (assert.h): refused
    if (!poller_->add(peer->socket.native(), id, kWaitReadable).ok()) {
      admission_->remove(id);
      continue;
    }
    connections_per_source_->add(source);
    counters_.active_handshakes.fetch_add(1);
    Peer& ref = *peer;
    peers_.emplace(id, std::move(peer));
    handler_.on_accepted(id, address);
    if (ref.connection.error() != Error::kNone) fail(ref, Status::engine(ref.connection.error()));
  }
}

void Server::refuse(Socket& socket, const std::string& address) {
  // Say why (best effort: 2 bytes fit any socket buffer) and close. A ClientHello
  // already received is read and dropped first: closing with unread input would send
  // a reset, which can destroy the Error before the client reads it. Counted before
  // the client can see the answer.
  counters_.refused.fetch_add(1);
  (void)send_some(socket, ByteSpan(kOverloadMessage));
  std::uint8_t discard[kMaxHandshakeMessageSize];
  (void)receive_some(socket, discard);
  handler_.on_refused(address);
  socket.close();
}

void Server::evict(Peer& peer) {
  // The same Error 0x06 as a refusal, but only between whole messages: after part of
  // a ServerHello it would be misread, so then the close alone has to say it.
  if (peer.unsent() == 0) {
    (void)send_some(peer.socket, ByteSpan(kOverloadMessage));
    std::uint8_t discard[kMaxHandshakeMessageSize];
    (void)receive_some(peer.socket, discard);
  }
  finish(peer, Status(StatusCode::kOverloaded,
                      "evicted from the full handshake table: the oldest of the largest share"));
  counters_.handshakes_evicted.fetch_add(1);
}

void Server::on_ready(Peer& peer, bool readable, bool writable) {
  if (writable) flush(peer);
  if (readable && !peer.dead && (peer.interest & kWaitReadable) != 0) read_from(peer);
  if (!peer.dead) pump(peer);
}

void Server::read_from(Peer& peer) {
  const IoResult io = receive_some(peer.socket, read_buffer_);
  switch (io.state) {
    case IoState::kDone: {
      counters_.bytes_received.fetch_add(io.bytes);
      peer.last_activity = Clock::now();
      peer.may_hold_buffers = true;
      const ByteSpan data(read_buffer_.data(), io.bytes);
      const std::size_t used = feed(peer, data);
      if (!peer.dead && used < data.size()) {
        // Keep the rest (at most one read) until the peer drains our output.
        peer.input.assign(data.begin() + static_cast<std::ptrdiff_t>(used), data.end());
        peer.input_begin = 0;
      }
      return;
    }
    case IoState::kWouldBlock: return;
    case IoState::kEndOfStream: {
      peer.end_of_stream = true;
      PeerSink sink(*this, peer);
      const Error error = stream::feed_end(peer.connection, engine_now(), sink);
      if (error != Error::kNone) return fail(peer, connection_failure(error));
      // A clean end: the peer's close_notify came first and was answered then.
      peer.closing = true;
      return;
    }
    case IoState::kReset:
      return fail(peer, Status(StatusCode::kConnectionClosed, "connection reset by peer"));
    case IoState::kError:
      return fail(peer, Status(StatusCode::kSystem, "recv: " + system_error_text(io.system_error)));
  }
}

bool Server::has_room_for_reply(const Peer& peer) const {
  return peer.connection.pending_transmit() + options_.max_message_size + kFrameOverhead <=
         output_limit_;
}

std::size_t Server::feed(Peer& peer, ByteSpan data) {
  PeerSink sink(*this, peer);
  const stream::FeedResult result = stream::feed(peer.connection, data, engine_now(), sink);
  switch (result.stop) {
    case stream::FeedStop::kInputUsed:
    case stream::FeedStop::kPaused: break;
    case stream::FeedStop::kFailed: fail(peer, connection_failure(peer.connection.error())); break;
    case stream::FeedStop::kStalled:
      fail(peer, Status(StatusCode::kSystem, "the engine took no input and had no event"));
      break;
  }
  return result.consumed;
}

void Server::flush(Peer& peer) {
  while (!peer.dead) {
    const ByteSpan pending = peer.connection.peek_transmit();
    if (pending.empty()) break;
    const IoResult io = send_some(peer.socket, pending);
    if (io.state == IoState::kDone) {
      peer.connection.consume_transmit(io.bytes);
      if (io.bytes > 0) {
        peer.last_activity = Clock::now();
        peer.may_hold_buffers = true;
      }
      continue;
    }
    if (io.state == IoState::kWouldBlock) break;  // the poller tells us when to go on
    // finish, not fail: fail flushes first, and flushing is what just broke.
    finish(peer, Status(StatusCode::kConnectionClosed, "connection reset by peer"));
    return;
  }
}

void Server::pump(Peer& peer) {
  // Input kept back by backpressure goes first once there is room again.
  while (!peer.dead && peer.unconsumed() > 0 && (peer.handshaking || has_room_for_reply(peer))) {
    const std::size_t used = feed(peer, ByteSpan(peer.input).subspan(peer.input_begin));
    if (peer.dead || used == 0) break;
    peer.input_begin += used;
    flush(peer);
  }
  if (!peer.dead && peer.unconsumed() == 0) {
    peer.input.clear();
    peer.input_begin = 0;
  }
  if (!peer.dead) flush(peer);
  if (peer.dead) return;
  // Everything said both ways, or the peer has left after a clean close: done.
  const bool drained = peer.unsent() == 0;
  if (peer.closing && drained && (peer.connection.peer_closed() || peer.end_of_stream) &&
      peer.connection.sent_close()) {
    return finish(peer, Status(StatusCode::kPeerClosed, "session closed cleanly"));
  }
  account(peer);
  update_interest(peer);
}

void Server::update_interest(Peer& peer) {
  unsigned interest = 0;
  const bool may_read = !peer.end_of_stream && peer.unconsumed() == 0 &&
                        (peer.handshaking || has_room_for_reply(peer));
  if (may_read) interest |= kWaitReadable;
  if (peer.unsent() > 0) interest |= kWaitWritable;
  if (interest != peer.interest) {
    peer.interest = interest;
    if (!poller_->modify(peer.socket.native(), peer.id, interest).ok()) {
      fail(peer, Status(StatusCode::kSystem, "poller refused the connection"));
    }
  }
}

void Server::account(Peer& peer) {
  const std::size_t now = peer.unconsumed() + peer.unsent();
  buffered_now_ = buffered_now_ - peer.buffered + now;
  peer.buffered = now;
  counters_.buffered_bytes.store(buffered_now_);
  if (now > counters_.peak_connection_buffered.load())
    counters_.peak_connection_buffered.store(now);
}

void Server::expire_timers() {
  const Deadline now = Clock::now();
  const Instant engine_time = engine_now();
  for (auto& [id, peer] : peers_) {
    if (peer->dead) continue;
    if (peer->handshaking) {
      const auto deadline = peer->connection.poll_timeout();
      if (deadline && engine_time >= *deadline) {
        (void)peer->connection.handle_timeout(engine_time);  // queues Error 0x04
        fail(*peer, Status::engine(Error::kTimeout));
      }
    } else if (const auto frame_deadline = peer->connection.poll_timeout();
               frame_deadline && engine_time >= *frame_deadline) {
      // A frame started and not finished in time (ChannelConfig::frame_timeout).
      (void)peer->connection.handle_timeout(engine_time);
      fail(*peer, Status::engine(Error::kFrameTimeout));
    } else if (now >= idle_deadline(*peer)) {
      fail(*peer, Status(StatusCode::kTimeout, "session idle for too long"));
    } else if (peer->may_hold_buffers && now - peer->last_activity >= kReleaseBuffersAfter) {
      release_buffers(*peer);
    }
  }
}

void Server::release_buffers(Peer& peer) {
  if (peer.unconsumed() != 0 || !peer.connection.release_idle_buffers()) return;  // still in use
  std::vector<std::uint8_t>().swap(peer.input);
  peer.input_begin = 0;
  peer.may_hold_buffers = false;
}

void Server::fail(Peer& peer, const Status& reason) {
  if (peer.dead) return;
  // One non-blocking attempt to deliver the engine's Error message, if it has one.
  flush(peer);
  if (peer.dead) return;  // flush found the socket broken and already failed it
  finish(peer, reason);
}

void Server::finish(Peer& peer, const Status& reason) {
  if (peer.dead) return;
  peer.dead = true;
  // The handler runs before the counters move, so whoever sees a counter change
  // (another thread reading stats()) also sees what the handler recorded.
  if (peer.handshaking) {
    admission_->remove(peer.id);
    handler_.on_handshake_failed(peer.id, reason);
    if (reason.code() == StatusCode::kTimeout) counters_.handshakes_timed_out.fetch_add(1);
    counters_.handshakes_failed.fetch_add(1);
    counters_.active_handshakes.fetch_sub(1);
  } else {
    handler_.on_closed(peer.id, reason);
    counters_.sessions_closed.fetch_add(1);
    counters_.active_sessions.fetch_sub(1);
  }
  connections_per_source_->remove(peer.source);
  poller_->remove(peer.socket.native());
  peer.socket.close();
  buffered_now_ -= peer.buffered;
  peer.buffered = 0;
  counters_.buffered_bytes.store(buffered_now_);
  dead_.push_back(peer.id);
}

void Server::reap() {
  for (const ConnectionId id : dead_) peers_.erase(id);
  dead_.clear();
}

const Connection* Server::connection(ConnectionId id) const {
  const auto it = peers_.find(id);
  if (it == peers_.end() || it->second->dead || it->second->handshaking) return nullptr;
  return &it->second->connection;
}

Error Server::send(ConnectionId id, ByteSpan message) {
  const auto it = peers_.find(id);
  if (it == peers_.end() || it->second->dead || it->second->handshaking) return Error::kWrongState;
  const Error error = it->second->connection.send(message);
  if (error == Error::kNone) it->second->last_message = Clock::now();
  return error;
}

void Server::close(ConnectionId id) {
  const auto it = peers_.find(id);
  if (it == peers_.end() || it->second->dead || it->second->handshaking) return;
  (void)it->second->connection.close();
  it->second->closing = true;
}

ServerStats Server::stats() const {
  ServerStats s;
  s.accepted = counters_.accepted.load();
  s.refused = counters_.refused.load();
  s.refused_per_address = counters_.refused_per_address.load();
  s.handshakes_completed = counters_.handshakes_completed.load();
  s.handshakes_failed = counters_.handshakes_failed.load();
  s.handshakes_timed_out = counters_.handshakes_timed_out.load();
  s.handshakes_evicted = counters_.handshakes_evicted.load();
  s.sessions_closed = counters_.sessions_closed.load();
  s.messages_received = counters_.messages_received.load();
  s.bytes_received = counters_.bytes_received.load();
  s.active_handshakes = counters_.active_handshakes.load();
  s.active_sessions = counters_.active_sessions.load();
  s.buffered_bytes = counters_.buffered_bytes.load();
  s.peak_connection_buffered = counters_.peak_connection_buffered.load();
  return s;
}

}  // namespace p2pnet::net
