import type { Dropper } from './dropper';
import type { JsBufferOutput, JsOutput, JsValue, Scalar, ValueKind } from './types';
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
     * @throws RangeError when a string is too long for a JavaScript string
     *   (V8's limit, about 512 MiB); `toJS('buffer')` has no such limit.
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
