// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// hex.h: hex text <-> bytes for test vectors and readable failure messages.
#ifndef P2PNET_TESTS_SUPPORT_HEX_H_
#define P2PNET_TESTS_SUPPORT_HEX_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace p2pnet::testing {

std::string to_hex(std::span<const std::uint8_t> bytes);
// from_hex parses lower- or upper-case hex; nullopt on odd length or a bad digit.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_SUPPORT_HEX_H_
