// `lazyfree/prometheus`: the droppers' and keyspaces' counters as Prometheus
// metrics on a prom-client registry (docs/api.md §6).
//
// Services scrape their metrics with prom-client; this module puts lazyfree's
// numbers there without a timer: every metric reads its sources in its
// `collect()` callback, which prom-client calls on each scrape, so nothing
// runs between scrapes. `prom-client` is an optional peer dependency: only
// this module loads it, and `require('lazyfree')` never loads this module.
import type { Registry } from 'prom-client'
import { Dropper, Keyspace, type DropperStats, type KeyspaceInfo } from './index'

/** What {@link registerMetrics} reads: each record key becomes the `dropper` or `keyspace` label. */
export interface MetricSources {
  droppers?: Record<string, Dropper>
  keyspaces?: Record<string, Keyspace>
}

type PromClient = typeof import('prom-client')

interface Spec<S> {
  name: string
  help: string
  type: 'counter' | 'gauge'
  /** Samples of one source: `[extra labels, value]`. */
  read: (s: S) => Array<[Record<string, string>, number]>
}

const one =
  <S>(f: (s: S) => number) =>
  (s: S): Array<[Record<string, string>, number]> => [[{}, f(s)]]

const DROPPER_METRICS: Array<Spec<DropperStats>> = [
  {
    name: 'lazyfree_dropper_deferred_total',
    type: 'counter',
    help: 'Values handed to the drop thread.',
    read: one((s) => s.deferred),
  },
  {
    name: 'lazyfree_dropper_freed_total',
    type: 'counter',
    help: 'Values the drop thread has freed.',
    read: one((s) => s.freed),
  },
  {
    name: 'lazyfree_dropper_pending',
    type: 'gauge',
    help: 'Values handed over and not yet freed.',
    read: one((s) => s.pending),
  },
  {
    name: 'lazyfree_dropper_pending_bytes',
    type: 'gauge',
    help: 'Estimated bytes handed over and not yet freed.',
    read: one((s) => s.pendingBytes),
  },
  {
    name: 'lazyfree_dropper_freed_bytes_total',
    type: 'counter',
    help: 'Estimated bytes the drop thread has freed.',
    read: one((s) => s.freedBytes),
  },
  {
    name: 'lazyfree_dropper_inline_total',
    type: 'counter',
    help: 'Values freed on the calling thread: small (not large), full (queue full) or closed (dropper closed or thread unavailable).',
    read: (s) => [
      [{ reason: 'small' }, s.inlineSmall],
      [{ reason: 'full' }, s.inlineFull],
      [{ reason: 'closed' }, s.inlineClosed],
    ],
  },
  {
    name: 'lazyfree_dropper_queued',
    type: 'gauge',
    help: 'Messages waiting in the drop channel.',
    read: one((s) => s.queued),
  },
]

const KEYSPACE_METRICS: Array<Spec<KeyspaceInfo>> = [
  { name: 'lazyfree_keyspace_keys', type: 'gauge', help: 'Keys held (DBSIZE).', read: one((i) => i.keys) },
  {
    name: 'lazyfree_keyspace_used_memory_bytes',
    type: 'gauge',
    help: 'Bytes held by the entries, plus bytes the dropper has not freed yet.',
    read: one((i) => i.used_memory),
  },
  {
    name: 'lazyfree_keyspace_max_memory_bytes',
    type: 'gauge',
    help: 'The maxMemory limit in bytes; 0 for none.',
    read: one((i) => i.maxmemory),
  },
  {
    name: 'lazyfree_keyspace_hits_total',
    type: 'counter',
    help: 'Reads that found their key.',
    read: one((i) => i.keyspace_hits),
  },
  {
    name: 'lazyfree_keyspace_misses_total',
    type: 'counter',
    help: 'Reads that did not find their key.',
    read: one((i) => i.keyspace_misses),
  },
  {
    name: 'lazyfree_keyspace_evicted_keys_total',
    type: 'counter',
    help: 'Keys evicted to make room under maxMemory.',
    read: one((i) => i.evicted_keys),
  },
  {
    name: 'lazyfree_keyspace_expired_keys_total',
    type: 'counter',
    help: 'Keys removed because their TTL passed.',
    read: one((i) => i.expired_keys),
  },
  {
    name: 'lazyfree_keyspace_lazyfree_pending_objects',
    type: 'gauge',
    help: "The keyspace's dropper's values not yet freed.",
    read: one((i) => i.lazyfree_pending_objects),
  },
]

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`
  return `${typeof value} ${String(value)}`
}

/**
 * Whether `value` is an instance of `cls` from this copy of lazyfree or from
 * another one loaded in the process: every lazyfree object carries a
 * `lazyfree` brand, a registered symbol named for its class, the same in
 * every copy.
 */
function isA(value: unknown, cls: abstract new (...args: never[]) => unknown): boolean {
  if (value instanceof cls) return true
  const brand = value !== null && typeof value === 'object' ? (value as { lazyfree?: unknown }).lazyfree : undefined
  return typeof brand === 'symbol' && (Symbol.keyFor(brand) ?? '').startsWith(`lazyfree.${cls.name}:`)
}

/** The record at `sources[field]` as `[label, source]` pairs, every value checked. */
function entriesOf<T>(
  sources: Record<string, unknown>,
  field: string,
  cls: abstract new (...args: never[]) => T,
): Array<[string, T]> {
  const record = sources[field]
  if (record === undefined) return []
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new TypeError(`sources.${field} is ${describe(record)}; expected a record of name -> ${cls.name}`)
  }
  return Object.entries(record).map(([name, value]) => {
    if (!isA(value, cls)) {
      throw new TypeError(`sources.${field}['${name}'] is ${describe(value)}; expected a ${cls.name}`)
    }
    return [name, value as T]
  })
}

function register<S>(
  prom: PromClient,
  registry: Registry,
  label: string,
  specs: Array<Spec<S>>,
  read: () => Array<[string, S]>,
): void {
  for (const spec of specs) {
    const labelNames = [label, ...(spec.name === 'lazyfree_dropper_inline_total' ? ['reason'] : [])]
    const config = { name: spec.name, help: spec.help, labelNames, registers: [registry] }
    // Every scrape: forget the last samples and take new ones from the sources.
    if (spec.type === 'counter') {
      new prom.Counter({
        ...config,
        collect() {
          this.reset()
          for (const [name, source] of read()) {
            for (const [labels, value] of spec.read(source)) this.inc({ ...labels, [label]: name }, value)
          }
        },
      })
    } else {
      new prom.Gauge({
        ...config,
        collect() {
          this.reset()
          for (const [name, source] of read()) {
            for (const [labels, value] of spec.read(source)) this.set({ ...labels, [label]: name }, value)
          }
        },
      })
    }
  }
}

/**
 * Registers lazyfree's metrics on a prom-client `registry`: the dropper
 * metrics when `sources.droppers` names any, the keyspace metrics when
 * `sources.keyspaces` does. The record keys become the `dropper` /
 * `keyspace` label. Values are read on each scrape; a keyspace closed since
 * is left out of the scrape.
 *
 * @throws TypeError for a registry that is not a prom-client `Registry`,
 *   or a source that is not a `Dropper` / `Keyspace` (named in the message).
 * @throws Error when lazyfree's metrics are already registered on `registry`
 *   (register every source in one call). Nothing is registered then.
 */
export function registerMetrics(registry: Registry, sources: MetricSources): void {
  if (
    registry === null ||
    typeof registry !== 'object' ||
    typeof (registry as Registry).registerMetric !== 'function'
  ) {
    throw new TypeError(
      `registry is ${describe(registry)}; expected a prom-client Registry (new Registry() or register)`,
    )
  }
  if (sources === null || typeof sources !== 'object' || Array.isArray(sources)) {
    throw new TypeError(`sources is ${describe(sources)}; expected { droppers?, keyspaces? }`)
  }
  for (const key of Object.keys(sources)) {
    if (key !== 'droppers' && key !== 'keyspaces') {
      throw new TypeError(`unknown source '${key}' in sources; expected droppers, keyspaces`)
    }
  }
  const droppers = entriesOf(sources as Record<string, unknown>, 'droppers', Dropper)
  const keyspaces = entriesOf(sources as Record<string, unknown>, 'keyspaces', Keyspace)
  const names = [...(droppers.length > 0 ? DROPPER_METRICS : []), ...(keyspaces.length > 0 ? KEYSPACE_METRICS : [])]
  const taken = names.find((spec) => registry.getSingleMetric(spec.name) !== undefined)
  if (taken !== undefined) {
    throw new Error(
      `${taken.name} is already registered on this registry: call registerMetrics once per registry, with every dropper and keyspace`,
    )
  }
  const prom = require('prom-client') as PromClient
  if (droppers.length > 0) {
    register(prom, registry, 'dropper', DROPPER_METRICS, () => droppers.map(([name, d]) => [name, d.stats()]))
  }
  if (keyspaces.length > 0) {
    register(prom, registry, 'keyspace', KEYSPACE_METRICS, () =>
      keyspaces.filter(([, ks]) => !ks.closed).map(([name, ks]) => [name, ks.info()]),
    )
  }
}
