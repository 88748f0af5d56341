// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// stream_driver.h: the loop-independent half of a loop adapter. The libuv and Asio
// adapters differ in how they read, write, wait and close, but once bytes (or the
// stream's end, or a transport error) have arrived they drive the engine in exactly
// the same way: offer held-back input while the write backlog is under its bound,
// hand every event to the embedder's callbacks, report a failure once, turn a broken
// stream into that one on_error followed by a close, and run pump() without nesting.
// That logic lives here once, so the adapters cannot drift apart. It includes no
// socket, libuv or Asio header.
//
// StreamDriver<Adapter> is a base class (CRTP): the adapter derives from it privately,
// declares it a friend, and provides
//   Connection engine_;                  the engine it drives
//   callbacks_                           on_established, on_message, on_peer_closed,
//                                        on_error, each taking Adapter& first
//   options_.max_write_backlog           the bound on bytes waiting to be written
//   Instant now() const;                 the loop's clock
//   std::size_t write_backlog() const;   engine output not yet written
//   Error close();  void abort();        the adapter's public calls
//   void close_transport();              closes the socket and sets closing_
//   void pump_once();                    one pass over engine and socket (see pump)
// A template rather than virtual calls keeps the callbacks typed on the adapter, so
// the adapters' public classes, callbacks and methods stay as they were for users.
//
// Everything runs on the loop's thread; nothing here is thread-safe.
#ifndef P2PNET_STREAM_STREAM_DRIVER_H_
#define P2PNET_STREAM_STREAM_DRIVER_H_

#include <cstddef>
#include <optional>

#include "p2pnet/connection.h"

namespace p2pnet::stream {

template <typename Adapter>
class StreamDriver {
 protected:
  // pump runs after any change (a loop completion, send(), close()). send() or close()
  // called from a callback inside pump_once must not nest a second pass; the outer
  // pass runs again instead.
  void pump() {
    if (pumping_) {
      repump_ = true;
      return;
    }
    pumping_ = true;
    do {
      repump_ = false;
      self().pump_once();
    } while (repump_ && !closing_);
    pumping_ = false;
  }

  // deliver_events hands every pending event to the callbacks and returns how many it
  // delivered. It stops as soon as a callback closes the connection.
  std::size_t deliver_events() {
    Adapter& a = self();
    std::size_t count = 0;
    while (!closing_) {
      const std::optional<Event> event = a.engine_.poll_event();
      if (!event) break;
      ++count;
      switch (event->type) {
        case EventType::kHandshakeComplete:
          if (a.callbacks_.on_established) a.callbacks_.on_established(a);
          break;
        case EventType::kMessage:
          if (a.callbacks_.on_message) a.callbacks_.on_message(a, event->message);
          break;
        case EventType::kPeerClosed:
          if (a.callbacks_.on_peer_closed) {
            a.callbacks_.on_peer_closed(a);
          } else if (!a.engine_.sent_close()) {
            (void)a.close();
          }
          break;
      }
    }
    return count;
  }

  // feed_unread offers unread_ to the engine while the backlog allows.
  void feed_unread() {
    Adapter& a = self();
    // A failed engine has said its last word; what the peer still sends is discarded
    // while we linger for its EOF.
    if (a.engine_.state() == ConnectionState::kFailed) unread_ = {};
    // One read can hold thousands of small messages, each of which the embedder may
    // answer; stopping between messages once the backlog is over its bound is what
    // keeps our output bounded. The rest waits in the read buffer and no new read
    // starts. Only loop completions call this, never send() or close(), so an
    // embedder's call never runs its own callbacks re-entrantly.
    while (!closing_ && !unread_.empty() &&
           a.write_backlog() <= a.options_.max_write_backlog) {
      const ReadResult result = a.engine_.handle_bytes(unread_, a.now());
      const std::size_t events = deliver_events();
      if (result.error != Error::kNone) {
        unread_ = {};
        return;
      }
      // The engine stops short only when an event waits; without one it would never
      // advance. That would be an engine bug: give up rather than spin.
      if (result.consumed == 0 && events == 0) {
        a.abort();
        return;
      }
      unread_ = unread_.subspan(result.consumed);
    }
  }

  // handle_eof records the peer's end of stream and shows it to the engine, which
  // decides whether the end is clean (after close_notify) or not.
  void handle_eof() {
    Adapter& a = self();
    eof_ = true;
    if (a.engine_.state() != ConnectionState::kFailed) {
      (void)a.engine_.handle_bytes({}, a.now());
      deliver_events();
    }
  }

  // report_error calls on_error the first time only: the embedder hears of at most
  // one failure. |status| is the adapter's own transport status type.
  template <typename Status>
  void report_error(const Status& status) {
    Adapter& a = self();
    if (error_reported_) return;
    error_reported_ = true;
    if (a.callbacks_.on_error) a.callbacks_.on_error(a, a.engine_.error(), status);
  }

  // fail_transport: the socket failed. Report once, then close.
  template <typename Status>
  void fail_transport(const Status& status) {
    Adapter& a = self();
    if (closing_) return;
    // Show the engine the stream's end, so it names the failure in protocol terms.
    if (!eof_ && a.engine_.state() != ConnectionState::kFailed) {
      (void)a.engine_.handle_bytes({}, a.now());
    }
    eof_ = true;
    report_error(status);
    a.close_transport();
  }

  // refused is what send() and close() return once the transport is closed.
  Error refused() const {
    const Error error = self().engine_.error();
    return error != Error::kNone ? error : Error::kWrongState;
  }

  ByteSpan unread_;             // received bytes the engine has not consumed yet
  bool eof_ = false;            // the peer's stream ended (or broke)
  bool error_reported_ = false;  // on_error was called (or is no longer owed)
  bool closing_ = false;        // the transport is closing: no more I/O, only on_closed

 private:
  bool pumping_ = false;  // inside pump(): a nested call only asks for another pass
  bool repump_ = false;

  Adapter& self() { return static_cast<Adapter&>(*this); }
  const Adapter& self() const { return static_cast<const Adapter&>(*this); }
};

}  // namespace p2pnet::stream

#endif  // P2PNET_STREAM_STREAM_DRIVER_H_
