// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "asio_harness.h"

#include <gtest/gtest.h>

#include <asio/buffer.hpp>
#include <utility>

namespace p2pnet::loops {
namespace {

asio::ip::tcp::endpoint loopback(std::uint16_t port) {
  return {asio::ip::make_address_v4("127.0.0.1"), port};
}

}  // namespace

AsioHarness::~AsioHarness() {
  close_everything();
  io_.restart();
  io_.run_for(std::chrono::seconds(2));  // lets aborted connections finish and post on_closed
  conns_.clear();
}

std::uint16_t AsioHarness::listen() {
  acceptor_.open(asio::ip::tcp::v4());
  acceptor_.bind(loopback(0));
  acceptor_.listen(8);
  return acceptor_.local_endpoint().port();
}

std::uint16_t AsioHarness::serve(const ServerConfig& config, Callbacks callbacks, Options options) {
  const std::uint16_t port = listen();
  acceptor_.async_accept([this, &config, callbacks = std::move(callbacks), options](
                             const std::error_code& ec, asio::ip::tcp::socket socket) mutable {
    ASSERT_FALSE(ec) << ec.message();
    auto conn = AsioConnection::accept(std::move(socket), config, std::move(callbacks), options);
    if (conn != nullptr) {
      conns_.push_back(std::move(conn));
    } else {
      ++refused_accepts_;
    }
    acceptor_.close();  // one connection per test
  });
  return port;
}

std::uint16_t AsioHarness::serve_silently() {
  const std::uint16_t port = listen();
  acceptor_.async_accept(raw_, [this](const std::error_code& ec) {
    ASSERT_FALSE(ec) << ec.message();
    acceptor_.close();
    read_raw();
  });
  return port;
}

bool AsioHarness::connect(std::uint16_t port, const ClientConfig& config, Callbacks callbacks,
                          Options options) {
  auto conn = AsioConnection::connect(io_, loopback(port), config, std::move(callbacks), options);
  if (conn == nullptr) return false;
  conns_.push_back(std::move(conn));
  return true;
}

void AsioHarness::connect_silently(std::uint16_t port) {
  raw_.async_connect(loopback(port), [this](const std::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    ASSERT_FALSE(ec) << ec.message();
    read_raw();
  });
}

void AsioHarness::read_raw() {
  raw_.async_read_some(asio::buffer(raw_buffer_), [this](const std::error_code& ec, std::size_t n) {
    raw_received_.insert(raw_received_.end(), raw_buffer_.begin(),
                         raw_buffer_.begin() + static_cast<std::ptrdiff_t>(n));
    if (ec) {
      raw_eof_ = ec == asio::error::eof;
      std::error_code ignored;
      raw_.close(ignored);
      return;
    }
    read_raw();
  });
}

std::uint16_t AsioHarness::closed_port() {
  asio::ip::tcp::acceptor probe(io_, loopback(0));
  return probe.local_endpoint().port();  // closes when |probe| goes out of scope
}

bool AsioHarness::run(Duration limit) {
  io_.restart();
  io_.run_for(limit);
  if (io_.stopped()) return true;  // ran out of work on its own
  close_everything();
  return false;
}

void AsioHarness::poll() {
  io_.restart();  // a context that ran out of work stays stopped until restarted
  io_.poll();
}

void AsioHarness::close_everything() {
  for (const auto& conn : conns_) conn->abort();
  std::error_code ignored;
  acceptor_.close(ignored);
  raw_.close(ignored);
}

}  // namespace p2pnet::loops
