// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// example_cli.h: what the example programs share: the plan's banner, the short form
// of a public key the plan prints, strict parsing of numeric flags (a typo must
// fail, not silently become 0), and the escaping of a peer's text before printing.
#ifndef P2PNET_EXAMPLES_EXAMPLE_CLI_H_
#define P2PNET_EXAMPLES_EXAMPLE_CLI_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
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

// printable shows bytes from the peer for a terminal or log: printable ASCII (0x20
// to 0x7E) as it is, every other byte as \xNN, so the peer cannot send terminal
// escape sequences (set the title, clear the screen, move the cursor), end the line
// early or hide text behind a carriage return. UTF-8 text shows as its \xNN bytes:
// the simple rule is the safe one. A backslash stays as it is, so plain text reads
// the same as typed (and a literal "\x41" looks like an escape: this is for showing,
// not a reversible encoding). At most |max_shown| bytes are shown, followed by
// "... (N bytes)" for a longer message, so a log line stays bounded.
inline std::string printable(std::span<const std::uint8_t> bytes,
                             std::size_t max_shown = std::numeric_limits<std::size_t>::max()) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < bytes.size() && i < max_shown; ++i) {
    const std::uint8_t c = bytes[i];
    if (c >= 0x20 && c <= 0x7e) {
      text.push_back(static_cast<char>(c));
    } else {
      text += "\\x";
      text.push_back(kHex[c >> 4]);
      text.push_back(kHex[c & 0x0f]);
    }
  }
  if (bytes.size() > max_shown) text += "... (" + std::to_string(bytes.size()) + " bytes)";
  return text;
}

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
