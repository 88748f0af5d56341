// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// 10_secure_server KEYFILE [--host ADDR] [--port N] [--allow PUBKEY]...
//                  [--handshake-timeout SECONDS] [--max-message BYTES]
//                  [--max-handshakes N] [--max-handshakes-per-address N]
//                  [--max-connections N] [--idle-timeout SECONDS] [--workers N]
// The secure server (docs/adapters.md "Running"): authenticates every client with the
// handshake and echoes each message back over the encrypted channel. It runs on the
// non-blocking server (adapters/socket/server.h), so many clients are served at once
// and a slow or hostile one cannot hold up the others. --port 0 picks a free port; the
// line "[INFO] Listening on port N" always shows the real one. SIGINT or SIGTERM ends
// it cleanly with exit status 0. --max-handshakes-per-address bounds the handshakes one
// IPv4 address (IPv6: one /64) may have in progress (default 8; raise it for clients
// behind one NAT address, or for load tests from one machine). --workers N (default 1)
// runs N servers, each its own loop on its own thread, listening on the same port
// with SO_REUSEPORT so the kernel spreads connections among them; the bounds are then
// per worker. Not on Windows, which has no SO_REUSEPORT.
#include <sodium.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "example_cli.h"
#include "p2pnet/fingerprint.h"
#include "p2pnet/socket/identity_file.h"
#include "p2pnet/socket/server.h"

namespace {

using p2pnet::net::ConnectionId;
using p2pnet::net::Status;

std::atomic<bool> g_stop{false};  // set from the signal handler (lock-free, so signal-safe)

extern "C" void on_signal(int) { g_stop.store(true); }

void usage() {
  std::fprintf(stderr,
               "usage: 10_secure_server KEYFILE [--host ADDR] [--port N] [--allow PUBKEY]...\n"
               "                        [--handshake-timeout SECONDS] [--max-message BYTES]\n"
               "                        [--max-handshakes N] [--max-handshakes-per-address N]\n"
               "                        [--max-connections N] [--idle-timeout SECONDS] [--workers N]\n");
}

// kShownBytes bounds a [RECV] line, so a client cannot flood the log.
constexpr std::size_t kShownBytes = 200;

// EchoHandler logs the documented lines (docs/adapters.md "Running") and sends every
// message back.
class EchoHandler final : public p2pnet::net::ServerHandler {
 public:
  void attach(p2pnet::net::Server* server) { server_ = server; }

  void on_accepted(ConnectionId id, const std::string& address) override {
    addresses_[id] = address;
    std::printf("[OK] Client connected from %s\n", address.c_str());
    std::printf("[INFO] Starting handshake...\n");
  }
  void on_refused(const std::string& address) override {
    std::printf("[WARN] Refused %s: too many connections or handshakes in progress\n", address.c_str());
  }
  void on_handshake_complete(ConnectionId id, const p2pnet::PublicKey& peer) override {
    std::printf("[OK] Handshake complete!\n");
    std::printf("[OK] Peer identity: %s\n", p2pnet::examples::short_key(peer).c_str());
    if (const p2pnet::Connection* connection = server_->connection(id)) {
      // A hash of the session key, never the key: the client prints the same one.
      std::printf("[OK] Session key fingerprint: %s\n",
                  p2pnet::key_fingerprint(connection->session_key()).c_str());
    }
    std::printf("[INFO] Session established\n");
  }
  void on_handshake_failed(ConnectionId id, const Status& reason) override {
    std::printf("[ERROR] Handshake with %s failed: %s\n", addresses_[id].c_str(), reason.message().c_str());
    addresses_.erase(id);
  }
  void on_message(ConnectionId id, p2pnet::ByteSpan message) override {
    std::printf("[RECV] %s: %s\n", addresses_[id].c_str(),
                p2pnet::examples::printable(message, kShownBytes).c_str());
    const p2pnet::Error error = server_->send(id, message);
    if (error != p2pnet::Error::kNone) {
      std::printf("[ERROR] Echo to %s failed: %s\n", addresses_[id].c_str(),
                  std::string(p2pnet::error_message(error)).c_str());
    }
  }
  void on_closed(ConnectionId id, const Status& reason) override {
    if (reason.code() == p2pnet::net::StatusCode::kPeerClosed) {
      std::printf("[INFO] Session with %s closed\n", addresses_[id].c_str());
    } else {
      std::printf("[INFO] Session with %s ended: %s\n", addresses_[id].c_str(), reason.message().c_str());
    }
    addresses_.erase(id);
  }

 private:
  p2pnet::net::Server* server_ = nullptr;
  std::unordered_map<ConnectionId, std::string> addresses_;
};

}  // namespace

int main(int argc, char** argv) {
  p2pnet::examples::line_buffer_stdout();
  std::string key_path;
  std::string host = "127.0.0.1";
  unsigned long long port = 8080;
  std::vector<p2pnet::PublicKey> allowed;
  p2pnet::net::ServerOptions options;
  unsigned long long workers = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      host = argv[++i];
    } else if (arg == "--port" && has_value) {
      const auto value = p2pnet::examples::parse_unsigned(argv[++i], 65535);
      if (!value) return std::printf("[ERROR] --port needs a number 0..65535\n"), 1;
      port = *value;
    } else if (arg == "--allow" && has_value) {
      const auto key = p2pnet::decode_public_key(argv[++i]);
      if (!key) return std::printf("[ERROR] --allow '%s' is not a valid 43-character public key\n", argv[i]), 1;
      allowed.push_back(*key);
    } else if (arg == "--handshake-timeout" && has_value) {
      const auto value = p2pnet::examples::parse_seconds(argv[++i]);
      if (!value) return std::printf("[ERROR] --handshake-timeout needs a positive number of seconds\n"), 1;
      options.handshake_timeout = *value;
    } else if (arg == "--idle-timeout" && has_value) {
      const auto value = p2pnet::examples::parse_seconds(argv[++i]);
      if (!value) return std::printf("[ERROR] --idle-timeout needs a positive number of seconds\n"), 1;
      options.idle_timeout = *value;
    } else if (arg == "--max-message" && has_value) {
      const auto value = p2pnet::examples::parse_unsigned(argv[++i], p2pnet::kMaxMessageSizeLimit);
      if (!value || *value == 0) {
        return std::printf("[ERROR] --max-message needs 1..%zu bytes\n", p2pnet::kMaxMessageSizeLimit), 1;
      }
      options.max_message_size = static_cast<std::size_t>(*value);
    } else if (arg == "--max-handshakes" && has_value) {
      const auto value = p2pnet::examples::parse_unsigned(argv[++i], 1'000'000);
      if (!value || *value == 0) return std::printf("[ERROR] --max-handshakes needs a positive number\n"), 1;
      options.max_handshakes = static_cast<std::size_t>(*value);
    } else if (arg == "--max-handshakes-per-address" && has_value) {
      const auto value = p2pnet::examples::parse_unsigned(argv[++i], 1'000'000);
      if (!value || *value == 0) {
        return std::printf("[ERROR] --max-handshakes-per-address needs a positive number\n"), 1;
      }
      options.max_handshakes_per_address = static_cast<std::size_t>(*value);
    } else if (arg == "--max-connections" && has_value) {
      const auto value = p2pnet::examples::parse_unsigned(argv[++i], 1'000'000);
      if (!value || *value == 0) return std::printf("[ERROR] --max-connections needs a positive number\n"), 1;
      options.max_connections = static_cast<std::size_t>(*value);
    } else if (arg == "--workers" && has_value) {
      const auto value = p2pnet::examples::parse_unsigned(argv[++i], 256);
      if (!value || *value == 0) return std::printf("[ERROR] --workers needs a number 1..256\n"), 1;
      if (*value > 1 && !p2pnet::net::reuse_port_supported()) {
        return std::printf("[ERROR] --workers above 1 needs SO_REUSEPORT, which this platform lacks\n"), 1;
      }
      workers = *value;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (key_path.empty() && !arg.starts_with("--")) {
      key_path = arg;
    } else {
      std::printf("[ERROR] unknown or incomplete argument '%s'\n", arg.c_str());
      usage();
      return 1;
    }
  }
  if (key_path.empty()) {
    std::printf("[ERROR] missing KEYFILE\n");
    usage();
    return 1;
  }
  if (sodium_init() < 0) return std::printf("[ERROR] libsodium failed to initialise\n"), 1;

  p2pnet::examples::print_banner("Secure Server (Milestone 2.2)");
  std::printf("[INFO] Loading server identity...\n");
  std::optional<p2pnet::Identity> identity;
  if (const Status s = p2pnet::net::load_identity_file(key_path, &identity); !s.ok()) {
    std::printf("[ERROR] %s\n", s.message().c_str());
    return 1;
  }
  std::printf("[OK] Server identity: %s\n", p2pnet::examples::short_key(identity->public_key()).c_str());
  std::printf("[INFO] Full public key: %s\n", p2pnet::encode_public_key(identity->public_key()).c_str());
  if (!allowed.empty()) {
    std::printf("[INFO] Accepting %zu allowed client identit%s only\n", allowed.size(), allowed.size() == 1 ? "y" : "ies");
    options.allowed_clients = allowed;
  }
  std::printf("\n");

  options.identity = &*identity;
  options.reuse_port = workers > 1;
  // One server per worker, each with its own handler and loop; the first picks the
  // port (it may be 0), the others join it.
  std::vector<std::unique_ptr<EchoHandler>> handlers;
  std::vector<std::unique_ptr<p2pnet::net::Server>> servers;
  for (unsigned long long w = 0; w < workers; ++w) {
    handlers.push_back(std::make_unique<EchoHandler>());
    std::unique_ptr<p2pnet::net::Server> server;
    const auto worker_port = static_cast<std::uint16_t>(servers.empty() ? port : servers.front()->port());
    if (const Status s = p2pnet::net::Server::create(&server, options, *handlers.back(), host, worker_port);
        !s.ok()) {
      std::printf("[ERROR] %s\n", s.message().c_str());
      return 1;
    }
    handlers.back()->attach(server.get());
    servers.push_back(std::move(server));
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  std::printf("[INFO] Listening on port %u\n", static_cast<unsigned>(servers.front()->port()));
  if (workers > 1) std::printf("[INFO] %llu workers share the port\n", workers);
  std::printf("[INFO] Waiting for clients...\n\n");
  std::fflush(stdout);

  // Worker 0 runs on the main thread; a worker whose loop fails stops them all.
  std::vector<Status> results(servers.size());
  std::vector<std::thread> threads;
  const auto run_worker = [&](std::size_t w) {
    results[w] = servers[w]->run(g_stop);
    if (!results[w].ok()) g_stop.store(true);
  };
  for (std::size_t w = 1; w < servers.size(); ++w) threads.emplace_back(run_worker, w);
  run_worker(0);
  for (std::thread& thread : threads) thread.join();
  for (const Status& s : results) {
    if (!s.ok()) return std::printf("[ERROR] %s\n", s.message().c_str()), 1;
  }
  unsigned long long completed = 0, failed = 0, refused = 0;
  for (const auto& server : servers) {
    const p2pnet::net::ServerStats stats = server->stats();
    completed += stats.handshakes_completed;
    failed += stats.handshakes_failed;
    refused += stats.refused;
  }
  std::printf("\n[INFO] Shutting down: %llu handshakes completed, %llu failed, %llu refused\n", completed, failed,
              refused);
  return 0;
}
