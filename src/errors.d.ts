/**
 * The `code` of each Error lazyfree throws (and of the warning it emits).
 * Errors of the Redis commands use Redis's own prefixes.
 */
export declare const ERROR_CODES: {
    /** A released `NativeValue` was read or released into a dropper (native). */
    readonly RELEASED: "ERR_LAZYFREE_RELEASED";
    /** A command on a closed `Keyspace` (facade and native shared keyspace). */
    readonly CLOSED: "ERR_LAZYFREE_CLOSED";
    /** `Keyspace#close()` called while a command of it runs (from a getter during argument conversion). */
    readonly BUSY: "ERR_LAZYFREE_BUSY";
    /** Two hash fields decode to the same string (`hgetall`, `hgetallMap`; native). */
    readonly FIELD_COLLISION: "ERR_LAZYFREE_FIELD_COLLISION";
    /** `Keyspace.open(name, options)` with options other than the open keyspace's (native). */
    readonly SHARED_OPTIONS: "ERR_LAZYFREE_SHARED_OPTIONS";
    /** A shared keyspace could not start its native thread (native). */
    readonly NO_THREAD: "ERR_LAZYFREE_NO_THREAD";
    /** The native addon could not be loaded (src/loader.ts). */
    readonly NATIVE_LOAD: "ERR_LAZYFREE_NATIVE_LOAD";
    /** Redis: a command on a key holding the wrong kind of value (native). */
    readonly WRONGTYPE: "WRONGTYPE";
    /** Redis: a write that cannot fit under `maxMemory` (native). */
    readonly OOM: "OOM";
    /** Redis: any other command error, with Redis's message (native). */
    readonly ERR: "ERR";
};
/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];
/** The `code` of the process warning a dropper emits when its thread cannot start (native). */
export declare const NO_THREAD_WARNING = "LAZYFREE_NO_THREAD";
/** An Error with a lazyfree `code`. */
export interface CodedError extends Error {
    /** Which error: one of {@link ERROR_CODES}. */
    code: ErrorCode;
}
/** An Error carrying `code`, as the native layer makes them: `message`, then `cause`, then `code`. */
export declare function codedError(code: ErrorCode, message: string, options?: ErrorOptions): CodedError;
