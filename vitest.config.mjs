// Keyv's own compliance suite (@keyv/test-suite) is written for vitest; the
// rest of the project's tests run on ava. This config runs only that suite.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/keyv.vitest.ts'],
    // The suite shares one keyspace across tests: run them one at a time.
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 30_000,
  },
})
