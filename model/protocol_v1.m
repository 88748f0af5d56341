-- Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
--
-- protocol_v1.m: the protocol-v1 handshake (docs/protocol.md) as a Murphi model for the
-- rumur model checker, against a Dolev-Yao attacker. docs/model.md explains the model,
-- its bounds and results; scripts/model.sh checks it and its mutations.
--
-- Theory of operation.
--
-- Principals A and B are honest; M is the attacker's own registered identity: both
-- servers allow it, and an honest client may contact it as its server. A session is a
-- HandshakeState and a Transcript, as in the engine (engine/src/handshake.cc,
-- key_schedule.h). A runs two client sessions and one server session, B two server
-- sessions (the constants below). The model starts once with A's client sessions
-- sharing a ReplayCache and once without (the engine's default), so both client
-- configurations are checked.
--
-- The attacker is the network. Everything an honest session sends is public the moment
-- it is sent, and every message an honest session receives is one the attacker chose to
-- deliver, so there is no channel state: rule "server: on KeyExchange" with parameters
-- (owner, role, index) is the attacker delivering a KeyExchange that carries that
-- ephemeral key, and it fires only if the attacker can make the signature verify. The
-- attacker reads everything, drops (never delivers), replays and reorders (delivers
-- any public value, in any order, any number of times) and injects (builds messages
-- from public values and the signatures it can obtain).
--
-- Crypto is perfect and symbolic:
-- - A challenge or ephemeral public key is an atom named after the session that drew
--   it, so it is fresh by construction. The attacker has ATTACKER_CHALLENGES challenges
--   and ATTACKER_EPHS ephemeral keys of its own, and knows no other ephemeral secret.
-- - A signature is a pair (signer, content), where content is the sequence of atoms the
--   engine concatenates: a label, then 32-byte values. The attacker signs anything as
--   M. Of an honest principal it holds exactly the signatures that principal sent, plus,
--   with FOREIGN_SIGNER, a signature on any content that does not start with one of our
--   labels: the same identity key used by another protocol that signs what a peer
--   sends, the case the labels exist for (docs/protocol.md, "Signatures").
-- - The attacker knows a session's keys iff it knows one of the two ephemeral secrets,
--   i.e. one of the ephemerals is its own. (X25519 is perfect; the all-zero result of a
--   low-order key, which the engine refuses, is left out.)
-- A message the receiver would reject (bad signature, client not allowed, unexpected
-- server, replayed challenge) is never delivered: the engine would fail that session,
-- and a failed session is as inert as one that never hears from its peer again.
--
-- Properties (docs/model.md, "Properties"): the invariants at the end.
--
-- Mutations: each MUTATION_* constant is false here. scripts/model.sh derives one
-- variant per constant by setting it to true and checks that rumur reports the
-- invariant that the variant is expected to break.

const
  CLIENT_RUNS_A: 2;        -- client handshakes of A (at most 2)
  SERVER_SESSIONS_A: 1;    -- server handshakes of A
  CLIENT_RUNS_B: 0;
  SERVER_SESSIONS_B: 2;
  ATTACKER_CHALLENGES: 1;  -- challenges the attacker makes up (at most 2)
  ATTACKER_EPHS: 1;        -- ephemeral keys whose secret the attacker knows (at most 2)
  FOREIGN_SIGNER: true;    -- honest identity keys also sign unlabelled peer content
  START_WITHOUT_CACHE: true;  -- check A's clients without a ReplayCache as well as with

  -- MUTATION drop_server_id: the client's signed content omits server_id
  MUTATION_DROP_SERVER_ID: false;
  -- MUTATION drop_client_eph: the server's signed content omits client_eph
  MUTATION_DROP_CLIENT_EPH: false;
  -- MUTATION drop_labels: neither signed content starts with its label
  MUTATION_DROP_LABELS: false;
  -- MUTATION no_replay_cache: a client with a cache signs a challenge it signed before
  MUTATION_NO_REPLAY_CACHE: false;
  -- MUTATION skip_allow_list: the server answers a client outside its allow-list
  MUTATION_SKIP_ALLOW_LIST: false;
  -- MUTATION drop_kdf_ids: session_key is derived without client_id and server_id
  MUTATION_DROP_KDF_IDS: false;

type
  Principal: enum { A, B, M };  -- M: the attacker's identity
  Slot: 1..2;                   -- a session number (client run, server session, attacker value)
  Role: enum { ClientRole, ServerRole };

  -- A challenge: the one drawn by server session (server, session), or the attacker's
  -- number `session` when server = M.
  Challenge: record
    server: Principal;
    session: Slot;
  end;

  -- An X25519 public key: the ephemeral of owner's client run or server session
  -- `index`, or the attacker's number `index` when owner = M (role ClientRole).
  EphemeralKey: record
    owner: Principal;
    role: Role;
    index: Slot;
  end;

  -- engine/src/include/p2pnet/internal/handshake.h HandshakeState, without Failed (see above).
  HandshakeState: enum {
    ClientAwaitServerHello, ClientAwaitAccept,
    ServerAwaitClientHello, ServerAwaitKeyExchange,
    Complete
  };

  -- engine/src/include/p2pnet/internal/key_schedule.h Transcript.
  Transcript: record
    client_id: Principal;
    server_id: Principal;
    challenge: Challenge;
    client_eph: EphemeralKey;
    server_eph: EphemeralKey;
  end;

  -- Signed content: the sequence of items the engine writes, one atom per label or
  -- 32-byte value, padded with NO_ATOM. Atoms of different kinds never compare equal
  -- (see docs/model.md on typing). Codes: 0 none, 1-2 labels, 3-5 identities, 6-11
  -- challenges, 12-23 ephemeral keys.
  Atom: 0..23;
  Content: array [1..6] of Atom;

  Session: record
    state: HandshakeState;
    transcript: Transcript;
    signed: Content;  -- what this session signed, public; all NO_ATOM until it signs
  end;

var
  a_has_replay_cache: boolean;  -- fixed by the start state
  client_run: array [Principal] of array [Slot] of Session;      -- [M] unused
  server_session: array [Principal] of array [Slot] of Session;  -- [M] unused
  -- engine/src/replay_cache.cc: challenges a client has signed (never forgets here).
  replay_cache: array [Principal] of array [Principal] of array [Slot] of boolean;

-- --- Configuration ---------------------------------------------------------------------

function honest(p: Principal): boolean;
begin
  return p != M;
end;

function client_runs(p: Principal): 0..2;
begin
  switch p
    case A: return CLIENT_RUNS_A;
    case B: return CLIENT_RUNS_B;
    else return 0;
  endswitch;
end;

function server_sessions(p: Principal): 0..2;
begin
  switch p
    case A: return SERVER_SESSIONS_A;
    case B: return SERVER_SESSIONS_B;
    else return 0;
  endswitch;
end;

-- ServerConfig::allowed_clients: each honest server allows the other and M, not itself.
function allowed(server: Principal; client: Principal): boolean;
begin
  switch server
    case A: return client = B | client = M;
    case B: return client = A | client = M;
    else return false;
  endswitch;
end;

-- ClientConfig::replay_cache (optional; unset by default).
function has_replay_cache(client: Principal): boolean;
begin
  return client = A & a_has_replay_cache;
end;

-- --- Atoms -------------------------------------------------------------------------------

function make_challenge(server: Principal; session: Slot): Challenge;
var c: Challenge;
begin
  c.server := server;
  c.session := session;
  return c;
end;

function make_eph(owner: Principal; role: Role; index: Slot): EphemeralKey;
var e: EphemeralKey;
begin
  e.owner := owner;
  e.role := role;
  e.index := index;
  return e;
end;

const
  NO_ATOM: 0;
  CLIENT_AUTH_LABEL: 1;  -- "P2PNet-v1 client auth"
  SERVER_AUTH_LABEL: 2;  -- "P2PNet-v1 server auth"

function principal_number(p: Principal): 0..2;
begin
  switch p
    case A: return 0;
    case B: return 1;
    case M: return 2;
  endswitch;
end;

function id_atom(p: Principal): Atom;
begin
  return 3 + principal_number(p);
end;

function challenge_atom(c: Challenge): Atom;
begin
  return 6 + 2 * principal_number(c.server) + c.session - 1;
end;

function eph_atom(e: EphemeralKey): Atom;
begin
  if e.role = ClientRole then
    return 12 + 4 * principal_number(e.owner) + e.index - 1;
  endif;
  return 12 + 4 * principal_number(e.owner) + 2 + e.index - 1;
end;

procedure append(var content: Content; var size: 0..6; atom: Atom);
begin
  size := size + 1;
  content[size] := atom;
end;

function empty_content(): Content;
var content: Content;
begin
  for k: 1..6 do content[k] := NO_ATOM; endfor;
  return content;
end;

-- --- Key schedule: engine/src/key_schedule.cc ------------------------------------------

-- client_signed_content = label || challenge || client_eph || client_id || server_id
function client_signed_content(t: Transcript): Content;
var content: Content;
var size: 0..6;
begin
  content := empty_content();
  size := 0;
  if !MUTATION_DROP_LABELS then append(content, size, CLIENT_AUTH_LABEL); endif;
  append(content, size, challenge_atom(t.challenge));
  append(content, size, eph_atom(t.client_eph));
  append(content, size, id_atom(t.client_id));
  if !MUTATION_DROP_SERVER_ID then append(content, size, id_atom(t.server_id)); endif;
  return content;
end;

-- server_signed_content = label || challenge || server_eph || client_eph || client_id
--                         || server_id
function server_signed_content(t: Transcript): Content;
var content: Content;
var size: 0..6;
begin
  content := empty_content();
  size := 0;
  if !MUTATION_DROP_LABELS then append(content, size, SERVER_AUTH_LABEL); endif;
  append(content, size, challenge_atom(t.challenge));
  append(content, size, eph_atom(t.server_eph));
  if !MUTATION_DROP_CLIENT_EPH then append(content, size, eph_atom(t.client_eph)); endif;
  append(content, size, id_atom(t.client_id));
  append(content, size, id_atom(t.server_id));
  return content;
end;

-- session_key = BLAKE2b(X25519(my_eph_sk, peer_eph) || client_id || server_id || label)
-- (derive_session_keys): a client run and a server session hold the same session_key
-- iff they hold the same pair of ephemerals and the same two identities. The traffic
-- keys hash session_key with the challenge and both ephemerals, so they are equal only
-- when session_key is.
function same_session_key(c: Transcript; s: Transcript): boolean;
begin
  return c.client_eph = s.client_eph & c.server_eph = s.server_eph &
         (MUTATION_DROP_KDF_IDS | (c.client_id = s.client_id & c.server_id = s.server_id));
end;

-- --- What the attacker knows -----------------------------------------------------------

-- A challenge is public once drawn: the server sends ServerHello in the same step.
function challenge_known(server: Principal; session: Slot): boolean;
begin
  if server = M then return session <= ATTACKER_CHALLENGES; endif;
  return server_session[server][session].state != ServerAwaitClientHello;
end;

-- An ephemeral public key is public once drawn: KeyExchange and Accept carry it.
function eph_known(owner: Principal; role: Role; index: Slot): boolean;
begin
  if owner = M then return role = ClientRole & index <= ATTACKER_EPHS; endif;
  if role = ClientRole then
    return client_run[owner][index].state != ClientAwaitServerHello;
  endif;
  return server_session[owner][index].state = Complete;
end;

-- The attacker knows the secret of its own ephemerals only.
function attacker_eph(e: EphemeralKey): boolean;
begin
  return e.owner = M;
end;

-- Whether the attacker can present a signature by signer over content that verifies
-- (the engine's verify_signature).
function signature_available(signer: Principal; content: Content): boolean;
begin
  if signer = M then return true; endif;
  if FOREIGN_SIGNER & content[1] != CLIENT_AUTH_LABEL & content[1] != SERVER_AUTH_LABEL then
    return true;
  endif;
  for k: Slot do
    if client_run[signer][k].signed = content | server_session[signer][k].signed = content then
      return true;
    endif;
  endfor;
  return false;
end;

-- --- Symmetry ------------------------------------------------------------------------------

-- The client runs of one principal differ only in the names of the values they draw,
-- so a behaviour that starts run 2 before run 1 is, renamed, one that starts run 1
-- first: runs start in index order, and so do server sessions. (rumur's own symmetry
-- reduction needs scalarsets, which the named atoms here are not.)
function client_run_may_start(p: Principal; i: Slot): boolean;
begin
  if i > client_runs(p) then return false; endif;
  if i = 1 then return true; endif;
  return client_run[p][i - 1].state != ClientAwaitServerHello;
end;

function server_session_may_start(p: Principal; j: Slot): boolean;
begin
  if j > server_sessions(p) then return false; endif;
  if j = 1 then return true; endif;
  return server_session[p][j - 1].state != ServerAwaitClientHello;
end;

-- --- Start ---------------------------------------------------------------------------------

-- Fields a session has not set yet hold placeholder values that no rule or invariant
-- reads before they are set.
ruleset cache: boolean do
  startstate "start"
    a_has_replay_cache := cache | !START_WITHOUT_CACHE;
    for p: Principal do
      for k: Slot do
        client_run[p][k].state := ClientAwaitServerHello;
        client_run[p][k].transcript.client_id := p;
        client_run[p][k].transcript.server_id := M;
        client_run[p][k].transcript.challenge := make_challenge(M, 1);
        client_run[p][k].transcript.client_eph := make_eph(p, ClientRole, k);
        client_run[p][k].transcript.server_eph := make_eph(M, ClientRole, 1);
        client_run[p][k].signed := empty_content();
        server_session[p][k].state := ServerAwaitClientHello;
        server_session[p][k].transcript.client_id := M;
        server_session[p][k].transcript.server_id := p;
        server_session[p][k].transcript.challenge := make_challenge(p, k);
        server_session[p][k].transcript.client_eph := make_eph(M, ClientRole, 1);
        server_session[p][k].transcript.server_eph := make_eph(p, ServerRole, k);
        server_session[p][k].signed := empty_content();
        for q: Principal do
          replay_cache[p][q][k] := false;
        endfor;
      endfor;
    endfor;
  endstartstate;
endruleset;

-- --- Server: engine/src/handshake.cc ---------------------------------------------------

-- Handshake::on_client_hello: the allow-list is checked before any challenge is drawn,
-- and the challenge goes out in ServerHello at once. The ClientHello is the attacker's
-- to make: it carries a public identity only.
ruleset p: Principal; j: Slot; client: Principal do
  rule "server: on ClientHello"
    honest(p) & server_session_may_start(p, j) &
    server_session[p][j].state = ServerAwaitClientHello &
    (allowed(p, client) | MUTATION_SKIP_ALLOW_LIST)
  ==>
  begin
    server_session[p][j].transcript.client_id := client;
    server_session[p][j].state := ServerAwaitKeyExchange;
  endrule;
endruleset;

-- Handshake::on_key_exchange: verify client_sig over client_signed_content with the
-- client_eph received; then draw server_eph, derive keys, sign, send Accept.
-- (Scalar parameters: rumur 2022.08 cannot generate a record-valued call nested in a
-- guard.)
function key_exchange_verifies(p: Principal; j: Slot; owner: Principal; role: Role;
                               index: Slot): boolean;
var received: Transcript;
begin
  received := server_session[p][j].transcript;
  received.client_eph := make_eph(owner, role, index);
  return signature_available(received.client_id, client_signed_content(received));
end;

ruleset p: Principal; j: Slot; owner: Principal; role: Role; index: Slot do
  rule "server: on KeyExchange"
    honest(p) &
    server_session[p][j].state = ServerAwaitKeyExchange &
    eph_known(owner, role, index) &
    key_exchange_verifies(p, j, owner, role, index)
  ==>
  begin
    server_session[p][j].transcript.client_eph := make_eph(owner, role, index);
    server_session[p][j].signed := server_signed_content(server_session[p][j].transcript);
    server_session[p][j].state := Complete;
  endrule;
endruleset;

-- --- Client: engine/src/handshake.cc ---------------------------------------------------

-- Handshake::on_server_hello. server_id is whatever the attacker sends: a client that
-- expects another server fails here, so the rule stands for every expected_server
-- setting. A challenge in the replay cache fails; otherwise it is recorded, client_eph
-- drawn and KeyExchange sent.
ruleset p: Principal; i: Slot; server: Principal; drawn_by: Principal; session: Slot do
  rule "client: on ServerHello"
    honest(p) & client_run_may_start(p, i) &
    client_run[p][i].state = ClientAwaitServerHello &
    challenge_known(drawn_by, session) &
    !(has_replay_cache(p) & !MUTATION_NO_REPLAY_CACHE & replay_cache[p][drawn_by][session])
  ==>
  begin
    if has_replay_cache(p) then
      replay_cache[p][drawn_by][session] := true;
    endif;
    client_run[p][i].transcript.server_id := server;
    client_run[p][i].transcript.challenge := make_challenge(drawn_by, session);
    client_run[p][i].signed := client_signed_content(client_run[p][i].transcript);
    client_run[p][i].state := ClientAwaitAccept;
  endrule;
endruleset;

-- Handshake::on_accept: verify server_sig, by the server_id of the ServerHello, over
-- server_signed_content with the server_eph received; then derive keys.
function accept_verifies(p: Principal; i: Slot; owner: Principal; role: Role;
                         index: Slot): boolean;
var received: Transcript;
begin
  received := client_run[p][i].transcript;
  received.server_eph := make_eph(owner, role, index);
  return signature_available(received.server_id, server_signed_content(received));
end;

ruleset p: Principal; i: Slot; owner: Principal; role: Role; index: Slot do
  rule "client: on Accept"
    honest(p) &
    client_run[p][i].state = ClientAwaitAccept &
    eph_known(owner, role, index) &
    accept_verifies(p, i, owner, role, index)
  ==>
  begin
    client_run[p][i].transcript.server_eph := make_eph(owner, role, index);
    client_run[p][i].state := Complete;
  endrule;
endruleset;

-- --- Properties ----------------------------------------------------------------------------

-- Server sessions of t.server_id that completed with exactly transcript t.
function matching_server_sessions(t: Transcript): 0..2;
var count: 0..2;
begin
  count := 0;
  for j: Slot do
    if server_session[t.server_id][j].state = Complete &
       server_session[t.server_id][j].transcript = t then
      count := count + 1;
    endif;
  endfor;
  return count;
end;

-- Client runs of t.client_id that signed t's challenge and client_eph for t.server_id
-- (waiting for Accept, or complete).
function matching_client_runs(t: Transcript): 0..2;
var count: 0..2;
var c: Transcript;
begin
  count := 0;
  for i: Slot do
    c := client_run[t.client_id][i].transcript;
    if client_run[t.client_id][i].state != ClientAwaitServerHello &
       c.server_id = t.server_id & c.challenge = t.challenge & c.client_eph = t.client_eph then
      count := count + 1;
    endif;
  endfor;
  return count;
end;

-- Runs of client that signed the challenge (drawn_by, session).
function runs_that_signed(client: Principal; drawn_by: Principal; session: Slot): 0..2;
var count: 0..2;
begin
  count := 0;
  for i: Slot do
    if client_run[client][i].state != ClientAwaitServerHello &
       client_run[client][i].transcript.challenge = make_challenge(drawn_by, session) then
      count := count + 1;
    endif;
  endfor;
  return count;
end;

-- (1) Injective agreement, client side: a client run that completed with an honest
-- server S is matched by exactly one session of S that completed with the same
-- identities, challenge and ephemerals.
invariant "client_agreement"
  forall p: Principal do forall i: Slot do
    (honest(p) & client_run[p][i].state = Complete &
     honest(client_run[p][i].transcript.server_id))
    -> matching_server_sessions(client_run[p][i].transcript) = 1
  endforall endforall;

-- (1) Injective agreement, server side: a server session that completed with an honest
-- client C is matched by exactly one run of C that signed this challenge and client_eph
-- for this server. (That run has not completed yet: the Accept is on its way.)
invariant "server_agreement"
  forall p: Principal do forall j: Slot do
    (honest(p) & server_session[p][j].state = Complete &
     honest(server_session[p][j].transcript.client_id))
    -> matching_client_runs(server_session[p][j].transcript) = 1
  endforall endforall;

-- (2) Secrecy: a completed session whose peer is honest holds keys the attacker cannot
-- compute: neither ephemeral is the attacker's.
invariant "secrecy"
  forall p: Principal do forall k: Slot do
    ((honest(p) & client_run[p][k].state = Complete &
      honest(client_run[p][k].transcript.server_id))
     -> !attacker_eph(client_run[p][k].transcript.server_eph))
    &
    ((honest(p) & server_session[p][k].state = Complete &
      honest(server_session[p][k].transcript.client_id))
     -> !attacker_eph(server_session[p][k].transcript.client_eph))
  endforall endforall;

-- (3) No unknown key share: a client run and a server session that hold the same
-- session key agree on both identities. Signatures alone do not give this: M may relay
-- A's ephemeral to B and B's back, each side believing it talks to M; A and B then share
-- an X25519 secret, and only the identities hashed into session_key keep their keys
-- apart (mutation drop_kdf_ids).
invariant "no_unknown_key_share"
  forall p: Principal do forall i: Slot do forall q: Principal do forall j: Slot do
    (honest(p) & client_run[p][i].state = Complete &
     honest(q) & server_session[q][j].state = Complete &
     same_session_key(client_run[p][i].transcript, server_session[q][j].transcript))
    -> (client_run[p][i].transcript.client_id = server_session[q][j].transcript.client_id &
        client_run[p][i].transcript.server_id = server_session[q][j].transcript.server_id)
  endforall endforall endforall endforall;

-- (4) Allow-list: a server never issues a challenge to, let alone completes with, a
-- client outside its list.
invariant "allow_list"
  forall p: Principal do forall j: Slot do
    (honest(p) & server_session[p][j].state != ServerAwaitClientHello)
    -> allowed(p, server_session[p][j].transcript.client_id)
  endforall endforall;

-- (5) The replay cache's guarantee: a client with a cache signs each challenge at most
-- once, so a ServerHello, recorded and replayed, is answered by at most one of its runs.
invariant "challenge_signed_once"
  forall p: Principal do forall drawn_by: Principal do forall session: Slot do
    has_replay_cache(p) -> runs_that_signed(p, drawn_by, session) <= 1
  endforall endforall endforall;
