// Keyv's compliance suite, as Keyv's own adapters run it: the API, value and
// namespace suites (keyvTestSuite) and the iterator suite, against
// KeyvLazyfree. The adapters of one run share one keyspace, as Keyv's Redis
// adapter shares one server: namespaces must keep them apart.
import * as vitest from 'vitest'
import { Keyv } from 'keyv'
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite'
import { Keyspace } from '../index'
import { KeyvLazyfree } from '../keyv'

const keyspace = new Keyspace()
const store = () => new KeyvLazyfree(keyspace)

keyvTestSuite(vitest, Keyv, store)
keyvIteratorTests(vitest, Keyv, store)

vitest.it('an adapter with a keyspace of its own closes it on disconnect', async () => {
  const own = new KeyvLazyfree()
  await own.set('k', 'v')
  await own.disconnect()
  vitest.expect(own.keyspace.closed).toBe(true)
  const shared = new KeyvLazyfree(keyspace)
  await shared.disconnect()
  vitest.expect(keyspace.closed).toBe(false)
})
