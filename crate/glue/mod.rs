//! The napi layer: JavaScript classes over the Rust core, and nothing else.
//!
//! Each exported method converts its arguments, calls one thing in the core
//! and converts the answer back; errors become the JS error classes and codes
//! of the contract through `errors`. Every Node-API call of the crate lives
//! under this module, each `unsafe` block with the reason it holds.

pub mod convert;
pub mod dropper;
pub mod env_state;
pub mod errors;
pub mod fast;
pub mod js;
pub mod keyspace;
pub mod limits;
pub mod native_value;
pub mod reply;
pub mod shared_keyspace;
// Last: the classes above are declared first, so each one's constructor
// leads its declaration in binding.d.ts.
pub mod commands;

use napi::bindgen_prelude::*;
use napi_derive::napi;

// The run-time options of the addon's jemalloc heap (`crate/lib.rs`): its
// `malloc_conf` global, which the prefixed build reads as
// `_rjem_malloc_conf`. jemalloc returns freed pages to the OS only after a
// decay time, and by default only when some thread calls into it: in an
// idle process (a drain, then nothing allocates) RSS stayed at its peak
// indefinitely. `background_thread:true` gives jemalloc its own threads (at
// most one per CPU, created on demand) that purge on time whatever the
// process does, and `muzzy_decay_ms:0` makes a purge return pages with
// MADV_DONTNEED at once rather than MADV_FREE (which Linux still counts in
// RSS until it needs the memory). Dirty pages keep jemalloc's default decay
// (10 s) so floods reuse them. `_RJEM_MALLOC_CONF` in the environment is
// read after this and overrides it (`npm run stress` sets the decay to 0
// for its accounting checks). Measured by scripts/stress-idle.js. It lives
// here, with the crate's other `unsafe`, because naming a symbol for the
// linker is unsafe: another object defining it too would be undefined.
#[cfg(all(target_os = "linux", not(feature = "mimalloc"), not(feature = "system-allocator")))]
// SAFETY: jemalloc declares `_rjem_malloc_conf` weak and reads it once, at
// its first allocation, as a NUL-terminated C string; nothing else in the
// addon defines it, and the bytes are a 'static NUL-terminated literal.
#[export_name = "_rjem_malloc_conf"]
pub static JEMALLOC_CONF: Option<&'static u8> = Some(&b"background_thread:true,muzzy_decay_ms:0\0"[0]);

/// Runs once per Node environment that loads the addon (main thread or
/// worker): ties that environment's droppers to its teardown.
#[napi(module_exports)]
pub fn attach_environment(exports: Object, env: Env) -> Result<()> {
  env.add_env_cleanup_hook((), |_| crate::glue::env_state::teardown())?;
  env.add_env_cleanup_hook((), |_| crate::glue::shared_keyspace::teardown())?;
  env.add_env_cleanup_hook((), |_| crate::glue::fast::forget_array_of())?;
  fast::register_exports(&env, &exports)?;
  Ok(())
}

/// Does nothing: the floor of a call into this addon (an exported function,
/// no arguments, no result), which the benchmarks compare every call with.
#[napi]
pub fn noop() {}
