-- Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
--
-- protocol_v1.m: the protocol-v1 handshake (docs/protocol.md) as a Murphi model for the
-- rumur model checker, against a Dolev-Yao attacker who may also steal long-term keys.
-- docs/model.md explains the model, its bounds and results; scripts/model.sh checks it
-- and its mutations.
--
-- Theory of operation.
--
-- Principals A and B are honest; M is the attacker's own registered identity. A session
-- is a HandshakeState and a Transcript, as in the engine (engine/src/handshake.cc,
-- key_schedule.h). Which sessions exist is fixed by the scenario, chosen in the start
-- state: in PAIRS each of A and B runs one client and one server session (every role
-- pair), in REPLAY and REPLAY_CACHED A runs two client sessions against B's server
-- sessions, without and with a ReplayCache (the engine's default is none), and in the
-- two STEAL scenarios one client and one server run while identity keys can be stolen.
-- The scenarios' state spaces add up; one with every session and key theft would not.
--
-- The attacker is the network. Everything an honest session sends is public the moment
-- it is sent, and every message an honest session receives is one the attacker chose to
-- deliver, so there is no channel state: rule "server: on KeyExchange" with parameters
-- (owner, role, index) is the attacker delivering a KeyExchange that carries that
-- ephemeral key, and it fires only if the attacker can present a signature that
-- verifies. It reads, drops, replays, reorders and injects. At any time it may also
-- steal the long-term (identity) key of A or B (rule "attacker: steal identity key").
--
-- What the attacker knows is derived, not stored: a value is known if it was sent (a
-- function of the sessions' states) or can be computed from known values (section
-- "What the attacker can derive"): the X25519 secret of two ephemerals when it holds
-- the private part of one of them, every key hashed from known inputs, the plaintext of
-- every frame under a key it knows, and any signature by M or by a stolen key.
--
-- Crypto is perfect and symbolic:
-- - A challenge or ephemeral public key is an atom named after the session that drew
--   it, so it is fresh by construction. The attacker has ATTACKER_CHALLENGES challenges
--   and ATTACKER_EPHS ephemeral keys of its own; no honest ephemeral secret ever leaks
--   (the engine wipes them once the keys are derived).
-- - A signature is a pair (signer, content), where content is the sequence of atoms the
--   engine concatenates: a label, then 32-byte values. With FOREIGN_SIGNER an honest
--   identity key also signs, in another protocol, any content that does not start with
--   one of our labels (docs/protocol.md, "Signatures").
-- - A key is the tuple of what its hash covers (TrafficKey); two keys are equal iff the
--   tuples are.
-- - Each completed session sends one data frame under its sending key: its plaintext is
--   secret, and the frame can be delivered to any session whose receiving key equals
--   that sending key.
-- A message the receiver would reject is never delivered: the engine fails that session,
-- and a failed session is as inert as one that never hears from its peer again.
--
-- Mutations: `mutation` selects a weakened protocol (MUTATION_* below; NO_MUTATION is
-- the protocol). The start state fixes it from the range MUTATIONS_FROM..MUTATIONS_TO,
-- which is 0..0 here: this file checks the protocol itself. scripts/model.sh widens the
-- range and turns each invariant into one cover per mutation, so that one run reports
-- every property every mutation breaks.

const
  ATTACKER_CHALLENGES: 1;  -- challenges the attacker makes up (at most 2)
  ATTACKER_EPHS: 1;        -- ephemeral keys whose secret the attacker knows (at most 2)
  FOREIGN_SIGNER: true;    -- honest identity keys also sign unlabelled content elsewhere
  COMPROMISE: true;        -- in the STEAL scenarios the attacker may steal identity keys
  REPLAY_SERVERS: 1;       -- B's server sessions in REPLAY and REPLAY_CACHED (at most 2)

  -- Scenarios: which honest sessions exist (client runs, server sessions).
  PAIRS: 0;          -- A: 1 client, 1 server; B: 1 client, 1 server
  REPLAY: 1;         -- A: 2 clients without a replay cache; B: REPLAY_SERVERS servers
  REPLAY_CACHED: 2;  -- A: 2 clients sharing a replay cache; B: REPLAY_SERVERS servers
  STEAL_A_TO_B: 3;   -- A: 1 client; B: 1 server; the attacker may steal both keys
  STEAL_B_TO_A: 4;   -- B: 1 client; A: 1 server; the attacker may steal both keys
  LAST_SCENARIO: 4;

  MUTATIONS_FROM: 0;
  MUTATIONS_TO: 0;
  NO_MUTATION: 0;
  -- MUTATION drop_client_label (1): the client's signed content has no label
  MUTATION_DROP_CLIENT_LABEL: 1;
  -- MUTATION drop_client_challenge (2): the client's signed content omits the challenge
  MUTATION_DROP_CLIENT_CHALLENGE: 2;
  -- MUTATION drop_client_eph_client_sig (3): the client's signed content omits client_eph
  MUTATION_DROP_CLIENT_EPH_CLIENT_SIG: 3;
  -- MUTATION drop_client_id_client_sig (4): the client's signed content omits client_id
  MUTATION_DROP_CLIENT_ID_CLIENT_SIG: 4;
  -- MUTATION drop_server_id (5): the client's signed content omits server_id
  MUTATION_DROP_SERVER_ID: 5;
  -- MUTATION drop_server_label (6): the server's signed content has no label
  MUTATION_DROP_SERVER_LABEL: 6;
  -- MUTATION drop_server_challenge (7): the server's signed content omits the challenge
  MUTATION_DROP_SERVER_CHALLENGE: 7;
  -- MUTATION drop_server_eph (8): the server's signed content omits server_eph
  MUTATION_DROP_SERVER_EPH: 8;
  -- MUTATION drop_client_eph (9): the server's signed content omits client_eph
  MUTATION_DROP_CLIENT_EPH: 9;
  -- MUTATION drop_client_id_server_sig (10): the server's signed content omits client_id
  MUTATION_DROP_CLIENT_ID_SERVER_SIG: 10;
  -- MUTATION drop_server_id_server_sig (11): the server's signed content omits server_id
  MUTATION_DROP_SERVER_ID_SERVER_SIG: 11;
  -- MUTATION drop_labels (12): neither signed content starts with its label
  MUTATION_DROP_LABELS: 12;
  -- MUTATION drop_labels_no_foreign_signer (13): drop_labels, and no key signs elsewhere
  MUTATION_DROP_LABELS_NO_FOREIGN_SIGNER: 13;
  -- MUTATION drop_kdf_ids (14): session_key hashes neither client_id nor server_id
  MUTATION_DROP_KDF_IDS: 14;
  -- MUTATION drop_kdf_client_id (15): session_key does not hash client_id
  MUTATION_DROP_KDF_CLIENT_ID: 15;
  -- MUTATION drop_kdf_server_id (16): session_key does not hash server_id
  MUTATION_DROP_KDF_SERVER_ID: 16;
  -- MUTATION drop_direction_labels (17): key_c2s and key_s2c are one key
  MUTATION_DROP_DIRECTION_LABELS: 17;
  -- MUTATION drop_tail_challenge (18): the traffic keys do not hash the challenge
  MUTATION_DROP_TAIL_CHALLENGE: 18;
  -- MUTATION drop_tail_ephs (19): the traffic keys do not hash the two ephemerals
  MUTATION_DROP_TAIL_EPHS: 19;
  -- MUTATION no_replay_cache (20): a client with a cache signs a challenge it signed before
  MUTATION_NO_REPLAY_CACHE: 20;
  -- MUTATION drop_client_eph_with_cache (21): drop_client_eph, every client has a cache
  MUTATION_DROP_CLIENT_EPH_WITH_CACHE: 21;
  -- MUTATION skip_allow_list (22): the server answers a client outside its allow-list
  MUTATION_SKIP_ALLOW_LIST: 22;
  LAST_MUTATION: 22;

type
  Principal: enum { A, B, M };  -- M: the attacker's identity
  Slot: 1..2;                   -- a session number (client run, server session, attacker value)
  Role: enum { ClientRole, ServerRole };
  MutationId: 0..LAST_MUTATION;
  ScenarioId: 0..LAST_SCENARIO;

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

  -- A traffic key: the inputs of its hash. X25519(client_eph, server_eph) enters
  -- session_key with client_id and server_id; key_c2s/key_s2c hash session_key with a
  -- direction label, the challenge and both ephemerals. An input a mutation drops is set
  -- to a fixed placeholder.
  TrafficKey: record
    dh_client_eph: EphemeralKey;  -- the X25519 shared secret, by its two public keys
    dh_server_eph: EphemeralKey;
    client_id: Principal;
    server_id: Principal;
    c2s: boolean;
    challenge: Challenge;
    tail_client_eph: EphemeralKey;
    tail_server_eph: EphemeralKey;
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
    signed: Content;        -- what this session signed, public; all NO_ATOM until it signs
    peer_trusted: boolean;  -- on completion: the peer is A or B and its key not stolen
    own_key_stolen: boolean;  -- on completion: the session's own identity key was stolen
  end;

var
  mutation: MutationId;   -- fixed by the start state
  scenario: ScenarioId;   -- fixed by the start state
  client_run: array [Principal] of array [Slot] of Session;      -- [M] unused
  server_session: array [Principal] of array [Slot] of Session;  -- [M] unused
  -- engine/src/replay_cache.cc: challenges a client has signed (never forgets here).
  replay_cache: array [Principal] of array [Principal] of array [Slot] of boolean;
  stolen: array [Principal] of boolean;  -- identity keys the attacker has stolen

-- --- Configuration ---------------------------------------------------------------------

function mutated(m: MutationId): boolean;
begin
  return mutation = m;
end;

function honest(p: Principal): boolean;
begin
  return p != M;
end;

function client_runs(p: Principal): 0..2;
begin
  if p = M then return 0; endif;
  if scenario = PAIRS then return 1; endif;
  if scenario = STEAL_A_TO_B then return p = A ? 1 : 0; endif;
  if scenario = STEAL_B_TO_A then return p = B ? 1 : 0; endif;
  return p = A ? 2 : 0;
end;

function server_sessions(p: Principal): 0..2;
begin
  if p = M then return 0; endif;
  if scenario = PAIRS then return 1; endif;
  if scenario = STEAL_B_TO_A then return p = A ? 1 : 0; endif;
  if scenario = STEAL_A_TO_B then return p = B ? 1 : 0; endif;
  return p = B ? REPLAY_SERVERS : 0;
end;

-- ServerConfig::allowed_clients: A allows B and the attacker's identity M; B allows A
-- only. Neither allows itself.
function allowed(server: Principal; client: Principal): boolean;
begin
  switch server
    case A: return client = B | client = M;
    case B: return client = A;
    else return false;
  endswitch;
end;

-- ClientConfig::replay_cache (optional; unset by default).
function has_replay_cache(client: Principal): boolean;
begin
  return (client = A & scenario = REPLAY_CACHED) |
         (honest(client) & mutated(MUTATION_DROP_CLIENT_EPH_WITH_CACHE));
end;

function foreign_signer(): boolean;
begin
  return FOREIGN_SIGNER & !mutated(MUTATION_DROP_LABELS_NO_FOREIGN_SIGNER);
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
  if !(mutated(MUTATION_DROP_CLIENT_LABEL) | mutated(MUTATION_DROP_LABELS) |
       mutated(MUTATION_DROP_LABELS_NO_FOREIGN_SIGNER)) then
    append(content, size, CLIENT_AUTH_LABEL);
  endif;
  if !mutated(MUTATION_DROP_CLIENT_CHALLENGE) then
    append(content, size, challenge_atom(t.challenge));
  endif;
  if !mutated(MUTATION_DROP_CLIENT_EPH_CLIENT_SIG) then
    append(content, size, eph_atom(t.client_eph));
  endif;
  if !mutated(MUTATION_DROP_CLIENT_ID_CLIENT_SIG) then
    append(content, size, id_atom(t.client_id));
  endif;
  if !mutated(MUTATION_DROP_SERVER_ID) then append(content, size, id_atom(t.server_id)); endif;
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
  if !(mutated(MUTATION_DROP_SERVER_LABEL) | mutated(MUTATION_DROP_LABELS) |
       mutated(MUTATION_DROP_LABELS_NO_FOREIGN_SIGNER)) then
    append(content, size, SERVER_AUTH_LABEL);
  endif;
  if !mutated(MUTATION_DROP_SERVER_CHALLENGE) then
    append(content, size, challenge_atom(t.challenge));
  endif;
  if !mutated(MUTATION_DROP_SERVER_EPH) then append(content, size, eph_atom(t.server_eph)); endif;
  if !(mutated(MUTATION_DROP_CLIENT_EPH) | mutated(MUTATION_DROP_CLIENT_EPH_WITH_CACHE)) then
    append(content, size, eph_atom(t.client_eph));
  endif;
  if !mutated(MUTATION_DROP_CLIENT_ID_SERVER_SIG) then
    append(content, size, id_atom(t.client_id));
  endif;
  if !mutated(MUTATION_DROP_SERVER_ID_SERVER_SIG) then
    append(content, size, id_atom(t.server_id));
  endif;
  return content;
end;

-- derive_session_keys:
--   session_key = BLAKE2b(X25519(my_eph_sk, peer_eph) || client_id || server_id || label)
--   key_c2s, key_s2c = BLAKE2b(key=session_key, direction label || challenge ||
--                              client_eph || server_eph)
-- The placeholder for a dropped identity is M, for a dropped challenge the attacker's
-- first, for dropped ephemerals the attacker's first: the same value in every session.
function traffic_key(t: Transcript; c2s: boolean): TrafficKey;
var k: TrafficKey;
begin
  k.dh_client_eph := t.client_eph;
  k.dh_server_eph := t.server_eph;
  k.client_id := t.client_id;
  k.server_id := t.server_id;
  if mutated(MUTATION_DROP_KDF_IDS) | mutated(MUTATION_DROP_KDF_CLIENT_ID) then
    k.client_id := M;
  endif;
  if mutated(MUTATION_DROP_KDF_IDS) | mutated(MUTATION_DROP_KDF_SERVER_ID) then
    k.server_id := M;
  endif;
  k.c2s := c2s | mutated(MUTATION_DROP_DIRECTION_LABELS);
  k.challenge := t.challenge;
  if mutated(MUTATION_DROP_TAIL_CHALLENGE) then k.challenge := make_challenge(M, 1); endif;
  k.tail_client_eph := t.client_eph;
  k.tail_server_eph := t.server_eph;
  if mutated(MUTATION_DROP_TAIL_EPHS) then
    k.tail_client_eph := make_eph(M, ClientRole, 1);
    k.tail_server_eph := make_eph(M, ClientRole, 1);
  endif;
  return k;
end;

-- --- What the attacker can derive ----------------------------------------------------------

-- A challenge is public once drawn: the server sends ServerHello in the same step.
function challenge_known(server: Principal; session: Slot): boolean;
begin
  if server = M then return session <= ATTACKER_CHALLENGES; endif;
  return session <= server_sessions(server) &
         server_session[server][session].state != ServerAwaitClientHello;
end;

-- An ephemeral public key is public once drawn: KeyExchange and Accept carry it.
function eph_known(owner: Principal; role: Role; index: Slot): boolean;
begin
  if owner = M then return role = ClientRole & index <= ATTACKER_EPHS; endif;
  if role = ClientRole then
    return index <= client_runs(owner) &
           client_run[owner][index].state != ClientAwaitServerHello;
  endif;
  return index <= server_sessions(owner) & server_session[owner][index].state = Complete;
end;

-- The private part of an ephemeral: only the attacker's own (honest ones are wiped).
function knows_eph_secret(e: EphemeralKey): boolean;
begin
  return e.owner = M;
end;

-- X25519(x, Y) = X25519(y, X): computable with the private part of either side.
function knows_dh(x: EphemeralKey; y: EphemeralKey): boolean;
begin
  return knows_eph_secret(x) | knows_eph_secret(y);
end;

-- Every input of a traffic key's hash but the X25519 secret is public.
function knows_key(k: TrafficKey): boolean;
begin
  return knows_dh(k.dh_client_eph, k.dh_server_eph);
end;

-- The attacker signs as M, and as any honest principal whose key it stole.
function can_sign_as(p: Principal): boolean;
begin
  return p = M | stolen[p];
end;

-- Whether the attacker can present a signature by signer over content that verifies
-- (the engine's verify_signature).
function signature_available(signer: Principal; content: Content): boolean;
begin
  if can_sign_as(signer) then return true; endif;
  if foreign_signer() & content[1] != CLIENT_AUTH_LABEL & content[1] != SERVER_AUTH_LABEL then
    return true;
  endif;
  for k: Slot do
    if client_run[signer][k].signed = content | server_session[signer][k].signed = content then
      return true;
    endif;
  endfor;
  return false;
end;

function trusted(p: Principal): boolean;
begin
  return honest(p) & !stolen[p];
end;

-- --- Symmetry ------------------------------------------------------------------------------

-- The client runs of one principal differ only in the names of the values they draw,
-- so a behaviour that starts run 2 before run 1 is, renamed, one that starts run 1
-- first: runs start in index order, and so do server sessions.
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

-- Fields a session has not set yet hold placeholder values that no rule or property
-- reads before they are set.
ruleset m: MUTATIONS_FROM..MUTATIONS_TO; s: ScenarioId do
  startstate "start"
    mutation := m;
    scenario := s;
    for p: Principal do
      stolen[p] := false;
      for k: Slot do
        client_run[p][k].state := ClientAwaitServerHello;
        client_run[p][k].transcript.client_id := p;
        client_run[p][k].transcript.server_id := M;
        client_run[p][k].transcript.challenge := make_challenge(M, 1);
        client_run[p][k].transcript.client_eph := make_eph(p, ClientRole, k);
        client_run[p][k].transcript.server_eph := make_eph(M, ClientRole, 1);
        client_run[p][k].signed := empty_content();
        client_run[p][k].peer_trusted := false;
        client_run[p][k].own_key_stolen := false;
        server_session[p][k].state := ServerAwaitClientHello;
        server_session[p][k].transcript.client_id := M;
        server_session[p][k].transcript.server_id := p;
        server_session[p][k].transcript.challenge := make_challenge(p, k);
        server_session[p][k].transcript.client_eph := make_eph(M, ClientRole, 1);
        server_session[p][k].transcript.server_eph := make_eph(p, ServerRole, k);
        server_session[p][k].signed := empty_content();
        server_session[p][k].peer_trusted := false;
        server_session[p][k].own_key_stolen := false;
        for q: Principal do
          replay_cache[p][q][k] := false;
        endfor;
      endfor;
    endfor;
  endstartstate;
endruleset;

-- --- Attacker: long-term key compromise ------------------------------------------------

ruleset p: Principal do
  rule "attacker: steal identity key"
    COMPROMISE & (scenario = STEAL_A_TO_B | scenario = STEAL_B_TO_A) & honest(p) & !stolen[p]
  ==>
  begin
    stolen[p] := true;
  endrule;
endruleset;

-- --- Server: engine/src/handshake.cc ---------------------------------------------------

-- Handshake::on_client_hello: the allow-list is checked before any challenge is drawn,
-- and the challenge goes out in ServerHello at once. The ClientHello is the attacker's
-- to make: it carries a public identity only.
ruleset p: Principal; j: Slot; client: Principal do
  rule "server: on ClientHello"
    honest(p) & server_session_may_start(p, j) &
    server_session[p][j].state = ServerAwaitClientHello &
    (allowed(p, client) | mutated(MUTATION_SKIP_ALLOW_LIST))
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
    server_session[p][j].peer_trusted := trusted(server_session[p][j].transcript.client_id);
    server_session[p][j].own_key_stolen := stolen[p];
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
    !(has_replay_cache(p) & !mutated(MUTATION_NO_REPLAY_CACHE) &
      replay_cache[p][drawn_by][session])
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
    client_run[p][i].peer_trusted := trusted(client_run[p][i].transcript.server_id);
    client_run[p][i].own_key_stolen := stolen[p];
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
    if j <= server_sessions(t.server_id) &
       server_session[t.server_id][j].state = Complete &
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
    if i <= client_runs(t.client_id) &
       client_run[t.client_id][i].state != ClientAwaitServerHello &
       c.server_id = t.server_id & c.challenge = t.challenge & c.client_eph = t.client_eph then
      count := count + 1;
    endif;
  endfor;
  return count;
end;

-- (1) Injective agreement, client side: a client run that completed with a trusted
-- server S (honest, key not stolen at that point) is matched by exactly one session of S
-- that completed with the same identities, challenge and ephemerals. The client's own
-- key may be stolen: agreement under it is key-compromise-impersonation resistance.
function client_agreement(): boolean;
begin
  for p: Principal do for i: Slot do
    if honest(p) & client_run[p][i].state = Complete & client_run[p][i].peer_trusted &
       matching_server_sessions(client_run[p][i].transcript) != 1 then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- (1) Injective agreement, server side: a server session that completed with a trusted
-- client C is matched by exactly one run of C that signed this challenge and client_eph
-- for this server. (That run has not completed yet: the Accept is on its way.)
function server_agreement(): boolean;
begin
  for p: Principal do for j: Slot do
    if honest(p) & server_session[p][j].state = Complete & server_session[p][j].peer_trusted &
       matching_client_runs(server_session[p][j].transcript) != 1 then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- (2) Secrecy with forward secrecy: the attacker cannot derive either traffic key (and
-- so cannot read the frames) of a session that completed with a trusted peer, whatever
-- it steals afterwards, and whether or not the session's own key was stolen before.
function session_secret(t: Transcript): boolean;
begin
  return !knows_key(traffic_key(t, true)) & !knows_key(traffic_key(t, false));
end;

function secrecy(): boolean;
begin
  for p: Principal do for k: Slot do
    if honest(p) & client_run[p][k].state = Complete & client_run[p][k].peer_trusted &
       !session_secret(client_run[p][k].transcript) then
      return false;
    endif;
    if honest(p) & server_session[p][k].state = Complete & server_session[p][k].peer_trusted &
       !session_secret(server_session[p][k].transcript) then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- (3) Frame origin: a frame that one completed session sent can be delivered to, and
-- decrypts at, another completed session (or the sender itself) only if the two are
-- partners: a client run and a server session with the same transcript, the one sending
-- what the other receives. So no unknown key share (a session receives frames from a
-- session that believes it talks to someone else) and no reflection. Whether peers are
-- trusted does not matter: the key schedule alone gives this.
function frame_goes_to_partner(sender: Transcript; sender_is_client: boolean;
                               receiver: Transcript; receiver_is_client: boolean): boolean;
begin
  if traffic_key(sender, sender_is_client) != traffic_key(receiver, !receiver_is_client) then
    return true;  -- the frame does not decrypt there
  endif;
  return sender_is_client != receiver_is_client & sender = receiver;
end;

function frame_origin(): boolean;
begin
  for p: Principal do for i: Slot do
    if honest(p) & client_run[p][i].state = Complete then
      for q: Principal do for j: Slot do
        if honest(q) & server_session[q][j].state = Complete then
          if !frame_goes_to_partner(client_run[p][i].transcript, true,
                                    server_session[q][j].transcript, false) |
             !frame_goes_to_partner(server_session[q][j].transcript, false,
                                    client_run[p][i].transcript, true) then
            return false;
          endif;
        endif;
        if honest(q) & client_run[q][j].state = Complete &
           !frame_goes_to_partner(client_run[p][i].transcript, true,
                                  client_run[q][j].transcript, true) then
          return false;
        endif;
      endfor; endfor;
    endif;
    if honest(p) & server_session[p][i].state = Complete then
      for q: Principal do for j: Slot do
        if honest(q) & server_session[q][j].state = Complete &
           !frame_goes_to_partner(server_session[p][i].transcript, false,
                                  server_session[q][j].transcript, false) then
          return false;
        endif;
      endfor; endfor;
    endif;
  endfor; endfor;
  return true;
end;

-- (4) Access: a server completes only with clients on its allow-list. The attacker
-- achieves a session with a server that does not allow M only through this.
function access(): boolean;
begin
  for p: Principal do for j: Slot do
    if honest(p) & server_session[p][j].state = Complete &
       !allowed(p, server_session[p][j].transcript.client_id) then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- One invariant per line, `invariant "name" function();`: scripts/model.sh rewrites
-- these lines into one cover per mutation.
invariant "client_agreement" client_agreement();
invariant "server_agreement" server_agreement();
invariant "secrecy" secrecy();
invariant "frame_origin" frame_origin();
invariant "access" access();

-- --- Reachability: every role pair completes, and the compromise cases happen ----------------

function pair_completes(client: Principal; server: Principal): boolean;
begin
  for i: Slot do
    if client_run[client][i].state = Complete &
       client_run[client][i].transcript.server_id = server &
       (server = M | matching_server_sessions(client_run[client][i].transcript) = 1) then
      return true;
    endif;
  endfor;
  return false;
end;

function server_completes_with(server: Principal; client: Principal): boolean;
begin
  for j: Slot do
    if server_session[server][j].state = Complete &
       server_session[server][j].transcript.client_id = client then
      return true;
    endif;
  endfor;
  return false;
end;

-- A session that completed with a trusted peer whose key the attacker holds now.
function completed_then_peer_stolen(): boolean;
begin
  for p: Principal do for k: Slot do
    if honest(p) & client_run[p][k].state = Complete & client_run[p][k].peer_trusted &
       stolen[client_run[p][k].transcript.server_id] & stolen[p] then
      return true;
    endif;
  endfor; endfor;
  return false;
end;

-- A session that completed with a trusted peer while its own key was stolen.
function completed_with_own_key_stolen(): boolean;
begin
  for p: Principal do for k: Slot do
    if honest(p) & server_session[p][k].state = Complete & server_session[p][k].peer_trusted &
       server_session[p][k].own_key_stolen then
      return true;
    endif;
    if honest(p) & client_run[p][k].state = Complete & client_run[p][k].peer_trusted &
       client_run[p][k].own_key_stolen then
      return true;
    endif;
  endfor; endfor;
  return false;
end;

cover "A's client completes with B's server" mutation = NO_MUTATION & pair_completes(A, B);
cover "B's client completes with A's server" mutation = NO_MUTATION & pair_completes(B, A);
cover "A's client completes with M" mutation = NO_MUTATION & pair_completes(A, M);
cover "B's client completes with M" mutation = NO_MUTATION & pair_completes(B, M);
cover "A's server completes with M" mutation = NO_MUTATION & server_completes_with(A, M);
cover "a second run of A completes" mutation = NO_MUTATION & client_run[A][2].state = Complete;
cover "both keys stolen after a trusted session" mutation = NO_MUTATION &
  completed_then_peer_stolen();
cover "a session completes with a trusted peer after its own key was stolen"
  mutation = NO_MUTATION & completed_with_own_key_stolen();
