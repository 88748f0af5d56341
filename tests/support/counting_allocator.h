// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// counting_allocator.h: a binary that links the p2pnet_counting_allocator library
// (tests/support/CMakeLists.txt) has every form of the global operator new and delete
// replaced by versions that count calls and bytes (counting_allocator.cc). The
// allocation tests, the memory properties and the benchmarks read these counters to
// see what the engine allocates, which it does with new, and, with the OpenSSL AEAD
// backend, through libcrypto, which calls malloc: count_libcrypto_allocations() adds
// those. libsodium's own mallocs are not seen. The out-of-memory tests also make one
// chosen allocation fail (FailAllocation).
#ifndef P2PNET_TESTS_SUPPORT_COUNTING_ALLOCATOR_H_
#define P2PNET_TESTS_SUPPORT_COUNTING_ALLOCATOR_H_

#include <cstdint>

namespace p2pnet::testing {

struct HeapCounts {
  std::uint64_t allocations = 0;  // operator new calls of any form since the program started
  std::int64_t live_bytes = 0;    // bytes asked for and not yet deleted
  std::int64_t peak_bytes = 0;    // high-water mark of live_bytes since the last reset_peak()
};

// heap_counts returns the process-wide counters. They are relaxed atomics: exact when
// one thread allocates, which is how every test and benchmark that reads them runs.
HeapCounts heap_counts();
// reset_peak sets the high-water mark to the current live bytes.
void reset_peak();
// count_libcrypto_allocations routes libcrypto's malloc/realloc/free through the same
// counters (CRYPTO_set_mem_functions). It works only before libcrypto's first
// allocation, so call it from a static initialiser or at the start of main. Returns
// whether libcrypto is now counted: false in a build without the OpenSSL AEAD backend,
// or when libcrypto had already allocated.
bool count_libcrypto_allocations();

// thread_allocations: counted allocations made by the calling thread so far (the
// process-wide count mixes in other threads).
std::uint64_t thread_allocations();

// FailAllocation makes the n-th counted allocation of the calling thread from its
// construction on (1: the next one) fail, and only that one: operator new throws
// std::bad_alloc, the nothrow forms and libcrypto's malloc return null. Other threads
// are never hit. Its destructor disarms a failure that has not happened. Allocations
// made while a PauseFailAllocation is alive on the thread are not counted towards n
// (the test's own bookkeeping between two calls under test).
class FailAllocation {
 public:
  explicit FailAllocation(std::uint64_t n);
  ~FailAllocation();
  FailAllocation(const FailAllocation&) = delete;
  FailAllocation& operator=(const FailAllocation&) = delete;
  // fired: whether the chosen allocation has happened, and failed.
  bool fired() const;
};

class PauseFailAllocation {
 public:
  PauseFailAllocation();
  ~PauseFailAllocation();
  PauseFailAllocation(const PauseFailAllocation&) = delete;
  PauseFailAllocation& operator=(const PauseFailAllocation&) = delete;
};

// AllocationScope measures the allocations and the peak growth of live bytes between
// its construction and the call to allocations()/peak_growth().
class AllocationScope {
 public:
  AllocationScope();
  std::uint64_t allocations() const;
  std::int64_t peak_growth() const;

 private:
  HeapCounts start_;
};

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_SUPPORT_COUNTING_ALLOCATOR_H_
