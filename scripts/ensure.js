#!/usr/bin/env node
// Makes a fresh clone runnable: installs the npm dependencies when they are
// missing or older than package-lock.json, and builds the native addon and
// the facade when their outputs are missing or older than their sources.
// `npm run demo` and `npm test` call it first, so either works as the first
// command on a new machine.
'use strict'

const { execSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const at = (p) => path.join(root, p)

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs
  } catch {
    return 0
  }
}

/** Newest modification time of the files under `dir` whose names match `test`. */
function newest(dir, test) {
  let best = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) best = Math.max(best, newest(p, test))
    else if (test(entry.name)) best = Math.max(best, mtime(p))
  }
  return best
}

function run(command) {
  console.log(`> ${command}`)
  execSync(command, { cwd: root, stdio: 'inherit' })
}

function has(command) {
  try {
    execSync(`${command} --version`, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

if (mtime(at('node_modules/.package-lock.json')) < mtime(at('package-lock.json'))) {
  run('npm ci --no-audit --no-fund')
}

const addon = fs.readdirSync(root).filter((f) => /^lazyfree\..*\.node$/.test(f))
const addonTime = Math.min(...addon.map((f) => mtime(at(f))), addon.length ? Infinity : 0)
const rustTime = Math.max(
  newest(at('crate'), (n) => n.endsWith('.rs')),
  mtime(at('Cargo.toml')),
  mtime(at('Cargo.lock')),
  mtime(at('build.rs')),
)
if (addonTime < rustTime) {
  if (!has('cargo')) {
    console.error('lazyfree: building the native addon needs a Rust toolchain: install it from https://rustup.rs')
    process.exit(1)
  }
  run('npm run build')
} else if (
  ['index', 'keyv', 'prometheus'].some((m) => mtime(at(`${m}.js`)) < mtime(at(`${m}.ts`))) ||
  fs
    .readdirSync(at('src'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .some((f) => mtime(at(`src/${f.slice(0, -3)}.js`)) < mtime(at(`src/${f}`)))
) {
  run('npx tsc -p tsconfig.json')
}
