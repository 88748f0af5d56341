// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// identity_file.cc: the file-system half of identity files. The format lives in the
// engine; here are the open flags, the permission and file-kind checks, and the
// write: a temporary file, fsync, rename over the old name, fsync of the folder.
#include "p2pnet/socket/identity_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

#include "p2pnet/random.h"
#include "p2pnet/socket/socket.h"  // system_error_text

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

Status errno_status(const std::string& what, const std::string& path, int code) {
  return Status(StatusCode::kSystem, what + " '" + path + "': " + std::strerror(code));
}

Status exists_status(const std::string& path) {
  return Status(StatusCode::kFileExists, "'" + path + "' already exists; refusing to overwrite it");
}

#ifdef _WIN32
constexpr int kCreateFlags = _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT;
constexpr int kLoadFlags = _O_RDONLY | _O_BINARY | _O_NOINHERIT;
constexpr const char* kSeparators = "/\\:";  // "C:id.key" is in drive C's current folder
int open_file(const std::string& path, int flags) {
  return ::_open(path.c_str(), flags, _S_IREAD | _S_IWRITE);
}
int close_file(int fd) { return ::_close(fd); }
int remove_file(const std::string& path) { return ::_unlink(path.c_str()); }
long long write_file(int fd, const std::uint8_t* data, std::size_t n) {
  return ::_write(fd, data, static_cast<unsigned>(n));
}
long long read_file(int fd, std::uint8_t* data, std::size_t n) {
  return ::_read(fd, data, static_cast<unsigned>(n));
}
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
bool path_exists(const std::string& path) {
  return ::GetFileAttributesA(path.c_str()) != INVALID_FILE_ATTRIBUTES;
}
// put_in_place gives the finished temporary file its name. MoveFileEx is atomic
// within a volume; without MOVEFILE_REPLACE_EXISTING it fails if |path| exists, and
// MOVEFILE_WRITE_THROUGH returns only once the move is on disk (no folder to sync).
Status put_in_place(const std::string& temporary, const std::string& path, bool overwrite) {
  const DWORD flags = MOVEFILE_WRITE_THROUGH | (overwrite ? MOVEFILE_REPLACE_EXISTING : 0);
  if (::MoveFileExA(temporary.c_str(), path.c_str(), flags)) return Status();
  const DWORD code = ::GetLastError();
  if (code == ERROR_ALREADY_EXISTS || code == ERROR_FILE_EXISTS) return exists_status(path);
  return Status(StatusCode::kSystem, "cannot move '" + temporary + "' to '" + path +
                                         "': " + system_error_text(static_cast<int>(code)));
}
Status sync_folder(const std::string&, const std::string&) { return Status(); }
#else
// O_EXCL: the temporary name is fresh, never an existing file or a planted link.
constexpr int kCreateFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
// O_NONBLOCK: if a FIFO replaces the file between kind_at and open, the open
// returns at once instead of waiting for a writer, and fstat refuses it. Reads from
// a regular file ignore the flag.
constexpr int kLoadFlags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
constexpr const char* kSeparators = "/";
int open_file(const std::string& path, int flags) { return ::open(path.c_str(), flags, 0600); }
int close_file(int fd) { return ::close(fd); }
int remove_file(const std::string& path) { return ::unlink(path.c_str()); }
long long write_file(int fd, const std::uint8_t* data, std::size_t n) {
  return ::write(fd, data, n);
}
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
bool path_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}
// put_in_place gives the finished temporary file its name, atomically: rename
// replaces an existing file in one step; link fails if |path| exists (O_EXCL's
// no-clobber rule, which rename lacks), after which the temporary name is dropped.
Status put_in_place(const std::string& temporary, const std::string& path, bool overwrite) {
  if (overwrite) {
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
      return errno_status("cannot rename the new file to", path, errno);
    }
    return Status();
  }
  if (::link(temporary.c_str(), path.c_str()) != 0) {
    const int code = errno;
    if (code == EEXIST) return exists_status(path);
    return errno_status("cannot create", path, code);
  }
  (void)remove_file(temporary);  // the key is in place; only a second name would remain
  return Status();
}
// sync_folder makes the rename itself durable: until the folder is synced, a crash
// may bring back the old name (or no name at all for a new file).
Status sync_folder(const std::string& folder, const std::string& path) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot open the folder of", path, errno);
  const int synced = ::fsync(fd);
  const int code = errno;
  ::close(fd);
  // EINVAL: this file system cannot sync a folder (it has nothing to flush there).
  if (synced != 0 && code != EINVAL) return errno_status("cannot sync the folder of", path, code);
  return Status();
}
#endif

// refusal reports what is at |path| when it is not a regular file: a symbolic link
// is a permission matter (it could point anywhere), anything else an invalid file.
Status refusal(const std::string& action, const std::string& path, const char* kind) {
  const StatusCode code =
      kind == kSymlinkKind ? StatusCode::kFilePermissions : StatusCode::kFileInvalid;
  return Status(
      code, "refusing to " + action + " '" + path + "': it is " + kind + ", not a regular file");
}

// TemporaryFile removes the file being written on every failure path (declared
// before the FileCloser, so the file is closed first: Windows cannot remove an open
// file).
struct TemporaryFile {
  std::string path;
  bool created = false;
  ~TemporaryFile() {
    if (created) (void)remove_file(path);
  }
};

// temporary_name is a fresh name for the file being written,
// ".p2pnet-identity-<16 hex digits>.tmp": hidden, recognisable if a crash leaves it,
// and unpredictable (O_EXCL refuses a name someone created first anyway).
constexpr int kTemporaryAttempts = 8;
std::optional<std::string> temporary_name() {
  std::array<std::uint8_t, 8> random{};
  if (!system_random().fill(random)) return std::nullopt;
  constexpr char kHex[] = "0123456789abcdef";
  std::string name = ".p2pnet-identity-";
  for (const std::uint8_t byte : random) {
    name.push_back(kHex[byte >> 4]);
    name.push_back(kHex[byte & 0x0f]);
  }
  return name + ".tmp";
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
  // Checked early for a clear answer before any work; put_in_place checks again, atomically.
  if (!overwrite && path_exists(path)) return exists_status(path);

  // The key goes to a fresh file in the same folder, which takes the name |path| only
  // once it is complete and on disk: a failure or crash at any point leaves the old
  // key (or no file), never a partial one, and a descriptor already open on the old
  // file keeps reading the old key.
  const std::size_t cut = path.find_last_of(kSeparators);
  const std::string folder = cut == std::string::npos ? std::string() : path.substr(0, cut + 1);
  TemporaryFile temporary;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < kTemporaryAttempts; ++attempt) {
    const std::optional<std::string> name = temporary_name();
    if (!name) return Status(StatusCode::kSystem, "the system random source failed");
    temporary.path = folder + *name;
    fd = open_file(temporary.path, kCreateFlags);
    if (fd < 0 && errno != EEXIST)
      return errno_status("cannot create a temporary file next to", path, errno);
  }
  if (fd < 0) return errno_status("cannot create a temporary file next to", path, EEXIST);
  temporary.created = true;
  FileCloser closer{fd};
#ifndef _WIN32
  // Exactly 0600, whatever the umask took away from the creation mode.
  if (::fchmod(fd, 0600) != 0)
    return errno_status("cannot set mode 0600 on", temporary.path, errno);
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

  if (Status s = put_in_place(temporary.path, path, overwrite); !s.ok()) return s;
  temporary.created = false;  // it has become |path|
  return sync_folder(folder.empty() ? "." : folder, path);
}

Status load_identity_file(const std::string& path, std::optional<Identity>* out) {
  if (path.empty()) return Status(StatusCode::kInvalidArgument, "identity file path is empty");
  if (const char* kind = kind_at(path)) return refusal("read", path, kind);
  const int fd = open_file(path, kLoadFlags);
  if (fd < 0) {
    const int code = errno;
    if (code == ENOENT)
      return Status(StatusCode::kFileNotFound, "identity file '" + path + "' does not exist");
#ifdef ELOOP
    if (code == ELOOP) return refusal("read", path, kSymlinkKind);
#endif
    return errno_status("cannot open", path, code);
  }
  FileCloser closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) return errno_status("cannot stat", path, errno);
  if (!S_ISREG(info.st_mode))
    return refusal("read", path, file_kind(static_cast<unsigned>(info.st_mode)));
#ifndef _WIN32
  // As ssh does for private keys: a key others can read is no longer secret, and one
  // others can write may not be ours.
  if ((info.st_mode & 077) != 0) {
    return Status(StatusCode::kFilePermissions,
                  "permissions " + mode_text(static_cast<unsigned>(info.st_mode)) + " for '" +
                      path +
                      "' are too open; the identity file must be accessible by its owner only "
                      "(chmod 600 '" +
                      path + "')");
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
  std::optional<Identity> identity =
      parse_identity_file(std::span<const std::uint8_t>(buffer.data(), got));
  if (!identity) {
    return Status(StatusCode::kFileInvalid,
                  "'" + path +
                      "' is not a valid identity file (bad magic, or the public key does not "
                      "match the seed)");
  }
  *out = std::move(identity);
  return Status();
}

}  // namespace p2pnet::net
