// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "key_log_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace p2pnet::tools {

std::unique_ptr<KeyLogFile> KeyLogFile::open(const std::string& path, std::string* error) {
#ifdef _WIN32
  const int fd =
      ::_open(path.c_str(), _O_WRONLY | _O_CREAT | _O_APPEND | _O_BINARY, _S_IREAD | _S_IWRITE);
#else
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
#endif
  if (fd < 0) {
    *error = "cannot open key log " + path + ": " + std::strerror(errno);
    return nullptr;
  }
#ifndef _WIN32
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || (info.st_mode & 077) != 0) {
    ::close(fd);
    *error = "key log " + path +
             " is not a regular file of mode 0600 (chmod 600 it, or choose a new file)";
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
