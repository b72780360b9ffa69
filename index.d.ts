/**
 * lazyfree: Redis-style lazy free for Node.js.
 *
 * Big data lives in native memory, off the V8 heap, and is released on a
 * background OS thread, so the event loop never stalls on a free.
 *
 * @packageDocumentation
 */
/** A scalar: what a string value, or one element of a collection, is made from. */
export type Scalar = string | Buffer | ArrayBufferView | ArrayBuffer | number | bigint;
/** The kind of a native value, named as Redis's `TYPE` names it. */
export type ValueKind = 'string' | 'list' | 'hash' | 'set' | 'zset';
/**
 * A JavaScript value that can enter native memory:
 * a scalar becomes a `'string'`, an array a `'list'` (order kept), a `Set` a
 * `'set'` (members equal as bytes collapse), a `Map` or plain object a `'hash'`.
 */
export type JsValue = Scalar | Scalar[] | Set<Scalar> | Map<Scalar, Scalar> | Record<string, Scalar>;
/** What `toJS()` returns: bytes decoded as UTF-8 strings. */
export type JsOutput = string | string[] | Set<string> | Map<string, string> | Array<[string, number]>;
/** What `toJS('buffer')` returns: bytes as `Buffer`s. */
export type JsBufferOutput = Buffer | Buffer[] | Set<Buffer> | Map<Buffer, Buffer> | Array<[Buffer, number]>;
/** Options of a {@link Dropper}. */
export interface DropperOptions {
    /** Channel slots: values that can wait for the thread. An integer from 1 to 16 777 216; default 4096. */
    capacity?: number;
    /**
     * A list, hash, set or zset is large, and freed on the thread, when it holds
     * more than this many elements. A non-negative integer, or `Infinity` to free
     * everything inline; default 64. Strings are never large.
     */
    threshold?: number;
    /** The OS thread's name (Linux keeps the first 15 bytes); default `'lazyfree-drop'`. */
    name?: string;
}
/** A dropper's counters (Redis's meanings where Redis has them). */
export interface DropperStats {
    /** Values handed to the thread, ever. */
    deferred: number;
    /** Values the thread has freed (Redis: `lazyfreed_objects`). */
    freed: number;
    /** `deferred - freed` (Redis: `lazyfree_pending_objects`). */
    pending: number;
    /** Estimated bytes handed over and not yet freed. */
    pendingBytes: number;
    /** Estimated bytes the thread has freed. */
    freedBytes: number;
    /** Values freed inline because they were not large. */
    inlineSmall: number;
    /** Values freed inline because the queue was full. */
    inlineFull: number;
    /** Values freed inline because the dropper was closed or its thread unavailable. */
    inlineClosed: number;
    /** Messages in the channel right now. */
    queued: number;
    /** Channel slots. */
    capacity: number;
    /** Whether the drop thread is running. */
    threadRunning: boolean;
}
/**
 * An owned native value, outside the V8 heap: a string, list, hash, set or
 * sorted set whose bytes live in native memory.
 *
 * Create one with {@link NativeValue.from} or the explicit constructors; give
 * its memory up with {@link NativeValue.release} (through a dropper thread when
 * it is large). A value garbage-collected without `release()` goes to the
 * {@link defaultDropper} by the same rules.
 *
 * @example
 * ```ts
 * const big = NativeValue.from(rows.map((r) => JSON.stringify(r)))
 * big.length          // rows.length
 * big.release()       // true: freed on the drop thread, not here
 * ```
 */
export declare class NativeValue {
    #private;
    private constructor();
    /**
     * Converts a JavaScript value into native memory: a scalar becomes a string,
     * an array a list, a `Set` a set, a `Map` or plain object a hash.
     *
     * @throws TypeError naming the path of the offending part (for example
     *   `value[3]` or `value.get("k")`) and what was found; nothing is created.
     */
    static from(value: JsValue): NativeValue;
    /**
     * A string value from one scalar: its UTF-8 bytes, its bytes, or its decimal text.
     * @throws TypeError when `s` is not a scalar.
     */
    static string(s: Scalar): NativeValue;
    /**
     * A list from an array or any iterable of scalars, in order.
     * @throws TypeError naming the first element that is not a scalar (`items[i]`).
     */
    static list(items: Iterable<Scalar>): NativeValue;
    /**
     * A set from a `Set`, an array or any iterable of scalars; members equal as bytes collapse.
     * @throws TypeError naming the first member that is not a scalar.
     */
    static set(members: Iterable<Scalar>): NativeValue;
    /**
     * A hash from a `Map`, a plain object, or an iterable of `[field, value]`
     * pairs; a repeated field keeps its last value.
     * @throws TypeError naming the first field or value that is not a scalar.
     */
    static hash(entries: Map<Scalar, Scalar> | Record<string, Scalar> | Iterable<readonly [Scalar, Scalar]>): NativeValue;
    /**
     * A sorted set from `[member, score]` pairs (an array, a `Map`, any
     * iterable). Scores are numbers, `±Infinity` allowed; a repeated member keeps
     * its last score.
     * @throws TypeError for a member that is not a scalar or a score that is not
     *   a number or is `NaN` (named `entries[i][1]`).
     */
    static zset(entries: Iterable<readonly [member: Scalar, score: number]>): NativeValue;
    /** The kind of value: `'string' | 'list' | 'hash' | 'set' | 'zset'`. Kept after release. */
    get kind(): ValueKind;
    /** Element count (bytes for a `'string'`); 0 once released. */
    get length(): number;
    /**
     * Estimated native bytes held; 0 once released. The formula per kind is in
     * the README ("Memory estimates").
     */
    get memoryUsage(): number;
    /** Whether the value has been released. */
    get released(): boolean;
    /**
     * A fresh JavaScript copy: strings decoded as UTF-8 (or `Buffer`s with
     * `'buffer'`); a list becomes an array, a set a `Set`, a hash a `Map`, a
     * zset an array of `[member, score]` in Redis order (score, then member bytes).
     *
     * @throws Error with `code === 'ERR_LAZYFREE_RELEASED'` once released.
     */
    toJS(): JsOutput;
    toJS(encoding: 'buffer'): JsBufferOutput;
    toJS(encoding: 'utf8'): JsOutput;
    /**
     * Gives the memory up. A large value (a collection above the dropper's
     * threshold) is handed to the dropper's thread; a small one, or any value
     * when the queue is full or the dropper closed, is freed here. Afterwards
     * `released` is true; a second call returns `false` and does nothing.
     *
     * @param dropper where to send it; default {@link defaultDropper}.
     * @returns `true` if it was handed to the dropper thread, `false` if freed inline.
     */
    release(dropper?: Dropper): boolean;
}
/**
 * A background dropper: one named OS thread draining a bounded queue, where
 * large values are freed off the event loop.
 *
 * Handing a value over never blocks: when the queue is full or the dropper is
 * closed, the value is freed on the caller's thread and counted
 * (`inlineFull`, `inlineClosed`). Small values are freed inline (`inlineSmall`).
 *
 * @example
 * ```ts
 * const dropper = new Dropper({ capacity: 1024 })
 * dropper.defer(NativeValue.from(bigArray))   // true
 * await dropper.drain()                       // everything before is freed
 * dropper.stats().freed                       // 1
 * await dropper.close()
 * ```
 */
export declare class Dropper {
    #private;
    /**
     * Starts a dropper and its thread.
     *
     * @throws TypeError for options of the wrong type or unknown names.
     * @throws RangeError for a capacity that is not an integer from 1 to
     *   16 777 216, a threshold that is not a non-negative integer or
     *   `Infinity`, or an empty name.
     */
    constructor(options?: DropperOptions);
    /** Channel slots. */
    get capacity(): number;
    /** Collections with more elements than this are large. */
    get threshold(): number;
    /** Whether `close()` has been called (or the environment tore down). */
    get closed(): boolean;
    /**
     * Frees a value: hands it to the thread when it is large, frees it here
     * otherwise. A `NativeValue` is moved (released, never copied); a plain
     * JavaScript value is converted first.
     *
     * @returns `true` when the value was handed to the thread.
     * @throws TypeError when a JavaScript value cannot be converted (path named).
     * @throws Error with `code === 'ERR_LAZYFREE_RELEASED'` for a released `NativeValue`.
     */
    defer(value: NativeValue | JsValue): boolean;
    /**
     * Hands many values over in one message, whatever their sizes (the flush
     * path). Each is released. Counts one `deferred` per value.
     *
     * @returns `false` for an empty iterable (nothing is counted), or when the
     *   values were freed inline because the queue was full or the dropper closed.
     * @throws TypeError when an element is not a `NativeValue` or is listed
     *   twice; Error `ERR_LAZYFREE_RELEASED` when one is released. Nothing is
     *   released when it throws.
     */
    deferAll(values: Iterable<NativeValue>): boolean;
    /** A snapshot of the counters. */
    stats(): DropperStats;
    /**
     * Resolves once everything handed over before the call has been freed.
     * Never blocks the event loop. Afterwards `freed === deferred` and
     * `pending === 0` (with nothing handed over since).
     */
    drain(): Promise<void>;
    /**
     * Stops accepting values (from now on each is freed inline and counted as
     * `inlineClosed`), lets the thread free what is queued, and joins it.
     * Idempotent.
     */
    close(): Promise<void>;
}
/**
 * This environment's default dropper: the main thread and each worker have
 * their own. Its thread starts with the first large value; it is closed when
 * the environment tears down. `NativeValue#release()` and collected
 * `NativeValue`s use it.
 */
export declare const defaultDropper: Dropper;
