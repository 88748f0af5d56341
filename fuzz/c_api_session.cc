// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target c_api_session: the C API's sans-IO engine (p2pnet.h, p2p_conn_*) driven
// as a C embedder drives it, a client and a server over a hostile in-memory link.
// A FuzzedDataProvider picks the expected server, the allow-list, the options
// (timeout, message limit, send-buffer bound, replay cache, a wrong struct_size) and
// the starting clock (up to and past P2P_MAX_NOW_MS), then a script of actions:
// deliver part of what one side sent (with a bit flip, drop or duplicate), advance
// the clock, send, close, end a stream, take output through a small buffer, or
// misuse the API (NULL arguments, zero capacity, now_ms out of range, options a
// server refuses).
//
// What the C layer adds to the engine is checked after every call:
//   - every call's result is also the thread's last error;
//   - failure is terminal: once p2p_conn_error is not P2P_OK it never changes, and
//     feed, send, close and handle_timeout all return it; misuse (INVALID_ARGUMENT)
//     changes nothing: neither the error nor the pending output;
//   - feed consumes at most its input, and less only when an event waits;
//   - events come in order (HandshakeComplete once, messages, PeerClosed at most
//     once), a message's data is non-NULL and is what the peer sent, in order;
//   - p2p_conn_peer_public_key is NULL until the handshake completes and then the
//     expected peer's key; p2p_conn_next_timeout_ms is start + timeout until then,
//     then -1 or a frame's deadline, and handle_timeout fails exactly when the
//     deadline it gave has passed; send and close return what the rules in p2pnet.h predict;
//   - p2p_conn_state agrees with p2p_conn_error, the events and the closes;
//   - output taken with peek/consume_transmit (when the output chunk is odd) is the
//     same stream as poll_transmit's; consuming past the view is refused, unchanged;
//   - p2p_conn_release_buffers (every third action) frees only what is idle: 1 while
//     handshaking or failed, and the connection carries on as before;
//   - established on both sides: the same session key (read behind the C type);
// and liveness when the link was not tampered with, no stream ended, the configs
// agree and no deadline passed: both sides establish and receive everything.
//
// Randomness: with options, each connection gets a C random source
// (p2p_conn_options_t.random) over a DeterministicRandom seeded from the input, so the
// input alone decides every byte in any build; for one seed in 16 one side's source
// fails at its first, second or third draw (P2P_ERR_RANDOM). Without options the
// connections use the default source: in a fuzzing build the deterministic one
// (random.h), reset per input from the input's seed; the corpus replay test of an
// ordinary build uses the system RNG, which no check depends on.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "FuzzedDataProvider.h"
#include "capi_internal.h"
#include "p2pnet.h"
#include "p2pnet/random.h"
#include "support/fixtures.h"
#include "support/fuzz_check.h"

namespace p2pnet::fuzz {
namespace {

constexpr std::size_t kFrameOverheadBytes = 20;  // length header and tag (channel.h)
constexpr int kMaxActions = 400;

// The fixtures' identities (fixtures.h: seeds of 32 equal bytes 1, 2, 3) as C
// keypairs, built once. The C API makes keypairs only through the socket adapter
// (generate, load), which a fuzzing build does not have.
p2p_keypair_t* client_keypair() {
  static p2p_keypair keypair(identity_from_byte(1));
  return &keypair;
}
p2p_keypair_t* server_keypair() {
  static p2p_keypair keypair(identity_from_byte(2));
  return &keypair;
}
p2p_keypair_t* stranger_keypair() {
  static p2p_keypair keypair(identity_from_byte(3));
  return &keypair;
}

// CSide drives one p2p_conn_t and checks the C layer's promises after every call.
class CSide {
 public:
  CSide(p2p_conn_t* conn, const std::uint8_t* expected_peer, std::uint64_t deadline,
        std::size_t max_message, std::size_t max_pending)
      : conn_(conn),
        expected_peer_(expected_peer),
        deadline_(deadline),
        max_message_(max_message),
        max_pending_(max_pending) {}
  CSide(const CSide&) = delete;
  CSide& operator=(const CSide&) = delete;
  ~CSide() { p2p_conn_free(conn_); }

  p2p_conn_t* conn() const { return conn_; }
  bool established() const { return handshake_seen_; }
  // session_key_at_completion: the engine's session key as read when the handshake
  // event was pulled (the engine wipes it once the connection fails or closes both
  // ways; empty if the channel failed in the call that completed the handshake).
  const Bytes& session_key_at_completion() const { return session_key_at_completion_; }
  bool peer_closed() const { return peer_closed_; }
  bool sent_close() const { return sent_close_; }
  p2p_error_t error() const { return error_; }
  const std::vector<Bytes>& received() const { return received_; }
  const std::vector<Bytes>& sent() const { return sent_; }

  // deliver feeds |bytes| as one arrival, the polling order's way. Returns false
  // when now_ms was refused (nothing was consumed: the bytes are still the caller's).
  bool deliver(const Bytes& bytes, std::uint64_t now) {
    std::size_t offset = 0;
    do {
      std::size_t consumed = 99;
      const std::uint8_t* data = bytes.empty() ? nullptr : bytes.data() + offset;
      const p2p_error_t rc = p2p_conn_feed(conn_, data, bytes.size() - offset, now, &consumed);
      FUZZ_CHECK(p2p_last_error() == rc);
      if (now > P2P_MAX_NOW_MS) {
        FUZZ_CHECK(rc == P2P_ERR_INVALID_ARGUMENT && consumed == 0);
        check_unchanged();
        return false;
      }
      FUZZ_CHECK(consumed <= bytes.size() - offset);
      offset += consumed;
      const int events = pull_events();
      after_result(rc);
      if (rc != P2P_OK) {
        FUZZ_CHECK(events == 0 || !was_failed_);
        return true;
      }
      if (offset < bytes.size()) FUZZ_CHECK(events > 0);  // stops short only for an event
      if (events == 0) break;
    } while (offset < bytes.size());
    FUZZ_CHECK(offset == bytes.size() || error_ != P2P_OK);
    return true;
  }

  bool end_of_stream(std::uint64_t now) { return deliver({}, now); }

  void handle_timeout(std::uint64_t now) {
    const std::int64_t next = p2p_conn_next_timeout_ms(conn_);
    const p2p_error_t rc = p2p_conn_handle_timeout(conn_, now);
    FUZZ_CHECK(p2p_last_error() == rc);
    if (now > P2P_MAX_NOW_MS) {
      FUZZ_CHECK(rc == P2P_ERR_INVALID_ARGUMENT);
      check_unchanged();
      return;
    }
    // The deadline next_timeout_ms gave (the handshake's, check_views, or once
    // established the frame deadline of a frame in progress) is the one that fires.
    const bool expired = next >= 0 && now >= static_cast<std::uint64_t>(next);
    if (error_ == P2P_OK) FUZZ_CHECK(rc == (expired ? P2P_ERR_TIMEOUT : P2P_OK));
    after_result(rc);
  }

  void send(const Bytes& message) {
    const std::size_t before = p2p_conn_pending_transmit(conn_);
    const p2p_error_t rc = p2p_conn_send(conn_, message.data(), message.size());
    FUZZ_CHECK(p2p_last_error() == rc);
    check_send_result(rc, message.size(), false, before);
    if (rc == P2P_OK) sent_.push_back(message);
    after_result(rc);
  }

  void close() {
    const std::size_t before = p2p_conn_pending_transmit(conn_);
    const p2p_error_t rc = p2p_conn_close(conn_);
    FUZZ_CHECK(p2p_last_error() == rc);
    check_send_result(rc, 0, true, before);
    if (rc == P2P_OK) sent_close_ = true;
    after_result(rc);
  }

  // take_output moves everything pending onto |link|, |chunk| bytes at a time: with
  // poll_transmit, or for an odd |chunk| in place with peek/consume_transmit.
  void take_output(Bytes& link, std::size_t chunk) {
    if (chunk % 2 == 1) return take_output_in_place(link, chunk);
    std::vector<std::uint8_t> buffer(std::max<std::size_t>(chunk, 1));
    for (;;) {
      const std::size_t pending = p2p_conn_pending_transmit(conn_);
      const std::size_t n = p2p_conn_poll_transmit(conn_, buffer.data(), buffer.size());
      FUZZ_CHECK(p2p_last_error() == P2P_OK);
      FUZZ_CHECK(n == std::min(pending, buffer.size()));
      FUZZ_CHECK(p2p_conn_pending_transmit(conn_) == pending - n);
      if (n == 0) break;
      link.insert(link.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

  void take_output_in_place(Bytes& link, std::size_t chunk) {
    for (;;) {
      const std::size_t pending = p2p_conn_pending_transmit(conn_);
      const std::uint8_t* data = nullptr;
      std::size_t length = 0;
      FUZZ_CHECK(p2p_conn_peek_transmit(conn_, &data, &length) == P2P_OK);
      FUZZ_CHECK(length <= pending && (length == 0) == (pending == 0));
      FUZZ_CHECK((data == nullptr) == (length == 0));
      if (length == 0) break;
      const std::size_t n = std::min(length, chunk);
      link.insert(link.end(), data, data + n);
      // Consuming more than the view is refused and changes nothing.
      FUZZ_CHECK(p2p_conn_consume_transmit(conn_, length + 1) == P2P_ERR_INVALID_ARGUMENT);
      FUZZ_CHECK(p2p_conn_pending_transmit(conn_) == pending);
      FUZZ_CHECK(p2p_conn_consume_transmit(conn_, n) == P2P_OK);
      FUZZ_CHECK(p2p_conn_pending_transmit(conn_) == pending - n);
    }
  }

  // release_buffers gives back idle buffers: always possible while handshaking or
  // once failed; it never changes the error, the state or the pending output.
  void release_buffers() {
    const std::size_t pending = p2p_conn_pending_transmit(conn_);
    const p2p_conn_state_t state = p2p_conn_state(conn_);
    const int released = p2p_conn_release_buffers(conn_);
    FUZZ_CHECK(p2p_last_error() == P2P_OK);
    if (state == P2P_STATE_HANDSHAKING || state == P2P_STATE_FAILED) FUZZ_CHECK(released == 1);
    if (pending != 0 && state == P2P_STATE_ESTABLISHED) FUZZ_CHECK(released == 0);
    FUZZ_CHECK(p2p_conn_pending_transmit(conn_) == pending);
    FUZZ_CHECK(p2p_conn_state(conn_) == state);
    check_unchanged();
  }

  // misuse makes one wrong call; it must be refused and change nothing.
  void misuse(unsigned which) {
    const std::size_t pending = p2p_conn_pending_transmit(conn_);
    const std::uint8_t byte = 0;
    std::size_t consumed = 0;
    p2p_event_t event;
    std::uint8_t out[4];
    bool refused = true;  // the call must record INVALID_ARGUMENT
    switch (which) {
      case 0:
        FUZZ_CHECK(p2p_conn_feed(conn_, nullptr, 1, 0, &consumed) == P2P_ERR_INVALID_ARGUMENT);
        break;
      case 1:
        FUZZ_CHECK(p2p_conn_feed(conn_, &byte, 1, 0, nullptr) == P2P_ERR_INVALID_ARGUMENT);
        break;
      case 2: FUZZ_CHECK(p2p_conn_send(conn_, nullptr, 1) == P2P_ERR_INVALID_ARGUMENT); break;
      case 3: FUZZ_CHECK(p2p_conn_poll_event(conn_, nullptr) == 0); break;
      case 4: FUZZ_CHECK(p2p_conn_poll_transmit(conn_, nullptr, 1) == 0); break;
      case 5:
        FUZZ_CHECK(p2p_conn_feed(conn_, &byte, 1, P2P_MAX_NOW_MS + 1, &consumed) ==
                   P2P_ERR_INVALID_ARGUMENT);
        FUZZ_CHECK(consumed == 0);
        break;
      case 6: {  // a server given a replay cache (clients only)
        std::unique_ptr<p2p_replay_cache_t, decltype(&p2p_replay_cache_free)> cache(
            p2p_replay_cache_new(1), &p2p_replay_cache_free);
        p2p_conn_options_t options;
        p2p_conn_options_init(&options);
        options.replay_cache = cache.get();
        FUZZ_CHECK(p2p_conn_server_ex(server_keypair(), nullptr, 0, &options, 0) == nullptr);
        FUZZ_CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
        refused = false;  // freeing the cache below records P2P_OK
        break;
      }
      case 7:  // capacity 0 is no misuse: nothing taken, nothing lost
        FUZZ_CHECK(p2p_conn_poll_transmit(conn_, out, 0) == 0);
        refused = false;
        break;
      default:  // calls on no connection at all
        FUZZ_CHECK(p2p_conn_poll_event(nullptr, &event) == 0);
        FUZZ_CHECK(p2p_conn_error(nullptr) == P2P_ERR_INVALID_ARGUMENT);
        FUZZ_CHECK(p2p_conn_next_timeout_ms(nullptr) == -1);
        FUZZ_CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
        p2p_conn_free(nullptr);
        refused = false;
        break;
    }
    FUZZ_CHECK(p2p_last_error() == (refused ? P2P_ERR_INVALID_ARGUMENT : P2P_OK));
    FUZZ_CHECK(p2p_conn_pending_transmit(conn_) == pending);
    check_unchanged();
  }

  // check_views: what the accessors report agrees with what was seen.
  void check_views() {
    const std::uint8_t* peer = p2p_conn_peer_public_key(conn_);
    if (handshake_seen_) {
      FUZZ_CHECK(peer != nullptr && p2p_last_error() == P2P_OK);
      FUZZ_CHECK(std::memcmp(peer, expected_peer_, P2P_PUBLIC_KEY_SIZE) == 0);
    } else {
      FUZZ_CHECK(peer == nullptr && p2p_last_error() == P2P_ERR_STATE);
    }
    const std::int64_t timeout = p2p_conn_next_timeout_ms(conn_);
    if (error_ != P2P_OK) {
      FUZZ_CHECK(timeout == -1);
    } else if (handshake_seen_) {
      FUZZ_CHECK(timeout >= -1);  // a frame deadline only while a frame is in progress
    } else {
      FUZZ_CHECK(timeout == static_cast<std::int64_t>(deadline_));
    }
    // Every event was pulled before this runs, so the state follows from what was seen.
    const p2p_conn_state_t state = p2p_conn_state(conn_);
    FUZZ_CHECK(p2p_last_error() == P2P_OK);
    if (error_ != P2P_OK) {
      FUZZ_CHECK(state == P2P_STATE_FAILED);
    } else if (!handshake_seen_) {
      FUZZ_CHECK(state == P2P_STATE_HANDSHAKING);
    } else if (sent_close_ && peer_closed_) {
      FUZZ_CHECK(state == P2P_STATE_CLOSED);
    } else {
      FUZZ_CHECK(state == P2P_STATE_ESTABLISHED);
    }
  }

 private:
  int pull_events() {
    int n = 0;
    p2p_event_t event;
    while (p2p_conn_poll_event(conn_, &event) == 1) {
      ++n;
      FUZZ_CHECK(p2p_last_error() == P2P_OK);
      switch (event.type) {
        case P2P_EVENT_HANDSHAKE_COMPLETE:
          FUZZ_CHECK(!handshake_seen_ && event.data == nullptr && event.length == 0);
          handshake_seen_ = true;
          session_key_at_completion_.assign(conn_->connection->session_key().begin(),
                                            conn_->connection->session_key().end());
          break;
        case P2P_EVENT_MESSAGE:
          FUZZ_CHECK(handshake_seen_ && !peer_closed_);
          FUZZ_CHECK(event.data != nullptr && event.length >= 1 && event.length <= max_message_);
          received_.emplace_back(event.data, event.data + event.length);
          break;
        case P2P_EVENT_PEER_CLOSED:
          FUZZ_CHECK(handshake_seen_ && !peer_closed_ && event.data == nullptr &&
                     event.length == 0);
          peer_closed_ = true;
          break;
      }
    }
    FUZZ_CHECK(p2p_last_error() == P2P_OK);
    return n;
  }

  // after_result: the error reported agrees with p2p_conn_error, and is terminal.
  void after_result(p2p_error_t rc) {
    const p2p_error_t now_error = p2p_conn_error(conn_);
    FUZZ_CHECK(p2p_last_error() == now_error);
    if (error_ != P2P_OK) {
      FUZZ_CHECK(now_error == error_ && rc == error_);
      was_failed_ = true;
    }
    error_ = now_error;
    // Events waiting when it failed were pulled by the caller; none come after.
    p2p_event_t event;
    if (was_failed_) FUZZ_CHECK(p2p_conn_poll_event(conn_, &event) == 0);
    check_views();
  }

  void check_unchanged() { FUZZ_CHECK(p2p_conn_error(conn_) == error_); }

  // check_send_result: send/close return what p2pnet.h's rules predict.
  void check_send_result(p2p_error_t rc, std::size_t length, bool is_close,
                         std::size_t pending_before) {
    const std::size_t frame = length + kFrameOverheadBytes;
    if (error_ != P2P_OK) {
      FUZZ_CHECK(rc == error_);
    } else if (!handshake_seen_ || sent_close_) {
      FUZZ_CHECK(rc == P2P_ERR_STATE);
    } else if (!is_close && length == 0) {
      FUZZ_CHECK(rc == P2P_ERR_INVALID_ARGUMENT);
    } else if (!is_close && length > max_message_) {
      FUZZ_CHECK(rc == P2P_ERR_MESSAGE_TOO_LARGE);
    } else if (rc == P2P_ERR_SEND_BUFFER_FULL) {
      // The bound counts the channel's own output only, which is at most all of it.
      FUZZ_CHECK(pending_before + frame > max_pending_);
    } else {
      FUZZ_CHECK(rc == P2P_OK);
    }
    const std::size_t pending_after = p2p_conn_pending_transmit(conn_);
    FUZZ_CHECK(pending_after == pending_before + (rc == P2P_OK ? frame : 0));
  }

  p2p_conn_t* conn_;
  const std::uint8_t* expected_peer_;
  std::uint64_t deadline_;
  std::size_t max_message_;
  std::size_t max_pending_;
  p2p_error_t error_ = P2P_OK;
  bool was_failed_ = false;
  bool handshake_seen_ = false;
  Bytes session_key_at_completion_;
  bool peer_closed_ = false;
  bool sent_close_ = false;
  std::vector<Bytes> received_;
  std::vector<Bytes> sent_;
};

enum class Action : std::uint8_t {
  kDeliverToServer,
  kDeliverToClient,
  kAdvanceTime,
  kClientSend,
  kServerSend,
  kClientClose,
  kServerClose,
  kClientEndOfStream,
  kServerEndOfStream,
  kMisuse,
  kMaxValue = kMisuse,
};

enum class Fault : std::uint8_t { kNone, kFlip, kDrop, kDuplicate, kMaxValue = kDuplicate };

// deliver moves up to a fuzzer-chosen number of bytes from |link| to |to|, applying a
// fault. Returns true if the fault changed what arrives.
bool deliver(FuzzedDataProvider& fdp, Bytes& link, CSide& to, std::uint64_t now) {
  if (link.empty()) return false;
  const std::size_t n = fdp.ConsumeIntegralInRange<std::size_t>(1, link.size());
  Bytes piece(link.begin(), link.begin() + static_cast<std::ptrdiff_t>(n));
  const Fault fault = fdp.ConsumeEnum<Fault>();
  if (fault == Fault::kFlip) {
    const std::size_t at = fdp.ConsumeIntegralInRange<std::size_t>(0, n - 1);
    piece[at] ^= static_cast<std::uint8_t>(1u << fdp.ConsumeIntegralInRange(0, 7));
  }
  // A refused now_ms consumes nothing: the bytes stay on the link.
  if (fault != Fault::kDrop && !to.deliver(piece, now)) return false;
  if (fault == Fault::kDuplicate) (void)to.deliver(piece, now);
  link.erase(link.begin(), link.begin() + static_cast<std::ptrdiff_t>(n));
  return fault != Fault::kNone;
}

// SeededSource: a p2p_random_fn over DeterministicRandom that fails at draw
// |fail_at| (1-based; 0: never).
class SeededSource {
 public:
  SeededSource(std::uint64_t seed, std::uint64_t fail_at) : random_(seed), fail_at_(fail_at) {}
  static p2p_error_t fill(void* context, std::uint8_t* out, std::size_t length) {
    auto* self = static_cast<SeededSource*>(context);
    ++self->draws_;
    if (self->draws_ == self->fail_at_) {
      self->failed_ = true;
      return P2P_ERR_RANDOM;
    }
    return self->random_.fill(std::span(out, length)) ? P2P_OK : P2P_ERR_RANDOM;
  }
  bool failed() const { return failed_; }

 private:
  DeterministicRandom random_;
  std::uint64_t fail_at_;
  std::uint64_t draws_ = 0;
  bool failed_ = false;
};

bool is_prefix(const std::vector<Bytes>& got, const std::vector<Bytes>& sent) {
  return got.size() <= sent.size() && std::equal(got.begin(), got.end(), sent.begin());
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet::fuzz;
  FuzzedDataProvider fdp(data, size);

  // Configuration: one value per statement (argument evaluation order differs
  // between compilers, and the replay test must read the same script as the fuzzer).
  const auto seed = fdp.ConsumeIntegral<std::uint64_t>();
#if defined(P2PNET_FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  p2pnet::fuzzing::reset_system_random(seed);
#else
  (void)seed;
#endif
  const unsigned expect_mode = fdp.ConsumeIntegralInRange(0u, 3u);  // 2: any, 3: stranger
  const unsigned allow_mode =
      fdp.ConsumeIntegralInRange(0u, 4u);  // 2: +stranger, 3: stranger, 4: none
  const bool use_options = fdp.ConsumeBool();
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  // The C random sources (with options only): seeded from the input; for one seed in
  // 16 the client's or the server's source (bit 4 of the seed) fails at draw 1, 2 or 3.
  const bool source_fails = seed % 16 == 15;
  const std::uint64_t fail_at = 1 + (seed >> 5) % 3;
  SeededSource client_random(seed, source_fails && (seed >> 4) % 2 == 1 ? fail_at : 0);
  SeededSource server_random(seed + 1, source_fails && (seed >> 4) % 2 == 0 ? fail_at : 0);
  bool options_valid = true;
  // Declared before the connections, so it is freed after them: they borrow it.
  std::unique_ptr<p2p_replay_cache_t, decltype(&p2p_replay_cache_free)> cache(
      nullptr, &p2p_replay_cache_free);
  if (use_options) {
    options.handshake_timeout_ms = fdp.ConsumeIntegralInRange<std::uint32_t>(0, 30000);
    const int max_choice = fdp.ConsumeIntegralInRange(0, 7);
    if (max_choice >= 1 && max_choice <= 5) {
      options.max_message_size = fdp.ConsumeIntegralInRange<std::size_t>(1, 300);
    }
    if (max_choice == 6) options.max_message_size = P2P_MAX_MESSAGE_SIZE_LIMIT + 1;
    if (max_choice == 7) options.max_message_size = 0;  // the default
    options_valid = max_choice != 6;
    if (fdp.ConsumeBool()) {
      // Around the smallest valid bound, one full frame of the largest message
      // (p2pnet.h): the first 19 values are below it and make the options invalid.
      const std::size_t largest =
          options.max_message_size != 0 ? options.max_message_size : P2P_DEFAULT_MAX_MESSAGE_SIZE;
      const auto above_largest = fdp.ConsumeIntegralInRange<std::size_t>(1, 1000);
      options.max_pending_output = largest + above_largest;
      if (above_largest < kFrameOverheadBytes) options_valid = false;
    }
    if (fdp.ConsumeBool()) {
      cache.reset(p2p_replay_cache_new(4));
      FUZZ_CHECK(cache != nullptr);
    }
    if (fdp.ConsumeIntegralInRange(0, 31) == 31) {
      options.struct_size = 8;
      options_valid = false;
    }
  }
  std::uint64_t now = 0;
  switch (fdp.ConsumeIntegralInRange(0, 3)) {
    case 0: break;
    case 1: now = P2P_MAX_NOW_MS - 40000; break;  // near the top: deadlines still fit
    case 2: now = fdp.ConsumeIntegral<std::uint64_t>(); break;
    case 3: now = P2P_MAX_NOW_MS + 1; break;
  }
  const std::uint64_t start = now;

  // (p2p_keypair_public_key lives with the socket adapter's half of the C API.)
  const std::uint8_t* server_key = server_keypair()->identity.public_key().bytes.data();
  const std::uint8_t* client_key = client_keypair()->identity.public_key().bytes.data();
  const std::uint8_t* stranger_key = stranger_keypair()->identity.public_key().bytes.data();
  const std::uint8_t* expected = expect_mode <= 1   ? server_key
                                 : expect_mode == 3 ? stranger_key
                                                    : nullptr;
  const std::array<const std::uint8_t*, 2> allowed{client_key, stranger_key};
  const std::uint8_t* const* allow_list = allow_mode <= 1   ? nullptr
                                          : allow_mode == 3 ? &allowed[1]
                                                            : allowed.data();
  const std::size_t allow_count = allow_mode == 2 ? 2 : allow_mode == 3 ? 1 : 0;

  p2p_conn_options_t server_options = options;
  server_options.replay_cache = nullptr;  // clients only
  server_options.random = SeededSource::fill;
  server_options.random_context = &server_random;
  options.replay_cache = cache.get();
  options.random = SeededSource::fill;
  options.random_context = &client_random;
  p2p_conn_t* client_conn =
      p2p_conn_client_ex(client_keypair(), expected, use_options ? &options : nullptr, now);
  p2p_conn_t* server_conn = p2p_conn_server_ex(server_keypair(), allow_list, allow_count,
                                               use_options ? &server_options : nullptr, now);
  if (!options_valid || now > P2P_MAX_NOW_MS) {
    FUZZ_CHECK(client_conn == nullptr && server_conn == nullptr);
    FUZZ_CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
    return 0;
  }
  FUZZ_CHECK(client_conn != nullptr && server_conn != nullptr);
  const std::uint64_t timeout =
      options.handshake_timeout_ms != 0 ? options.handshake_timeout_ms : P2P_DEFAULT_TIMEOUT_MS;
  const std::size_t max_message =
      options.max_message_size != 0 ? options.max_message_size : P2P_DEFAULT_MAX_MESSAGE_SIZE;
  const std::size_t max_pending = options.max_pending_output != 0
                                      ? options.max_pending_output
                                      : 2 * (max_message + kFrameOverheadBytes);
  CSide client(client_conn, server_key, start + timeout, max_message, max_pending);
  CSide server(server_conn, client_key, start + timeout, max_message, max_pending);

  Bytes to_server, to_client;
  bool tampered = false;
  bool stream_ended = false;
  std::size_t chunk = 4096;
  int action = 0;
  const auto collect = [&] {
    client.take_output(to_server, chunk);
    server.take_output(to_client, chunk);
    if (action % 3 == 2) {
      client.release_buffers();
      server.release_buffers();
    }
  };
  collect();

  for (int i = 0; i < kMaxActions && fdp.remaining_bytes() > 0; ++i, ++action) {
    switch (fdp.ConsumeEnum<Action>()) {
      case Action::kDeliverToServer: tampered |= deliver(fdp, to_server, server, now); break;
      case Action::kDeliverToClient: tampered |= deliver(fdp, to_client, client, now); break;
      case Action::kAdvanceTime:
        now = saturating_add(now, fdp.ConsumeIntegralInRange<std::uint64_t>(0, 12000));
        client.handle_timeout(now);
        server.handle_timeout(now);
        break;
      case Action::kClientSend:
        client.send(
            fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange<std::size_t>(0, 300)));
        break;
      case Action::kServerSend:
        server.send(
            fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange<std::size_t>(0, 300)));
        break;
      case Action::kClientClose: client.close(); break;
      case Action::kServerClose: server.close(); break;
      case Action::kClientEndOfStream: stream_ended |= client.end_of_stream(now); break;
      case Action::kServerEndOfStream: stream_ended |= server.end_of_stream(now); break;
      case Action::kMisuse: {
        const unsigned which = fdp.ConsumeIntegralInRange(0u, 8u);  // see CSide::misuse
        (fdp.ConsumeBool() ? client : server).misuse(which);
        chunk =
            fdp.ConsumeIntegralInRange<std::size_t>(1, 4096);  // how output is taken from now on
        break;
      }
    }
    collect();
  }

  // Let the link settle: everything still in flight arrives, whole and unharmed.
  for (int round = 0; round < 8 && (!to_server.empty() || !to_client.empty()); ++round) {
    Bytes s = std::exchange(to_server, {});
    Bytes c = std::exchange(to_client, {});
    if (!s.empty()) (void)server.deliver(s, now);
    if (!c.empty()) (void)client.deliver(c, now);
    collect();
  }

  // Safety, whatever happened on the link: both sides derived the same session key.
  const Bytes& client_key_seen = client.session_key_at_completion();
  const Bytes& server_key_seen = server.session_key_at_completion();
  if (!client_key_seen.empty() && !server_key_seen.empty()) {
    FUZZ_CHECK(client_key_seen == server_key_seen);
  }
  FUZZ_CHECK(is_prefix(client.received(), server.sent()));
  FUZZ_CHECK(is_prefix(server.received(), client.sent()));
  if (client.peer_closed()) FUZZ_CHECK(server.sent_close());
  if (server.peer_closed()) FUZZ_CHECK(client.sent_close());
  if (expect_mode == 3 || allow_mode >= 3) {
    FUZZ_CHECK(!client.established() && !server.established());
  }

  // Liveness, when nothing stood in the way.
  const bool configs_agree = expect_mode <= 2 && allow_mode <= 2;
  const bool undisturbed = !tampered && !stream_ended && now - start < timeout &&
                           now <= P2P_MAX_NOW_MS && !client_random.failed() &&
                           !server_random.failed();
  if (client_random.failed()) FUZZ_CHECK(client.error() == P2P_ERR_RANDOM);
  if (server_random.failed()) FUZZ_CHECK(server.error() == P2P_ERR_RANDOM);
  if (configs_agree && undisturbed) {
    FUZZ_CHECK(client.established() && server.established());
    FUZZ_CHECK(client.received() == server.sent());
    FUZZ_CHECK(server.received() == client.sent());
    FUZZ_CHECK(client.peer_closed() == server.sent_close());
    FUZZ_CHECK(server.peer_closed() == client.sent_close());
  }
  return 0;
}
