import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..')
/** The committed declaration files: the entries and the modules under src/. */
const declarations = [
  'index.d.ts',
  'keyv.d.ts',
  'prometheus.d.ts',
  ...readdirSync(join(root, 'src'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `src/${f.replace(/\.ts$/, '.d.ts')}`),
]

test('the committed .d.ts files are what the TypeScript sources compile to', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'lazyfree-dts-'))
  execFileSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      'tsconfig.json',
      '--declaration',
      '--emitDeclarationOnly',
      '--outDir',
      out,
    ],
    { cwd: root },
  )
  for (const dts of declarations) {
    t.is(
      readFileSync(join(root, dts), 'utf8'),
      readFileSync(join(out, dts), 'utf8'),
      `${dts} is stale: run npm run build and commit it`,
    )
  }
})

test('every public member of the facade carries a doc comment', (t) => {
  const undocumented: string[] = []
  for (const file of declarations.filter((f) => f === 'index.d.ts' || f.startsWith('src/'))) {
    const dts = readFileSync(join(root, file), 'utf8').split('\n')
    dts.forEach((line, i) => {
      const member =
        /^\s*(export (declare )?(class|const|function|interface|type)|(static |readonly |get )*[a-zA-Z]+[?]?[(:<])/.test(
          line,
        )
      if (!member || /^\s*(private|#private)/.test(line)) return
      let j = i - 1
      while (j >= 0 && /^\s*(toJS\(|\/\/)/.test(dts[j]) && /toJS\(/.test(line)) j-- // overloads share one comment
      if (!/\*\/\s*$/.test(dts[j] ?? '')) undocumented.push(`${file}: ${line.trim()}`)
    })
  }
  t.deepEqual(undocumented, [])
})

test('reply types follow the arguments: incrby by n, hgetallMap by buffers', (t) => {
  const tsc = require.resolve('typescript/bin/tsc')
  const args = [
    '--noEmit',
    '--strict',
    '--target',
    'ES2022',
    '--module',
    'commonjs',
    '--moduleResolution',
    'node',
    '--skipLibCheck',
    '--types',
    'node',
  ]
  t.notThrows(() =>
    execFileSync(process.execPath, [tsc, ...args, join(root, '__test__', 'fixtures', 'types-keyspace.ts')], {
      cwd: root,
      encoding: 'utf8',
    }),
  )
})
