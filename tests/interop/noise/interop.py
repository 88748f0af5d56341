#!/usr/bin/env python3
# Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
"""interop.py: plays seeded random Noise handshakes between two implementations.

    interop.py [--cases N] [--seed S] [--case I] [--verbose] -- PEER_A... -- PEER_B...

Each peer is a program that speaks the line protocol of docs/interop.md on its
standard input and output, one persistent process per side. For every case (pattern,
cipher, hash, psk placements, keys, prologue, payloads, transport messages and rekeys
drawn from a random.Random seeded with the seed and the case number) the harness runs
two handshakes at once: A as initiator against B as responder, and B as initiator
against A as responder. Since the keys, ephemeral keys included, and payloads are the
case's, the two initiators must write the same bytes, and so must the two responders:
every handshake and transport message is compared byte for byte between A and B, and
every one is read (decrypted) by the other implementation, its payload compared with
what was sent. Both sides of both handshakes must finish at the same message with the
same handshake hash.

What is drawn is the intersection of what both peers say they support ("hello"), so a
library's known gap (docs/interop.md) is never drawn, and the summary says what was
left out and why. Exit 0 when every case passed, 1 when one failed, 77 (ctest's skip)
when a peer cannot start because its library is not installed.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import patterns  # noqa: E402

try:
    from nacl.bindings import crypto_scalarmult_base
except ImportError:  # python3-nacl is in the test group of scripts/setup.sh
    crypto_scalarmult_base = None

SKIP = 77
ALL_CIPHERS = ('ChaChaPoly', 'AESGCM')
ALL_HASHES = ('SHA256', 'SHA512', 'BLAKE2s', 'BLAKE2b')


class PeerError(Exception):
    pass


class Peer:
    """One persistent peer process; requests are JSON lines, so are the answers."""

    def __init__(self, command):
        self.command = command
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1)
        self.hello = self.call({'op': 'hello'})
        self.missing = self.hello.get('missing')
        if self.missing:
            return
        if not self.hello.get('ok'):
            raise PeerError('%s: hello failed: %s' % (command[0], self.hello))
        self.name = self.hello['name']

    def send(self, request):
        self.process.stdin.write(json.dumps(request) + '\n')
        self.process.stdin.flush()

    def receive(self):
        line = self.process.stdout.readline()
        if not line:
            raise PeerError('%s exited (status %s)' % (self.command[0], self.process.poll()))
        return json.loads(line)

    def call(self, request):
        self.send(request)
        return self.receive()

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def both(a, request_a, b, request_b):
    """Sends one request to each peer, then reads both answers: the two work at once."""
    a.send(request_a)
    b.send(request_b)
    return a.receive(), b.receive()


def public_key(private):
    return crypto_scalarmult_base(private)


class Space:
    """What the two peers can both do."""

    def __init__(self, a, b, max_psks):
        ha, hb = a.hello, b.hello
        self.patterns = sorted(set(ha['patterns']) & set(hb['patterns']) & set(patterns.PATTERNS))
        self.ciphers = [c for c in ALL_CIPHERS if c in ha['ciphers'] and c in hb['ciphers']]
        self.hashes = [h for h in ALL_HASHES if h in ha['hashes'] and h in hb['hashes']]
        self.max_psks = min(ha['max_psks'], hb['max_psks'], max_psks)
        self.distinct_psks = ha['distinct_psks'] and hb['distinct_psks']
        self.rekey = ha['rekey'] and hb['rekey']
        self.psk0_with_psk1 = ha['psk0_with_psk1'] and hb['psk0_with_psk1']
        self.max_psk_placement = min(ha['max_psk_placement'], hb['max_psk_placement'])
        self.left_out = []
        for peer in (a, b):
            h = peer.hello
            missing = sorted(set(patterns.PATTERNS) - set(h['patterns']))
            if missing:
                self.left_out.append('%s lacks patterns %s' % (peer.name, ' '.join(missing)))
            for kind, names in (('ciphers', ALL_CIPHERS), ('hashes', ALL_HASHES)):
                lacking = [n for n in names if n not in h[kind]]
                if lacking:
                    self.left_out.append('%s lacks %s' % (peer.name, ' '.join(lacking)))
            if not h['rekey']:
                self.left_out.append('%s: no rekey drawn' % peer.name)
            if h['max_psk_placement'] < 4:
                self.left_out.append('%s: no psk after message %d' % (
                    peer.name, h['max_psk_placement']))
            if not h['psk0_with_psk1']:
                self.left_out.append('%s: no psk0 with psk1' % peer.name)
            if not h['distinct_psks']:
                self.left_out.append('%s: one psk value per handshake' % peer.name)


def draw_case(space, seed, index):
    rng = random.Random('%s/%d' % (seed, index))
    name = rng.choice(space.patterns)
    pre_i, pre_r, base_messages = patterns.PATTERNS[name]
    placements = []
    if space.max_psks and rng.random() < 0.5:
        slots = min(len(base_messages), space.max_psk_placement) + 1
        count = rng.randint(1, min(space.max_psks, slots))
        placements = sorted(rng.sample(range(slots), count))
        if not space.psk0_with_psk1 and placements[:2] == [0, 1]:
            placements.pop(rng.randint(0, 1))
    psk = rng.randbytes(32)
    psks = [psk if not space.distinct_psks else rng.randbytes(32) for _ in placements]
    _, _, messages = patterns.with_psks(name, placements)

    def payload():
        roll = rng.random()
        if roll < 0.2:
            return b''
        if roll < 0.95:
            return rng.randbytes(rng.randint(1, 200))
        return rng.randbytes(rng.randint(200, 4000))

    transport = []
    for _ in range(rng.randint(1, 6)):
        direction = 0 if name in patterns.ONE_WAY else rng.randint(0, 1)
        rekey = space.rekey and rng.random() < 0.2
        text = payload()
        # Before one in four, a copy with one bit flipped (at bit index |flip| modulo the
        # message's size) is delivered first: it must be refused, and the real one
        # still read (a failed decryption leaves the nonce alone, spec section 5.1).
        flip = rng.randrange(1 << 16) if rng.random() < 0.25 else None
        transport.append((direction, rekey, text, flip))
    case = {
        'index': index,
        'pattern': name,
        'cipher': rng.choice(space.ciphers),
        'hash': rng.choice(space.hashes),
        'placements': placements,
        'psks': psks,
        'prologue': rng.randbytes(rng.choice((0, 0, 1, 16, 32, 100))),
        's': [rng.randbytes(32), rng.randbytes(32)],
        'e': [rng.randbytes(32), rng.randbytes(32)],
        'payloads': [payload() for _ in messages],
        'transport': transport,
        # One case in five is played a third time with one bit of one handshake message
        # flipped: (message index, bit index modulo its size).
        'tamper': ((rng.randrange(len(messages)), rng.randrange(1 << 16))
                   if rng.random() < 0.2 else None),
        'tokens': (pre_i, pre_r, messages),
    }
    case['protocol'] = patterns.protocol_name(name, placements, case['cipher'], case['hash'])
    return case


def init_request(case, session_id, initiator):
    role = 0 if initiator else 1
    name = case['pattern']
    pre_i, pre_r, messages = patterns.PATTERNS[name]
    request = {
        'op': 'init',
        'id': session_id,
        'protocol': case['protocol'],
        'pattern': name,
        'placements': case['placements'],
        'psks': [p.hex() for p in case['psks']],
        'cipher': case['cipher'],
        'hash': case['hash'],
        'initiator': initiator,
        'prologue': case['prologue'].hex(),
        'e': case['e'][role].hex(),
        'pre_i': list(pre_i),
        'pre_r': list(pre_r),
        'messages': [list(m) for m in messages],
    }
    if patterns.needs_static(name, initiator):
        request['s'] = case['s'][role].hex()
    if patterns.knows_peer_static(name, initiator):
        request['rs'] = public_key(case['s'][1 - role]).hex()
    return request


class Mismatch(Exception):
    pass


def expect_ok(answer, who, what):
    if not answer.get('ok'):
        raise Mismatch('%s refused %s: %s' % (who, what, answer.get('error')))
    return answer


def play(a, b, case, first_id):
    """Runs the case both ways: sessions first_id (A initiator), +1 (B responder),
    +2 (B initiator), +3 (A responder). Raises Mismatch on any difference."""
    ai, br, bi, ar = first_id, first_id + 1, first_id + 2, first_id + 3
    # pairs[k] = (initiator peer, its session, responder peer, its session)
    pairs = ((a, ai, b, br), (b, bi, a, ar))
    for peer, sid, initiator in ((a, ai, True), (b, br, False), (b, bi, True), (a, ar, False)):
        expect_ok(peer.call(init_request(case, sid, initiator)), peer.name,
                  'init as %s' % ('initiator' if initiator else 'responder'))

    messages = case['tokens'][2]
    hashes = set()
    for i, payload in enumerate(case['payloads']):
        sender = 0 if i % 2 == 0 else 2  # index of the sending peer in a pair tuple
        receiver = 2 - sender
        role = 'initiator' if sender == 0 else 'responder'
        last = i == len(messages) - 1
        written = both(pairs[0][sender], {'op': 'write', 'id': pairs[0][sender + 1],
                                          'payload': payload.hex()},
                       pairs[1][sender], {'op': 'write', 'id': pairs[1][sender + 1],
                                          'payload': payload.hex()})
        for k in (0, 1):
            expect_ok(written[k], pairs[k][sender].name, 'to write message %d' % i)
        if written[0]['message'] != written[1]['message']:
            raise Mismatch('message %d (%s) differs:\n  %s: %s\n  %s: %s' % (
                i, role, pairs[0][sender].name, written[0]['message'],
                pairs[1][sender].name, written[1]['message']))
        read = both(pairs[0][receiver], {'op': 'read', 'id': pairs[0][receiver + 1],
                                         'message': written[0]['message']},
                    pairs[1][receiver], {'op': 'read', 'id': pairs[1][receiver + 1],
                                         'message': written[1]['message']})
        for k in (0, 1):
            answer = expect_ok(read[k], pairs[k][receiver].name,
                               'message %d from %s' % (i, pairs[k][sender].name))
            if bytes.fromhex(answer['payload']) != payload:
                raise Mismatch('%s read a different payload from message %d' % (
                    pairs[k][receiver].name, i))
            for answer, who in ((written[k], pairs[k][sender]), (read[k], pairs[k][receiver])):
                if answer['done'] != last:
                    raise Mismatch('%s says done=%s after message %d of %d' % (
                        who.name, answer['done'], i, len(messages)))
                if last:
                    hashes.add(answer['h'])
    if len(hashes) != 1:
        raise Mismatch('handshake hashes differ: %s' % sorted(hashes))

    for j, (direction, rekey, payload, flip) in enumerate(case['transport']):
        sender = 0 if direction == 0 else 2
        receiver = 2 - sender
        if rekey:
            for k in (0, 1):
                for side, which in ((sender, 'send'), (receiver, 'recv')):
                    expect_ok(pairs[k][side].call({'op': 'rekey', 'id': pairs[k][side + 1],
                                                   'which': which}),
                              pairs[k][side].name, 'rekey')
        sealed = both(pairs[0][sender], {'op': 'encrypt', 'id': pairs[0][sender + 1],
                                         'payload': payload.hex()},
                      pairs[1][sender], {'op': 'encrypt', 'id': pairs[1][sender + 1],
                                         'payload': payload.hex()})
        for k in (0, 1):
            expect_ok(sealed[k], pairs[k][sender].name, 'to encrypt transport message %d' % j)
        if sealed[0]['message'] != sealed[1]['message']:
            raise Mismatch('transport message %d differs between %s and %s' % (
                j, pairs[0][sender].name, pairs[1][sender].name))
        if flip is not None:
            tampered = bytearray(bytes.fromhex(sealed[0]['message']))
            bit = flip % (len(tampered) * 8)
            tampered[bit // 8] ^= 1 << (bit % 8)
            refused = both(pairs[0][receiver], {'op': 'decrypt', 'id': pairs[0][receiver + 1],
                                                'message': tampered.hex()},
                           pairs[1][receiver], {'op': 'decrypt', 'id': pairs[1][receiver + 1],
                                                'message': tampered.hex()})
            for k in (0, 1):
                if refused[k].get('ok'):
                    raise Mismatch('%s accepted transport message %d with bit %d flipped' % (
                        pairs[k][receiver].name, j, bit))
        opened = both(pairs[0][receiver], {'op': 'decrypt', 'id': pairs[0][receiver + 1],
                                           'message': sealed[0]['message']},
                      pairs[1][receiver], {'op': 'decrypt', 'id': pairs[1][receiver + 1],
                                           'message': sealed[1]['message']})
        for k in (0, 1):
            answer = expect_ok(opened[k], pairs[k][receiver].name,
                               'transport message %d from %s' % (j, pairs[k][sender].name))
            if bytes.fromhex(answer['payload']) != payload:
                raise Mismatch('%s decrypted transport message %d wrongly' % (
                    pairs[k][receiver].name, j))


def carries_ciphertext(messages, index):
    """Whether message |index| is encrypted (a key is set when its payload is processed:
    after a DH or psk token, or an e token in a psk handshake; spec sections 5 and 9)."""
    psk_mode = any('psk' in m for m in messages)
    return any(t not in ('e', 's') or (t == 'e' and psk_mode)
               for m in messages[:index + 1] for t in m)


def play_tampered(a, b, case, first_id):
    """The case again, both ways, with one bit of handshake message i flipped on the
    way: a reader must refuse it if it is encrypted; if it is not (the first message of
    NN, XN, IN...), both sides now disagree on h and the next message must be refused.
    Both implementations must refuse at the same message."""
    index, flip = case['tamper']
    ai, br, bi, ar = first_id, first_id + 1, first_id + 2, first_id + 3
    pairs = ((a, ai, b, br), (b, bi, a, ar))
    for peer, sid, initiator in ((a, ai, True), (b, br, False), (b, bi, True), (a, ar, False)):
        expect_ok(peer.call(init_request(case, sid, initiator)), peer.name, 'init (tampered run)')
    messages = case['tokens'][2]
    refused_at = index if carries_ciphertext(messages, index) else index + 1
    if refused_at >= len(messages):  # never: a last message always carries ciphertext
        raise Mismatch('the table says message %d of %s carries no ciphertext' % (
            index, case['pattern']))
    for i, payload in enumerate(case['payloads'][:refused_at + 1]):
        sender = 0 if i % 2 == 0 else 2
        receiver = 2 - sender
        written = both(pairs[0][sender], {'op': 'write', 'id': pairs[0][sender + 1],
                                          'payload': payload.hex()},
                       pairs[1][sender], {'op': 'write', 'id': pairs[1][sender + 1],
                                          'payload': payload.hex()})
        for k in (0, 1):
            expect_ok(written[k], pairs[k][sender].name, 'to write message %d (tampered run)' % i)
        delivered = [bytes.fromhex(w['message']) for w in written]
        if i == index:
            bit = flip % (len(delivered[0]) * 8)
            delivered = [bytearray(m) for m in delivered]
            for m in delivered:
                m[bit // 8] ^= 1 << (bit % 8)
        read = both(pairs[0][receiver], {'op': 'read', 'id': pairs[0][receiver + 1],
                                         'message': bytes(delivered[0]).hex()},
                    pairs[1][receiver], {'op': 'read', 'id': pairs[1][receiver + 1],
                                         'message': bytes(delivered[1]).hex()})
        for k in (0, 1):
            if read[k].get('ok') == (i == refused_at):
                raise Mismatch('%s %s message %d of the run with message %d tampered' % (
                    pairs[k][receiver].name, 'accepted' if read[k].get('ok') else 'refused',
                    i, index))


def close_all(a, b, first_id):
    for peer, sid in ((a, first_id), (b, first_id + 1), (b, first_id + 2), (a, first_id + 3)):
        peer.call({'op': 'close', 'id': sid})


def describe(case):
    return ('case %d: %s, psks at %s, prologue %d bytes, payloads %s, transport %s' % (
        case['index'], case['protocol'], case['placements'], len(case['prologue']),
        [len(p) for p in case['payloads']],
        [('->' if d == 0 else '<-') + ('R' if r else '') + ('T' if f is not None else '') +
         str(len(p)) for d, r, p, f in case['transport']]))


def split_commands(argv):
    if argv.count('--') != 2:
        raise SystemExit('usage: interop.py [options] -- PEER_A... -- PEER_B...')
    first = argv.index('--')
    second = argv.index('--', first + 1)
    return argv[:first], argv[first + 1:second], argv[second + 1:]


def main():
    options, command_a, command_b = split_commands(sys.argv[1:])
    parser = argparse.ArgumentParser()
    parser.add_argument('--cases', type=int, default=500)
    parser.add_argument('--seed', default=os.environ.get('P2PNET_INTEROP_SEED'))
    parser.add_argument('--case', type=int, help='run only this case, verbosely')
    parser.add_argument('--max-psks', type=int, default=4)
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args(options)
    if crypto_scalarmult_base is None:
        print('SKIP: python3-nacl is not installed (scripts/setup.sh test)')
        return SKIP
    seed = args.seed if args.seed is not None else str(random.SystemRandom().getrandbits(32))
    try:
        a = Peer(command_a)
        b = Peer(command_b)
    except (OSError, PeerError) as error:
        print('FAIL: a peer cannot start: %s' % error)
        return 1
    for peer in (a, b):
        if peer.missing:
            print('SKIP: %s is not installed (scripts/setup.sh interop)' % peer.missing)
            return SKIP
    space = Space(a, b, args.max_psks)
    print('interop %s <-> %s, seed %s (P2PNET_INTEROP_SEED=%s reruns it)' % (
        a.name, b.name, seed, seed))
    for note in space.left_out:
        print('  not drawn: %s' % note)
    indices = [args.case] if args.case is not None else range(args.cases)
    started = time.monotonic()
    failed = []
    passed = 0
    died = None
    drawn = Counter()
    session_id = 0
    for index in indices:
        case = draw_case(space, seed, index)
        drawn['pattern:' + case['pattern']] += 1
        drawn['suite:%s_%s' % (case['cipher'], case['hash'])] += 1
        drawn['psks:%d' % len(case['placements'])] += 1
        drawn['rekeys'] += sum(1 for _, r, _, _ in case['transport'] if r)
        drawn['tampered'] += sum(1 for _, _, _, f in case['transport'] if f is not None)
        if args.verbose or args.case is not None:
            print(describe(case))
        try:
            play(a, b, case, session_id)
            if case['tamper'] is not None:
                close_all(a, b, session_id)
                session_id += 4
                play_tampered(a, b, case, session_id)
                drawn['tampered handshakes'] += 1
            passed += 1
        except Mismatch as error:
            failed.append((case, str(error)))
        except PeerError as error:  # a peer died: the rest of the run cannot be played
            failed.append((case, str(error)))
            died = str(error)
            break
        close_all(a, b, session_id)
        session_id += 4
    elapsed = time.monotonic() - started
    for peer in (a, b):
        if died is None:
            peer.close()
        else:
            peer.kill()
    total = len(indices)
    print('%d passed, %d failed, %d not run (%d cases, each a handshake each way, %.1f s)' % (
        passed, len(failed), total - passed - len(failed), total, elapsed))
    if died is not None:
        print('a peer died: %s' % died)
    patterns_seen = sorted(k[8:] for k in drawn if k.startswith('pattern:'))
    print('  patterns drawn: %d of %d; suites: %d; psk counts: %s; rekeys: %d; '
          'tampered transport messages refused: %d; tampered handshakes refused: %d' % (
        len(patterns_seen), len(space.patterns),
        sum(1 for k in drawn if k.startswith('suite:')),
        ' '.join('%s=%d' % (k[5:], v) for k, v in sorted(drawn.items()) if k.startswith('psks:')),
        drawn['rekeys'], drawn['tampered'], drawn['tampered handshakes']))
    for case, error in failed[:10]:
        print('FAIL %s\n  %s' % (describe(case), error))
    if failed:
        print('rerun one case: --seed %s --case %d' % (seed, failed[0][0]['index']))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
