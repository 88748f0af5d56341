// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// socket.h: one portable TCP layer over POSIX sockets and Winsock. Every socket it
// makes is non-blocking; "blocking" behaviour is built above it by waiting with
// poll/WSAPoll for at most the time left until a deadline, so no call here ever waits
// unbounded. Every socket it creates or accepts is also not inherited by child
// programs (close-on-exec; Winsock: not inheritable), and no write to one raises
// SIGPIPE. The differences between the two systems stay inside socket.cc:
//   Winsock: WSAStartup/WSACleanup, SOCKET, WSASocketW(WSA_FLAG_NO_HANDLE_INHERIT),
//            closesocket, WSAPoll, WSAGetLastError and WSAEWOULDBLOCK,
//            ioctlsocket(FIONBIO).
//   POSIX:   int descriptors, SOCK_CLOEXEC and accept4 (FD_CLOEXEC where missing),
//            poll, fcntl(O_NONBLOCK), EINTR retried, EAGAIN, and MSG_NOSIGNAL on every
//            send plus SO_NOSIGPIPE on every socket, wherever each exists, so a reset
//            peer gives EPIPE instead of killing the process with SIGPIPE.
// Addresses are numeric IPv4 or IPv6 text only: name resolution can block without a
// deadline, so it is the caller's business.
#ifndef P2PNET_SOCKET_SOCKET_H_
#define P2PNET_SOCKET_SOCKET_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "p2pnet/byte_span.h"
#include "p2pnet/socket/clock.h"
#include "p2pnet/socket/status.h"

namespace p2pnet::net {

// NativeSocket is the system handle: a SOCKET (an unsigned pointer-sized integer) on
// Windows, a file descriptor elsewhere. Kept as an integer here so this header does
// not drag <winsock2.h> into every includer.
#ifdef _WIN32
using NativeSocket = std::uintptr_t;
inline constexpr NativeSocket kInvalidSocket = ~std::uintptr_t{0};
#else
using NativeSocket = int;
inline constexpr NativeSocket kInvalidSocket = -1;
#endif

// network_startup initialises the socket library once per process (WSAStartup on
// Windows; nothing on POSIX). Every function below calls it, so callers need not;
// it is public for programs that want to report the failure early.
Status network_startup();

// Socket owns one handle and closes it on destruction. Move-only.
class Socket {
 public:
  Socket() = default;
  explicit Socket(NativeSocket handle) : handle_(handle) {}
  ~Socket() { close(); }
  Socket(Socket&& other) noexcept : handle_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool valid() const { return handle_ != kInvalidSocket; }
  NativeSocket native() const { return handle_; }
  NativeSocket release();
  void close();

 private:
  NativeSocket handle_ = kInvalidSocket;
};

// connect_tcp connects to host:port, waiting at most until |deadline|. On success
// *out holds a connected non-blocking socket. Errors: kAddress, kConnectFailed
// (refused, unreachable), kTimeout, kSystem.
Status connect_tcp(Socket* out, const std::string& host, std::uint16_t port, Deadline deadline);

// listen_tcp binds host:port (port 0 picks a free one; see local_port) with
// SO_REUSEADDR (SO_EXCLUSIVEADDRUSE on Windows) and listens. The socket is
// non-blocking. With |reuse_port|, SO_REUSEPORT too: several listeners of one user
// share the port and the kernel spreads new connections among them. Errors:
// kAddress, kSystem (e.g. address in use), kInvalidArgument (|reuse_port| where the
// platform has no SO_REUSEPORT, e.g. Windows).
Status listen_tcp(Socket* out, const std::string& host, std::uint16_t port, int backlog,
                  bool reuse_port = false);

// reuse_port_supported: whether listen_tcp can take reuse_port on this platform.
bool reuse_port_supported();

// local_port reports the port a bound socket got. Errors: kSystem.
Status local_port(const Socket& socket, std::uint16_t* port);

// IpAddress is a peer's address without the port, one 16-byte form for both families:
// an IPv4 address is held as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), which is also
// how a dual-stack IPv6 listener reports IPv4 peers, so both compare equal.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool is_v4() const;  // an IPv4(-mapped) address
  bool operator==(const IpAddress&) const = default;
};

// accept_tcp takes one pending connection from a listening socket without waiting.
// On success *out is the new non-blocking socket, *peer its "address:port" text and,
// if |address| is not null, *address its IP address. Returns kTimeout (with an empty
// message) when none is pending; kSystem otherwise.
Status accept_tcp(const Socket& listener, Socket* out, std::string* peer,
                  IpAddress* address = nullptr);

// adopt_stream_socket takes over a socket the caller created (a SOCKET on Windows, a
// descriptor elsewhere): it must be a stream socket (SO_TYPE is SOCK_STREAM), either
// connected or listening. It is made non-blocking, like every socket here, and gets
// SO_NOSIGPIPE where the system has it (macOS, the BSDs) and TCP_NODELAY when
// it is TCP; close-on-exec and every other setting stay as the caller left them. On
// success *out owns it. Errors, with the handle still the caller's and as it came
// (a failure after the non-blocking flag was set puts the flag back): kInvalidArgument
// (not a socket, not a stream socket), kSystem (an option could not be set).
Status adopt_stream_socket(NativeSocket handle, Socket* out);

// What one send or receive did.
enum class IoState : std::uint8_t {
  kDone,         // |bytes| moved (may be fewer than asked: a partial read or write)
  kWouldBlock,   // nothing can move now; wait for readiness
  kEndOfStream,  // receive only: the peer shut down its side (TCP FIN)
  kReset,        // the peer reset the connection, or a write after its close (EPIPE)
  kError,        // another failure; system_error has the code
};

struct IoResult {
  IoState state = IoState::kDone;
  std::size_t bytes = 0;
  int system_error = 0;
};

// send_some writes as much of |data| as the socket takes now. Never raises SIGPIPE on a
// socket this layer made, or on one passed to forbid_sigpipe first.
IoResult send_some(const Socket& socket, ByteSpan data);
// forbid_sigpipe sets SO_NOSIGPIPE on |socket| where the system has that option (macOS,
// the BSDs), so that no write on it raises SIGPIPE, whoever makes the write. Every
// socket this layer makes has it already; call it for a socket made elsewhere (the
// libuv adapter's) before send_some writes to it. Without the option it does nothing
// and returns true: send_some passes MSG_NOSIGNAL there (Linux), and Windows has no
// SIGPIPE. False: setting the option failed.
[[nodiscard]] bool forbid_sigpipe(NativeSocket socket);
// receive_some reads what is available now into |out| (which must not be empty).
IoResult receive_some(const Socket& socket, MutableByteSpan out);

// shutdown_write sends FIN: the peer reads end of stream after our last byte.
void shutdown_write(const Socket& socket);

inline constexpr unsigned kWaitReadable = 1;
inline constexpr unsigned kWaitWritable = 2;

// wait_ready waits until |socket| is ready for any of |events| or |deadline| passes.
// On success *ready holds the events that are ready (hang-up and errors count as
// readable and writable, so the next I/O call reports them). Errors: kTimeout, kSystem.
Status wait_ready(const Socket& socket, unsigned events, Deadline deadline, unsigned* ready);

// system_error_text describes a system error code (errno or WSAGetLastError()).
std::string system_error_text(int code);
// last_system_error returns errno, or WSAGetLastError() on Windows.
int last_system_error();

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_SOCKET_H_
