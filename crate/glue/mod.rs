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
pub mod js;
pub mod keyspace;
pub mod native_value;
pub mod shared_keyspace;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Runs once per Node environment that loads the addon (main thread or
/// worker): ties that environment's droppers to its teardown.
#[napi(module_exports)]
pub fn attach_environment(_exports: Object, env: Env) -> Result<()> {
  env.add_env_cleanup_hook((), |_| crate::glue::env_state::teardown())?;
  env.add_env_cleanup_hook((), |_| crate::glue::shared_keyspace::teardown())?;
  Ok(())
}
