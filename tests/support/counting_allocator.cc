// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Replacement global operator new/delete. Each block carries a small header in front
// of the caller's bytes holding the requested size and the header's length, so
// delete subtracts exactly what new added, whichever delete overload the caller uses,
// and live bytes do not depend on how the C allocator rounds or reuses chunks.
#include "counting_allocator.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#ifdef P2PNET_HAVE_OPENSSL_AEAD
#include <openssl/crypto.h>
#endif

namespace p2pnet::testing {
namespace {

std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::int64_t> g_live_bytes{0};
std::atomic<std::int64_t> g_peak_bytes{0};

// Per thread (trivial types: no constructor runs inside operator new): this thread's
// count, and the armed failure of FailAllocation.
thread_local std::uint64_t t_allocations = 0;
thread_local std::uint64_t t_fail_countdown = 0;  // 0: nothing armed
thread_local bool t_fail_fired = false;
thread_local int t_fail_paused = 0;

// chosen_to_fail counts one allocation towards an armed failure; true for the one
// that is to fail.
bool chosen_to_fail() noexcept {
  if (t_fail_countdown == 0 || t_fail_paused != 0) return false;
  if (--t_fail_countdown != 0) return false;
  t_fail_fired = true;
  return true;
}

struct BlockHeader {
  std::size_t size;    // bytes the caller asked for
  std::size_t offset;  // distance from the malloc'd pointer to the caller's pointer
};

constexpr std::size_t kDefaultAlignment = alignof(std::max_align_t);

void* counted_allocate(std::size_t size, std::size_t alignment) noexcept {
  if (chosen_to_fail()) return nullptr;
  if (alignment < kDefaultAlignment) alignment = kDefaultAlignment;
  // Aligned by hand rather than with aligned_alloc, which the Windows C runtime lacks:
  // the caller's pointer is the first |alignment| boundary with room for the header.
  if (size > SIZE_MAX - sizeof(BlockHeader) - alignment) return nullptr;
  auto* raw = static_cast<unsigned char*>(std::malloc(size + sizeof(BlockHeader) + alignment - 1));
  if (raw == nullptr) return nullptr;
  const std::uintptr_t first = reinterpret_cast<std::uintptr_t>(raw) + sizeof(BlockHeader);
  const std::size_t offset = sizeof(BlockHeader) + (alignment - first % alignment) % alignment;
  unsigned char* user = raw + offset;
  const BlockHeader header{size, offset};
  std::memcpy(user - sizeof(BlockHeader), &header, sizeof header);
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  ++t_allocations;
  const std::int64_t live =
      g_live_bytes.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed) +
      static_cast<std::int64_t>(size);
  std::int64_t peak = g_peak_bytes.load(std::memory_order_relaxed);
  while (live > peak &&
         !g_peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
  return user;
}

void counted_free(void* pointer) noexcept {
  if (pointer == nullptr) return;
  auto* user = static_cast<unsigned char*>(pointer);
  BlockHeader header{};
  std::memcpy(&header, user - sizeof(BlockHeader), sizeof header);
  g_live_bytes.fetch_sub(static_cast<std::int64_t>(header.size), std::memory_order_relaxed);
  std::free(user - header.offset);
}

void* allocate_or_throw(std::size_t size, std::size_t alignment) {
  void* pointer = counted_allocate(size, alignment);
  if (pointer == nullptr) throw std::bad_alloc();
  return pointer;
}

#ifdef P2PNET_HAVE_OPENSSL_AEAD
// libcrypto's allocation hooks, on the same counted blocks as operator new.
void* libcrypto_malloc(std::size_t size, const char*, int) {
  return counted_allocate(size, kDefaultAlignment);
}
void libcrypto_free(void* pointer, const char*, int) { counted_free(pointer); }
void* libcrypto_realloc(void* pointer, std::size_t size, const char* file, int line) {
  if (pointer == nullptr) return libcrypto_malloc(size, file, line);
  if (size == 0) {
    counted_free(pointer);
    return nullptr;
  }
  BlockHeader old{};
  std::memcpy(&old, static_cast<unsigned char*>(pointer) - sizeof(BlockHeader), sizeof old);
  void* moved = counted_allocate(size, kDefaultAlignment);
  if (moved == nullptr) return nullptr;  // the old block stays, as realloc leaves it
  std::memcpy(moved, pointer, old.size < size ? old.size : size);
  counted_free(pointer);
  return moved;
}
#endif

}  // namespace

bool count_libcrypto_allocations() {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  return CRYPTO_set_mem_functions(libcrypto_malloc, libcrypto_realloc, libcrypto_free) == 1;
#else
  return false;
#endif
}

HeapCounts heap_counts() {
  return {g_allocations.load(std::memory_order_relaxed),
          g_live_bytes.load(std::memory_order_relaxed),
          g_peak_bytes.load(std::memory_order_relaxed)};
}

void reset_peak() {
  g_peak_bytes.store(g_live_bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

std::uint64_t thread_allocations() { return t_allocations; }

FailAllocation::FailAllocation(std::uint64_t n) {
  t_fail_countdown = n;
  t_fail_fired = false;
}
FailAllocation::~FailAllocation() { t_fail_countdown = 0; }
bool FailAllocation::fired() const { return t_fail_fired; }

PauseFailAllocation::PauseFailAllocation() { ++t_fail_paused; }
PauseFailAllocation::~PauseFailAllocation() { --t_fail_paused; }

AllocationScope::AllocationScope() {
  reset_peak();
  start_ = heap_counts();
}

std::uint64_t AllocationScope::allocations() const {
  return heap_counts().allocations - start_.allocations;
}

std::int64_t AllocationScope::peak_growth() const {
  return heap_counts().peak_bytes - start_.live_bytes;
}

}  // namespace p2pnet::testing

using p2pnet::testing::allocate_or_throw;
using p2pnet::testing::counted_allocate;
using p2pnet::testing::counted_free;

constexpr std::size_t kPlain = 0;  // "no extra alignment": counted_allocate raises it

// NOLINTBEGIN: the replaceable allocation functions keep their standard signatures.
void* operator new(std::size_t size) { return allocate_or_throw(size, kPlain); }
void* operator new[](std::size_t size) { return allocate_or_throw(size, kPlain); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_allocate(size, kPlain);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_allocate(size, kPlain);
}
void* operator new(std::size_t size, std::align_val_t align) {
  return allocate_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return allocate_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_allocate(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_allocate(size, static_cast<std::size_t>(align));
}

void operator delete(void* pointer) noexcept { counted_free(pointer); }
void operator delete[](void* pointer) noexcept { counted_free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { counted_free(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { counted_free(pointer); }
void operator delete(void* pointer, const std::nothrow_t&) noexcept { counted_free(pointer); }
void operator delete[](void* pointer, const std::nothrow_t&) noexcept { counted_free(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { counted_free(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { counted_free(pointer); }
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept {
  counted_free(pointer);
}
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept {
  counted_free(pointer);
}
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
  counted_free(pointer);
}
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
  counted_free(pointer);
}
// NOLINTEND
