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

// Optional global allocators for the addon's own heap (Cargo features
// `mimalloc` and `jemalloc`; the system allocator otherwise). docs/bench.md
// compares them.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(feature = "jemalloc", not(feature = "mimalloc"), not(target_env = "msvc")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
