// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// poller_poll.cc: the portable poller, poll() on POSIX and WSAPoll() on Windows. It
// keeps a dense pollfd array (removal swaps in the last entry) and an index from
// socket to slot, so add/modify/remove are O(1) and a wait is O(registered).
#include <unordered_map>

#ifdef _WIN32
#include <winsock2.h>
#else
#include <poll.h>

#include <cerrno>
#endif

#include "p2pnet/socket/poller.h"

namespace p2pnet::net {
namespace {

short poll_mask(unsigned events) {
  return static_cast<short>(((events & kWaitReadable) != 0 ? POLLIN : 0) |
                            ((events & kWaitWritable) != 0 ? POLLOUT : 0));
}

class PollPoller final : public Poller {
 public:
  Status add(NativeSocket socket, std::uint64_t token, unsigned events) override {
    if (slots_.count(socket) != 0)
      return Status(StatusCode::kSystem, "poll: socket registered twice");
    pollfd fd{};
#ifdef _WIN32
    fd.fd = static_cast<SOCKET>(socket);
#else
    fd.fd = socket;
#endif
    fd.events = poll_mask(events);
    slots_[socket] = fds_.size();
    fds_.push_back(fd);
    tokens_.push_back(token);
    return Status();
  }

  Status modify(NativeSocket socket, std::uint64_t token, unsigned events) override {
    const auto it = slots_.find(socket);
    if (it == slots_.end()) return Status(StatusCode::kSystem, "poll: socket not registered");
    fds_[it->second].events = poll_mask(events);
    tokens_[it->second] = token;
    return Status();
  }

  void remove(NativeSocket socket) override {
    const auto it = slots_.find(socket);
    if (it == slots_.end()) return;
    const std::size_t slot = it->second;
    slots_.erase(it);
    const std::size_t last = fds_.size() - 1;
    if (slot != last) {
      fds_[slot] = fds_[last];
      tokens_[slot] = tokens_[last];
      slots_[static_cast<NativeSocket>(fds_[slot].fd)] = slot;
    }
    fds_.pop_back();
    tokens_.pop_back();
  }

  Status wait(std::vector<ReadyEvent>* ready, int timeout_ms) override {
    ready->clear();
#ifdef _WIN32
    // WSAPoll with no sockets is an error on Windows: sleep instead.
    if (fds_.empty()) {
      ::Sleep(static_cast<DWORD>(timeout_ms));
      return Status();
    }
    const int n = ::WSAPoll(fds_.data(), static_cast<ULONG>(fds_.size()), timeout_ms);
    if (n < 0)
      return Status(StatusCode::kSystem, "WSAPoll: " + system_error_text(last_system_error()));
#else
    const int n = ::poll(fds_.data(), static_cast<nfds_t>(fds_.size()), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) return Status();
      return Status(StatusCode::kSystem, "poll: " + system_error_text(errno));
    }
#endif
    for (std::size_t i = 0; i < fds_.size() && ready->size() < static_cast<std::size_t>(n); ++i) {
      const short got = fds_[i].revents;
      if (got == 0) continue;
      ReadyEvent event;
      event.token = tokens_[i];
      event.readable = (got & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
      event.writable = (got & (POLLOUT | POLLHUP | POLLERR)) != 0;
      ready->push_back(event);
    }
    return Status();
  }

 private:
  std::vector<pollfd> fds_;
  std::vector<std::uint64_t> tokens_;
  std::unordered_map<NativeSocket, std::size_t> slots_;
};

}  // namespace

Status Poller::create(std::unique_ptr<Poller>* out) {
  *out = std::make_unique<PollPoller>();
  return Status();
}

}  // namespace p2pnet::net
