#!/usr/bin/env node
// npm run fuzz: seeded random JavaScript inputs through every lazyfree entry
// point, under Node 20, 22 (with --js-float16array, so Float16Array is
// among the inputs) and 24, one child process each (scripts/fuzz-child.js).
// A child that dies (a signal, or an exit without its result line) is a
// crash; a result with failures names the shrunk input. The seed is printed
// and the same seed replays the same inputs.
//
//   npm run fuzz                          # 60 s in all, a random seed
//   npm run fuzz -- --seconds 30 --seed 42
//   npm run fuzz -- --nodes 22,24         # only these majors
//
// Exits 1 on any failure or crash. Node binaries other than the running one
// come from scripts/nodes.js (installed once into .cache/node-matrix/).
'use strict'

const { spawn } = require('node:child_process')
const { join } = require('node:path')
const { nodeFor } = require('./nodes')

const argv = process.argv.slice(2)
function option(name, fallback) {
  const i = argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const value = argv[i + 1]
  if (value === undefined) throw new Error(`--${name} needs a value`)
  return value
}

const seconds = Number(option('seconds', '60'))
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, not ${option('seconds')}`)
const seed = Number(option('seed', String(Math.floor(Math.random() * 2 ** 31))))
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not ${option('seed')}`)
const majors = option('nodes', '20,22,24')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)

const current = process.versions.node.split('.')[0]
/** Node flags per major: Float16Array is behind a flag on 22 (Node-API does not name its kind there). */
const FLAGS = { 22: ['--js-float16array'] }

function runChild(node, flags, budget) {
  return new Promise((resolve) => {
    const args = [...flags, join(__dirname, 'fuzz-child.js'), '--seed', String(seed), '--seconds', String(budget)]
    const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('FUZZ-RESULT '))
      const result = line ? JSON.parse(line.slice('FUZZ-RESULT '.length)) : null
      resolve({ code, signal, result, stderr })
    })
  })
}

async function main() {
  const budget = Math.max(1, Math.round((seconds / majors.length) * 10) / 10)
  console.log(`fuzz: seed ${seed}, ${budget} s per Node (${majors.join(', ')}); replay with --seed ${seed}`)
  let failed = false
  for (const major of majors) {
    const node = major === current ? process.execPath : nodeFor(major, { log: (m) => console.log(`fuzz: ${m}`) })
    const flags = FLAGS[major] || []
    const { code, signal, result, stderr } = await runChild(node, flags, budget)
    const label = `node ${major}${flags.length ? ` ${flags.join(' ')}` : ''}`
    if (!result) {
      failed = true
      console.log(`  CRASH ${label}: exit ${code}${signal ? `, signal ${signal}` : ''}, no result line`)
      console.log(stderr.split('\n').slice(-20).join('\n'))
      continue
    }
    const stats = `${result.runs} inputs, ${result.calls} calls in ${(result.elapsedMs / 1000).toFixed(1)} s`
    if (result.failures.length > 0 || code !== 0) {
      failed = true
      console.log(`  FAIL  ${label} (${result.node}): ${stats}`)
      for (const f of result.failures) console.log(`    ${f.split('\n').join('\n    ')}`)
      if (code !== 0 && result.failures.length === 0)
        console.log(`    exit ${code}${signal ? `, signal ${signal}` : ''}`)
    } else {
      console.log(`  PASS  ${label} (${result.node}): ${stats}`)
    }
  }
  console.log(failed ? `fuzz: FAILED (seed ${seed})` : `fuzz: no failure (seed ${seed})`)
  process.exitCode = failed ? 1 : 0
}

main().catch((error) => {
  console.error(`fuzz: ${error.message}`)
  process.exitCode = 1
})
