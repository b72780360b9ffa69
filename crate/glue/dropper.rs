//! `DropperHandle`: the JavaScript object over one `Dropper`.
//!
//! Promises from `drain` and `close` are settled from the drop thread
//! through a thread-safe function, so waiting never blocks the event loop;
//! `close` joins the thread on the JavaScript thread only once the thread
//! has said it is done, when the join is immediate.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::JsDeferred;
use napi_derive::napi;

use crate::dropper::{Dropper, Options, Stats};
use crate::glue::convert::Converter;
use crate::glue::env_state;
use crate::glue::errors::{conv, report_spawn_error, throw};
use crate::glue::js::{Js, RawJs};
use crate::glue::native_value::NativeHandle;

/// Counters of one dropper, with the meanings of docs/api.md §2.
#[napi(object)]
pub struct DropperStats {
  /// Values handed to the thread, ever.
  pub deferred: f64,
  /// Values the thread has freed (Redis: `lazyfreed_objects`).
  pub freed: f64,
  /// `deferred - freed` (Redis: `lazyfree_pending_objects`).
  pub pending: f64,
  /// Estimated bytes handed over and not yet freed.
  pub pending_bytes: f64,
  /// Estimated bytes the thread has freed.
  pub freed_bytes: f64,
  /// Values freed inline because they were not large.
  pub inline_small: f64,
  /// Values freed inline because the queue was full.
  pub inline_full: f64,
  /// Values freed inline because the dropper was closed or its thread unavailable.
  pub inline_closed: f64,
  /// Messages in the channel right now.
  pub queued: f64,
  /// Channel slots.
  pub capacity: f64,
  /// Whether the drop thread is running.
  pub thread_running: bool,
}

impl From<Stats> for DropperStats {
  fn from(s: Stats) -> Self {
    DropperStats {
      deferred: s.deferred as f64,
      freed: s.freed as f64,
      pending: s.pending as f64,
      pending_bytes: s.pending_bytes as f64,
      freed_bytes: s.freed_bytes as f64,
      inline_small: s.inline_small as f64,
      inline_full: s.inline_full as f64,
      inline_closed: s.inline_closed as f64,
      queued: s.queued as f64,
      capacity: s.capacity as f64,
      thread_running: s.thread_running,
    }
  }
}

type Settle = Box<dyn FnOnce(Env) -> Result<()> + Send>;

#[napi(custom_finalize)]
pub struct DropperHandle {
  inner: Arc<Dropper>,
  /// The number the fast functions (`fast.rs`) find this dropper by.
  id: f64,
}

impl ObjectFinalize for DropperHandle {
  fn finalize(self, _env: Env) -> Result<()> {
    crate::glue::fast::unregister_dropper(self.id);
    Ok(())
  }
}

impl DropperHandle {
  pub fn core(&self) -> Arc<Dropper> {
    Arc::clone(&self.inner)
  }

  fn wrap(inner: Arc<Dropper>) -> DropperHandle {
    let id = crate::glue::fast::register_dropper(Arc::clone(&inner));
    DropperHandle { inner, id }
  }

  fn promise<'env>(
    env: &'env Env,
    wait: impl FnOnce(Box<dyn FnOnce() + Send>),
    settle: Settle,
  ) -> Result<Object<'env>> {
    let (deferred, promise): (JsDeferred<(), Settle>, Object<'env>) = env.create_deferred()?;
    wait(Box::new(move || deferred.resolve(settle)));
    Ok(promise)
  }
}

#[napi]
impl DropperHandle {
  /// A dropper with its own thread, started now. Options are validated here
  /// as well as in the facade.
  #[napi(constructor, catch_unwind)]
  pub fn new(env: Env, capacity: f64, threshold: f64, name: String) -> Result<Self> {
    let options = Options::validated(capacity, threshold, name).map_err(|e| throw(&env, e))?;
    let inner = Arc::new(Dropper::spawn(options));
    env_state::adopt(&inner);
    report_spawn_error(&env, &inner)?;
    Ok(DropperHandle::wrap(inner))
  }

  /// This environment's default dropper.
  #[napi(factory)]
  pub fn default_dropper() -> Self {
    DropperHandle::wrap(env_state::default_dropper())
  }

  #[napi(getter)]
  pub fn id(&self) -> f64 {
    self.id
  }

  #[napi(getter)]
  pub fn capacity(&self) -> f64 {
    self.inner.capacity() as f64
  }

  #[napi(getter)]
  pub fn threshold(&self) -> f64 {
    match self.inner.threshold() {
      u64::MAX => f64::INFINITY,
      t => t as f64,
    }
  }

  #[napi(getter)]
  pub fn closed(&self) -> bool {
    self.inner.is_closed()
  }

  #[napi(catch_unwind)]
  pub fn defer_value(&self, env: Env, value: &mut NativeHandle) -> Result<bool> {
    let Some((value, bytes)) = value.take() else {
      return Err(throw(&env, crate::error::LfError::released()));
    };
    let outcome = self.inner.defer(value, bytes);
    report_spawn_error(&env, &self.inner)?;
    Ok(outcome.deferred())
  }

  #[napi(catch_unwind, ts_args_type = "value: unknown")]
  pub fn defer_js(&self, env: Env, value: RawJs) -> Result<bool> {
    let value = Converter::new(Js::new(&env)).value(value.0, "value").map_err(|e| conv(&env, e))?;
    let bytes = crate::memory::estimate(&value);
    let outcome = self.inner.defer(value, bytes);
    report_spawn_error(&env, &self.inner)?;
    Ok(outcome.deferred())
  }

  /// Moves every value out of `values` and hands them over in one message.
  /// Refuses (changing nothing) a released value or one listed twice.
  #[napi(catch_unwind)]
  pub fn defer_all(&self, env: Env, mut values: Vec<ClassInstance<NativeHandle>>) -> Result<bool> {
    let mut seen = std::collections::HashSet::with_capacity(values.len());
    for (i, handle) in values.iter().enumerate() {
      if handle.is_released() {
        return Err(throw(&env, crate::error::LfError::released_at(&format!("values[{i}]"))));
      }
      if !seen.insert(&**handle as *const NativeHandle) {
        return Err(throw(
          &env,
          crate::error::LfError::Type(format!(
            "values[{i}] is listed twice; each NativeValue can be released once"
          )),
        ));
      }
    }
    let mut taken = Vec::with_capacity(values.len());
    let mut bytes = 0;
    for handle in values.iter_mut() {
      if let Some((value, b)) = handle.take() {
        taken.push(value);
        bytes += b;
      }
    }
    let outcome = self.inner.defer_all(taken, bytes);
    report_spawn_error(&env, &self.inner)?;
    Ok(outcome.deferred())
  }

  #[napi]
  pub fn stats(&self) -> DropperStats {
    self.inner.stats().into()
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn drain<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
    Self::promise(env, |done| self.inner.drain(done), Box::new(|_| Ok(())))
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn close<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
    let inner = Arc::clone(&self.inner);
    Self::promise(
      env,
      |done| self.inner.close(done),
      Box::new(move |_| {
        inner.join();
        Ok(())
      }),
    )
  }
}
