// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// keygen and pubkey: an identity file written (docs/identity-file.md) or read back,
// its key printed as the 43-character text or as a libp2p peer ID.
// The public key is printed in full, alone on its line after "[OK] Public key: ", so
// scripts can take it with `sed -n 's/^\[OK\] Public key: //p'`.
#include <sodium.h>

#include <cstdio>

#include "p2pnet/peer_id.h"
#include "p2pnet/socket/identity_file.h"
#include "programs.h"

namespace p2pnet::tools {

int run_keygen(const KeygenSettings& settings, const Output& out) {
  if (sodium_init() < 0) return out.fail("libsodium failed to initialise");
  std::optional<Identity> identity = Identity::generate(system_random());
  if (!identity) return out.fail("the system random source failed");
  const net::Status saved = net::save_identity_file(settings.path, *identity, settings.force);
  if (!saved.ok()) {
    return out.fail(saved.message() + (saved.code() == net::StatusCode::kFileExists
                                           ? " (use --force to replace it)"
                                           : ""));
  }
#ifdef _WIN32
  std::printf("[OK] Identity written to %s\n", settings.path.c_str());  // no mode bits on Windows
#else
  std::printf("[OK] Identity written to %s (mode 0600)\n", settings.path.c_str());
#endif
  std::printf("[OK] Public key: %s\n", encode_public_key(identity->public_key()).c_str());
  return 0;
}

int run_pubkey(const std::string& path, KeyText text, const Output& out) {
  if (sodium_init() < 0) return out.fail("libsodium failed to initialise");
  std::optional<Identity> identity;
  if (const net::Status s = net::load_identity_file(path, &identity); !s.ok())
    return out.fail(s.message());
  const PublicKey& key = identity->public_key();
  switch (text) {
    case KeyText::kPublicKey: std::printf("%s\n", encode_public_key(key).c_str()); break;
    case KeyText::kPeerId: std::printf("%s\n", encode_peer_id(key).c_str()); break;
  }
  return 0;
}

}  // namespace p2pnet::tools
