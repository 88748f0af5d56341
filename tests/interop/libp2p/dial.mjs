// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// dial.mjs: a js-libp2p node that dials a multiaddr (with /p2p/<peer-id>), completes
// noise and yamux, prints "secured <remote peer-id> <encryption> <muxer>" and exits 0;
// "error ..." and exit 1 on failure. It proves the js side works js-to-js.
//
// usage: node dial.mjs --address MULTIADDR [--timeout SECONDS]
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { deadline, fail, parseArgs, report } from './common.mjs'

try {
  const args = parseArgs(process.argv.slice(2))
  if (args.address == null) throw new Error('--address is required')
  deadline(args.timeout ?? 30)
  const node = await createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  const connection = await node.dial(multiaddr(args.address))
  report('secured', connection.remotePeer.toString(), connection.encryption, connection.multiplexer)
  await node.stop()
  process.exit(0)
} catch (error) {
  fail(error)
}
