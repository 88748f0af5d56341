// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// 08_generate_identity [--out PATH] [--force]: creates a fresh Ed25519 identity and
// writes it to PATH (default identity.key) with mode 0600. An existing file is never
// replaced unless --force is given; then the new key is written to a temporary file
// and renamed over the old one, so the old key is replaced whole or not at all
// (docs/identity-file.md). Prints the public key in full, alone on its line
// after "[OK] Public key: ", so scripts can take it with `sed -n 's/^\[OK\] Public key: //p'`.
#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "example_cli.h"
#include "p2pnet/socket/identity_file.h"

namespace {

void usage() { std::fprintf(stderr, "usage: 08_generate_identity [--out PATH] [--force]\n"); }

}  // namespace

int main(int argc, char** argv) {
  std::string path = "identity.key";
  bool force = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc) {
      path = argv[++i];
    } else if (arg == "--force") {
      force = true;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else {
      std::printf("[ERROR] unknown or incomplete argument '%s'\n", arg.c_str());
      usage();
      return 1;
    }
  }
  if (sodium_init() < 0) {
    std::printf("[ERROR] libsodium failed to initialise\n");
    return 1;
  }
  std::optional<p2pnet::Identity> identity = p2pnet::Identity::generate(p2pnet::system_random());
  if (!identity) {
    std::printf("[ERROR] the system random source failed\n");
    return 1;
  }
  const p2pnet::net::Status saved = p2pnet::net::save_identity_file(path, *identity, force);
  if (!saved.ok()) {
    std::printf("[ERROR] %s%s\n", saved.message().c_str(),
                saved.code() == p2pnet::net::StatusCode::kFileExists ? " (use --force to replace it)" : "");
    return 1;
  }
#ifdef _WIN32
  std::printf("[OK] Identity written to %s\n", path.c_str());  // no mode bits on Windows
#else
  std::printf("[OK] Identity written to %s (mode 0600)\n", path.c_str());
#endif
  std::printf("[OK] Public key: %s\n", p2pnet::encode_public_key(identity->public_key()).c_str());
  return 0;
}
