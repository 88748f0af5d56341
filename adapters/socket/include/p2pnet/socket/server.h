// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// server.h: a non-blocking server that runs many handshakes and sessions at once on
// one thread. One Connection per TCP connection; readiness from a Poller (epoll on
// Linux, poll/WSAPoll elsewhere); all sockets non-blocking, so no peer can make the
// loop wait. What keeps one bad client from hurting the others (docs/adapters.md):
//   - deadlines, all the engine's (poll_timeout/handle_timeout): a handshake's (Error
//     0x04 sent) and, in a session, a frame's: a frame that has started must be whole
//     within frame_timeout, so a client trickling bytes cannot hold a session;
//   - bounds on connections and on handshakes, in all and per source address (IPv4
//     address, IPv6 /64). The per-address ones bite under pressure (the table or the
//     connection bound more than per_address_limits_above full): then a connection
//     from an address that already has max_handshakes_per_address handshakes, or
//     max_connections_per_address connections, is sent Error 0x06 (overload) and
//     closed at once. When the handshake table or the connection bound is full, the
//     oldest handshake of the address with the most is evicted (Error 0x06) to make
//     room, so silent or churning connections cannot lock clients out; only when
//     every connection is an established session is the newcomer refused
//     (docs/adapters.md, "Handshake admission");
//   - bounded buffers: at most one read (16 KiB) of unconsumed input per connection,
//     and the engine's bounded send queue, written to the socket from there. A message
//     is handed to the handler only when the send queue has room for a full-size
//     reply; otherwise the server stops reading from that client until it drains
//     (backpressure), so a client that sends but never reads cannot grow memory;
//   - partial reads and writes are normal; resets and errors close one connection;
//     a session with no complete message either way for idle_timeout is closed
//     (half-open peers, and peers that send bytes but never a whole message).
//
// Events are delivered to a ServerHandler during run_once. A handler may call send()
// and close() for the connection it is told about; message bytes are valid only
// during the call. The handler runs on the server's thread and must not block.
#ifndef P2PNET_SOCKET_SERVER_H_
#define P2PNET_SOCKET_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/socket/poller.h"
#include "p2pnet/socket/socket.h"

namespace p2pnet::net {

// ConnectionId names a connection in the server's events and in the log hook's calls
// (its log_id). The top 16 bits are ServerOptions::worker, the rest count up from 1
// per server, so servers that share a port (workers) never give two connections the
// same id; connection_id_text shows one as "W.N" (or "N" for worker 0).
using ConnectionId = std::uint64_t;
inline constexpr int kConnectionWorkerShift = 48;
inline constexpr unsigned kMaxWorker = 0xFFFF;
// connection_id_text: "N" when the worker bits are 0, else "W.N".
std::string connection_id_text(ConnectionId id);
class HandshakeAdmission;  // the admission policy (src/handshake_admission.h)
class SourceCounts;        // connections per source (src/handshake_admission.h)

struct ServerOptions {
  const Identity* identity = nullptr;  // required; borrowed, must outlive the server
  std::optional<std::vector<PublicKey>> allowed_clients;  // nullopt: any client
  Duration handshake_timeout = kDefaultHandshakeTimeout;
  std::size_t max_message_size = kDefaultMaxMessageSize;
  std::size_t max_handshakes = 256;            // concurrent handshakes; when full, one is evicted
  std::size_t max_handshakes_per_address = 8;  // from one IPv4 address / IPv6 /64, under pressure
  std::size_t max_connections = 1024;          // handshakes + sessions; when full, a handshake is
                                               // evicted, or the newcomer refused if there is none
  // Handshakes and sessions from one address (IPv4 address / IPv6 /64), under pressure:
  // past it the newcomer is refused (Error 0x06), so one address cannot hold every
  // session (docs/adapters.md, "Bounds, and why").
  std::size_t max_connections_per_address = 32;
  // The pressure rule: the per-address limits above apply only while the handshake
  // table (for max_handshakes_per_address) or the connection bound (for
  // max_connections_per_address) is more than this percentage full, so an idle
  // server serves many clients behind one address. 0: always; 100: never. 0..100.
  unsigned per_address_limits_above = 50;
  // A session with no complete message either way for this long is closed. Bytes that
  // complete no message (a frame trickled a byte at a time) do not count.
  Duration idle_timeout{300'000};
  // A frame from a client that has started must be complete within this time, or the
  // session is closed (ChannelConfig::frame_timeout: the engine's deadline).
  Duration frame_timeout = kDefaultFrameTimeout;
  int listen_backlog = 1024;
  // reuse_port: listen with SO_REUSEPORT, so several servers (one per thread, each its
  // own loop) can listen on one port and the kernel spreads connections among them.
  // The bounds above are then per server. Not on Windows (kInvalidArgument there).
  bool reuse_port = false;
  // worker: the number put in the top bits of every ConnectionId (0..kMaxWorker), so
  // that ids stay unique in a log shared by several servers (workers numbered from 1).
  unsigned worker = 0;
  // The engine's log hook (log.h), called with the ConnectionId as connection id:
  // it names refused clients in full. Optional, borrowed, called on run()'s thread.
  const LogHook* log_hook = nullptr;
  const KeyLogHook* key_log = nullptr;  // optional, borrowed, DANGEROUS: key_log.h
};

// ServerHandler receives the server's events. Every method has an empty default.
class ServerHandler {
 public:
  virtual ~ServerHandler() = default;
  virtual void on_accepted(ConnectionId /*id*/, const std::string& /*peer_address*/) {}
  // on_refused: a connection over its address's max_handshakes_per_address, or over
  // max_connections with no handshake to evict, sent Error 0x06 and closed at once
  // (no id is given).
  virtual void on_refused(const std::string& /*peer_address*/) {}
  virtual void on_handshake_complete(ConnectionId /*id*/, const PublicKey& /*peer*/) {}
  // on_handshake_failed: the reason is kTimeout, kEngine (the engine error),
  // kConnectionClosed (the client left or reset), or kOverloaded (evicted from a full
  // handshake table; the client was sent Error 0x06).
  virtual void on_handshake_failed(ConnectionId /*id*/, const Status& /*reason*/) {}
  virtual void on_message(ConnectionId /*id*/, ByteSpan /*message*/) {}
  // on_closed ends an established session: kPeerClosed for a clean close_notify
  // exchange, otherwise why it ended (truncated, reset, idle timeout, protocol error).
  virtual void on_closed(ConnectionId /*id*/, const Status& /*reason*/) {}
  // on_pass_end comes once at the end of every pass of the loop (run_once, and the
  // closing of every connection when run stops), after the pass's other calls and
  // before the server waits again. A handler that buffers what it writes (a log) can
  // write it here in one go instead of once per call.
  virtual void on_pass_end() {}
};

// ServerStats is a snapshot; stats() may be called from any thread.
struct ServerStats {
  std::uint64_t accepted = 0;             // every connection taken from the listener
  std::uint64_t refused = 0;              // of those, closed at once (Error 0x06)
  std::uint64_t refused_per_address = 0;  // included in refused: the address was at its cap
  std::uint64_t handshakes_completed = 0;
  std::uint64_t handshakes_failed = 0;
  std::uint64_t handshakes_timed_out = 0;  // included in handshakes_failed
  std::uint64_t handshakes_evicted = 0;    // included in handshakes_failed
  std::uint64_t sessions_closed = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t bytes_received = 0;
  std::size_t active_handshakes = 0;
  std::size_t active_sessions = 0;
  // Bytes the server holds for all connections now: unconsumed input and the
  // engine's send queues (the unsent output).
  std::size_t buffered_bytes = 0;
  // The most bytes one connection ever held that way.
  std::size_t peak_connection_buffered = 0;
};

class Server {
 public:
  // create listens on host:port (0: a free port, see port()). Errors: kInvalidArgument
  // (no identity, a bound of 0, a bad max_message_size), kAddress, kSystem.
  static Status create(std::unique_ptr<Server>* out, const ServerOptions& options,
                       ServerHandler& handler, const std::string& host, std::uint16_t port);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const { return port_; }

  // run_once waits at most |max_wait| (less if a deadline is nearer) for readiness
  // and handles everything ready. Errors: kSystem from the poller.
  Status run_once(Duration max_wait);
  // run calls run_once until |stop| becomes true (checked at least every 200 ms,
  // and at once after a signal interrupts the wait), then closes every connection.
  Status run(const std::atomic<bool>& stop);

  // send queues |message| on an established session. Returns the engine's error;
  // kWrongState for an unknown or not yet established connection. From the handler,
  // replying to the message being delivered always has room (see above).
  Error send(ConnectionId id, ByteSpan message);
  // close sends close_notify; the connection closes once the peer answers or leaves.
  void close(ConnectionId id);
  // connection gives read access to an established session's engine (peer, session
  // key fingerprint, state), or nullptr for an unknown or not yet established one.
  const Connection* connection(ConnectionId id) const;

  ServerStats stats() const;

 private:
  struct Peer;
  class PeerSink;  // the feed loop's view of one peer (server.cc)
  Server(const ServerOptions& options, ServerHandler& handler);

  void accept_pending();
  void refuse(Socket& socket, const std::string& address);
  void evict(Peer& peer);
  void on_ready(Peer& peer, bool readable, bool writable);
  void read_from(Peer& peer);
  std::size_t feed(Peer& peer, ByteSpan data);
  bool has_room_for_reply(const Peer& peer) const;
  void flush(Peer& peer);
  void pump(Peer& peer);
  void update_interest(Peer& peer);
  void expire_timers();
  void release_buffers(Peer& peer);
  void fail(Peer& peer, const Status& reason);
  void finish(Peer& peer, const Status& reason);
  void account(Peer& peer);
  void reap();
  Deadline next_deadline(Deadline cap) const;
  Deadline idle_deadline(const Peer& peer) const;

  ServerOptions options_;
  ServerConfig config_;
  ServerHandler& handler_;
  Socket listener_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Poller> poller_;
  std::unordered_map<ConnectionId, std::unique_ptr<Peer>> peers_;
  std::unique_ptr<HandshakeAdmission> admission_;         // the handshakes among peers_
  std::unique_ptr<SourceCounts> connections_per_source_;  // every live peer, by source
  std::vector<ConnectionId> dead_;
  ConnectionId next_id_;  // worker bits | serial from 1 (0 is the listener's token)
  std::vector<ReadyEvent> ready_;
  std::vector<std::uint8_t> read_buffer_;
  Deadline accept_paused_until_{};
  std::size_t output_limit_ = 0;  // the engine's send-queue bound
  std::size_t buffered_now_ = 0;

  struct Counters {
    std::atomic<std::uint64_t> accepted{0}, refused{0}, refused_per_address{0},
        handshakes_completed{0}, handshakes_failed{0}, handshakes_timed_out{0},
        handshakes_evicted{0}, sessions_closed{0}, messages_received{0}, bytes_received{0};
    std::atomic<std::size_t> active_handshakes{0}, active_sessions{0}, buffered_bytes{0},
        peak_connection_buffered{0};
  } counters_;
};

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_SERVER_H_
