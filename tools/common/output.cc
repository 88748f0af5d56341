// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "output.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#ifdef _WIN32
#include <io.h>
#define P2PNET_ISATTY _isatty
#define P2PNET_FILENO _fileno
#else
#include <unistd.h>
#define P2PNET_ISATTY isatty
#define P2PNET_FILENO fileno
#endif

namespace p2pnet::tools {

std::string printable(std::span<const std::uint8_t> bytes, std::size_t max_shown) {
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

std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
#ifdef _WIN32
  gmtime_s(&utc, &seconds);
#else
  gmtime_r(&seconds, &utc);
#endif
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

Output::Output(Style style, std::string program)
    : style_(style),
      program_(std::move(program)),
      timestamps_(style == Style::kTool && P2PNET_ISATTY(P2PNET_FILENO(stdout)) == 0) {}

std::string Output::key(const PublicKey& key) const {
  const std::string text = encode_public_key(key);
  return style_ == Style::kExample ? text.substr(0, 15) + "..." : text;
}

void Output::banner(const std::string& title) const {
  if (style_ != Style::kExample) return;
  // The title is padded to 39 columns, as in docs/adapters.md "Running".
  std::string line = " " + title;
  if (line.size() < 39) line.append(39 - line.size(), ' ');
  std::printf(
      "========================================\n%s\n========================================\n\n",
      line.c_str());
}

namespace {
thread_local LineBatch* t_batch = nullptr;  // this thread's LineBatch, if any
}  // namespace

LineBatch::LineBatch() : outer_(t_batch) { t_batch = this; }

LineBatch::~LineBatch() {
  write();
  t_batch = outer_;
}

void LineBatch::write() {
  LineBatch* batch = t_batch;
  if (batch == nullptr || batch->lines_.empty()) return;
  std::fwrite(batch->lines_.data(), 1, batch->lines_.size(), stdout);
  std::fflush(stdout);
  batch->lines_.clear();
}

void Output::line(const std::string& text) const {
  std::string formatted = (timestamps_ ? utc_timestamp() + " " : std::string()) + text + "\n";
  if (LineBatch* batch = t_batch) {
    batch->lines_ += formatted;
    if (batch->lines_.size() >= LineBatch::kWriteAt) LineBatch::write();
    return;
  }
  std::fwrite(formatted.data(), 1, formatted.size(), stdout);
}

void Output::blank() const {
  if (!timestamps_) std::printf("\n");
}

int Output::fail(const std::string& reason) const {
  if (style_ == Style::kExample) {
    std::printf("[ERROR] %s\n", reason.c_str());
  } else {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: error: %s\n", program_.c_str(), reason.c_str());
  }
  return 1;
}

void Output::warn(const std::string& text) const {
  if (style_ == Style::kExample) {
    line("[WARN] " + text);
  } else {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: warning: %s\n", program_.c_str(), text.c_str());
  }
}

void line_buffer_stdout() {
#ifdef _WIN32
  std::setvbuf(stdout, nullptr, _IONBF, 0);
#else
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
#endif
}

}  // namespace p2pnet::tools
