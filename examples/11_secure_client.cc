// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// 11_secure_client KEYFILE SERVER_PUBKEY [--host ADDR] [--port N] [--timeout SECONDS]
// (a SERVER_PUBKEY that starts with '-' is taken as it is, or after "--")
// The secure client (docs/adapters.md "Running"): connects, runs the handshake expecting
// SERVER_PUBKEY, then sends each line of standard input (without its line ending) as one encrypted
// message and prints the server's echo as "[ECHO] <text>", with every byte outside
// printable ASCII shown as \xNN. At end of input it sends close_notify, waits for the
// server's, and exits 0. Any failure prints "[ERROR] <reason>" and exits 1. Every wait
// (connect, handshake, each echo, the close) is bounded by --timeout (default 10
// seconds). Empty lines are skipped: an empty frame is close_notify on the wire, so it
// cannot be a message. The client is tools/common/secure_client.cc with the
// example's output lines; the p2pnet tool's `connect` runs the same code (docs/cli.md).
#include <cstdio>
#include <string>

#include "output.h"
#include "p2pnet/identity.h"
#include "parse.h"
#include "programs.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: 11_secure_client KEYFILE SERVER_PUBKEY [--host ADDR] [--port N] [--timeout "
               "SECONDS]\n");
}

int fail(const std::string& reason) {
  std::printf("[ERROR] %s\n", reason.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string positional[2];
  int positional_count = 0;
  bool positional_only = false;  // after "--"
  p2pnet::tools::ConnectSettings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    // A public key can start with '-' or "--" (one in 64, one in 4096): a valid key is
    // never an option, and "--" ends the options.
    const bool is_positional = !arg.starts_with("--") || p2pnet::decode_public_key(arg).has_value();
    if (!positional_only && arg == "--") {
      positional_only = true;
      continue;
    }
    if (positional_only && positional_count < 2) {
      positional[positional_count++] = arg;
      continue;
    }
    if (positional_only) {
      usage();
      return fail("unexpected argument '" + arg + "'");
    }
    if (arg == "--host" && has_value) {
      settings.host = argv[++i];
    } else if (arg == "--port" && has_value) {
      const auto value = p2pnet::tools::parse_unsigned(argv[++i], 65535);
      if (!value || *value == 0) return fail("--port needs a number 1..65535");
      settings.port = static_cast<std::uint16_t>(*value);
    } else if (arg == "--timeout" && has_value) {
      const auto value = p2pnet::tools::parse_seconds(argv[++i]);
      if (!value) return fail("--timeout needs a positive number of seconds");
      settings.timeout = *value;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (positional_count < 2 && is_positional) {
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
  settings.key_path = positional[0];
  const std::optional<p2pnet::PublicKey> server_key = p2pnet::decode_public_key(positional[1]);
  if (!server_key) return fail("SERVER_PUBKEY is not a valid 43-character public key");
  settings.server_key = *server_key;
  return p2pnet::tools::run_secure_client(
      settings, p2pnet::tools::Output(p2pnet::tools::Style::kExample, "11_secure_client"));
}
