#!/usr/bin/env node
// lazyfree-build: compile lazyfree's native addon from the Rust sources that
// ship in the package, for a platform with no prebuilt binary.
//
//   npx lazyfree-build [--debug] [--out FILE] [--keep]
//
// Needs a Rust toolchain (https://rustup.rs) and network access to crates.io.
// The sources are copied to a temporary directory and built there with cargo;
// the resulting library is written next to the package's generated loader as
// lazyfree.<platform>.node, which the loader tries before any platform
// package. With --out FILE it is written to FILE instead; point
// NAPI_RS_NATIVE_LIBRARY_PATH at it. CARGO_TARGET_DIR is honoured (reuse it
// to make rebuilds fast); otherwise the temporary directory is removed unless
// --keep is given.
'use strict'

const { spawnSync } = require('node:child_process')
const {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} = require('node:fs')
const { tmpdir } = require('node:os')
const { dirname, join, resolve } = require('node:path')

const pkgRoot = join(__dirname, '..')
const binaryName = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8')).napi.binaryName

function parseArgs(argv) {
  const opts = { debug: false, keep: false, out: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--debug') opts.debug = true
    else if (a === '--keep') opts.keep = true
    else if (a === '--out') opts.out = resolve(argv[++i] ?? '')
    else if (a === '-h' || a === '--help') {
      console.log('usage: lazyfree-build [--debug] [--out FILE] [--keep]')
      process.exit(0)
    } else {
      throw new Error(`unknown argument ${a} (try --help)`)
    }
  }
  return opts
}

function isMusl() {
  if (process.platform !== 'linux') return false
  try {
    const report = process.report.getReport()
    if (report.header && report.header.glibcVersionRuntime) return false
    if ((report.sharedObjects || []).some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))) return true
  } catch {
    // fall through
  }
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    return false
  }
}

/** The platform name the napi-rs generated loader uses for this process (lazyfree.<name>.node). */
function platformArchABI() {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform === 'linux') {
    const libc = isMusl() ? 'musl' : 'gnu'
    return arch === 'arm' ? `linux-arm-${libc}eabihf` : `linux-${arch}-${libc}`
  }
  if (platform === 'android') return arch === 'arm' ? 'android-arm-eabi' : `android-${arch}`
  return `${platform}-${arch}`
}

function run(cmd, args, options) {
  console.log(`lazyfree-build: ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${cmd} exited with ${r.status ?? r.signal}`)
}

function main() {
  const opts = parseArgs(process.argv.slice(2))
  if (!existsSync(join(pkgRoot, 'Cargo.toml')) || !existsSync(join(pkgRoot, 'crate', 'lib.rs'))) {
    throw new Error(`the Rust sources are missing from ${pkgRoot}`)
  }
  const cargoCheck = spawnSync('cargo', ['--version'], { encoding: 'utf8' })
  if (cargoCheck.status !== 0) {
    throw new Error('cargo was not found on PATH: install a Rust toolchain from https://rustup.rs and run this again')
  }
  console.log(
    `lazyfree-build: ${cargoCheck.stdout.trim()}, node ${process.version} ${process.platform}-${process.arch}`,
  )

  // Build outside node_modules, so a Cargo workspace in a parent folder of
  // the user's project cannot claim the crate.
  const work = mkdtempSync(join(tmpdir(), 'lazyfree-build-'))
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(work, 'target')
  try {
    for (const f of ['Cargo.toml', 'Cargo.lock', 'build.rs']) {
      if (existsSync(join(pkgRoot, f))) copyFileSync(join(pkgRoot, f), join(work, f))
    }
    cpSync(join(pkgRoot, 'crate'), join(work, 'crate'), { recursive: true })

    const env = { ...process.env }
    // As napi build does: a cdylib on musl must link the C runtime dynamically.
    if (isMusl()) env.RUSTFLAGS = `${env.RUSTFLAGS ?? ''} -C target-feature=-crt-static`.trim()
    const profile = opts.debug ? 'debug' : 'release'
    run(
      'cargo',
      [
        'build',
        '--lib',
        ...(opts.debug ? [] : ['--release']),
        '--manifest-path',
        join(work, 'Cargo.toml'),
        '--target-dir',
        targetDir,
      ],
      { env },
    )

    const lib =
      process.platform === 'win32'
        ? `${binaryName}.dll`
        : process.platform === 'darwin'
          ? `lib${binaryName}.dylib`
          : `lib${binaryName}.so`
    const built = join(targetDir, profile, lib)
    if (!existsSync(built)) throw new Error(`cargo succeeded but ${built} is missing`)

    const dest = opts.out ?? join(pkgRoot, `${binaryName}.${platformArchABI()}.node`)
    // Write then rename, so a process loading the addon never sees half a file.
    mkdirSync(dirname(dest), { recursive: true })
    copyFileSync(built, `${dest}.tmp`)
    renameSync(`${dest}.tmp`, dest)
    console.log(`lazyfree-build: wrote ${dest}`)

    const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(opts.out ? dest : pkgRoot)})`], {
      encoding: 'utf8',
      env: opts.out ? { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: dest } : process.env,
    })
    if (probe.status === 0) {
      console.log(
        opts.out
          ? `lazyfree-build: it loads; run your program with NAPI_RS_NATIVE_LIBRARY_PATH=${dest}`
          : 'lazyfree-build: done, require("lazyfree") loads the addon',
      )
    } else {
      console.error(probe.stderr)
      console.error(
        `lazyfree-build: the addon was built but the loader does not pick it up on this platform; ` +
          `set NAPI_RS_NATIVE_LIBRARY_PATH=${dest}`,
      )
      process.exitCode = 1
    }
  } finally {
    if (opts.keep) console.log(`lazyfree-build: kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

try {
  main()
} catch (error) {
  console.error(`lazyfree-build: ${error.message}`)
  process.exitCode = 1
}
