// The prebuilt targets are named in three places that must agree:
// package.json `napi.targets` (what is published, and what the loader reads),
// the CI build matrix (what is built), and the loader's error message (what
// users are told). Every name must be a triple napi-rs knows.
import test, { type ExecutionContext } from 'ava'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { platformArchTriples } from '@napi-rs/triples'

const root = join(__dirname, '..')

interface KnownTriple {
  triple: string
  platformArchABI: string
}
const known = new Map<string, KnownTriple>()
for (const arches of Object.values(platformArchTriples)) {
  for (const list of Object.values(arches)) {
    for (const t of list as unknown as KnownTriple[]) known.set(t.triple, t)
  }
}

function packageTargets(): string[] {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).napi.targets
}

/** Every `target:` value anywhere under the build job's matrix (settings lists and include entries). */
function workflowTargets(): string[] {
  const workflow = parse(readFileSync(join(root, '.github/workflows/CI.yml'), 'utf8'))
  const matrix = workflow?.jobs?.build?.strategy?.matrix
  const found: string[] = []
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk)
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'target' && typeof value === 'string') found.push(value)
        else walk(value)
      }
    }
  }
  walk(matrix)
  return found
}

function buildEntries(): Array<{ target: string; build: string }> {
  const workflow = parse(readFileSync(join(root, '.github/workflows/CI.yml'), 'utf8'))
  return workflow.jobs.build.strategy.matrix.settings
}

/** The `platform (triple)` pairs the loader names when it cannot load the addon. */
function loaderTargets(): Array<{ platform: string; triple: string }> {
  // NAPI_RS_NATIVE_LIBRARY_PATH makes the generated loader fail even when a
  // binary is built; without one the require of ./binding fails by itself.
  const script =
    "try { require('./index.ts'); console.log('LOADED') } catch (e) { console.log(e.code); console.log(e.message) }"
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: join(root, 'no-such-dir', 'lazyfree.node') },
  })
  const line = out.split('\n').find((l) => l.startsWith('Prebuilt binaries exist for:'))
  if (!line) throw new Error(`the loader did not list its prebuilt platforms:\n${out}`)
  return [...line.matchAll(/([\w-]+) \(([\w.-]+)\)/g)].map((m) => ({ platform: m[1], triple: m[2] }))
}

function difference(a: string[], b: string[]): string[] {
  const other = new Set(b)
  return a.filter((x) => !other.has(x))
}

function assertSame(t: ExecutionContext, label: string, actual: string[], expected: string[]) {
  t.deepEqual(
    { missing: difference(expected, actual), extra: difference(actual, expected) },
    { missing: [], extra: [] },
    `${label} must name the same triples as package.json napi.targets`,
  )
}

test('package.json napi.targets are valid napi triples, without repeats', (t) => {
  const targets = packageTargets()
  t.true(targets.length > 0)
  t.deepEqual([...new Set(targets)], targets, 'a triple is listed twice')
  t.deepEqual(
    targets.filter((x) => !known.has(x)),
    [],
    'not a triple in @napi-rs/triples',
  )
})

test('the CI build matrix builds exactly the napi.targets', (t) => {
  const targets = workflowTargets()
  t.deepEqual([...new Set(targets)], targets, 'a triple is built twice')
  assertSame(t, 'the build matrix of .github/workflows/CI.yml', targets, packageTargets())
})

test('each build matrix entry builds its own target with the napi CLI', (t) => {
  for (const { target, build } of buildEntries()) {
    t.regex(build, /napi build --platform --release/, target)
    t.true(build.includes(`--target ${target}`), `${target}: ${build}`)
    t.regex(build, /--js binding\.js --dts binding\.d\.ts/, target)
  }
})

test('the loader names exactly the napi.targets, with napi-rs platform names', (t) => {
  const listed = loaderTargets()
  assertSame(
    t,
    "the loader's supported list",
    listed.map((x) => x.triple),
    packageTargets(),
  )
  for (const { platform, triple } of listed) {
    t.is(platform, known.get(triple)?.platformArchABI ?? '(unknown triple)', `platform name of ${triple}`)
  }
})

test('every CI job installs the Rust that rust-toolchain.toml pins', (t) => {
  const pinned = /channel\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, 'rust-toolchain.toml'), 'utf8'))?.[1]
  t.truthy(pinned, 'rust-toolchain.toml names a channel')
  const workflow = parse(readFileSync(join(root, '.github/workflows/CI.yml'), 'utf8'))
  const installs: string[] = []
  for (const [name, job] of Object.entries<{ steps?: Array<{ uses?: string; with?: Record<string, unknown> }> }>(
    workflow.jobs,
  )) {
    for (const step of job.steps ?? []) {
      if (step.uses?.startsWith('dtolnay/rust-toolchain@')) installs.push(`${name}: ${String(step.with?.toolchain)}`)
    }
  }
  t.true(installs.length > 0, 'the workflow installs Rust somewhere')
  t.deepEqual(
    installs.filter((i) => !i.endsWith(`: ${pinned}`)),
    [],
    `jobs installing another Rust than ${pinned}`,
  )
})
