// lazyfree/prometheus against a real prom-client 15 registry: the exposition
// text a scrape returns, with Prometheus names and types, the record keys as
// labels, values read at scrape time, and clear errors for bad sources.
import test from 'ava'
import { Registry } from 'prom-client'
import { Dropper, Keyspace, NativeValue } from '../index'
import { registerMetrics } from '../prometheus'

/** `name{labels} value` lines of an exposition text, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

test('a scrape reads every dropper and keyspace, labelled by record key', async (t) => {
  const registry = new Registry()
  const bulk = new Dropper({ name: 'bulk' })
  const cache = new Keyspace({ dropper: bulk, hz: 0, maxMemory: '1mb', evictionPolicy: 'allkeys-lru' })
  const sessions = new Keyspace({ dropper: bulk, hz: 0 })
  registerMetrics(registry, { droppers: { bulk }, keyspaces: { cache, sessions } })

  cache.set('a', '1')
  cache.get('a')
  cache.get('missing')
  cache.rpush('big', ...Array.from({ length: 100 }, (_, i) => `m${i}`))
  cache.unlink('big')
  bulk.defer(NativeValue.from([1, 2]))
  sessions.set('t', 'x', { px: 1 })
  await new Promise((resolve) => setTimeout(resolve, 5))
  sessions.get('t')
  await bulk.drain()

  const text = await registry.metrics()
  const s = samples(text)
  t.is(s.get('lazyfree_keyspace_keys{keyspace="cache"}'), 1)
  t.is(s.get('lazyfree_keyspace_keys{keyspace="sessions"}'), 0)
  t.is(s.get('lazyfree_keyspace_hits_total{keyspace="cache"}'), 1)
  t.is(s.get('lazyfree_keyspace_misses_total{keyspace="cache"}'), 1)
  t.is(s.get('lazyfree_keyspace_expired_keys_total{keyspace="sessions"}'), 1)
  t.is(s.get('lazyfree_keyspace_max_memory_bytes{keyspace="cache"}'), 1024 * 1024)
  t.is(s.get('lazyfree_keyspace_used_memory_bytes{keyspace="cache"}'), cache.info().used_memory)
  t.is(s.get('lazyfree_keyspace_evicted_keys_total{keyspace="cache"}'), 0)
  t.is(s.get('lazyfree_keyspace_lazyfree_pending_objects{keyspace="cache"}'), 0)
  const stats = bulk.stats()
  t.is(s.get('lazyfree_dropper_deferred_total{dropper="bulk"}'), stats.deferred)
  t.true(stats.deferred >= 1, 'the unlinked list went to the thread')
  t.is(s.get('lazyfree_dropper_freed_total{dropper="bulk"}'), stats.freed)
  t.is(s.get('lazyfree_dropper_freed_bytes_total{dropper="bulk"}'), stats.freedBytes)
  t.is(s.get('lazyfree_dropper_pending{dropper="bulk"}'), 0)
  t.is(s.get('lazyfree_dropper_pending_bytes{dropper="bulk"}'), 0)
  t.is(s.get('lazyfree_dropper_queued{dropper="bulk"}'), 0)
  t.is(s.get('lazyfree_dropper_inline_total{reason="small",dropper="bulk"}'), stats.inlineSmall)
  t.true(stats.inlineSmall >= 1, 'the two-element list was freed inline')
  t.is(s.get('lazyfree_dropper_inline_total{reason="full",dropper="bulk"}'), 0)
  t.is(s.get('lazyfree_dropper_inline_total{reason="closed",dropper="bulk"}'), 0)
  t.regex(text, /^# TYPE lazyfree_dropper_deferred_total counter$/m)
  t.regex(text, /^# TYPE lazyfree_keyspace_keys gauge$/m)
  t.regex(text, /^# HELP lazyfree_keyspace_hits_total /m)
  t.is(text.match(/^# TYPE /gm)?.length, 15, 'the fifteen metrics of docs/api.md §6')

  // Values are read on each scrape, not kept from the last one.
  cache.set('b', '2')
  cache.get('b')
  const again = samples(await registry.metrics())
  t.is(again.get('lazyfree_keyspace_keys{keyspace="cache"}'), 2)
  t.is(again.get('lazyfree_keyspace_hits_total{keyspace="cache"}'), 2)

  // A closed keyspace drops out of the scrape; the others stay.
  sessions.close()
  const after = samples(await registry.metrics())
  t.false([...after.keys()].some((k) => k.includes('keyspace="sessions"')))
  t.is(after.get('lazyfree_keyspace_keys{keyspace="cache"}'), 2)
  cache.close()
  bulk.close()
})

test('only the groups with sources are registered', async (t) => {
  const registry = new Registry()
  registerMetrics(registry, { keyspaces: { only: new Keyspace({ hz: 0 }) } })
  const text = await registry.metrics()
  t.false(text.includes('lazyfree_dropper_'))
  t.true(text.includes('lazyfree_keyspace_keys{keyspace="only"} 0'))
})

test('bad registries and sources are refused, registering nothing', (t) => {
  const registry = new Registry()
  const ks = new Keyspace({ hz: 0 })
  t.throws(() => registerMetrics({} as never, {}), {
    instanceOf: TypeError,
    message: /registry is an instance of Object; expected a prom-client Registry/,
  })
  t.throws(() => registerMetrics(registry, null as never), { instanceOf: TypeError, message: /sources is null/ })
  t.throws(() => registerMetrics(registry, { dropers: {} } as never), {
    instanceOf: TypeError,
    message: /unknown source 'dropers'/,
  })
  t.throws(() => registerMetrics(registry, { keyspaces: { a: ks, b: {} as never } }), {
    instanceOf: TypeError,
    message: "sources.keyspaces['b'] is an instance of Object; expected a Keyspace",
  })
  t.throws(() => registerMetrics(registry, { droppers: [] as never }), {
    instanceOf: TypeError,
    message: /sources.droppers is an array/,
  })
  t.is(registry.getMetricsAsArray().length, 0)
  registerMetrics(registry, { keyspaces: { a: ks } })
  t.throws(() => registerMetrics(registry, { keyspaces: { b: ks } }), {
    message: /lazyfree_keyspace_keys is already registered on this registry/,
  })
})
