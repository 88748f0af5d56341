// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/errors.h"

namespace p2pnet {
namespace {

struct ErrorEntry {
  std::string_view name;
  ErrorCategory category;
  WireErrorCode wire;
  std::string_view message;
};

constexpr ErrorEntry kErrorEntries[] = {
#define P2PNET_ERROR_ENTRY(name, category, wire, message) \
  {std::string_view(#name).substr(1), ErrorCategory::category, WireErrorCode::wire, message},
    P2PNET_ERROR_LIST(P2PNET_ERROR_ENTRY)
#undef P2PNET_ERROR_ENTRY
};

const ErrorEntry& entry(Error error) { return kErrorEntries[static_cast<std::size_t>(error)]; }

}  // namespace

std::string_view error_name(Error error) { return entry(error).name; }
std::string_view error_message(Error error) { return entry(error).message; }
ErrorCategory error_category(Error error) { return entry(error).category; }
WireErrorCode wire_code_for(Error error) { return entry(error).wire; }

Error error_from_wire_code(WireErrorCode code) {
  switch (code) {
    case WireErrorCode::kMalformed: return Error::kPeerAbortMalformed;
    case WireErrorCode::kAuthenticationFailed: return Error::kPeerAbortAuthenticationFailed;
    case WireErrorCode::kIdentityNotAccepted: return Error::kPeerAbortNotAccepted;
    case WireErrorCode::kTimeout: return Error::kPeerAbortTimeout;
    case WireErrorCode::kReplayedChallenge: return Error::kPeerAbortReplayedChallenge;
    case WireErrorCode::kInternal: return Error::kPeerAbortInternal;
    case WireErrorCode::kNone: break;
  }
  // kNone is never on the wire (the codec rejects it): an undefined code.
  return Error::kPeerAbortUnknownCode;
}

}  // namespace p2pnet
