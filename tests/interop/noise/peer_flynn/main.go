// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// peer_flynn: a Noise peer on flynn/noise (Debian golang-github-flynn-noise-dev),
// speaking the interop line protocol of docs/interop.md on standard input and output.
//
// What flynn/noise cannot do, declared in "hello" so that the harness never draws it:
//   - it has one psk per handshake: several psk modifiers are written here as extra psk
//     tokens in the pattern and all of them mix the same key, so "distinct_psks" is
//     false (the harness then draws one psk value for every placement);
//   - it has no deferred pattern: those are built here from the tokens the harness
//     sends (the spec's table), with the library's own token processing.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/flynn/noise"
)

type request struct {
	Op         string     `json:"op"`
	ID         int        `json:"id"`
	Pattern    string     `json:"pattern"`
	Placements []int      `json:"placements"`
	Psks       []string   `json:"psks"`
	Cipher     string     `json:"cipher"`
	Hash       string     `json:"hash"`
	Initiator  bool       `json:"initiator"`
	Prologue   string     `json:"prologue"`
	S          string     `json:"s"`
	E          string     `json:"e"`
	RS         string     `json:"rs"`
	PreI       []string   `json:"pre_i"`
	PreR       []string   `json:"pre_r"`
	Messages   [][]string `json:"messages"`
	Payload    string     `json:"payload"`
	Message    string     `json:"message"`
	Which      string     `json:"which"`
}

type session struct {
	hs        *noise.HandshakeState
	initiator bool
	send      *noise.CipherState
	recv      *noise.CipherState
}

var builtin = map[string]noise.HandshakePattern{
	"N": noise.HandshakeN, "K": noise.HandshakeK, "X": noise.HandshakeX,
	"NN": noise.HandshakeNN, "NK": noise.HandshakeNK, "NX": noise.HandshakeNX,
	"XN": noise.HandshakeXN, "XK": noise.HandshakeXK, "XX": noise.HandshakeXX,
	"KN": noise.HandshakeKN, "KK": noise.HandshakeKK, "KX": noise.HandshakeKX,
	"IN": noise.HandshakeIN, "IK": noise.HandshakeIK, "IX": noise.HandshakeIX,
}

var deferred = []string{"NK1", "NX1", "X1N", "X1K", "XK1", "X1K1", "X1X", "XX1", "X1X1",
	"K1N", "K1K", "KK1", "K1K1", "K1X", "KX1", "K1X1", "I1N", "I1K", "IK1", "I1K1", "I1X",
	"IX1", "I1X1"}

var tokens = map[string]noise.MessagePattern{
	"e": noise.MessagePatternE, "s": noise.MessagePatternS, "ee": noise.MessagePatternDHEE,
	"es": noise.MessagePatternDHES, "se": noise.MessagePatternDHSE,
	"ss": noise.MessagePatternDHSS, "psk": noise.MessagePatternPSK,
}

func toTokens(names []string) ([]noise.MessagePattern, error) {
	out := []noise.MessagePattern{}
	for _, name := range names {
		token, ok := tokens[name]
		if !ok {
			return nil, fmt.Errorf("unknown token %q", name)
		}
		out = append(out, token)
	}
	return out, nil
}

func pattern(r *request) (noise.HandshakePattern, error) {
	if p, ok := builtin[r.Pattern]; ok {
		return p, nil
	}
	p := noise.HandshakePattern{Name: r.Pattern}
	var err error
	if p.InitiatorPreMessages, err = toTokens(r.PreI); err != nil {
		return p, err
	}
	if p.ResponderPreMessages, err = toTokens(r.PreR); err != nil {
		return p, err
	}
	for _, m := range r.Messages {
		t, err := toTokens(m)
		if err != nil {
			return p, err
		}
		p.Messages = append(p.Messages, t)
	}
	return p, nil
}

func suite(r *request) (noise.CipherSuite, error) {
	ciphers := map[string]noise.CipherFunc{"ChaChaPoly": noise.CipherChaChaPoly,
		"AESGCM": noise.CipherAESGCM}
	hashes := map[string]noise.HashFunc{"SHA256": noise.HashSHA256,
		"SHA512": noise.HashSHA512, "BLAKE2s": noise.HashBLAKE2s,
		"BLAKE2b": noise.HashBLAKE2b}
	c, ok1 := ciphers[r.Cipher]
	h, ok2 := hashes[r.Hash]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("unsupported suite %s/%s", r.Cipher, r.Hash)
	}
	return noise.NewCipherSuite(noise.DH25519, c, h), nil
}

// fixedRandom hands the case's ephemeral private key to the library's key generation.
type fixedRandom struct{ key []byte }

func (f *fixedRandom) Read(p []byte) (int, error) {
	if len(f.key) < len(p) {
		return 0, errors.New("the case's ephemeral key was used twice")
	}
	n := copy(p, f.key)
	f.key = f.key[n:]
	return n, nil
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func newSession(r *request) (*session, error) {
	p, err := pattern(r)
	if err != nil {
		return nil, err
	}
	cs, err := suite(r)
	if err != nil {
		return nil, err
	}
	config := noise.Config{
		CipherSuite: cs,
		Random:      &fixedRandom{key: unhex(r.E)},
		Pattern:     p,
		Initiator:   r.Initiator,
		Prologue:    unhex(r.Prologue),
	}
	if len(r.Psks) > 0 {
		for _, psk := range r.Psks[1:] {
			if psk != r.Psks[0] {
				return nil, errors.New("flynn/noise has one psk per handshake")
			}
		}
		config.PresharedKey = unhex(r.Psks[0])
		// The library adds the token of the last placement and names it; the others
		// are added here, and named here, in the spec's order (psk0+psk2).
		last := r.Placements[len(r.Placements)-1]
		messages := make([][]noise.MessagePattern, len(p.Messages))
		for i, m := range p.Messages {
			messages[i] = append([]noise.MessagePattern(nil), m...)
		}
		names := []string{}
		for _, placement := range r.Placements[:len(r.Placements)-1] {
			if placement == 0 {
				messages[0] = append([]noise.MessagePattern{noise.MessagePatternPSK}, messages[0]...)
			} else {
				messages[placement-1] = append(messages[placement-1], noise.MessagePatternPSK)
			}
			names = append(names, fmt.Sprintf("psk%d", placement))
		}
		p.Messages = messages
		if len(names) > 0 {
			p.Name += strings.Join(names, "+") + "+psk"
			// flynn appends "psk%d" to the name: strip its "psk" prefix from ours.
			p.Name = strings.TrimSuffix(p.Name, "psk")
		}
		config.Pattern = p
		config.PresharedKeyPlacement = last
	}
	if r.S != "" {
		private := unhex(r.S)
		key, err := noise.DH25519.GenerateKeypair(&fixedRandom{key: private})
		if err != nil {
			return nil, err
		}
		config.StaticKeypair = key
	}
	if r.RS != "" {
		config.PeerStatic = unhex(r.RS)
	}
	hs, err := noise.NewHandshakeState(config)
	if err != nil {
		return nil, err
	}
	return &session{hs: hs, initiator: r.Initiator}, nil
}

func (s *session) finish(c1, c2 *noise.CipherState, response map[string]any) {
	response["done"] = c1 != nil
	if c1 != nil {
		if s.initiator {
			s.send, s.recv = c1, c2
		} else {
			s.send, s.recv = c2, c1
		}
		response["h"] = hex.EncodeToString(s.hs.ChannelBinding())
	}
}

func handle(sessions map[int]*session, r *request) (map[string]any, error) {
	response := map[string]any{"ok": true}
	switch r.Op {
	case "hello":
		patterns := []string{}
		for name := range builtin {
			patterns = append(patterns, name)
		}
		patterns = append(patterns, deferred...)
		response["name"] = "flynn"
		response["patterns"] = patterns
		response["ciphers"] = []string{"ChaChaPoly", "AESGCM"}
		response["hashes"] = []string{"SHA256", "SHA512", "BLAKE2s", "BLAKE2b"}
		response["max_psks"] = 4
		response["distinct_psks"] = false
		response["rekey"] = true
		response["psk0_with_psk1"] = true
		response["max_psk_placement"] = 4
		return response, nil
	case "init":
		s, err := newSession(r)
		if err != nil {
			return nil, err
		}
		sessions[r.ID] = s
		return response, nil
	case "close":
		delete(sessions, r.ID)
		return response, nil
	}
	s, ok := sessions[r.ID]
	if !ok {
		return nil, fmt.Errorf("no session %d", r.ID)
	}
	switch r.Op {
	case "write":
		message, c1, c2, err := s.hs.WriteMessage(nil, unhex(r.Payload))
		if err != nil {
			return nil, err
		}
		response["message"] = hex.EncodeToString(message)
		s.finish(c1, c2, response)
	case "read":
		payload, c1, c2, err := s.hs.ReadMessage(nil, unhex(r.Message))
		if err != nil {
			return nil, err
		}
		response["payload"] = hex.EncodeToString(payload)
		s.finish(c1, c2, response)
	case "encrypt":
		message, err := s.send.Encrypt(nil, nil, unhex(r.Payload))
		if err != nil {
			return nil, err
		}
		response["message"] = hex.EncodeToString(message)
	case "decrypt":
		payload, err := s.recv.Decrypt(nil, nil, unhex(r.Message))
		if err != nil {
			return nil, err
		}
		response["payload"] = hex.EncodeToString(payload)
	case "rekey":
		if r.Which == "send" {
			s.send.Rekey()
		} else {
			s.recv.Rekey()
		}
	default:
		return nil, fmt.Errorf("unsupported op %s", r.Op)
	}
	return response, nil
}

func main() {
	sessions := map[int]*session{}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		var r request
		var response map[string]any
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			response = map[string]any{"ok": false, "error": err.Error()}
		} else if resp, err := handle(sessions, &r); err != nil {
			response = map[string]any{"ok": false, "error": err.Error()}
		} else {
			response = resp
		}
		line, _ := json.Marshal(response)
		out.Write(line)
		out.WriteString("\n")
		out.Flush()
	}
}
