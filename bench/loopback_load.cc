// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// loopback_load.cc: a load generator for the example server over loopback. It starts
// the server itself (the command after `--`, which must include `--port 0`), reads
// the real port from the server's `[INFO] Listening on port N` line, then:
//   0. times the server-side crypto floor (crypto_floor.h: HandshakeFloor::server_side)
//      in this process (getrusage), for comparison with the server's CPU per handshake;
//   1. for each concurrency level (default 1, 16, 256) keeps that many clients
//      handshaking back to back for a fixed time and reports handshakes per second
//      and the server process's CPU time per completed handshake (user + system, from
//      /proc/<pid>/stat: what getrusage reports for a process, read while it runs);
//   2. opens N idle established connections (default 10,000), at most 256 handshakes
//      in flight, and reads the server's VmRSS from /proc/<pid>/status;
//   3. closes everything, stops the server with SIGTERM and reports its exit status.
// Clients are the engine's Connection on non-blocking sockets driven by poll(), in
// one thread: no dependency on the adapters' API. Every phase has a deadline, so the
// program always ends by itself. Results go to stdout as one JSON object per line.
// Linux only (/proc, RLIMIT_NOFILE); loopback only (127.0.0.1).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crypto_floor.h"
#include "p2pnet/connection.h"
#include "p2pnet/identity.h"

namespace p2pnet::bench {
namespace {

// whole_number and real_number parse all of |text| (strtol/strtod with the end and
// errno checked, unlike atoi/atof): a typo fails instead of becoming 0 or a prefix.
std::optional<long> whole_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> real_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

using Clock = std::chrono::steady_clock;

constexpr int kMaxInFlight = 256;  // handshakes in flight while opening idle ones
constexpr auto kStartupTimeout = std::chrono::seconds(15);
constexpr auto kIdleOpenTimeout = std::chrono::seconds(180);
constexpr auto kShutdownTimeout = std::chrono::seconds(15);
constexpr std::size_t kReadBufferSize = 64 * 1024;

Instant now_instant() {
  return std::chrono::duration_cast<Instant>(Clock::now().time_since_epoch());
}

struct Options {
  std::vector<int> levels{1, 16, 256};
  double seconds_per_level = 5.0;
  int idle_connections = 10000;
  std::optional<PublicKey> pin;
  std::string log_path = "loopback_server.log";
  std::vector<std::string> server_command;
};

void usage() {
  std::fprintf(stderr,
               "usage: p2pnet_loopback_load [--levels 1,16,256] [--seconds S] [--idle N]\n"
               "       [--pin SERVER_PUBKEY] [--log FILE] -- SERVER_COMMAND... --port 0\n");
}

std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) return std::nullopt;
    const std::string value = argv[++i];
    if (arg == "--levels") {
      options.levels.clear();
      std::size_t start = 0;
      while (start <= value.size()) {
        const std::size_t comma = std::min(value.find(',', start), value.size());
        const std::optional<long> level = whole_number(value.substr(start, comma - start));
        if (!level || *level <= 0 || *level > 4096) return std::nullopt;
        options.levels.push_back(static_cast<int>(*level));
        start = comma + 1;
      }
    } else if (arg == "--seconds") {
      const std::optional<double> seconds = real_number(value);
      if (!seconds || !(*seconds > 0 && *seconds <= 600)) return std::nullopt;
      options.seconds_per_level = *seconds;
    } else if (arg == "--idle") {
      const std::optional<long> idle = whole_number(value);
      if (!idle || *idle < 0 || *idle > 100000) return std::nullopt;
      options.idle_connections = static_cast<int>(*idle);
    } else if (arg == "--pin") {
      options.pin = decode_public_key(value);
      if (!options.pin) return std::nullopt;
    } else if (arg == "--log") {
      options.log_path = value;
    } else {
      return std::nullopt;
    }
  }
  for (; i < argc; ++i) options.server_command.emplace_back(argv[i]);
  if (options.server_command.empty()) return std::nullopt;
  return options;
}

// --- The server process ------------------------------------------------------------

struct Server {
  pid_t pid = -1;
  int port = 0;
};

// start_server runs the command with stdout and stderr appended to |log_path| (the
// server logs a line per connection; a file never blocks it the way a full pipe
// would), then waits for the port line. Returns nullopt if it never appears.
std::optional<Server> start_server(const Options& options) {
  const int log_fd =
      ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return std::nullopt;
  std::vector<char*> args;
  for (const std::string& arg : options.server_command)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execv(args[0], args.data());
    std::_Exit(127);
  }
  ::close(log_fd);

  const std::string marker = "Listening on port ";
  const auto deadline = Clock::now() + kStartupTimeout;
  while (Clock::now() < deadline) {
    std::ifstream log(options.log_path);
    std::string line;
    while (std::getline(log, line)) {
      const std::size_t at = line.find(marker);
      if (at != std::string::npos) {
        const std::string rest = line.substr(at + marker.size());
        const std::optional<long> port =
            whole_number(rest.substr(0, rest.find_first_not_of("0123456789")));
        if (port && *port > 0 && *port < 65536) return Server{pid, static_cast<int>(*port)};
      }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return std::nullopt;  // it died
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return std::nullopt;
}

// stop_server sends SIGTERM and waits; returns the exit status text.
std::string stop_server(const Server& server) {
  ::kill(server.pid, SIGTERM);
  const auto deadline = Clock::now() + kShutdownTimeout;
  int status = 0;
  while (Clock::now() < deadline) {
    const pid_t done = ::waitpid(server.pid, &status, WNOHANG);
    if (done == server.pid) {
      if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
      if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
      return "unknown";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(server.pid, SIGKILL);
  ::waitpid(server.pid, &status, 0);
  return "killed after timeout";
}

// resident_kib reads VmRSS (KiB) from /proc/<pid>/status; -1 if unreadable.
long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    // "VmRSS:   5080 kB": strtol skips the spaces and stops at " kB".
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

struct CpuTime {
  double user = -1;    // seconds
  double system = -1;  // seconds, in the kernel on the process's behalf (TCP, epoll, writes)
  double total() const { return user + system; }
};

// process_cpu: user and system CPU time of |pid| so far (fields 14 and 15 of
// /proc/<pid>/stat, in clock ticks); negative if unreadable.
CpuTime process_cpu(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t name_end = text.rfind(')');  // the command name may hold spaces
  if (name_end == std::string::npos) return {};
  std::vector<std::string> fields;
  std::size_t at = name_end + 2;
  while (at < text.size() && fields.size() < 13) {
    const std::size_t space = text.find(' ', at);
    fields.push_back(text.substr(at, space - at));
    if (space == std::string::npos) break;
    at = space + 1;
  }
  if (fields.size() < 13) return {};  // fields[0] is field 3 (state): utime is [11], stime [12]
  const auto tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const std::optional<double> user = real_number(fields[11]), system = real_number(fields[12]);
  if (!user || !system) return {};
  return {*user / tick, *system / tick};
}

double self_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// --- One client ----------------------------------------------------------------------

enum class ClientState { kIdle, kConnecting, kHandshaking, kEstablished, kFailed };

struct Client {
  int fd = -1;
  ClientState state = ClientState::kIdle;
  std::optional<Connection> connection;
  std::vector<std::uint8_t> unsent;  // output the socket did not take yet
};

class LoadClient {
 public:
  LoadClient(const Options& options, int port) : identity_(make_identity()) {
    config_.identity = &identity_;
    config_.expected_server = options.pin;
    address_.sin_family = AF_INET;
    address_.sin_port = htons(static_cast<std::uint16_t>(port));
    address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }

  // start opens a non-blocking connection; the handshake begins once it connects.
  bool start(Client& client) {
    client.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (client.fd < 0) return fail(client);
    const int one = 1;
    ::setsockopt(client.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    client.connection.emplace(Connection::client(config_, now_instant()));
    client.unsent.clear();
    if (::connect(client.fd, reinterpret_cast<const sockaddr*>(&address_), sizeof address_) == 0) {
      client.state = ClientState::kHandshaking;
      return flush(client);
    }
    if (errno != EINPROGRESS) return fail(client);
    client.state = ClientState::kConnecting;
    return true;
  }

  short poll_events(const Client& client) const {
    if (client.state == ClientState::kConnecting) return POLLOUT;
    short events = POLLIN;
    if (!client.unsent.empty()) events = static_cast<short>(events | POLLOUT);
    return events;
  }

  // on_poll handles what poll() reported. Returns false when the client failed.
  bool on_poll(Client& client, short revents) {
    if (client.state == ClientState::kConnecting) {
      int error = 0;
      socklen_t length = sizeof error;
      if (::getsockopt(client.fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
        return fail(client);
      }
      client.state = ClientState::kHandshaking;
      return flush(client);
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !read(client)) return false;
    if ((revents & POLLOUT) != 0 && !flush(client)) return false;
    return client.state != ClientState::kFailed;
  }

  // check_deadline fails a handshake whose engine deadline has passed.
  bool check_deadline(Client& client) {
    if (client.state != ClientState::kHandshaking || !client.connection) return true;
    if (client.connection->handle_timeout(now_instant()) != Error::kNone) return fail(client);
    return true;
  }

  // close sends close_notify when established, then closes the socket.
  void close(Client& client) {
    if (client.state == ClientState::kEstablished && client.connection &&
        client.connection->close() == Error::kNone) {
      (void)flush(client);
    }
    if (client.fd >= 0) ::close(client.fd);
    client.fd = -1;
    client.connection.reset();
    client.unsent.clear();
    client.state = ClientState::kIdle;
  }

  std::string last_error() const { return last_error_; }

 private:
  static Identity make_identity() {
    std::array<std::uint8_t, kIdentitySeedSize> seed{};
    randombytes_buf(seed.data(), seed.size());
    Identity identity = Identity::from_seed(seed);
    sodium_memzero(seed.data(), seed.size());
    return identity;
  }

  bool fail(Client& client) {
    if (client.connection && client.connection->error() != Error::kNone) {
      last_error_ = std::string(error_name(client.connection->error()));
    } else {
      last_error_ = std::strerror(errno);
    }
    client.state = ClientState::kFailed;
    return false;
  }

  bool flush(Client& client) {
    for (;;) {
      if (client.unsent.empty()) {
        const std::size_t n = client.connection->poll_transmit(write_buffer_);
        if (n == 0) return true;
        client.unsent.assign(write_buffer_.begin(),
                             write_buffer_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      const ssize_t sent =
          ::send(client.fd, client.unsent.data(), client.unsent.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        return fail(client);
      }
      client.unsent.erase(client.unsent.begin(), client.unsent.begin() + sent);
      if (!client.unsent.empty()) return true;
    }
  }

  bool read(Client& client) {
    for (;;) {
      const ssize_t got = ::recv(client.fd, read_buffer_.data(), read_buffer_.size(), 0);
      if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return flush(client);
        if (errno == EINTR) continue;
        return fail(client);
      }
      ByteSpan input(read_buffer_.data(), static_cast<std::size_t>(got));
      if (got == 0) {
        (void)client.connection->handle_bytes({}, now_instant());
        errno = ECONNRESET;
        return fail(client);  // the server closed: for an idle client that is a loss
      }
      while (!input.empty()) {
        const ReadResult result = client.connection->handle_bytes(input, now_instant());
        if (result.error != Error::kNone) return fail(client);
        input = input.subspan(result.consumed);
        bool any_event = false;
        while (const auto event = client.connection->poll_event()) {
          any_event = true;
          if (event->type == EventType::kHandshakeComplete)
            client.state = ClientState::kEstablished;
        }
        if (result.consumed == 0 && !any_event) return fail(client);
      }
    }
  }

  Identity identity_;
  ClientConfig config_;
  sockaddr_in address_{};
  std::array<std::uint8_t, kReadBufferSize> read_buffer_{};
  std::array<std::uint8_t, kReadBufferSize> write_buffer_{};
  std::string last_error_;
};

// poll_clients polls the clients whose indices are in |active| for up to |timeout_ms|
// and hands each event to |on_event(index, revents)|.
template <typename OnEvent>
void poll_clients(std::vector<Client>& clients, const std::vector<std::size_t>& active,
                  LoadClient& load, int timeout_ms, OnEvent on_event) {
  std::vector<pollfd> fds;
  fds.reserve(active.size());
  for (const std::size_t index : active)
    fds.push_back({clients[index].fd, load.poll_events(clients[index]), 0});
  const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
  if (ready <= 0) return;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents != 0) on_event(active[i], fds[i].revents);
  }
}

// --- Phases ---------------------------------------------------------------------------

// floor_phase times the server's share of the handshake's cryptography, nothing else.
void floor_phase() {
  HandshakeFloor floor;
  constexpr int kRounds = 400;
  bool ok = true;
  const double before = self_cpu_seconds();
  for (int i = 0; i < kRounds; ++i) ok = floor.server_side() && ok;
  const double cpu = self_cpu_seconds() - before;
  std::printf("{\"phase\":\"floor\",\"rounds\":%d,\"ok\":%s,\"server_side_us\":%.1f}\n", kRounds,
              ok ? "true" : "false", cpu * 1e6 / kRounds);
  std::fflush(stdout);
}

// rate_phase keeps |concurrency| clients handshaking back to back for |seconds|.
void rate_phase(LoadClient& load, int concurrency, double seconds, pid_t server_pid) {
  const CpuTime server_cpu_before = process_cpu(server_pid);
  std::vector<Client> clients(static_cast<std::size_t>(concurrency));
  std::vector<std::size_t> active(clients.size());
  for (std::size_t i = 0; i < clients.size(); ++i) active[i] = i;
  long completed = 0;
  long failed = 0;
  std::string example_error;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (Client& client : clients) {
    if (!load.start(client)) {
      ++failed;
      load.close(client);
    }
  }
  while (Clock::now() < end) {
    poll_clients(clients, active, load, 20, [&](std::size_t index, short revents) {
      Client& client = clients[index];
      if (client.state == ClientState::kIdle) return;
      const bool ok = load.on_poll(client, revents);
      if (client.state == ClientState::kEstablished) {
        ++completed;
        load.close(client);
      } else if (!ok) {
        ++failed;
        if (example_error.empty()) example_error = load.last_error();
        load.close(client);
      }
    });
    for (Client& client : clients) {
      if (client.state == ClientState::kHandshaking && !load.check_deadline(client)) {
        ++failed;
        load.close(client);
      }
      if (client.state == ClientState::kIdle && Clock::now() < end && !load.start(client)) {
        ++failed;
        if (example_error.empty()) example_error = load.last_error();
        load.close(client);
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (Client& client : clients) load.close(client);
  // Let the server finish with the connections just closed, so their cost is counted.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const CpuTime server_cpu_after = process_cpu(server_pid);
  const double user = server_cpu_after.user - server_cpu_before.user;
  const double system = server_cpu_after.system - server_cpu_before.system;
  const double per = completed > 0 ? 1e6 / static_cast<double>(completed) : 0.0;
  std::printf(
      "{\"phase\":\"rate\",\"concurrency\":%d,\"seconds\":%.3f,\"handshakes\":%ld,\"failed\":%ld,"
      "\"handshakes_per_s\":%.1f,\"server_cpu_s\":%.3f,\"server_cpu_us_per_handshake\":%.1f,"
      "\"server_user_us_per_handshake\":%.1f,\"server_system_us_per_handshake\":%.1f,\"first_"
      "error\":\"%s\"}\n",
      concurrency, elapsed, completed, failed, static_cast<double>(completed) / elapsed,
      user + system, (user + system) * per, user * per, system * per, example_error.c_str());
  std::fflush(stdout);
}

// idle_phase opens |count| established connections and measures the server's RSS.
void idle_phase(LoadClient& load, int count, const Server& server) {
  // Let the server settle after the rate phases (their sockets are closing).
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long baseline_kib = resident_kib(server.pid);
  std::vector<Client> clients(static_cast<std::size_t>(count));
  std::size_t next = 0;
  long established = 0;
  long failed = 0;
  std::string example_error;
  std::vector<std::size_t> in_flight;
  const auto start = Clock::now();
  const auto deadline = start + kIdleOpenTimeout;
  while ((next < clients.size() || !in_flight.empty()) && Clock::now() < deadline) {
    while (next < clients.size() && in_flight.size() < static_cast<std::size_t>(kMaxInFlight)) {
      Client& client = clients[next];
      if (load.start(client)) {
        in_flight.push_back(next);
      } else {
        ++failed;
        if (example_error.empty()) example_error = load.last_error();
        load.close(client);
      }
      ++next;
    }
    poll_clients(clients, in_flight, load, 20, [&](std::size_t index, short revents) {
      Client& client = clients[index];
      if (!load.on_poll(client, revents) && client.state == ClientState::kFailed) {
        ++failed;
        if (example_error.empty()) example_error = load.last_error();
        load.close(client);
      }
    });
    for (const std::size_t index : in_flight) {
      Client& client = clients[index];
      if (client.state == ClientState::kHandshaking && !load.check_deadline(client)) {
        ++failed;
        load.close(client);
      }
      if (client.state == ClientState::kEstablished) ++established;
    }
    std::erase_if(in_flight, [&](std::size_t index) {
      return clients[index].state == ClientState::kEstablished ||
             clients[index].state == ClientState::kIdle;
    });
  }
  const double open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (const std::size_t index : in_flight) load.close(clients[index]);  // timed out

  // Idle for a moment, then count the connections the server has kept open.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  long alive = 0;
  for (Client& client : clients) {
    if (client.state != ClientState::kEstablished) continue;
    pollfd fd{client.fd, POLLIN, 0};
    if (::poll(&fd, 1, 0) == 0) {
      ++alive;
    } else if (load.on_poll(client, fd.revents) && client.state == ClientState::kEstablished) {
      ++alive;  // readable but still open (the server sent something)
    }
  }
  const long idle_kib = resident_kib(server.pid);
  const double per_connection =
      alive > 0 ? static_cast<double>(idle_kib - baseline_kib) * 1024.0 / static_cast<double>(alive)
                : 0.0;
  for (Client& client : clients) load.close(client);
  std::printf(
      "{\"phase\":\"idle\",\"requested\":%d,\"established\":%ld,\"alive_at_measurement\":%ld,"
      "\"failed\":%ld,"
      "\"open_seconds\":%.3f,\"server_rss_kib\":%ld,\"server_baseline_rss_kib\":%ld,"
      "\"bytes_per_connection\":%.0f,\"first_error\":\"%s\"}\n",
      count, established, alive, failed, open_seconds, idle_kib, baseline_kib, per_connection,
      example_error.c_str());
  std::fflush(stdout);
}

// raise_file_limit makes room for |needed| descriptors (the server inherits it).
bool raise_file_limit(rlim_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= needed) return true;
  if (limit.rlim_max < needed) limit.rlim_max = needed;  // allowed for root only
  limit.rlim_cur = needed;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) return true;
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur >= needed;
}

int run(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const std::optional<Options> parsed = parse_options(argc, argv);
  if (!parsed) {
    usage();
    return 2;
  }
  Options options = *parsed;
  const auto needed = static_cast<rlim_t>(options.idle_connections) + 1024;
  if (!raise_file_limit(needed)) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const int fit = static_cast<int>(limit.rlim_cur) - 1024;
    std::fprintf(stderr, "loopback: RLIMIT_NOFILE %llu: idle connections lowered to %d\n",
                 static_cast<unsigned long long>(limit.rlim_cur), std::max(fit, 0));
    options.idle_connections = std::max(fit, 0);
  }
  ::signal(SIGPIPE, SIG_IGN);

  const std::optional<Server> server = start_server(options);
  if (!server) {
    std::printf("{\"phase\":\"start\",\"error\":\"server did not report a port; see %s\"}\n",
                options.log_path.c_str());
    return 1;
  }
  std::printf("{\"phase\":\"start\",\"port\":%d,\"server_rss_kib\":%ld,\"pinned\":%s}\n",
              server->port, resident_kib(server->pid), options.pin ? "true" : "false");
  std::fflush(stdout);

  floor_phase();
  LoadClient load(options, server->port);
  for (const int level : options.levels)
    rate_phase(load, level, options.seconds_per_level, server->pid);
  if (options.idle_connections > 0) idle_phase(load, options.idle_connections, *server);

  const std::string status = stop_server(*server);
  std::printf("{\"phase\":\"stop\",\"server_status\":\"%s\"}\n", status.c_str());
  return 0;
}

}  // namespace
}  // namespace p2pnet::bench

int main(int argc, char** argv) { return p2pnet::bench::run(argc, argv); }
