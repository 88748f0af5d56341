// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// feed.cc: the one feed loop (feed.h).
#include "p2pnet/stream/feed.h"

#include <optional>

namespace p2pnet::stream {

std::size_t deliver_events(Connection& engine, FeedSink& sink) {
  std::size_t count = 0;
  while (const std::optional<Event> event = engine.poll_event()) {
    ++count;
    switch (event->type) {
      case EventType::kHandshakeComplete: sink.on_handshake_complete(); break;
      case EventType::kMessage: sink.on_message(event->message); break;
      case EventType::kPeerClosed:
        if (!sink.on_peer_closed()) answer_close_notify(engine);
        break;
    }
  }
  return count;
}

FeedResult feed(Connection& engine, ByteSpan input, Instant now, FeedSink& sink) {
  FeedResult result;
  while (result.consumed < input.size()) {
    if (!sink.wants_input()) {
      result.stop = FeedStop::kPaused;
      return result;
    }
    const ReadResult step = engine.handle_bytes(input.subspan(result.consumed), now);
    result.consumed += step.consumed;
    const std::size_t events = deliver_events(engine, sink);
    if (step.error != Error::kNone) {
      result.stop = FeedStop::kFailed;
      return result;
    }
    // The engine stops short only when an event waits; without one it would never
    // advance.
    if (step.consumed == 0 && events == 0) {
      result.stop = FeedStop::kStalled;
      return result;
    }
  }
  return result;
}

Error feed_end(Connection& engine, Instant now, FeedSink& sink) {
  const ReadResult result = engine.handle_bytes({}, now);
  deliver_events(engine, sink);
  return result.error;
}

void answer_close_notify(Connection& engine) {
  // close() fails only when close_notify went out already or the engine failed;
  // either way there is nothing left to answer.
  if (!engine.sent_close()) (void)engine.close();
}

}  // namespace p2pnet::stream
