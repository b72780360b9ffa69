// Other Node.js majors on this machine, for scripts and tests that must run
// the addon under Node 20, 22 and 24: each comes from the npm package
// `node-<platform>-<arch>@<major>`, installed once into
// .cache/node-matrix/<major>/ (npm run test:node-matrix and npm run fuzz
// install them; tests only use the ones already there).
'use strict'

const { spawnSync } = require('node:child_process')
const { existsSync, mkdirSync, readFileSync, rmSync } = require('node:fs')
const { join } = require('node:path')

const root = join(__dirname, '..')
const cacheRoot = join(root, '.cache', 'node-matrix')

function packageName() {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform]
  if (!os) throw new Error(`no node-<platform>-<arch> npm package for ${process.platform}`)
  return `node-${os}-${process.arch}`
}

function paths(major) {
  const pkg = packageName()
  const dir = join(cacheRoot, String(major))
  const pkgDir = join(dir, 'node_modules', pkg)
  const bin = join(pkgDir, 'bin', process.platform === 'win32' ? 'node.exe' : 'node')
  return { pkg, dir, pkgDir, bin }
}

/** The installed version of `major` in the cache, or null. */
function cachedVersion(major) {
  const { pkgDir, bin } = paths(major)
  try {
    const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
    return version.split('.')[0] === String(major) && existsSync(bin) ? version : null
  } catch {
    return null
  }
}

/** The cached node binary of `major`, or null when it is not installed. */
function cachedNode(major) {
  if (String(process.versions.node.split('.')[0]) === String(major)) return process.execPath
  return cachedVersion(major) ? paths(major).bin : null
}

/** The node binary of `major`, installing it when missing (or when `refresh`). */
function nodeFor(major, { refresh = false, log = console.log } = {}) {
  const { pkg, dir, bin } = paths(major)
  let version = refresh ? null : cachedVersion(major)
  if (version) {
    log(`using cached ${pkg}@${version}`)
    return bin
  }
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  log(`installing ${pkg}@${major} into ${dir}`)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const r = spawnSync(
    npm,
    ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${major}`],
    { stdio: 'inherit', shell: process.platform === 'win32' },
  )
  version = cachedVersion(major)
  if (r.status !== 0 || !version) throw new Error(`installing ${pkg}@${major} failed`)
  return bin
}

module.exports = { cachedNode, nodeFor, packageName }
