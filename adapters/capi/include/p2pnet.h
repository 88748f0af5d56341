/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * p2pnet.h: the C API of the project's original design (docs/c-api.md; where it comes
 * from: docs/protocol.md "Origin"): sockets, keypairs, the handshake and messaging, and
 * the sans-IO engine (p2p_conn_*) for callers that own their sockets, clock and event
 * loop. Usable from C11 and C++. Every type is opaque and every object is freed by its
 * own p2p_*_free/close function. No C++ exception crosses this boundary.
 *
 * Errors: a function that returns a pointer returns NULL on failure; one that returns
 * p2p_error_t returns P2P_OK (0) on success, and always the code p2p_last_error()
 * then reports. Either way, p2p_last_error() and p2p_last_error_message() tell why,
 * per thread; every call sets them (P2P_OK and "" on success). Messages never contain
 * key material. Running out of memory is P2P_ERR_OUT_OF_MEMORY, never a crash, and
 * ends the connection or session it happened in.
 *
 * Threads: objects are not locked. Use one object from one thread at a time;
 * different objects may be used from different threads at once.
 *
 * Time: every call that waits is bounded. A socket carries a timeout (default 10
 * seconds, p2p_socket_set_timeout) that bounds the whole handshake and each send,
 * receive and close on a session made from it. The p2p_conn_* functions never wait
 * and never read a clock: the caller passes "now" in.
 *
 * docs/c-api.md describes every function, ownership and error. */
#ifndef P2PNET_H_
#define P2PNET_H_

#include <stddef.h>
#include <stdint.h>

/* P2P_VERSION_MAJOR/MINOR/PATCH and P2P_VERSION_STRING, generated from the project
 * version by CMake. */
#include "p2pnet_version.h"

/* P2P_API marks the functions libp2pnet exports. The library is built with hidden
 * visibility, so only these leave a shared libp2pnet (with its version script,
 * p2pnet.map). A Windows DLL build exports them with dllexport; a program calling a
 * DLL needs no import attribute for functions. */
#if defined(_WIN32) && defined(P2PNET_BUILDING_SHARED)
#define P2P_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define P2P_API __attribute__((visibility("default")))
#else
#define P2P_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define P2P_PUBLIC_KEY_SIZE 32
#define P2P_SESSION_KEY_SIZE 32
/* 43 characters of URL-safe base64 and the terminating NUL. */
#define P2P_PUBLIC_KEY_TEXT_SIZE 44
#define P2P_DEFAULT_TIMEOUT_MS 10000u
/* A frame from the peer that has started must be complete within this time
 * (p2p_conn_options_t.frame_timeout_ms; every session of the blocking API too). */
#define P2P_DEFAULT_FRAME_TIMEOUT_MS 30000u
/* The longest allow-list a server takes (p2p_handshake_server, p2p_conn_server):
 * 2^20 keys. A longer one is INVALID_ARGUMENT. */
#define P2P_MAX_ALLOWED_PEERS 1048576u

typedef struct p2p_socket p2p_socket_t;
typedef struct p2p_keypair p2p_keypair_t;
typedef struct p2p_session p2p_session_t;

/* p2p_error_t: stable codes; new ones are only ever appended. */
typedef enum p2p_error {
  P2P_OK = 0,
  P2P_ERR_INVALID_ARGUMENT = 1, /* NULL where an object is required, bad size, ... */
  P2P_ERR_OUT_OF_MEMORY = 2,
  P2P_ERR_SYSTEM = 3,             /* a socket or file call failed (message says which) */
  P2P_ERR_ADDRESS = 4,            /* host is not a numeric IPv4/IPv6 address */
  P2P_ERR_CONNECT = 5,            /* connection refused or unreachable */
  P2P_ERR_TIMEOUT = 6,            /* the socket's timeout passed (handshake: Error 0x04 sent) */
  P2P_ERR_CONNECTION_CLOSED = 7,  /* the TCP stream ended or was reset without close_notify */
  P2P_ERR_PEER_CLOSED = 8,        /* the peer sent close_notify: a clean end, no more messages */
  P2P_ERR_AUTHENTICATION = 9,     /* the peer's signature or key is invalid */
  P2P_ERR_PEER_NOT_ALLOWED = 10,  /* the peer is not the expected one / not on the allow-list */
  P2P_ERR_REJECTED_BY_PEER = 11,  /* the peer ended the handshake with an Error message */
  P2P_ERR_PROTOCOL = 12,          /* malformed message, bad frame, replayed challenge, ... */
  P2P_ERR_MESSAGE_TOO_LARGE = 13, /* over the session's maximum message size (1 MiB) */
  P2P_ERR_BUFFER_TOO_SMALL = 14,  /* receive: the message is kept; *received is its size */
  P2P_ERR_STATE = 15,             /* not allowed now, e.g. send after p2p_session_close */
  P2P_ERR_FILE_EXISTS = 16,       /* save without overwrite: the file exists */
  P2P_ERR_FILE_NOT_FOUND = 17,
  P2P_ERR_FILE_PERMISSIONS = 18, /* group/other may access the key file, or it is a symlink */
  P2P_ERR_FILE_INVALID = 19,     /* not a 72-byte identity file, or corrupt */
  P2P_ERR_RANDOM = 20,           /* the system random source failed */
  P2P_ERR_INTERNAL = 21,
  P2P_ERR_SEND_BUFFER_FULL = 22 /* p2p_conn_send: drain p2p_conn_poll_transmit, retry */
} p2p_error_t;

/* p2p_last_error: the code of the calling thread's last p2p_* call. */
P2P_API p2p_error_t p2p_last_error(void);
/* p2p_last_error_message: a sentence for it; valid until this thread's next p2p_* call. */
P2P_API const char* p2p_last_error_message(void);
/* p2p_error_name: a static name, e.g. "P2P_ERR_TIMEOUT". */
P2P_API const char* p2p_error_name(p2p_error_t error);

/* p2p_version: the library's version, "MAJOR.MINOR.PATCH", static. It equals
 * P2P_VERSION_STRING of the header the library was built with; compare the two to
 * detect a header that does not match the linked library. Never fails. */
P2P_API const char* p2p_version(void);

/* --- Sockets (docs/c-api.md "Sockets") -------------------------------------------- */

/* p2p_socket_connect: a TCP connection to host:port, waiting at most timeout_ms
 * (0: the default). NULL on failure (ADDRESS, CONNECT, TIMEOUT, SYSTEM). */
P2P_API p2p_socket_t* p2p_socket_connect(const char* host, uint16_t port, uint32_t timeout_ms);
/* p2p_socket_listen: a listening socket on host:port; port 0 picks a free port. */
P2P_API p2p_socket_t* p2p_socket_listen(const char* host, uint16_t port);
/* p2p_socket_local_port: the bound port, or 0 on failure. */
P2P_API uint16_t p2p_socket_local_port(const p2p_socket_t* sock);
/* p2p_socket_accept: waits at most timeout_ms (0: the default) for a connection on a
 * listening socket. NULL on failure (TIMEOUT when none came). */
P2P_API p2p_socket_t* p2p_socket_accept(p2p_socket_t* listener, uint32_t timeout_ms);
/* p2p_socket_set_timeout: the bound on the handshake and on each session call made
 * on this socket; 0 restores the default. */
P2P_API p2p_error_t p2p_socket_set_timeout(p2p_socket_t* sock, uint32_t timeout_ms);
/* p2p_socket_close: closes and frees; NULL is ignored. Free sessions made on the
 * socket first: they borrow it. */
P2P_API void p2p_socket_close(p2p_socket_t* sock);
/* p2p_socket_adopt takes ownership of a socket the caller made: a file descriptor,
 * or a SOCKET on Windows. It must be a stream socket (TCP, or AF_UNIX on POSIX),
 * connected or listening; the blocking handshake and session calls then work on it.
 * Adopting changes three settings, no others: the socket is made non-blocking (on
 * POSIX the flag is on the open file, so dup()ed descriptors see it too), TCP_NODELAY
 * is set on a TCP socket (Nagle off: handshake messages and frames go out at once),
 * and SO_NOSIGPIPE where the system has it (macOS, the BSDs; Linux and Windows need none), so a
 * write to a closed peer gives an error instead of SIGPIPE. Close-on-exec, buffer sizes, keep-alive
 * and the rest stay as they were. On success p2p_socket_close closes it. NULL on failure
 * (INVALID_ARGUMENT: not a socket or not a stream socket; SYSTEM), and then the caller still owns
 * it, with its settings as they were (a failure after the non-blocking flag was set clears it
 * again). */
P2P_API p2p_socket_t* p2p_socket_adopt(intptr_t fd_or_socket);

/* --- Keypairs (docs/c-api.md "Keypairs") ------------------------------------------ */

/* p2p_keypair_generate: a fresh Ed25519 identity. NULL on failure (RANDOM). */
P2P_API p2p_keypair_t* p2p_keypair_generate(void);
/* p2p_keypair_load: reads an identity file (docs/identity-file.md). NULL on failure
 * (FILE_NOT_FOUND, FILE_PERMISSIONS, FILE_INVALID, SYSTEM). Never blocks: a FIFO or
 * device is FILE_INVALID. */
P2P_API p2p_keypair_t* p2p_keypair_load(const char* path);
/* p2p_keypair_save: writes the identity with mode 0600; an existing file is replaced
 * only if overwrite is non-zero (else FILE_EXISTS), whole or not at all: the new key
 * goes to a temporary file that is renamed over the old one (docs/identity-file.md).
 * FILE_PERMISSIONS: the path is a symlink; FILE_INVALID: it is a FIFO, device or
 * folder; SYSTEM: any other failure, which leaves the old file as it was. */
P2P_API p2p_error_t p2p_keypair_save(const p2p_keypair_t* keypair, const char* path, int overwrite);
/* p2p_keypair_public_key: the 32-byte public key, owned by the keypair. */
P2P_API const uint8_t* p2p_keypair_public_key(const p2p_keypair_t* keypair);
/* p2p_keypair_free: wipes the secret key and frees; NULL is ignored. */
P2P_API void p2p_keypair_free(p2p_keypair_t* keypair);
/* p2p_public_key_to_text: writes the 43-character text and a NUL into out. */
P2P_API p2p_error_t p2p_public_key_to_text(const uint8_t* pubkey,
                                           char out[P2P_PUBLIC_KEY_TEXT_SIZE]);
/* p2p_public_key_from_text: parses 43 characters into out (32 bytes); rejects
 * anything that is not a valid Ed25519 public key (INVALID_ARGUMENT). */
P2P_API p2p_error_t p2p_public_key_from_text(const char* text, uint8_t out[P2P_PUBLIC_KEY_SIZE]);

/* --- Handshake (docs/c-api.md "Handshake") ---------------------------------------- */

/* p2p_handshake_client runs the client handshake on a connected socket. With
 * expected_peer_pubkey (32 bytes) the server must have that identity; NULL allows any
 * server (discovery only). Returns the session, or NULL (TIMEOUT, PEER_NOT_ALLOWED,
 * REJECTED_BY_PEER, AUTHENTICATION, PROTOCOL, CONNECTION_CLOSED, ...). The session
 * borrows sock; my_keypair is needed only during the call. */
P2P_API p2p_session_t* p2p_handshake_client(p2p_socket_t* sock, p2p_keypair_t* my_keypair,
                                            const uint8_t* expected_peer_pubkey);
/* p2p_handshake_server runs the server handshake on an accepted socket.
 * allowed_peers: NULL allows every client; otherwise num_allowed pointers to 32-byte
 * keys (at most P2P_MAX_ALLOWED_PEERS, else INVALID_ARGUMENT), and a client not among
 * them is refused (num_allowed 0 refuses everyone). */
P2P_API p2p_session_t* p2p_handshake_server(p2p_socket_t* sock, p2p_keypair_t* my_keypair,
                                            const uint8_t** allowed_peers, size_t num_allowed);
/* p2p_session_peer_pubkey: the authenticated peer's 32-byte key, owned by the session. */
P2P_API const uint8_t* p2p_session_peer_pubkey(p2p_session_t* session);
/* p2p_session_key: the 32-byte session key (docs/protocol.md "Keys"), owned by the
 * session. It is never used to encrypt: it is for comparing or binding sessions.
 * Treat it as a secret. It is wiped when the session fails or once close_notify went
 * both ways: then this returns NULL (STATE), and the bytes behind a pointer returned
 * earlier read as zeros until p2p_session_free. Copy it after the handshake if it is
 * needed later. */
P2P_API const uint8_t* p2p_session_key(p2p_session_t* session);
/* p2p_session_free: wipes keys and buffers and frees; does not close the socket. */
P2P_API void p2p_session_free(p2p_session_t* session);

/* --- Messaging (docs/c-api.md "Messaging") ---------------------------------------- */

/* A session fails terminally, like a p2p_conn_t: after any send, receive or close
 * error other than INVALID_ARGUMENT, MESSAGE_TOO_LARGE, BUFFER_TOO_SMALL, STATE,
 * PEER_CLOSED and a receive's TIMEOUT, its keys are wiped and every later send,
 * receive and close returns that error (docs/c-api.md "Messaging"). */

/* p2p_session_send: encrypts and writes one message of 1..1 MiB bytes. */
P2P_API p2p_error_t p2p_session_send(p2p_session_t* session, const uint8_t* data, size_t length);
/* p2p_session_receive waits for one message and copies it into buffer. On success
 * *received is its length. If it does not fit, BUFFER_TOO_SMALL is returned, the
 * message is kept for the next call, and *received is its length. PEER_CLOSED means
 * the peer sent close_notify: nothing more will arrive. */
P2P_API p2p_error_t p2p_session_receive(p2p_session_t* session, uint8_t* buffer, size_t capacity,
                                        size_t* received);
/* p2p_session_close: sends close_notify. Receiving remains possible until the peer's. */
P2P_API p2p_error_t p2p_session_close(p2p_session_t* session);

/* --- The sans-IO engine ------------------------------------------------------------
 * A p2p_conn_t is one connection's protocol state, from the first handshake byte to
 * close. It never touches a socket, a clock or a thread: the caller moves bytes
 * between it and its own transport and passes in now_ms, milliseconds on a monotonic
 * clock of its choosing (one that never goes backwards). Polling order, after creating
 * a connection and after every call below:
 *   1. p2p_conn_poll_transmit until it returns 0; write those bytes to the peer.
 *   2. Bytes arrive: p2p_conn_feed. Then p2p_conn_poll_event until it returns 0, and
 *      feed the bytes it did not consume (*consumed < length) again: it stops after
 *      each message until the caller takes it. End of stream: feed with length 0.
 *   3. Wake at p2p_conn_next_timeout_ms; then p2p_conn_handle_timeout.
 *   4. After P2P_EVENT_HANDSHAKE_COMPLETE: p2p_conn_send, p2p_conn_close.
 * Instead of copying with p2p_conn_poll_transmit, a caller may write straight from
 * the connection (p2p_conn_peek_transmit, p2p_conn_consume_transmit); p2p_conn_state
 * says where the connection is, and p2p_conn_release_buffers gives back an idle
 * connection's buffers.
 * Failure is terminal: afterwards feed, send, close and handle_timeout return the
 * same error, and p2p_conn_error reports it.
 * Drain p2p_conn_poll_transmit once more (a failed handshake may leave an Error
 * message for the peer), then close the transport and free the connection.
 * docs/c-api.md describes every function; docs/event-loops.md has a poll() loop. */

typedef struct p2p_conn p2p_conn_t;
typedef struct p2p_replay_cache p2p_replay_cache_t;

/* Largest now_ms accepted (2^62 - 1, some 146 million years): larger values are
 * refused with INVALID_ARGUMENT, so deadlines never overflow. */
#define P2P_MAX_NOW_MS UINT64_C(0x3FFFFFFFFFFFFFFF)
#define P2P_DEFAULT_MAX_MESSAGE_SIZE 1048576u /* 1 MiB */
#define P2P_MAX_MESSAGE_SIZE_LIMIT 16777216u  /* 16 MiB */
#define P2P_DEFAULT_REPLAY_CACHE_CAPACITY 4096u
#define P2P_MAX_REPLAY_CACHE_CAPACITY 1048576u

typedef enum p2p_event_type {
  P2P_EVENT_HANDSHAKE_COMPLETE = 1, /* the peer is authenticated; send is allowed */
  P2P_EVENT_MESSAGE,                /* data/length hold one message from the peer */
  P2P_EVENT_PEER_CLOSED             /* the peer sent close_notify; nothing more comes */
} p2p_event_type_t;

/* p2p_event_t: data is valid until the next p2p_conn_feed, p2p_conn_release_buffers
 * or p2p_conn_free on the same connection (other calls leave it intact); NULL and 0
 * unless a message. */
typedef struct p2p_event {
  p2p_event_type_t type;
  const uint8_t* data;
  size_t length;
} p2p_event_t;

/* p2p_log_level_t: the level of a log hook message (docs/debugging.md). */
typedef enum p2p_log_level {
  P2P_LOG_DEBUG = 0,   /* handshake started */
  P2P_LOG_INFO = 1,    /* handshake complete (the peer's full key) */
  P2P_LOG_WARNING = 2, /* peer refused (its full key and why) */
  P2P_LOG_ERROR = 3    /* handshake or channel failed (error name, wire code sent) */
} p2p_log_level_t;

/* p2p_log_fn: a log hook. message is a NUL-terminated sentence valid during the call;
 * it never holds secret material. Called from inside the p2p_conn_* call that caused
 * the event; it must not call back into that connection. */
typedef void (*p2p_log_fn)(void* context, p2p_log_level_t level, uint64_t connection_id,
                           const char* message);
/* p2p_key_log_fn: a key log (DANGEROUS, for debugging captures only): called once per
 * session when its handshake completes with one NUL-terminated line,
 * "P2PNET_V1_TRAFFIC_KEYS <challenge> <key_c2s> <key_s2c>" in hex, wiped after the
 * call. A library built with P2PNET_KEY_LOG=OFF refuses a connection given one with
 * INVALID_ARGUMENT. */
typedef void (*p2p_key_log_fn)(void* context, const char* line);

/* p2p_random_fn: a random source (p2p_conn_options_t.random), for tests and fuzzers
 * that replay a handshake byte for byte, or an embedder with its own CSPRNG. It
 * fills out[0, length) with random bytes and returns P2P_OK. Any other return is a
 * failure: the connection that asked fails closed with P2P_ERR_RANDOM (it sends no
 * message built on the bytes, only the protocol's Error message for "internal"), and
 * no weaker source is tried. It is called whenever the protocol needs fresh bytes
 * (ephemeral keys, challenges), from inside the p2p_conn_* call that needs them; it
 * must not call back into that connection, and it and its context must stay valid
 * until p2p_conn_free. DANGEROUS: the bytes become the session's secrets, so
 * anything but a cryptographically secure generator breaks its security; a seeded
 * generator is for tests only. */
typedef p2p_error_t (*p2p_random_fn)(void* context, uint8_t* out, size_t length);

/* p2p_conn_options_t: settings beyond the defaults. Initialise with
 * p2p_conn_options_init, then change fields; a zero field means its default.
 * struct_size tells the library which layout the caller was built with: this
 * header's, or the earlier one that ended at key_log_context (the fields after it
 * then keep their defaults). */
typedef struct p2p_conn_options {
  size_t struct_size;               /* set by p2p_conn_options_init; do not change */
  uint32_t handshake_timeout_ms;    /* 0: P2P_DEFAULT_TIMEOUT_MS (10 s) */
  size_t max_message_size;          /* 0: 1 MiB; at most P2P_MAX_MESSAGE_SIZE_LIMIT */
  size_t max_pending_output;        /* 0: two largest frames; bound on unsent output;
                                       else at least max_message_size + 20 */
  p2p_replay_cache_t* replay_cache; /* clients only, borrowed; NULL: none */
  p2p_log_fn log;                   /* NULL: no log (the default) */
  void* log_context;                /* passed to log as it is */
  uint64_t log_id;                  /* passed to log as connection_id */
  p2p_key_log_fn key_log;           /* NULL: no key log (the default); DANGEROUS */
  void* key_log_context;            /* passed to key_log as it is */
  /* Added after the first layout (see struct_size above): */
  uint32_t frame_timeout_ms; /* 0: P2P_DEFAULT_FRAME_TIMEOUT_MS (30 s); a frame
                                begun must be whole by then, else TIMEOUT */
  p2p_random_fn random;      /* NULL: the system source (libsodium's CSPRNG) */
  void* random_context;      /* passed to random as it is */
} p2p_conn_options_t;

/* p2p_conn_options_init: fills *options with the defaults. NULL is ignored. */
P2P_API void p2p_conn_options_init(p2p_conn_options_t* options);

/* p2p_replay_cache_new: a cache of the last `capacity` challenges a client signed
 * (0: P2P_DEFAULT_REPLAY_CACHE_CAPACITY), so it refuses to sign one twice. Share one
 * among client connections through p2p_conn_options_t; it must outlive them, and
 * like them it is not locked. NULL on failure (INVALID_ARGUMENT: capacity over
 * P2P_MAX_REPLAY_CACHE_CAPACITY; OUT_OF_MEMORY). */
P2P_API p2p_replay_cache_t* p2p_replay_cache_new(size_t capacity);
/* p2p_replay_cache_free: frees; NULL is ignored. */
P2P_API void p2p_replay_cache_free(p2p_replay_cache_t* cache);

/* p2p_conn_client starts a client; its ClientHello waits in p2p_conn_poll_transmit.
 * expected_server: the server's 32-byte key, or NULL for any server (discovery
 * only). me and expected_server are copied: free them whenever you like. NULL on
 * failure (INVALID_ARGUMENT, RANDOM, OUT_OF_MEMORY). Free with p2p_conn_free. */
P2P_API p2p_conn_t* p2p_conn_client(const p2p_keypair_t* me, const uint8_t* expected_server,
                                    uint64_t now_ms);
/* p2p_conn_client_ex: p2p_conn_client with options (NULL: the defaults). */
P2P_API p2p_conn_t* p2p_conn_client_ex(const p2p_keypair_t* me, const uint8_t* expected_server,
                                       const p2p_conn_options_t* options, uint64_t now_ms);
/* p2p_conn_server starts a server waiting for a ClientHello. allowed: NULL allows
 * every client; otherwise allowed_count pointers to 32-byte keys (0 refuses
 * everyone; at most P2P_MAX_ALLOWED_PEERS). me and the keys are copied. NULL on
 * failure (INVALID_ARGUMENT, OUT_OF_MEMORY). Free with p2p_conn_free. */
P2P_API p2p_conn_t* p2p_conn_server(const p2p_keypair_t* me, const uint8_t* const* allowed,
                                    size_t allowed_count, uint64_t now_ms);
/* p2p_conn_server_ex: p2p_conn_server with options (NULL: the defaults). */
P2P_API p2p_conn_t* p2p_conn_server_ex(const p2p_keypair_t* me, const uint8_t* const* allowed,
                                       size_t allowed_count, const p2p_conn_options_t* options,
                                       uint64_t now_ms);

/* p2p_conn_feed offers bytes from the peer; length 0 means the stream ended (data may
 * then be NULL). *consumed (required) says how many were used: fewer than length
 * only when an event waits (poll it, then feed the rest) or on failure. Returns
 * P2P_OK or the connection's terminal error (AUTHENTICATION, PEER_NOT_ALLOWED,
 * REJECTED_BY_PEER, PROTOCOL, CONNECTION_CLOSED, TIMEOUT, RANDOM, OUT_OF_MEMORY, ...),
 * which p2p_conn_error then reports too; INVALID_ARGUMENT (NULL, now_ms over
 * P2P_MAX_NOW_MS) changes nothing. */
P2P_API p2p_error_t p2p_conn_feed(p2p_conn_t* c, const uint8_t* data, size_t length,
                                  uint64_t now_ms, size_t* consumed);
/* p2p_conn_poll_event: 1 and *event filled when an event waits, else 0. */
P2P_API int p2p_conn_poll_event(p2p_conn_t* c, p2p_event_t* event);
/* p2p_conn_poll_transmit copies up to capacity bytes to send into out and returns
 * how many; 0 when nothing waits. The bytes leave the connection. */
P2P_API size_t p2p_conn_poll_transmit(p2p_conn_t* c, uint8_t* out, size_t capacity);
/* p2p_conn_pending_transmit: how many bytes p2p_conn_poll_transmit would give now. */
P2P_API size_t p2p_conn_pending_transmit(const p2p_conn_t* c);
/* p2p_conn_next_timeout_ms: the instant, on the caller's now_ms clock, at which to
 * call p2p_conn_handle_timeout: the handshake deadline, then, once established, the
 * deadline of a frame from the peer that has begun and not ended (frame_timeout_ms
 * after its first byte); -1 when none (no frame in progress, failed, or c is NULL).
 * It changes with every feed: re-read it after each call. */
P2P_API int64_t p2p_conn_next_timeout_ms(const p2p_conn_t* c);
/* p2p_conn_handle_timeout: a handshake whose deadline has passed fails with TIMEOUT
 * (and queues Error 0x04 for the peer); an established connection whose frame
 * deadline has passed fails with TIMEOUT (nothing is sent: close the socket);
 * otherwise nothing happens. Returns P2P_OK or the terminal error. */
P2P_API p2p_error_t p2p_conn_handle_timeout(p2p_conn_t* c, uint64_t now_ms);
/* p2p_conn_send seals one message of 1..max_message_size bytes for poll_transmit.
 * Errors, none of them terminal unless the connection had already failed:
 * INVALID_ARGUMENT (NULL, length 0), MESSAGE_TOO_LARGE, STATE (before
 * HANDSHAKE_COMPLETE, after p2p_conn_close), SEND_BUFFER_FULL (drain, then retry);
 * terminal: OUT_OF_MEMORY (the output could not grow); after a failure, the terminal
 * error. Nothing is queued on error. */
P2P_API p2p_error_t p2p_conn_send(p2p_conn_t* c, const uint8_t* data, size_t length);
/* p2p_conn_close queues close_notify; receiving goes on until the peer's. Errors:
 * STATE (before HANDSHAKE_COMPLETE, or already closed), SEND_BUFFER_FULL, the
 * terminal error. */
P2P_API p2p_error_t p2p_conn_close(p2p_conn_t* c);
/* p2p_conn_peek_transmit: the next bytes to send, in place, without a copy: *data
 * points into the connection and *length bytes are there (NULL and 0 when nothing
 * waits). Write them to the peer, then p2p_conn_consume_transmit what was written.
 * The view may hold fewer than p2p_conn_pending_transmit (the last handshake message
 * and the first frames sit in two buffers): consume, then peek again. It is the
 * same bytes p2p_conn_poll_transmit would copy, and the two may be mixed. The view
 * stays valid until the next call on c other than p2p_conn_peek_transmit,
 * p2p_conn_pending_transmit, p2p_conn_next_timeout_ms, p2p_conn_state,
 * p2p_conn_error and p2p_conn_peer_public_key: any other (feed, poll_event,
 * poll_transmit, consume_transmit, send, close, handle_timeout, release_buffers,
 * free) may move, wipe or free the bytes. A connection that failed gives what
 * poll_transmit would: a handshake's Error message at most. Errors:
 * INVALID_ARGUMENT (c, data or length NULL; then *data and *length are NULL and 0
 * where they can be written). */
P2P_API p2p_error_t p2p_conn_peek_transmit(p2p_conn_t* c, const uint8_t** data, size_t* length);
/* p2p_conn_consume_transmit marks the first n bytes of the current view (what
 * p2p_conn_peek_transmit gives now) as sent; 0 does nothing. Errors:
 * INVALID_ARGUMENT (c NULL, or n larger than the view, which would mark bytes as sent
 * that the caller has not seen): nothing is consumed. Never terminal. */
P2P_API p2p_error_t p2p_conn_consume_transmit(p2p_conn_t* c, size_t n);

/* p2p_conn_state_t: where a connection is. It only moves forward:
 * HANDSHAKING -> ESTABLISHED -> CLOSED, and to FAILED from any of them. */
typedef enum p2p_conn_state {
  P2P_STATE_HANDSHAKING = 1, /* from creation until the handshake completes */
  P2P_STATE_ESTABLISHED = 2, /* the handshake completed (P2P_EVENT_HANDSHAKE_COMPLETE
                                is queued or taken); open both ways or half-closed */
  P2P_STATE_CLOSED = 3,      /* close_notify went both ways: a clean end, every key
                                wiped, p2p_conn_error is P2P_OK; bytes fed afterwards
                                fail it (PROTOCOL) */
  P2P_STATE_FAILED = 4       /* terminal: p2p_conn_error says why */
} p2p_conn_state_t;

/* p2p_conn_state: c's state. It agrees with the rest of the API: FAILED exactly when
 * p2p_conn_error is not P2P_OK; ESTABLISHED or CLOSED exactly when
 * p2p_conn_peer_public_key is not NULL and the connection has not failed; send is
 * allowed only when ESTABLISHED. NULL c: P2P_STATE_FAILED and INVALID_ARGUMENT. */
P2P_API p2p_conn_state_t p2p_conn_state(const p2p_conn_t* c);
/* p2p_conn_state_name: a static name, e.g. "P2P_STATE_ESTABLISHED". */
P2P_API const char* p2p_conn_state_name(p2p_conn_state_t state);

/* p2p_conn_release_buffers frees c's traffic buffers (receive, send, and the crypto
 * library's contexts) if nothing is in them: no output waiting to be taken, no
 * partial frame received, no message waiting for p2p_conn_poll_event. They grow again
 * with the next message. Call it for a connection that has been quiet for a while
 * (the project's socket server does after 1 s): an idle established connection then
 * holds no heap beyond the p2p_conn_t itself. Returns 1 when c holds no buffer now
 * (always while handshaking, whose state lives inside the p2p_conn_t, and after a
 * failure or a close both ways), 0 when something is still in them (nothing was
 * freed: drain, poll, and try again later) or c is NULL (INVALID_ARGUMENT). The data
 * of an event taken earlier and the peek_transmit view are invalid afterwards. */
P2P_API int p2p_conn_release_buffers(p2p_conn_t* c);

/* p2p_conn_peer_public_key: the authenticated peer's 32-byte key, owned by c, from
 * P2P_EVENT_HANDSHAKE_COMPLETE on (even if the connection fails later); NULL before
 * (STATE). */
P2P_API const uint8_t* p2p_conn_peer_public_key(const p2p_conn_t* c);
/* p2p_conn_error: P2P_OK while healthy, else the terminal error, which it also
 * records as the thread's last error with its message. */
P2P_API p2p_error_t p2p_conn_error(const p2p_conn_t* c);
/* p2p_conn_free wipes every key (the copy of the caller's secret key, the session
 * and traffic keys, buffered plaintext) and frees. NULL is ignored. */
P2P_API void p2p_conn_free(p2p_conn_t* c);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* P2PNET_H_ */
