// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// identity_file.h: reading and writing an identity key file (docs/identity-file.md).
// The 72-byte format is the engine's (encode_identity_file / parse_identity_file);
// this file adds the file-system rules, after ssh's handling of private keys:
//   save: written completely to a new 0600 file in the same folder, fsync'ed, then
//         renamed over |path| (or, without overwrite, linked to it: never replacing
//         an existing file), and the folder fsync'ed before success is reported. The
//         old key is replaced whole or not at all;
//   load: a symlink is refused, and so is anything but a regular file (a FIFO, a
//         device, a folder: named in the message) without blocking on it; a mode
//         with any group/other bit is refused with a message naming the mode; the
//         size must be exactly 72 bytes.
// On Windows there are no mode bits: the new file is moved into place with
// MoveFileEx and a reparse point (symlink) is refused, but ACLs are not inspected
// (docs/identity-file.md).
// Buffers that held the secret seed are wiped before they are released.
#ifndef P2PNET_SOCKET_IDENTITY_FILE_H_
#define P2PNET_SOCKET_IDENTITY_FILE_H_

#include <optional>
#include <string>

#include "p2pnet/identity.h"
#include "p2pnet/socket/status.h"

namespace p2pnet::net {

// save_identity_file writes |identity| to |path|. Without |overwrite| an existing
// file is never touched (kFileExists); with it, the file is replaced by a new one
// (mode 0600): a descriptor open on the old file keeps reading the old key. On any
// failure the old key (or the absence of a file) is left as it was, and no
// temporary file remains. Errors: kInvalidArgument (empty path), kFileExists,
// kFilePermissions (the path is a symlink), kFileInvalid (the path is something
// other than a regular file: a FIFO, a device, a folder), kSystem (any other I/O
// failure, e.g. the folder is not writable, or the disk is full).
Status save_identity_file(const std::string& path, const Identity& identity, bool overwrite);

// load_identity_file reads the identity at |path| into *out. It never waits: a FIFO
// or device is refused, not opened for reading. Errors: kFileNotFound,
// kFilePermissions (symlink, or group/other permission bits set), kFileInvalid (not a
// regular file, with its kind in the message; wrong size, bad magic, key mismatch),
// kSystem.
Status load_identity_file(const std::string& path, std::optional<Identity>* out);

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_IDENTITY_FILE_H_
