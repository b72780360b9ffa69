import type { Binding } from './loader';
type KeyspaceHandle = Binding.KeyspaceHandle;
/** The running active expiry of one keyspace. */
export interface ActiveExpiry {
    /** Stops its timers; idempotent. */
    stop(): void;
}
/**
 * Drives Redis's active expiry for one keyspace: a slice of at most
 * {@link EXPIRE_SLICE_MS} every `1000 / hz` ms (Redis's slow cycle), and, when
 * a slice ran out of time with expired keys still to find, follow-up slices
 * {@link EXPIRE_FAST_GAP_MS} apart until the backlog is gone (Redis's fast
 * cycle). Each slice yields back to the event loop. The timers are unref'd and
 * hold the handle weakly: a keyspace nobody references is collected (its
 * entries go to its dropper) and its timers stop themselves.
 */
export declare function startActiveExpiry(handle: KeyspaceHandle, hz: number): ActiveExpiry;
export {};
