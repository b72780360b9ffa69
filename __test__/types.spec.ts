import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..')

test('the committed .d.ts files are what the TypeScript sources compile to', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'lazyfree-dts-'))
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--declaration', '--emitDeclarationOnly', '--outDir', out], { cwd: root })
  for (const dts of ['index.d.ts', 'keyv.d.ts', 'prometheus.d.ts']) {
    t.is(readFileSync(join(root, dts), 'utf8'), readFileSync(join(out, dts), 'utf8'), `${dts} is stale: run npm run build and commit it`)
  }
})

test('every public member of the facade carries a doc comment', (t) => {
  const dts = readFileSync(join(root, 'index.d.ts'), 'utf8').split('\n')
  const undocumented: string[] = []
  dts.forEach((line, i) => {
    const member = /^\s*(export (declare )?(class|const|function|interface|type)|(static |readonly |get )*[a-zA-Z]+[?]?[(:<])/.test(line)
    if (!member || /^\s*(private|#private)/.test(line)) return
    let j = i - 1
    while (j >= 0 && /^\s*(toJS\(|\/\/)/.test(dts[j]) && /toJS\(/.test(line)) j-- // overloads share one comment
    if (!/\*\/\s*$/.test(dts[j] ?? '')) undocumented.push(line.trim())
  })
  t.deepEqual(undocumented, [])
})
