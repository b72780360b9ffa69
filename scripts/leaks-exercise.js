#!/usr/bin/env node
// What `npm run leaks` runs under valgrind: every public API once or a few
// times, on the main thread and in a worker, including the error paths and
// values left to the garbage collector. Small on purpose (valgrind runs Node
// some 20-50 times slower). Everything handed to a drop thread is drained
// before the end, so what valgrind sees at exit is what was really lost.
'use strict'

const { Worker, isMainThread, parentPort } = require('node:worker_threads')
const lazyfree = require('..')

const { Dropper, NativeValue, defaultDropper, Keyspace } = lazyfree
const range = (n, p = 'i') => Array.from({ length: n }, (_, i) => `${p}${i}`)

function values() {
  NativeValue.from('text').toJS()
  NativeValue.from(Buffer.from([1, 2, 3])).toJS('buffer')
  NativeValue.from(42).release()
  NativeValue.from(10n ** 20n).release()
  NativeValue.from(new Uint16Array([1, 2])).release()
  NativeValue.from(new ArrayBuffer(8)).release()
  const list = NativeValue.from(range(200))
  list.toJS()
  list.toJS('buffer')
  list.release()
  list.release() // a second release does nothing
  const set = NativeValue.set(new Set(range(100)))
  set.toJS()
  set.release(new Dropper({ threshold: Infinity })) // inline
  const hash = NativeValue.hash(new Map(range(100).map((k) => [k, k])))
  hash.toJS('buffer')
  hash.release()
  NativeValue.from({ a: '1', b: 2 }).toJS()
  NativeValue.hash([['f', 'v']]).release()
  const zset = NativeValue.zset(range(100).map((m, i) => [m, i % 7]))
  zset.toJS()
  zset.release()
  // Refused input: the partial conversion must be freed.
  for (const bad of [[1, 2, null], new Set(['a', {}]), new Map([['k', undefined]]), { a: 'x', b: [] }]) {
    try {
      NativeValue.from(bad)
    } catch {
      // expected
    }
  }
  try {
    NativeValue.zset([['m', NaN]])
  } catch {
    // expected
  }
  try {
    list.toJS()
  } catch {
    // released
  }
  // Left to the garbage collector: finalizers hand them to the default dropper.
  for (let i = 0; i < 20; i++) NativeValue.list(range(100))
  for (let i = 0; i < 20; i++) NativeValue.string('small')
}

async function droppers() {
  const d = new Dropper({ capacity: 4, threshold: 10, name: 'leaks' })
  // Messages of their own fill the four slots faster than the thread wakes,
  // so some of the values after them find no slot for a new batch
  // (inlineFull); the rest are gathered into batches.
  for (let i = 0; i < 6; i++) d.deferAll([NativeValue.list(range(50))])
  for (let i = 0; i < 20; i++) d.defer(NativeValue.list(range(50)))
  d.defer(range(50))
  d.defer(['small'])
  d.deferAll([NativeValue.list(range(20)), NativeValue.string('s')])
  d.deferAll([])
  try {
    d.defer([null])
  } catch {
    // expected
  }
  try {
    d.deferAll([NativeValue.list(['a']), 'not a value'])
  } catch {
    // expected
  }
  d.stats()
  await d.drain()
  const closing = d.close()
  d.defer(NativeValue.list(range(50))) // after close: inline
  await closing
  await d.close()
  await d.drain()
  // Never closed: detached when the environment tears down.
  const open = new Dropper({ capacity: 16 })
  open.defer(NativeValue.list(range(100)))
  await open.drain()
}

async function keyspace() {
  if (typeof Keyspace !== 'function') return
  const d = new Dropper({ threshold: 8 })
  const ks = new Keyspace({ dropper: d, maxMemory: '64kb', evictionPolicy: 'allkeys-lru', hz: 100 })
  ks.set('s', 'v')
  ks.set('t', 'v', { px: 5 })
  ks.get('s')
  ks.append('s', 'w')
  ks.incrby('n', 5)
  ks.rpush('l', ...range(50))
  ks.lpush('l', 'x')
  ks.lrange('l', 0, -1)
  ks.lpop('l')
  ks.hset('h', Object.fromEntries(range(30).map((k) => [k, k])))
  ks.hgetall('h')
  ks.hgetallMap('h', { buffers: true })
  ks.incrby('n', 5n)
  try {
    ks.incrby('n', Number.MAX_SAFE_INTEGER)
  } catch {
    // RangeError: not a safe integer, nothing changed
  }
  ks.hset(
    'bin',
    new Map([
      [Buffer.from([0xff]), 'a'],
      [Buffer.from([0xfe]), 'b'],
    ]),
  )
  try {
    ks.hgetall('bin')
  } catch {
    // ERR_LAZYFREE_FIELD_COLLISION
  }
  ks.sadd('z1', ...range(30))
  ks.smembers('z1')
  ks.zadd('zs', 1, 'a', 2, 'b')
  ks.zrange('zs', 0, -1, { withScores: true })
  ks.zincrby('zs', 3, 'a')
  ks.expire('h', 100)
  ks.rename('l', 'l2')
  ks.setValue('nv', NativeValue.list(range(40)))
  const taken = ks.takeValue('nv')
  taken?.release(d)
  for (let i = 0; i < 200; i++) ks.rpush(`fill:${i}`, ...range(20)) // evictions
  try {
    ks.lpush('s', 'x')
  } catch {
    // WRONGTYPE
  }
  try {
    ks.rpush('l2', 'ok', null)
  } catch {
    // TypeError, nothing pushed
  }
  ks.info()
  ks.keys('*')
  ks.unlink('l2')
  ks.del('zs')
  await new Promise((resolve) => setTimeout(resolve, 50)) // expiry
  ks.flush({ async: true })
  ks.rpush('again', ...range(20))
  ks.flush({ async: false })
  ks.set('left', 'behind')
  ks.close()
  const unclosed = new Keyspace({ hz: 0 })
  unclosed.rpush('kept', ...range(100)) // collected with its keyspace
  await d.drain()
  await d.close()
}

async function all() {
  values()
  await droppers()
  await keyspace()
  globalThis.gc?.()
  await new Promise((resolve) => setImmediate(resolve))
  await defaultDropper.drain()
}

if (isMainThread) {
  ;(async () => {
    await all()
    // A worker that does the same and ends by itself, and one terminated mid-work.
    for (const terminate of [false, true]) {
      const worker = new Worker(__filename)
      const exited = new Promise((resolve) => worker.once('exit', resolve))
      if (terminate) worker.once('message', () => worker.terminate())
      await exited
    }
    await defaultDropper.drain()
    console.log('leaks-exercise: done')
  })()
} else {
  all().then(() => parentPort.postMessage('done'))
}
