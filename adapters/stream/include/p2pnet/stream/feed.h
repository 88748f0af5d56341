// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// feed.h: offering received bytes to the engine. Every driver in adapters/ does it the
// same way, so it is written once, here: the loop adapters' Driver (driver.h), the
// socket layer's Server and BlockingSession. Step 2 of connection.h's polling order:
// handle_bytes(input, now), pull every event, offer the unconsumed rest again. The
// engine consumes less than everything only when a message waits to be pulled, so the
// loop can stop between two messages, which is where a driver whose output is over
// its bound (or that has a message to hand back first) stops it.
//
// One policy lives here too: a peer's close_notify that nobody else answers is
// answered at once with ours (answer_close_notify), so a session ends cleanly both
// ways. A sink that passes the close_notify on to someone who will call close() (the
// embedder's on_peer_closed, the blocking driver's caller) says so and feed stays out.
//
// No socket, clock or loop here: time comes in as |now|.
#ifndef P2PNET_STREAM_FEED_H_
#define P2PNET_STREAM_FEED_H_

#include <cstddef>
#include <cstdint>

#include "p2pnet/connection.h"

namespace p2pnet::stream {

// FeedSink: what a driver does with the engine's events, and when it wants no more.
class FeedSink {
 public:
  // wants_input is asked before every handle_bytes; false stops feed() between two
  // messages and leaves the rest of the input to the caller.
  virtual bool wants_input() const = 0;
  virtual void on_handshake_complete() = 0;
  // on_message: one message from the peer, valid during the call only.
  virtual void on_message(ByteSpan message) = 0;
  // on_peer_closed: the peer sent close_notify. Returns true when the sink sees to
  // the answer; false has feed answer at once (answer_close_notify).
  [[nodiscard]] virtual bool on_peer_closed() = 0;

 protected:
  ~FeedSink() = default;
};

// FeedStop: why feed() returned.
enum class FeedStop : std::uint8_t {
  kInputUsed,  // the engine took every byte
  kPaused,     // wants_input() said no; the rest waits for the caller
  kFailed,     // the engine failed (engine.error()); the rest is worthless
  kStalled,    // the engine took nothing and had no event: an engine bug per
               // connection.h; the caller gives up on the connection rather than spin
};

struct FeedResult {
  std::size_t consumed = 0;  // bytes of the input the engine took
  FeedStop stop = FeedStop::kInputUsed;
};

// feed offers |input| to |engine| and hands every event to |sink|, until the input is
// used up, the sink wants no more, or the engine fails.
FeedResult feed(Connection& engine, ByteSpan input, Instant now, FeedSink& sink);

// feed_end shows |engine| that the stream ended (empty input: clean after
// close_notify, otherwise kConnectionClosed or kTruncated) and hands any event to
// |sink|. Returns the engine's error, kNone for a clean end.
Error feed_end(Connection& engine, Instant now, FeedSink& sink);

// deliver_events hands every pending event of |engine| to |sink| and returns how many.
std::size_t deliver_events(Connection& engine, FeedSink& sink);

// answer_close_notify is the answer to a peer's close_notify when no one else gives
// it: our own close_notify, unless we sent one already.
void answer_close_notify(Connection& engine);

}  // namespace p2pnet::stream

#endif  // P2PNET_STREAM_FEED_H_
