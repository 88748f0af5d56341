// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// properties_main.cc: GoogleTest main for the properties. It gives RapidCheck a
// CI-sized number of cases per property unless RC_PARAMS already names one, so
//   RC_PARAMS="max_success=10000" ctest -L properties
// runs the long version and RC_PARAMS="reproduce=..." replays a failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

// Enough for CI on two cores under ASan+UBSan; docs/testing.md has the timings.
constexpr const char* kDefaultCases = "max_success=300";

void set_default_case_count() {
  const char* current = std::getenv("RC_PARAMS");
  std::string params = current != nullptr ? current : "";
  if (params.find("max_success") != std::string::npos) return;
  params = params.empty() ? kDefaultCases : std::string(kDefaultCases) + " " + params;
  setenv("RC_PARAMS", params.c_str(), 1);
}

}  // namespace

int main(int argc, char** argv) {
  set_default_case_count();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
