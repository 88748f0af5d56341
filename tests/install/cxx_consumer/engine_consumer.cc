// A consumer of the installed p2pnet::engine: completes a handshake between two engines
// in memory (tests/install/cxx_consumer).
#include <p2pnet/connection.h>
#include <sodium.h>

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
  bool got_message = false;
  // step moves what one side has to send to the other and pulls the events.
  auto step = [&](p2pnet::Connection& from, p2pnet::Connection& to) {
    const std::size_t n = from.poll_transmit(buffer);
    if (n > 0 && to.handle_bytes(p2pnet::ByteSpan(buffer, n), p2pnet::Instant{0}).error !=
                     p2pnet::Error::kNone) {
      return false;
    }
    while (auto event = to.poll_event()) {
      if (event->type == p2pnet::EventType::kMessage) {
        got_message = event->message.size() == 4 && event->message[0] == 'p';
      }
    }
    return true;
  };
  for (int i = 0; i < 3; ++i) {
    if (!step(client, server) || !step(server, client)) return 1;
  }
  if (!client.is_established() || !server.is_established()) return 1;
  static const std::uint8_t kPing[] = {'p', 'i', 'n', 'g'};
  if (client.send(kPing) != p2pnet::Error::kNone || !step(client, server)) return 1;
  return got_message ? 0 : 1;
}
