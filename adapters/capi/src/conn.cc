// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// conn.cc: the sans-IO engine from C (p2p_conn_*). Each function is the matching
// p2pnet::Connection call (connection.h) plus what a C boundary needs: argument
// checks that change nothing, copies of everything the engine would borrow from the
// caller, now_ms bounded so that no deadline can overflow, and the outcome recorded
// in the thread's last error. Protocol decisions stay in the engine. Every function
// that reaches the engine or allocates runs inside guard(), so running out of memory
// is an error code, never an exception in a C frame; the engine itself fails a
// connection closed (kOutOfMemory) when memory runs out inside it, so the code a call
// returns and p2p_conn_error() agree.
#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>

#include "capi_internal.h"

namespace {

using p2pnet::capi::ensure_sodium;
using p2pnet::capi::guard;
using p2pnet::capi::invalid;
using p2pnet::capi::ok;
using p2pnet::capi::record_engine;
using p2pnet::capi::set_error;

// The fields of p2p_conn_options_t that this library knows, with defaults applied.
struct Options {
  p2pnet::Duration handshake_timeout = p2pnet::kDefaultHandshakeTimeout;
  p2pnet::ChannelConfig channel;
  p2pnet::ReplayCache* replay_cache = nullptr;
  p2p_log_fn log = nullptr;
  void* log_context = nullptr;
  std::uint64_t log_id = 0;
  p2p_key_log_fn key_log = nullptr;
  void* key_log_context = nullptr;
  p2p_random_fn random = nullptr;
  void* random_context = nullptr;
};

// The earlier layout of p2p_conn_options_t ended at key_log_context; every field
// after it was appended later (new fields go at the end, never in between). A caller
// built with that layout passes its size and gets the defaults for the newer fields
// (the rounding to the struct's alignment holds while no field added since needs a
// stricter one than the first layout's).
constexpr std::size_t kFirstOptionsSize = (offsetof(p2p_conn_options_t, key_log_context) +
                                           sizeof(void*) + alignof(p2p_conn_options_t) - 1) /
                                          alignof(p2p_conn_options_t) * alignof(p2p_conn_options_t);
static_assert(kFirstOptionsSize < sizeof(p2p_conn_options_t));

// read_options checks |options| (NULL: the defaults) into *out. A struct_size other
// than this header's or the first layout's is refused rather than guessed at: a
// caller built against a newer header may have set a field this library would
// silently ignore.
bool read_options(const p2p_conn_options_t* options, Options* out) {
  if (options == nullptr) return true;
  const bool current = options->struct_size == sizeof(p2p_conn_options_t);
  if (!current && options->struct_size != kFirstOptionsSize) {
    invalid("options->struct_size is not sizeof(p2p_conn_options_t): use p2p_conn_options_init");
    return false;
  }
  if (options->handshake_timeout_ms != 0) {
    out->handshake_timeout = p2pnet::Duration(options->handshake_timeout_ms);
  }
  if (current && options->frame_timeout_ms != 0) {
    out->channel.frame_timeout = p2pnet::Duration(options->frame_timeout_ms);
  }
  if (options->max_message_size != 0) out->channel.max_message_size = options->max_message_size;
  out->channel.max_pending_output = options->max_pending_output;
  if (!p2pnet::channel_config_is_valid(out->channel)) {
    return invalid(
               "options->max_message_size is over P2P_MAX_MESSAGE_SIZE_LIMIT, or "
               "options->max_pending_output is below one frame of it (+ 20 bytes)"),
           false;
  }
  if (options->replay_cache != nullptr) out->replay_cache = &options->replay_cache->cache;
  out->log = options->log;
  out->log_context = options->log_context;
  out->log_id = options->log_id;
  out->key_log = options->key_log;
  out->key_log_context = options->key_log_context;
  // Every field after key_log_context is read here only: past the first layout's end
  // an older caller's struct has no bytes to read.
  if (current) {
    out->random = options->random;
    out->random_context = options->random_context;
  }
  return true;
}

p2p_log_level_t to_c(p2pnet::LogLevel level) {
  switch (level) {
    case p2pnet::LogLevel::kDebug: return P2P_LOG_DEBUG;
    case p2pnet::LogLevel::kInfo: return P2P_LOG_INFO;
    case p2pnet::LogLevel::kWarning: return P2P_LOG_WARNING;
    case p2pnet::LogLevel::kError: return P2P_LOG_ERROR;
  }
  return P2P_LOG_ERROR;  // unreachable: every enumerator is listed
}

// attach_hooks wraps the C hooks of |settings| (random source, log, key log) in |conn|
// and points |config| at them: the C side gets NUL-terminated text, and the key log
// line's copy is wiped.
template <typename Config>
void attach_hooks(const Options& settings, p2p_conn* conn, Config* config) {
  if (settings.random != nullptr) {
    config->random = &conn->random.emplace(settings.random, settings.random_context);
  }
  if (settings.log != nullptr) {
    conn->log_hook = [fn = settings.log, context = settings.log_context](
                         p2pnet::LogLevel level, std::uint64_t id, std::string_view message) {
      const std::string text(message);
      fn(context, to_c(level), id, text.c_str());
    };
    config->log_hook = &conn->log_hook;
    config->log_id = settings.log_id;
  }
  if (settings.key_log != nullptr) {
    conn->key_log = [fn = settings.key_log,
                     context = settings.key_log_context](std::string_view line) {
      std::array<char, 256> text{};
      if (line.size() >= text.size()) return;  // longer than any line the engine writes
      line.copy(text.data(), line.size());
      fn(context, text.data());
      sodium_memzero(text.data(), text.size());
    };
    config->key_log = &conn->key_log;
  }
}

// to_instant: |now_ms| on the engine's clock. Capped at P2P_MAX_NOW_MS so that now
// plus any handshake timeout (at most 2^32 ms) stays far inside int64_t.
std::optional<p2pnet::Instant> to_instant(std::uint64_t now_ms) {
  if (now_ms > P2P_MAX_NOW_MS) return invalid("now_ms is over P2P_MAX_NOW_MS"), std::nullopt;
  return p2pnet::Instant(static_cast<std::int64_t>(now_ms));
}

// copy_identity gives the connection its own key pair, through the identity file
// codec, the engine's only way to read a seed back out; the encoded bytes are a
// Secret and wipe themselves.
std::optional<p2pnet::Identity> copy_identity(const p2p_keypair_t* keypair) {
  const p2pnet::IdentityFileBytes file = p2pnet::encode_identity_file(keypair->identity);
  return p2pnet::parse_identity_file(file.bytes());
}

p2pnet::PublicKey key_from(const std::uint8_t* bytes) {
  p2pnet::PublicKey key;
  std::memcpy(key.bytes.data(), bytes, key.bytes.size());
  return key;
}

// new_conn does what both roles share: checks |me|, |options| and |now_ms| into
// *settings and *now, and returns a connection holding its own copy of |me| (its
// engine not started yet), or NULL with the error recorded.
std::unique_ptr<p2p_conn> new_conn(const p2p_keypair_t* me, const p2p_conn_options_t* options,
                                   std::uint64_t now_ms, Options* settings, p2pnet::Instant* now) {
  if (me == nullptr) return invalid("keypair is NULL"), nullptr;
  if (!read_options(options, settings)) return nullptr;
  const std::optional<p2pnet::Instant> instant = to_instant(now_ms);
  if (!instant || !ensure_sodium()) return nullptr;
  *now = *instant;
  std::optional<p2pnet::Identity> identity = copy_identity(me);
  if (!identity) return set_error(P2P_ERR_INTERNAL, "the keypair could not be copied"), nullptr;
  return std::make_unique<p2p_conn>(std::move(*identity));
}

// started returns the new connection, or NULL with the engine's error if the engine
// refused to start it (a failed random source, a config it rejects).
p2p_conn_t* started(std::unique_ptr<p2p_conn> conn) {
  const p2pnet::Error error = conn->connection->error();
  if (error != p2pnet::Error::kNone) return record_engine(error), nullptr;
  ok();
  return conn.release();
}

p2p_event_type_t to_c(p2pnet::EventType type) {
  switch (type) {
    case p2pnet::EventType::kHandshakeComplete: return P2P_EVENT_HANDSHAKE_COMPLETE;
    case p2pnet::EventType::kMessage: return P2P_EVENT_MESSAGE;
    case p2pnet::EventType::kPeerClosed: return P2P_EVENT_PEER_CLOSED;
  }
  return P2P_EVENT_PEER_CLOSED;  // unreachable: every enumerator is listed
}

}  // namespace

extern "C" {

void p2p_conn_options_init(p2p_conn_options_t* options) {
  if (options == nullptr) return (void)invalid("options is NULL");
  std::memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
  options->handshake_timeout_ms = P2P_DEFAULT_TIMEOUT_MS;
  options->frame_timeout_ms = P2P_DEFAULT_FRAME_TIMEOUT_MS;
  options->max_message_size = P2P_DEFAULT_MAX_MESSAGE_SIZE;
  ok();
}

p2p_replay_cache_t* p2p_replay_cache_new(size_t capacity) {
  return guard<p2p_replay_cache_t*>(nullptr, [&]() -> p2p_replay_cache_t* {
    if (capacity > P2P_MAX_REPLAY_CACHE_CAPACITY) {
      return invalid("capacity is over P2P_MAX_REPLAY_CACHE_CAPACITY"), nullptr;
    }
    auto cache = std::make_unique<p2p_replay_cache>(
        capacity == 0 ? P2P_DEFAULT_REPLAY_CACHE_CAPACITY : capacity);
    ok();
    return cache.release();
  });
}

void p2p_replay_cache_free(p2p_replay_cache_t* cache) {
  delete cache;
  ok();
}

p2p_conn_t* p2p_conn_client_ex(const p2p_keypair_t* me, const uint8_t* expected_server,
                               const p2p_conn_options_t* options, uint64_t now_ms) {
  return guard<p2p_conn_t*>(nullptr, [&]() -> p2p_conn_t* {
    Options settings;
    p2pnet::Instant now;
    std::unique_ptr<p2p_conn> conn = new_conn(me, options, now_ms, &settings, &now);
    if (!conn) return nullptr;
    p2pnet::ClientConfig config;
    config.identity = &conn->identity;
    if (expected_server != nullptr) config.expected_server = key_from(expected_server);
    config.replay_cache = settings.replay_cache;
    config.handshake_timeout = settings.handshake_timeout;
    config.channel = settings.channel;
    attach_hooks(settings, conn.get(), &config);
    conn->connection.emplace(p2pnet::Connection::client(config, now));
    return started(std::move(conn));
  });
}

p2p_conn_t* p2p_conn_client(const p2p_keypair_t* me, const uint8_t* expected_server,
                            uint64_t now_ms) {
  return p2p_conn_client_ex(me, expected_server, nullptr, now_ms);
}

p2p_conn_t* p2p_conn_server_ex(const p2p_keypair_t* me, const uint8_t* const* allowed,
                               size_t allowed_count, const p2p_conn_options_t* options,
                               uint64_t now_ms) {
  return guard<p2p_conn_t*>(nullptr, [&]() -> p2p_conn_t* {
    Options settings;
    p2pnet::Instant now;
    std::unique_ptr<p2p_conn> conn = new_conn(me, options, now_ms, &settings, &now);
    if (!conn) return nullptr;
    if (settings.replay_cache != nullptr) {
      return invalid("a replay cache is for clients only"), nullptr;
    }
    p2pnet::ServerConfig config;
    config.identity = &conn->identity;
    if (allowed != nullptr) {
      if (allowed_count > P2P_MAX_ALLOWED_PEERS) {
        return invalid("allowed_count is over P2P_MAX_ALLOWED_PEERS"), nullptr;
      }
      conn->allowed.reserve(allowed_count);
      for (size_t i = 0; i < allowed_count; ++i) {
        if (allowed[i] == nullptr) return invalid("allowed holds a NULL key"), nullptr;
        conn->allowed.push_back(key_from(allowed[i]));
      }
      config.allowed_clients = std::span<const p2pnet::PublicKey>(conn->allowed);
    }
    config.handshake_timeout = settings.handshake_timeout;
    config.channel = settings.channel;
    attach_hooks(settings, conn.get(), &config);
    conn->connection.emplace(p2pnet::Connection::server(config, now));
    return started(std::move(conn));
  });
}

p2p_conn_t* p2p_conn_server(const p2p_keypair_t* me, const uint8_t* const* allowed,
                            size_t allowed_count, uint64_t now_ms) {
  return p2p_conn_server_ex(me, allowed, allowed_count, nullptr, now_ms);
}

p2p_error_t p2p_conn_feed(p2p_conn_t* c, const uint8_t* data, size_t length, uint64_t now_ms,
                          size_t* consumed) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (consumed != nullptr) *consumed = 0;
    if (c == nullptr || consumed == nullptr || (data == nullptr && length > 0)) {
      return invalid("connection, data or consumed is NULL");
    }
    const std::optional<p2pnet::Instant> now = to_instant(now_ms);
    if (!now) return P2P_ERR_INVALID_ARGUMENT;
    // length 0 is the end of the stream (h11's receive_data(b"")): the engine's empty input.
    const p2pnet::ReadResult result = c->connection->handle_bytes(
        length == 0 ? p2pnet::ByteSpan() : p2pnet::ByteSpan(data, length), *now);
    *consumed = result.consumed;
    return record_engine(result.error);
  });
}

int p2p_conn_poll_event(p2p_conn_t* c, p2p_event_t* event) {
  return guard<int>(0, [&]() -> int {
    if (c == nullptr || event == nullptr) return invalid("connection or event is NULL"), 0;
    const std::optional<p2pnet::Event> next = c->connection->poll_event();
    ok();
    if (!next) return 0;
    event->type = to_c(next->type);
    // The span stays valid until the engine's next handle_bytes (connection.h), that
    // is, until the next p2p_conn_feed or p2p_conn_free.
    event->data = next->message.empty() ? nullptr : next->message.data();
    event->length = next->message.size();
    return 1;
  });
}

size_t p2p_conn_poll_transmit(p2p_conn_t* c, uint8_t* out, size_t capacity) {
  return guard<size_t>(0, [&]() -> size_t {
    if (c == nullptr || (out == nullptr && capacity > 0)) {
      return invalid("connection or out is NULL"), 0;
    }
    ok();
    if (capacity == 0) return 0;
    return c->connection->poll_transmit(p2pnet::MutableByteSpan(out, capacity));
  });
}

size_t p2p_conn_pending_transmit(const p2p_conn_t* c) {
  return guard<size_t>(0, [&]() -> size_t {
    if (c == nullptr) return invalid("connection is NULL"), 0;
    ok();
    return c->connection->pending_transmit();
  });
}

int64_t p2p_conn_next_timeout_ms(const p2p_conn_t* c) {
  return guard<int64_t>(-1, [&]() -> int64_t {
    if (c == nullptr) return invalid("connection is NULL"), -1;
    ok();
    const std::optional<p2pnet::Instant> deadline = c->connection->poll_timeout();
    return deadline ? static_cast<int64_t>(deadline->count()) : -1;
  });
}

p2p_error_t p2p_conn_handle_timeout(p2p_conn_t* c, uint64_t now_ms) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (c == nullptr) return invalid("connection is NULL");
    const std::optional<p2pnet::Instant> now = to_instant(now_ms);
    if (!now) return P2P_ERR_INVALID_ARGUMENT;
    return record_engine(c->connection->handle_timeout(*now));
  });
}

p2p_error_t p2p_conn_send(p2p_conn_t* c, const uint8_t* data, size_t length) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (c == nullptr || (data == nullptr && length > 0)) {
      return invalid("connection or data is NULL");
    }
    const p2pnet::Error error = c->connection->send(p2pnet::ByteSpan(data, length));
    // The engine refuses an empty message (kInvalidArgument); say why in C terms.
    if (error == p2pnet::Error::kInvalidArgument && length == 0) {
      return invalid(
          "an empty message cannot be sent (an empty frame is close_notify: use p2p_conn_close)");
    }
    return record_engine(error);
  });
}

p2p_error_t p2p_conn_close(p2p_conn_t* c) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (c == nullptr) return invalid("connection is NULL");
    return record_engine(c->connection->close());
  });
}

p2p_error_t p2p_conn_peek_transmit(p2p_conn_t* c, const uint8_t** data, size_t* length) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (data != nullptr) *data = nullptr;
    if (length != nullptr) *length = 0;
    if (c == nullptr || data == nullptr || length == nullptr) {
      return invalid("connection, data or length is NULL");
    }
    const p2pnet::ByteSpan view = c->connection->peek_transmit();
    if (!view.empty()) {
      *data = view.data();
      *length = view.size();
    }
    return ok();
  });
}

p2p_error_t p2p_conn_consume_transmit(p2p_conn_t* c, size_t n) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (c == nullptr) return invalid("connection is NULL");
    // The engine would count a larger n as the view's size; here it is a caller's
    // mistake (it cannot have written bytes it was not shown), refused unchanged.
    if (n > c->connection->peek_transmit().size()) {
      return invalid("n is larger than what p2p_conn_peek_transmit gives: nothing consumed");
    }
    c->connection->consume_transmit(n);
    return ok();
  });
}

p2p_conn_state_t p2p_conn_state(const p2p_conn_t* c) {
  return guard<p2p_conn_state_t>(P2P_STATE_FAILED, [&]() -> p2p_conn_state_t {
    if (c == nullptr) return invalid("connection is NULL"), P2P_STATE_FAILED;
    ok();
    switch (c->connection->state()) {
      case p2pnet::ConnectionState::kHandshaking: return P2P_STATE_HANDSHAKING;
      case p2pnet::ConnectionState::kEstablished: return P2P_STATE_ESTABLISHED;
      case p2pnet::ConnectionState::kClosed: return P2P_STATE_CLOSED;
      case p2pnet::ConnectionState::kFailed: return P2P_STATE_FAILED;
    }
    return P2P_STATE_FAILED;  // unreachable: every enumerator is listed
  });
}

// Like p2p_error_name, it leaves the thread's last error alone, so a caller may name
// a state while reporting an error.
const char* p2p_conn_state_name(p2p_conn_state_t state) {
  switch (state) {
    case P2P_STATE_HANDSHAKING: return "P2P_STATE_HANDSHAKING";
    case P2P_STATE_ESTABLISHED: return "P2P_STATE_ESTABLISHED";
    case P2P_STATE_CLOSED: return "P2P_STATE_CLOSED";
    case P2P_STATE_FAILED: return "P2P_STATE_FAILED";
  }
  return "P2P_STATE_UNKNOWN";
}

int p2p_conn_release_buffers(p2p_conn_t* c) {
  return guard<int>(0, [&]() -> int {
    if (c == nullptr) return invalid("connection is NULL"), 0;
    ok();
    return c->connection->release_idle_buffers() ? 1 : 0;
  });
}

const uint8_t* p2p_conn_peer_public_key(const p2p_conn_t* c) {
  return guard<const uint8_t*>(nullptr, [&]() -> const uint8_t* {
    if (c == nullptr) return invalid("connection is NULL"), nullptr;
    const p2pnet::PublicKey* peer = c->connection->peer_identity();
    if (peer == nullptr) {
      return set_error(P2P_ERR_STATE, "the handshake has not completed"), nullptr;
    }
    ok();
    return peer->bytes.data();
  });
}

p2p_error_t p2p_conn_error(const p2p_conn_t* c) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (c == nullptr) return invalid("connection is NULL");
    return record_engine(c->connection->error());
  });
}

void p2p_conn_free(p2p_conn_t* c) {
  // The engine's keys and buffers and the identity copy wipe themselves (Secret,
  // ByteBuffer); the allow-list holds public keys only.
  delete c;
  ok();
}

}  // extern "C"
