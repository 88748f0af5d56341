// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// parse.h: strict parsing of the programs' numeric options, shared by the p2pnet
// tool and the example programs. A typo must fail, not silently become 0.
#ifndef P2PNET_TOOLS_COMMON_PARSE_H_
#define P2PNET_TOOLS_COMMON_PARSE_H_

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

namespace p2pnet::tools {

// parse_unsigned accepts decimal digits only, up to |max|.
inline std::optional<unsigned long long> parse_unsigned(const std::string& text,
                                                        unsigned long long max) {
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (value > max) return std::nullopt;
  return value;
}

// parse_seconds accepts a positive decimal number of seconds ("10", "0.5") up to a day.
inline std::optional<std::chrono::milliseconds> parse_seconds(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string::npos)
    return std::nullopt;
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end == nullptr || *end != '\0' || !(seconds > 0) || seconds > 86'400) return std::nullopt;
  const long long ms = std::llround(seconds * 1000.0);
  if (ms <= 0) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

}  // namespace p2pnet::tools

#endif  // P2PNET_TOOLS_COMMON_PARSE_H_
