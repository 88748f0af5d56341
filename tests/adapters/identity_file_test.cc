// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// identity_file_test.cc: the file-system rules of identity files (POSIX): created
// 0600, never overwritten without asking, loose permissions and symlinks refused with
// a clear message, exact size, corrupt content refused, FIFOs and devices refused
// without blocking, and an overwrite that replaces the file whole or not at all.
#include "p2pnet/socket/identity_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "pair.h"

namespace p2pnet::testing {
namespace {

using net::StatusCode;

// in_child runs |body| in a forked child and returns its exit status, or -1 if it did
// not finish within |timeout| (the child is then killed). A call that blocks forever
// fails the test instead of hanging it, and limits set in the child (RLIMIT_FSIZE)
// never reach the test process.
int in_child(const std::function<int()>& body, Duration timeout = Duration{5'000}) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  if (pid < 0) return -2;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Exit statuses of a child that checks a Status: 0 for the expected result.
constexpr int kExpected = 0;
constexpr int kUnexpected = 1;

class IdentityFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    char pattern[] = "/tmp/p2pnet_idfile_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "id.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  unsigned mode() const {
    struct stat info {};
    EXPECT_EQ(::lstat(path_.c_str(), &info), 0);
    return info.st_mode & 07777;
  }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // entries lists the folder, to show that no temporary file was left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_))
      names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::filesystem::path dir_;
  std::string path_;
  Identity identity_ = identity_from_byte(0x42);
  Identity other_ = identity_from_byte(0x43);
};

TEST_F(IdentityFileTest, SaveCreates0600AndLoadRoundTrips) {
  ::umask(022);  // the usual umask would give 0644 to a plain create
  ASSERT_TRUE(net::save_identity_file(path_, identity_, false).ok());
  EXPECT_EQ(mode(), 0600u);
  EXPECT_EQ(contents().size(), kIdentityFileSize);
  std::optional<Identity> loaded;
  const net::Status s = net::load_identity_file(path_, &loaded);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(loaded->public_key(), identity_.public_key());
}

TEST_F(IdentityFileTest, NeverOverwritesWithoutForce) {
  ASSERT_TRUE(net::save_identity_file(path_, identity_, false).ok());
  const std::string before = contents();
  const net::Status s = net::save_identity_file(path_, other_, false);
  EXPECT_EQ(s.code(), StatusCode::kFileExists);
  EXPECT_EQ(contents(), before);

  // With overwrite, the file is replaced and a loose mode tightened back to 0600.
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  ASSERT_TRUE(net::save_identity_file(path_, other_, true).ok());
  EXPECT_EQ(mode(), 0600u);
  std::optional<Identity> loaded;
  ASSERT_TRUE(net::load_identity_file(path_, &loaded).ok());
  EXPECT_EQ(loaded->public_key(), other_.public_key());
}

TEST_F(IdentityFileTest, LoadRefusesGroupOrOtherPermissionsNamingTheMode) {
  ASSERT_TRUE(net::save_identity_file(path_, identity_, false).ok());
  for (const unsigned bad : {0644u, 0640u, 0604u, 0660u, 0610u}) {
    ASSERT_EQ(::chmod(path_.c_str(), bad), 0);
    std::optional<Identity> loaded;
    const net::Status s = net::load_identity_file(path_, &loaded);
    EXPECT_EQ(s.code(), StatusCode::kFilePermissions);
    char mode_text[8];
    std::snprintf(mode_text, sizeof mode_text, "%04o", bad);
    EXPECT_NE(s.message().find(mode_text), std::string::npos) << s.message();
    EXPECT_FALSE(loaded.has_value());
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0400), 0);  // owner read-only is fine
  std::optional<Identity> loaded;
  EXPECT_TRUE(net::load_identity_file(path_, &loaded).ok());
}

TEST_F(IdentityFileTest, SymlinksAreRefusedBothWays) {
  ASSERT_TRUE(net::save_identity_file(path_, identity_, false).ok());
  const std::string link = (dir_ / "link.key").string();
  ASSERT_EQ(::symlink(path_.c_str(), link.c_str()), 0);
  std::optional<Identity> loaded;
  EXPECT_EQ(net::load_identity_file(link, &loaded).code(), StatusCode::kFilePermissions);
  // Writing through a symlink could clobber whatever it points to.
  EXPECT_EQ(net::save_identity_file(link, other_, true).code(), StatusCode::kFilePermissions);
  const std::string dangling = (dir_ / "dangling.key").string();
  ASSERT_EQ(::symlink((dir_ / "nowhere").c_str(), dangling.c_str()), 0);
  EXPECT_EQ(net::save_identity_file(dangling, other_, false).code(), StatusCode::kFilePermissions);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nowhere"));
}

TEST_F(IdentityFileTest, WrongSizeAndCorruptContentAreRefused) {
  ASSERT_TRUE(net::save_identity_file(path_, identity_, false).ok());
  std::string bytes = contents();
  const auto write = [&](const std::string& data) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << data;
  };
  std::optional<Identity> loaded;
  write(bytes.substr(0, 71));
  EXPECT_EQ(net::load_identity_file(path_, &loaded).code(), StatusCode::kFileInvalid);
  write(bytes + "x");
  EXPECT_EQ(net::load_identity_file(path_, &loaded).code(), StatusCode::kFileInvalid);
  std::string corrupt = bytes;
  corrupt[40] = static_cast<char>(corrupt[40] ^ 1);  // the seed no longer matches the public key
  write(corrupt);
  EXPECT_EQ(net::load_identity_file(path_, &loaded).code(), StatusCode::kFileInvalid);
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  write(bad_magic);
  EXPECT_EQ(net::load_identity_file(path_, &loaded).code(), StatusCode::kFileInvalid);
  EXPECT_FALSE(loaded.has_value());
  EXPECT_EQ(net::load_identity_file((dir_ / "missing").string(), &loaded).code(),
            StatusCode::kFileNotFound);
  EXPECT_EQ(net::load_identity_file(dir_.string(), &loaded).code(),
            StatusCode::kFileInvalid);  // a directory
}

// A FIFO as identity file: opening it for reading waits for a writer, forever. Load
// must refuse it (and every other non-regular file) at once, naming what it is.
TEST_F(IdentityFileTest, LoadRefusesAFifoOrDeviceWithoutBlockingAndNamesTheKind) {
  const std::string fifo = (dir_ / "fifo.key").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int status = in_child([&] {
    std::optional<Identity> loaded;
    const net::Status s = net::load_identity_file(fifo, &loaded);
    std::printf("load(FIFO): %s\n", s.message().c_str());
    std::fflush(stdout);
    return s.code() == StatusCode::kFileInvalid && s.message().find("FIFO") != std::string::npos &&
                   !loaded
               ? kExpected
               : kUnexpected;
  });
  EXPECT_EQ(status, kExpected) << (status == -1 ? "load_identity_file blocked on a FIFO"
                                                : "wrong status");

  const struct {
    std::string path;
    const char* kind;
  } cases[] = {{dir_.string(), "directory"}, {"/dev/null", "character device"}};
  for (const auto& c : cases) {
    std::optional<Identity> loaded;
    const net::Status s = net::load_identity_file(c.path, &loaded);
    EXPECT_EQ(s.code(), StatusCode::kFileInvalid) << c.path;
    EXPECT_NE(s.message().find(c.kind), std::string::npos) << s.message();
    EXPECT_FALSE(loaded.has_value());
  }

  // A Unix-domain socket cannot even be opened; the refusal still names it.
  const std::string socket_path = (dir_ / "socket.key").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof address.sun_path);
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  std::optional<Identity> loaded;
  const net::Status s = net::load_identity_file(socket_path, &loaded);
  EXPECT_EQ(s.code(), StatusCode::kFileInvalid);
  EXPECT_NE(s.message().find("socket"), std::string::npos) << s.message();
  ::close(fd);
}

// Overwriting must not replace (or, as before, open and block on) something that is
// not a key file: a FIFO or a folder at the path is refused and left as it was.
TEST_F(IdentityFileTest, SaveRefusesToReplaceAFifoOrFolderWithoutBlocking) {
  const std::string fifo = (dir_ / "fifo.key").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int status = in_child([&] {
    const net::Status s = net::save_identity_file(fifo, identity_, true);
    std::printf("save(FIFO): %s\n", s.message().c_str());
    std::fflush(stdout);
    return s.code() == StatusCode::kFileInvalid && s.message().find("FIFO") != std::string::npos
               ? kExpected
               : kUnexpected;
  });
  EXPECT_EQ(status, kExpected) << (status == -1 ? "save_identity_file blocked on a FIFO"
                                                : "wrong status");
  struct stat info {};
  ASSERT_EQ(::lstat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));

  const std::filesystem::path folder = dir_ / "folder.key";
  ASSERT_TRUE(std::filesystem::create_directory(folder));
  const net::Status s = net::save_identity_file(folder.string(), identity_, true);
  EXPECT_EQ(s.code(), StatusCode::kFileInvalid);
  EXPECT_NE(s.message().find("directory"), std::string::npos) << s.message();
  EXPECT_TRUE(std::filesystem::is_directory(folder));
  EXPECT_EQ(entries(), (std::vector<std::string>{"fifo.key", "folder.key"}));
}

// An overwrite writes a new file and renames it over the old one: a descriptor opened
// on the old file (when it was still readable by others, say) keeps reading the old
// seed, never the new one, and the new file is 0600 whatever the old mode was.
TEST_F(IdentityFileTest, OverwriteReplacesTheFileSoOpenDescriptorsKeepTheOldKey) {
  ASSERT_TRUE(net::save_identity_file(path_, identity_, false).ok());
  const std::string before = contents();
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  const int old_fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(old_fd, 0);

  const net::Status s = net::save_identity_file(path_, other_, true);
  ASSERT_TRUE(s.ok()) << s.message();
  std::string seen(kIdentityFileSize, '\0');
  EXPECT_EQ(::pread(old_fd, seen.data(), seen.size(), 0), static_cast<ssize_t>(seen.size()));
  ::close(old_fd);
  EXPECT_TRUE(seen == before) << "a descriptor on the old file reads the new key";

  EXPECT_EQ(mode(), 0600u);
  std::optional<Identity> loaded;
  ASSERT_TRUE(net::load_identity_file(path_, &loaded).ok());
  EXPECT_EQ(loaded->public_key(), other_.public_key());
  EXPECT_EQ(entries(), std::vector<std::string>{"id.key"});  // no temporary file left
}

// A write that fails midway (here: the file size limit, as a full disk would) leaves
// the old key exactly as it was and no partial file anywhere, with or without
// overwrite.
TEST_F(IdentityFileTest, FailedWriteKeepsTheOldKeyAndLeavesNothingHalfWritten) {
  ASSERT_TRUE(net::save_identity_file(path_, identity_, false).ok());
  const std::string before = contents();
  const std::string fresh = (dir_ / "fresh.key").string();
  const auto save_with_small_file_limit = [&](const std::string& path, bool overwrite) {
    return in_child([&] {
      ::signal(SIGXFSZ, SIG_IGN);  // write fails with EFBIG instead of killing the child
      const rlimit limit{16, 16};  // fewer bytes than an identity file
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 2;
      const net::Status s = net::save_identity_file(path, other_, overwrite);
      std::printf("save with a 16-byte file size limit: %s\n", s.message().c_str());
      std::fflush(stdout);
      return s.code() == StatusCode::kSystem ? kExpected : kUnexpected;
    });
  };
  EXPECT_EQ(save_with_small_file_limit(path_, true), kExpected);
  EXPECT_TRUE(contents() == before)
      << "the old key was lost (" << contents().size() << " bytes left)";
  EXPECT_EQ(save_with_small_file_limit(fresh, false), kExpected);
  EXPECT_FALSE(std::filesystem::exists(fresh)) << "a partial identity file was left";
  EXPECT_EQ(entries(), std::vector<std::string>{"id.key"});
}

}  // namespace
}  // namespace p2pnet::testing
