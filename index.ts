/**
 * lazyfree: Redis-style lazy free for Node.js.
 *
 * Big data lives in native memory, off the V8 heap, and is released on a
 * background OS thread, so the event loop never stalls on a free.
 *
 * @packageDocumentation
 */

// The package entry: it only re-exports the public API of the modules under
// src/, one concern per file (docs/modules.md lists them). Internal functions
// are not re-exported; keyv.ts and prometheus.ts import from here.

/** The value, reply and option types. */
export type {
  Scalar,
  ValueKind,
  JsValue,
  JsOutput,
  JsBufferOutput,
  DropperOptions,
  DropperStats,
  HgetallMapOptions,
  HgetallMapResult,
  SetOptions,
  ScanOptions,
  MsetEntries,
  FlushOptions,
  ZrangeOptions,
  ZrangeMembers,
  ZrangeWithScores,
  KeyspaceInfo,
} from './src/types'
/** A value in native memory. */
export { NativeValue } from './src/native-value'
/** The drop threads. */
export { Dropper, defaultDropper } from './src/dropper'
/** The keyspace's options. */
export type { EvictionPolicy, LazyFreeOptions, KeyspaceOptions } from './src/keyspace-options'
/** The Redis-style store. */
export { Keyspace } from './src/keyspace'
