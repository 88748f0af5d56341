// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// 08_generate_identity [--out PATH] [--force]: creates a fresh Ed25519 identity and
// writes it to PATH (default identity.key) with mode 0600. An existing file is never
// replaced unless --force is given; then the new key is written to a temporary file
// and renamed over the old one, so the old key is replaced whole or not at all
// (docs/identity-file.md). Prints the public key in full, alone on its line after
// "[OK] Public key: ", so scripts can take it with `sed -n 's/^\[OK\] Public key: //p'`.
// The program is tools/common/keygen.cc with the example's output lines; the p2pnet tool's
// `keygen` runs the same code (docs/cli.md).
#include <cstdio>
#include <string>

#include "output.h"
#include "programs.h"

namespace {

void usage() { std::fprintf(stderr, "usage: 08_generate_identity [--out PATH] [--force]\n"); }

}  // namespace

int main(int argc, char** argv) {
  p2pnet::tools::KeygenSettings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc) {
      settings.path = argv[++i];
    } else if (arg == "--force") {
      settings.force = true;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else {
      std::printf("[ERROR] unknown or incomplete argument '%s'\n", arg.c_str());
      usage();
      return 1;
    }
  }
  return p2pnet::tools::run_keygen(
      settings, p2pnet::tools::Output(p2pnet::tools::Style::kExample, "08_generate_identity"));
}
