// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// libp2p_peer: the project's side of the libp2p interop test (docs/interop.md), the
// engine's Libp2pConnection over the socket adapter (Libp2pSession). It reports on
// standard output in the same words as noise_peer.mjs, for interop_test.py to read.
//
//   --role dial --port N [--expect-peer ID]   dial 127.0.0.1:N
//   --role listen                             listen on 127.0.0.1, any port; print
//                                             "listening <port>"; accept one connection
//   --negotiate                               multistream-select /noise first
//   --muxers a,b                              stream muxers offered
//   --seed HEX                                the Ed25519 identity seed (64 hex digits)
//   --then echo                               echo every byte until the peer ends
//   --then check --sizes 1,2,...              send pattern messages, expect them back
//   --then first                              print "first <hex>" of the first bytes
//                                             received, then close
//   --timeout SECONDS                         every wait's bound (default 30)
// Reports: "peer-id <id>", "secured <peer-id> muxer=<name|none>", "ok ...",
// "error ..." (exit 1).
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hex.h"
#include "p2pnet/libp2p_connection.h"
#include "p2pnet/peer_id.h"
#include "p2pnet/socket/libp2p_session.h"

namespace {

using namespace p2pnet;
using Bytes = std::vector<std::uint8_t>;

int fail(const std::string& message) {
  std::printf("error %s\n", message.c_str());
  std::fflush(stdout);
  return 1;
}

// The same bytes as pattern() of common.mjs.
Bytes pattern(std::size_t length, std::size_t seed) {
  Bytes out(length);
  for (std::size_t i = 0; i < length; ++i) {
    out[i] = static_cast<std::uint8_t>(i * 31 + seed * 7 + (i >> 8));
  }
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int run(std::map<std::string, std::string>& args) {
  if (sodium_init() < 0) return fail("libsodium failed to initialise");
  const auto timeout = std::chrono::milliseconds(
      static_cast<long long>(std::stod(args.count("timeout") ? args["timeout"] : "30") * 1000));
  const auto deadline = [&] { return net::Clock::now() + timeout; };

  std::optional<Identity> identity;
  if (args.count("seed")) {
    const auto seed = testing::from_hex(args["seed"]);
    if (!seed || seed->size() != 32) return fail("--seed needs 64 hex digits");
    identity = Identity::from_seed(std::span<const std::uint8_t, 32>(seed->data(), 32));
  } else {
    identity = Identity::generate(system_random());
  }
  const auto static_key = Libp2pStaticKey::generate(system_random());
  if (!identity || !static_key) return fail("the random source failed");
  std::printf("peer-id %s\n", encode_peer_id(identity->public_key()).c_str());
  std::fflush(stdout);

  const std::vector<std::string> muxer_names = split(args["muxers"]);
  std::vector<std::string_view> muxers(muxer_names.begin(), muxer_names.end());
  Libp2pConfig config;
  config.identity = &*identity;
  config.static_key = &*static_key;
  config.stream_muxers = muxers;
  config.negotiate = args.count("negotiate") != 0;
  config.handshake_timeout = timeout;
  if (args.count("expect-peer")) {
    const auto peer = decode_peer_id(args["expect-peer"]);
    if (!peer) return fail("--expect-peer is not an Ed25519 peer ID");
    config.expected_peer = *peer;
  }

  if (const net::Status s = net::network_startup(); !s.ok()) return fail(s.message());
  net::Socket socket;
  std::unique_ptr<net::Libp2pSession> session;
  if (args["role"] == "dial") {
    const auto port = static_cast<std::uint16_t>(std::stoul(args["port"]));
    if (const net::Status s = net::connect_tcp(&socket, "127.0.0.1", port, deadline()); !s.ok())
      return fail(s.message());
    if (const net::Status s = net::Libp2pSession::dial(&session, socket, config, deadline());
        !s.ok())
      return fail(s.message());
  } else if (args["role"] == "listen") {
    net::Socket listener;
    if (const net::Status s = net::listen_tcp(&listener, "127.0.0.1", 0, 4); !s.ok())
      return fail(s.message());
    std::uint16_t port = 0;
    if (const net::Status s = net::local_port(listener, &port); !s.ok()) return fail(s.message());
    std::printf("listening %u\n", port);
    std::fflush(stdout);
    unsigned ready = 0;
    if (const net::Status s = net::wait_ready(listener, net::kWaitReadable, deadline(), &ready);
        !s.ok())
      return fail(s.message());
    std::string peer_address;
    if (const net::Status s = net::accept_tcp(listener, &socket, &peer_address); !s.ok())
      return fail(s.message());
    if (const net::Status s = net::Libp2pSession::accept(&session, socket, config, deadline());
        !s.ok())
      return fail(s.message());
  } else {
    return fail("--role dial|listen");
  }
  const std::string_view muxer = session->connection().stream_muxer();
  std::printf("secured %s muxer=%s\n",
              encode_peer_id(*session->connection().peer_identity()).c_str(),
              muxer.empty() ? "none" : std::string(muxer).c_str());
  std::fflush(stdout);

  const std::string then = args.count("then") ? args["then"] : "echo";
  if (then == "first") {
    // With a muxer agreed in the handshake, the js node's first bytes are a yamux
    // frame. Without one, libp2p's dialer negotiates the muxer with multistream-select
    // inside the encrypted stream, and the listener speaks only once spoken to.
    if (muxer.empty()) {
      const std::string proposal = "\x13/multistream/1.0.0\n\x0d/yamux/1.0.0\n";
      const Bytes bytes(proposal.begin(), proposal.end());
      if (const net::Status s = session->send(bytes, deadline()); !s.ok()) return fail(s.message());
    }
    ByteSpan bytes;
    if (const net::Status s = session->receive(&bytes, deadline()); !s.ok())
      return fail(s.message());
    std::printf("first %s\n", testing::to_hex(bytes).c_str());
    (void)session->close(deadline());
    std::printf("ok first %zu\n", bytes.size());
    return 0;
  }
  if (then == "echo") {
    std::size_t total = 0;
    for (;;) {
      ByteSpan bytes;
      const net::Status s = session->receive(&bytes, deadline());
      if (!s.ok()) {
        if (s.code() != net::StatusCode::kConnectionClosed) return fail(s.message());
        break;
      }
      total += bytes.size();
      const Bytes copy(bytes.begin(), bytes.end());
      if (const net::Status w = session->send(copy, deadline()); !w.ok()) return fail(w.message());
    }
    if (const net::Status s = session->close(deadline()); !s.ok()) return fail(s.message());
    std::printf("ok echoed %zu\n", total);
    return 0;
  }
  if (then == "check") {
    Bytes expected;
    std::size_t count = 0;
    for (const std::string& size : split(args["sizes"])) {
      const Bytes message = pattern(std::stoul(size), ++count);
      expected.insert(expected.end(), message.begin(), message.end());
      if (const net::Status s = session->send(message, deadline()); !s.ok())
        return fail(s.message());
    }
    Bytes received;
    while (received.size() < expected.size()) {
      ByteSpan bytes;
      if (const net::Status s = session->receive(&bytes, deadline()); !s.ok())
        return fail(s.message() + " after " + std::to_string(received.size()) + " bytes");
      received.insert(received.end(), bytes.begin(), bytes.end());
    }
    if (received != expected) return fail("echo differs");
    if (const net::Status s = session->close(deadline()); !s.ok()) return fail(s.message());
    std::printf("ok checked %zu messages %zu bytes\n", count, expected.size());
    return 0;
  }
  return fail("unknown --then " + then);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return fail("unexpected argument " + arg);
    if (arg == "--negotiate") {
      args["negotiate"] = "1";
    } else if (i + 1 < argc) {
      args[arg.substr(2)] = argv[++i];
    } else {
      return fail(arg + " needs a value");
    }
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
