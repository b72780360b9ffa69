//! The napi layer: JavaScript classes over the Rust core, and nothing else.
//!
//! Each exported method converts its arguments, calls one thing in the core
//! and converts the answer back; errors become the JS error classes and codes
//! of the contract through `errors`. Every `unsafe` block of the crate lives
//! under this module (foreign calls: Node-API, and one OS call in `os`), each
//! with the reason it holds.

pub mod dropper;
pub mod errors;
pub mod fast;
pub mod js;
pub mod keyspace;
pub mod native_value;
pub mod os;

use napi::bindgen_prelude::*;

/// Runs once per Node environment that loads the addon (main thread or
/// worker): ties that environment's droppers to its teardown.
#[napi(module_exports)]
pub fn attach_environment(exports: Object, env: Env) -> Result<()> {
  env.add_env_cleanup_hook((), |_| crate::env_state::teardown())?;
  fast::register_exports(&env, &exports)?;
  Ok(())
}

/// Does nothing: the floor of a call into this addon (an exported function,
/// no arguments, no result), which the benchmarks compare every call with.
#[napi]
pub fn noop() {}
