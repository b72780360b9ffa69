// Two cache tiers through cache-manager 7: L1 = lazyfree's Keyv store (an
// off-heap keyspace in this process), L2 = @keyv/redis on a local
// redis-server started here on a free port (no persistence, 127.0.0.1 only),
// as a service that outgrows one process runs them. Asserts what each tier
// is for: reads served by L1, a miss in L1 falling through to L2, wrap()
// computing once and back-filling L1, TTLs held and expired by both tiers,
// and the batched mset / mget / mdel reaching both.
//
// Without redis-server on PATH the tier tests are skipped, with the reason;
// LAZYFREE_REQUIRE_REDIS=1 (set by CI) turns that into a failure.
import test from 'ava'
import { createCache, type Cache } from 'cache-manager'
import { createKeyv as createRedisKeyv } from '@keyv/redis'
import type { Keyv } from 'keyv'
import { createKeyv, KeyvLazyfree } from '../keyv'

// How the project starts a throwaway redis-server, and says it is missing.
const { HAVE_REDIS, INSTALL, startRedisServer } = require('../scripts/redis-server') as {
  HAVE_REDIS: boolean
  INSTALL: string
  startRedisServer(): Promise<{ port: number; url: string; stop(): void }>
}

let server: { stop(): void } | undefined
let url = ''

test.before(async () => {
  if (!HAVE_REDIS) return
  const started = await startRedisServer()
  server = started
  url = started.url
})

test.after.always(() => {
  server?.stop()
})

if (!HAVE_REDIS) {
  test('the tiering tests need redis-server', (t) => {
    if (process.env.LAZYFREE_REQUIRE_REDIS === '1')
      t.fail(`redis-server is not on PATH; ${INSTALL} (LAZYFREE_REQUIRE_REDIS=1)`)
    else {
      t.log(`skipped: redis-server is not on PATH; ${INSTALL}`)
      t.pass()
    }
  })
}
const tier = HAVE_REDIS ? test.serial : test.serial.skip

interface Tiers {
  cache: Cache
  l1: Keyv
  l2: Keyv
  /** The L1 keyspace, to look under the adapter. */
  store: KeyvLazyfree
}

let n = 0
/** A cache over a fresh L1 and its own namespace in the shared redis-server. */
function tiers(): Tiers {
  const namespace = `tier${n++}`
  const l1 = createKeyv({ hz: 10 }, { namespace })
  const l2 = createRedisKeyv(url, { namespace })
  return { cache: createCache({ stores: [l1, l2] }), l1, l2, store: l1.store as KeyvLazyfree }
}

async function until(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return condition()
}

tier('set writes both tiers; get is served by L1', async (t) => {
  const { cache, l1, l2, store } = tiers()
  await cache.set('user:1', { name: 'Ada' })
  t.deepEqual(await l1.get('user:1'), { name: 'Ada' })
  t.deepEqual(await l2.get('user:1'), { name: 'Ada' })
  t.is(store.keyspace.size, 1, 'the L1 entry lives in the keyspace')
  // Remove it from L2 behind the cache's back: a get still finds it, in L1.
  await l2.delete('user:1')
  t.deepEqual(await cache.get('user:1'), { name: 'Ada' })
  await cache.disconnect()
})

tier('a key L1 lost is read from L2', async (t) => {
  const { cache, l1, l2 } = tiers()
  await cache.set('k', 'v')
  await l1.delete('k') // evicted, expired early, or another process wrote only L2
  t.is(await l1.get('k'), undefined)
  t.is(await cache.get('k'), 'v')
  t.is(await l2.get('k'), 'v')
  await cache.disconnect()
})

tier('wrap computes once, stores in both tiers, and back-fills L1 from L2', async (t) => {
  const { cache, l1, l2 } = tiers()
  let calls = 0
  const compute = async () => {
    calls++
    await new Promise((resolve) => setTimeout(resolve, 20))
    return { report: 42 }
  }
  const [a, b] = await Promise.all([cache.wrap('r', compute, 10_000), cache.wrap('r', compute, 10_000)])
  t.deepEqual([a, b], [{ report: 42 }, { report: 42 }])
  t.deepEqual(await cache.wrap('r', compute, 10_000), { report: 42 })
  t.is(calls, 1, 'concurrent and later calls share one computation')
  t.deepEqual(await l1.get('r'), { report: 42 })
  t.deepEqual(await l2.get('r'), { report: 42 })

  await l1.delete('r')
  t.deepEqual(await cache.wrap('r', compute, 10_000), { report: 42 })
  t.is(calls, 1, 'found in L2, not computed again')
  t.deepEqual(await l1.get('r'), { report: 42 }, 'L1 back-filled')
  await cache.disconnect()
})

tier('TTLs are held by both tiers and expire in both', async (t) => {
  const { cache, l1, l2, store } = tiers()
  await cache.set('t', 'short', 300)
  await cache.set('keep', 'long', 60_000)
  const pttl = store.keyspace.pttl(`${store.namespace}:t`)
  t.true(pttl > 0 && pttl <= 300, `L1 keyspace TTL ${pttl}`)
  t.true(await l2.has('t'))
  // has() asks each store directly (keyspace EXISTS, redis EXISTS), so this
  // proves the tiers themselves removed the key, not Keyv's expiry check.
  t.true(await until(async () => !(await l1.has('t')) && !(await l2.has('t')), 5_000), 'gone from both tiers')
  t.is(await cache.get('t'), undefined)
  t.is(await cache.get('keep'), 'long')
  t.true(await l1.has('keep'))
  await cache.disconnect()
})

tier('mset, mget and mdel reach both tiers', async (t) => {
  const { cache, l1, l2 } = tiers()
  await cache.mset([
    { key: 'a', value: 1 },
    { key: 'b', value: 'two', ttl: 10_000 },
    { key: 'c', value: [3] },
  ])
  t.deepEqual(await l1.get(['a', 'b', 'c']), [1, 'two', [3]])
  t.deepEqual(await l2.get(['a', 'b', 'c']), [1, 'two', [3]])
  await l1.delete('b')
  t.deepEqual(await cache.mget(['a', 'b', 'c', 'd']), [1, 'two', [3], undefined], 'b from L2')
  await cache.mdel(['a', 'b'])
  t.deepEqual(await l1.get(['a', 'b', 'c']), [undefined, undefined, [3]])
  t.deepEqual(await l2.get(['a', 'b', 'c']), [undefined, undefined, [3]])
  await cache.disconnect()
})
