// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// 10_secure_server KEYFILE [--host ADDR] [--port N] [--allow PUBKEY]...
//                  [--handshake-timeout SECONDS] [--max-message BYTES]
//                  [--max-handshakes N] [--max-handshakes-per-address N]
//                  [--max-connections N] [--idle-timeout SECONDS] [--workers N]
//                  [--frame-timeout SECONDS] [--max-connections-per-address N]
//                  [--per-address-limits-above PERCENT]
// The secure server (docs/adapters.md "Running"): authenticates every client with the
// handshake and echoes each message back over the encrypted channel, many clients at
// once. --port 0 picks a free port; the line "[INFO] Listening on port N" always shows
// the real one. SIGINT or SIGTERM ends it cleanly with exit status 0.
// --max-handshakes-per-address bounds the handshakes one IPv4 address (IPv6: one /64)
// may have in progress (default 8), and --max-connections-per-address the handshakes
// and sessions (default 32), both only while the server is more than
// --per-address-limits-above percent full (default 50; 0: always). --frame-timeout
// bounds the time a client may take to finish a frame it started (default 30). --workers N (default
// 1) runs N servers, each its own loop on its own thread, listening on the same port with
// SO_REUSEPORT so the kernel spreads connections among them; the bounds are then per worker. Not on
// Windows, which has no SO_REUSEPORT. The server is tools/common/echo_server.cc with the example's
// output lines; the p2pnet tool's `serve` runs the same code (docs/cli.md).
#include <cstdio>
#include <string>

#include "output.h"
#include "parse.h"
#include "programs.h"

namespace {

using p2pnet::tools::parse_seconds;
using p2pnet::tools::parse_unsigned;

void usage() {
  std::fprintf(
      stderr,
      "usage: 10_secure_server KEYFILE [--host ADDR] [--port N] [--allow PUBKEY]...\n"
      "                        [--handshake-timeout SECONDS] [--max-message BYTES]\n"
      "                        [--max-handshakes N] [--max-handshakes-per-address N]\n"
      "                        [--max-connections N] [--idle-timeout SECONDS] [--workers N]\n"
      "                        [--frame-timeout SECONDS] [--max-connections-per-address N]\n"
      "                        [--per-address-limits-above PERCENT]\n");
}

}  // namespace

int main(int argc, char** argv) {
  p2pnet::tools::ServeSettings settings;
  p2pnet::net::ServerOptions& options = settings.options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      settings.host = argv[++i];
    } else if (arg == "--port" && has_value) {
      const auto value = parse_unsigned(argv[++i], 65535);
      if (!value) return std::printf("[ERROR] --port needs a number 0..65535\n"), 1;
      settings.port = static_cast<std::uint16_t>(*value);
    } else if (arg == "--allow" && has_value) {
      const auto key = p2pnet::decode_public_key(argv[++i]);
      if (!key)
        return std::printf("[ERROR] --allow '%s' is not a valid 43-character public key\n",
                           argv[i]),
               1;
      settings.allowed.push_back(*key);
    } else if (arg == "--handshake-timeout" && has_value) {
      const auto value = parse_seconds(argv[++i]);
      if (!value)
        return std::printf("[ERROR] --handshake-timeout needs a positive number of seconds\n"), 1;
      options.handshake_timeout = *value;
    } else if (arg == "--idle-timeout" && has_value) {
      const auto value = parse_seconds(argv[++i]);
      if (!value)
        return std::printf("[ERROR] --idle-timeout needs a positive number of seconds\n"), 1;
      options.idle_timeout = *value;
    } else if (arg == "--frame-timeout" && has_value) {
      const auto value = parse_seconds(argv[++i]);
      if (!value)
        return std::printf("[ERROR] --frame-timeout needs a positive number of seconds\n"), 1;
      options.frame_timeout = *value;
    } else if (arg == "--max-connections-per-address" && has_value) {
      const auto value = parse_unsigned(argv[++i], 1'000'000);
      if (!value || *value == 0) {
        return std::printf("[ERROR] --max-connections-per-address needs a positive number\n"), 1;
      }
      options.max_connections_per_address = static_cast<std::size_t>(*value);
    } else if (arg == "--per-address-limits-above" && has_value) {
      const auto value = parse_unsigned(argv[++i], 100);
      if (!value)
        return std::printf("[ERROR] --per-address-limits-above needs a percentage 0..100\n"), 1;
      options.per_address_limits_above = static_cast<unsigned>(*value);
    } else if (arg == "--max-message" && has_value) {
      const auto value = parse_unsigned(argv[++i], p2pnet::kMaxMessageSizeLimit);
      if (!value || *value == 0) {
        return std::printf("[ERROR] --max-message needs 1..%zu bytes\n",
                           p2pnet::kMaxMessageSizeLimit),
               1;
      }
      options.max_message_size = static_cast<std::size_t>(*value);
    } else if (arg == "--max-handshakes" && has_value) {
      const auto value = parse_unsigned(argv[++i], 1'000'000);
      if (!value || *value == 0)
        return std::printf("[ERROR] --max-handshakes needs a positive number\n"), 1;
      options.max_handshakes = static_cast<std::size_t>(*value);
    } else if (arg == "--max-handshakes-per-address" && has_value) {
      const auto value = parse_unsigned(argv[++i], 1'000'000);
      if (!value || *value == 0) {
        return std::printf("[ERROR] --max-handshakes-per-address needs a positive number\n"), 1;
      }
      options.max_handshakes_per_address = static_cast<std::size_t>(*value);
    } else if (arg == "--max-connections" && has_value) {
      const auto value = parse_unsigned(argv[++i], 1'000'000);
      if (!value || *value == 0)
        return std::printf("[ERROR] --max-connections needs a positive number\n"), 1;
      options.max_connections = static_cast<std::size_t>(*value);
    } else if (arg == "--workers" && has_value) {
      const auto value = parse_unsigned(argv[++i], 256);
      if (!value || *value == 0) return std::printf("[ERROR] --workers needs a number 1..256\n"), 1;
      settings.workers = static_cast<unsigned>(*value);
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (settings.key_path.empty() && !arg.starts_with("--")) {
      settings.key_path = arg;
    } else {
      std::printf("[ERROR] unknown or incomplete argument '%s'\n", arg.c_str());
      usage();
      return 1;
    }
  }
  if (settings.key_path.empty()) {
    std::printf("[ERROR] missing KEYFILE\n");
    usage();
    return 1;
  }
  return p2pnet::tools::run_echo_server(
      settings, p2pnet::tools::Output(p2pnet::tools::Style::kExample, "10_secure_server"));
}
