// A consumer of the installed package: completes a handshake between two engines.
#include <sodium.h>

#include <p2pnet/connection.h>

int main() {
  if (sodium_init() < 0) return 1;
  auto client_identity = p2pnet::Identity::generate(p2pnet::system_random());
  auto server_identity = p2pnet::Identity::generate(p2pnet::system_random());
  p2pnet::ClientConfig cc;
  cc.identity = &*client_identity;
  cc.expected_server = server_identity->public_key();
  p2pnet::ServerConfig sc;
  sc.identity = &*server_identity;
  auto client = p2pnet::Connection::client(cc, p2pnet::Instant{0});
  auto server = p2pnet::Connection::server(sc, p2pnet::Instant{0});
  std::uint8_t buffer[256];
  for (int i = 0; i < 3; ++i) {
    for (auto* pair : {&client, &server}) {
      auto& from = *pair;
      auto& to = pair == &client ? server : client;
      const std::size_t n = from.poll_transmit(buffer);
      if (n > 0 && to.handle_bytes(p2pnet::ByteSpan(buffer, n), p2pnet::Instant{0}).error !=
                       p2pnet::Error::kNone) {
        return 1;
      }
      while (to.poll_event()) {
      }
    }
  }
  return client.is_established() && server.is_established() ? 0 : 1;
}
