// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "stream_input.h"

namespace p2pnet::fuzz {

std::optional<StreamInput> parse_stream_input(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return std::nullopt;
  return StreamInput{data[0], data[1] == 0 ? size : data[1], ByteSpan(data + 2, size - 2)};
}

void apply_channel_options(const StreamInput& input, ChannelConfig& channel) {
  if (input.has(kSmallLimit)) channel.max_message_size = 64;
}

void feed_connection(ConnectionDriver& driver, const StreamInput& input, bool close_after_peer) {
  const Duration step = input.has(kSlow) ? Duration{1000} : Duration{0};
  Instant now{0};
  std::size_t echoed = 0;
  for_each_chunk(input.stream, input.chunk, [&](ByteSpan piece) {
    if (step.count() != 0) {
      // A second of quiet: the socket server would release the idle buffers.
      driver.release_idle();
      now += step;
      (void)driver.advance_to(now);
    }
    (void)driver.deliver(piece, now);
    while (input.has(kEcho) && echoed < driver.received().size()) {
      (void)driver.send(driver.received()[echoed++]);
    }
    if (close_after_peer && driver.peer_closed() && !driver.connection().sent_close()) {
      (void)driver.close();
    }
  });
  if (input.has(kEndOfStream)) (void)driver.deliver_eof(now);
}

}  // namespace p2pnet::fuzz
