// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// listen.mjs: a js-libp2p node (TCP, @chainsafe/libp2p-noise, @chainsafe/libp2p-yamux)
// listening on 127.0.0.1. It prints "peer-id <id>" and "address <multiaddr>", then
// "connected <peer-id>" for each peer that completes the handshake and the muxer. With
// --open-stream it opens a stream to each peer that connects, so that the first bytes
// the peer decrypts include a yamux frame even when it sends nothing. It runs until
// SIGTERM or SIGINT, or until --timeout seconds (default 60) have passed.
//
// usage: node listen.mjs [--port N] [--timeout SECONDS] [--open-stream]
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { deadline, fail, parseArgs, report } from './common.mjs'

try {
  const args = parseArgs(process.argv.slice(2), ['open-stream'])
  deadline(args.timeout ?? 60)
  const node = await createLibp2p({
    addresses: { listen: [`/ip4/127.0.0.1/tcp/${args.port ?? 0}`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  node.addEventListener('peer:connect', (event) => {
    report('connected', event.detail.toString())
    if (args['open-stream']) {
      // The protocol does not exist on the other side; the stream's first frame is sent
      // all the same, which is what the test wants to see arrive.
      node.dialProtocol(event.detail, '/p2pnet/interop/1.0.0').catch(() => {})
    }
  })
  report('peer-id', node.peerId.toString())
  for (const address of node.getMultiaddrs()) report('address', address.toString())
  const stop = async () => { await node.stop(); process.exit(0) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
} catch (error) {
  fail(error)
}
