/**
 * lazyfree: Redis-style lazy free for Node.js.
 *
 * Big data lives in native memory, off the V8 heap, and is released on a
 * background OS thread, so the event loop never stalls on a free.
 *
 * @packageDocumentation
 */

// --- native loader ---
import type * as Binding from './binding'

function loadBinding(): typeof Binding {
  try {
    return require('./binding')
  } catch (cause) {
    throw new Error(
      `lazyfree: no native binary could be loaded for ${process.platform}-${process.arch}. ` +
        'Reinstall with optional dependencies enabled, or build from source.',
      { cause },
    )
  }
}
const native = loadBinding()
// --- end native loader ---
