// What the two stress scripts share: how they run themselves to measure
// memory, the bounds they check it against, and how they print it.
'use strict'

const { spawnSync } = require('node:child_process')

/**
 * Runs `file` again in a child with full GCs available (so that the V8 heap
 * is not what moves between rounds), V8's young generation at a fixed size,
 * and the addon's allocator (jemalloc on Linux) told to return freed pages
 * at once, so that RSS after a drain shows what is still allocated. Set
 * _RJEM_MALLOC_CONF yourself to measure with other settings. Returns only in
 * that child; the parent exits with the child's status.
 */
function runMeasured(file) {
  if (typeof globalThis.gc === 'function' && process.env._RJEM_MALLOC_CONF !== undefined) return
  const env = { _RJEM_MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0', ...process.env }
  const v8 = ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16']
  const r = spawnSync(process.execPath, [...v8, file, ...process.argv.slice(2)], { stdio: 'inherit', env })
  process.exit(r.status ?? 1)
}

const MiB = 1024 * 1024

module.exports = {
  runMeasured,
  /** RSS after a drain may be at most this much above the baseline. */
  TOLERANCE: 0.1,
  /** Memory outside the V8 heap may move this much from the first round to the last… */
  PLATEAU: 0.025,
  /** …or this much, whichever is more: it moves by a few MiB between rounds whatever the size. */
  PLATEAU_FLOOR: 6 * MiB,
  MiB,
  mib: (bytes) => `${(bytes / MiB).toFixed(1)} MiB`,
}
