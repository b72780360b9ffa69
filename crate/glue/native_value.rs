//! `NativeHandle`: the JavaScript object that owns one native value.
//!
//! The facade's `NativeValue` wraps it. Moving the value out (`release`,
//! `defer`, a keyspace's `setValue`) leaves the handle empty but keeps its
//! kind; a handle collected while it still owns a value sends it to this
//! environment's default dropper, so a finalizer never frees a large value
//! on the JavaScript thread unless that dropper is full or closed.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{LfError, LfResult};
use crate::glue::convert::Converter;
use crate::glue::env_state;
use crate::glue::errors::{conv, throw};
use crate::glue::fast::{self, NvCell};
use crate::glue::js::{Js, RawJs};
use crate::memory;
use crate::value::{Kind, Value};

#[napi(custom_finalize)]
pub struct NativeHandle {
  /// The value and its estimate, shared with the fast functions
  /// (`fast.rs`), which find it by `id`.
  cell: Rc<NvCell>,
  kind: Kind,
  id: f64,
}

impl NativeHandle {
  /// A handle over `value`, found by the fast functions under `id` (which
  /// the facade chose). On a refused id the value is handed back.
  pub fn with_bytes(
    value: Value,
    bytes: usize,
    id: f64,
  ) -> std::result::Result<NativeHandle, (LfError, Value)> {
    let kind = value.kind();
    let cell = Rc::new(RefCell::new((Some(value), bytes)));
    match fast::register_native(Rc::clone(&cell), id) {
      Ok(()) => Ok(NativeHandle { cell, kind, id }),
      Err(e) => {
        let value = cell.borrow_mut().0.take().expect("just stored");
        Err((e, value))
      }
    }
  }

  /// The value, unless it has been released.
  pub fn get(&self) -> LfResult<Ref<'_, Value>> {
    Ref::filter_map(self.cell.borrow(), |(v, _)| v.as_ref()).map_err(|_| LfError::released())
  }

  pub fn is_released(&self) -> bool {
    self.cell.borrow().0.is_none()
  }

  /// Moves the value out with its estimated bytes; the handle is released.
  pub fn take(&mut self) -> Option<(Value, usize)> {
    let mut state = self.cell.borrow_mut();
    let bytes = std::mem::take(&mut state.1);
    state.0.take().map(|v| (v, bytes))
  }

  /// Gives back a value taken out (a refused `setValue`); same kind.
  pub fn put_back(&mut self, value: Value, bytes: usize) {
    *self.cell.borrow_mut() = (Some(value), bytes);
  }
}

#[napi]
impl NativeHandle {
  /// Converts `value` by the contract's rules into a value of `kind`
  /// (`'auto'` infers it), naming bad parts from `root`.
  /// `id`: the number the fast functions will find it by, from the
  /// facade's counter.
  #[napi(factory, catch_unwind, ts_args_type = "value: unknown, kind: string, root: string, id: number")]
  pub fn convert(env: Env, value: RawJs, kind: String, root: String, id: f64) -> Result<NativeHandle> {
    let c = Converter::new(Js::new(&env));
    let converted = match kind.as_str() {
      "string" => c.string(value.0, &root),
      "list" => c.list(value.0, &root),
      "set" => c.set(value.0, &root),
      "hash" => c.hash(value.0, &root),
      "zset" => c.zset(value.0, &root),
      _ => c.value(value.0, &root),
    };
    let value = converted.map_err(|e| conv(&env, e))?;
    let bytes = memory::estimate(&value);
    NativeHandle::with_bytes(value, bytes, id).map_err(|(e, _)| throw(&env, e))
  }

  #[napi(getter, ts_return_type = "'string' | 'list' | 'hash' | 'set' | 'zset'")]
  pub fn kind(&self) -> &'static str {
    self.kind.name()
  }

  #[napi(getter)]
  pub fn length(&self) -> f64 {
    self.cell.borrow().0.as_ref().map_or(0, Value::len) as f64
  }

  #[napi(getter)]
  pub fn memory_usage(&self) -> f64 {
    self.cell.borrow().1 as f64
  }

  /// The number `dropperDefer`/`nativeRelease` find this value by.
  #[napi(getter)]
  pub fn id(&self) -> f64 {
    self.id
  }

  #[napi(getter)]
  pub fn released(&self) -> bool {
    self.is_released()
  }

  #[napi(catch_unwind, ts_return_type = "unknown")]
  pub fn to_js(&self, env: Env, buffers: bool) -> Result<RawJs> {
    let value = self.get().map_err(|e| throw(&env, e))?;
    Converter::new(Js::new(&env)).to_js(&value, buffers).map(RawJs).map_err(|e| conv(&env, e))
  }
}

impl ObjectFinalize for NativeHandle {
  fn finalize(mut self, _env: Env) -> Result<()> {
    fast::unregister_native(self.id);
    if let Some((value, bytes)) = self.take() {
      env_state::default_dropper().defer(value, bytes);
    }
    Ok(())
  }
}

/// @internal The first id of a block of 2^32 native value ids, for one copy
/// of the facade. Copies loaded in one thread (a second copy in
/// `node_modules`, a `vm` or Jest realm) take distinct blocks, so their
/// values never claim the same id in the thread's table.
#[napi]
pub fn native_id_block() -> f64 {
  use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
  static NEXT: AtomicU64 = AtomicU64::new(0);
  // 2^20 blocks of 2^32 ids stay below 2^53, the largest exact id.
  ((NEXT.fetch_add(1, Relaxed) % (1 << 20)) << 32) as f64
}
