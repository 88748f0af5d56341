// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// replay_main.cc: the standalone driver that turns a fuzz target into an ordinary
// test. It runs every file of the directories (or the files) named on the command
// line through LLVMFuzzerTestOneInput, in a fixed order, so a plain g++ build replays
// each corpus, including every input that once found a bug. It fails when it finds no
// input at all, so a missing or misnamed corpus cannot pass silently.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_in(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> inputs;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) inputs.push_back(entry.path());
    }
    std::sort(inputs.begin(), inputs.end());
  } else if (std::filesystem::is_regular_file(path)) {
    inputs.push_back(path);
  }
  return inputs;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& input : inputs_in(argv[i])) {
      std::ifstream file(input, std::ios::binary);
      if (!file) {
        std::fprintf(stderr, "replay: cannot read %s\n", input.string().c_str());
        return 1;
      }
      const std::vector<char> chars((std::istreambuf_iterator<char>(file)),
                                    std::istreambuf_iterator<char>());
      std::vector<std::uint8_t> bytes(chars.begin(), chars.end());
      // A failed invariant aborts inside the call; the name printed first says which.
      std::fprintf(stderr, "replay: %s\n", input.filename().string().c_str());
      (void)LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no input found\n");
    return 1;
  }
  std::printf("replay: %zu inputs ran clean\n", replayed);
  return 0;
}
