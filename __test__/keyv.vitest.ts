// Keyv's compliance suite, as Keyv's own adapters run it: the API, value and
// namespace suites (keyvTestSuite) and the iterator suite, against
// KeyvLazyfree. The adapters of one run share one keyspace, as Keyv's Redis
// adapter shares one server: namespaces must keep them apart. It runs twice:
// over a `new Keyspace()`, and over a shared `Keyspace.open(name)` with a
// handle of its own per adapter, as each worker thread has one.
//
// The package is loaded as an application loads it, through Node's require
// of the built entries (vitest would otherwise transform index.js into a
// second copy of the module beside the one keyv.js requires).
import { createRequire } from 'node:module'
import * as vitest from 'vitest'
import { Keyv } from 'keyv'
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite'
import type * as Lazyfree from '../index'
import type * as LazyfreeKeyv from '../keyv'

const require = createRequire(import.meta.url)
const { Keyspace } = require('../index.js') as typeof Lazyfree
const { KeyvLazyfree } = require('../keyv.js') as typeof LazyfreeKeyv

const keyspace = new Keyspace()
const store = () => new KeyvLazyfree(keyspace)

vitest.it('every adapter of the run shares the one keyspace', () => {
  vitest.expect(store().keyspace).toBe(keyspace)
})

vitest.describe('over new Keyspace()', () => {
  keyvTestSuite(vitest, Keyv, store)
  keyvIteratorTests(vitest, Keyv, store)
})

vitest.describe('over a shared keyspace, Keyspace.open(name)', () => {
  const name = `keyv-suite-${process.pid}`
  // Holds the keyspace open for the whole run: the adapters' own handles
  // come and go (collected with their adapters).
  const anchor = Keyspace.open(name)
  const sharedStore = () => new KeyvLazyfree(Keyspace.open(name))
  vitest.afterAll(() => anchor.close())

  vitest.it('each adapter has a handle of its own on the one keyspace', async () => {
    const a = sharedStore()
    const b = sharedStore()
    vitest.expect(a.keyspace).not.toBe(b.keyspace)
    vitest.expect(a.keyspace.name).toBe(name)
    await a.set('suite:k', 'v')
    vitest.expect(await b.get('suite:k')).toBe('v')
    await a.delete('suite:k')
  })

  keyvTestSuite(vitest, Keyv, sharedStore)
  keyvIteratorTests(vitest, Keyv, sharedStore)
})

vitest.it('an adapter with a keyspace of its own closes it on disconnect', async () => {
  const own = new KeyvLazyfree()
  await own.set('k', 'v')
  await own.disconnect()
  vitest.expect(own.keyspace.closed).toBe(true)
  const shared = new KeyvLazyfree(keyspace)
  await shared.disconnect()
  vitest.expect(keyspace.closed).toBe(false)
})
