// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Replaces every non-aligned form of global operator new/delete for this test binary.
// Each block carries a 16-byte header with the requested size (16 keeps the
// alignment malloc gives), so live bytes are exact and do not depend on how the C
// allocator rounds or reuses chunks. The counters are plain globals: the properties
// run on one thread, and this is test code, not the engine.
#include "counting_allocator.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace {

p2pnet::testing::AllocationCounters g_counters;

constexpr std::size_t kHeader = 16;

void* counted_alloc(std::size_t size) {
  auto* block = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (block == nullptr) return nullptr;
  std::memcpy(block, &size, sizeof size);
  ++g_counters.allocations;
  g_counters.live_bytes += size;
  if (g_counters.live_bytes > g_counters.peak_bytes) g_counters.peak_bytes = g_counters.live_bytes;
  return block + kHeader;
}

void counted_free(void* p) {
  if (p == nullptr) return;
  unsigned char* block = static_cast<unsigned char*>(p) - kHeader;
  std::size_t size = 0;
  std::memcpy(&size, block, sizeof size);
  g_counters.live_bytes -= size;
  std::free(block);
}

}  // namespace

void* operator new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

namespace p2pnet::testing {

AllocationCounters allocation_counters() { return g_counters; }

void reset_peak() { g_counters.peak_bytes = g_counters.live_bytes; }

AllocationScope::AllocationScope() {
  reset_peak();
  start_ = g_counters;
}

std::size_t AllocationScope::allocations() const {
  return g_counters.allocations - start_.allocations;
}

std::size_t AllocationScope::peak_growth() const {
  return g_counters.peak_bytes - start_.live_bytes;
}

}  // namespace p2pnet::testing
