# Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
"""patterns.py: the handshake patterns of the Noise spec (revision 34, sections 7.4, 7.5
and 7.6) as data, for the interop harness.

Each entry is (initiator pre-message, responder pre-message, messages); message i is sent
by the initiator when i is even. The table was checked token for token against the
spec's text. The harness uses it to know which keys a side needs (its own static key,
the peer's static key as a pre-message) and hands the tokens to a peer library that
lacks a pattern (flynn/noise has no deferred pattern); the engine and dissononce use
their own tables, so a mistake here shows up as a disagreement, not as a pass.
"""

PATTERNS = {
    # One-way (7.4).
    'N': ((), ('s',), (('e', 'es'),)),
    'K': (('s',), ('s',), (('e', 'es', 'ss'),)),
    'X': ((), ('s',), (('e', 'es', 's', 'ss'),)),
    # Fundamental interactive (7.5).
    'NN': ((), (), (('e',), ('e', 'ee'))),
    'NK': ((), ('s',), (('e', 'es'), ('e', 'ee'))),
    'NX': ((), (), (('e',), ('e', 'ee', 's', 'es'))),
    'XN': ((), (), (('e',), ('e', 'ee'), ('s', 'se'))),
    'XK': ((), ('s',), (('e', 'es'), ('e', 'ee'), ('s', 'se'))),
    'XX': ((), (), (('e',), ('e', 'ee', 's', 'es'), ('s', 'se'))),
    'KN': (('s',), (), (('e',), ('e', 'ee', 'se'))),
    'KK': (('s',), ('s',), (('e', 'es', 'ss'), ('e', 'ee', 'se'))),
    'KX': (('s',), (), (('e',), ('e', 'ee', 'se', 's', 'es'))),
    'IN': ((), (), (('e', 's'), ('e', 'ee', 'se'))),
    'IK': ((), ('s',), (('e', 'es', 's', 'ss'), ('e', 'ee', 'se'))),
    'IX': ((), (), (('e', 's'), ('e', 'ee', 'se', 's', 'es'))),
    # Deferred (7.6).
    'NK1': ((), ('s',), (('e',), ('e', 'ee', 'es'))),
    'NX1': ((), (), (('e',), ('e', 'ee', 's'), ('es',))),
    'X1N': ((), (), (('e',), ('e', 'ee'), ('s',), ('se',))),
    'X1K': ((), ('s',), (('e', 'es'), ('e', 'ee'), ('s',), ('se',))),
    'XK1': ((), ('s',), (('e',), ('e', 'ee', 'es'), ('s', 'se'))),
    'X1K1': ((), ('s',), (('e',), ('e', 'ee', 'es'), ('s',), ('se',))),
    'X1X': ((), (), (('e',), ('e', 'ee', 's', 'es'), ('s',), ('se',))),
    'XX1': ((), (), (('e',), ('e', 'ee', 's'), ('es', 's', 'se'))),
    'X1X1': ((), (), (('e',), ('e', 'ee', 's'), ('es', 's'), ('se',))),
    'K1N': (('s',), (), (('e',), ('e', 'ee'), ('se',))),
    'K1K': (('s',), ('s',), (('e', 'es'), ('e', 'ee'), ('se',))),
    'KK1': (('s',), ('s',), (('e',), ('e', 'ee', 'se', 'es'))),
    'K1K1': (('s',), ('s',), (('e',), ('e', 'ee', 'es'), ('se',))),
    'K1X': (('s',), (), (('e',), ('e', 'ee', 's', 'es'), ('se',))),
    'KX1': (('s',), (), (('e',), ('e', 'ee', 'se', 's'), ('es',))),
    'K1X1': (('s',), (), (('e',), ('e', 'ee', 's'), ('se', 'es'))),
    'I1N': ((), (), (('e', 's'), ('e', 'ee'), ('se',))),
    'I1K': ((), ('s',), (('e', 'es', 's'), ('e', 'ee'), ('se',))),
    'IK1': ((), ('s',), (('e', 's'), ('e', 'ee', 'se', 'es'))),
    'I1K1': ((), ('s',), (('e', 's'), ('e', 'ee', 'es'), ('se',))),
    'I1X': ((), (), (('e', 's'), ('e', 'ee', 's', 'es'), ('se',))),
    'IX1': ((), (), (('e', 's'), ('e', 'ee', 'se', 's'), ('es',))),
    'I1X1': ((), (), (('e', 's'), ('e', 'ee', 's'), ('se', 'es'))),
}

ONE_WAY = ('N', 'K', 'X')


def with_psks(name, placements):
    """The pattern |name| with a psk token at each of |placements| (section 9.3): psk0
    opens the first message, pskN (N >= 1) closes message N."""
    pre_i, pre_r, messages = PATTERNS[name]
    messages = [list(m) for m in messages]
    for placement in sorted(placements):
        if placement == 0:
            messages[0].insert(0, 'psk')
        else:
            messages[placement - 1].append('psk')
    return pre_i, pre_r, tuple(tuple(m) for m in messages)


def protocol_name(name, placements, cipher, hash_name):
    """The Noise protocol name, e.g. Noise_XXpsk0+psk3_25519_ChaChaPoly_BLAKE2b."""
    modifiers = '+'.join('psk%d' % p for p in sorted(placements))
    return 'Noise_%s%s_25519_%s_%s' % (name, modifiers, cipher, hash_name)


def needs_static(name, initiator):
    """Whether the initiator (or responder) has a static key in |name|."""
    pre_i, pre_r, messages = PATTERNS[name]
    own_pre = pre_i if initiator else pre_r
    own_messages = messages[0::2] if initiator else messages[1::2]
    return 's' in own_pre or any('s' in m for m in own_messages)


def knows_peer_static(name, initiator):
    """Whether the initiator (or responder) knows the peer's static key before the
    handshake (a pre-message)."""
    pre_i, pre_r, _ = PATTERNS[name]
    return 's' in (pre_r if initiator else pre_i)
