// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// example_cli.h: what the example programs share: the plan's banner, the short form
// of a public key the plan prints, and strict parsing of numeric flags (a typo must
// fail, not silently become 0).
#ifndef P2PNET_EXAMPLES_EXAMPLE_CLI_H_
#define P2PNET_EXAMPLES_EXAMPLE_CLI_H_

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "p2pnet/identity.h"

namespace p2pnet::examples {

// line_buffer_stdout makes every log line reach a pipe or file at once, so scripts
// can wait for "Listening on port N". The Windows C runtime has no line buffering
// (and rejects a zero size for it), so output is unbuffered there.
inline void line_buffer_stdout() {
#ifdef _WIN32
  std::setvbuf(stdout, nullptr, _IONBF, 0);
#else
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
#endif
}

// print_banner prints the plan's three-line banner, title padded to 39 columns as in the plan.
inline void print_banner(const std::string& title) {
  std::string line = " " + title;
  if (line.size() < 39) line.append(39 - line.size(), ' ');
  std::printf("========================================\n%s\n========================================\n\n",
              line.c_str());
}

// short_key is the plan's abbreviation: the first 15 characters and "...".
inline std::string short_key(const PublicKey& key) { return encode_public_key(key).substr(0, 15) + "..."; }

// parse_unsigned accepts decimal digits only, up to |max|.
inline std::optional<unsigned long long> parse_unsigned(const std::string& text, unsigned long long max) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (value > max) return std::nullopt;
  return value;
}

// parse_seconds accepts a positive decimal number of seconds ("10", "0.5") up to a day.
inline std::optional<std::chrono::milliseconds> parse_seconds(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end == nullptr || *end != '\0' || !(seconds > 0) || seconds > 86'400) return std::nullopt;
  const auto ms = static_cast<long long>(seconds * 1000.0 + 0.5);
  if (ms <= 0) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

}  // namespace p2pnet::examples

#endif  // P2PNET_EXAMPLES_EXAMPLE_CLI_H_
