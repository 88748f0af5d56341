// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// A C++ consumer of the installed p2pnet::libuv: an echo server and a client on one
// libuv loop over loopback (an ephemeral port). The client sends one message, checks
// the echo and closes; exits 0 when the echo came back, both sides closed without an
// error and the client authenticated the expected server.
#include <p2pnet/uv_connection.h>
#include <sodium.h>
#include <uv.h>

#include <cstdio>
#include <cstring>

namespace {

uv_tcp_t listener;
const p2pnet::ServerConfig* server_config = nullptr;
int closed = 0;
int errors = 0;
bool echoed = false;

void on_error(p2pnet::UvConnection&, p2pnet::Error error, int status) {
  std::printf("error: %s (libuv %d)\n", p2pnet::error_message(error).data(), status);
  ++errors;
}

void on_closed(p2pnet::UvConnection&) {
  if (++closed == 2) uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
}

}  // namespace

int main() {
  if (sodium_init() < 0) return 1;
  uv_loop_t* loop = uv_default_loop();
  auto client_identity = p2pnet::Identity::generate(p2pnet::system_random());
  auto server_identity = p2pnet::Identity::generate(p2pnet::system_random());
  p2pnet::ServerConfig sc;
  sc.identity = &*server_identity;
  server_config = &sc;
  p2pnet::ClientConfig cc;
  cc.identity = &*client_identity;
  cc.expected_server = server_identity->public_key();

  sockaddr_in address{};
  uv_ip4_addr("127.0.0.1", 0, &address);
  if (uv_tcp_init(loop, &listener) != 0 ||
      uv_tcp_bind(&listener, reinterpret_cast<const sockaddr*>(&address), 0) != 0) {
    return 1;
  }
  const int listening =
      uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 8, [](uv_stream_t* server, int status) {
        if (status < 0) return;
        p2pnet::UvCallbacks callbacks;
        callbacks.on_message = [](p2pnet::UvConnection& conn, p2pnet::ByteSpan message) {
          (void)conn.send(message);
        };
        callbacks.on_error = on_error;
        callbacks.on_closed = on_closed;
        if (p2pnet::UvConnection::accept(server, *server_config, callbacks) == nullptr) ++errors;
      });
  sockaddr_storage bound{};
  int length = sizeof bound;
  if (listening != 0 ||
      uv_tcp_getsockname(&listener, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return 1;
  }

  p2pnet::UvCallbacks callbacks;
  callbacks.on_established = [](p2pnet::UvConnection& conn) {
    static const std::uint8_t kPing[] = {'p', 'i', 'n', 'g'};
    if (conn.send(kPing) != p2pnet::Error::kNone) ++errors;
  };
  callbacks.on_message = [](p2pnet::UvConnection& conn, p2pnet::ByteSpan message) {
    echoed = message.size() == 4 && std::memcmp(message.data(), "ping", 4) == 0;
    if (conn.close() != p2pnet::Error::kNone) ++errors;
  };
  callbacks.on_error = on_error;
  callbacks.on_closed = on_closed;
  if (p2pnet::UvConnection::connect(loop, reinterpret_cast<const sockaddr*>(&bound), cc,
                                    callbacks) == nullptr) {
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  if (!echoed || errors != 0 || closed != 2) {
    std::printf("echoed %d, errors %d, closed %d\n", echoed, errors, closed);
    return 1;
  }
  std::printf("libuv consumer: handshake, echo and close_notify over loopback\n");
  return 0;
}
