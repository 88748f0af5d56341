// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "uv_harness.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace p2pnet::loops {
namespace {

uv_handle_t* as_handle(void* handle) { return static_cast<uv_handle_t*>(handle); }
uv_stream_t* as_stream(uv_tcp_t* tcp) { return reinterpret_cast<uv_stream_t*>(tcp); }

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  EXPECT_EQ(uv_ip4_addr("127.0.0.1", port, &addr), 0);
  return addr;
}

std::uint16_t port_of(const uv_tcp_t* tcp) {
  sockaddr_in addr{};
  int length = sizeof(addr);
  EXPECT_EQ(uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  return ntohs(addr.sin_port);
}

}  // namespace

UvHarness::UvHarness() {
  EXPECT_EQ(uv_loop_init(&loop_), 0);
  EXPECT_EQ(uv_timer_init(&loop_, &guard_), 0);
  guard_.data = this;
  uv_unref(as_handle(&guard_));  // the guard alone does not keep the loop running
}

UvHarness::~UvHarness() {
  close_everything();
  uv_close(as_handle(&guard_), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle was left open";
}

UvHarness::Callbacks UvHarness::track(Callbacks callbacks) {
  callbacks.on_closed = [this, inner = std::move(callbacks.on_closed)](Conn& conn) {
    if (inner) inner(conn);
    live_.erase(&conn);
  };
  return callbacks;
}

std::uint16_t UvHarness::listen() {
  EXPECT_EQ(uv_tcp_init(&loop_, &listener_), 0);
  listener_.data = this;
  listening_ = true;
  const sockaddr_in addr = loopback(0);
  EXPECT_EQ(uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
  EXPECT_EQ(uv_listen(as_stream(&listener_), 8, on_connection), 0);
  return port_of(&listener_);
}

std::uint16_t UvHarness::serve(const ServerConfig& config, Callbacks callbacks, Options options) {
  server_config_ = &config;
  server_callbacks_ = track(std::move(callbacks));
  server_options_ = options;
  return listen();
}

std::uint16_t UvHarness::serve_silently() {
  server_config_ = nullptr;
  return listen();
}

void UvHarness::on_connection(uv_stream_t* listener, int status) {
  auto* self = static_cast<UvHarness*>(listener->data);
  ASSERT_EQ(status, 0);
  if (self->server_config_ != nullptr) {
    Conn* conn = UvConnection::accept(listener, *self->server_config_, self->server_callbacks_,
                                      self->server_options_);
    if (conn != nullptr) {
      self->live_.insert(conn);
    } else {
      ++self->refused_accepts_;
    }
  } else {
    ASSERT_EQ(uv_tcp_init(&self->loop_, &self->raw_), 0);
    self->raw_.data = self;
    self->raw_open_ = true;
    ASSERT_EQ(uv_accept(listener, as_stream(&self->raw_)), 0);
    self->start_raw_read();
  }
  // One connection per test: close the listener so the loop can finish.
  self->listening_ = false;
  uv_close(as_handle(&self->listener_), nullptr);
}

bool UvHarness::connect(std::uint16_t port, const ClientConfig& config, Callbacks callbacks,
                        Options options) {
  const sockaddr_in addr = loopback(port);
  Conn* conn = UvConnection::connect(&loop_, reinterpret_cast<const sockaddr*>(&addr), config,
                                     track(std::move(callbacks)), options);
  if (conn == nullptr) return false;
  live_.insert(conn);
  return true;
}

void UvHarness::connect_silently(std::uint16_t port) {
  ASSERT_EQ(uv_tcp_init(&loop_, &raw_), 0);
  raw_.data = this;
  raw_open_ = true;
  raw_connect_.data = this;
  const sockaddr_in addr = loopback(port);
  ASSERT_EQ(uv_tcp_connect(&raw_connect_, &raw_, reinterpret_cast<const sockaddr*>(&addr),
                           [](uv_connect_t* request, int status) {
                             auto* self = static_cast<UvHarness*>(request->data);
                             if (status == UV_ECANCELED) return;
                             EXPECT_EQ(status, 0);
                             if (status == 0) self->start_raw_read();
                           }),
            0);
}

void UvHarness::start_raw_read() {
  const int rc = uv_read_start(
      as_stream(&raw_),
      [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
        auto* self = static_cast<UvHarness*>(handle->data);
        *buf = uv_buf_init(self->raw_buffer_.data(),
                           static_cast<unsigned int>(self->raw_buffer_.size()));
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<UvHarness*>(stream->data);
        if (nread > 0) {
          self->raw_received_.insert(self->raw_received_.end(), buf->base, buf->base + nread);
        } else if (nread < 0) {
          self->raw_eof_ = nread == UV_EOF;
          self->raw_open_ = false;
          uv_close(as_handle(&self->raw_), nullptr);
        }
      });
  EXPECT_EQ(rc, 0);
}

std::uint16_t UvHarness::closed_port() {
  uv_tcp_t probe;
  EXPECT_EQ(uv_tcp_init(&loop_, &probe), 0);
  const sockaddr_in addr = loopback(0);
  EXPECT_EQ(uv_tcp_bind(&probe, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
  const std::uint16_t port = port_of(&probe);
  uv_close(as_handle(&probe), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);  // finishes the close while |probe| is still in scope
  return port;
}

bool UvHarness::run(Duration limit) {
  timed_out_ = false;
  EXPECT_EQ(uv_timer_start(&guard_, on_guard, static_cast<std::uint64_t>(limit.count()), 0), 0);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_timer_stop(&guard_);
  return !timed_out_;
}

void UvHarness::poll() { uv_run(&loop_, UV_RUN_NOWAIT); }

void UvHarness::on_guard(uv_timer_t* timer) {
  auto* self = static_cast<UvHarness*>(timer->data);
  self->timed_out_ = true;
  self->close_everything();
}

void UvHarness::close_everything() {
  // abort() erases from live_ only later, in on_closed; iterate over a copy anyway.
  const std::vector<Conn*> live(live_.begin(), live_.end());
  for (Conn* conn : live) conn->abort();
  if (listening_) {
    listening_ = false;
    uv_close(as_handle(&listener_), nullptr);
  }
  if (raw_open_) {
    raw_open_ = false;
    uv_close(as_handle(&raw_), nullptr);
  }
}

}  // namespace p2pnet::loops
