// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Replacement global operator new/delete for the benchmark binary. Each block carries
// a small header in front of the caller's bytes holding the requested size and the
// header's length, so delete can subtract exactly what new added without relying on
// the sized-delete overloads (which callers are free not to use).
#include "counting_allocator.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

namespace p2pnet::bench {
namespace {

std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::int64_t> g_live_bytes{0};

struct BlockHeader {
  std::size_t size;    // bytes the caller asked for
  std::size_t offset;  // distance from the malloc'd pointer to the caller's pointer
};

constexpr std::size_t kDefaultAlignment = alignof(std::max_align_t);
static_assert(sizeof(BlockHeader) <= kDefaultAlignment);

void* counted_allocate(std::size_t size, std::size_t alignment) noexcept {
  if (alignment < kDefaultAlignment) alignment = kDefaultAlignment;
  // The header fits in the first |alignment| bytes, so the caller's pointer stays aligned.
  const std::size_t offset = alignment;
  const std::size_t total = (size + offset + alignment - 1) / alignment * alignment;
  void* raw = alignment == kDefaultAlignment ? std::malloc(total) : std::aligned_alloc(alignment, total);
  if (raw == nullptr) return nullptr;
  auto* user = static_cast<unsigned char*>(raw) + offset;
  const BlockHeader header{size, offset};
  std::memcpy(user - sizeof(BlockHeader), &header, sizeof header);
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_live_bytes.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed);
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

}  // namespace

HeapCounts heap_counts() {
  return {g_allocations.load(std::memory_order_relaxed), g_live_bytes.load(std::memory_order_relaxed)};
}

}  // namespace p2pnet::bench

using p2pnet::bench::allocate_or_throw;
using p2pnet::bench::counted_allocate;
using p2pnet::bench::counted_free;

constexpr std::size_t kPlain = 0;  // "no extra alignment": counted_allocate raises it

// NOLINTBEGIN: the replaceable allocation functions keep their standard signatures.
void* operator new(std::size_t size) { return allocate_or_throw(size, kPlain); }
void* operator new[](std::size_t size) { return allocate_or_throw(size, kPlain); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_allocate(size, kPlain); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_allocate(size, kPlain); }
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
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept { counted_free(pointer); }
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept { counted_free(pointer); }
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(pointer); }
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(pointer); }
// NOLINTEND
