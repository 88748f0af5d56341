// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The secure client (docs/adapters.md "Running"): connects, runs the handshake expecting the
// server's key, then sends each line of standard input (without its line ending) as one encrypted
// message and prints the server's echo as "[ECHO] <text>", with every byte outside
// printable ASCII shown as \xNN (output.h, printable). At end of input it sends
// close_notify, waits for the server's, and returns 0. Every wait (connect,
// handshake, each echo, the close) is bounded by settings.timeout. Empty lines are
// skipped: an empty frame is close_notify on the wire, so it cannot be a message.
#include <sodium.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "p2pnet/fingerprint.h"
#include "p2pnet/socket/blocking.h"
#include "p2pnet/socket/identity_file.h"
#include "programs.h"

namespace p2pnet::tools {
namespace {

using net::Status;
using net::StatusCode;

// handshake_reason explains a failed handshake from the client's point of view.
std::string handshake_reason(const Status& status) {
  if (status.engine_error() == Error::kPeerNotAllowed) {
    return "Handshake failed: the server's identity is not the expected SERVER_PUBKEY";
  }
  if (status.engine_error() == Error::kPeerAbortNotAccepted) {
    return "Handshake failed: the server does not accept this client's identity";
  }
  return "Handshake failed: " + status.message();
}

}  // namespace

int run_secure_client(const ConnectSettings& settings, const Output& out) {
  line_buffer_stdout();
  if (sodium_init() < 0) return out.fail("libsodium failed to initialise");

  out.banner("Secure Client (Milestone 2.2)");
  out.line("[INFO] Loading client identity...");
  std::optional<Identity> identity;
  if (const Status s = net::load_identity_file(settings.key_path, &identity); !s.ok())
    return out.fail(s.message());
  out.line("[OK] Client identity: " + out.key(identity->public_key()));
  out.blank();

  out.line("[INFO] Connecting to " + settings.host + ":" + std::to_string(settings.port) + "...");
  net::Socket socket;
  if (const Status s = net::connect_tcp(&socket, settings.host, settings.port,
                                        net::deadline_after(settings.timeout));
      !s.ok()) {
    return out.fail(s.message());
  }
  out.line("[OK] Connected");
  out.blank();

  out.line("[INFO] Starting handshake...");
  ClientConfig config;
  config.identity = &*identity;
  config.expected_server = settings.server_key;
  config.handshake_timeout = settings.timeout;
  config.log_hook = settings.log_hook;
  config.key_log = settings.key_log;
  std::unique_ptr<net::BlockingSession> session;
  if (const Status s = net::BlockingSession::handshake_client(
          &session, socket, config, net::deadline_after(settings.timeout));
      !s.ok()) {
    return out.fail(handshake_reason(s));
  }
  out.line("[OK] Handshake complete!");
  out.line("[OK] Peer identity: " + out.key(session->peer_identity()));
  // A hash of the session key, never the key: the server prints the same one.
  out.line("[OK] Session key fingerprint: " + key_fingerprint(session->connection().session_key()));
  out.line("[INFO] Session established");
  out.blank();
  out.line("Ready for encrypted communication!");

  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF input
    if (line.empty()) continue;
    const ByteSpan message(reinterpret_cast<const std::uint8_t*>(line.data()), line.size());
    if (const Status s = session->send(message, net::deadline_after(settings.timeout)); !s.ok()) {
      return out.fail("send failed: " + s.message());
    }
    ByteSpan echo;
    if (const Status s = session->receive(&echo, net::deadline_after(settings.timeout)); !s.ok()) {
      return out.fail("no echo: " + s.message());
    }
    // The server chooses these bytes: escaped, so it cannot drive the terminal.
    out.line("[ECHO] " + printable(echo));
  }

  // End of input: close_notify, then wait for the server's, so both sides know
  // nothing was cut off.
  if (const Status s = session->close(net::deadline_after(settings.timeout)); !s.ok()) {
    return out.fail("close failed: " + s.message());
  }
  ByteSpan extra;
  const Status closed = session->receive(&extra, net::deadline_after(settings.timeout));
  if (closed.ok()) return out.fail("server sent a message after the last echo");
  if (closed.code() != StatusCode::kPeerClosed)
    return out.fail("server did not close cleanly: " + closed.message());
  out.line("[INFO] Session closed");
  return 0;
}

}  // namespace p2pnet::tools
