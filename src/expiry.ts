// Active expiry: the timers that run Redis's slow and fast expire cycles for
// one local keyspace, each slice bounded so it never holds the event loop
// for more than about a millisecond.
import type { Binding } from './loader'

type KeyspaceHandle = Binding.KeyspaceHandle

/** The running active expiry of one keyspace. */
export interface ActiveExpiry {
  /** Stops its timers; idempotent. */
  stop(): void
}

/** Longest a single active expiry slice may hold the event loop, in ms. */
const EXPIRE_SLICE_MS = 1
/** Pause between follow-up slices while expired keys are piling up, in ms. */
const EXPIRE_FAST_GAP_MS = 2

/**
 * Drives Redis's active expiry for one keyspace: a slice of at most
 * {@link EXPIRE_SLICE_MS} every `1000 / hz` ms (Redis's slow cycle), and, when
 * a slice ran out of time with expired keys still to find, follow-up slices
 * {@link EXPIRE_FAST_GAP_MS} apart until the backlog is gone (Redis's fast
 * cycle). Each slice yields back to the event loop. The timers are unref'd and
 * hold the handle weakly: a keyspace nobody references is collected (its
 * entries go to its dropper) and its timers stop themselves.
 */
export function startActiveExpiry(handle: KeyspaceHandle, hz: number): ActiveExpiry {
  const ref = new WeakRef(handle)
  let stopped = false
  let fast: NodeJS.Timeout | undefined
  const stop = () => {
    stopped = true
    clearInterval(slow)
    clearTimeout(fast)
  }
  const tick = () => {
    fast = undefined
    const h = ref.deref()
    if (stopped || h === undefined) return stop()
    if (h.activeExpireCycle(EXPIRE_SLICE_MS).timedOut) {
      fast = setTimeout(tick, EXPIRE_FAST_GAP_MS)
      fast.unref()
    }
  }
  const slow: NodeJS.Timeout = setInterval(() => {
    if (fast === undefined) tick()
  }, 1000 / hz)
  slow.unref()
  return { stop }
}
