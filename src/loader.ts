// Loads the native addon once per environment, and turns a failure into one
// Error (code ERR_LAZYFREE_NATIVE_LOAD) that names the platform, the prebuilt
// targets and what to do. Every other module reaches the addon through
// `native` here, so the loading rules live in one place.
import type * as Binding from '../binding'
import { codedError } from './errors'

/**
 * The napi-rs platform name (`linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`)
 * of a Rust target triple, as used in the `.node` file names and the
 * `lazyfree-<platform>` packages.
 */
function platformOfTriple(triple: string): string {
  const cpu: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }
  const os: Record<string, string> = { darwin: 'darwin', windows: 'win32', linux: 'linux', freebsd: 'freebsd' }
  const [arch, , sys, abi] = triple.split('-')
  return [os[sys] ?? sys, cpu[arch] ?? arch, abi].filter(Boolean).join('-')
}

/** The C library this process runs on, detected the way napi-rs's loader does. */
function detectLibc(): string {
  if (process.platform !== 'linux') return ''
  try {
    const report = process.report as { excludeNetwork?: boolean; getReport(): object }
    const excludeNetwork = report.excludeNetwork
    report.excludeNetwork = true
    const { header, sharedObjects } = report.getReport() as {
      header?: { glibcVersionRuntime?: string }
      sharedObjects?: string[]
    }
    report.excludeNetwork = excludeNetwork
    if (header?.glibcVersionRuntime) return `glibc ${header.glibcVersionRuntime}`
    if (sharedObjects?.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))) return 'musl'
  } catch {
    // fall through to the file check
  }
  try {
    if (require('node:fs').readFileSync('/usr/bin/ldd', 'utf8').includes('musl')) return 'musl'
  } catch {
    // unknown
  }
  return 'unknown libc'
}

function loadBinding(): typeof Binding {
  try {
    return require('../binding')
  } catch (cause) {
    // The single list of prebuilt targets is package.json's `napi.targets`.
    let targets: string[] = []
    try {
      targets = require('../package.json').napi.targets
    } catch {
      // package.json unreadable (e.g. bundled): the list stays empty
    }
    const libc = detectLibc()
    const abi =
      process.platform === 'win32' ? 'msvc' : libc === 'musl' ? 'musl' : process.platform === 'linux' ? 'gnu' : ''
    const here = [process.platform, process.arch, process.arch === 'arm' && abi ? `${abi}eabihf` : abi]
      .filter(Boolean)
      .join('-')
    const prebuilt = targets.map(platformOfTriple).includes(here)
    throw codedError(
      'ERR_LAZYFREE_NATIVE_LOAD',
      `lazyfree: no native addon could be loaded for platform ${process.platform}, arch ${process.arch}` +
        (libc ? `, libc ${libc}` : '') +
        ` (napi platform ${here}).\n` +
        `Prebuilt binaries exist for: ${targets.map((t) => `${platformOfTriple(t)} (${t})`).join(', ')}.\n` +
        (prebuilt
          ? `This platform has one, in the optional dependency lazyfree-${here}: reinstall with optional ` +
            'dependencies enabled (no --omit=optional / --no-optional; if package-lock.json or node_modules came ' +
            'from another platform, delete both and run npm install again).\n' +
            'Or build it from source with a Rust toolchain (https://rustup.rs): npx lazyfree-build\n'
          : 'This platform has none: build it from source with a Rust toolchain (https://rustup.rs): ' +
            'npx lazyfree-build\n') +
        `Cause: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
      { cause },
    )
  }
}
/** The addon of this environment. */
export const native = loadBinding()

/**
 * The hot path, registered by hand in crate/glue/fast.rs (so not in
 * binding.d.ts): plain functions over the ids of keyspaces, droppers and
 * native values, at the cost of a bare Node-API call. They check nothing
 * the facade checks first.
 */
export interface FastBinding {
  /** `Keyspace#get` of the keyspace with id `id`. */
  ksGet(id: number, key: string): string | Buffer | null
  /**
   * The Node-API calls of `ksGet` and nothing else (reads its arguments,
   * makes an 11-byte string): the floor of a get, for the benchmarks.
   */
  ksGetFloor(id: number, key: string): string
  /** `Keyspace#set` without options. */
  ksSet(id: number, key: string, value: unknown): boolean
  /** `Keyspace#mget`. */
  ksMget(id: number, ...keys: string[]): Array<string | Buffer | null>
  /** `Keyspace#mset` of the pairs `key0, value0, key1, value1, …` (at least one). */
  ksMset(id: number, ...pairs: unknown[]): void
  /** `Dropper#defer` of a `NativeValue`. */
  dropperDefer(dropperId: number, nativeId: number): boolean
  /** `NativeValue#release`. */
  nativeRelease(nativeId: number, dropperId: number): boolean
  /** `Dropper#capacity`. */
  dropperCapacity(dropperId: number): number
}
/** The hand-registered functions of the addon. */
export const fast = native as unknown as FastBinding

/**
 * Ids of native values (see `NativeValue`), from a block of 2^32 the addon
 * hands this copy of the module: copies loaded in one thread (a second copy
 * in node_modules, a vm or Jest realm) never pick the same id.
 */
const nativeIds = { next: 0, end: 0 }

/** A fresh id for a native value; never reused. */
export function nextNativeId(): number {
  if (nativeIds.next === nativeIds.end) {
    nativeIds.next = native.nativeIdBlock()
    nativeIds.end = nativeIds.next + 2 ** 32
  }
  return ++nativeIds.next
}

/** The generated typings of the addon, for the modules that name its handles. */
export type { Binding }
