-- Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
--
-- p2pnet.lua: a Wireshark dissector for P2PNet protocol-v1 over TCP (docs/protocol.md,
-- docs/debugging.md). It shows the four handshake messages and Error with the field
-- names of docs/protocol.md, then the transport frames (length, per-direction sequence
-- number, ciphertext, tag). Given a key log (the p2pnet tool's --keylog FILE, or an
-- embedder's key_log hook: lines "P2PNET_V1_TRAFFIC_KEYS <challenge> <key_c2s>
-- <key_s2c>"), it finds the session by the challenge of its ServerHello, checks each
-- frame's Poly1305 tag and shows the plaintext, or close_notify for an empty frame.
--
-- Pure Lua 5.2 (the Lua of Debian's Wireshark, with bit32): Wireshark's Lua API has no
-- cipher, so ChaCha20 and Poly1305 (RFC 8439) are written out below. They are slow
-- (fine for debugging captures, not for gigabytes).
--
-- Use:  wireshark -X lua_script:p2pnet.lua -o p2pnet.port:8080 -o p2pnet.keylog:keys.log
--       or copy the file into Wireshark's personal plugins folder and set the
--       preferences (Edit > Preferences > Protocols > P2PNET).

local p2pnet = Proto("p2pnet", "P2PNet secure channel (protocol-v1)")

-- --- Fields, named as in docs/protocol.md ---------------------------------------------

local message_types = {
  [0x01] = "ClientHello", [0x02] = "ServerHello", [0x03] = "KeyExchange",
  [0x04] = "Accept", [0xFF] = "Error",
}
local error_codes = {
  [0x01] = "malformed message", [0x02] = "authentication failed",
  [0x03] = "peer identity not accepted", [0x04] = "timeout",
  [0x05] = "replayed challenge", [0x06] = "internal error or overload",
}

local f = {
  type = ProtoField.uint8("p2pnet.type", "Type", base.HEX, message_types),
  client_id = ProtoField.bytes("p2pnet.client_id", "client_id (Ed25519 public key)"),
  server_id = ProtoField.bytes("p2pnet.server_id", "server_id (Ed25519 public key)"),
  key_text = ProtoField.string("p2pnet.key_text", "Public key (43-character form)"),
  challenge = ProtoField.bytes("p2pnet.challenge", "challenge"),
  client_eph = ProtoField.bytes("p2pnet.client_eph", "client_eph (X25519)"),
  client_sig = ProtoField.bytes("p2pnet.client_sig", "client_sig (Ed25519)"),
  server_eph = ProtoField.bytes("p2pnet.server_eph", "server_eph (X25519)"),
  server_sig = ProtoField.bytes("p2pnet.server_sig", "server_sig (Ed25519)"),
  error_code = ProtoField.uint8("p2pnet.error_code", "code", base.HEX, error_codes),
  direction = ProtoField.string("p2pnet.frame.direction", "Direction"),
  length = ProtoField.uint32("p2pnet.frame.length", "L (plaintext length)"),
  seq = ProtoField.uint64("p2pnet.frame.seq", "Sequence number (nonce counter)"),
  ciphertext = ProtoField.bytes("p2pnet.frame.ciphertext", "ciphertext"),
  tag = ProtoField.bytes("p2pnet.frame.tag", "tag (Poly1305)"),
  tag_ok = ProtoField.bool("p2pnet.frame.tag_ok", "Tag verified"),
  close_notify = ProtoField.bool("p2pnet.frame.close_notify", "close_notify"),
  plaintext = ProtoField.bytes("p2pnet.plaintext", "Plaintext"),
  text = ProtoField.string("p2pnet.text", "Plaintext (escaped)"),
}
p2pnet.fields = {
  f.type, f.client_id, f.server_id, f.key_text, f.challenge, f.client_eph, f.client_sig,
  f.server_eph, f.server_sig, f.error_code, f.direction, f.length, f.seq, f.ciphertext,
  f.tag, f.tag_ok, f.close_notify, f.plaintext, f.text,
}

local ef_bad_tag = ProtoExpert.new("p2pnet.frame.bad_tag", "Frame failed authentication with the logged key",
                                   expert.group.DECRYPTION, expert.severity.WARN)
local ef_malformed = ProtoExpert.new("p2pnet.malformed", "Unexpected handshake message or oversized frame",
                                     expert.group.MALFORMED, expert.severity.ERROR)
p2pnet.experts = { ef_bad_tag, ef_malformed }

p2pnet.prefs.port = Pref.uint("Server TCP port", 8080, "The port the P2PNet server listens on")
p2pnet.prefs.keylog = Pref.string("Key log file", "",
  "A key log (P2PNET_V1_TRAFFIC_KEYS lines) to decrypt frames with; DANGEROUS to keep around")

local tcp_stream = Field.new("tcp.stream")

-- --- Small helpers --------------------------------------------------------------------

local band, bor, bxor, lrotate, rshift, lshift =
  bit32.band, bit32.bor, bit32.bxor, bit32.lrotate, bit32.rshift, bit32.lshift

local function to_hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function from_hex(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
-- key_text: the 43-character URL-safe base64 form the tools print (docs/protocol.md).
local function key_text(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = (b == nil) and 2 or ((c == nil) and 3 or 4)
    for k = 1, chars do
      local v = math.floor(n / 2 ^ (18 - 6 * (k - 1))) % 64
      out[#out + 1] = b64:sub(v + 1, v + 1)
    end
  end
  return table.concat(out)
end

-- escaped: printable ASCII as it is, every other byte as \xNN (as the tools show it).
local function escaped(s)
  return (s:gsub("[^\32-\126]", function(c) return string.format("\\x%02x", c:byte()) end))
end

-- --- ChaCha20 (RFC 8439 section 2.3) ----------------------------------------------------

local function le32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

local function chacha20_block(key, counter, nonce)
  local st = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }
  for i = 0, 7 do st[5 + i] = le32(key, 1 + 4 * i) end
  st[13] = counter % 4294967296
  for i = 0, 2 do st[14 + i] = le32(nonce, 1 + 4 * i) end
  local x = {}
  for i = 1, 16 do x[i] = st[i] end
  local function qr(a, b, c, d)
    x[a] = (x[a] + x[b]) % 4294967296; x[d] = lrotate(bxor(x[d], x[a]), 16)
    x[c] = (x[c] + x[d]) % 4294967296; x[b] = lrotate(bxor(x[b], x[c]), 12)
    x[a] = (x[a] + x[b]) % 4294967296; x[d] = lrotate(bxor(x[d], x[a]), 8)
    x[c] = (x[c] + x[d]) % 4294967296; x[b] = lrotate(bxor(x[b], x[c]), 7)
  end
  for _ = 1, 10 do
    qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15); qr(4, 8, 12, 16)
    qr(1, 6, 11, 16); qr(2, 7, 12, 13); qr(3, 8, 9, 14); qr(4, 5, 10, 15)
  end
  local out = {}
  for i = 1, 16 do
    local v = (x[i] + st[i]) % 4294967296
    out[i] = string.char(band(v, 255), band(rshift(v, 8), 255), band(rshift(v, 16), 255), rshift(v, 24))
  end
  return table.concat(out)
end

local function chacha20_xor(key, counter, nonce, data)
  local out = {}
  for i = 1, #data, 64 do
    local block = chacha20_block(key, counter, nonce)
    counter = counter + 1
    local chunk = data:sub(i, i + 63)
    local bytes = {}
    for j = 1, #chunk do bytes[j] = string.char(bxor(chunk:byte(j), block:byte(j))) end
    out[#out + 1] = table.concat(bytes)
  end
  return table.concat(out)
end

-- --- Poly1305 (RFC 8439 section 2.5), in ten 13-bit limbs ------------------------------
-- 130 = 10 x 13 bits, so 2^130 = 5 (mod p) folds limb k+10 into limb k times 5, and
-- every product sum stays far below 2^53, where Lua 5.2's doubles are exact.

local function limbs(bytes17)  -- a little-endian number of up to 17 bytes -> 10 limbs
  local b = { bytes17:byte(1, -1) }
  for i = #b + 1, 20 do b[i] = 0 end
  local l = {}
  for k = 0, 9 do
    local bit = 13 * k
    local i = math.floor(bit / 8) + 1
    local v = b[i] + b[i + 1] * 256 + b[i + 2] * 65536
    l[k] = math.floor(v / 2 ^ (bit % 8)) % 8192
  end
  return l
end

local function carry(h)
  for _ = 1, 2 do
    for k = 0, 9 do
      local c = math.floor(h[k] / 8192)
      h[k] = h[k] % 8192
      if k < 9 then h[k + 1] = h[k + 1] + c else h[0] = h[0] + 5 * c end
    end
  end
end

local function poly1305(key, msg)
  local rb = { key:byte(1, 16) }
  for _, i in ipairs({ 4, 8, 12, 16 }) do rb[i] = band(rb[i], 15) end
  for _, i in ipairs({ 5, 9, 13 }) do rb[i] = band(rb[i], 252) end
  local r = limbs(string.char(table.unpack(rb)))
  local h = {}
  for k = 0, 9 do h[k] = 0 end
  for i = 1, #msg, 16 do
    local m = limbs(msg:sub(i, i + 15) .. "\1")
    for k = 0, 9 do h[k] = h[k] + m[k] end
    local d = {}
    for k = 0, 9 do
      local sum = 0
      for j = 0, 9 do
        local idx = k - j
        if idx >= 0 then sum = sum + h[j] * r[idx] else sum = sum + 5 * h[j] * r[idx + 10] end
      end
      d[k] = sum
    end
    h = d
    carry(h)
  end
  -- Fully reduce: h is below 2^130 + small; subtract p if h >= p.
  carry(h)
  local g, c = {}, 5
  for k = 0, 9 do
    local v = h[k] + c
    g[k] = v % 8192
    c = math.floor(v / 8192)
  end
  if c > 0 then h = g end  -- h + 5 reached 2^130: h >= p, so h - p = g
  -- tag = (h + s) mod 2^128, little-endian
  local bits, nbits, hb = 0, 0, {}
  for k = 0, 9 do
    bits = bits + h[k] * 2 ^ nbits
    nbits = nbits + 13
    while nbits >= 8 do
      hb[#hb + 1] = bits % 256
      bits = math.floor(bits / 256)
      nbits = nbits - 8
    end
  end
  hb[#hb + 1] = bits % 256
  local out, cy = {}, 0
  for i = 1, 16 do
    local v = hb[i] + key:byte(16 + i) + cy
    out[i] = string.char(v % 256)
    cy = math.floor(v / 256)
  end
  return table.concat(out)
end

local function le64(n)
  local out = {}
  for i = 1, 8 do out[i] = string.char(n % 256); n = math.floor(n / 256) end
  return table.concat(out)
end

local function pad16(s) return string.rep("\0", (16 - #s % 16) % 16) end

-- open: ChaCha20-Poly1305-IETF (RFC 8439 section 2.8); returns plaintext, tag_ok.
local function aead_open(key, counter, ad, ciphertext, tag)
  local nonce = "\0\0\0\0" .. le64(counter)
  local otk = chacha20_block(key, 0, nonce):sub(1, 32)
  local mac = poly1305(otk, ad .. pad16(ad) .. ciphertext .. pad16(ciphertext) .. le64(#ad) .. le64(#ciphertext))
  return chacha20_xor(key, 1, nonce, ciphertext), mac == tag
end

-- --- Key log ----------------------------------------------------------------------------

-- The key log is read once per capture and indexed by challenge. A challenge that is
-- not in the index makes one read of the lines appended since the last read (a live
-- capture's sessions are logged as they start), at most once per challenge; reading the
-- whole file again for each frame of an unknown session took minutes on a long capture.
-- init() (a new capture or a reload) and a changed preference start again.

local keylog = { path = nil, keys = {}, offset = 0, missing = {} }

local function reset_keylog()
  keylog.path, keylog.keys, keylog.offset, keylog.missing = nil, {}, 0, {}
end

-- read_new_lines indexes the complete lines after keylog.offset (a line being written
-- is left for the next read).
local function read_new_lines(path)
  local file = io.open(path, "rb")
  if file == nil then return end
  file:seek("set", keylog.offset)
  local data = file:read("*a") or ""
  file:close()
  local stop = data:find("\n[^\n]*$")
  if stop == nil then return end
  for line in data:sub(1, stop):gmatch("([^\n]*)\n") do
    local c, c2s, s2c = line:match("^P2PNET_V1_TRAFFIC_KEYS (%x+) (%x+) (%x+)%s*$")
    if c and #c == 64 and #c2s == 64 and #s2c == 64 then
      keylog.keys[c:lower()] = { c2s = from_hex(c2s), s2c = from_hex(s2c) }
    end
  end
  keylog.offset = keylog.offset + stop
end

local function lookup_keys(challenge_hex)
  local path = p2pnet.prefs.keylog
  if path == nil or path == "" then return nil end
  if keylog.path ~= path then
    reset_keylog()
    keylog.path = path
  end
  local keys = keylog.keys[challenge_hex]
  if keys == nil and not keylog.missing[challenge_hex] then
    read_new_lines(path)
    keys = keylog.keys[challenge_hex]
    if keys == nil then keylog.missing[challenge_hex] = true end
  end
  return keys
end

-- --- Per-stream state ---------------------------------------------------------------------
-- Each TCP stream has a client and a server direction. A direction is in its handshake
-- (expecting the next message of its role) until its last message, then in frames,
-- numbered from 0. The state at the start of each call is kept, so that a second
-- pass (or clicking around in the GUI) sees the same decoding as the first. One packet
-- can bring several calls (the end of a reassembled unit, then the units after it in
-- the same segment), so a call is known by its packet, its direction and its bytes
-- (their length and first 32 bytes, which two units of one packet never share): a
-- key of packet and direction alone let the second call overwrite the first's state,
-- and a second pass then decoded the first with the wrong sequence number ("bad tag").

local streams, snapshots = {}, {}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local handshake_order = {
  c2s = { 0x01, 0x03 },  -- ClientHello, KeyExchange
  s2c = { 0x02, 0x04 },  -- ServerHello, Accept
}
local message_sizes = { [0x01] = 33, [0x02] = 65, [0x03] = 97, [0x04] = 97, [0xFF] = 2 }
local max_frame_length = 16 * 1024 * 1024  -- kMaxMessageSizeLimit (config.h)

local function add_key(tree, field, tvb, offset)
  local item = tree:add(field, tvb(offset, 32))
  item:add(f.key_text, tvb(offset, 32), key_text(tvb:raw(offset, 32)))
end

local function dissect_message(tvb, offset, tree, typ, conv)
  local size = message_sizes[typ]
  local sub = tree:add(p2pnet, tvb(offset, size), message_types[typ])
  sub:add(f.type, tvb(offset, 1))
  local o = offset + 1
  if typ == 0x01 then
    add_key(sub, f.client_id, tvb, o)
  elseif typ == 0x02 then
    add_key(sub, f.server_id, tvb, o)
    sub:add(f.challenge, tvb(o + 32, 32))
    conv.challenge = to_hex(tvb:raw(o + 32, 32))
  elseif typ == 0x03 then
    sub:add(f.client_eph, tvb(o, 32))
    sub:add(f.client_sig, tvb(o + 32, 64))
  elseif typ == 0x04 then
    sub:add(f.server_eph, tvb(o, 32))
    sub:add(f.server_sig, tvb(o + 32, 64))
  else
    sub:add(f.error_code, tvb(o, 1))
  end
  return message_types[typ]
end

local function dissect_frame(tvb, offset, tree, pinfo, dir, st, conv)
  local length = tvb(offset, 4):uint()
  local seq = st.seq
  st.seq = st.seq + 1
  local total = 4 + length + 16
  local sub = tree:add(p2pnet, tvb(offset, total), "Frame " .. dir .. " #" .. seq)
  sub:add(f.direction, dir)
  sub:add(f.length, tvb(offset, 4))
  sub:add(f.seq, UInt64(seq))
  -- close_notify is a sealed empty plaintext: the header and a tag, nothing after it.
  if length == 0 then sub:add(f.close_notify, true) end
  local ct, tag = tvb:raw(offset + 4, length), tvb:raw(offset + 4 + length, 16)
  if length > 0 then sub:add(f.ciphertext, tvb(offset + 4, length)) end
  sub:add(f.tag, tvb(offset + 4 + length, 16))
  local what = (length == 0) and "close_notify" or ("Frame (" .. length .. " bytes")
  local keys = conv.challenge and lookup_keys(conv.challenge)
  if keys == nil then return (length == 0) and what or (what .. ", no key)") end
  local plain, ok = aead_open(keys[dir], seq, tvb:raw(offset, 4), ct, tag)
  sub:add(f.tag_ok, ok)
  if not ok then
    sub:add_proto_expert_info(ef_bad_tag)
    return (length == 0) and (what .. " (bad tag)") or (what .. ", bad tag)")
  end
  if length == 0 then return what end
  local hex = to_hex(plain)
  local decrypted = ByteArray.new(hex):tvb("Decrypted P2PNet frame")
  sub:add(f.plaintext, decrypted())
  sub:add(f.text, decrypted(), escaped(plain))
  return "Data: " .. escaped(plain:sub(1, 40))
end

function p2pnet.dissector(tvb, pinfo, tree)
  local dir = (pinfo.src_port == p2pnet.prefs.port) and "s2c" or "c2s"
  local stream_id = tcp_stream() and tcp_stream().value or 0
  local conv = streams[stream_id]
  if conv == nil then
    conv = { c2s = { step = 1, seq = 0 }, s2c = { step = 1, seq = 0 } }
    streams[stream_id] = conv
  end
  local key = pinfo.number .. ":" .. dir .. ":" .. tvb:len() .. ":" ..
    to_hex(tvb:raw(0, math.min(tvb:len(), 32)))
  if pinfo.visited and snapshots[key] then
    conv[dir] = copy(snapshots[key].st)
    conv.challenge = snapshots[key].challenge
  else
    snapshots[key] = { st = copy(conv[dir]), challenge = conv.challenge }
  end
  local st = conv[dir]

  pinfo.cols.protocol = "P2PNET"
  local root = tree:add(p2pnet, tvb(), "P2PNet protocol-v1 (" .. dir .. ")")
  local offset, len, summary = 0, tvb:len(), {}
  while offset < len do
    local order = handshake_order[dir]
    if st.done then break end
    if st.step <= #order then
      local typ = tvb(offset, 1):uint()
      local size = message_sizes[typ]
      if typ ~= 0xFF and typ ~= order[st.step] then
        root:add_proto_expert_info(ef_malformed)
        st.done = true
        break
      end
      if len - offset < size then
        pinfo.desegment_offset = offset
        pinfo.desegment_len = size - (len - offset)
        break
      end
      summary[#summary + 1] = dissect_message(tvb, offset, root, typ, conv)
      offset = offset + size
      if typ == 0xFF then st.done = true else st.step = st.step + 1 end
    else
      if len - offset < 4 then
        pinfo.desegment_offset = offset
        pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
        break
      end
      local length = tvb(offset, 4):uint()
      if length > max_frame_length then  -- no receiver accepts it: not a stream to follow
        root:add_proto_expert_info(ef_malformed, "Frame length " .. length .. " over 16 MiB")
        st.done = true
        break
      end
      local size = 4 + length + 16
      if len - offset < size then
        pinfo.desegment_offset = offset
        pinfo.desegment_len = size - (len - offset)
        break
      end
      summary[#summary + 1] = dissect_frame(tvb, offset, root, pinfo, dir, st, conv)
      offset = offset + size
      if length == 0 then st.done = true end  -- nothing may follow close_notify
    end
  end
  pinfo.cols.info = dir .. ": " .. table.concat(summary, ", ")
  return len  -- all ours, even the part left for reassembly
end

local registered_port = nil
local function register_port()
  local tcp = DissectorTable.get("tcp.port")
  if registered_port then tcp:remove(registered_port, p2pnet) end
  registered_port = p2pnet.prefs.port
  tcp:add(registered_port, p2pnet)
end

function p2pnet.prefs_changed()
  if registered_port ~= p2pnet.prefs.port then register_port() end
  reset_keylog()  -- read the key log again
end

function p2pnet.init()
  streams, snapshots = {}, {}
  reset_keylog()
end

register_port()
