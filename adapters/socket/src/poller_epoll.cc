// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// poller_epoll.cc: the Linux poller. Level-triggered epoll; the token is stored in
// epoll_data so a ready event maps back to its connection without a lookup.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "p2pnet/socket/poller.h"

namespace p2pnet::net {
namespace {

std::uint32_t epoll_mask(unsigned events) {
  std::uint32_t mask = 0;
  if ((events & kWaitReadable) != 0) mask |= EPOLLIN | EPOLLRDHUP;
  if ((events & kWaitWritable) != 0) mask |= EPOLLOUT;
  return mask;  // EPOLLERR and EPOLLHUP are always reported
}

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(int fd) : fd_(fd) {}
  ~EpollPoller() override { ::close(fd_); }

  Status add(NativeSocket socket, std::uint64_t token, unsigned events) override {
    return control(EPOLL_CTL_ADD, socket, token, events);
  }
  Status modify(NativeSocket socket, std::uint64_t token, unsigned events) override {
    return control(EPOLL_CTL_MOD, socket, token, events);
  }
  void remove(NativeSocket socket) override { ::epoll_ctl(fd_, EPOLL_CTL_DEL, socket, nullptr); }

  Status wait(std::vector<ReadyEvent>* ready, int timeout_ms) override {
    ready->clear();
    const int n = ::epoll_wait(fd_, events_, kMaxEvents, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) return Status();
      return Status(StatusCode::kSystem, "epoll_wait: " + system_error_text(errno));
    }
    for (int i = 0; i < n; ++i) {
      const std::uint32_t got = events_[i].events;
      ReadyEvent event;
      event.token = events_[i].data.u64;
      event.readable = (got & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
      event.writable = (got & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
      ready->push_back(event);
    }
    return Status();
  }

 private:
  Status control(int op, NativeSocket socket, std::uint64_t token, unsigned events) {
    epoll_event event{};
    event.events = epoll_mask(events);
    event.data.u64 = token;
    if (::epoll_ctl(fd_, op, socket, &event) != 0) {
      return Status(StatusCode::kSystem, "epoll_ctl: " + system_error_text(errno));
    }
    return Status();
  }

  static constexpr int kMaxEvents = 256;
  int fd_;
  epoll_event events_[kMaxEvents] = {};
};

}  // namespace

Status Poller::create(std::unique_ptr<Poller>* out) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return Status(StatusCode::kSystem, "epoll_create1: " + system_error_text(errno));
  *out = std::make_unique<EpollPoller>(fd);
  return Status();
}

}  // namespace p2pnet::net
