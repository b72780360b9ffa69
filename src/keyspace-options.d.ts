import { Dropper } from './dropper';
import { type Binding } from './loader';
type DropperHandle = Binding.DropperHandle;
/**
 * Maxmemory eviction policies, named as Redis's `maxmemory-policy` names
 * them: the one list in TypeScript (the Rust parser is its own layer).
 * Internal: not re-exported by index.ts.
 */
export declare const EVICTION_POLICIES: readonly ["noeviction", "allkeys-lru", "volatile-lru", "allkeys-random", "volatile-random", "volatile-ttl"];
/** One of {@link EVICTION_POLICIES}. */
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];
/**
 * Which removals free through the dropper (Redis's `lazyfree-lazy-*`
 * switches). Each defaults to `true`; a switch that is off frees inline.
 * `unlink` is always lazy.
 */
export interface LazyFreeOptions {
    /** Keys evicted to make room under `maxMemory`. */
    eviction?: boolean;
    /** Keys removed because their TTL passed. */
    expire?: boolean;
    /** Values replaced by `set`, `setValue` or `rename`. */
    serverDel?: boolean;
    /** Keys removed by `del`. */
    userDel?: boolean;
    /** `flush()` without an explicit `async`. */
    userFlush?: boolean;
}
/** Options of a {@link Keyspace}. */
export interface KeyspaceOptions {
    /**
     * Memory limit: bytes, or a string with Redis's units (`'100kb'`, `'512mb'`,
     * `'2gb'`; `k`/`m`/`g` are powers of 1000, `kb`/`mb`/`gb` of 1024).
     * 0 (the default) means no limit.
     */
    maxMemory?: number | string;
    /** What to evict when a write would pass `maxMemory`; default `'noeviction'`. */
    evictionPolicy?: EvictionPolicy;
    /** The lazy-free switches; each defaults to `true`. */
    lazyfree?: LazyFreeOptions;
    /** The dropper that frees removed values; default {@link defaultDropper}. */
    dropper?: Dropper;
    /** Reply with `Buffer`s instead of UTF-8 strings; default `false`. */
    returnBuffers?: boolean;
    /**
     * Active expiry ticks per second (Redis's `hz`): each tick samples keys with
     * a TTL for about a millisecond. An integer from 0 to 500; 0 turns active
     * expiry off (expired keys are then only removed when touched). Default 10.
     */
    hz?: number;
}
/** The option names of a keyspace. */
export declare const KEYSPACE_OPTIONS: string[];
/** What a keyspace is made with, checked. */
export interface KeyspaceSettings {
    /** The native configuration. */
    config: Binding.KeyspaceConfig;
    /** The handle of the dropper that frees removed values. */
    dropper: DropperHandle;
    /** Active expiry ticks per second; 0 for none. */
    hz: number;
}
/** What a keyspace is made with, checked: the native config, the dropper, hz. */
export declare function keyspaceSettings(options: KeyspaceOptions | undefined): KeyspaceSettings;
export {};
