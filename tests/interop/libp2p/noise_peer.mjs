// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// noise_peer.mjs: @chainsafe/libp2p-noise's secureOutbound or secureInbound on a plain
// TCP socket: no multistream-select, no muxer, only the libp2p Noise handshake and the
// encrypted stream, the way a libp2p upgrader uses it. The identity is a fresh Ed25519
// key, or the one of --seed (64 hex digits: the Ed25519 seed).
//
//   --role outbound --port N [--host H]   dial, then secureOutbound
//   --role inbound [--port N]             listen on 127.0.0.1 (port 0: any; printed as
//                                         "listening <port>"), accept one connection,
//                                         then secureInbound
//   --expect-peer PEER_ID                 the remote peer ID the handshake must prove
//   --muxers a,b                          stream muxers to offer in the extensions
//   --then echo                           echo every byte until the peer ends its side,
//                                         then end ours
//   --then check --sizes 1,100,1048576    send one pattern message of each size, expect
//                                         each echoed back byte for byte, end our side
//   --then send --sizes N                 send N pattern bytes, end our side, and print
//                                         "received <n> <sha256>" of what the peer sent
//   --timeout SECONDS                     default 60
//
// Reports: "peer-id <id>", "secured <remote peer-id> muxer=<name|none>",
// "ok ...", or "error ..." with exit status 1.
import { createHash } from 'node:crypto'
import net from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { deadline, fail, parseArgs, pattern, report } from './common.mjs'

async function identity (seedHex) {
  if (seedHex == null) return generateKeyPair('Ed25519')
  const seed = Buffer.from(seedHex, 'hex')
  if (seed.length !== 32) throw new Error('--seed needs 64 hex digits')
  return generateKeyPairFromSeed('Ed25519', seed)
}

// socketDuplex makes a net.Socket the duplex of async iterables that libp2p's
// encrypters take. Written out here because Node's own async iterator destroys the
// socket when an iteration is returned early, which the handshake's reader does
// once the handshake is over: the socket must live on under the encrypted stream.
function socketDuplex (socket) {
  const queue = []
  let wake = null
  let ended = false
  let failure = null
  const signal = () => { const w = wake; wake = null; w?.() }
  socket.on('data', (bytes) => { queue.push(new Uint8Array(bytes)); signal() })
  socket.on('end', () => { ended = true; signal() })
  socket.on('close', () => { ended = true; signal() })
  socket.on('error', (error) => { failure = error; signal() })
  const source = (async function * () {
    while (true) {
      if (queue.length > 0) {
        yield queue.shift()
      } else if (failure != null) {
        throw failure
      } else if (ended) {
        return
      } else {
        await new Promise((resolve) => { wake = resolve })
      }
    }
  })()
  const sink = async (chunks) => {
    for await (const chunk of chunks) {
      const bytes = chunk.subarray != null ? chunk.subarray() : chunk
      if (!socket.write(bytes)) await new Promise((resolve) => socket.once('drain', resolve))
    }
    socket.end()  // half-close: our side is done, the peer's may go on
  }
  return { source, sink }
}

function connectSocket (args) {
  return new Promise((resolve, reject) => {
    if (args.role === 'outbound') {
      const socket = net.connect({ host: args.host ?? '127.0.0.1', port: Number(args.port), allowHalfOpen: true })
      socket.once('connect', () => resolve(socket))
      socket.once('error', reject)
    } else {
      const server = net.createServer({ allowHalfOpen: true }, (socket) => {
        server.close()
        resolve(socket)
      })
      server.once('error', reject)
      server.listen(Number(args.port ?? 0), '127.0.0.1', () => report('listening', server.address().port))
    }
  })
}

// readAll collects the bytes of |source| until it ends, calling |onChunk| per chunk.
async function readAll (source, onChunk) {
  for await (const chunk of source) onChunk(chunk.subarray ? chunk.subarray() : chunk)
}

async function echo (conn) {
  let total = 0
  // A queue between the reading side and the sink, so that the echo keeps its order.
  const pending = []
  let wake = null
  let ended = false
  const source = (async function * () {
    while (true) {
      while (pending.length > 0) yield pending.shift()
      if (ended) return
      await new Promise((resolve) => { wake = resolve })
    }
  })()
  const sinking = conn.sink(source)
  await readAll(conn.source, (chunk) => {
    total += chunk.length
    pending.push(chunk.slice())
    wake?.()
  })
  ended = true
  wake?.()
  await sinking
  report('ok', 'echoed', total)
}

async function check (conn, sizes) {
  const messages = sizes.map((size, i) => pattern(size, i + 1))
  const expected = Buffer.concat(messages)
  const received = []
  let receivedLength = 0
  // Our side ends only once everything came back: the peer may end its side when ours
  // ends, and a TCP socket without half-open support would end both.
  const { promise: allBack, resolve: allBackResolve } = Promise.withResolvers()
  const sinking = conn.sink((async function * () {
    for (const m of messages) yield m
    await allBack
  })())
  await readAll(conn.source, (chunk) => {
    received.push(Buffer.from(chunk))
    receivedLength += chunk.length
    if (receivedLength >= expected.length) allBackResolve()
  })
  allBackResolve()
  await sinking
  const got = Buffer.concat(received, receivedLength)
  if (!got.equals(expected)) {
    throw new Error(`echo differs: sent ${expected.length} bytes, received ${got.length}`)
  }
  report('ok', 'checked', sizes.length, 'messages', expected.length, 'bytes')
}

async function send (conn, size) {
  const hash = createHash('sha256')
  let total = 0
  const sinking = conn.sink((async function * () { yield pattern(size, 9) })())
  await readAll(conn.source, (chunk) => { hash.update(chunk); total += chunk.length })
  await sinking
  report('received', total, hash.digest('hex'))
  report('ok', 'sent', size)
}

try {
  const args = parseArgs(process.argv.slice(2))
  deadline(args.timeout ?? 60)
  if (args.role !== 'outbound' && args.role !== 'inbound') throw new Error('--role outbound|inbound')
  const privateKey = await identity(args.seed)
  const peerId = peerIdFromPrivateKey(privateKey)
  report('peer-id', peerId.toString())
  const muxers = new Map((args.muxers ?? '').split(',').filter(Boolean).map((name) => [name, {}]))
  const encrypter = noise()({
    peerId,
    privateKey,
    logger: defaultLogger(),
    upgrader: { getStreamMuxers: () => muxers }
  })
  const socket = await connectSocket(args)
  const connection = socketDuplex(socket)
  const options = {}
  if (args['expect-peer'] != null) options.remotePeer = peerIdFromString(args['expect-peer'])
  const secured = args.role === 'outbound'
    ? await encrypter.secureOutbound(connection, options)
    : await encrypter.secureInbound(connection, options)
  const muxer = secured.streamMuxer != null ? [...muxers].find(([, m]) => m === secured.streamMuxer)?.[0] : 'none'
  report('secured', secured.remotePeer.toString(), `muxer=${muxer}`)
  const sizes = (args.sizes ?? '').split(',').filter(Boolean).map(Number)
  switch (args.then ?? 'echo') {
    case 'echo': await echo(secured.conn); break
    case 'check': await check(secured.conn, sizes); break
    case 'send': await send(secured.conn, sizes[0] ?? 0); break
    default: throw new Error(`unknown --then ${args.then}`)
  }
  socket.destroy()
  process.exit(0)
} catch (error) {
  fail(error)
}
