/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * p2pnet.h: the plan's C API (Milestone 2.2), with the prerequisites it assumes
 * (Milestone 1.1 sockets, Milestone 2.1 keypairs) and Milestone 2.3 messaging. Usable
 * from C11 and C++. Every type is opaque and every object is freed by its own
 * p2p_*_free/close function. No C++ exception crosses this boundary.
 *
 * Errors: a function that returns a pointer returns NULL on failure; one that returns
 * p2p_error_t returns P2P_OK (0) on success. Either way, p2p_last_error() and
 * p2p_last_error_message() tell why, per thread; every call sets them (P2P_OK and ""
 * on success). Messages never contain key material.
 *
 * Threads: objects are not locked. Use one object from one thread at a time;
 * different objects may be used from different threads at once.
 *
 * Time: every call that waits is bounded. A socket carries a timeout (default 10
 * seconds, p2p_socket_set_timeout) that bounds the whole handshake and each send,
 * receive and close on a session made from it.
 *
 * docs/c-api.md describes every function, ownership and error. */
#ifndef P2PNET_H_
#define P2PNET_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define P2P_PUBLIC_KEY_SIZE 32
#define P2P_SESSION_KEY_SIZE 32
/* 43 characters of URL-safe base64 and the terminating NUL. */
#define P2P_PUBLIC_KEY_TEXT_SIZE 44
#define P2P_DEFAULT_TIMEOUT_MS 10000u

typedef struct p2p_socket p2p_socket_t;
typedef struct p2p_keypair p2p_keypair_t;
typedef struct p2p_session p2p_session_t;

/* p2p_error_t: stable codes; new ones are only ever appended. */
typedef enum p2p_error {
  P2P_OK = 0,
  P2P_ERR_INVALID_ARGUMENT = 1,   /* NULL where an object is required, bad size, ... */
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
  P2P_ERR_FILE_PERMISSIONS = 18,  /* group/other may access the key file, or it is a symlink */
  P2P_ERR_FILE_INVALID = 19,      /* not a 72-byte identity file, or corrupt */
  P2P_ERR_RANDOM = 20,            /* the system random source failed */
  P2P_ERR_INTERNAL = 21
} p2p_error_t;

/* p2p_last_error: the code of the calling thread's last p2p_* call. */
p2p_error_t p2p_last_error(void);
/* p2p_last_error_message: a sentence for it; valid until this thread's next p2p_* call. */
const char* p2p_last_error_message(void);
/* p2p_error_name: a static name, e.g. "P2P_ERR_TIMEOUT". */
const char* p2p_error_name(p2p_error_t error);

/* --- Sockets (Milestone 1.1) ------------------------------------------------------ */

/* p2p_socket_connect: a TCP connection to host:port, waiting at most timeout_ms
 * (0: the default). NULL on failure (ADDRESS, CONNECT, TIMEOUT, SYSTEM). */
p2p_socket_t* p2p_socket_connect(const char* host, uint16_t port, uint32_t timeout_ms);
/* p2p_socket_listen: a listening socket on host:port; port 0 picks a free port. */
p2p_socket_t* p2p_socket_listen(const char* host, uint16_t port);
/* p2p_socket_local_port: the bound port, or 0 on failure. */
uint16_t p2p_socket_local_port(const p2p_socket_t* sock);
/* p2p_socket_accept: waits at most timeout_ms (0: the default) for a connection on a
 * listening socket. NULL on failure (TIMEOUT when none came). */
p2p_socket_t* p2p_socket_accept(p2p_socket_t* listener, uint32_t timeout_ms);
/* p2p_socket_set_timeout: the bound on the handshake and on each session call made
 * on this socket; 0 restores the default. */
p2p_error_t p2p_socket_set_timeout(p2p_socket_t* sock, uint32_t timeout_ms);
/* p2p_socket_close: closes and frees; NULL is ignored. Free sessions made on the
 * socket first: they borrow it. */
void p2p_socket_close(p2p_socket_t* sock);

/* --- Keypairs (Milestone 2.1) ----------------------------------------------------- */

/* p2p_keypair_generate: a fresh Ed25519 identity. NULL on failure (RANDOM). */
p2p_keypair_t* p2p_keypair_generate(void);
/* p2p_keypair_load: reads an identity file (docs/identity-file.md). NULL on failure
 * (FILE_NOT_FOUND, FILE_PERMISSIONS, FILE_INVALID, SYSTEM). Never blocks: a FIFO or
 * device is FILE_INVALID. */
p2p_keypair_t* p2p_keypair_load(const char* path);
/* p2p_keypair_save: writes the identity with mode 0600; an existing file is replaced
 * only if overwrite is non-zero (else FILE_EXISTS), whole or not at all: the new key
 * goes to a temporary file that is renamed over the old one (docs/identity-file.md).
 * FILE_PERMISSIONS: the path is a symlink; FILE_INVALID: it is a FIFO, device or
 * folder; SYSTEM: any other failure, which leaves the old file as it was. */
p2p_error_t p2p_keypair_save(const p2p_keypair_t* keypair, const char* path, int overwrite);
/* p2p_keypair_public_key: the 32-byte public key, owned by the keypair. */
const uint8_t* p2p_keypair_public_key(const p2p_keypair_t* keypair);
/* p2p_keypair_free: wipes the secret key and frees; NULL is ignored. */
void p2p_keypair_free(p2p_keypair_t* keypair);
/* p2p_public_key_to_text: writes the 43-character text and a NUL into out. */
p2p_error_t p2p_public_key_to_text(const uint8_t* pubkey, char out[P2P_PUBLIC_KEY_TEXT_SIZE]);
/* p2p_public_key_from_text: parses 43 characters into out (32 bytes); rejects
 * anything that is not a valid Ed25519 public key (INVALID_ARGUMENT). */
p2p_error_t p2p_public_key_from_text(const char* text, uint8_t out[P2P_PUBLIC_KEY_SIZE]);

/* --- Handshake (Milestone 2.2; the plan's signatures) ----------------------------- */

/* p2p_handshake_client runs the client handshake on a connected socket. With
 * expected_peer_pubkey (32 bytes) the server must have that identity; NULL allows any
 * server (discovery only). Returns the session, or NULL (TIMEOUT, PEER_NOT_ALLOWED,
 * REJECTED_BY_PEER, AUTHENTICATION, PROTOCOL, CONNECTION_CLOSED, ...). The session
 * borrows sock; my_keypair is needed only during the call. */
p2p_session_t* p2p_handshake_client(p2p_socket_t* sock, p2p_keypair_t* my_keypair,
                                    const uint8_t* expected_peer_pubkey);
/* p2p_handshake_server runs the server handshake on an accepted socket.
 * allowed_peers: NULL allows every client; otherwise num_allowed pointers to 32-byte
 * keys, and a client not among them is refused (num_allowed 0 refuses everyone). */
p2p_session_t* p2p_handshake_server(p2p_socket_t* sock, p2p_keypair_t* my_keypair,
                                    const uint8_t** allowed_peers, size_t num_allowed);
/* p2p_session_peer_pubkey: the authenticated peer's 32-byte key, owned by the session. */
const uint8_t* p2p_session_peer_pubkey(p2p_session_t* session);
/* p2p_session_key: the plan's 32-byte session key, owned by the session and wiped by
 * p2p_session_free. It is never used to encrypt (protocol-v1 "Keys"): it is for
 * comparing or binding sessions. Treat it as a secret. */
const uint8_t* p2p_session_key(p2p_session_t* session);
/* p2p_session_free: wipes keys and buffers and frees; does not close the socket. */
void p2p_session_free(p2p_session_t* session);

/* --- Messaging (Milestone 2.3) ---------------------------------------------------- */

/* p2p_session_send: encrypts and writes one message of 1..1 MiB bytes. */
p2p_error_t p2p_session_send(p2p_session_t* session, const uint8_t* data, size_t length);
/* p2p_session_receive waits for one message and copies it into buffer. On success
 * *received is its length. If it does not fit, BUFFER_TOO_SMALL is returned, the
 * message is kept for the next call, and *received is its length. PEER_CLOSED means
 * the peer sent close_notify: nothing more will arrive. */
p2p_error_t p2p_session_receive(p2p_session_t* session, uint8_t* buffer, size_t capacity, size_t* received);
/* p2p_session_close: sends close_notify. Receiving remains possible until the peer's. */
p2p_error_t p2p_session_close(p2p_session_t* session);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* P2PNET_H_ */
