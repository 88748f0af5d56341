// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// 11_secure_client KEYFILE SERVER_PUBKEY [--host ADDR] [--port N] [--timeout SECONDS]
// The secure client (docs/adapters.md "Running"): connects, runs the handshake
// expecting SERVER_PUBKEY, then sends each line of standard input (without its line
// ending) as one encrypted message and prints the server's echo as "[ECHO] <text>",
// with every byte outside printable ASCII shown as \xNN (example_cli.h, printable). At
// end of input it sends close_notify, waits for the server's, and exits 0. Any failure
// prints "[ERROR] <reason>" and exits 1. Every wait (connect, handshake, each echo, the
// close) is bounded by --timeout (default 10 seconds). Empty lines are skipped: an
// empty frame is close_notify on the wire, so it cannot be a message.
#include <sodium.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "example_cli.h"
#include "p2pnet/fingerprint.h"
#include "p2pnet/socket/blocking.h"
#include "p2pnet/socket/identity_file.h"

namespace {

using p2pnet::net::Status;
using p2pnet::net::StatusCode;

void usage() {
  std::fprintf(stderr,
               "usage: 11_secure_client KEYFILE SERVER_PUBKEY [--host ADDR] [--port N] [--timeout SECONDS]\n");
}

int fail(const std::string& reason) {
  std::printf("[ERROR] %s\n", reason.c_str());
  return 1;
}

// handshake_reason explains a failed handshake from the client's point of view.
std::string handshake_reason(const Status& status) {
  if (status.engine_error() == p2pnet::Error::kPeerNotAllowed) {
    return "Handshake failed: the server's identity is not the expected SERVER_PUBKEY";
  }
  if (status.engine_error() == p2pnet::Error::kPeerAbortNotAccepted) {
    return "Handshake failed: the server does not accept this client's identity";
  }
  return "Handshake failed: " + status.message();
}

}  // namespace

int main(int argc, char** argv) {
  p2pnet::examples::line_buffer_stdout();
  std::string positional[2];
  int positional_count = 0;
  std::string host = "127.0.0.1";
  unsigned long long port = 8080;
  p2pnet::Duration timeout{10'000};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      host = argv[++i];
    } else if (arg == "--port" && has_value) {
      const auto value = p2pnet::examples::parse_unsigned(argv[++i], 65535);
      if (!value || *value == 0) return fail("--port needs a number 1..65535");
      port = *value;
    } else if (arg == "--timeout" && has_value) {
      const auto value = p2pnet::examples::parse_seconds(argv[++i]);
      if (!value) return fail("--timeout needs a positive number of seconds");
      timeout = *value;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (positional_count < 2 && !arg.starts_with("--")) {
      positional[positional_count++] = arg;
    } else {
      usage();
      return fail("unknown or incomplete argument '" + arg + "'");
    }
  }
  if (positional_count != 2) {
    usage();
    return fail("expected KEYFILE and SERVER_PUBKEY");
  }
  const std::optional<p2pnet::PublicKey> server_key = p2pnet::decode_public_key(positional[1]);
  if (!server_key) return fail("SERVER_PUBKEY is not a valid 43-character public key");
  if (sodium_init() < 0) return fail("libsodium failed to initialise");

  p2pnet::examples::print_banner("Secure Client (Milestone 2.2)");
  std::printf("[INFO] Loading client identity...\n");
  std::optional<p2pnet::Identity> identity;
  if (const Status s = p2pnet::net::load_identity_file(positional[0], &identity); !s.ok()) return fail(s.message());
  std::printf("[OK] Client identity: %s\n\n", p2pnet::examples::short_key(identity->public_key()).c_str());

  std::printf("[INFO] Connecting to %s:%llu...\n", host.c_str(), port);
  p2pnet::net::Socket socket;
  if (const Status s = p2pnet::net::connect_tcp(&socket, host, static_cast<std::uint16_t>(port),
                                                p2pnet::net::deadline_after(timeout));
      !s.ok()) {
    return fail(s.message());
  }
  std::printf("[OK] Connected\n\n");

  std::printf("[INFO] Starting handshake...\n");
  p2pnet::ClientConfig config;
  config.identity = &*identity;
  config.expected_server = *server_key;
  config.handshake_timeout = timeout;
  std::unique_ptr<p2pnet::net::BlockingSession> session;
  if (const Status s = p2pnet::net::BlockingSession::handshake_client(&session, socket, config,
                                                                      p2pnet::net::deadline_after(timeout));
      !s.ok()) {
    return fail(handshake_reason(s));
  }
  std::printf("[OK] Handshake complete!\n");
  std::printf("[OK] Peer identity: %s\n", p2pnet::examples::short_key(session->peer_identity()).c_str());
  // A hash of the session key, never the key: the server prints the same one.
  std::printf("[OK] Session key fingerprint: %s\n",
              p2pnet::key_fingerprint(session->connection().session_key()).c_str());
  std::printf("[INFO] Session established\n\n");
  std::printf("Ready for encrypted communication!\n");

  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF input
    if (line.empty()) continue;
    const p2pnet::ByteSpan message(reinterpret_cast<const std::uint8_t*>(line.data()), line.size());
    if (const Status s = session->send(message, p2pnet::net::deadline_after(timeout)); !s.ok()) {
      return fail("send failed: " + s.message());
    }
    p2pnet::ByteSpan echo;
    if (const Status s = session->receive(&echo, p2pnet::net::deadline_after(timeout)); !s.ok()) {
      return fail("no echo: " + s.message());
    }
    // The server chooses these bytes: escaped, so it cannot drive the terminal.
    std::printf("[ECHO] %s\n", p2pnet::examples::printable(echo).c_str());
  }

  // End of input: close_notify, then wait for the server's, so both sides know
  // nothing was cut off.
  if (const Status s = session->close(p2pnet::net::deadline_after(timeout)); !s.ok()) {
    return fail("close failed: " + s.message());
  }
  p2pnet::ByteSpan extra;
  const Status closed = session->receive(&extra, p2pnet::net::deadline_after(timeout));
  if (closed.ok()) return fail("server sent a message after the last echo");
  if (closed.code() != StatusCode::kPeerClosed) return fail("server did not close cleanly: " + closed.message());
  std::printf("[INFO] Session closed\n");
  return 0;
}
