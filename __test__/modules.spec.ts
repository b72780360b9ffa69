// The facade's structure: the option defaults and bounds come from the
// native core, the eviction policies are listed once, and the modules under
// src/ share no mutable module state and import one another without cycles.
import test from 'ava'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { Dropper, Keyspace } from '../index'
import * as binding from '../binding'

const root = join(__dirname, '..')
const src = join(root, 'src')
const sources = readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))

test('dropper defaults and bounds are the native ones', async (t) => {
  const limits = binding.limits()
  t.deepEqual(
    [limits.dropperCapacity, limits.dropperMaxCapacity, limits.dropperThreshold, limits.dropperName],
    [4096, 2 ** 20, 64, 'lazyfree-drop'],
  )
  const dropper = new Dropper()
  t.is(dropper.capacity, limits.dropperCapacity)
  t.is(dropper.threshold, limits.dropperThreshold)
  await dropper.close()
  const max = new Dropper({ capacity: limits.dropperMaxCapacity })
  t.is(max.capacity, limits.dropperMaxCapacity)
  await max.close()
  t.throws(() => new Dropper({ capacity: limits.dropperMaxCapacity + 1 }), {
    instanceOf: RangeError,
    message: new RegExp(`from 1 to ${limits.dropperMaxCapacity}`),
  })
})

test('the keyspace hz default and bound are the native ones', (t) => {
  const limits = binding.limits()
  t.deepEqual([limits.keyspaceHz, limits.keyspaceMaxHz], [10, 500])
  new Keyspace({ hz: limits.keyspaceMaxHz }).close()
  t.throws(() => new Keyspace({ hz: limits.keyspaceMaxHz + 1 }), {
    instanceOf: RangeError,
    message: `options.hz is ${limits.keyspaceMaxHz + 1}; expected an integer from 0 to ${limits.keyspaceMaxHz}`,
  })
})

test('no TypeScript source but src/keyspace-options.ts lists the eviction policies', (t) => {
  const files = ['index.ts', 'keyv.ts', 'prometheus.ts', ...sources.map((f) => `src/${f}`)]
  const listing = files.filter((f) => /'volatile-ttl'/.test(readFileSync(join(root, f), 'utf8')))
  t.deepEqual(listing, ['src/keyspace-options.ts'])
})

test('no module under src/ keeps mutable module-level state', (t) => {
  const found = sources.filter((f) => /^(let|var) /m.test(readFileSync(join(src, f), 'utf8')))
  t.deepEqual(found, [])
})

// A type-only import (`import type`) is erased from the JavaScript; the one
// such edge against the order, native-value naming the Dropper type of
// release(dropper?), is allowed (docs/modules.md).
test('the modules under src/ load one another without cycles', (t) => {
  const imports = new Map<string, string[]>()
  for (const f of sources) {
    const text = readFileSync(join(src, f), 'utf8')
    const names = [...text.matchAll(/^import (?!type ).*from '\.\/([\w-]+)'/gm)].map((m) => m[1])
    imports.set(f.replace(/\.ts$/, ''), names)
  }
  const cycles: string[] = []
  const visit = (m: string, path: string[]) => {
    if (path.includes(m)) return void cycles.push([...path.slice(path.indexOf(m)), m].join(' -> '))
    for (const next of imports.get(m) ?? []) visit(next, [...path, m])
  }
  for (const m of imports.keys()) visit(m, [])
  t.deepEqual([...new Set(cycles)], [])
})
