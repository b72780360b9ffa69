//! `SharedKeyspaceHandle`: the JavaScript object over one lease on a
//! process-wide `shared::SharedKeyspace` (`Keyspace.open`, docs/api.md §4).
//!
//! It has the same method names and argument shapes as `KeyspaceHandle`, so
//! the facade's `Keyspace` drives either one unchanged: the command methods
//! are the same code, in `commands`, over this handle's lease. Each keeps
//! one order, which is what makes `worker.terminate()` harmless: (1) convert
//! the JavaScript arguments to owned bytes (this may run JavaScript: getters,
//! iterators), (2) run the command under its shard locks, producing owned
//! replies and running no JavaScript, (3) release the locks, (4) build the
//! JavaScript replies. A lock is therefore never held while JavaScript runs,
//! and a thread stopped at any point of (1) or (4) holds none.
//!
//! Lifecycle: each handle holds one `Lease`. `close()` drops it exactly once;
//! so does a collected handle's finalizer, and so does the teardown of the
//! environment that opened it (its leases are listed per thread below), so a
//! worker that ends never keeps a keyspace alive.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use bytes::Bytes;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{LfError, LfResult};
use crate::glue::errors::throw;
use crate::glue::fast;
use crate::glue::keyspace::{ExpireCycle, KeyspaceConfig};
use crate::glue::native_value::NativeHandle;
use crate::shared::{self, Lease, Spec};
use crate::value::Value;

type Slot = fast::LeaseSlot;

/// The leases this environment's handles hold (with their fast-path ids),
/// dropped at its teardown.
#[derive(Default)]
struct Leases(Vec<(Weak<RefCell<Option<Lease>>>, f64)>);

impl Leases {
  fn release_all(&mut self) {
    for (weak, id) in std::mem::take(&mut self.0) {
      fast::unregister(id);
      let Some(slot) = weak.upgrade() else { continue };
      // A lease in use cannot be borrowed: teardown never runs inside a
      // command, and a command never runs JavaScript while it borrows.
      if let Ok(mut s) = slot.try_borrow_mut() {
        drop(s.take());
      };
    }
  }
}

impl Drop for Leases {
  /// The thread is ending: whatever its environment did not release goes now.
  fn drop(&mut self) {
    self.release_all();
  }
}

thread_local! {
  static LEASES: RefCell<Leases> = RefCell::new(Leases::default());
}

fn adopt(slot: &Slot, id: f64) {
  let _ = LEASES.try_with(|l| {
    let mut l = l.borrow_mut();
    if l.0.len() >= 64 && l.0.len().is_power_of_two() {
      // The fast-path table holds a slot too: a dead one is empty, not gone.
      l.0.retain(|(w, _)| w.upgrade().is_some_and(|s| s.try_borrow().map_or(true, |s| s.is_some())));
    }
    l.0.push((Rc::downgrade(slot), id));
  });
}

/// Called when this environment tears down: detaches every handle it opened.
pub fn teardown() {
  let leases = LEASES.try_with(|l| std::mem::take(&mut *l.borrow_mut()));
  if let Ok(mut leases) = leases {
    leases.release_all();
  }
}

/// Returns the allocator's unused pages to the OS (every arena's).
#[cfg(all(target_os = "linux", not(feature = "mimalloc"), not(feature = "system-allocator")))]
fn purge() {
  // MALLCTL_ARENAS_ALL: every arena.
  const NAME: &std::ffi::CStr = c"arena.4096.purge";
  // SAFETY: NAME is a NUL-terminated mallctl name; `arena.<i>.purge` reads
  // and writes no value, so every pointer may be null and the length 0.
  let _ = unsafe {
    tikv_jemalloc_sys::mallctl(
      NAME.as_ptr(),
      std::ptr::null_mut(),
      std::ptr::null_mut(),
      std::ptr::null_mut(),
      0,
    )
  };
}

/// Other allocators return pages on their own.
#[cfg(not(all(target_os = "linux", not(feature = "mimalloc"), not(feature = "system-allocator"))))]
fn purge() {}

#[napi(custom_finalize)]
pub struct SharedKeyspaceHandle {
  slot: Slot,
  buffers: bool,
  name: String,
  /// This handle's entry in the fast functions' table (`fast.rs`).
  id: f64,
}

pub(crate) fn closed() -> LfError {
  LfError::Coded { code: "ERR_LAZYFREE_CLOSED", message: "this Keyspace has been closed".into() }
}

/// The facade's options as a shared keyspace's spec, checked as
/// `KeyspaceHandle`'s constructor checks them (`KeyspaceConfig::checked`).
fn spec_of(config: &KeyspaceConfig, hz: u32) -> LfResult<Spec> {
  let (policy, max_memory, lazyfree) = config.checked()?;
  Ok(Spec { max_memory, policy, lazyfree, hz, return_buffers: config.return_buffers })
}

impl SharedKeyspaceHandle {
  /// Where the shared command methods (`commands.rs`) run: the lease.
  pub(crate) fn target(&self) -> &RefCell<Option<Lease>> {
    &self.slot
  }

  /// Whether replies are `Buffer`s: the option the keyspace was created with.
  pub(crate) fn buffers(&self) -> bool {
    self.buffers
  }
}

#[napi]
impl SharedKeyspaceHandle {
  /// Opens the shared keyspace `name`; `config` absent attaches to a live
  /// one as it is (or creates it with the defaults).
  #[napi(factory, catch_unwind)]
  pub fn open(env: Env, name: String, config: Option<KeyspaceConfig>, hz: Option<u32>) -> Result<Self> {
    let spec = match &config {
      Some(c) => Some(spec_of(c, hz.unwrap_or(crate::keyspace::DEFAULT_HZ)).map_err(|e| throw(&env, e))?),
      None => None,
    };
    shared::set_purge(purge);
    let lease = shared::open(&name, spec).map_err(|e| throw(&env, e))?;
    let buffers = lease.spec().return_buffers;
    let slot: Slot = Rc::new(RefCell::new(Some(lease)));
    let id = fast::register_shared(Rc::clone(&slot), buffers);
    adopt(&slot, id);
    Ok(SharedKeyspaceHandle { slot, buffers, name, id })
  }

  /// The number `ksGet`/`ksSet`/`ksMget` find this handle by, on this
  /// thread; refused (`ERR_LAZYFREE_CLOSED`) once the handle is closed.
  #[napi(getter)]
  pub fn id(&self) -> f64 {
    self.id
  }

  #[napi(getter)]
  pub fn name(&self) -> String {
    self.name.clone()
  }

  /// Whether replies are `Buffer`s: the option the keyspace was created with.
  #[napi(getter)]
  pub fn return_buffers(&self) -> bool {
    self.buffers
  }

  /// Whether this handle still holds its lease.
  #[napi(getter)]
  pub fn open_now(&self) -> bool {
    self.slot.borrow().is_some()
  }

  /// Detaches this handle; the last one frees the keyspace. Idempotent.
  #[napi]
  pub fn close(&self) {
    let lease = self.slot.borrow_mut().take();
    fast::unregister(self.id);
    drop(lease);
  }

  /// One active expiry slice over every shard (the expiry thread runs them
  /// on its own; this is for callers that want one now).
  #[napi(catch_unwind)]
  pub fn active_expire_cycle(&mut self, env: Env, _budget_ms: f64) -> Result<ExpireCycle> {
    let behind = match self.slot.borrow().as_ref() {
      Some(lease) => lease.expire_slice(),
      None => return Err(throw(&env, closed())),
    };
    Ok(ExpireCycle { rounds: 0, sampled: 0.0, expired: 0.0, timed_out: behind })
  }
}

impl ObjectFinalize for SharedKeyspaceHandle {
  fn finalize(self, _env: Env) -> Result<()> {
    // A collected handle detaches, as close() does.
    self.close();
    Ok(())
  }
}

/// An identity of a `NativeValue`'s storage that survives moves and is the
/// same for two handles exactly when they hold the same allocation: the
/// address of its first buffer, mixed with a per-process key so no address
/// leaks to JavaScript. `null` for a released or empty value. For tests
/// that show a move between threads copies nothing.
#[napi(js_name = "nativeValueStorageId")]
pub fn native_value_storage_id(value: &NativeHandle) -> Option<String> {
  let value = value.get().ok()?;
  let first: Option<&Bytes> = match &*value {
    Value::String(b) => Some(b),
    Value::List(l) => l.front(),
    Value::Hash(h) => h.values().next(),
    Value::Set(s) => s.iter().next(),
    Value::SortedSet(z) => z.iter().next().map(|(m, _)| m),
  };
  let address = first?.as_ptr() as u64;
  static KEY: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(0u8)
  });
  Some(format!("{:016x}", (address ^ *KEY).wrapping_mul(0x9e37_79b9_7f4a_7c15)))
}
