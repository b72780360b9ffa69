//! `KeyspaceHandle`: the JavaScript object over one `keyspace::Keyspace`.
//!
//! Thin by design: its command methods are written once, in `commands`, for
//! this class and `SharedKeyspaceHandle` alike. Arguments are converted with
//! `convert` (keys arrive as strings, values as scalars by the contract's
//! rules), each method calls one keyspace command, and replies go back as
//! strings — or `Buffer`s when the
//! keyspace was made with `returnBuffers` — with errors thrown through
//! `errors`. The facade's `Keyspace` checks argument shapes first and gives
//! the replies their final form. A handle collected while it still holds
//! keys hands its whole table to its dropper, so a finalizer never frees a
//! big keyspace on the JavaScript thread.

use std::cell::{RefCell, RefMut};
use std::rc::Rc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{LfError, LfResult};
use crate::glue::dropper::DropperHandle;
use crate::glue::errors::{report_spawn_error, throw};
use crate::glue::fast::{self, KsCell};
use crate::keyspace::{Config, Keyspace, LazyFree, Policy};

/// How a keyspace is made; the facade validates and fills every field.
#[napi(object)]
pub struct KeyspaceConfig {
  /// Bytes; 0 means no limit.
  pub max_memory: f64,
  /// One of Redis's `maxmemory-policy` names.
  pub policy: String,
  pub eviction: bool,
  pub expire: bool,
  pub server_del: bool,
  pub user_del: bool,
  pub user_flush: bool,
  pub return_buffers: bool,
}

impl KeyspaceConfig {
  /// The eviction policy, the byte limit and what frees lazily, checked:
  /// an unknown policy or a limit that is not a byte count is a `RangeError`.
  /// Own and shared keyspaces are made from these alike.
  pub(crate) fn checked(&self) -> LfResult<(Policy, usize, LazyFree)> {
    let policy = Policy::from_name(&self.policy)
      .ok_or_else(|| LfError::Range(format!("unknown eviction policy '{}'", self.policy)))?;
    if !(self.max_memory >= 0.0 && self.max_memory.fract() == 0.0 && self.max_memory.is_finite()) {
      return Err(LfError::Range(format!("maxMemory {} is not a byte count", self.max_memory)));
    }
    let lazyfree = LazyFree {
      eviction: self.eviction,
      expire: self.expire,
      server_del: self.server_del,
      user_del: self.user_del,
      user_flush: self.user_flush,
    };
    Ok((policy, self.max_memory as usize, lazyfree))
  }
}

/// What `Keyspace#info` reports, with Redis's field names. The facade's
/// `KeyspaceInfo` is this type: these docs are the published ones.
#[napi(object)]
pub struct KeyspaceInfo {
  /// Keys held (DBSIZE).
  pub keys: f64,
  /// Keys with a TTL.
  pub expires: f64,
  /// Bytes held by the entries (key + value estimate + fixed overhead each), plus bytes the dropper has not freed yet.
  #[napi(js_name = "used_memory")]
  pub used_memory: f64,
  /// The limit in bytes; 0 for none.
  pub maxmemory: f64,
  /// Keys evicted to make room, ever.
  #[napi(js_name = "evicted_keys")]
  pub evicted_keys: f64,
  /// Keys removed because their TTL passed, ever.
  #[napi(js_name = "expired_keys")]
  pub expired_keys: f64,
  /// Reads that found their key.
  #[napi(js_name = "keyspace_hits")]
  pub keyspace_hits: f64,
  /// Reads that did not.
  #[napi(js_name = "keyspace_misses")]
  pub keyspace_misses: f64,
  /// The dropper's values not yet freed.
  #[napi(js_name = "lazyfree_pending_objects")]
  pub lazyfree_pending_objects: f64,
  /// The dropper's values freed, ever.
  #[napi(js_name = "lazyfreed_objects")]
  pub lazyfreed_objects: f64,
}

/// What one active expiry cycle did.
#[napi(object)]
pub struct ExpireCycle {
  pub rounds: u32,
  pub sampled: f64,
  pub expired: f64,
  pub timed_out: bool,
}

/// One SCAN step: the next cursor (0 when done) and the keys found.
#[napi(object)]
pub struct ScanStep {
  pub cursor: f64,
  pub keys: Vec<String>,
}

#[napi(custom_finalize)]
pub struct KeyspaceHandle {
  /// Shared with the fast functions (`fast.rs`), which find it by `id`.
  cell: Rc<KsCell>,
  id: f64,
}

impl KeyspaceHandle {
  /// The keyspace, borrowed for one command (see `commands::Target`).
  fn ks(&self) -> RefMut<'_, Keyspace> {
    self.cell.ks.borrow_mut()
  }

  /// Where the shared command methods (`commands.rs`) run.
  pub(crate) fn target(&self) -> &KsCell {
    &self.cell
  }

  /// Whether replies are `Buffer`s (`returnBuffers`).
  pub(crate) fn buffers(&self) -> bool {
    self.cell.buffers
  }
}

#[napi]
impl KeyspaceHandle {
  #[napi(constructor, catch_unwind)]
  pub fn new(env: Env, config: KeyspaceConfig, dropper: &DropperHandle) -> Result<Self> {
    let (policy, max_memory, lazyfree) = config.checked().map_err(|e| throw(&env, e))?;
    let core = Config { max_memory, policy, lazyfree, ..Config::default() };
    let cell = Rc::new(KsCell {
      ks: RefCell::new(Keyspace::new(core, dropper.core())),
      buffers: config.return_buffers,
    });
    let id = fast::register(Rc::clone(&cell));
    Ok(KeyspaceHandle { cell, id })
  }

  /// The number `ksGet`/`ksSet` find this keyspace by, on this thread.
  #[napi(getter)]
  pub fn id(&self) -> f64 {
    self.id
  }

  /// One active expiry cycle with a time budget in milliseconds.
  #[napi(catch_unwind)]
  pub fn active_expire_cycle(&mut self, env: Env, budget_ms: f64) -> Result<ExpireCycle> {
    let budget = Duration::from_secs_f64(budget_ms.clamp(0.0, 1000.0) / 1000.0);
    let r = self.ks().active_expire_cycle(budget);
    report_spawn_error(&env, self.ks().dropper())?;
    Ok(ExpireCycle {
      rounds: r.rounds,
      sampled: r.sampled as f64,
      expired: r.expired as f64,
      timed_out: r.timed_out,
    })
  }
}

impl ObjectFinalize for KeyspaceHandle {
  fn finalize(self, _env: Env) -> Result<()> {
    // A collected keyspace's entries are freed by its dropper, in one message.
    self.ks().flush(Some(true));
    fast::unregister(self.id);
    Ok(())
  }
}
