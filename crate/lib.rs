//! lazyfree: Redis-style lazy free for Node.js.
//!
//! Big data lives here, in native memory outside the V8 heap, and is released
//! on a background OS thread so the JavaScript thread never stalls on a free.
//! The crate is split the way the problem is: what a value is ([`value`],
//! [`zset`]), what it costs ([`memory`]), how it is freed ([`dropper`]), how
//! it crosses from and to JavaScript ([`convert`]), which droppers belong to
//! which Node environment ([`env_state`]), and a thin napi layer ([`glue`])
//! that only translates calls and errors.
#![deny(unsafe_op_in_unsafe_fn)]

#[macro_use]
extern crate napi_derive;

pub mod convert;
pub mod dropper;
pub mod env_state;
pub mod error;
pub mod glue;
pub mod keyspace;
pub mod memory;
pub mod sync;
pub mod value;
pub mod zset;

// The addon's own heap. On Linux it is jemalloc: glibc's malloc files small
// chunks freed by the drop thread into the arena of the thread that allocated
// them, and the JavaScript thread then pays to consolidate millions of them
// on a later allocation — a stall of hundreds of milliseconds after a 1M-field
// hash was freed "in the background" (bench/alloc.mjs, README "Allocator").
// jemalloc returns them to their arena from the freeing thread. Windows and
// macOS keep their system allocators, which do not defer that work. Features
// `system-allocator` and `mimalloc` pick another, for comparison.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(target_os = "linux", not(feature = "mimalloc"), not(feature = "system-allocator")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// jemalloc's run-time options (its `malloc_conf` global; the prefixed build
// reads `_rjem_malloc_conf`). jemalloc returns freed pages to the OS only
// after a decay time, and by default only when some thread calls into it:
// in an idle process (a drain, then nothing allocates) RSS stayed at its
// peak indefinitely. `background_thread:true` gives jemalloc its own
// threads (at most one per CPU, created on demand) that purge on time
// whatever the process does, and `muzzy_decay_ms:0` makes a purge return
// pages with MADV_DONTNEED at once rather than MADV_FREE (which Linux still
// counts in RSS until it needs the memory). Dirty pages keep jemalloc's
// default decay (10 s) so floods reuse them. `_RJEM_MALLOC_CONF` in the
// environment is read after this and overrides it (`npm run stress` sets
// the decay to 0). Measured in scripts/stress-dropper.js (the idle phase).
#[cfg(all(target_os = "linux", not(feature = "mimalloc"), not(feature = "system-allocator")))]
#[export_name = "_rjem_malloc_conf"]
pub static JEMALLOC_CONF: Option<&'static u8> = Some(&b"background_thread:true,muzzy_decay_ms:0\0"[0]);
