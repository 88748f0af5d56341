// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// NoiseHandshakePayload (internal/libp2p/handshake_payload.h): the few protobuf wire
// rules three length-delimited fields need, and nothing more.
#include "p2pnet/internal/libp2p/handshake_payload.h"

#include <cstdint>
#include <limits>

#include "p2pnet/internal/libp2p/varint.h"

namespace p2pnet::libp2p {
namespace {

// Protobuf wire types (the low three bits of a tag).
enum class WireType : std::uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

constexpr std::uint32_t kIdentityKeyField = 1;
constexpr std::uint32_t kIdentitySigField = 2;
constexpr std::uint32_t kExtensionsField = 4;
constexpr std::uint32_t kCerthashField = 1;
constexpr std::uint32_t kStreamMuxerField = 2;
// A protobuf varint is at most ten bytes (a negative int64); only skipped fields have them.
constexpr std::size_t kMaxProtobufVarintSize = 10;

struct Tag {
  std::uint32_t field = 0;
  std::uint8_t wire_type = 0;
};

std::uint32_t tag_of(std::uint32_t field, WireType type) {
  return (field << 3) | static_cast<std::uint32_t>(type);
}

// read_tag reads a strict varint tag: minimal, within 32 bits, field number not 0.
bool read_tag(ByteReader& reader, Tag* tag) {
  std::uint64_t value = 0;
  if (read_varint(reader, &value) != DecodeStatus::kOk ||
      value > std::numeric_limits<std::uint32_t>::max() || (value >> 3) == 0) {
    return false;
  }
  tag->field = static_cast<std::uint32_t>(value >> 3);
  tag->wire_type = static_cast<std::uint8_t>(value & 0x07);
  return true;
}

// read_length_delimited reads a strict varint length of at most |max| and the bytes.
bool read_length_delimited(ByteReader& reader, std::size_t max, ByteSpan* out) {
  std::uint64_t length = 0;
  if (read_varint(reader, &length) != DecodeStatus::kOk || length > max) return false;
  return reader.read_span(static_cast<std::size_t>(length), out);
}

// skip_field skips the value of an unknown field; groups and wire types 6 and 7 are
// refused (proto3 removed groups, and no libp2p message has one).
bool skip_field(ByteReader& reader, std::uint8_t wire_type) {
  ByteSpan skipped;
  switch (wire_type) {
    case static_cast<std::uint8_t>(WireType::kVarint):
      for (std::size_t i = 0; i < kMaxProtobufVarintSize; ++i) {
        std::uint8_t byte = 0;
        if (!reader.read_u8(&byte)) return false;
        if ((byte & 0x80) == 0) return true;
      }
      return false;
    case static_cast<std::uint8_t>(WireType::kFixed64): return reader.read_span(8, &skipped);
    case static_cast<std::uint8_t>(WireType::kLengthDelimited):
      return read_length_delimited(reader, reader.remaining(), &skipped);
    case static_cast<std::uint8_t>(WireType::kFixed32): return reader.read_span(4, &skipped);
    default: return false;
  }
}

bool is_length_delimited(const Tag& tag) {
  return tag.wire_type == static_cast<std::uint8_t>(WireType::kLengthDelimited);
}

bool parse_extensions(ByteSpan in, HandshakePayload* payload) {
  ByteReader reader(in);
  while (!reader.empty()) {
    Tag tag;
    if (!read_tag(reader, &tag)) return false;
    if (tag.field == kCerthashField || tag.field == kStreamMuxerField) {
      if (!is_length_delimited(tag)) return false;
      ByteSpan value;
      if (tag.field == kCerthashField) {
        if (payload->certhash_count == kMaxCerthashes ||
            !read_length_delimited(reader, kMaxCerthashSize, &value)) {
          return false;
        }
        ++payload->certhash_count;
      } else {
        if (payload->stream_muxer_count == kMaxStreamMuxers ||
            !read_length_delimited(reader, kMaxStreamMuxerSize, &value) || value.empty()) {
          return false;
        }
        payload->stream_muxers[payload->stream_muxer_count++] = value;
      }
    } else if (!skip_field(reader, tag.wire_type)) {
      return false;
    }
  }
  return true;
}

std::size_t field_size(std::size_t length) {
  return 1 + varint_size(static_cast<std::uint32_t>(length)) + length;
}

bool within_bounds(const HandshakePayload& payload) {
  if (payload.identity_key.size() > kMaxIdentityKeySize ||
      payload.identity_sig.size() > kMaxIdentitySigSize ||
      payload.stream_muxer_count > kMaxStreamMuxers) {
    return false;
  }
  for (std::size_t i = 0; i < payload.stream_muxer_count; ++i) {
    const ByteSpan muxer = payload.stream_muxers[i];
    if (muxer.empty() || muxer.size() > kMaxStreamMuxerSize) return false;
  }
  return true;
}

std::size_t extensions_body_size(const HandshakePayload& payload) {
  std::size_t size = 0;
  for (std::size_t i = 0; i < payload.stream_muxer_count; ++i) {
    size += field_size(payload.stream_muxers[i].size());
  }
  return size;
}

}  // namespace

std::optional<HandshakePayload> parse_handshake_payload(ByteSpan in) {
  HandshakePayload payload;
  bool seen_key = false;
  bool seen_sig = false;
  ByteReader reader(in);
  while (!reader.empty()) {
    Tag tag;
    if (!read_tag(reader, &tag)) return std::nullopt;
    switch (tag.field) {
      case kIdentityKeyField:
        if (seen_key || !is_length_delimited(tag) ||
            !read_length_delimited(reader, kMaxIdentityKeySize, &payload.identity_key)) {
          return std::nullopt;
        }
        seen_key = true;
        break;
      case kIdentitySigField:
        if (seen_sig || !is_length_delimited(tag) ||
            !read_length_delimited(reader, kMaxIdentitySigSize, &payload.identity_sig)) {
          return std::nullopt;
        }
        seen_sig = true;
        break;
      case kExtensionsField: {
        ByteSpan extensions;
        if (payload.has_extensions || !is_length_delimited(tag) ||
            !read_length_delimited(reader, reader.remaining(), &extensions) ||
            !parse_extensions(extensions, &payload)) {
          return std::nullopt;
        }
        payload.has_extensions = true;
        break;
      }
      default:
        if (!skip_field(reader, tag.wire_type)) return std::nullopt;
        break;
    }
  }
  return payload;
}

std::optional<std::size_t> handshake_payload_size(const HandshakePayload& payload) {
  if (!within_bounds(payload)) return std::nullopt;
  std::size_t size = 0;
  if (!payload.identity_key.empty()) size += field_size(payload.identity_key.size());
  if (!payload.identity_sig.empty()) size += field_size(payload.identity_sig.size());
  if (payload.has_extensions) size += field_size(extensions_body_size(payload));
  return size;
}

bool write_handshake_payload(ByteWriter& out, const HandshakePayload& payload) {
  if (!within_bounds(payload)) return false;
  const auto write_bytes_field = [&out](std::uint32_t field, ByteSpan value) {
    write_varint(out, tag_of(field, WireType::kLengthDelimited));
    write_varint(out, static_cast<std::uint32_t>(value.size()));
    out.write(value);
  };
  if (!payload.identity_key.empty()) write_bytes_field(kIdentityKeyField, payload.identity_key);
  if (!payload.identity_sig.empty()) write_bytes_field(kIdentitySigField, payload.identity_sig);
  if (payload.has_extensions) {
    write_varint(out, tag_of(kExtensionsField, WireType::kLengthDelimited));
    write_varint(out, static_cast<std::uint32_t>(extensions_body_size(payload)));
    for (std::size_t i = 0; i < payload.stream_muxer_count; ++i) {
      write_bytes_field(kStreamMuxerField, payload.stream_muxers[i]);
    }
  }
  return out.ok();
}

}  // namespace p2pnet::libp2p
