// What `npm pack` would publish: the facade, its types, the generated loader,
// README, LICENSE, and the Rust sources `npx lazyfree-build` compiles on a
// platform with no prebuilt binary. Never build outputs, tests, benchmarks or
// TypeScript sources. Binaries ship in the lazyfree-<platform> packages.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, posix } from 'node:path'

const root = join(__dirname, '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    shell: process.platform === 'win32',
  })
  const [report] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>
  return report.files.map((f) => f.path.replace(/\\/g, '/')).sort()
}

const files = packedFiles()

const required = [
  'package.json',
  'index.js',
  'index.mjs',
  'index.d.ts',
  'binding.js',
  'binding.d.ts',
  'keyv.js',
  'keyv.mjs',
  'keyv.d.ts',
  'prometheus.js',
  'prometheus.mjs',
  'prometheus.d.ts',
  ...[
    'brand',
    'checks',
    'dropper',
    'errors',
    'expiry',
    'keyspace-options',
    'keyspace',
    'loader',
    'native-value',
    'types',
  ].flatMap((m) => [`src/${m}.js`, `src/${m}.d.ts`]),
  'README.md',
  'LICENSE',
  'scripts/build-from-source.js',
  'Cargo.toml',
  'Cargo.lock',
  'build.rs',
  'crate/lib.rs',
]

test('the tarball holds the facade, types, loader, README, LICENSE and the build-from-source kit', (t) => {
  t.deepEqual(
    required.filter((f) => !files.includes(f)),
    [],
    `missing from npm pack; packed: ${files.join(', ')}`,
  )
})

test('the tarball holds nothing else', (t) => {
  const allowed = (f: string) => required.includes(f) || /^crate\/.+\.rs$/.test(f)
  t.deepEqual(
    files.filter((f) => !allowed(f)),
    [],
    'unexpected files in npm pack',
  )
})

test('no build outputs, tests, benchmarks or TypeScript sources are packed', (t) => {
  const forbidden = files.filter(
    (f) =>
      f.endsWith('.node') ||
      f.endsWith('.tgz') ||
      /^(target|npm|artifacts|node_modules|__test__|bench|\.cache|\.github|\.ci|docs)\//.test(f) ||
      (/\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f)) ||
      /(^|\/)tests(\.rs|\/)/.test(f),
  )
  t.deepEqual(forbidden, [])
})

test('the package metadata: exports map, engines, bin', (t) => {
  t.deepEqual(pkg.exports['.'], { types: './index.d.ts', require: './index.js', import: './index.mjs' })
  for (const sub of ['keyv', 'prometheus']) {
    t.deepEqual(pkg.exports[`./${sub}`], { types: `./${sub}.d.ts`, require: `./${sub}.js`, import: `./${sub}.mjs` })
  }
  // The integrations' packages are the user's choice: optional peers.
  t.deepEqual(Object.keys(pkg.peerDependencies).sort(), ['keyv', 'prom-client'])
  t.deepEqual(pkg.peerDependenciesMeta, { keyv: { optional: true }, 'prom-client': { optional: true } })
  t.is(pkg.dependencies, undefined)
  t.is(pkg.main, 'index.js')
  t.is(pkg.types, 'index.d.ts')
  t.is(pkg.engines.node, '>= 20')
  t.is(pkg.bin['lazyfree-build'], 'scripts/build-from-source.js')
  t.true(files.includes(pkg.bin['lazyfree-build']))
  t.is(pkg.optionalDependencies, undefined, 'optionalDependencies are added by napi prepublish at release time')
})

// The tarball leaves out the crate's test-only modules (tests.rs, tests/,
// loom.rs: see package.json `files`). That is sound only while every module
// the library build needs is packed and every test-only one is not: a `mod x;`
// behind #[cfg(test)] or #[cfg(all(test, ...))] is test-only.
function rustModules(rs: string[]): Array<{ at: string; files: string[]; testOnly: boolean }> {
  const found: Array<{ at: string; files: string[]; testOnly: boolean }> = []
  for (const file of rs) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n')
    const base = posix.basename(file)
    const dir =
      base === 'lib.rs' || base === 'mod.rs' ? posix.dirname(file) : posix.join(posix.dirname(file), base.slice(0, -3))
    lines.forEach((line, i) => {
      const m = /^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;/.exec(line)
      if (!m) return
      const attrs: string[] = []
      for (let j = i - 1; j >= 0 && /^\s*(#\[|\/\/)/.test(lines[j]); j--) attrs.push(lines[j])
      found.push({
        at: `${file}:${i + 1} mod ${m[1]}`,
        files: [posix.join(dir, `${m[1]}.rs`), posix.join(dir, m[1], 'mod.rs')],
        testOnly: attrs.some((a) => /#\[cfg\((test\b|all\((.*,\s*)?test\b)/.test(a)),
      })
    })
  }
  return found
}

test('every Rust module the library build needs is packed, and no test-only one', (t) => {
  const rs = files.filter((f) => f.startsWith('crate/') && f.endsWith('.rs'))
  t.true(rs.length > 0)
  const modules = rustModules(rs)
  t.deepEqual(
    modules.filter((m) => !m.testOnly && !m.files.some((f) => rs.includes(f))).map((m) => m.at),
    [],
    'declared for the library build but not packed: the build from source would fail',
  )
  t.deepEqual(
    modules.filter((m) => m.testOnly && m.files.some((f) => rs.includes(f))).map((m) => m.at),
    [],
    'test-only module packed: exclude it in package.json files',
  )
})

// The exports map sends `import` to X.mjs and `require` to X.js, for the
// main entry and each subpath: both must expose the same names (and the very
// same objects). Resolved by package name, through the exports map.
for (const entry of ['lazyfree', 'lazyfree/keyv', 'lazyfree/prometheus']) {
  test(`the ESM entry of ${entry} exports every name of its CommonJS entry, as the same objects`, (t) => {
    const script = `
      const cjs = require(${JSON.stringify(entry)})
      import(${JSON.stringify(entry)}).then((esm) => {
        const names = Object.keys(cjs)
        console.log(JSON.stringify({
          some: names.length > 0,
          missing: names.filter((n) => !(n in esm)),
          different: names.filter((n) => n in esm && esm[n] !== cjs[n]),
          defaultIsCjs: esm.default === cjs,
        }))
      })`
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })
    t.deepEqual(JSON.parse(out), { some: true, missing: [], different: [], defaultIsCjs: true })
  })
}

// keyv and prom-client are optional peers: the main entry must never load
// them, and the subpaths load them only when the function needing them runs.
test('require(lazyfree) loads neither peer; the subpaths load theirs only on use', (t) => {
  const script = `
    const Module = require('node:module')
    const loaded = []
    const load = Module._load
    Module._load = function (request, ...rest) {
      if (/^(keyv|prom-client)(\\/|$)/.test(request)) loaded.push(request)
      return load.call(this, request, ...rest)
    }
    const peers = () => Object.keys(require.cache).filter((f) => /node_modules[\\/\\\\](keyv|prom-client)[\\/\\\\]/.test(f)).length
    const steps = {}
    require('lazyfree')
    steps.main = [loaded.length, peers()]
    const { KeyvLazyfree, createKeyv } = require('lazyfree/keyv')
    const { registerMetrics } = require('lazyfree/prometheus')
    new KeyvLazyfree({ hz: 0 })
    steps.subpaths = [loaded.length, peers()]
    createKeyv({ hz: 0 })
    steps.createKeyv = loaded.slice()
    registerMetrics(new (require('prom-client').Registry)(), {})
    console.log(JSON.stringify(steps))`
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })
  t.deepEqual(JSON.parse(out), { main: [0, 0], subpaths: [0, 0], createKeyv: ['keyv'] })
})
