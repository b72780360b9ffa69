#!/usr/bin/env node
// Keeps the Rust layers pointing one way. The core (every module of crate/
// outside crate/glue/) must not know JavaScript exists: it imports neither
// napi nor the glue, so it can be tested, model-checked with loom and shared
// between threads without an environment. The compiler already denies
// `unsafe` in the core (`#![deny(unsafe_code)]` in crate/lib.rs); this check
// covers what the compiler cannot: which crates and modules a file names,
// and that no two modules import each other, directly or around a loop.
// Part of `npm run lint`; exits 1 and names each offending line.
'use strict'

const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const crate = path.join(root, 'crate')
const glue = path.join(crate, 'glue')

/** What a core file may not mention outside comments. */
const FORBIDDEN = [
  [/\bnapi(_derive|_sys)?::/, 'imports napi'],
  [/\b(use|extern crate)\s+napi(_derive|_sys)?\b/, 'imports napi'],
  [/#\[napi\b/, 'uses a napi attribute'],
  [/\bcrate::glue\b/, 'imports the glue'],
  [/\bsuper::glue\b/, 'imports the glue'],
]

function rustFiles(dir) {
  const out = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...rustFiles(p))
    else if (entry.name.endsWith('.rs')) out.push(p)
  }
  return out
}

const problems = []
for (const file of rustFiles(crate)) {
  if (file.startsWith(glue + path.sep)) continue
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '')
    for (const [pattern, what] of FORBIDDEN) {
      if (pattern.test(code)) {
        problems.push(`${path.relative(root, file)}:${i + 1}: core module ${what}: ${line.trim()}`)
      }
    }
  })
}

// No import cycles between modules: a core module is its top-level name
// (`keyspace`, `dropper`, …, with its files below it), a glue module is its
// file (`glue::fast`, …). Edges come from `crate::…` paths outside comments;
// the crate root and glue/mod.rs only declare modules and are left out.
function moduleOf(file) {
  const rel = path.relative(crate, file).replace(/\\/g, '/').replace(/\.rs$/, '')
  const parts = rel.split('/')
  if (parts[0] === 'glue') return parts.length > 1 && parts[1] !== 'mod' ? `glue::${parts[1]}` : undefined
  return parts[0] === 'lib' ? undefined : parts[0]
}
const edges = new Map()
for (const file of rustFiles(crate)) {
  const from = moduleOf(file)
  if (from === undefined) continue
  const targets = edges.get(from) ?? new Set()
  edges.set(from, targets)
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const code = line.replace(/\/\/.*$/, '')
    for (const m of code.matchAll(/\bcrate::(glue::)?([a-z_]+)/g)) {
      const to = m[1] ? `glue::${m[2]}` : m[2]
      if (to !== from && to !== 'glue') targets.add(to)
    }
  }
}
const state = new Map()
const stack = []
function visit(node) {
  state.set(node, 'open')
  stack.push(node)
  for (const next of edges.get(node) ?? []) {
    if (state.get(next) === 'open') {
      problems.push(`import cycle: ${[...stack.slice(stack.indexOf(next)), next].join(' -> ')}`)
    } else if (!state.has(next)) visit(next)
  }
  stack.pop()
  state.set(node, 'done')
}
for (const node of edges.keys()) if (!state.has(node)) visit(node)

if (problems.length > 0) {
  console.error(
    'Layering: the core (crate/ outside crate/glue/) must not import napi or the glue, and no module may import one that imports it.',
  )
  for (const p of problems) console.error(`  ${p}`)
  console.error(
    'Move the code that needs Node-API under crate/glue/, or pass what it needs in from there; break a cycle by moving what both modules need into one of its own.',
  )
  process.exit(1)
}
console.log('layers: the core imports neither napi nor the glue; no import cycles')
