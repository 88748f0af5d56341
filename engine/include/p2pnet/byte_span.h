// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// byte_span.h: the views of bytes that every engine call takes and returns. The
// engine never owns the memory behind them: input is read during the call, and a
// span the engine returns (a received message) is valid until the call documented
// beside it.
#ifndef P2PNET_BYTE_SPAN_H_
#define P2PNET_BYTE_SPAN_H_

#include <cstdint>
#include <span>

namespace p2pnet {

using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

}  // namespace p2pnet

#endif  // P2PNET_BYTE_SPAN_H_
