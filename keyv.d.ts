import { EventEmitter } from 'node:events';
import type { Keyv, KeyvOptions } from 'keyv';
import { Keyspace, type KeyspaceOptions } from './index';
/** A Redis glob matching `text` literally. */
export declare function escapeGlob(text: string): string;
/** One entry of {@link KeyvLazyfree.setMany}. */
export interface KeyvLazyfreeEntry {
    key: string;
    value: unknown;
    ttl?: number;
}
/**
 * A Keyv storage adapter over a {@link Keyspace}: `new Keyv({ store: new
 * KeyvLazyfree() })`. Keys are stored as Keyv gives them (prefixed with the
 * namespace), string values as keyspace strings, TTLs as keyspace TTLs.
 *
 * Given a keyspace, the adapter uses it and leaves it open on
 * {@link KeyvLazyfree.disconnect}; given options (or nothing), it creates a
 * keyspace of its own and closes it on `disconnect`. Several adapters (one
 * per Keyv namespace) may share one keyspace.
 *
 * Given a shared keyspace (`Keyspace.open(name)`), the adapters of every
 * thread that opened `name` are one store: each command is atomic with
 * respect to the other threads, and each entry is read and written in one
 * command (an object with a TTL goes in under a staging key of its own and
 * is renamed over the entry). `disconnect()` leaves the handle open: the
 * caller opened it and closes it (`keyv.store.keyspace.close()`), or it
 * detaches when its thread ends.
 */
export declare class KeyvLazyfree extends EventEmitter {
    #private;
    /**
     * Keyv reads `opts.dialect` to decide whether it may use the adapter's
     * iterator; it knows Redis's, and the keyspace follows Redis's semantics.
     */
    opts: Record<string, unknown>;
    /** Set by Keyv: the prefix of this adapter's keys, `namespace:`. */
    namespace?: string;
    /**
     * @param keyspace a {@link Keyspace} to use, or options for a new one.
     * @throws TypeError when `keyspace` is neither (options are checked as
     *   `new Keyspace(options)` checks them).
     */
    constructor(keyspace?: Keyspace | KeyspaceOptions);
    /** The keyspace holding this adapter's entries. */
    get keyspace(): Keyspace;
    /** The value at `key`, or `undefined`. */
    get(key: string): Promise<unknown>;
    /** The values at `keys`, in order, `undefined` for missing ones. */
    getMany(keys: string[]): Promise<unknown[]>;
    /**
     * Stores `value` at `key`, replacing what was there; `ttl` in ms (0 or
     * `undefined`: none). Resolves to `true`.
     *
     * @throws RangeError for a negative or non-finite `ttl`; Error `OOM` when
     *   the keyspace is full under `noeviction`; TypeError for a non-string
     *   value that `v8.serialize` cannot copy (a function). Nothing is stored
     *   then.
     */
    set(key: string, value: unknown, ttl?: number): Promise<boolean>;
    /**
     * Stores every entry. Entries without a TTL are written in one `mset`
     * (all or nothing); each entry with one is written as `set` writes it.
     */
    setMany(entries: KeyvLazyfreeEntry[]): Promise<boolean[]>;
    /** Removes `key` (its value freed off the event loop if large). `true` when it existed. */
    delete(key: string): Promise<boolean>;
    /** Removes `keys`. `true` when every one of them existed (as Keyv's own fallback answers). */
    deleteMany(keys: string[]): Promise<boolean>;
    /** Whether `key` holds a live entry. */
    has(key: string): Promise<boolean>;
    /** {@link KeyvLazyfree.has} for each key. */
    hasMany(keys: string[]): Promise<boolean[]>;
    /**
     * Removes this adapter's namespace: every key starting with `namespace:`,
     * found with `scan` and removed with `unlink` a step at a time, yielding to
     * the event loop between steps. Keys of other namespaces, and other data
     * in a shared keyspace, are left alone. Without a namespace (Keyv with
     * `namespace: undefined`), every key of the keyspace is removed (for every
     * thread, when the keyspace is shared). Each step is atomic; the whole is
     * not: an entry another thread writes while `clear` runs may stay.
     */
    clear(): Promise<void>;
    /**
     * Every `[key, value]` of `namespace` (or of the whole keyspace without
     * one), walked with `scan`: a key present for the whole walk is yielded at
     * least once however the keyspace changes meanwhile, and each step holds
     * the event loop for a bounded time.
     */
    iterator(namespace?: string): AsyncGenerator<[string, unknown], void>;
    /**
     * Closes the keyspace if this adapter created it. A keyspace it was given,
     * shared or not, stays open: it belongs to the caller, who may use it
     * elsewhere (another namespace, another Keyv, the keyspace's own
     * commands). For a shared keyspace that also means this thread's handle
     * stays attached; close it with `keyv.store.keyspace.close()`.
     */
    disconnect(): Promise<void>;
}
/**
 * A Keyv over a {@link KeyvLazyfree}: `createKeyv()` (a keyspace of its
 * own), `createKeyv({ maxMemory: '256mb', evictionPolicy: 'allkeys-lru' })`,
 * or `createKeyv(keyspace, { namespace: 'sessions' })`.
 *
 * @throws Error `MODULE_NOT_FOUND` with how to install it, when `keyv` is
 *   not installed.
 */
export declare function createKeyv(keyspace?: Keyspace | KeyspaceOptions, keyvOptions?: Omit<KeyvOptions, 'store'>): Keyv;
