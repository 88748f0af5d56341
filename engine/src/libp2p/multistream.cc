// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// multistream-select 1.0 messages (internal/libp2p/multistream.h): varint length,
// then a line of text ending in '\n'.
#include "p2pnet/internal/libp2p/multistream.h"

#include <algorithm>

namespace p2pnet::libp2p {
namespace {

constexpr std::uint8_t kNewline = '\n';

}  // namespace

DecodeStatus parse_multistream_message(ByteSpan in, ByteSpan* text, std::size_t* consumed) {
  ByteReader reader(in);
  std::uint64_t length = 0;
  const DecodeStatus status = read_varint(reader, &length);
  if (status != DecodeStatus::kOk) {
    // A varint that is not finished within the first two bytes already means a length
    // over kMaxMultistreamMessage: refuse it without waiting for more.
    if (status == DecodeStatus::kNeedMore && in.size() >= 2) return DecodeStatus::kMalformed;
    return status;
  }
  if (length == 0 || length > kMaxMultistreamMessage) return DecodeStatus::kMalformed;
  const std::size_t header = in.size() - reader.remaining();
  ByteSpan body;
  if (!reader.read_span(static_cast<std::size_t>(length), &body)) {
    // The bytes that did arrive must not hold the newline before the last one.
    const ByteSpan partial = reader.read_up_to(reader.remaining());
    if (std::ranges::find(partial, kNewline) != partial.end()) return DecodeStatus::kMalformed;
    return DecodeStatus::kNeedMore;
  }
  const ByteSpan line = body.first(body.size() - 1);
  if (body.back() != kNewline || std::ranges::find(line, kNewline) != line.end()) {
    return DecodeStatus::kMalformed;
  }
  *text = line;
  *consumed = header + body.size();
  return DecodeStatus::kOk;
}

std::size_t multistream_message_size(std::string_view text) {
  const auto body = static_cast<std::uint32_t>(text.size() + 1);
  return varint_size(body) + body;
}

bool write_multistream_message(ByteWriter& out, std::string_view text) {
  if (text.size() >= kMaxMultistreamMessage || text.find('\n') != std::string_view::npos) {
    return false;
  }
  write_varint(out, static_cast<std::uint32_t>(text.size() + 1));
  for (const char c : text) out.write_u8(static_cast<std::uint8_t>(c));
  out.write_u8(kNewline);
  return out.ok();
}

bool text_equals(ByteSpan bytes, std::string_view text) {
  return std::ranges::equal(
      bytes, text, [](std::uint8_t b, char c) { return b == static_cast<std::uint8_t>(c); });
}

}  // namespace p2pnet::libp2p
