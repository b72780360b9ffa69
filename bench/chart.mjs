#!/usr/bin/env node
// Case 5, the chart: a log-scale bar chart of the release-stall table.
//
//   npm run bench:chart
//
// Input: bench/results/stall.json (written by `npm run bench:stall`) when it
// exists, else the committed bench/chart-data.json. --burst=<file> replaces
// only the burst rows with those of a `bench:stall -- --kinds=burst` run
// (bench/results/stall-experiment.json), keeping every other row, and the
// subtitle says when the burst rows were measured. A full run's chart goes
// to bench/chart-data.json and bench/release-stall.png (committed); a
// --quick run's to bench/results/ (not committed), so a quick run never
// replaces the published chart.
//
// Vega-Lite compiles the spec, Vega renders it to SVG, resvg rasterises it
// with the DejaVu Sans font shipped by the dejavu-fonts-ttf package, so the
// PNG comes out the same on any machine.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Resvg } from '@resvg/resvg-js'
import * as vega from 'vega'
import { compile } from 'vega-lite'
import { benchDir, count, machineLine, resultsDir, root, short } from './lib.mjs'

const require = createRequire(import.meta.url)
const FONT = 'DejaVu Sans'
const fontDir = join(require.resolve('dejavu-fonts-ttf/package.json'), '..', 'ttf')

const committedData = join(benchDir, 'chart-data.json')

/** The chart's input, from a stall run's results. */
function fromResults(results) {
  const rows = []
  for (const [data, paths] of Object.entries(results.summary)) {
    for (const [id, cell] of Object.entries(paths)) {
      rows.push({ data, path: id, label: cell.label, heldMs: cell.held, loopMaxMs: cell.max, loopP99Ms: cell.p99 })
    }
  }
  return {
    source: 'npm run bench:stall',
    date: results.date,
    quick: results.quick,
    n: results.n,
    burst: results.burst,
    reps: results.reps,
    machine: results.machine,
    rows,
  }
}

function spec(chart) {
  const order = [
    'lazyfree dropper',
    'lazyfree dropper, SCHED_BATCH thread',
    'lazyfree deferAll',
    'lazyfree inline (threshold ∞)',
    'lru-cache clear()',
    'Map dropped + gc()',
    'idle loop (floor)',
  ]
  const colors = ['#1b9e77', '#a6d854', '#66c2a5', '#d95f02', '#7570b3', '#e7298a', '#999999']
  const dataOrder = ['list', 'hash', 'set', 'zset', 'burst']
  const dataLabel = {
    list: `list ${short(chart.n)}`,
    hash: `hash ${short(chart.n)}`,
    set: `set ${short(chart.n)}`,
    zset: `zset ${short(chart.n)}`,
    burst: `burst ${short(chart.burst.values)}×${short(chart.burst.elements)}`,
  }
  // Only the paths this run measured (the SCHED_BATCH one is an experiment).
  const present = new Set(chart.rows.map((r) => r.label))
  const shown = order.map((label, i) => [label, colors[i]]).filter(([label]) => present.has(label))
  // Log scales cannot show 0: a hold too short to time shows at 1 µs.
  const values = chart.rows.map((r) => ({
    ...r,
    data: dataLabel[r.data] ?? r.data,
    heldMs: Math.max(r.heldMs, 0.001),
    loopMaxMs: Math.max(r.loopMaxMs, 0.001),
  }))
  const color = {
    field: 'label',
    type: 'nominal',
    title: null,
    scale: { domain: shown.map(([l]) => l), range: shown.map(([, c]) => c) },
    legend: { orient: 'bottom', columns: 3, labelFontSize: 12, labelLimit: 0, symbolType: 'square' },
  }
  const x = {
    field: 'data',
    type: 'nominal',
    title: null,
    sort: dataOrder.map((d) => dataLabel[d]),
    axis: { labelAngle: 0, labelFontSize: 12 },
  }
  const panel = (field, title, filter) => ({
    width: 1000,
    height: 250,
    transform: filter ? [{ filter }] : [],
    encoding: { x, xOffset: { field: 'label', type: 'nominal', sort: shown.map(([l]) => l) }, color },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: {
            field,
            type: 'quantitative',
            title,
            scale: { type: 'log', domain: [0.001, 2000] },
            axis: { values: [0.001, 0.01, 0.1, 1, 10, 100, 1000], format: '~g', titleFontSize: 12, grid: true },
          },
          y2: { datum: 0.001 },
        },
      },
      {
        mark: { type: 'text', dy: -4, fontSize: 8, angle: 0 },
        encoding: {
          y: { field, type: 'quantitative' },
          text: { field, type: 'quantitative', format: '.2~r' },
        },
      },
    ],
  })
  const when = chart.date ? chart.date.slice(0, 10) : ''
  const quick = chart.quick ? ' — QUICK RUN' : ''
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `lazyfree: releasing big data — JavaScript thread held and event-loop max (log scale)${quick}`,
      subtitle: [
        `${count(chart.n)} elements per list/hash/set/zset; burst = ${count(chart.burst.values)} values of ${count(chart.burst.elements)} elements; median of ${chart.reps} run(s); lower is better`,
        `${machineLine(chart.machine)} — ${when}`,
        ...(chart.burstFrom
          ? [
              `burst rows measured apart: ${chart.burstFrom.date.slice(0, 10)}, median of ${chart.burstFrom.reps} run(s), ${machineLine(chart.burstFrom.machine)}`,
            ]
          : []),
      ],
      fontSize: 15,
      subtitleFontSize: 11,
      anchor: 'start',
    },
    data: { values },
    config: { font: FONT, view: { stroke: '#ccc' }, axis: { labelFont: FONT, titleFont: FONT } },
    vconcat: [
      panel('heldMs', 'JS thread held by the release (ms)', "datum.path !== 'idle'"),
      panel('loopMaxMs', 'event-loop max delay (ms, monitorEventLoopDelay)', null),
    ],
    resolve: { scale: { color: 'shared' } },
  }
}

async function main() {
  const resultsFile = join(resultsDir, 'stall.json')
  let chart
  if (existsSync(resultsFile)) {
    chart = fromResults(JSON.parse(readFileSync(resultsFile, 'utf8')))
    console.log(`chart input: ${resultsFile}${chart.quick ? ' (quick run)' : ''}`)
  } else if (existsSync(committedData)) {
    chart = JSON.parse(readFileSync(committedData, 'utf8'))
    console.log(`chart input: ${committedData} (no bench/results/stall.json: run npm run bench:stall for fresh data)`)
  } else {
    throw new Error('no data: run npm run bench:stall first')
  }
  const burstFile = process.argv.find((a) => a.startsWith('--burst='))?.slice('--burst='.length)
  if (burstFile) {
    const burst = fromResults(JSON.parse(readFileSync(burstFile, 'utf8')))
    const rows = burst.rows.filter((r) => r.data === 'burst')
    if (rows.length === 0 || burst.quick) throw new Error(`${burstFile}: no burst rows from a full (not --quick) run`)
    chart.rows = [...chart.rows.filter((r) => r.data !== 'burst'), ...rows]
    chart.burst = burst.burst
    chart.burstFrom = { date: burst.date, reps: burst.reps, machine: burst.machine }
    console.log(`burst rows: ${burstFile}`)
  }
  const outDir = chart.quick ? resultsDir : benchDir
  const dataOut = chart.quick ? join(resultsDir, 'chart-data.quick.json') : committedData
  const pngOut = join(outDir, chart.quick ? 'release-stall.quick.png' : 'release-stall.png')
  writeFileSync(dataOut, `${JSON.stringify(chart, null, 2)}\n`)

  const view = new vega.View(vega.parse(compile(spec(chart)).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: {
      loadSystemFonts: false,
      fontDirs: [fontDir],
      defaultFontFamily: FONT,
      sansSerifFamily: FONT,
    },
  })
    .render()
    .asPng()
  writeFileSync(pngOut, png)
  console.log(
    `chart: ${pngOut.replace(`${root}/`, '')} (${(png.length / 1024).toFixed(0)} KB); data: ${dataOut.replace(`${root}/`, '')}`,
  )
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
