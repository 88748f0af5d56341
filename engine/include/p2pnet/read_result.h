// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// read_result.h: what a handle_bytes call reports. "Need more bytes" is not an error:
// it is a result that consumed everything and reports kNone.
#ifndef P2PNET_READ_RESULT_H_
#define P2PNET_READ_RESULT_H_

#include <cstddef>

#include "p2pnet/errors.h"

namespace p2pnet {

// ReadResult: how much input a call consumed and the error state after it.
struct ReadResult {
  std::size_t consumed = 0;
  Error error = Error::kNone;
};

}  // namespace p2pnet

#endif  // P2PNET_READ_RESULT_H_
