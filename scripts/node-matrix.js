#!/usr/bin/env node
// Runs the ava suite, and Keyv's compliance suite on vitest (only when no
// arguments name ava specs), under several Node.js majors on this machine:
// the Node running this script, plus Node 22 and 24 taken from the npm
// packages `node-<platform>-<arch>` (cached in .cache/node-matrix/<major>/).
//
//   npm run test:node-matrix                 # all specs, Node current + 22 + 24
//   npm run test:node-matrix -- __test__/x.spec.ts   # arguments go to ava
//   NODE_MATRIX=22,24 npm run test:node-matrix       # choose the extra majors
//   NODE_MATRIX_REFRESH=1 npm run test:node-matrix   # reinstall the cached Nodes
//
// Prints one summary line per Node version; exits 1 if any run failed.
'use strict'

const { spawn, spawnSync } = require('node:child_process')
const { existsSync } = require('node:fs')
const { delimiter, dirname, join } = require('node:path')
const nodes = require('./nodes')

const root = join(__dirname, '..')
const avaCli = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs')
const vitestCli = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const majors = (process.env.NODE_MATRIX || '22,24')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
const avaArgs = process.argv.slice(2)

/** The cached node binary of `major`, installing it when missing or of another major. */
function nodeFor(major) {
  return nodes.nodeFor(major, {
    refresh: !!process.env.NODE_MATRIX_REFRESH,
    log: (m) => console.log(`node-matrix: ${m}`),
  })
}

/** Runs vitest on the Keyv suite with `node`; resolves to { version, code, summary }. */
function runVitest(node) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
  console.log(`\nnode-matrix: ── ${version} vitest (Keyv suite) ──`)
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}`, NO_COLOR: '1' }
  delete env.FORCE_COLOR
  const r = spawnSync(node, [vitestCli, 'run', '--config', 'vitest.config.mjs'], { cwd: root, env, encoding: 'utf8' })
  process.stdout.write(r.stdout || '')
  process.stderr.write(r.stderr || '')
  // eslint-disable-next-line no-control-regex
  const plain = (r.stdout || '').replace(/\x1b\[[0-9;]*m/g, '')
  const tests = /Tests\s+(.+?)\s*$/m.exec(plain)
  return {
    version: `${version} (vitest)`,
    code: r.status ?? 1,
    summary: tests ? tests[1] : `no vitest summary (${r.error || r.signal})`,
  }
}

/** Runs ava's CLI with `node`; resolves to { version, code, summary }. */
function runAva(node) {
  const probe = spawnSync(node, ['--version'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    return Promise.resolve({ version: node, code: 1, summary: `does not run here: ${probe.error || probe.stderr}` })
  }
  const version = probe.stdout.trim()
  console.log(`\nnode-matrix: ── ${version} (${node}) ──`)
  return new Promise((resolve) => {
    // This node first on PATH, so anything a test spawns as `node` is the same version.
    const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}`, FORCE_COLOR: '0' }
    const child = spawn(node, [avaCli, ...avaArgs], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk
        ;(stream === child.stdout ? process.stdout : process.stderr).write(chunk)
      })
    }
    child.on('close', (code, signal) => {
      // ava prints one line per test (✔ passed, ✘ failed) and a closing count.
      const passed = (output.match(/^\s*✔/gm) || []).length
      const closing = [
        ...output.matchAll(
          /^\s*(\d+ (?:tests?|known failures?|uncaught exceptions?|unhandled rejections?) [a-z ]+)$/gm,
        ),
      ]
        .map((m) => m[1].trim())
        .join(', ')
      const summary = closing
        ? closing.includes('passed')
          ? closing
          : `${passed} passed, ${closing}`
        : signal
          ? `killed by ${signal}`
          : 'no ava summary'
      resolve({ version, code: code ?? 1, summary })
    })
  })
}

async function main() {
  if (!existsSync(avaCli)) throw new Error('ava is not installed: run npm install first')
  const nodes = [process.execPath]
  for (const major of majors) nodes.push(nodeFor(major))
  const results = []
  for (const node of nodes) {
    results.push(await runAva(node))
    if (avaArgs.length === 0) results.push(runVitest(node))
  }
  console.log('\nnode-matrix summary:')
  for (const r of results) console.log(`  ${r.code === 0 ? 'PASS' : 'FAIL'}  node ${r.version}: ${r.summary}`)
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1
}

main().catch((error) => {
  console.error(`node-matrix: ${error.message}`)
  process.exitCode = 1
})
