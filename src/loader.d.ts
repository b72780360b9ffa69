import type * as Binding from '../binding';
/** The addon of this environment. */
export declare const native: typeof Binding;
/**
 * The hot path, registered by hand in crate/glue/fast.rs (so not in
 * binding.d.ts): plain functions over the ids of keyspaces, droppers and
 * native values, at the cost of a bare Node-API call. They check nothing
 * the facade checks first.
 */
export interface FastBinding {
    /** `Keyspace#get` of the keyspace with id `id`. */
    ksGet(id: number, key: string): string | Buffer | null;
    /**
     * The Node-API calls of `ksGet` and nothing else (reads its arguments,
     * makes an 11-byte string): the floor of a get, for the benchmarks.
     */
    ksGetFloor(id: number, key: string): string;
    /** `Keyspace#set` without options. */
    ksSet(id: number, key: string, value: unknown): boolean;
    /** `Keyspace#mget`. */
    ksMget(id: number, ...keys: string[]): Array<string | Buffer | null>;
    /** `Keyspace#mset` of the pairs `key0, value0, key1, value1, …` (at least one). */
    ksMset(id: number, ...pairs: unknown[]): void;
    /** `Dropper#defer` of a `NativeValue`. */
    dropperDefer(dropperId: number, nativeId: number): boolean;
    /** `NativeValue#release`. */
    nativeRelease(nativeId: number, dropperId: number): boolean;
    /** `Dropper#capacity`. */
    dropperCapacity(dropperId: number): number;
}
/** The hand-registered functions of the addon. */
export declare const fast: FastBinding;
/** A fresh id for a native value; never reused. */
export declare function nextNativeId(): number;
/** The generated typings of the addon, for the modules that name its handles. */
export type { Binding };
