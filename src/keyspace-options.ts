// Keyspace options: the option names, the eviction policy list, memory
// units, and the check that turns KeyspaceOptions into the native config.
import { checkBoolean, checkInteger, describe, optionsObject } from './checks'
import { Dropper, defaultDropper } from './dropper'
import { native, type Binding } from './loader'

type DropperHandle = Binding.DropperHandle

/** The `hz` default and bound, as the core defines them (crate/glue/limits.rs). */
const LIMITS = native.limits()

/**
 * Maxmemory eviction policies, named as Redis's `maxmemory-policy` names
 * them: the one list in TypeScript (the Rust parser is its own layer).
 * Internal: not re-exported by index.ts.
 */
export const EVICTION_POLICIES = [
  'noeviction',
  'allkeys-lru',
  'volatile-lru',
  'allkeys-random',
  'volatile-random',
  'volatile-ttl',
] as const

/** One of {@link EVICTION_POLICIES}. */
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number]

/**
 * Which removals free through the dropper (Redis's `lazyfree-lazy-*`
 * switches). Each defaults to `true`; a switch that is off frees inline.
 * `unlink` is always lazy.
 */
export interface LazyFreeOptions {
  /** Keys evicted to make room under `maxMemory`. */
  eviction?: boolean
  /** Keys removed because their TTL passed. */
  expire?: boolean
  /** Values replaced by `set`, `setValue` or `rename`. */
  serverDel?: boolean
  /** Keys removed by `del`. */
  userDel?: boolean
  /** `flush()` without an explicit `async`. */
  userFlush?: boolean
}

/** Options of a {@link Keyspace}. */
export interface KeyspaceOptions {
  /**
   * Memory limit: bytes, or a string with Redis's units (`'100kb'`, `'512mb'`,
   * `'2gb'`; `k`/`m`/`g` are powers of 1000, `kb`/`mb`/`gb` of 1024).
   * 0 (the default) means no limit.
   */
  maxMemory?: number | string
  /** What to evict when a write would pass `maxMemory`; default `'noeviction'`. */
  evictionPolicy?: EvictionPolicy
  /** The lazy-free switches; each defaults to `true`. */
  lazyfree?: LazyFreeOptions
  /** The dropper that frees removed values; default {@link defaultDropper}. */
  dropper?: Dropper
  /** Reply with `Buffer`s instead of UTF-8 strings; default `false`. */
  returnBuffers?: boolean
  /**
   * Active expiry ticks per second (Redis's `hz`): each tick samples keys with
   * a TTL for about a millisecond. An integer from 0 to 500; 0 turns active
   * expiry off (expired keys are then only removed when touched). Default 10.
   */
  hz?: number
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
}

/** `maxMemory` in bytes. */
function memoryBytes(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`options.maxMemory is ${value}; expected a non-negative integer number of bytes`)
    }
    return value
  }
  if (typeof value !== 'string') {
    throw new TypeError(`options.maxMemory is ${describe(value)}; expected bytes, or a string like '512mb'`)
  }
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value)
  const unit = match ? MEMORY_UNITS[match[2].toLowerCase()] : undefined
  const bytes = match && unit !== undefined ? Number(match[1]) * unit : NaN
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(
      `options.maxMemory is '${value}'; expected bytes, or a number with a unit b, k, kb, m, mb, g or gb (like '512mb')`,
    )
  }
  return bytes
}

/** The option names of a keyspace. */
export const KEYSPACE_OPTIONS = ['maxMemory', 'evictionPolicy', 'lazyfree', 'dropper', 'returnBuffers', 'hz']
const LAZYFREE_SWITCHES = ['eviction', 'expire', 'serverDel', 'userDel', 'userFlush']

/** What a keyspace is made with, checked. */
export interface KeyspaceSettings {
  /** The native configuration. */
  config: Binding.KeyspaceConfig
  /** The handle of the dropper that frees removed values. */
  dropper: DropperHandle
  /** Active expiry ticks per second; 0 for none. */
  hz: number
}

/** What a keyspace is made with, checked: the native config, the dropper, hz. */
export function keyspaceSettings(options: KeyspaceOptions | undefined): KeyspaceSettings {
  const o = optionsObject(options, 'options', KEYSPACE_OPTIONS)
  const maxMemory = o.maxMemory === undefined ? 0 : memoryBytes(o.maxMemory)
  const policy = o.evictionPolicy ?? 'noeviction'
  if (typeof policy !== 'string') {
    throw new TypeError(`options.evictionPolicy is ${describe(policy)}; expected a string`)
  }
  if (!(EVICTION_POLICIES as readonly string[]).includes(policy)) {
    throw new RangeError(`options.evictionPolicy is '${policy}'; expected one of ${EVICTION_POLICIES.join(', ')}`)
  }
  const lazyfree = optionsObject(o.lazyfree, 'options.lazyfree', LAZYFREE_SWITCHES)
  const on = (name: string) => checkBoolean(lazyfree[name], `options.lazyfree.${name}`) ?? true
  const dropper = Dropper.handleOf(o.dropper ?? defaultDropper)
  if (dropper === undefined) {
    throw new TypeError(`options.dropper is ${describe(o.dropper)}; expected a Dropper`)
  }
  const hz = o.hz === undefined ? LIMITS.keyspaceHz : checkInteger(o.hz, 'options.hz')
  if (hz < 0 || hz > LIMITS.keyspaceMaxHz) {
    throw new RangeError(`options.hz is ${hz}; expected an integer from 0 to ${LIMITS.keyspaceMaxHz}`)
  }
  const config = {
    maxMemory,
    policy,
    eviction: on('eviction'),
    expire: on('expire'),
    serverDel: on('serverDel'),
    userDel: on('userDel'),
    userFlush: on('userFlush'),
    returnBuffers: checkBoolean(o.returnBuffers, 'options.returnBuffers') ?? false,
  }
  return { config, dropper, hz }
}
