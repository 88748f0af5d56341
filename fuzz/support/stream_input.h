// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// stream_input.h: the input layout and feed loop of the targets that hand one
// endpoint a byte stream (server_connection, client_connection, channel_frames):
//
//   [options] [chunk] [stream...]
//
// |options| is a byte of flags. The connection targets read bits 3 to 6 the same way
// (kEcho .. kSlow below) and keep bits 0-2 and 7 for their own choices; the channel
// target has its own bits. The stream arrives |chunk| bytes at a time, 0 meaning all
// at once.
#ifndef P2PNET_FUZZ_SUPPORT_STREAM_INPUT_H_
#define P2PNET_FUZZ_SUPPORT_STREAM_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "p2pnet/config.h"
#include "p2pnet/internal/bytes.h"
#include "support/connection_driver.h"

namespace p2pnet::fuzz {

struct StreamInput {
  std::uint8_t options = 0;
  std::size_t chunk = 1;  // never 0: "all at once" is the size of the whole input
  ByteSpan stream;

  bool has(std::uint8_t flag) const { return (options & flag) != 0; }
};

// parse_stream_input splits |data| into the header and the stream; nullopt when the
// input is shorter than the two header bytes.
std::optional<StreamInput> parse_stream_input(const std::uint8_t* data, std::size_t size);

// for_each_chunk calls |f| with consecutive pieces of |stream|, |chunk| bytes each
// (the last may be shorter).
template <typename F>
void for_each_chunk(ByteSpan stream, std::size_t chunk, F&& f) {
  for (std::size_t offset = 0; offset < stream.size(); offset += chunk) {
    f(stream.subspan(offset, std::min(chunk, stream.size() - offset)));
  }
}

// The options every connection target reads from the same bits.
inline constexpr std::uint8_t kEcho = 1u << 3;         // send every message received back
inline constexpr std::uint8_t kEndOfStream = 1u << 4;  // the stream ends after the input
inline constexpr std::uint8_t kSmallLimit = 1u << 5;   // a 64-byte message limit
// kSlow: each chunk a second after the last, the idle buffers released in between.
inline constexpr std::uint8_t kSlow = 1u << 6;

// apply_channel_options sets what kSmallLimit asks for in |channel|.
void apply_channel_options(const StreamInput& input, ChannelConfig& channel);

// feed_connection delivers the stream to |driver|'s connection chunk by chunk,
// starting at time 0, as kEcho, kEndOfStream and kSlow ask; with |close_after_peer|
// it closes once the peer's close_notify arrived.
void feed_connection(ConnectionDriver& driver, const StreamInput& input, bool close_after_peer);

}  // namespace p2pnet::fuzz

#endif  // P2PNET_FUZZ_SUPPORT_STREAM_INPUT_H_
