// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// errors.h: the one table of error codes. Every failure the engine can report is a
// row of P2PNET_ERROR_LIST, with its category, the wire code sent to the peer when it
// ends a handshake (protocol-v1 "Error codes"), and a message that never contains a
// secret. Everything else (the enum, names, messages) is generated from the list.
#ifndef P2PNET_ERRORS_H_
#define P2PNET_ERRORS_H_

#include <cstdint>
#include <string_view>

namespace p2pnet {

// Who is at fault. Local misuse and remote misbehaviour are kept apart (h11's
// LocalProtocolError / RemoteProtocolError) so an embedder can tell a bug in its own
// code from a hostile or broken peer.
enum class ErrorCategory : std::uint8_t {
  kNone,       // not an error
  kLocal,      // the embedder used the API wrongly or asked for something refused
  kRemote,     // the peer sent bytes that break the protocol or fail authentication
  kPeerAbort,  // the peer ended the handshake with an Error message
  kTimeout,    // a deadline passed: the handshake's, or a started frame's
};

// Wire codes of the Error message (protocol-v1 "Error codes").
enum class WireErrorCode : std::uint8_t {
  kNone = 0x00,  // not sent: this failure ends the connection without an Error message
  kMalformed = 0x01,
  kAuthenticationFailed = 0x02,
  kIdentityNotAccepted = 0x03,
  kTimeout = 0x04,
  kReplayedChallenge = 0x05,
  kInternal = 0x06,
};

// X(name, category, wire code sent to the peer, message)
#define P2PNET_ERROR_LIST(X)                                                                   \
  X(kNone, kNone, kNone, "no error")                                                           \
  /* Local: misuse of the API, or a request the engine refuses. */                             \
  X(kInvalidArgument, kLocal, kNone, "invalid argument")                                       \
  X(kWrongState, kLocal, kNone, "operation not allowed in the current state")                  \
  X(kMessageTooLarge, kLocal, kNone, "message larger than the channel's maximum")              \
  X(kSendBufferFull, kLocal, kNone, "pending output is full; drain poll_transmit first")       \
  X(kCounterExhausted, kLocal, kNone, "send counter exhausted; open a new session")            \
  X(kAlreadyClosed, kLocal, kNone, "close_notify already sent; nothing more may be sent")      \
  X(kRandomFailure, kLocal, kInternal, "random source failed")                                 \
  X(kInternalError, kLocal, kInternal, "internal error: an engine invariant did not hold")     \
  X(kOutOfMemory, kLocal, kInternal, "out of memory")                                          \
  X(kHookFailed, kLocal, kInternal, "a log hook or key log threw an exception")                \
  X(kBadIdentityFile, kLocal, kNone, "identity file is malformed or corrupt")                  \
  X(kBadPublicKeyText, kLocal, kNone, "public key text is not a valid 43-character key")       \
  /* Remote: the peer broke the protocol. */                                                   \
  X(kMalformedMessage, kRemote, kMalformed, "malformed or unexpected handshake message")       \
  X(kAuthenticationFailed, kRemote, kAuthenticationFailed,                                     \
    "peer authentication failed (bad signature or bad key)")                                   \
  X(kPeerNotAllowed, kRemote, kIdentityNotAccepted, "peer identity not accepted")              \
  X(kReplayedChallenge, kRemote, kReplayedChallenge, "challenge was seen before")              \
  X(kConnectionClosed, kRemote, kNone, "peer closed the connection during the handshake")      \
  X(kTruncated, kRemote, kNone, "stream ended before close_notify (truncated)")                \
  X(kFrameTooLarge, kRemote, kNone, "frame length over the receiver's maximum")                \
  X(kFrameAuthFailed, kRemote, kNone, "frame failed authentication")                           \
  X(kDataAfterClose, kRemote, kNone, "bytes received after close_notify")                      \
  X(kCounterExhaustedRemote, kRemote, kNone, "peer exceeded the frame counter limit")          \
  X(kProtocolNotSupported, kRemote, kNone,                                                     \
    "peer does not support the proposed protocol (multistream-select na)")                     \
  /* The peer sent an Error message (wire code in the name). */                                \
  X(kPeerAbortMalformed, kPeerAbort, kNone, "peer reported: malformed message")                \
  X(kPeerAbortAuthenticationFailed, kPeerAbort, kNone, "peer reported: authentication failed") \
  X(kPeerAbortNotAccepted, kPeerAbort, kNone, "peer reported: identity not accepted")          \
  X(kPeerAbortTimeout, kPeerAbort, kNone, "peer reported: timeout")                            \
  X(kPeerAbortReplayedChallenge, kPeerAbort, kNone, "peer reported: replayed challenge")       \
  X(kPeerAbortInternal, kPeerAbort, kNone, "peer reported: internal error or overload")        \
  /* An Error with a code protocol-v1 does not define: an abort all the same. */               \
  X(kPeerAbortUnknownCode, kPeerAbort, kNone, "peer reported an undefined error code")         \
  /* Time. */                                                                                  \
  X(kTimeout, kTimeout, kTimeout, "handshake timed out")                                       \
  /* After the handshake no Error message is sent: the connection just ends. */                \
  X(kFrameTimeout, kTimeout, kNone, "a started frame was not finished within frame_timeout")

// Error: every failure the engine reports. kNone means success.
enum class Error : std::uint8_t {
#define P2PNET_ERROR_ENUM(name, category, wire, message) name,
  P2PNET_ERROR_LIST(P2PNET_ERROR_ENUM)
#undef P2PNET_ERROR_ENUM
};

// kErrorCount is how many rows the list has, kNone included: the enumerators are
// 0..kErrorCount - 1, so a loop over every error needs no name of the last one.
inline constexpr int kErrorCount = [] {
  int count = 0;
#define P2PNET_ERROR_COUNT(name, category, wire, message) ++count;
  P2PNET_ERROR_LIST(P2PNET_ERROR_COUNT)
#undef P2PNET_ERROR_COUNT
  return count;
}();

// error_name returns the enumerator's name without the leading 'k', e.g. "Timeout".
std::string_view error_name(Error error);
// error_message returns a human-readable sentence for |error|; it holds no secret.
std::string_view error_message(Error error);
// error_category returns who is at fault for |error|.
ErrorCategory error_category(Error error);
// wire_code_for returns the code sent in an Error message when |error| ends a
// handshake, or kNone when no Error message is sent (e.g. the peer already aborted).
WireErrorCode wire_code_for(Error error);
// error_from_wire_code maps the code of a received Error message to the local error.
// Codes outside 0x01..0x06 never reach it (the codec rejects them); a received Error
// with such a code ends the handshake with kPeerAbortUnknownCode, unanswered.
Error error_from_wire_code(WireErrorCode code);

}  // namespace p2pnet

#endif  // P2PNET_ERRORS_H_
