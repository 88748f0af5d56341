// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// key_log_file.h: the tool's key log file (--keylog FILE or P2PNET_KEYLOGFILE), the
// only place where the engine's key log (p2pnet/key_log.h) reaches a disk. DANGEROUS:
// the file decrypts every session it lists (docs/debugging.md).
#ifndef P2PNET_TOOLS_P2PNET_KEY_LOG_FILE_H_
#define P2PNET_TOOLS_P2PNET_KEY_LOG_FILE_H_

#include <memory>
#include <string>

#include "p2pnet/key_log.h"

namespace p2pnet::tools {

class KeyLogFile {
 public:
  // open appends to |path|, creating it with mode 0600. It opens without following a
  // symbolic link and without waiting on a FIFO (O_NOFOLLOW | O_NONBLOCK), then checks
  // the opened descriptor (fstat): it refuses anything but a regular file owned by the
  // effective user, with one link, that group and others cannot access (mode 0600).
  // Not checked on Windows. On failure returns null and sets *error.
  static std::unique_ptr<KeyLogFile> open(const std::string& path, std::string* error);
  ~KeyLogFile();
  KeyLogFile(const KeyLogFile&) = delete;
  KeyLogFile& operator=(const KeyLogFile&) = delete;

  // hook appends each line with one write, so lines from several processes sharing
  // the file do not interleave, and wipes its copy.
  const KeyLogHook& hook() const { return hook_; }

 private:
  explicit KeyLogFile(int fd);
  int fd_;
  KeyLogHook hook_;
};

}  // namespace p2pnet::tools

#endif  // P2PNET_TOOLS_P2PNET_KEY_LOG_FILE_H_
