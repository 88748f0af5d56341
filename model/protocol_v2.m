-- Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
--
-- protocol_v2.m: the protocol-v2 handshake (Noise XX, or XXpsk0 with a network key, with
-- Ed25519 identities bound to the Noise static keys) and its key updates, as a Murphi
-- model for the rumur model checker, against a Dolev-Yao attacker with DH algebra who
-- may also steal identity keys and a session's current traffic key. docs/model.md
-- explains the model, its bounds and results; scripts/model.sh checks it and its
-- mutations.
--
-- Theory of operation.
--
--     -> [psk,] e                     payload: empty (a tag under the psk with psk0)
--     <- e, ee, s, es                 payload: server identity
--     -> s, se                        payload: client identity
--
-- Principals A and B are honest; M is the attacker's own registered identity. An
-- identity is an Ed25519 key and its Noise static key is that key converted, so the
-- model names a static key by its principal. The sessions that exist, and how each
-- principal is configured (expected server, network key, application prologue), are
-- fixed by the scenario, chosen in the start state (section "Scenarios").
--
-- A session is its state and its View: everything it has mixed into the handshake hash
-- h so far (prologue, psk, the two ephemerals, the two static keys of the s tokens and
-- the two identities of the payloads). The chaining key, and so every key, depends only
-- on which secrets were mixed: the psk (with a network key), then ee, es and se:
--     k2a       = KDF(psk, ee)            encrypts the server's s in message 2
--     k2b       = KDF(psk, ee, es)        the server's payload, the client's s in message 3
--     k3        = KDF(psk, ee, es, se)    the client's payload; Split() gives the
--                                         transport keys from the same chaining key
-- and every AEAD takes h as associated data, so a message decrypts only at a session
-- whose View so far equals its sender's.
--
-- The attacker is the network (no channel state: a rule delivering a message fires if
-- the attacker can relay one an honest session sent, whose View matches, or make one).
-- What it knows is derived, never stored: the private part of its own ephemerals and of
-- M's static key and any stolen static key; X25519(x, Y) = X25519(y, X) when it holds x
-- or y; a chaining key when it knows every secret mixed into it (the psk is never
-- known); and so the plaintext under any such key: a static key and an identity are
-- learnt by decrypting the message that carries them.
--
-- Crypto is perfect and symbolic, as in protocol_v1.m. The all-zero DH result of a
-- low-order key (refused by the engine) and the nonces are left out.
--
-- Mutations as in protocol_v1.m: `mutation` selects a weakened protocol, fixed by the
-- start state from MUTATIONS_FROM..MUTATIONS_TO (0..0 here: the protocol itself).

const
  ATTACKER_EPHS: 1;  -- ephemeral keys whose secret the attacker knows (at most 2)
  NO_GEN: 2;         -- a traffic key generation that was never revealed
  REPLAY_CLIENTS: 2; -- A's client sessions in scenario REPLAY (at most 2)
  STEAL_IN_PAIRS: false;  -- identity keys can be stolen in scenario PAIRS too

  -- Scenarios: which honest sessions exist and how the principals are configured.
  PAIRS: 0;          -- A: 1 client (expects B), 1 server; B: 1 client (expects anyone), 1 server
  REPLAY: 1;         -- A: REPLAY_CLIENTS clients (expect B); B: 2 servers
  STEAL_A_TO_B: 2;   -- A: 1 client (expects B); B: 1 server; both identity keys can be stolen
  STEAL_B_TO_A: 3;   -- B: 1 client (expects A); A: 1 server; both identity keys can be stolen
  NETWORK_KEY: 4;    -- A: 1 client (expects anyone); B: 1 server; both hold the network key
  PROLOGUE: 5;       -- A: 1 client (expects B) with another application prologue; B: 1 server
  KEY_UPDATE: 6;     -- A: 1 client (expects B); B: 1 server; A's client updates its sending
                     -- key, and the attacker can steal that key once
  LAST_SCENARIO: 6;

  MUTATIONS_FROM: 0;
  MUTATIONS_TO: 0;
  NO_MUTATION: 0;
  -- MUTATION no_binding_check (1): no side compares the payload's identity with rs
  MUTATION_NO_BINDING_CHECK: 1;
  -- MUTATION late_server_check (2): the client sends message 3 before checking the server
  MUTATION_LATE_SERVER_CHECK: 2;
  -- MUTATION drop_es (3): the pattern has no es token
  MUTATION_DROP_ES: 3;
  -- MUTATION drop_se (4): the pattern has no se token
  MUTATION_DROP_SE: 4;
  -- MUTATION no_psk (5): a network key is configured but not used as the psk
  MUTATION_NO_PSK: 5;
  -- MUTATION prologue_not_mixed (6): the prologue is not mixed into h
  MUTATION_PROLOGUE_NOT_MIXED: 6;
  -- MUTATION rekey_keeps_old_key (7): REKEY() leaves the key as it was
  MUTATION_REKEY_KEEPS_OLD_KEY: 7;
  LAST_MUTATION: 7;

type
  Principal: enum { A, B, M };  -- M: the attacker's identity
  Slot: 1..2;
  Role: enum { ClientRole, ServerRole };
  MutationId: 0..LAST_MUTATION;
  ScenarioId: 0..LAST_SCENARIO;
  Generation: 0..NO_GEN;

  -- An X25519 ephemeral public key: that of owner's client or server session `index`,
  -- or the attacker's number `index` when owner = M (role ClientRole).
  EphemeralKey: record
    owner: Principal;
    role: Role;
    index: Slot;
  end;

  -- What a session has mixed into h (an unset field holds a placeholder no rule or
  -- property reads before it is set).
  View: record
    prologue: 0..1;
    psk: boolean;
    client_eph: EphemeralKey;
    server_eph: EphemeralKey;
    server_static: Principal;  -- s of message 2
    server_id: Principal;      -- payload of message 2
    client_static: Principal;  -- s of message 3
    client_id: Principal;      -- payload of message 3
  end;

  SessionState: enum {
    ClientStart, ClientAwaitMessage2, ClientComplete,
    ClientRejected,  -- sent message 3, then refused the server (late_server_check only)
    ServerAwaitMessage1, ServerAwaitMessage3, ServerComplete
  };

  Session: record
    state: SessionState;
    view: View;
    peer_trusted: boolean;    -- on completion: the peer is A or B and its key not stolen
    own_key_stolen: boolean;  -- on completion: the session's own identity key was stolen
    send_generation: 0..1;    -- REKEY()s applied to the sending key
    revealed: Generation;     -- the generation of the sending key the attacker stole
  end;

var
  mutation: MutationId;  -- fixed by the start state
  scenario: ScenarioId;  -- fixed by the start state
  client: array [Principal] of array [Slot] of Session;  -- [M] unused
  server: array [Principal] of array [Slot] of Session;  -- [M] unused
  stolen: array [Principal] of boolean;                  -- identity keys stolen

-- --- Scenarios -----------------------------------------------------------------------------

function mutated(m: MutationId): boolean;
begin
  return mutation = m;
end;

function honest(p: Principal): boolean;
begin
  return p != M;
end;

function client_sessions(p: Principal): 0..2;
begin
  if p = M then return 0; endif;
  switch scenario
    case PAIRS: return 1;
    case REPLAY: return p = A ? REPLAY_CLIENTS : 0;
    case STEAL_B_TO_A: return p = B ? 1 : 0;
    else return p = A ? 1 : 0;
  endswitch;
end;

function server_sessions(p: Principal): 0..2;
begin
  if p = M then return 0; endif;
  switch scenario
    case PAIRS: return 1;
    case REPLAY: return p = B ? 2 : 0;
    case STEAL_B_TO_A: return p = A ? 1 : 0;
    else return p = B ? 1 : 0;
  endswitch;
end;

-- The client's expected server identity: M stands for "none, anyone is accepted".
function expected_server(p: Principal): Principal;
begin
  if scenario = NETWORK_KEY | (scenario = PAIRS & p = B) then return M; endif;
  return p = A ? B : A;
end;

function network_key_configured(p: Principal): boolean;
begin
  return scenario = NETWORK_KEY;
end;

-- The psk is in use where a network key is configured (XXpsk0), unless no_psk.
function uses_psk(p: Principal): boolean;
begin
  return network_key_configured(p) & !mutated(MUTATION_NO_PSK);
end;

function application_prologue(p: Principal): 0..1;
begin
  return (scenario = PROLOGUE & p = A) ? 1 : 0;
end;

-- ServerConfig::allowed_clients, checked on message 3: A allows B and M, B allows A.
function allowed(p: Principal; c: Principal): boolean;
begin
  switch p
    case A: return c = B | c = M;
    case B: return c = A;
    else return false;
  endswitch;
end;

function make_eph(owner: Principal; role: Role; index: Slot): EphemeralKey;
var e: EphemeralKey;
begin
  e.owner := owner;
  e.role := role;
  e.index := index;
  return e;
end;

-- --- What the attacker can derive ----------------------------------------------------------

-- An ephemeral public key is public once sent (message 1 or 2).
function eph_known(e: EphemeralKey): boolean;
begin
  if e.owner = M then return e.role = ClientRole & e.index <= ATTACKER_EPHS; endif;
  if e.role = ClientRole then
    return e.index <= client_sessions(e.owner) & client[e.owner][e.index].state != ClientStart;
  endif;
  return e.index <= server_sessions(e.owner) &
         server[e.owner][e.index].state != ServerAwaitMessage1;
end;

function knows_eph_secret(e: EphemeralKey): boolean;
begin
  return e.owner = M;
end;

function knows_static_secret(p: Principal): boolean;
begin
  return p = M | stolen[p];
end;

function trusted(p: Principal): boolean;
begin
  return honest(p) & !stolen[p];
end;

-- X25519(x, Y) = X25519(y, X): with the private part of either side.
function knows_ee(v: View): boolean;
begin
  return knows_eph_secret(v.client_eph) | knows_eph_secret(v.server_eph);
end;

function knows_es(v: View): boolean;
begin
  return mutated(MUTATION_DROP_ES) |  -- no es token: nothing to know
         knows_eph_secret(v.client_eph) | knows_static_secret(v.server_static);
end;

function knows_se(v: View): boolean;
begin
  return mutated(MUTATION_DROP_SE) |
         knows_static_secret(v.client_static) | knows_eph_secret(v.server_eph);
end;

-- A chaining key is known when every secret mixed into it is: the network key never is.
function knows_k2a(v: View): boolean;
begin
  return !v.psk & knows_ee(v);
end;

function knows_k2b(v: View): boolean;
begin
  return knows_k2a(v) & knows_es(v);
end;

function knows_k3(v: View): boolean;  -- and so the transport keys
begin
  return knows_k2b(v) & knows_se(v);
end;

-- A sending key of generation g: from the handshake, or from a stolen key of generation
-- r <= g (REKEY() is one-way: k' = ENCRYPT(k, maxnonce, zeros)); with
-- rekey_keeps_old_key every generation is the same key.
function knows_sending_key(s: Session; g: 0..1): boolean;
begin
  return knows_k3(s.view) | s.revealed <= g |
         (mutated(MUTATION_REKEY_KEEPS_OLD_KEY) & s.revealed != NO_GEN);
end;

-- h as a message's associated data: two Views give the same h when every field mixed so
-- far is equal. `upto` is the number of messages: 1 (prologue, psk, e), 2 (e, s and
-- the server's payload), 3 (s and the client's payload).
function same_h(x: View; y: View; upto: 1..3): boolean;
begin
  if !mutated(MUTATION_PROLOGUE_NOT_MIXED) & x.prologue != y.prologue then return false; endif;
  if x.psk != y.psk | x.client_eph != y.client_eph then return false; endif;
  if upto = 1 then return true; endif;
  if x.server_eph != y.server_eph | x.server_static != y.server_static |
     x.server_id != y.server_id then
    return false;
  endif;
  if upto = 2 then return true; endif;
  return x.client_static = y.client_static & x.client_id = y.client_id;
end;

-- --- Symmetry ------------------------------------------------------------------------------

-- Sessions of one principal and role differ only in the names of their ephemerals, so
-- they start in index order.
function client_may_start(p: Principal; i: Slot): boolean;
begin
  if i > client_sessions(p) then return false; endif;
  return i = 1 | client[p][i - 1].state != ClientStart;
end;

function server_may_start(p: Principal; j: Slot): boolean;
begin
  if j > server_sessions(p) then return false; endif;
  return j = 1 | server[p][j - 1].state != ServerAwaitMessage1;
end;

-- --- Start -----------------------------------------------------------------------------------

ruleset m: MUTATIONS_FROM..MUTATIONS_TO; sc: ScenarioId do
  startstate "start"
    mutation := m;
    scenario := sc;
    for p: Principal do
      stolen[p] := false;
      for k: Slot do
        client[p][k].state := ClientStart;
        client[p][k].view.prologue := application_prologue(p);
        client[p][k].view.psk := uses_psk(p);
        client[p][k].view.client_eph := make_eph(p, ClientRole, k);
        client[p][k].view.server_eph := make_eph(M, ClientRole, 1);
        client[p][k].view.server_static := M;
        client[p][k].view.server_id := M;
        client[p][k].view.client_static := p;
        client[p][k].view.client_id := p;
        client[p][k].peer_trusted := false;
        client[p][k].own_key_stolen := false;
        client[p][k].send_generation := 0;
        client[p][k].revealed := NO_GEN;
        server[p][k].state := ServerAwaitMessage1;
        server[p][k].view.prologue := application_prologue(p);
        server[p][k].view.psk := uses_psk(p);
        server[p][k].view.client_eph := make_eph(M, ClientRole, 1);
        server[p][k].view.server_eph := make_eph(p, ServerRole, k);
        server[p][k].view.server_static := p;
        server[p][k].view.server_id := p;
        server[p][k].view.client_static := M;
        server[p][k].view.client_id := M;
        server[p][k].peer_trusted := false;
        server[p][k].own_key_stolen := false;
        server[p][k].send_generation := 0;
        server[p][k].revealed := NO_GEN;
      endfor;
    endfor;
  endstartstate;
endruleset;

-- --- Attacker: stealing keys ---------------------------------------------------------------

ruleset p: Principal do
  rule "attacker: steal identity key"
    (scenario = STEAL_A_TO_B | scenario = STEAL_B_TO_A | (scenario = PAIRS & STEAL_IN_PAIRS)) &
    honest(p) & !stolen[p]
  ==>
  begin
    stolen[p] := true;
  endrule;
endruleset;

-- A's client's current sending key, once, after the handshake (memory disclosure).
rule "attacker: steal A's current sending key"
  scenario = KEY_UPDATE & client[A][1].state = ClientComplete & client[A][1].revealed = NO_GEN
==>
begin
  client[A][1].revealed := client[A][1].send_generation;
endrule;

-- --- Client ------------------------------------------------------------------------------------

ruleset p: Principal; i: Slot do
  rule "client: send message 1"
    honest(p) & client_may_start(p, i) & client[p][i].state = ClientStart
  ==>
  begin
    client[p][i].state := ClientAwaitMessage2;
  endrule;
endruleset;

-- Message 2 (e, ee, s, es, payload) that carries server_eph y, static key s and identity
-- id can reach client session (p, i): relayed from a server session that sent exactly
-- it under the same h, or made by the attacker, who must encrypt s under k2a and the
-- payload under k2b of the View the client will hold.
function message2_available(p: Principal; i: Slot; y: EphemeralKey; s: Principal;
                            id: Principal): boolean;
var v: View;
begin
  v := client[p][i].view;
  v.server_eph := y;
  v.server_static := s;
  v.server_id := id;
  for q: Principal do for j: Slot do
    if honest(q) & j <= server_sessions(q) & server[q][j].state != ServerAwaitMessage1 &
       same_h(server[q][j].view, v, 2) then
      return true;
    endif;
  endfor; endfor;
  return knows_k2b(v);
end;

function message2_available_scalar(p: Principal; i: Slot; owner: Principal; role: Role;
                                   index: Slot; s: Principal; id: Principal): boolean;
begin
  return eph_known(make_eph(owner, role, index)) &
         message2_available(p, i, make_eph(owner, role, index), s, id);
end;

-- The client's checks on message 2 (protocol-v2.md section 2): the payload converts to
-- rs (no_binding_check skips it), then the expected server, if any. Only then does it
-- send message 3 and Split(): late_server_check sends message 3 first.
ruleset p: Principal; i: Slot; owner: Principal; role: Role; index: Slot; s: Principal;
        id: Principal do
  rule "client: on message 2"
    honest(p) & client[p][i].state = ClientAwaitMessage2 &
    (id = s | mutated(MUTATION_NO_BINDING_CHECK)) &
    (expected_server(p) = M | expected_server(p) = id | mutated(MUTATION_LATE_SERVER_CHECK)) &
    message2_available_scalar(p, i, owner, role, index, s, id)
  ==>
  begin
    client[p][i].view.server_eph := make_eph(owner, role, index);
    client[p][i].view.server_static := s;
    client[p][i].view.server_id := id;
    if expected_server(p) = M | expected_server(p) = id then
      client[p][i].peer_trusted := trusted(id);
      client[p][i].own_key_stolen := stolen[p];
      client[p][i].state := ClientComplete;
    else
      client[p][i].state := ClientRejected;
    endif;
  endrule;
endruleset;

-- A key_update frame, then REKEY() of the sending key.
rule "client: A updates its sending key"
  scenario = KEY_UPDATE & client[A][1].state = ClientComplete & client[A][1].send_generation = 0
==>
begin
  client[A][1].send_generation := 1;
endrule;

-- --- Server ------------------------------------------------------------------------------------

-- Message 1 carrying ephemeral x: without a psk anyone can send it; with one (a tag
-- under KDF(psk) with h as associated data) only a relayed message 1 of an honest
-- client with the same psk and prologue verifies.
function message1_available(q: Principal; j: Slot; x: EphemeralKey): boolean;
var v: View;
begin
  if !eph_known(x) then return false; endif;
  v := server[q][j].view;
  if !v.psk then return true; endif;
  v.client_eph := x;
  for p: Principal do for i: Slot do
    if honest(p) & i <= client_sessions(p) & client[p][i].state != ClientStart &
       same_h(client[p][i].view, v, 1) then
      return true;
    endif;
  endfor; endfor;
  return false;
end;

function message1_available_scalar(q: Principal; j: Slot; owner: Principal; role: Role;
                                   index: Slot): boolean;
begin
  return message1_available(q, j, make_eph(owner, role, index));
end;

-- A server with a network key that gets anything but a valid message 1 sends nothing.
ruleset q: Principal; j: Slot; owner: Principal; role: Role; index: Slot do
  rule "server: on message 1"
    honest(q) & server_may_start(q, j) & server[q][j].state = ServerAwaitMessage1 &
    message1_available_scalar(q, j, owner, role, index)
  ==>
  begin
    server[q][j].view.client_eph := make_eph(owner, role, index);
    server[q][j].state := ServerAwaitMessage3;
  endrule;
endruleset;

-- Message 3 (s, se, payload) with static key s and identity id: relayed from a client
-- session that sent it under the same h, or made by the attacker, who must encrypt s
-- under k2b and the payload under k3 of the server's View.
function message3_available(q: Principal; j: Slot; s: Principal; id: Principal): boolean;
var v: View;
begin
  v := server[q][j].view;
  v.client_static := s;
  v.client_id := id;
  for p: Principal do for i: Slot do
    if honest(p) & i <= client_sessions(p) &
       (client[p][i].state = ClientComplete | client[p][i].state = ClientRejected) &
       same_h(client[p][i].view, v, 3) then
      return true;
    endif;
  endfor; endfor;
  return knows_k3(v);
end;

-- The server's checks on message 3: the payload converts to rs, then its allow-list.
ruleset q: Principal; j: Slot; s: Principal; id: Principal do
  rule "server: on message 3"
    honest(q) & server[q][j].state = ServerAwaitMessage3 &
    (id = s | mutated(MUTATION_NO_BINDING_CHECK)) & allowed(q, id) &
    message3_available(q, j, s, id)
  ==>
  begin
    server[q][j].view.client_static := s;
    server[q][j].view.client_id := id;
    server[q][j].peer_trusted := trusted(id);
    server[q][j].own_key_stolen := stolen[q];
    server[q][j].state := ServerComplete;
  endrule;
endruleset;

-- --- Properties ----------------------------------------------------------------------------

-- (1) Agreement, client side: a client that completed with a trusted server S is matched
-- by exactly one session of S that sent message 2 under the client's h (so with the same
-- prologue, psk, ephemerals, static key and identity) and, if that session has
-- completed, holds the client's whole View: its handshake hash. (The server learns the
-- client's identity only from message 3, after the client completed.)
function client_agreement(): boolean;
var count: 0..2;
begin
  for p: Principal do for i: Slot do
    if honest(p) & client[p][i].state = ClientComplete & client[p][i].peer_trusted then
      count := 0;
      for j: Slot do
        if j <= server_sessions(client[p][i].view.server_id) &
           server[client[p][i].view.server_id][j].state != ServerAwaitMessage1 &
           server[client[p][i].view.server_id][j].view.prologue = client[p][i].view.prologue &
           same_h(server[client[p][i].view.server_id][j].view, client[p][i].view, 2) &
           (server[client[p][i].view.server_id][j].state != ServerComplete |
            server[client[p][i].view.server_id][j].view = client[p][i].view) then
          count := count + 1;
        endif;
      endfor;
      if count != 1 then return false; endif;
    endif;
  endfor; endfor;
  return true;
end;

-- (1) Injective agreement, server side: a server that completed with a trusted client C
-- is matched by exactly one session of C that completed with the same View.
function server_agreement(): boolean;
var count: 0..2;
begin
  for q: Principal do for j: Slot do
    if honest(q) & server[q][j].state = ServerComplete & server[q][j].peer_trusted then
      count := 0;
      for i: Slot do
        if i <= client_sessions(server[q][j].view.client_id) &
           client[server[q][j].view.client_id][i].state = ClientComplete &
           client[server[q][j].view.client_id][i].view = server[q][j].view then
          count := count + 1;
        endif;
      endfor;
      if count != 1 then return false; endif;
    endif;
  endfor; endfor;
  return true;
end;

-- (2) Secrecy, forward secrecy, KCI: the attacker cannot derive the transport keys of a
-- session that completed with a trusted peer, whatever identity keys it steals later and
-- whether or not the session's own identity key was stolen before.
function secrecy(): boolean;
begin
  for p: Principal do for k: Slot do
    if honest(p) & client[p][k].state = ClientComplete & client[p][k].peer_trusted &
       knows_k3(client[p][k].view) then
      return false;
    endif;
    if honest(p) & server[p][k].state = ServerComplete & server[p][k].peer_trusted &
       knows_k3(server[p][k].view) then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- (3) Client identity hiding: the attacker learns a client's identity (decrypts the s of
-- its message 3, under k2b) only if the client accepted the server identity it sent, and
-- that identity is M or a stolen one.
function client_identity_hidden(): boolean;
begin
  for p: Principal do for i: Slot do
    if honest(p) & (client[p][i].state = ClientComplete | client[p][i].state = ClientRejected) &
       knows_k2b(client[p][i].view) &
       !(client[p][i].state = ClientComplete & !client[p][i].peer_trusted) then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- (4) Passive identity hiding: where the attacker only relayed (both ephemerals are
-- honest), it learns neither identity: neither k2a (server's s) nor k2b (client's s).
function passive_identity_hidden(): boolean;
begin
  for p: Principal do for k: Slot do
    if honest(p) & client[p][k].state != ClientStart & client[p][k].state != ClientAwaitMessage2 &
       !knows_eph_secret(client[p][k].view.server_eph) & knows_k2a(client[p][k].view) then
      return false;
    endif;
    if honest(p) & server[p][k].state != ServerAwaitMessage1 &
       !knows_eph_secret(server[p][k].view.client_eph) & knows_k2a(server[p][k].view) then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- (5) Network key: a server with a network key never sends the attacker a message 2 it
-- can read: not even its identity (k2a) reaches a peer without the key. And a client
-- with a network key never completes with a server without it (M).
function network_key_keeps_out(): boolean;
begin
  for q: Principal do for j: Slot do
    if honest(q) & network_key_configured(q) & server[q][j].state != ServerAwaitMessage1 &
       knows_k2a(server[q][j].view) then
      return false;
    endif;
    if honest(q) & network_key_configured(q) & client[q][j].state = ClientComplete &
       client[q][j].view.server_id = M then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- (6) Key updates: a sending key stolen after an update does not reveal the frames sent
-- before it, where the handshake kept the keys secret (whether it did is (2)).
function updates_protect_old_frames(): boolean;
begin
  for p: Principal do for i: Slot do
    if honest(p) & client[p][i].state = ClientComplete & !knows_k3(client[p][i].view) &
       client[p][i].revealed = 1 & knows_sending_key(client[p][i], 0) then
      return false;
    endif;
  endfor; endfor;
  return true;
end;

-- One invariant per line: scripts/model.sh rewrites these into one cover per mutation.
invariant "client_agreement" client_agreement();
invariant "server_agreement" server_agreement();
invariant "secrecy" secrecy();
invariant "client_identity_hidden" client_identity_hidden();
invariant "passive_identity_hidden" passive_identity_hidden();
invariant "network_key_keeps_out" network_key_keeps_out();
invariant "updates_protect_old_frames" updates_protect_old_frames();

-- --- Reachability ------------------------------------------------------------------------------

function completes_with(p: Principal; role: Role; peer: Principal; trusted_peer: boolean):
  boolean;
begin
  for k: Slot do
    if role = ClientRole & client[p][k].state = ClientComplete &
       client[p][k].view.server_id = peer & client[p][k].peer_trusted = trusted_peer then
      return true;
    endif;
    if role = ServerRole & server[p][k].state = ServerComplete &
       server[p][k].view.client_id = peer & server[p][k].peer_trusted = trusted_peer then
      return true;
    endif;
  endfor;
  return false;
end;

function both_complete(c: Principal; s: Principal): boolean;
begin
  return completes_with(c, ClientRole, s, true) & completes_with(s, ServerRole, c, true);
end;

-- A session that completed with a trusted peer and either its own key stolen then
-- (KCI), or both identity keys stolen now (forward secrecy).
function compromise_case(kci: boolean): boolean;
begin
  for p: Principal do for k: Slot do
    if honest(p) & client[p][k].state = ClientComplete & client[p][k].peer_trusted &
       (kci ? client[p][k].own_key_stolen : (stolen[A] & stolen[B])) then
      return true;
    endif;
    if honest(p) & server[p][k].state = ServerComplete & server[p][k].peer_trusted &
       (kci ? server[p][k].own_key_stolen : (stolen[A] & stolen[B])) then
      return true;
    endif;
  endfor; endfor;
  return false;
end;

cover "A's client and B's server complete" mutation = NO_MUTATION & scenario = PAIRS &
  both_complete(A, B);
cover "B's client and A's server complete" mutation = NO_MUTATION & scenario = PAIRS &
  both_complete(B, A);
cover "B's client completes with M" mutation = NO_MUTATION & completes_with(B, ClientRole, M, false);
cover "A's server completes with M" mutation = NO_MUTATION & completes_with(A, ServerRole, M, false);
cover "the second server session of B completes" mutation = NO_MUTATION &
  server[B][2].state = ServerComplete;
cover "A and B complete with the network key" mutation = NO_MUTATION & scenario = NETWORK_KEY &
  both_complete(A, B);
cover "a session completes with a trusted peer after its own key was stolen"
  mutation = NO_MUTATION & compromise_case(true);
cover "both identity keys stolen after a trusted session" mutation = NO_MUTATION &
  compromise_case(false);
cover "A's sending key stolen after an update" mutation = NO_MUTATION &
  client[A][1].revealed = 1 & client[A][1].peer_trusted;
cover "a server with another prologue answers message 1" mutation = NO_MUTATION &
  scenario = PROLOGUE & server[B][1].state = ServerAwaitMessage3 &
  server[B][1].view.client_eph.owner = A;
