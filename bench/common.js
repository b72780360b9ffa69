// The machine description and the Markdown table of every benchmark, in
// CommonJS so both the ESM suite (bench/lib.mjs re-exports them) and the
// CommonJS keyspace benchmarks (bench/keyspace-lib.js) load this one copy.
'use strict'

const { readFileSync } = require('node:fs')
const { arch, cpus, loadavg, platform, release, totalmem } = require('node:os')

/** The CPU model, as /proc/cpuinfo names it (os.cpus() elsewhere). */
function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'))
    if (line) return line.split(':')[1].trim()
  } catch {
    // not Linux
  }
  return cpus()[0]?.model?.trim() || 'unknown CPU'
}

/** What the numbers were measured on. */
function machine() {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${release()} ${arch()}`,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  }
}

/** One line naming the machine, for headers and the chart. */
function machineLine(m = machine()) {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`
}

/** A Markdown table; columns after the first `left` ones are right-aligned. */
function table(head, rows, left = 1) {
  const cells = rows.map((r) => r.map((c) => String(c)))
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (r) => `| ${r.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (i < left ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [line(head), rule, ...cells.map(line)].join('\n')
}

module.exports = { machine, machineLine, table }
