// The flush stall: how long `flush({ async: false })` holds the event loop
// compared with `flush({ async: true })`, which hands the whole printTable to the
// drop thread in one message; and the same for `del` versus `unlink` of one
// big collection.
//
//   node --expose-gc bench/keyspace-flush.js [keys=1000000] [bigList=2000000]
'use strict'

const { monitorEventLoopDelay } = require('node:perf_hooks')
const { lazyfree, ms, printTable, machine, gc } = require('./keyspace-lib')

async function stall(fn) {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  await new Promise((r) => setTimeout(r, 20))
  // The first interval after a reset is not recorded: let one pass first.
  h.reset()
  await new Promise((r) => setTimeout(r, 5))
  const t0 = process.hrtime.bigint()
  fn()
  const call = process.hrtime.bigint() - t0
  await new Promise((r) => setTimeout(r, 50))
  h.disable()
  return { call, maxDelay: h.max }
}

async function main() {
  const keys = Number(process.argv[2] ?? 1_000_000)
  const bigList = Number(process.argv[3] ?? 2_000_000)
  const { Keyspace, Dropper, NativeValue } = lazyfree()
  console.log(`# Flush stall (${machine()})\n`)
  const rows = []
  const idle = await stall(() => {})
  rows.push(['nothing (idle loop, the floor)', `${ms(idle.call)} ms`, `${ms(idle.maxDelay)} ms`, '—'])
  for (const async of [false, true]) {
    const dropper = new Dropper()
    const ks = new Keyspace({ hz: 0, dropper })
    for (let i = 0; i < keys; i++) ks.set(`key:${i}`, `value:${i}`)
    gc()
    const { call, maxDelay } = await stall(() => ks.flush({ async }))
    const t0 = process.hrtime.bigint()
    await dropper.drain()
    rows.push([
      `flush({ async: ${async} }) of ${keys.toLocaleString('en-US')} keys`,
      `${ms(call)} ms`,
      `${ms(maxDelay)} ms`,
      async ? `${ms(process.hrtime.bigint() - t0)} ms later` : '—',
    ])
    ks.close()
    await dropper.close()
  }
  for (const [name, remove] of [
    ['del', (ks) => ks.del('big')],
    ['unlink', (ks) => ks.unlink('big')],
  ]) {
    const dropper = new Dropper()
    const ks = new Keyspace({ hz: 0, dropper, lazyfree: { userDel: false } })
    ks.setValue('big', NativeValue.list(Array.from({ length: bigList }, (_, i) => `item-${i}`)))
    gc()
    const { call, maxDelay } = await stall(() => remove(ks))
    const t0 = process.hrtime.bigint()
    await dropper.drain()
    rows.push([
      `${name} of a ${bigList.toLocaleString('en-US')}-element list${name === 'del' ? ' (lazyfree.userDel off)' : ''}`,
      `${ms(call)} ms`,
      `${ms(maxDelay)} ms`,
      name === 'unlink' ? `${ms(process.hrtime.bigint() - t0)} ms later` : '—',
    ])
    ks.close()
    await dropper.close()
  }
  printTable(['removal', 'call holds the event loop', 'max event-loop delay', 'freed on the drop thread'], rows)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
