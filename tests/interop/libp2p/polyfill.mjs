// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// polyfill.mjs: Promise.withResolvers (ES2024) for Node 20, which lacks it. Some
// dependencies of the pinned js-libp2p call it (it-queue through mortice, used by the
// peer store); Node 22 has it natively, and then this does nothing. Imported first by
// every script here (docs/interop.md).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
