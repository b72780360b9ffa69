//! `NativeHandle`: the JavaScript object that owns one native value.
//!
//! The facade's `NativeValue` wraps it. Moving the value out (`release`,
//! `defer`, a keyspace's `setValue`) leaves the handle empty but keeps its
//! kind; a handle collected while it still owns a value sends it to this
//! environment's default dropper, so a finalizer never frees a large value
//! on the JavaScript thread unless that dropper is full or closed.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{LfError, LfResult};
use crate::glue::convert::Converter;
use crate::glue::dropper::{report_spawn_error, DropperHandle};
use crate::glue::env_state;
use crate::glue::errors::{conv, throw};
use crate::glue::js::{Js, RawJs};
use crate::memory;
use crate::value::{Kind, Value};

#[napi(custom_finalize)]
pub struct NativeHandle {
  value: Option<Value>,
  kind: Kind,
  bytes: usize,
}

impl NativeHandle {
  pub fn new(value: Value) -> NativeHandle {
    let bytes = memory::estimate(&value);
    NativeHandle { kind: value.kind(), value: Some(value), bytes }
  }

  pub fn with_bytes(value: Value, bytes: usize) -> NativeHandle {
    NativeHandle { kind: value.kind(), value: Some(value), bytes }
  }

  /// The value, unless it has been released.
  pub fn get(&self) -> LfResult<&Value> {
    self.value.as_ref().ok_or_else(LfError::released)
  }

  pub fn is_released(&self) -> bool {
    self.value.is_none()
  }

  /// Moves the value out with its estimated bytes; the handle is released.
  pub fn take(&mut self) -> Option<(Value, usize)> {
    let bytes = std::mem::take(&mut self.bytes);
    self.value.take().map(|v| (v, bytes))
  }
}

#[napi]
impl NativeHandle {
  /// Converts `value` by the contract's rules into a value of `kind`
  /// (`'auto'` infers it), naming bad parts from `root`.
  #[napi(factory, catch_unwind, ts_args_type = "value: unknown, kind: string, root: string")]
  pub fn convert(env: Env, value: RawJs, kind: String, root: String) -> Result<NativeHandle> {
    let c = Converter::new(Js::new(&env));
    let converted = match kind.as_str() {
      "string" => c.string(value.0, &root),
      "list" => c.list(value.0, &root),
      "set" => c.set(value.0, &root),
      "hash" => c.hash(value.0, &root),
      "zset" => c.zset(value.0, &root),
      _ => c.value(value.0, &root),
    };
    converted.map(NativeHandle::new).map_err(|e| conv(&env, e))
  }

  #[napi(getter, ts_return_type = "'string' | 'list' | 'hash' | 'set' | 'zset'")]
  pub fn kind(&self) -> &'static str {
    self.kind.name()
  }

  #[napi(getter)]
  pub fn length(&self) -> f64 {
    self.value.as_ref().map_or(0, Value::len) as f64
  }

  #[napi(getter)]
  pub fn memory_usage(&self) -> f64 {
    self.bytes as f64
  }

  #[napi(getter)]
  pub fn released(&self) -> bool {
    self.is_released()
  }

  #[napi(catch_unwind, ts_return_type = "unknown")]
  pub fn to_js(&self, env: Env, buffers: bool) -> Result<RawJs> {
    let value = self.get().map_err(|e| throw(&env, e))?;
    Converter::new(Js::new(&env)).to_js(value, buffers).map(RawJs).map_err(|e| conv(&env, e))
  }

  /// Gives the value up to `dropper` (this environment's default when
  /// absent). `true` when it went to the drop thread; `false` when it was
  /// freed inline or had already been released.
  #[napi(catch_unwind)]
  pub fn release(&mut self, env: Env, dropper: Option<&DropperHandle>) -> Result<bool> {
    let Some((value, bytes)) = self.take() else {
      return Ok(false);
    };
    let target = dropper.map_or_else(env_state::default_dropper, DropperHandle::core);
    let outcome = target.defer(value, bytes);
    report_spawn_error(&env, &target)?;
    Ok(outcome.deferred())
  }
}

impl ObjectFinalize for NativeHandle {
  fn finalize(mut self, _env: Env) -> Result<()> {
    if let Some((value, bytes)) = self.take() {
      env_state::default_dropper().defer(value, bytes);
    }
    Ok(())
  }
}
