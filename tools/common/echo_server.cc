// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The secure server (docs/adapters.md "Running"): authenticates every client with the
// handshake and echoes each message back over the encrypted channel. It runs on the
// non-blocking server (adapters/socket/server.h), so many clients are served at once
// and a slow or hostile one cannot hold up the others. Port 0 picks a free port; the
// line "[INFO] Listening on port N" always shows the real one. SIGINT or SIGTERM ends
// it cleanly with exit status 0. With workers > 1 it runs that many servers, each its
// own loop on its own thread, listening on the same port with SO_REUSEPORT so the
// kernel spreads connections among them; the bounds are then per worker.
#include <sodium.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "p2pnet/fingerprint.h"
#include "p2pnet/socket/identity_file.h"
#include "programs.h"

namespace p2pnet::tools {
namespace {

using net::ConnectionId;
using net::Status;

std::atomic<bool> g_stop{false};  // set from the signal handler (lock-free, so signal-safe)

extern "C" void on_signal(int) { g_stop.store(true); }

// kShownBytes bounds a [RECV] line, so a client cannot flood the log.
constexpr std::size_t kShownBytes = 200;

// EchoHandler logs the documented lines (docs/adapters.md "Running") and sends every
// message back. One per worker: it is used on its server's thread only, where a
// LineBatch gathers the lines of each pass of the loop until on_pass_end writes them.
class EchoHandler final : public net::ServerHandler {
 public:
  explicit EchoHandler(const Output& out) : out_(out) {}
  void attach(net::Server* server) { server_ = server; }

  void on_accepted(ConnectionId id, const std::string& address) override {
    addresses_[id] = address;
    out_.line("[OK] Client connected from " + address);
    out_.line("[INFO] Starting handshake...");
  }
  void on_refused(const std::string& address) override {
    out_.line("[WARN] Refused " + address + ": too many connections or handshakes in progress");
  }
  void on_handshake_complete(ConnectionId id, const PublicKey& peer) override {
    out_.line("[OK] Handshake complete!");
    out_.line("[OK] Peer identity: " + out_.key(peer));
    if (const Connection* connection = server_->connection(id)) {
      // A hash of the session key, never the key: the client prints the same one.
      out_.line("[OK] Session key fingerprint: " + key_fingerprint(connection->session_key()));
    }
    out_.line("[INFO] Session established");
  }
  void on_handshake_failed(ConnectionId id, const Status& reason) override {
    out_.line("[ERROR] Handshake with " + addresses_[id] + " failed: " + reason.message());
    addresses_.erase(id);
  }
  void on_message(ConnectionId id, ByteSpan message) override {
    out_.line("[RECV] " + addresses_[id] + ": " + printable(message, kShownBytes));
    const Error error = server_->send(id, message);
    if (error != Error::kNone) {
      out_.line("[ERROR] Echo to " + addresses_[id] +
                " failed: " + std::string(error_message(error)));
    }
  }
  void on_pass_end() override { LineBatch::write(); }
  void on_closed(ConnectionId id, const Status& reason) override {
    if (reason.code() == net::StatusCode::kPeerClosed) {
      out_.line("[INFO] Session with " + addresses_[id] + " closed");
    } else {
      out_.line("[INFO] Session with " + addresses_[id] + " ended: " + reason.message());
    }
    addresses_.erase(id);
  }

 private:
  const Output& out_;
  net::Server* server_ = nullptr;
  std::unordered_map<ConnectionId, std::string> addresses_;
};

}  // namespace

int run_echo_server(ServeSettings settings, const Output& out) {
  line_buffer_stdout();
  if (sodium_init() < 0) return out.fail("libsodium failed to initialise");
  if (settings.workers > 1 && !net::reuse_port_supported()) {
    return out.fail("--workers above 1 needs SO_REUSEPORT, which this platform lacks");
  }

  out.banner("Secure Server (Milestone 2.2)");
  out.line("[INFO] Loading server identity...");
  std::optional<Identity> identity;
  if (const Status s = net::load_identity_file(settings.key_path, &identity); !s.ok())
    return out.fail(s.message());
  out.line("[OK] Server identity: " + out.key(identity->public_key()));
  out.line("[INFO] Full public key: " + encode_public_key(identity->public_key()));
  if (!settings.allowed.empty()) {
    const std::size_t n = settings.allowed.size();
    out.line("[INFO] Accepting " + std::to_string(n) + " allowed client identit" +
             (n == 1 ? "y" : "ies") + " only");
    settings.options.allowed_clients = settings.allowed;
  }
  out.blank();

  settings.options.identity = &*identity;
  settings.options.reuse_port = settings.workers > 1;
  // One server per worker, each with its own handler and loop; the first picks the
  // port (it may be 0), the others join it.
  std::vector<std::unique_ptr<EchoHandler>> handlers;
  std::vector<std::unique_ptr<net::Server>> servers;
  for (unsigned w = 0; w < settings.workers; ++w) {
    handlers.push_back(std::make_unique<EchoHandler>(out));
    // Workers number their connections W.N (W from 1), so a shared log is unambiguous.
    settings.options.worker = settings.workers > 1 ? w + 1 : 0;
    std::unique_ptr<net::Server> server;
    const std::uint16_t port = servers.empty() ? settings.port : servers.front()->port();
    if (const Status s =
            net::Server::create(&server, settings.options, *handlers.back(), settings.host, port);
        !s.ok()) {
      return out.fail(s.message());
    }
    handlers.back()->attach(server.get());
    servers.push_back(std::move(server));
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  out.line("[INFO] Listening on port " + std::to_string(servers.front()->port()));
  if (settings.workers > 1)
    out.line("[INFO] " + std::to_string(settings.workers) + " workers share the port");
  out.line("[INFO] Waiting for clients...");
  out.blank();
  std::fflush(stdout);

  // Worker 0 runs on the calling thread; a worker whose loop fails stops them all.
  std::vector<Status> results(servers.size());
  std::vector<std::thread> threads;
  const auto run_worker = [&](std::size_t w) {
    const LineBatch batch;  // this worker's log lines, written once per pass
    results[w] = servers[w]->run(g_stop);
    if (!results[w].ok()) g_stop.store(true);
  };
  for (std::size_t w = 1; w < servers.size(); ++w) threads.emplace_back(run_worker, w);
  run_worker(0);
  for (std::thread& thread : threads) thread.join();
  for (const Status& s : results) {
    if (!s.ok()) return out.fail(s.message());
  }
  std::uint64_t completed = 0, failed = 0, refused = 0;
  for (const auto& server : servers) {
    const net::ServerStats stats = server->stats();
    completed += stats.handshakes_completed;
    failed += stats.handshakes_failed;
    refused += stats.refused;
  }
  out.blank();
  out.line("[INFO] Shutting down: " + std::to_string(completed) + " handshakes completed, " +
           std::to_string(failed) + " failed, " + std::to_string(refused) + " refused");
  return 0;
}

}  // namespace p2pnet::tools
