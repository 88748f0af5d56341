// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "raw_peer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

namespace p2pnet::loops {
namespace {

// Long enough for any loaded machine; only a broken test waits this long.
constexpr int kSendWaitMs = 5'000;
// One read takes at most this much: enough for any handshake message, little enough
// that a peer being flooded reads only a small part of the flood.
constexpr std::size_t kReceiveChunk = 16384;

#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;  // the test's own peer must not raise SIGPIPE either
#else
constexpr int kSendFlags = 0;
#endif

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

int new_socket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
#ifdef SO_NOSIGPIPE
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
  }
#endif
  return fd;
}

}  // namespace

// --- RawSocket ----------------------------------------------------------------------

RawSocket::~RawSocket() { close(); }

RawSocket::RawSocket(RawSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), received_(std::move(other.received_)) {}

RawSocket& RawSocket::operator=(RawSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    received_ = std::move(other.received_);
  }
  return *this;
}

void RawSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

RawSocket RawSocket::connect_to(std::uint16_t port, int receive_buffer) {
  RawSocket socket(new_socket());
  if (!socket.valid()) return socket;
  if (receive_buffer > 0) {
    ::setsockopt(socket.fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  const sockaddr_in addr = loopback(port);
  // Blocking connect: on loopback it returns once the kernel's accept queue holds the
  // connection, whether or not the listener's loop has run.
  if (::connect(socket.fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      !set_nonblocking(socket.fd_)) {
    socket.close();
  }
  return socket;
}

bool RawSocket::send_all(ByteSpan data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), kSendFlags);
    if (n > 0) {
      data = data.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, kSendWaitMs) <= 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

void RawSocket::wait_for_input(Duration limit) const {
  pollfd p{fd_, POLLIN, 0};
  ::poll(&p, 1, static_cast<int>(limit.count()));
}

void RawSocket::receive_some() {
  std::array<std::uint8_t, kReceiveChunk> buffer;
  ssize_t n;
  do {
    n = ::recv(fd_, buffer.data(), buffer.size(), 0);
  } while (n < 0 && errno == EINTR);
  // Nothing now, the end of stream or an error: the test looks at the bytes only.
  if (n > 0) received_.insert(received_.end(), buffer.begin(), buffer.begin() + n);
}

void RawSocket::reset_after_fin() {
  ::shutdown(fd_, SHUT_WR);
  const linger abortive{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  close();
}

// --- RawListener --------------------------------------------------------------------

RawListener::RawListener() {
  fd_ = new_socket();
  if (fd_ < 0) return;
  sockaddr_in addr = loopback(0);
  socklen_t length = sizeof addr;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd_, 8) != 0 || !set_nonblocking(fd_) ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  port_ = ntohs(addr.sin_port);
}

RawListener::~RawListener() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<RawSocket> RawListener::try_accept() {
  const int fd = ::accept(fd_, nullptr, nullptr);
  if (fd < 0) return std::nullopt;
#ifdef SO_NOSIGPIPE
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  if (!set_nonblocking(fd)) {
    ::close(fd);
    return std::nullopt;
  }
  return RawSocket(fd);
}

// --- RawHandshake -------------------------------------------------------------------

bool RawHandshake::flush(RawSocket& socket) {
  std::array<std::uint8_t, 4096> out;
  while (const std::size_t n = engine_.poll_transmit(out)) {
    if (!socket.send_all(ByteSpan(out.data(), n))) return false;
  }
  return true;
}

void RawHandshake::take_input(RawSocket& socket) {
  socket.receive_some();
  for (;;) {
    const ByteSpan rest = ByteSpan(socket.received()).subspan(consumed_);
    if (rest.empty() || engine_.state() == ConnectionState::kFailed) return;
    const ReadResult result = engine_.handle_bytes(rest, Instant{0});
    consumed_ += result.consumed;
    bool events = false;
    while (engine_.poll_event()) events = true;
    if (result.consumed == 0 && !events) return;
  }
}

}  // namespace p2pnet::loops
