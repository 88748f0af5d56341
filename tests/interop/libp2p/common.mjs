// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// common.mjs: what the interop scripts share: argument parsing, a deadline that ends
// the process, and line-oriented reports on standard output that the test driver reads
// ("peer-id ...", "address ...", "secured ...", "ok ...", "error ...").
import './polyfill.mjs'

// parseArgs turns "--name value" and "--flag" into an object; |flags| lists the options
// that take no value.
export function parseArgs (argv, flags = []) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`)
    const name = arg.slice(2)
    if (flags.includes(name)) {
      out[name] = true
    } else {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`)
      out[name] = argv[++i]
    }
  }
  return out
}

export function report (...words) {
  process.stdout.write(words.join(' ') + '\n')
}

// fail reports the error and ends the process with status 1.
export function fail (error) {
  report('error', String(error?.message ?? error).replace(/\s+/g, ' '))
  process.exit(1)
}

// deadline ends the process with status 3 after |seconds|: no script outlives its test.
export function deadline (seconds) {
  const timer = setTimeout(() => {
    report('error', `deadline of ${seconds} s passed`)
    process.exit(3)
  }, Number(seconds) * 1000)
  timer.unref()
}

// pattern returns |length| bytes that depend on their position and on |seed|, so a
// reordered, dropped or repeated chunk is caught, not only a wrong length.
export function pattern (length, seed = 0) {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff
  return out
}
