// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// poller.h: readiness for many sockets at once, for the non-blocking server. Two
// implementations behind one interface, chosen at build time: epoll on Linux
// (poller_epoll.cc, O(ready) per wait) and poll/WSAPoll everywhere else, Windows
// included (poller_poll.cc, O(registered) per wait). Level-triggered in both: a
// socket stays reported while it is ready, so the server may stop early in a pass
// and pick up the rest on the next one.
#ifndef P2PNET_SOCKET_POLLER_H_
#define P2PNET_SOCKET_POLLER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "p2pnet/socket/socket.h"

namespace p2pnet::net {

struct ReadyEvent {
  std::uint64_t token = 0;  // what the caller registered the socket with
  bool readable = false;    // includes hang-up and error: the next read reports them
  bool writable = false;
};

class Poller {
 public:
  virtual ~Poller() = default;
  // create makes the platform's poller. Errors: kSystem.
  static Status create(std::unique_ptr<Poller>* out);

  // add registers |socket| for |events| (kWaitReadable | kWaitWritable; 0 is allowed
  // and reports only errors). Errors: kSystem.
  virtual Status add(NativeSocket socket, std::uint64_t token, unsigned events) = 0;
  virtual Status modify(NativeSocket socket, std::uint64_t token, unsigned events) = 0;
  // remove unregisters |socket|; call it before closing the socket.
  virtual void remove(NativeSocket socket) = 0;
  // wait fills *ready with the sockets that are ready, waiting at most |timeout_ms|.
  // An interrupted wait (a signal) returns success with no events, so the caller can
  // look at its stop flag. Errors: kSystem.
  virtual Status wait(std::vector<ReadyEvent>* ready, int timeout_ms) = 0;
};

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_POLLER_H_
