// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// identity_file.cc: the file-system half of identity files. The format lives in the
// engine; here are the open flags, the permission checks and the full write + fsync.
#include "p2pnet/socket/identity_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

namespace p2pnet::net {
namespace {

constexpr const char* kSymlinkKind = "a symbolic link";

// file_kind names a file type from its st_mode, for refusals ("it is a FIFO ...").
const char* file_kind(unsigned mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
#ifdef S_ISLNK
  if (S_ISLNK(mode)) return kSymlinkKind;
#endif
#ifdef S_ISSOCK
  if (S_ISSOCK(mode)) return "a socket";
#endif
  return "an unknown kind of file";
}

#ifdef _WIN32
constexpr int kSaveFlags = _O_WRONLY | _O_CREAT | _O_BINARY | _O_NOINHERIT;
constexpr int kLoadFlags = _O_RDONLY | _O_BINARY | _O_NOINHERIT;
constexpr int kExclusive = _O_EXCL;
constexpr int kTruncate = _O_TRUNC;
int open_file(const std::string& path, int flags) { return ::_open(path.c_str(), flags, _S_IREAD | _S_IWRITE); }
int close_file(int fd) { return ::_close(fd); }
long long write_file(int fd, const std::uint8_t* data, std::size_t n) {
  return ::_write(fd, data, static_cast<unsigned>(n));
}
long long read_file(int fd, std::uint8_t* data, std::size_t n) { return ::_read(fd, data, static_cast<unsigned>(n)); }
int sync_file(int fd) { return ::_commit(fd); }
// kind_at names what is at |path| without opening it: nullptr when nothing is there
// or it is a regular file. A reparse point counts as a symbolic link; a device name
// such as NUL is found by the fstat after opening.
const char* kind_at(const std::string& path) {
  const DWORD attributes = ::GetFileAttributesA(path.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) return nullptr;
  if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) return kSymlinkKind;
  if ((attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) return "a directory";
  return nullptr;
}
#else
constexpr int kSaveFlags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
// O_NONBLOCK: if a FIFO replaces the file between kind_at and open, the open
// returns at once instead of waiting for a writer, and fstat refuses it. Reads from
// a regular file ignore the flag.
constexpr int kLoadFlags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
constexpr int kExclusive = O_EXCL;
constexpr int kTruncate = O_TRUNC;
int open_file(const std::string& path, int flags) { return ::open(path.c_str(), flags, 0600); }
int close_file(int fd) { return ::close(fd); }
long long write_file(int fd, const std::uint8_t* data, std::size_t n) { return ::write(fd, data, n); }
long long read_file(int fd, std::uint8_t* data, std::size_t n) { return ::read(fd, data, n); }
int sync_file(int fd) { return ::fsync(fd); }
// kind_at names what is at |path| without following or opening it (opening a FIFO
// waits for a writer; opening a device may have side effects): nullptr when nothing
// is there (or lstat fails: the open that follows reports why) or it is a regular file.
const char* kind_at(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode)) return nullptr;
  return file_kind(info.st_mode);
}
#endif

Status errno_status(const std::string& what, const std::string& path, int code) {
  return Status(StatusCode::kSystem, what + " '" + path + "': " + std::strerror(code));
}

// refusal reports what is at |path| when it is not a regular file: a symbolic link
// is a permission matter (it could point anywhere), anything else an invalid file.
Status refusal(const std::string& action, const std::string& path, const char* kind) {
  const StatusCode code = kind == kSymlinkKind ? StatusCode::kFilePermissions : StatusCode::kFileInvalid;
  return Status(code, "refusing to " + action + " '" + path + "': it is " + kind + ", not a regular file");
}

// FileCloser closes the descriptor on every return path.
struct FileCloser {
  int fd;
  ~FileCloser() {
    if (fd >= 0) close_file(fd);
  }
};

#ifndef _WIN32  // only the POSIX permission check uses it
std::string mode_text(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777u);
  return text;
}
#endif

}  // namespace

Status save_identity_file(const std::string& path, const Identity& identity, bool overwrite) {
  if (path.empty()) return Status(StatusCode::kInvalidArgument, "identity file path is empty");
  if (const char* kind = kind_at(path)) return refusal("write", path, kind);
  const int fd = open_file(path, kSaveFlags | (overwrite ? kTruncate : kExclusive));
  if (fd < 0) {
    const int code = errno;
    if (code == EEXIST) {
      return Status(StatusCode::kFileExists, "'" + path + "' already exists; refusing to overwrite it");
    }
#ifdef ELOOP
    if (code == ELOOP) return refusal("write", path, kSymlinkKind);
#endif
    return errno_status("cannot create", path, code);
  }
  FileCloser closer{fd};
#ifndef _WIN32
  // An overwritten file keeps its old mode through O_TRUNC; tighten it first.
  if (::fchmod(fd, 0600) != 0) return errno_status("cannot set mode 0600 on", path, errno);
#endif
  const IdentityFileBytes bytes = encode_identity_file(identity);  // wipes itself
  std::size_t written = 0;
  while (written < bytes.kSize) {
    const long long n = write_file(fd, bytes.data() + written, bytes.kSize - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("cannot write", path, errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (sync_file(fd) != 0) return errno_status("cannot sync", path, errno);
  closer.fd = -1;
  if (close_file(fd) != 0) return errno_status("cannot close", path, errno);
  return Status();
}

Status load_identity_file(const std::string& path, std::optional<Identity>* out) {
  if (path.empty()) return Status(StatusCode::kInvalidArgument, "identity file path is empty");
  if (const char* kind = kind_at(path)) return refusal("read", path, kind);
  const int fd = open_file(path, kLoadFlags);
  if (fd < 0) {
    const int code = errno;
    if (code == ENOENT) return Status(StatusCode::kFileNotFound, "identity file '" + path + "' does not exist");
#ifdef ELOOP
    if (code == ELOOP) return refusal("read", path, kSymlinkKind);
#endif
    return errno_status("cannot open", path, code);
  }
  FileCloser closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) return errno_status("cannot stat", path, errno);
  if (!S_ISREG(info.st_mode)) return refusal("read", path, file_kind(static_cast<unsigned>(info.st_mode)));
#ifndef _WIN32
  // As ssh does for private keys: a key others can read is no longer secret, and one
  // others can write may not be ours.
  if ((info.st_mode & 077) != 0) {
    return Status(StatusCode::kFilePermissions,
                  "permissions " + mode_text(static_cast<unsigned>(info.st_mode)) + " for '" + path +
                      "' are too open; the identity file must be accessible by its owner only "
                      "(chmod 600 '" + path + "')");
  }
#endif
  if (static_cast<unsigned long long>(info.st_size) != kIdentityFileSize) {
    return Status(StatusCode::kFileInvalid, "'" + path + "' is " + std::to_string(info.st_size) +
                                                " bytes; an identity file is exactly " +
                                                std::to_string(kIdentityFileSize));
  }
  // One byte more than the format, to notice a file that grew after fstat.
  Secret<kIdentityFileSize + 1> buffer;
  std::size_t got = 0;
  while (got < buffer.kSize) {
    const long long n = read_file(fd, buffer.data() + got, buffer.kSize - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("cannot read", path, errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got != kIdentityFileSize) {
    return Status(StatusCode::kFileInvalid, "'" + path + "' changed size while being read");
  }
  std::optional<Identity> identity = parse_identity_file(std::span<const std::uint8_t>(buffer.data(), got));
  if (!identity) {
    return Status(StatusCode::kFileInvalid,
                  "'" + path + "' is not a valid identity file (bad magic, or the public key does not "
                  "match the seed)");
  }
  *out = std::move(identity);
  return Status();
}

}  // namespace p2pnet::net
