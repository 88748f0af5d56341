// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// capi_internal.h: what the C API's source files share and nothing outside the C API
// includes (the one exception is the fuzz target c_api_session, which builds keypairs
// from the fuzz fixtures and compares the engine's keys behind a p2p_conn_t). Not
// installed.
//   - the definitions behind the opaque types that more than one file touches;
//   - the calling thread's last-error slot and the helpers that set it;
//   - the one mapping from engine errors to p2p_error_t;
//   - guard(), which keeps C++ exceptions from crossing into C frames.
#ifndef P2PNET_CAPI_INTERNAL_H_
#define P2PNET_CAPI_INTERNAL_H_

#include <cstdint>
#include <new>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "p2pnet.h"
#include "p2pnet/connection.h"
#include "p2pnet/identity.h"
#include "p2pnet/random.h"
#include "p2pnet/replay_cache.h"

struct p2p_keypair {
  explicit p2p_keypair(p2pnet::Identity id) : identity(std::move(id)) {}
  p2pnet::Identity identity;  // wipes its secret key on destruction
};

struct p2p_replay_cache {
  explicit p2p_replay_cache(std::size_t capacity) : cache(capacity) {}
  p2pnet::ReplayCache cache;  // challenges are public: nothing here is secret
};

namespace p2pnet::capi {

// CRandom is the C random source of p2p_conn_options_t (p2p_random_fn) as the
// engine's RandomSource: P2P_OK is a fill, anything else a failure, which the engine
// turns into kRandomFailure. A C function cannot throw; should a C++ embedder's
// function throw anyway, the engine counts it as a failure too (random.h).
class CRandom final : public RandomSource {
 public:
  CRandom(p2p_random_fn fn, void* context) : fn_(fn), context_(context) {}
  [[nodiscard]] bool fill(std::span<std::uint8_t> out) override {
    if (out.empty()) return true;
    return fn_(context_, out.data(), out.size()) == P2P_OK;
  }

 private:
  p2p_random_fn fn_;
  void* context_;
};

}  // namespace p2pnet::capi

// p2p_conn owns everything its engine borrows (config.h: the identity and the
// allow-list are borrowed), so the caller may free its keypair and allow-list as soon
// as p2p_conn_client/server returns. The replay cache is the caller's (shared by
// design). `connection` is declared last so that it is destroyed first.
struct p2p_conn {
  explicit p2p_conn(p2pnet::Identity id) : identity(std::move(id)) {}
  p2pnet::Identity identity;               // a copy of the caller's keypair
  std::vector<p2pnet::PublicKey> allowed;  // a copy of the server's allow-list
  // The C hooks of p2p_conn_options_t, wrapped: the engine borrows these.
  p2pnet::LogHook log_hook;
  p2pnet::KeyLogHook key_log;
  // The C random source of p2p_conn_options_t, wrapped; empty: the system source.
  std::optional<p2pnet::capi::CRandom> random;
  std::optional<p2pnet::Connection> connection;
};

namespace p2pnet::capi {

// set_error records |code| and |message| as the calling thread's last error and
// returns |code|. It never allocates, so it cannot fail (capi_errors.cc). ok()
// records success; invalid() records P2P_ERR_INVALID_ARGUMENT.
p2p_error_t set_error(p2p_error_t code, std::string_view message) noexcept;
inline p2p_error_t ok() noexcept { return set_error(P2P_OK, ""); }
inline p2p_error_t invalid(const char* what) noexcept {
  return set_error(P2P_ERR_INVALID_ARGUMENT, what);
}

// from_engine maps an engine error to its C code: the only such mapping.
p2p_error_t from_engine(Error error) noexcept;
// record_engine records |error| with the engine's sentence for it and returns its code.
p2p_error_t record_engine(Error error) noexcept;

// ensure_sodium runs sodium_init once per process (thread-safe); on failure it records
// P2P_ERR_INTERNAL and returns false.
bool ensure_sodium() noexcept;

// guard runs |body|, the whole of a p2p_* function, and turns an escaping exception
// into a recorded error: P2P_ERR_OUT_OF_MEMORY for std::bad_alloc, P2P_ERR_INTERNAL
// for anything else. A function that returns p2p_error_t returns the recorded code,
// so its result and p2p_last_error() agree; any other returns |on_exception| (NULL,
// 0, -1: what the function documents for a failure). Every p2p_* function that
// allocates, builds a string or calls into C++ that may runs inside one.
template <typename Result, typename Body>
Result guard(Result on_exception, Body body) noexcept {
  p2p_error_t code = P2P_ERR_INTERNAL;
  try {
    return body();
  } catch (const std::bad_alloc&) {
    code = set_error(P2P_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (...) {
    code = set_error(P2P_ERR_INTERNAL, "internal error: an unexpected exception");
  }
  if constexpr (std::is_same_v<Result, p2p_error_t>) {
    return code;
  } else {
    (void)code;
    return on_exception;
  }
}

}  // namespace p2pnet::capi

#endif  // P2PNET_CAPI_INTERNAL_H_
