// Every error `code` lazyfree throws or documents, in one place, and the one
// function that makes a coded Error. Codes thrown by the native layer
// (crate/glue, crate/shared) are listed here too, so a reader finds each
// code's meaning without searching two languages.

/**
 * The `code` of each Error lazyfree throws (and of the warning it emits).
 * Errors of the Redis commands use Redis's own prefixes.
 */
export const ERROR_CODES = {
  /** A released `NativeValue` was read or released into a dropper (native). */
  RELEASED: 'ERR_LAZYFREE_RELEASED',
  /** A command on a closed `Keyspace` (facade and native shared keyspace). */
  CLOSED: 'ERR_LAZYFREE_CLOSED',
  /** `Keyspace#close()` called while a command of it runs (from a getter during argument conversion). */
  BUSY: 'ERR_LAZYFREE_BUSY',
  /** Two hash fields decode to the same string (`hgetall`, `hgetallMap`; native). */
  FIELD_COLLISION: 'ERR_LAZYFREE_FIELD_COLLISION',
  /** `Keyspace.open(name, options)` with options other than the open keyspace's (native). */
  SHARED_OPTIONS: 'ERR_LAZYFREE_SHARED_OPTIONS',
  /** A shared keyspace could not start its native thread (native). */
  NO_THREAD: 'ERR_LAZYFREE_NO_THREAD',
  /** The native addon could not be loaded (src/loader.ts). */
  NATIVE_LOAD: 'ERR_LAZYFREE_NATIVE_LOAD',
  /** Redis: a command on a key holding the wrong kind of value (native). */
  WRONGTYPE: 'WRONGTYPE',
  /** Redis: a write that cannot fit under `maxMemory` (native). */
  OOM: 'OOM',
  /** Redis: any other command error, with Redis's message (native). */
  ERR: 'ERR',
} as const

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

/** The `code` of the process warning a dropper emits when its thread cannot start (native). */
export const NO_THREAD_WARNING = 'LAZYFREE_NO_THREAD'

/** An Error with a lazyfree `code`. */
export interface CodedError extends Error {
  /** Which error: one of {@link ERROR_CODES}. */
  code: ErrorCode
}

/** An Error carrying `code`, as the native layer makes them: `message`, then `cause`, then `code`. */
export function codedError(code: ErrorCode, message: string, options?: ErrorOptions): CodedError {
  const error = new Error(message, options) as CodedError
  error.code = code
  return error
}
