// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// examples_test.cc: the example programs run as processes, the way the README runs
// them: 08 writes keys (0600, no overwrite without --force), 10 serves on --port 0
// and reports the real port, 11 echoes stdin lines, failures print [ERROR] and exit
// 1, SIGTERM/SIGINT stop the server with status 0. The server's resident memory
// (VmRSS from /proc) is compared before and after clients send it 10 MB of random
// bytes each. c_poll_echo (the C API's sans-IO engine in one poll() loop) echoes
// every line and closes cleanly on both sides. Linux only (fork/exec, /proc).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "loopback.h"

namespace p2pnet::testing {
namespace {

const std::string kExampleDir = P2PNET_EXAMPLE_DIR;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// line_after finds a complete line that starts with |prefix| and returns the rest.
// (std::regex is avoided: GCC 12 warns inside it under the sanitizers.)
std::optional<std::string> line_after(const std::string& text, const std::string& prefix) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    if (end == std::string::npos) break;  // an incomplete last line: wait for the rest
    if (text.compare(at, prefix.size(), prefix) == 0)
      return text.substr(at + prefix.size(), end - at - prefix.size());
    at = end + 1;
  }
  return std::nullopt;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

// Child: a program started with stdin from a file (or /dev/null) and stdout+stderr
// to a file. The destructor kills it if the test did not wait for it.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::filesystem::path& out,
        const std::filesystem::path& in = "/dev/null")
      : out_(out) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int in_fd = ::open(in.c_str(), O_RDONLY);
      const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (in_fd < 0 || out_fd < 0) ::_exit(127);
      ::dup2(in_fd, 0);
      ::dup2(out_fd, 1);
      ::dup2(out_fd, 2);
      std::vector<char*> argv;
      argv.reserve(args.size() + 1);
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  std::string output() const { return read_file(out_); }

  // wait returns the exit status, or -1 if it did not exit in time (then killed).
  int wait(Duration timeout = kTestDeadline) {
    const auto deadline = net::Clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (net::Clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // wait_for_line waits until a complete output line starts with |prefix| and
  // returns the rest of that line ("" on timeout).
  std::string wait_for_line(const std::string& prefix, Duration timeout = kTestDeadline) const {
    const auto deadline = net::Clock::now() + timeout;
    while (net::Clock::now() < deadline) {
      if (auto rest = line_after(output(), prefix)) return *rest;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "";
  }

  // wait_for_count waits until |needle| occurs |count| times in the output.
  bool wait_for_count(const std::string& needle, std::size_t count,
                      Duration timeout = kTestDeadline) const {
    const auto deadline = net::Clock::now() + timeout;
    while (net::Clock::now() < deadline) {
      if (occurrences(output(), needle) >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::filesystem::path out_;
};

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef P2PNET_NO_EXAMPLES
    GTEST_SKIP() << "examples are not built (P2PNET_BUILD_EXAMPLES=OFF)";
#endif
    ASSERT_GE(sodium_init(), 0);
    char pattern[] = "/tmp/p2pnet_examples_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string bin(const std::string& name) const { return kExampleDir + "/" + name; }

  // generate runs 08 and returns the public key it printed ("" on failure).
  std::string generate(const std::string& name, bool force = false, int* status = nullptr) {
    std::vector<std::string> args{bin("08_generate_identity"), "--out", (dir_ / name).string()};
    if (force) args.push_back("--force");
    Child child(args, dir_ / (name + ".out"));
    const int rc = child.wait();
    if (status != nullptr) *status = rc;
    const std::optional<std::string> key = line_after(child.output(), "[OK] Public key: ");
    if (!key || key->size() != 43 ||
        key->find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            std::string::npos) {
      return "";
    }
    return *key;
  }

  // run_client runs 11 with |lines| on stdin; returns its exit status.
  int run_client(const std::string& key, const std::string& server_key, const std::string& port,
                 const std::string& lines, std::string* output) {
    std::ofstream(dir_ / "stdin.txt") << lines;
    Child client({bin("11_secure_client"), (dir_ / key).string(), server_key, "--port", port,
                  "--timeout", "5"},
                 dir_ / "client.out", dir_ / "stdin.txt");
    const int rc = client.wait();
    *output = client.output();
    return rc;
  }

  std::filesystem::path dir_;
};

long vm_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST_F(ExamplesTest, GenerateIdentityWrites0600AndNeverOverwritesWithoutForce) {
  int rc = -1;
  const std::string key = generate("id.key", false, &rc);
  EXPECT_EQ(rc, 0);
  ASSERT_EQ(key.size(), 43u);
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "id.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string before = read_file(dir_ / "id.key");

  EXPECT_EQ(generate("id.key", false, &rc), "");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(read_file(dir_ / "id.key.out").find("[ERROR]"), std::string::npos);
  EXPECT_EQ(read_file(dir_ / "id.key"), before);

  const std::string replaced = generate("id.key", true, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(replaced.size(), 43u);
  EXPECT_NE(replaced, key);
}

// --force replaces the key file by renaming a new one over it: a descriptor opened on
// the old file (which may have had a loose mode) still reads the old seed.
TEST_F(ExamplesTest, GenerateIdentityForceLeavesDescriptorsOnTheOldFileWithTheOldKey) {
  ASSERT_EQ(generate("id.key").size(), 43u);
  const std::string before = read_file(dir_ / "id.key");
  ASSERT_EQ(::chmod((dir_ / "id.key").c_str(), 0644), 0);
  const int old_fd = ::open((dir_ / "id.key").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(old_fd, 0);
  int rc = -1;
  EXPECT_EQ(generate("id.key", true, &rc).size(), 43u);
  EXPECT_EQ(rc, 0);
  std::string seen(before.size(), '\0');
  EXPECT_EQ(::pread(old_fd, seen.data(), seen.size(), 0), static_cast<ssize_t>(seen.size()));
  ::close(old_fd);
  EXPECT_TRUE(seen == before) << "the old descriptor reads the new key";  // no secret in the log
  EXPECT_FALSE(read_file(dir_ / "id.key") == before) << "the key was not replaced";
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "id.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

// The server decides what the client prints after "[ECHO] ": a hostile one could set
// the terminal's title, clear the screen or worse. Every byte outside printable ASCII
// is shown as \xNN, in the client's [ECHO] line and the server's [RECV] line alike.
TEST_F(ExamplesTest, ClientEscapesControlBytesInTheServersEcho) {
  const std::string server_key = generate("server.key");
  ASSERT_FALSE(server_key.empty());
  ASSERT_FALSE(generate("client.key").empty());
  Child server({bin("10_secure_server"), (dir_ / "server.key").string(), "--port", "0"},
               dir_ / "server.out");
  const std::string port = server.wait_for_line("[INFO] Listening on port ");
  ASSERT_FALSE(port.empty()) << server.output();

  // The example server echoes what it gets, so the client's own line carries the bytes.
  const std::string hostile = std::string("a\x1b]0;pwned\x07") + "b\x1b[2Jc" +
                              std::string("\x00\x01\x08\x7f\r", 5) + "\xc3\xa9\xff\x9b" + "d\\e";
  std::string out;
  EXPECT_EQ(run_client("client.key", server_key, port, hostile + "\n", &out), 0) << out;
  const std::string expected =
      "a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x00\\x01\\x08\\x7f\\x0d\\xc3\\xa9\\xff\\x9bd\\e";
  EXPECT_NE(out.find("[ECHO] " + expected + "\n"), std::string::npos) << out;
  const auto raw = std::find_if(out.begin(), out.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return c != '\n' && (byte < 0x20 || byte >= 0x7f);
  });
  EXPECT_EQ(raw, out.end()) << "raw byte 0x" << std::hex << int{static_cast<unsigned char>(*raw)}
                            << " at offset " << std::dec << (raw - out.begin())
                            << " of the client's output";
  EXPECT_TRUE(server.wait_for_count(": " + expected + "\n", 1)) << server.output();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_EQ(server.wait(), 0) << server.output();
}

// One public key in 64 starts with '-', one in 4096 with "--": 11 takes such a key as
// SERVER_PUBKEY where it stands and after "--". Both keys are valid (multiples of the
// base point); port 1 is closed, so a client that parsed its arguments fails to connect.
TEST_F(ExamplesTest, ClientTakesServerKeysThatStartWithDashes) {
  ASSERT_FALSE(generate("client.key").empty());
  const std::string client_key = (dir_ / "client.key").string();
  const std::vector<std::vector<std::string>> argument_lists = {
      {client_key, "--XgIJpsLP2HmwEx79TOtWdDNlZ2Oa9iANWftxpKegM", "--port", "1"},
      {client_key, "-eQtLtyB0jNnlnNStH5IVrgleGNObB3nIoDOi2DOcMA", "--port", "1"},
      {"--port", "1", "--", client_key, "--XgIJpsLP2HmwEx79TOtWdDNlZ2Oa9iANWftxpKegM"},
  };
  int run = 0;
  for (const auto& arguments : argument_lists) {
    std::vector<std::string> args{bin("11_secure_client")};
    args.insert(args.end(), arguments.begin(), arguments.end());
    Child client(args, dir_ / ("dash-" + std::to_string(run++) + ".out"));
    EXPECT_EQ(client.wait(), 1) << client.output();
    EXPECT_EQ(client.output().find("unknown or incomplete argument"), std::string::npos)
        << client.output();
    EXPECT_NE(client.output().find("[INFO] Connecting to 127.0.0.1:1"), std::string::npos)
        << client.output();
  }
}

TEST_F(ExamplesTest, ServerAndClientEchoFailuresAreReportedAndSigtermExitsZero) {
  const std::string server_key = generate("server.key");
  const std::string client_key = generate("client.key");
  const std::string stranger_key = generate("stranger.key");
  ASSERT_FALSE(server_key.empty() || client_key.empty() || stranger_key.empty());

  Child server({bin("10_secure_server"), (dir_ / "server.key").string(), "--port", "0", "--allow",
                client_key},
               dir_ / "server.out");
  const std::string port = server.wait_for_line("[INFO] Listening on port ");
  ASSERT_FALSE(port.empty()) << server.output();
  ASSERT_NE(port, "0");

  std::string out;
  EXPECT_EQ(run_client("client.key", server_key, port, "hello\nsecond line\n", &out), 0) << out;
  EXPECT_NE(out.find("Ready for encrypted communication!\n"), std::string::npos) << out;
  EXPECT_NE(out.find("[ECHO] hello\n[ECHO] second line\n"), std::string::npos) << out;

  // The wrong server key: the client refuses the server.
  EXPECT_EQ(run_client("client.key", stranger_key, port, "x\n", &out), 1);
  EXPECT_NE(out.find("[ERROR] "), std::string::npos) << out;
  EXPECT_EQ(out.find("[ECHO]"), std::string::npos);
  // A client the server does not allow.
  EXPECT_EQ(run_client("stranger.key", server_key, port, "x\n", &out), 1);
  EXPECT_NE(out.find("[ERROR] "), std::string::npos) << out;
  // No server on the port.
  EXPECT_EQ(run_client("client.key", server_key, "1", "x\n", &out), 1);
  EXPECT_NE(out.find("[ERROR] "), std::string::npos) << out;

  // One line per failed handshake, with the reason.
  EXPECT_TRUE(server.wait_for_count("identity not accepted\n", 2)) << server.output();
  EXPECT_EQ(occurrences(server.output(), "[ERROR] Handshake with "), 2u) << server.output();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_EQ(server.wait(), 0) << server.output();
}

TEST_F(ExamplesTest, ServerCapsHandshakesPerAddress) {
  ASSERT_FALSE(generate("server.key").empty());
  const std::string key = (dir_ / "server.key").string();
  Child zero({bin("10_secure_server"), key, "--port", "0", "--max-handshakes-per-address", "0"},
             dir_ / "zero.out");
  EXPECT_EQ(zero.wait(), 1);
  EXPECT_NE(zero.output().find("[ERROR] --max-handshakes-per-address needs a positive number"),
            std::string::npos)
      << zero.output();

  // The cap always (not only under pressure), in a table of 2 shared by two addresses:
  // each address's share is then the cap, 1.
  Child server({bin("10_secure_server"), key, "--port", "0", "--max-handshakes-per-address", "1",
                "--max-handshakes", "2", "--per-address-limits-above", "0"},
               dir_ / "server.out");
  const std::string port_text = server.wait_for_line("[INFO] Listening on port ");
  ASSERT_FALSE(port_text.empty()) << server.output();
  const auto port = static_cast<std::uint16_t>(std::stoi(port_text));
  net::Socket other = connect_from("127.0.0.4", port);
  ASSERT_TRUE(server.wait_for_count("[OK] Client connected from 127.0.0.4:", 1)) << server.output();
  net::Socket first = connect_from("127.0.0.2", port);
  ASSERT_TRUE(server.wait_for_count("[OK] Client connected from 127.0.0.2:", 1)) << server.output();
  // A second handshake from 127.0.0.2 is one over its cap: Error 0x06, then closed.
  net::Socket second = connect_from("127.0.0.2", port);
  const Bytes reply = receive_exactly(second, 2);
  EXPECT_EQ(reply, (Bytes{0xFF, 0x06}));
  EXPECT_TRUE(server.wait_for_count("[WARN] Refused 127.0.0.2:", 1)) << server.output();
  // Another address is not affected (it makes room by evicting the oldest).
  net::Socket third = connect_from("127.0.0.3", port);
  EXPECT_TRUE(server.wait_for_count("[OK] Client connected from 127.0.0.3:", 1)) << server.output();
  Child bad({bin("10_secure_server"), key, "--port", "0", "--per-address-limits-above", "101"},
            dir_ / "bad.out");
  EXPECT_EQ(bad.wait(), 1);
  EXPECT_NE(bad.output().find("[ERROR] --per-address-limits-above needs a percentage 0..100"),
            std::string::npos)
      << bad.output();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_EQ(server.wait(), 0) << server.output();
}

TEST_F(ExamplesTest, ServerMemoryStaysFlatUnderTenMegabytesOfGarbage) {
  ASSERT_FALSE(generate("server.key").empty());
  const std::string client_key = generate("client.key");
  Child server({bin("10_secure_server"), (dir_ / "server.key").string(), "--port", "0"},
               dir_ / "server.out");
  const std::string port_text = server.wait_for_line("[INFO] Listening on port ");
  ASSERT_FALSE(port_text.empty()) << server.output();
  const auto port = static_cast<std::uint16_t>(std::stoi(port_text));

  // Warm up with one garbage connection so one-time allocations are counted before.
  Bytes garbage(10u << 20);
  DeterministicRandom random(99);
  ASSERT_TRUE(random.fill(garbage));
  const auto hurl = [&] {
    net::Socket socket = connect_raw(port);
    (void)send_all(socket, garbage, Duration{5'000});
    EXPECT_TRUE(wait_for_end(socket, Duration{5'000}));
  };
  hurl();
  const long before = vm_rss_kib(server.pid());
  ASSERT_GT(before, 0);
  for (int i = 0; i < 5; ++i) hurl();
  const long after = vm_rss_kib(server.pid());
  // 50 MB went at the server; its resident memory may move by allocator noise only.
  EXPECT_LT(after - before, 1024) << "VmRSS grew from " << before << " KiB to " << after << " KiB";
  std::printf("server VmRSS: %ld KiB before, %ld KiB after 5 x 10 MB of garbage\n", before, after);
  RecordProperty("server_vmrss_before_kib", static_cast<int>(before));
  RecordProperty("server_vmrss_after_kib", static_cast<int>(after));

  ASSERT_EQ(::kill(server.pid(), SIGINT), 0);
  EXPECT_EQ(server.wait(), 0) << server.output();
  // One failure line per garbage connection (6), each with its reason.
  EXPECT_EQ(occurrences(server.output(), "[ERROR] Handshake with "), 6u) << server.output();
}

TEST_F(ExamplesTest, CPollEchoRunsBothSidesInOnePollLoop) {
#ifdef P2PNET_NO_C_EXAMPLE
  GTEST_SKIP() << "c_poll_echo is not built (no C API)";
#endif
  Child child({bin("c_poll_echo")}, dir_ / "c_poll_echo.out");
  ASSERT_EQ(child.wait(), 0) << child.output();
  const std::string out = child.output();
  for (const char* line : {"hello over a socketpair", "the engine never saw a socket", "bye"}) {
    EXPECT_NE(out.find(std::string("[client] [SEND] ") + line + "\n"), std::string::npos) << out;
    EXPECT_NE(out.find(std::string("[server] [ECHO] ") + line + "\n"), std::string::npos) << out;
    EXPECT_NE(out.find(std::string("[client] [RECV] ") + line + "\n"), std::string::npos) << out;
  }
  EXPECT_EQ(occurrences(out, "[OK] Handshake complete, peer "), 2u) << out;
  EXPECT_EQ(occurrences(out, "[INFO] Peer sent close_notify"), 2u) << out;
  EXPECT_NE(out.find("[OK] 3 lines echoed, both sides closed cleanly"), std::string::npos) << out;
  EXPECT_EQ(out.find("[ERROR]"), std::string::npos) << out;
}

}  // namespace
}  // namespace p2pnet::testing
