// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// version.cc: p2p_version, the version this library was built as. It comes from the
// same generated header as the P2P_VERSION_* macros a caller compiles against, so a
// caller can detect a mismatched header and library by comparing the two.
#include "capi_internal.h"
#include "p2pnet.h"

extern "C" const char* p2p_version(void) {
  p2pnet::capi::ok();
  return P2P_VERSION_STRING;
}
