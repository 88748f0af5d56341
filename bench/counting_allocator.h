// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// counting_allocator.h: the benchmark binary replaces the global operator new and
// delete (counting_allocator.cc) so a benchmark can report how many heap allocations
// the engine makes and how many heap bytes an object owns. It counts C++ allocations
// only: libsodium and OpenSSL call malloc directly and are not seen here, which is
// fine because the counters are reported for the engine, which allocates with new.
#ifndef P2PNET_BENCH_COUNTING_ALLOCATOR_H_
#define P2PNET_BENCH_COUNTING_ALLOCATOR_H_

#include <cstdint>

namespace p2pnet::bench {

struct HeapCounts {
  std::uint64_t allocations = 0;  // operator new calls since the program started
  std::int64_t live_bytes = 0;    // bytes requested and not yet deleted
};

// heap_counts returns the process-wide counters (relaxed atomics: exact when one
// thread allocates, which is how every benchmark here runs).
HeapCounts heap_counts();

}  // namespace p2pnet::bench

#endif  // P2PNET_BENCH_COUNTING_ALLOCATOR_H_
