// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// capi_idle_memory_test.cc: p2p_conn_release_buffers (p2pnet.h) measured with the
// counting allocator (tests/support/counting_allocator.h), which sees every operator
// new of the library and, with the OpenSSL AEAD backend, libcrypto's mallocs. An
// established connection that carried large messages holds buffers; once it is idle
// and released it holds exactly what it held when it was created (the p2p_conn_t
// and its copies of the caller's keys: no traffic buffer, no crypto context), and it
// carries messages both ways afterwards. A busy connection (output waiting, a
// message not taken, half a frame received) keeps everything and says so; a failed
// one gives its buffers back whatever it was doing.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "counting_allocator.h"
#include "p2pnet.h"

namespace {

using p2pnet::testing::heap_counts;

// From before libcrypto's first allocation, so its contexts are counted too.
const bool kLibcryptoCounted = p2pnet::testing::count_libcrypto_allocations();

constexpr std::size_t kLarge = 65536;  // a message that makes both buffers grow

std::int64_t live_bytes() { return heap_counts().live_bytes; }

// Link: a fixed buffer, so the test's own bookkeeping allocates nothing between
// the measurements.
struct Link {
  std::array<std::uint8_t, 2 * kLarge> bytes{};
  std::size_t size = 0;
};

class Side {
 public:
  explicit Side(p2p_conn_t* conn) : conn_(conn) {}
  Side(const Side&) = delete;
  Side& operator=(const Side&) = delete;
  ~Side() { p2p_conn_free(conn_); }

  p2p_conn_t* conn() const { return conn_; }
  int messages() const { return messages_; }
  bool last_message_was(std::size_t length, std::uint8_t fill) const {
    return last_length_ == length && last_fill_ == fill;
  }
  bool complete() const { return complete_; }

  // take moves all pending output onto |link|.
  void take(Link& link) {
    link.size +=
        p2p_conn_poll_transmit(conn_, link.bytes.data() + link.size, link.bytes.size() - link.size);
    ASSERT_EQ(p2p_conn_pending_transmit(conn_), 0u);
  }
  // feed offers link[0, n) and pulls every event; returns the feed's result.
  p2p_error_t feed(const Link& link, std::size_t n) {
    std::size_t offset = 0;
    for (;;) {
      std::size_t consumed = 0;
      const p2p_error_t rc = p2p_conn_feed(conn_, n == 0 ? nullptr : link.bytes.data() + offset,
                                           n - offset, 0, &consumed);
      offset += consumed;
      const int events = pull();
      if (rc != P2P_OK || offset == n || events == 0) return rc;
    }
  }
  int pull() {
    int n = 0;
    p2p_event_t event;
    while (p2p_conn_poll_event(conn_, &event) == 1) {
      ++n;
      if (event.type == P2P_EVENT_HANDSHAKE_COMPLETE) complete_ = true;
      if (event.type == P2P_EVENT_MESSAGE) {
        ++messages_;
        last_length_ = event.length;
        last_fill_ = event.data[event.length - 1];
      }
    }
    return n;
  }

 private:
  p2p_conn_t* conn_;
  int messages_ = 0;
  bool complete_ = false;
  std::size_t last_length_ = 0;
  std::uint8_t last_fill_ = 0;
};

// exchange moves everything each side has to send to the other, until quiet.
void exchange(Side& a, Side& b) {
  Link link;
  for (int round = 0; round < 6; ++round) {
    link.size = 0;
    a.take(link);
    if (link.size > 0) {
      EXPECT_EQ(b.feed(link, link.size), P2P_OK);
    }
    link.size = 0;
    b.take(link);
    if (link.size > 0) {
      EXPECT_EQ(a.feed(link, link.size), P2P_OK);
    }
  }
}

class CapiIdleMemory : public ::testing::Test {
 protected:
  // libcrypto keeps process-wide state from its first use on (providers, the
  // algorithm fetch caches), which no connection owns: one whole session with large
  // messages both ways first, so the measurements below see only the connections.
  static void SetUpTestSuite() {
    p2p_keypair_t* a = p2p_keypair_generate();
    p2p_keypair_t* b = p2p_keypair_generate();
    {
      Side client(p2p_conn_client(a, nullptr, 0));
      Side server(p2p_conn_server(b, nullptr, 0, 0));
      exchange(client, server);
      const std::vector<std::uint8_t> large(kLarge, 1);
      for (int i = 0; i < 3; ++i) {
        (void)p2p_conn_send(client.conn(), large.data(), large.size());
        (void)p2p_conn_send(server.conn(), large.data(), large.size());
        exchange(client, server);
        (void)p2p_conn_release_buffers(client.conn());
        (void)p2p_conn_release_buffers(server.conn());
      }
    }
    p2p_keypair_free(a);
    p2p_keypair_free(b);
  }
  void SetUp() override {
    client_kp_ = p2p_keypair_generate();
    server_kp_ = p2p_keypair_generate();
    ASSERT_NE(client_kp_, nullptr);
    ASSERT_NE(server_kp_, nullptr);
  }
  void TearDown() override {
    p2p_keypair_free(client_kp_);
    p2p_keypair_free(server_kp_);
  }
  p2p_keypair_t* client_kp_ = nullptr;
  p2p_keypair_t* server_kp_ = nullptr;
};

TEST_F(CapiIdleMemory, IdleEstablishedConnectionHoldsNoBuffersAfterRelease) {
  const std::vector<std::uint8_t> large_a(kLarge, 0xA1);
  const std::vector<std::uint8_t> large_b(kLarge, 0xB2);
  const std::vector<std::uint8_t> small(10, 0xC3);
  // Each side's own heap right after creation: the p2p_conn_t and its copies.
  const std::int64_t before_client = live_bytes();
  Side client(p2p_conn_client(client_kp_, p2p_keypair_public_key(server_kp_), 0));
  const std::int64_t client_created = live_bytes() - before_client;
  const std::int64_t before_server = live_bytes();
  Side server(p2p_conn_server(server_kp_, nullptr, 0, 0));
  const std::int64_t server_created = live_bytes() - before_server;
  ASSERT_NE(client.conn(), nullptr);
  ASSERT_NE(server.conn(), nullptr);
  const std::int64_t baseline = live_bytes();

  // Handshaking: the handshake lives inside the object; nothing to release.
  EXPECT_EQ(p2p_conn_release_buffers(client.conn()), 1);
  EXPECT_EQ(p2p_last_error(), P2P_OK);
  exchange(client, server);
  ASSERT_TRUE(client.complete() && server.complete());
  EXPECT_EQ(p2p_conn_state(client.conn()), P2P_STATE_ESTABLISHED);

  // Traffic both ways grows both sides' buffers.
  ASSERT_EQ(p2p_conn_send(client.conn(), large_a.data(), large_a.size()), P2P_OK);
  ASSERT_EQ(p2p_conn_send(server.conn(), large_b.data(), large_b.size()), P2P_OK);
  exchange(client, server);
  ASSERT_EQ(client.messages(), 1);
  ASSERT_EQ(server.messages(), 1);
  const std::int64_t busy = live_bytes() - baseline;
  EXPECT_GT(busy, static_cast<std::int64_t>(4 * kLarge));  // rx and tx on both sides

  // Idle: released, each side is back to what it held when created.
  EXPECT_EQ(p2p_conn_release_buffers(client.conn()), 1);
  EXPECT_LT(live_bytes() - baseline, busy);
  EXPECT_EQ(p2p_conn_release_buffers(server.conn()), 1);
  EXPECT_EQ(live_bytes(), baseline)
      << "client created with " << client_created << " bytes, server with " << server_created
      << "; busy they held " << busy << " more";

  // It works afterwards, both ways, and releases again.
  ASSERT_EQ(p2p_conn_send(client.conn(), small.data(), small.size()), P2P_OK);
  ASSERT_EQ(p2p_conn_send(server.conn(), large_b.data(), large_b.size()), P2P_OK);
  exchange(client, server);
  EXPECT_EQ(client.messages(), 2);
  EXPECT_EQ(server.messages(), 2);
  EXPECT_TRUE(server.last_message_was(small.size(), 0xC3));
  EXPECT_TRUE(client.last_message_was(large_b.size(), 0xB2));
  EXPECT_GT(live_bytes(), baseline);
  EXPECT_EQ(p2p_conn_release_buffers(client.conn()), 1);
  EXPECT_EQ(p2p_conn_release_buffers(server.conn()), 1);
  EXPECT_EQ(live_bytes(), baseline);

  // Closed both ways: released too, and still nothing held.
  ASSERT_EQ(p2p_conn_close(client.conn()), P2P_OK);
  ASSERT_EQ(p2p_conn_close(server.conn()), P2P_OK);
  exchange(client, server);
  EXPECT_EQ(p2p_conn_state(client.conn()), P2P_STATE_CLOSED);
  EXPECT_EQ(p2p_conn_release_buffers(client.conn()), 1);
  EXPECT_EQ(p2p_conn_release_buffers(server.conn()), 1);
  EXPECT_EQ(live_bytes(), baseline);
  std::printf("  created: client %lld, server %lld bytes; busy: %lld bytes more; libcrypto %s\n",
              static_cast<long long>(client_created), static_cast<long long>(server_created),
              static_cast<long long>(busy), kLibcryptoCounted ? "counted" : "not used");
}

TEST_F(CapiIdleMemory, BusyConnectionKeepsItsBuffersAndFailedOneGivesThemBack) {
  const std::vector<std::uint8_t> large(kLarge, 0x5A);
  Side client(p2p_conn_client(client_kp_, nullptr, 0));
  Side server(p2p_conn_server(server_kp_, nullptr, 0, 0));
  ASSERT_NE(client.conn(), nullptr);
  ASSERT_NE(server.conn(), nullptr);
  const std::int64_t baseline = live_bytes();
  exchange(client, server);
  ASSERT_TRUE(client.complete() && server.complete());

  // Output waiting: kept (0), and still sent whole afterwards.
  ASSERT_EQ(p2p_conn_send(client.conn(), large.data(), large.size()), P2P_OK);
  const std::int64_t queued = live_bytes();
  EXPECT_EQ(p2p_conn_release_buffers(client.conn()), 0);
  EXPECT_EQ(p2p_last_error(), P2P_OK);  // not an error: try again later
  EXPECT_EQ(live_bytes(), queued);
  EXPECT_EQ(p2p_conn_pending_transmit(client.conn()), kLarge + 20);
  Link link;
  client.take(link);

  // A message waiting to be taken: kept, and taken intact afterwards.
  std::size_t consumed = 0;
  ASSERT_EQ(p2p_conn_feed(server.conn(), link.bytes.data(), link.size, 0, &consumed), P2P_OK);
  EXPECT_EQ(p2p_conn_release_buffers(server.conn()), 0);
  EXPECT_EQ(server.pull(), 1);
  EXPECT_TRUE(server.last_message_was(kLarge, 0x5A));
  EXPECT_EQ(p2p_conn_release_buffers(server.conn()), 1);

  // Half a frame received: kept; the rest completes the message.
  ASSERT_EQ(p2p_conn_send(client.conn(), large.data(), large.size()), P2P_OK);
  link.size = 0;
  client.take(link);
  ASSERT_EQ(p2p_conn_feed(server.conn(), link.bytes.data(), link.size / 2, 0, &consumed), P2P_OK);
  EXPECT_EQ(p2p_conn_release_buffers(server.conn()), 0);
  ASSERT_EQ(p2p_conn_feed(server.conn(), link.bytes.data() + link.size / 2,
                          link.size - link.size / 2, 0, &consumed),
            P2P_OK);
  EXPECT_EQ(server.pull(), 1);
  EXPECT_EQ(server.messages(), 2);

  // Half a frame, then the stream ends: failed, and its buffers go all the same.
  ASSERT_EQ(p2p_conn_send(client.conn(), large.data(), large.size()), P2P_OK);
  link.size = 0;
  client.take(link);
  ASSERT_EQ(p2p_conn_feed(server.conn(), link.bytes.data(), link.size / 2, 0, &consumed), P2P_OK);
  EXPECT_EQ(p2p_conn_feed(server.conn(), nullptr, 0, 0, &consumed), P2P_ERR_CONNECTION_CLOSED);
  EXPECT_EQ(p2p_conn_state(server.conn()), P2P_STATE_FAILED);
  EXPECT_EQ(p2p_conn_release_buffers(server.conn()), 1);
  EXPECT_EQ(p2p_conn_release_buffers(client.conn()), 1);
  EXPECT_EQ(live_bytes(), baseline);
  EXPECT_EQ(p2p_conn_error(server.conn()), P2P_ERR_CONNECTION_CLOSED);  // unchanged

  EXPECT_EQ(p2p_conn_release_buffers(nullptr), 0);
  EXPECT_EQ(p2p_last_error(), P2P_ERR_INVALID_ARGUMENT);
}

}  // namespace
