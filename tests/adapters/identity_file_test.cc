// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// identity_file_test.cc: the file-system rules of identity files (POSIX): created
// 0600, never overwritten without asking, loose permissions and symlinks refused with
// a clear message, exact size, corrupt content refused.
#include "p2pnet/socket/identity_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "pair.h"

namespace p2pnet::testing {
namespace {

using net::StatusCode;

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
  EXPECT_EQ(net::load_identity_file((dir_ / "missing").string(), &loaded).code(), StatusCode::kFileNotFound);
  EXPECT_EQ(net::load_identity_file(dir_.string(), &loaded).code(), StatusCode::kFileInvalid);  // a directory
}

}  // namespace
}  // namespace p2pnet::testing
