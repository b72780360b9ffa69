import { NativeValue } from './native-value';
import type { DropperOptions, DropperStats, JsValue } from './types';
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
     *   1 048 576 (2^20; the queue's slots are allocated up front, 16 bytes
     *   each, so the largest costs 16 MiB), a threshold that is not a non-negative integer or
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
     * JavaScript value is converted first. Large values handed over one by one
     * (here, by `release()`, finalizers or keyspace removals) are gathered
     * into batches of up to 1 024 values, one message each, so a loop of them
     * does not fill the queue; each counts as `deferred` at once
     * (docs/bursts.md).
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
