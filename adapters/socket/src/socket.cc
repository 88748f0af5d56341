// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// socket.cc: the only file that knows whether it runs on Winsock or POSIX sockets.
// Each function is written once; the few calls that differ are wrapped in the small
// helpers at the top (open_socket, accept_native, set_nonblocking, would_block, ...).
//
// Two guarantees hold for every socket made here (docs/adapters.md, "The portable
// layer"): it is not inherited by a child program (close-on-exec, set atomically at
// creation where the system allows; Winsock: not inheritable), and writing to it never
// raises SIGPIPE (MSG_NOSIGNAL on every send, SO_NOSIGPIPE on every socket, where each
// exists). The library never touches the process's signal dispositions instead.
#include "p2pnet/socket/socket.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace p2pnet::net {
namespace {

#ifdef _WIN32
using SockLen = int;
using IoSize = int;
SOCKET to_sys(NativeSocket s) { return static_cast<SOCKET>(s); }
NativeSocket from_sys(SOCKET s) {
  return s == INVALID_SOCKET ? kInvalidSocket : static_cast<NativeSocket>(s);
}
void close_native(NativeSocket s) { ::closesocket(to_sys(s)); }
bool set_nonblocking(NativeSocket s) {
  u_long on = 1;
  // mingw-w64's FIONBIO is an unsigned long constant; ioctlsocket takes a long.
  return ::ioctlsocket(to_sys(s), static_cast<long>(FIONBIO), &on) == 0;
}
bool set_not_inheritable(SOCKET s) {
  return ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0) != 0;
}
// open_socket: WSA_FLAG_NO_HANDLE_INHERIT makes the handle non-inheritable at creation
// (Windows 7 SP1 and later); older systems reject the flag, so they get
// SetHandleInformation right after. WSA_FLAG_OVERLAPPED is what socket() would set.
NativeSocket open_socket(int family) {
  SOCKET s = ::WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET && ::WSAGetLastError() == WSAEINVAL) {
    s = ::WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED);
    if (s != INVALID_SOCKET && !set_not_inheritable(s)) {
      const int code = ::WSAGetLastError();
      ::closesocket(s);
      ::WSASetLastError(code);
      return kInvalidSocket;
    }
  }
  return from_sys(s);
}
// accept_native: an accepted handle does not take the listener's inheritance setting
// from any documented rule, so it is cleared explicitly; if that fails the connection
// is closed rather than kept inheritable.
NativeSocket accept_native(NativeSocket listener, sockaddr* address, int* length) {
  const SOCKET s = ::accept(to_sys(listener), address, length);
  if (s != INVALID_SOCKET && !set_not_inheritable(s)) {
    ::closesocket(s);
    ::WSASetLastError(WSAECONNABORTED);  // reported like a connection reset while queued
    return kInvalidSocket;
  }
  return from_sys(s);
}
bool would_block(int code) { return code == WSAEWOULDBLOCK || code == WSAEINPROGRESS; }
bool is_interrupted(int code) { return code == WSAEINTR; }
bool is_reset(int code) {
  return code == WSAECONNRESET || code == WSAECONNABORTED || code == WSAESHUTDOWN ||
         code == WSAENETRESET;
}
// died_in_queue: accept failed for one queued connection only, and dropped it. Windows
// reports a connection its client reset while queued as WSAECONNRESET, wine as
// WSAENOTCONN (server_test.cc, AConnectionResetInTheListenQueueDoesNotHoldUpTheNextOne).
bool died_in_queue(int code) { return is_reset(code) || code == WSAENOTCONN; }
int poll_native(pollfd* fds, unsigned long n, int timeout_ms) {
  return ::WSAPoll(fds, n, timeout_ms);
}
constexpr int kSendFlags = 0;
constexpr bool kAcceptIsNonBlocking = false;
#else
using SockLen = socklen_t;
int to_sys(NativeSocket s) { return s; }
void close_native(NativeSocket s) { ::close(s); }
bool set_nonblocking(NativeSocket s) {
  const int flags = ::fcntl(s, F_GETFL, 0);
  return flags >= 0 && ::fcntl(s, F_SETFL, flags | O_NONBLOCK) == 0;
}
#ifndef SOCK_CLOEXEC
// set_cloexec: for systems without SOCK_CLOEXEC (macOS). Not atomic: a fork+exec on
// another thread between socket() and this call can still inherit the descriptor.
int set_cloexec(int fd) {
  if (fd < 0) return fd;
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
    const int code = errno;
    ::close(fd);
    errno = code;
    return -1;
  }
  return fd;
}
#endif
// open_socket and accept_native create descriptors close-on-exec. SOCK_CLOEXEC and
// accept4 come together (Linux, the BSDs), and set the flag atomically.
NativeSocket open_socket(int family) {
#ifdef SOCK_CLOEXEC
  return ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
#else
  return set_cloexec(::socket(family, SOCK_STREAM, IPPROTO_TCP));
#endif
}
// accept4 also sets O_NONBLOCK where it can (SOCK_NONBLOCK: Linux, the BSDs), which
// saves prepare_accepted two fcntl calls per connection.
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
constexpr bool kAcceptIsNonBlocking = true;
#else
constexpr bool kAcceptIsNonBlocking = false;
#endif
NativeSocket accept_native(NativeSocket listener, sockaddr* address, socklen_t* length) {
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
  return ::accept4(listener, address, length, SOCK_CLOEXEC | SOCK_NONBLOCK);
#elif defined(SOCK_CLOEXEC)
  return ::accept4(listener, address, length, SOCK_CLOEXEC);
#else
  return set_cloexec(::accept(listener, address, length));
#endif
}
bool would_block(int code) { return code == EAGAIN || code == EWOULDBLOCK || code == EINPROGRESS; }
bool is_interrupted(int code) { return code == EINTR; }
bool is_reset(int code) { return code == ECONNRESET || code == EPIPE || code == ENOTCONN; }
// died_in_queue: accept failed for one queued connection only (Linux reports a
// connection that broke in the queue as ECONNABORTED or EPROTO).
bool died_in_queue(int code) { return is_reset(code) || code == ECONNABORTED || code == EPROTO; }
int poll_native(pollfd* fds, nfds_t n, int timeout_ms) { return ::poll(fds, n, timeout_ms); }
#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;
#elif defined(SO_NOSIGPIPE)
constexpr int kSendFlags = 0;  // SO_NOSIGPIPE is set on each socket instead (forbid_sigpipe)
#else
#error "neither MSG_NOSIGNAL nor SO_NOSIGPIPE: a peer could raise SIGPIPE (docs/adapters.md)"
#endif
#endif

// prepare gives every socket of this layer its options: non-blocking; no SIGPIPE
// (SO_NOSIGPIPE wherever the system defines it, even beside MSG_NOSIGNAL, so a
// socket handed to other code keeps the guarantee); TCP_NODELAY (handshake messages
// are small and each waits for an answer: Nagle would add delay).
bool prepare(NativeSocket s) {
  if (!set_nonblocking(s)) return false;
  if (!forbid_sigpipe(s)) return false;
  int one = 1;
  ::setsockopt(to_sys(s), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one),
               sizeof one);
  return true;
}

// prepare_accepted gives an accepted socket the same options with fewer system calls,
// which count when every connection lives for one handshake (docs/benchmarks.md,
// "Loopback"). The listener went through prepare, and Linux copies its TCP_NODELAY to
// the connections it accepts; accept_native made it non-blocking where accept4 can.
// SocketTest.AcceptedSocketsAreNonBlockingWithoutNagle checks both on the machine.
bool prepare_accepted(NativeSocket s) {
  if (!kAcceptIsNonBlocking && !set_nonblocking(s)) return false;
  if (!forbid_sigpipe(s)) return false;
#ifndef __linux__
  int one = 1;
  ::setsockopt(to_sys(s), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one),
               sizeof one);
#endif
  return true;
}

Status system_status(const std::string& what, int code) {
  return Status(StatusCode::kSystem, what + ": " + system_error_text(code));
}

// parse_address fills |storage| from numeric host text and a port.
bool parse_address(const std::string& host, std::uint16_t port, sockaddr_storage* storage,
                   SockLen* length) {
  std::memset(storage, 0, sizeof *storage);
  auto* v4 = reinterpret_cast<sockaddr_in*>(storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *length = static_cast<SockLen>(sizeof(sockaddr_in));
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(storage);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *length = static_cast<SockLen>(sizeof(sockaddr_in6));
    return true;
  }
  return false;
}

std::string address_text(const sockaddr_storage& storage) {
  char text[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    std::string out(text);  // append, not "literal" + string: GCC 12 -O3 -Wrestrict false positive
    return out.append(":").append(std::to_string(ntohs(v4->sin_port)));
  }
  if (storage.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    std::string out("[");
    return out.append(text).append("]:").append(std::to_string(ntohs(v6->sin6_port)));
  }
  return "unknown";
}

IpAddress ip_address(const sockaddr_storage& storage) {
  IpAddress out;
  if (storage.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    out.bytes[10] = 0xFF;
    out.bytes[11] = 0xFF;
    std::memcpy(out.bytes.data() + 12, &v4->sin_addr, 4);
  } else if (storage.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    std::memcpy(out.bytes.data(), &v6->sin6_addr, 16);
  }
  return out;
}

}  // namespace

bool IpAddress::is_v4() const {
  constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
}

int last_system_error() {
#ifdef _WIN32
  return ::WSAGetLastError();
#else
  return errno;
#endif
}

std::string system_error_text(int code) {
#ifdef _WIN32
  char buffer[256] = {};
  const DWORD n =
      ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                       static_cast<DWORD>(code), 0, buffer, sizeof buffer, nullptr);
  std::string text(buffer, n);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '.'))
    text.pop_back();
  return text.empty() ? "Winsock error " + std::to_string(code) : text;
#else
  return std::strerror(code);
#endif
}

Status network_startup() {
#ifdef _WIN32
  // WSAStartup once; WSACleanup runs at process exit, after every Socket is gone.
  static int result = [] {
    WSADATA data;
    const int rc = ::WSAStartup(MAKEWORD(2, 2), &data);
    if (rc == 0) std::atexit([] { ::WSACleanup(); });
    return rc;
  }();
  if (result != 0) return system_status("WSAStartup", result);
#endif
  return Status();
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    handle_ = other.release();
  }
  return *this;
}

NativeSocket Socket::release() {
  const NativeSocket handle = handle_;
  handle_ = kInvalidSocket;
  return handle;
}

void Socket::close() {
  if (handle_ != kInvalidSocket) close_native(release());
}

Status connect_tcp(Socket* out, const std::string& host, std::uint16_t port, Deadline deadline) {
  if (Status s = network_startup(); !s.ok()) return s;
  if (port == 0) return Status(StatusCode::kInvalidArgument, "port 0 cannot be connected to");
  sockaddr_storage address;
  SockLen length = 0;
  if (!parse_address(host, port, &address, &length)) {
    return Status(StatusCode::kAddress, "'" + host + "' is not a numeric IPv4 or IPv6 address");
  }
  Socket socket(open_socket(address.ss_family));
  if (!socket.valid()) return system_status("socket", last_system_error());
  if (!prepare(socket.native())) return system_status("socket options", last_system_error());

  const std::string target =
      (address.ss_family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (::connect(to_sys(socket.native()), reinterpret_cast<const sockaddr*>(&address), length) !=
      0) {
    const int code = last_system_error();
    if (!would_block(code) && !is_interrupted(code)) {
      return Status(StatusCode::kConnectFailed,
                    "connect to " + target + " failed: " + system_error_text(code));
    }
    unsigned ready = 0;
    if (Status s = wait_ready(socket, kWaitWritable, deadline, &ready); !s.ok()) {
      if (s.code() == StatusCode::kTimeout)
        return Status(StatusCode::kTimeout, "connect to " + target + " timed out");
      return s;
    }
    int error = 0;
    SockLen error_length = sizeof error;
    if (::getsockopt(to_sys(socket.native()), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error),
                     &error_length) != 0) {
      error = last_system_error();
    }
    if (error != 0) {
      return Status(StatusCode::kConnectFailed,
                    "connect to " + target + " failed: " + system_error_text(error));
    }
  }
  *out = std::move(socket);
  return Status();
}

bool reuse_port_supported() {
#ifdef SO_REUSEPORT
  return true;
#else
  return false;
#endif
}

Status listen_tcp(Socket* out, const std::string& host, std::uint16_t port, int backlog,
                  bool reuse_port) {
  if (reuse_port && !reuse_port_supported()) {
    return Status(StatusCode::kInvalidArgument, "SO_REUSEPORT is not available on this platform");
  }
  if (Status s = network_startup(); !s.ok()) return s;
  sockaddr_storage address;
  SockLen length = 0;
  if (!parse_address(host, port, &address, &length)) {
    return Status(StatusCode::kAddress, "'" + host + "' is not a numeric IPv4 or IPv6 address");
  }
  Socket socket(open_socket(address.ss_family));
  if (!socket.valid()) return system_status("socket", last_system_error());
  int one = 1;
#ifdef _WIN32
  // SO_REUSEADDR on Windows lets another process steal the port; exclusive use instead.
  ::setsockopt(to_sys(socket.native()), SOL_SOCKET, SO_EXCLUSIVEADDRUSE,
               reinterpret_cast<const char*>(&one), sizeof one);
#else
  ::setsockopt(socket.native(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
  if (reuse_port &&
      ::setsockopt(socket.native(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return system_status("SO_REUSEPORT", last_system_error());
  }
#endif
#endif
  if (!prepare(socket.native())) return system_status("socket options", last_system_error());
  if (::bind(to_sys(socket.native()), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    return system_status("bind " + host + ":" + std::to_string(port), last_system_error());
  }
  if (::listen(to_sys(socket.native()), backlog) != 0)
    return system_status("listen", last_system_error());
  *out = std::move(socket);
  return Status();
}

Status local_port(const Socket& socket, std::uint16_t* port) {
  sockaddr_storage address;
  SockLen length = sizeof address;
  if (::getsockname(to_sys(socket.native()), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return system_status("getsockname", last_system_error());
  }
  if (address.ss_family == AF_INET) {
    *port = ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  } else {
    *port = ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return Status();
}

Status accept_tcp(const Socket& listener, Socket* out, std::string* peer, IpAddress* ip) {
  for (;;) {
    sockaddr_storage address;
    SockLen length = sizeof address;
    Socket socket(accept_native(listener.native(), reinterpret_cast<sockaddr*>(&address), &length));
    if (!socket.valid()) {
      const int code = last_system_error();
      if (is_interrupted(code)) continue;
      if (would_block(code)) return Status(StatusCode::kTimeout, "");
      // The connection at the head of the queue died before we took it: it is gone,
      // the listener is fine, and the next one may be waiting behind it.
      if (died_in_queue(code)) continue;
      return system_status("accept", code);
    }
    if (!prepare_accepted(socket.native())) continue;  // the peer is gone already; take the next
    *peer = address_text(address);
    if (ip != nullptr) *ip = ip_address(address);
    *out = std::move(socket);
    return Status();
  }
}

bool forbid_sigpipe(NativeSocket socket) {
#if !defined(_WIN32) && defined(SO_NOSIGPIPE)
  int one = 1;
  return ::setsockopt(socket, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) == 0;
#else
  (void)socket;
  return true;
#endif
}

Status adopt_stream_socket(NativeSocket handle, Socket* out) {
  if (Status s = network_startup(); !s.ok()) return s;
  if (handle == kInvalidSocket)
    return Status(StatusCode::kInvalidArgument, "not a socket: invalid handle");
  // Checked before anything changes, so a refused handle is returned as it came.
  int type = 0;
  SockLen length = sizeof type;
  if (::getsockopt(to_sys(handle), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &length) !=
      0) {
    return Status(StatusCode::kInvalidArgument,
                  "not a socket: " + system_error_text(last_system_error()));
  }
  if (type != SOCK_STREAM) {
    return Status(StatusCode::kInvalidArgument, "not a stream socket (SO_TYPE)");
  }
  // What adopting changes (docs/c-api.md, "Adopting a socket"): non-blocking mode,
  // SO_NOSIGPIPE where the system has it, TCP_NODELAY on TCP. A failure puts the
  // first back, so a refused socket is the caller's as it came: SO_NOSIGPIPE is the
  // only step after it that can fail, and a failed setsockopt changes nothing, and
  // TCP_NODELAY is set last and only at best (its failure is ignored; AF_UNIX has none).
#ifdef _WIN32
  // Winsock cannot read a socket's blocking mode back, but nothing after FIONBIO can
  // fail here (no SO_NOSIGPIPE on Windows), so there is nothing to restore.
  if (!set_nonblocking(handle)) return system_status("socket options", last_system_error());
#else
  const int flags = ::fcntl(handle, F_GETFL, 0);
  if (flags < 0 || ::fcntl(handle, F_SETFL, flags | O_NONBLOCK) != 0)
    return system_status("socket options", last_system_error());
  if (!forbid_sigpipe(handle)) {
    const int code = last_system_error();
    (void)::fcntl(handle, F_SETFL, flags);  // as the caller had it
    return system_status("SO_NOSIGPIPE", code);
  }
#endif
  int one = 1;
  ::setsockopt(to_sys(handle), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one),
               sizeof one);
  *out = Socket(handle);
  return Status();
}

IoResult send_some(const Socket& socket, ByteSpan data) {
  for (;;) {
#ifdef _WIN32
    const int chunk = static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30));
    const int n = ::send(to_sys(socket.native()), reinterpret_cast<const char*>(data.data()), chunk,
                         kSendFlags);
#else
    const ssize_t n = ::send(socket.native(), data.data(), data.size(), kSendFlags);
#endif
    if (n >= 0) return {IoState::kDone, static_cast<std::size_t>(n), 0};
    const int code = last_system_error();
    if (is_interrupted(code)) continue;
    if (would_block(code)) return {IoState::kWouldBlock, 0, code};
    if (is_reset(code)) return {IoState::kReset, 0, code};
    return {IoState::kError, 0, code};
  }
}

IoResult receive_some(const Socket& socket, MutableByteSpan out) {
  for (;;) {
#ifdef _WIN32
    const int chunk = static_cast<int>(std::min<std::size_t>(out.size(), 1 << 30));
    const int n = ::recv(to_sys(socket.native()), reinterpret_cast<char*>(out.data()), chunk, 0);
#else
    const ssize_t n = ::recv(socket.native(), out.data(), out.size(), 0);
#endif
    if (n > 0) return {IoState::kDone, static_cast<std::size_t>(n), 0};
    if (n == 0) return {IoState::kEndOfStream, 0, 0};
    const int code = last_system_error();
    if (is_interrupted(code)) continue;
    if (would_block(code)) return {IoState::kWouldBlock, 0, code};
    if (is_reset(code)) return {IoState::kReset, 0, code};
    return {IoState::kError, 0, code};
  }
}

void shutdown_write(const Socket& socket) {
#ifdef _WIN32
  ::shutdown(to_sys(socket.native()), SD_SEND);
#else
  ::shutdown(socket.native(), SHUT_WR);
#endif
}

Status wait_ready(const Socket& socket, unsigned events, Deadline deadline, unsigned* ready) {
  pollfd fd{};
  fd.fd = to_sys(socket.native());
  fd.events = static_cast<short>(((events & kWaitReadable) != 0 ? POLLIN : 0) |
                                 ((events & kWaitWritable) != 0 ? POLLOUT : 0));
  for (;;) {
    // Recomputed on every pass, so EINTR never extends the wait past the deadline.
    const int timeout = remaining_ms(deadline);
    fd.revents = 0;
    const int n = poll_native(&fd, 1, timeout);
    if (n < 0) {
      const int code = last_system_error();
      if (is_interrupted(code)) continue;
      return system_status("poll", code);
    }
    if (n == 0) {
      if (Clock::now() >= deadline) return Status(StatusCode::kTimeout, "timed out");
      continue;  // woke early (rounding): wait for the rest
    }
    unsigned got = 0;
    if ((fd.revents & (POLLIN | POLLHUP | POLLERR)) != 0) got |= kWaitReadable;
    if ((fd.revents & (POLLOUT | POLLHUP | POLLERR)) != 0) got |= kWaitWritable;
    if ((fd.revents & POLLNVAL) != 0) return Status(StatusCode::kSystem, "poll: invalid socket");
    *ready = got;
    return Status();
  }
}

}  // namespace p2pnet::net
