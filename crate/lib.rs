//! lazyfree: Redis-style lazy free for Node.js.
//!
//! Big data lives here, in native memory outside the V8 heap, and is released
//! on a background OS thread so the JavaScript thread never stalls on a free.
//! The crate is split in two layers that point one way. The core — what a
//! value is ([`value`], [`zset`]), what it costs ([`memory`]), how it is
//! freed ([`dropper`]), the store ([`keyspace`]), errors ([`error`]) and the
//! synchronisation primitives loom can swap ([`sync`]) — knows nothing of
//! JavaScript: it imports neither napi nor the glue, and `unsafe` is denied
//! in it by the compiler, with three small exceptions: two OS calls (the
//! drop thread's scheduling, `dropper::os`, and the table's page release,
//! `keyspace::pages`) and the table's tagged slots (`keyspace::slot`). The
//! glue ([`glue`]) is the only layer that talks to Node-API: conversion,
//! per-environment state and the exported classes; every `unsafe` Node-API
//! call lives there.
//! `scripts/check-layers.js` (in `npm run lint`) fails when a core module
//! imports napi or the glue.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(unsafe_code)]

pub mod dropper;
pub mod error;
// The only layer that calls Node-API; its unsafe blocks each carry a SAFETY comment.
#[allow(unsafe_code)]
pub mod glue;
pub mod keyspace;
pub mod memory;
pub mod shared;
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
// Its run-time options (background purging) are set in `glue::JEMALLOC_CONF`.
