// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "key_log_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace p2pnet::tools {

#ifndef _WIN32
namespace {

// kOpenFlags: O_NOFOLLOW refuses a symbolic link as the last component (ELOOP);
// O_NONBLOCK makes the open of a FIFO return at once (ENXIO without a reader, or a
// descriptor that fstat then refuses) instead of waiting for a reader forever; O_NOCTTY
// keeps a terminal device from becoming the controlling terminal.
constexpr int kOpenFlags =
    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

// open_error explains a failed open: ELOOP is O_NOFOLLOW meeting a symbolic link, and
// ENXIO a FIFO (or socket) with no reader.
std::string open_error(const std::string& path, int code) {
  struct stat info {};
  if ((code == ELOOP || code == ENXIO) && ::lstat(path.c_str(), &info) == 0 &&
      !S_ISREG(info.st_mode)) {
    return "refusing key log " + path + ": it is " + file_kind(info.st_mode) +
           ", not a regular file";
  }
  return "cannot open key log " + path + ": " + std::strerror(code);
}

// check_opened is the decision, on the descriptor itself (what was opened, not what the
// path names now): a regular file, owned by the effective user, with one name, that no
// group or other user may read or write. Returns the reason for a refusal, or "".
std::string check_opened(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return "cannot check key log " + path + ": " + std::strerror(errno);
  }
  const std::string refusing = "refusing key log " + path + ": ";
  if (!S_ISREG(info.st_mode)) {
    return refusing + "it is " + file_kind(info.st_mode) + ", not a regular file";
  }
  if (info.st_uid != ::geteuid()) {
    return refusing + "it is owned by user " + std::to_string(info.st_uid) +
           ", not by this user (" + std::to_string(::geteuid()) +
           "); whoever owns it can read the keys";
  }
  if (info.st_nlink != 1) {
    return refusing + "it has " + std::to_string(info.st_nlink) +
           " names (hard links); another name may be readable elsewhere";
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return refusing + "its mode is " + mode +
           ", group or others may access it (chmod 600 it, or choose a new file)";
  }
  return "";
}

}  // namespace
#endif

std::unique_ptr<KeyLogFile> KeyLogFile::open(const std::string& path, std::string* error) {
#ifdef _WIN32
  const int fd =
      ::_open(path.c_str(), _O_WRONLY | _O_CREAT | _O_APPEND | _O_BINARY, _S_IREAD | _S_IWRITE);
  if (fd < 0) {
    *error = "cannot open key log " + path + ": " + std::strerror(errno);
    return nullptr;
  }
#else
  const int fd = ::open(path.c_str(), kOpenFlags, 0600);
  if (fd < 0) {
    *error = open_error(path, errno);
    return nullptr;
  }
  if (std::string refusal = check_opened(fd, path); !refusal.empty()) {
    ::close(fd);
    *error = std::move(refusal);
    return nullptr;
  }
  // A regular file ignores O_NONBLOCK; clear it anyway so the writes are plainly blocking.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    *error = "cannot use key log " + path + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
#endif
  return std::unique_ptr<KeyLogFile>(new KeyLogFile(fd));
}
KeyLogFile::KeyLogFile(int fd) : fd_(fd) {
  hook_ = [fd](std::string_view line) {
    std::array<char, 256> text{};
    if (line.size() + 1 > text.size()) return;  // longer than any line the engine writes
    line.copy(text.data(), line.size());
    text[line.size()] = '\n';
#ifdef _WIN32
    (void)::_write(fd, text.data(), static_cast<unsigned>(line.size() + 1));
#else
    (void)!::write(fd, text.data(), line.size() + 1);
#endif
    sodium_memzero(text.data(), text.size());
  };
}

KeyLogFile::~KeyLogFile() {
#ifdef _WIN32
  ::_close(fd_);
#else
  ::close(fd_);
#endif
}

}  // namespace p2pnet::tools
