// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// counting_allocator.h: the property binary replaces global operator new/delete with
// versions that count calls and live bytes (the sizes asked for), so the memory
// property can measure what the engine allocates while it reads input. Counting is
// always on; AllocationScope reads the counters around a piece of code.
#ifndef P2PNET_TESTS_PROPERTIES_COUNTING_ALLOCATOR_H_
#define P2PNET_TESTS_PROPERTIES_COUNTING_ALLOCATOR_H_

#include <cstddef>

namespace p2pnet::testing {

struct AllocationCounters {
  std::size_t allocations = 0;  // calls to operator new of any form
  std::size_t live_bytes = 0;   // bytes currently allocated through operator new
  std::size_t peak_bytes = 0;   // high-water mark of live_bytes since the last reset
};

AllocationCounters allocation_counters();
// reset_peak sets the high-water mark to the current live bytes.
void reset_peak();

// AllocationScope measures the allocations and the peak growth of live bytes between
// its construction and the call to allocations()/peak_growth().
class AllocationScope {
 public:
  AllocationScope();
  std::size_t allocations() const;
  std::size_t peak_growth() const;

 private:
  AllocationCounters start_;
};

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_PROPERTIES_COUNTING_ALLOCATOR_H_
