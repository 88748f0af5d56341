// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// output.h: how the programs speak, in one of two styles.
//   kExample (08_generate_identity, 10_secure_server, 11_secure_client): the example
//     programs' documented lines exactly (docs/adapters.md "Running"), short keys, "[ERROR] ..." on
//     standard output.
//   kTool (the p2pnet tool, docs/cli.md): full 43-character keys, each log line
//     prefixed with a UTC ISO 8601 timestamp when standard output is not a terminal
//     (a file or a pipe keeps the time of every event), no banner, and failures on
//     standard error prefixed with the program name.
// Text from a peer is always shown through printable(), so it cannot drive a terminal.
#ifndef P2PNET_TOOLS_COMMON_OUTPUT_H_
#define P2PNET_TOOLS_COMMON_OUTPUT_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "p2pnet/identity.h"

namespace p2pnet::tools {

enum class Style { kExample, kTool };

// printable shows bytes from the peer for a terminal or log: printable ASCII (0x20
// to 0x7E) as it is, every other byte as \xNN, so the peer cannot send terminal
// escape sequences (set the title, clear the screen, move the cursor), end the line
// early or hide text behind a carriage return. UTF-8 text shows as its \xNN bytes:
// the simple rule is the safe one. A backslash stays as it is, so plain text reads
// the same as typed (this is for showing, not a reversible encoding). At most
// |max_shown| bytes are shown, followed by "... (N bytes)" for a longer message, so
// a log line stays bounded.
std::string printable(std::span<const std::uint8_t> bytes,
                      std::size_t max_shown = std::numeric_limits<std::size_t>::max());

// utc_timestamp is the current time as "2026-01-31T12:34:56.789Z".
std::string utc_timestamp();

class Output {
 public:
  // |program| prefixes diagnostics in the tool style, e.g. "p2pnet serve".
  Output(Style style, std::string program);

  Style style() const { return style_; }
  // key: the short form of the examples ("vbX_SEj0gUskjRy...") or the full key.
  std::string key(const PublicKey& key) const;
  // banner prints the examples' three-line banner (example style only).
  void banner(const std::string& title) const;
  // line prints one log line on standard output (timestamped as described above).
  void line(const std::string& text) const;
  // blank prints the examples' empty separator lines (example style, or a terminal).
  void blank() const;
  // fail reports a runtime failure and returns exit status 1: "[ERROR] reason" on
  // standard output (example), or "PROGRAM: error: reason" on standard error (tool).
  int fail(const std::string& reason) const;
  // warn: "[WARN] text" as a log line (example) or "PROGRAM: warning: text" on stderr.
  void warn(const std::string& text) const;

 private:
  Style style_;
  std::string program_;
  bool timestamps_;
};

// LineBatch: while one exists on a thread, Output::line on that thread gathers its
// lines instead of writing each, and write() puts them out in one call, in the order
// they came (the destructor writes what is left). The echo server keeps one per worker
// and writes at the end of every pass of its loop, before the server waits again: a
// connection that lives for one handshake logs seven lines, and one write each was a
// third of the server's system calls (docs/benchmarks.md, "Loopback"). Every line of
// the thread goes through it, the library's log hook lines too, so the order holds.
class LineBatch {
 public:
  LineBatch();
  ~LineBatch();
  LineBatch(const LineBatch&) = delete;
  LineBatch& operator=(const LineBatch&) = delete;

  // write puts out this thread's gathered lines, if any, and flushes standard output.
  static void write();

 private:
  friend class Output;
  static constexpr std::size_t kWriteAt = 64 * 1024;  // written sooner past this much
  std::string lines_;
  LineBatch* outer_;
};

// line_buffer_stdout makes every log line reach a pipe or file at once, so scripts
// can wait for "Listening on port N". The Windows C runtime has no line buffering
// (and rejects a zero size for it), so output is unbuffered there.
void line_buffer_stdout();

}  // namespace p2pnet::tools

#endif  // P2PNET_TOOLS_COMMON_OUTPUT_H_
