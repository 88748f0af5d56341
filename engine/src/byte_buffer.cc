// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/byte_buffer.h"

#include <sodium.h>

#include <algorithm>

namespace p2pnet {

ByteBuffer::~ByteBuffer() { wipe(); }

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(std::move(other.data_)), capacity_(other.capacity_) {
  other.capacity_ = 0;
}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    capacity_ = other.capacity_;
    other.capacity_ = 0;
  }
  return *this;
}

void ByteBuffer::reserve(std::size_t capacity, std::size_t keep) {
  if (capacity <= capacity_) return;
  // make_unique_for_overwrite: no zero fill of bytes that are about to be written.
  auto grown = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
  std::copy_n(data_.get(), std::min(keep, capacity_), grown.get());
  wipe();
  data_ = std::move(grown);
  capacity_ = capacity;
}

void ByteBuffer::release() {
  wipe();
  data_.reset();
  capacity_ = 0;
}

void ByteBuffer::wipe() {
  if (data_) sodium_memzero(data_.get(), capacity_);
}

}  // namespace p2pnet
