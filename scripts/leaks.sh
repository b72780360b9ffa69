#!/usr/bin/env bash
# npm run leaks: runs scripts/leaks-exercise.js (every public API, on the
# main thread and in two workers, error paths and garbage-collected values
# included) under valgrind's memcheck, and fails if any block is definitely
# lost with a frame in lazyfree's addon.
#
# The addon is built for this run with symbols (release profile, debug info,
# not stripped) into target/leaks/, and loaded through
# NAPI_RS_NATIVE_LIBRARY_PATH, so the shipped build is left alone and the
# stacks name our functions. It is built with the system allocator (Cargo
# feature system-allocator): the shipped Linux build's heap is jemalloc,
# which takes its pages straight from the OS, so valgrind, which watches
# malloc and free, would not see the addon's allocations at all. What is
# checked is that every allocation is freed, which does not depend on the
# allocator. Linux only (valgrind).
#
# What is filtered, and why:
# - Only loss records with a frame in lazyfree's .node count. Node itself
#   reports thousands of "still reachable" blocks (its heap at exit) and a
#   few "possibly lost" ones (V8 and libuv keep interior pointers), and
#   V8's conservative stack scan makes memcheck print "conditional jump
#   depends on uninitialised value" errors; none of that is ours.
# - One definite loss in our .node is suppressed: napi-rs (the Node-API
#   framework the addon is built with) creates a strong reference to each
#   exported class constructor when an environment loads the addon
#   (napi_register_module_v1 -> napi_create_reference), and never deletes it.
#   Node leaves user-created references to the addon, so each environment
#   (the main thread, each worker) loses 40 bytes per class: 3 classes,
#   120 bytes per environment, not per value. It is listed in the summary.
# - "possibly lost" blocks in our .node are printed, not failed on: the
#   napi-rs registration tables built when the library is loaded are held
#   through interior pointers until the process exits.
#
#   LEAKS_LOG=/tmp/vg.log npm run leaks   # keep the full valgrind log
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
  echo "leaks: valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)" >&2
  exit 2
fi

node scripts/ensure.js
echo "leaks: building the addon with symbols into target/leaks/"
CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
  cargo build --quiet --release --lib --features system-allocator --target-dir target/leaks
addon="$PWD/target/leaks/lazyfree.node"
cp target/leaks/release/liblazyfree.so "$addon"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=${LEAKS_LOG:-$work/valgrind.log}
supp="$work/lazyfree.supp"
cat >"$supp" <<'EOF'
{
   napi-rs: one strong reference per exported class constructor per environment, never deleted
   Memcheck:Leak
   match-leak-kinds: definite
   fun:_Znwm
   fun:napi_create_reference
   ...
   fun:napi_register_module_v1
}
EOF

echo "leaks: running scripts/leaks-exercise.js under valgrind (a minute or two)"
status=0
NAPI_RS_NATIVE_LIBRARY_PATH="$addon" valgrind \
  --leak-check=full --show-leak-kinds=definite,possible --errors-for-leak-kinds=definite \
  --num-callers=40 --suppressions="$supp" -s --log-file="$log" \
  node --expose-gc scripts/leaks-exercise.js || status=$?
if [ "$status" -ne 0 ]; then
  echo "leaks: the exercise failed under valgrind (exit $status); log: $log" >&2
  tail -40 "$log" >&2
  exit 1
fi

# Split the log into loss records and classify those with a frame in our addon.
node - "$log" "$addon" <<'EOF'
const fs = require('node:fs')
const [log, addon] = process.argv.slice(2)
const text = fs.readFileSync(log, 'utf8').split('\n').map((l) => l.replace(/^==\d+== ?/, ''))
const records = []
const errors = []
let current
let error
for (const line of text) {
  const kind = /^(Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap)/.exec(line)
  if (kind) {
    error = { kind: kind[1], frames: [] }
    errors.push(error)
  } else if (error && /^\s+(at|by) /.test(line)) {
    error.frames.push(line.trim())
  } else {
    error = undefined
  }
}
for (const line of text) {
  const head = /^([\d,]+) bytes in ([\d,]+) blocks are (definitely|possibly) lost in loss record/.exec(line)
  if (head) {
    current = { kind: head[3], bytes: Number(head[1].replace(/,/g, '')), blocks: Number(head[2].replace(/,/g, '')), frames: [] }
    records.push(current)
  } else if (current && /^\s+(at|by) /.test(line)) {
    current.frames.push(line.trim())
  } else {
    current = undefined
  }
}
const ours = (r) => r.frames.some((f) => f.includes(addon) || /lazyfree::/.test(f))
const summary = text.filter((l) => /^\s*((definitely|indirectly|possibly) lost|still reachable|suppressed|ERROR SUMMARY):/.test(l))
console.log('\nvalgrind LEAK SUMMARY (whole process: Node and the addon):')
for (const l of new Set(summary.map((x) => x.trim()))) console.log(`  ${l}`)
const used = text.map((l) => /used_suppression:\s+(\d+) (.*) \S+:\d+ suppressed: (.*)$/.exec(l)).filter(Boolean)
for (const m of used) console.log(`  suppressed (${m[1]} records, ${m[3]}): ${m[2]}`)
// valgrind -s prints each error context twice (when first seen and in its summary).
const contexts = [...new Map(errors.map((e) => [e.kind + e.frames.join('|'), e])).values()]
const ourErrors = contexts.filter(ours)
console.log(
  `memcheck error contexts: ${contexts.length} (${[...new Set(contexts.map((e) => e.kind))].join(', ') || 'none'}: ` +
    `Node's own, V8's conservative stack scan reads uninitialised stack words), ` +
    `${ourErrors.length} with a frame in lazyfree's addon`,
)
for (const e of ourErrors.slice(0, 5)) console.log(`  ${e.kind}:\n    ${e.frames.slice(0, 12).join('\n    ')}`)
const definite = records.filter((r) => r.kind === 'definitely' && ours(r))
const possible = records.filter((r) => r.kind === 'possibly' && ours(r))
const sum = (rs) => rs.reduce((a, r) => a + r.bytes, 0)
console.log(`\nwith a frame in lazyfree's addon: ${definite.length} definitely lost records (${sum(definite)} bytes), ` +
  `${possible.length} possibly lost records (${sum(possible)} bytes)`)
const firstOwn = (r) => r.frames.find((f) => f.includes(addon) || /lazyfree::/.test(f)) ?? r.frames[0]
/** Where a possibly lost block comes from, grouped: the function of its first frame in the addon. */
const origin = (r) => {
  const frame = firstOwn(r).replace(/^(at|by) 0x[0-9A-F]+: /, '')
  return /__ctor_private/.test(frame) ? 'napi-rs class registration tables, built when the library loads' : frame
}
const groups = new Map()
for (const r of possible) {
  const g = groups.get(origin(r)) ?? { records: 0, bytes: 0 }
  g.records++
  g.bytes += r.bytes
  groups.set(origin(r), g)
}
for (const [where, g] of groups) console.log(`  possibly lost: ${g.bytes} B in ${g.records} records: ${where}`)
for (const r of definite) {
  console.log(`  DEFINITELY LOST ${r.bytes} B in ${r.blocks} blocks:`)
  for (const f of r.frames.slice(0, 15)) console.log(`    ${f}`)
}
if (definite.length || ourErrors.length) {
  console.log('\nleaks: FAILED: ' + (definite.length ? 'definite leaks' : 'memory errors') + ' in lazyfree')
  process.exit(1)
}
console.log('\nleaks: passed: no definite leak and no memory error in lazyfree')
EOF
