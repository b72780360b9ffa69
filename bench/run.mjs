#!/usr/bin/env node
// The whole suite: every case in its own Node process, then the chart.
//
//   npm run bench                 # full: N = 1M, several repetitions
//   npm run bench -- --quick      # N = 200k, fewer repetitions (under two minutes)
//   npm run bench -- stall convert  # only the named cases (stall, handoff, convert, alloc)
//
// The addon is copied first (target/bench/run/), and every case loads that
// copy, so a rebuild of the working tree during the run cannot mix builds.
// Each case prints its table and writes bench/results/<case>.json; the
// printed output is kept in bench/results/<case>.md as well.

import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addonBuild, benchDir, machineLine, options, resultsDir, snapshotPackage } from './lib.mjs'

const CASES = ['stall', 'handoff', 'convert', 'alloc']
const asked = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const unknown = asked.filter((c) => !CASES.includes(c) && c !== 'chart')
if (unknown.length) {
  console.error(`unknown case ${unknown.join(', ')}; cases: ${CASES.join(', ')}`)
  process.exit(2)
}
const cases = asked.length ? CASES.filter((c) => asked.includes(c)) : CASES
const chart = !asked.length || asked.includes('stall') || asked.includes('chart')

function run(script, env) {
  const args = ['--expose-gc', join(benchDir, `${script}.mjs`), ...(options.quick ? ['--quick'] : [])]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      process.stdout.write(chunk)
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`bench/${script}.mjs exited with ${code}`)),
    )
  })
}

async function main() {
  const started = Date.now()
  const pkg = snapshotPackage('run')
  const build = addonBuild(pkg)
  console.log(
    `# lazyfree benchmarks${options.quick ? ' (--quick: smaller N, fewer repetitions)' : ''}\n` +
      `${machineLine()}\naddon: ${build.file} (${build.debug ? 'DEBUG build: timings are not representative' : 'release build'})\n` +
      `cases: ${cases.join(', ')}${chart ? ', chart' : ''}`,
  )
  mkdirSync(resultsDir, { recursive: true })
  for (const [i, name] of cases.entries()) {
    process.stderr.write(
      `\n[bench ${i + 1}/${cases.length}] ${name} (${Math.round((Date.now() - started) / 1000)} s elapsed)\n`,
    )
    const out = await run(name, { LAZYFREE_BENCH_PACKAGE: pkg })
    writeFileSync(join(resultsDir, `${name}${options.quick ? '.quick' : ''}.md`), out)
  }
  if (chart) await run('chart', {})
  console.log(`\nall done in ${Math.round((Date.now() - started) / 1000)} s; results in bench/results/`)
}

main().catch((e) => {
  console.error(e.message)
  process.exit(1)
})
