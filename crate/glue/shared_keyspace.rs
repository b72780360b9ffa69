//! `SharedKeyspaceHandle`: the JavaScript object over one lease on a
//! process-wide `shared::SharedKeyspace` (`Keyspace.open`, docs/api.md §4).
//!
//! It has the same method names and argument shapes as `KeyspaceHandle`, so
//! the facade's `Keyspace` drives either one unchanged. Each method keeps
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
use crate::glue::convert::Converter;
use crate::glue::errors::report_spawn_error;
use crate::glue::errors::{conv, throw};
use crate::glue::fast;
use crate::glue::js::{Js, RawJs};
use crate::glue::keyspace::{ExpireCycle, KeyspaceConfig, KeyspaceInfo, ScanStep};
use crate::glue::native_value::NativeHandle;
use crate::glue::reply::{
  array, bulk, hgetall_reply, i64_of, int, ok, optional, safe_integer_result, scan_kind,
};
use crate::keyspace::{Info, Keyspace, LazyFree, Policy, SetOptions};
use crate::shared::{self, Lease, SharedKeyspace, Spec};
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

fn owned(items: Vec<&Bytes>) -> Vec<Bytes> {
  items.into_iter().cloned().collect()
}

fn closed() -> LfError {
  LfError::Coded { code: "ERR_LAZYFREE_CLOSED", message: "this Keyspace has been closed".into() }
}

/// The facade's options as a shared keyspace's spec, checked as
/// `KeyspaceHandle`'s constructor checks them.
fn spec_of(config: &KeyspaceConfig, hz: u32) -> LfResult<Spec> {
  let policy = Policy::from_name(&config.policy)
    .ok_or_else(|| LfError::Range(format!("unknown eviction policy '{}'", config.policy)))?;
  if !(config.max_memory >= 0.0 && config.max_memory.fract() == 0.0 && config.max_memory.is_finite()) {
    return Err(LfError::Range(format!("maxMemory {} is not a byte count", config.max_memory)));
  }
  Ok(Spec {
    max_memory: config.max_memory as usize,
    policy,
    lazyfree: LazyFree {
      eviction: config.eviction,
      expire: config.expire,
      server_del: config.server_del,
      user_del: config.user_del,
      user_flush: config.user_flush,
    },
    hz,
    return_buffers: config.return_buffers,
  })
}

fn info_js(i: Info) -> KeyspaceInfo {
  KeyspaceInfo {
    keys: i.keys as f64,
    expires: i.expires as f64,
    used_memory: i.used_memory as f64,
    maxmemory: i.maxmemory as f64,
    evicted_keys: i.evicted_keys as f64,
    expired_keys: i.expired_keys as f64,
    keyspace_hits: i.keyspace_hits as f64,
    keyspace_misses: i.keyspace_misses as f64,
    lazyfree_pending_objects: i.lazyfree_pending_objects as f64,
    lazyfreed_objects: i.lazyfreed_objects as f64,
  }
}

impl SharedKeyspaceHandle {
  /// Runs `f` on the keyspace (step 2 of the module doc): no JavaScript may
  /// run inside it.
  fn with<R>(&self, env: &Env, f: impl FnOnce(&SharedKeyspace) -> R) -> napi::Result<R> {
    let slot = self.slot.borrow();
    match slot.as_ref() {
      Some(lease) => Ok(f(lease)),
      None => Err(throw(env, closed())),
    }
  }

  /// A single-key command on `key`'s shard.
  fn on<R>(&self, env: &Env, key: &str, f: impl FnOnce(&mut Keyspace) -> R) -> napi::Result<R> {
    self.with(env, |ks| ks.with_key(key, f))
  }

  /// Reports a drop thread that could not start (values then free inline).
  fn report(&self, env: &Env) -> napi::Result<()> {
    let dropper = self.slot.borrow().as_ref().map(|l| std::sync::Arc::clone(l.dropper()));
    match dropper {
      Some(d) => report_spawn_error(env, &d),
      None => Ok(()),
    }
  }

  fn scalars(env: &Env, values: &[RawJs], root: &str) -> napi::Result<Vec<Bytes>> {
    let c = Converter::new(Js::new(env));
    values
      .iter()
      .enumerate()
      .map(|(i, v)| c.scalar(v.0, &|| format!("{root}[{i}]")).map_err(|e| conv(env, e)))
      .collect()
  }

  fn scalar(env: &Env, value: RawJs, name: &str) -> napi::Result<Bytes> {
    Converter::new(Js::new(env)).scalar(value.0, &|| name.to_string()).map_err(|e| conv(env, e))
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

  #[napi(getter, catch_unwind)]
  pub fn size(&self, env: Env) -> Result<f64> {
    self.with(&env, |ks| ks.size() as f64)
  }

  #[napi(catch_unwind)]
  pub fn exists(&mut self, env: Env, keys: Vec<String>) -> Result<f64> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    self.with(&env, |ks| ks.exists(&keys) as f64)
  }

  #[napi(
    js_name = "type",
    catch_unwind,
    ts_return_type = "'string' | 'list' | 'hash' | 'set' | 'zset' | 'none'"
  )]
  pub fn kind(&mut self, env: Env, key: String) -> Result<&'static str> {
    self.on(&env, &key, |s| s.kind(&key).map_or("none", |k| k.name()))
  }

  #[napi(catch_unwind)]
  pub fn del(&mut self, env: Env, keys: Vec<String>) -> Result<f64> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let n = self.with(&env, |ks| ks.del(&keys))?;
    self.report(&env)?;
    Ok(n as f64)
  }

  #[napi(catch_unwind)]
  pub fn unlink(&mut self, env: Env, keys: Vec<String>) -> Result<f64> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let n = self.with(&env, |ks| ks.unlink(&keys))?;
    self.report(&env)?;
    Ok(n as f64)
  }

  #[napi(catch_unwind)]
  pub fn rename(&mut self, env: Env, key: String, new_key: String) -> Result<()> {
    let r = self.with(&env, |ks| ks.rename(&key, &new_key))?;
    ok(&env, r)
  }

  #[napi(catch_unwind)]
  pub fn keys(&self, env: Env, pattern: String) -> Result<Vec<String>> {
    self.with(&env, |ks| ks.keys(&pattern).iter().map(|k| k.to_string()).collect())
  }

  #[napi(catch_unwind)]
  pub fn expire(&mut self, env: Env, key: String, seconds: f64) -> Result<bool> {
    let r = self.on(&env, &key, |s| s.expire(&key, int(seconds)))?;
    ok(&env, r)
  }

  #[napi(catch_unwind)]
  pub fn pexpire(&mut self, env: Env, key: String, ms: f64) -> Result<bool> {
    let r = self.on(&env, &key, |s| s.pexpire(&key, int(ms)))?;
    ok(&env, r)
  }

  #[napi(catch_unwind)]
  pub fn ttl(&mut self, env: Env, key: String) -> Result<f64> {
    self.on(&env, &key, |s| s.ttl(&key) as f64)
  }

  #[napi(catch_unwind)]
  pub fn pttl(&mut self, env: Env, key: String) -> Result<f64> {
    self.on(&env, &key, |s| s.pttl(&key) as f64)
  }

  #[napi(catch_unwind)]
  pub fn persist(&mut self, env: Env, key: String) -> Result<bool> {
    self.on(&env, &key, |s| s.persist(&key))
  }

  #[napi(catch_unwind)]
  pub fn flush(&mut self, env: Env, async_: Option<bool>) -> Result<bool> {
    let deferred = self.with(&env, |ks| ks.flush(async_))?;
    self.report(&env)?;
    Ok(deferred)
  }

  #[napi(
    catch_unwind,
    ts_args_type = "key: string, value: unknown, ex?: number, px?: number, nx?: boolean, xx?: boolean, keepTtl?: boolean"
  )]
  #[allow(clippy::too_many_arguments)]
  pub fn set(
    &mut self,
    env: Env,
    key: String,
    value: RawJs,
    ex: Option<f64>,
    px: Option<f64>,
    nx: Option<bool>,
    xx: Option<bool>,
    keep_ttl: Option<bool>,
  ) -> Result<bool> {
    let value = Self::scalar(&env, value, "value")?;
    let opts = SetOptions {
      ex: ex.map(int),
      px: px.map(int),
      nx: nx.unwrap_or(false),
      xx: xx.unwrap_or(false),
      keep_ttl: keep_ttl.unwrap_or(false),
    };
    let r = self.on(&env, &key, |s| s.set(&key, value, opts))?;
    ok(&env, r)
  }

  #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
  pub fn get(&mut self, env: Env, key: String) -> Result<RawJs> {
    let r = self.on(&env, &key, |s| s.get(&key).map(|v| v.cloned()))?;
    let value = ok(&env, r)?;
    optional(&env, self.buffers, value.as_ref())
  }

  /// MGET: `null` for a missing key or one of another kind, as Redis.
  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer | null>")]
  pub fn mget(&mut self, env: Env, keys: Vec<String>) -> Result<RawJs> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let values = self.with(&env, |ks| ks.mget(&keys))?;
    let c = Converter::new(Js::new(&env));
    let array = c.js().create_array(values.len())?;
    for (i, value) in values.iter().enumerate() {
      let item = match value {
        Some(b) => bulk(&c, self.buffers, b)?,
        None => c.js().null()?,
      };
      c.js().set_element(array, i as u32, item)?;
    }
    Ok(RawJs(array))
  }

  /// MSET: `values[i]` goes with `keys[i]`; all or nothing. Every value is
  /// converted before the keyspace is touched, so a bad one changes nothing.
  #[napi(catch_unwind, ts_args_type = "keys: string[], values: unknown[]")]
  pub fn mset(&mut self, env: Env, keys: Vec<String>, values: Vec<RawJs>) -> Result<()> {
    let values = Self::scalars(&env, &values, "values")?;
    let pairs: Vec<(&str, Bytes)> = keys.iter().map(String::as_str).zip(values).collect();
    let r = self.with(&env, |ks| ks.mset(pairs))?;
    ok(&env, r)?;
    self.report(&env)
  }

  #[napi(catch_unwind)]
  pub fn incrby(&mut self, env: Env, key: String, n: f64) -> Result<f64> {
    let r = self.on(&env, &key, |s| s.incrby_checked(&key, int(n), safe_integer_result(n)))?;
    ok(&env, r).map(|v| v as f64)
  }

  /// INCRBY with a bigint: exact over Redis's 64-bit range.
  #[napi(catch_unwind)]
  pub fn incrby_big(&mut self, env: Env, key: String, n: BigInt) -> Result<BigInt> {
    let n = i64_of(&env, n)?;
    let r = self.on(&env, &key, |s| s.incrby(&key, n))?;
    ok(&env, r).map(BigInt::from)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, value: unknown")]
  pub fn append(&mut self, env: Env, key: String, value: RawJs) -> Result<f64> {
    let value = Self::scalar(&env, value, "value")?;
    let r = self.on(&env, &key, |s| s.append(&key, &value))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind)]
  pub fn strlen(&mut self, env: Env, key: String) -> Result<f64> {
    let r = self.on(&env, &key, |s| s.strlen(&key))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, values: unknown[]")]
  pub fn lpush(&mut self, env: Env, key: String, values: Vec<RawJs>) -> Result<f64> {
    let values = Self::scalars(&env, &values, "values")?;
    let r = self.on(&env, &key, |s| s.lpush(&key, values))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, values: unknown[]")]
  pub fn rpush(&mut self, env: Env, key: String, values: Vec<RawJs>) -> Result<f64> {
    let values = Self::scalars(&env, &values, "values")?;
    let r = self.on(&env, &key, |s| s.rpush(&key, values))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
  pub fn lpop(&mut self, env: Env, key: String) -> Result<RawJs> {
    let r = self.on(&env, &key, |s| s.lpop(&key))?;
    let value = ok(&env, r)?;
    optional(&env, self.buffers, value.as_ref())
  }

  #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
  pub fn rpop(&mut self, env: Env, key: String) -> Result<RawJs> {
    let r = self.on(&env, &key, |s| s.rpop(&key))?;
    let value = ok(&env, r)?;
    optional(&env, self.buffers, value.as_ref())
  }

  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
  pub fn lrange(&mut self, env: Env, key: String, start: f64, stop: f64) -> Result<RawJs> {
    let r = self.on(&env, &key, |s| s.lrange(&key, int(start), int(stop)).map(owned))?;
    let items = ok(&env, r)?;
    array(&env, self.buffers, items.iter())
  }

  #[napi(catch_unwind)]
  pub fn llen(&mut self, env: Env, key: String) -> Result<f64> {
    let r = self.on(&env, &key, |s| s.llen(&key))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
  pub fn lindex(&mut self, env: Env, key: String, index: f64) -> Result<RawJs> {
    let r = self.on(&env, &key, |s| s.lindex(&key, int(index)).map(|v| v.cloned()))?;
    let value = ok(&env, r)?;
    optional(&env, self.buffers, value.as_ref())
  }

  #[napi(catch_unwind, ts_args_type = "key: string, fields: unknown")]
  pub fn hset(&mut self, env: Env, key: String, fields: RawJs) -> Result<f64> {
    let hash = Converter::new(Js::new(&env)).hash(fields.0, "fields").map_err(|e| conv(&env, e))?;
    let Value::Hash(map) = hash else { unreachable!("hash() builds a hash") };
    let r = self.on(&env, &key, |s| s.hset(&key, map.into_iter().collect()))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(
    catch_unwind,
    ts_args_type = "key: string, field: unknown",
    ts_return_type = "string | Buffer | null"
  )]
  pub fn hget(&mut self, env: Env, key: String, field: RawJs) -> Result<RawJs> {
    let field = Self::scalar(&env, field, "field")?;
    let r = self.on(&env, &key, |s| s.hget(&key, &field).map(|v| v.cloned()))?;
    let value = ok(&env, r)?;
    optional(&env, self.buffers, value.as_ref())
  }

  #[napi(catch_unwind, ts_args_type = "key: string, fields: unknown[]")]
  pub fn hdel(&mut self, env: Env, key: String, fields: Vec<RawJs>) -> Result<f64> {
    let fields = Self::scalars(&env, &fields, "fields")?;
    let fields: Vec<&[u8]> = fields.iter().map(|f| &f[..]).collect();
    let r = self.on(&env, &key, |s| s.hdel(&key, &fields))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
  pub fn hgetall(&mut self, env: Env, key: String, buffers: Option<bool>) -> Result<RawJs> {
    let r = self.on(&env, &key, |s| {
      s.hgetall(&key).map(|pairs| pairs.into_iter().map(|(f, v)| (f.clone(), v.clone())).collect::<Vec<_>>())
    })?;
    let pairs = ok(&env, r)?;
    hgetall_reply(&env, &key, &pairs, buffers.map_or((false, self.buffers), |b| (b, b)))
  }

  /// SCAN across the shards (see `SharedKeyspace::scan` for the cursor).
  #[napi(catch_unwind)]
  pub fn scan(
    &mut self,
    env: Env,
    cursor: f64,
    count: f64,
    pattern: Option<String>,
    kind: Option<String>,
  ) -> Result<ScanStep> {
    let kind = scan_kind(&env, kind.as_deref())?;
    let (next, keys) =
      self.with(&env, |ks| ks.scan(cursor as u64, count as usize, pattern.as_deref(), kind))?;
    Ok(ScanStep { cursor: next as f64, keys: keys.iter().map(|k| k.to_string()).collect() })
  }

  #[napi(catch_unwind)]
  pub fn hlen(&mut self, env: Env, key: String) -> Result<f64> {
    let r = self.on(&env, &key, |s| s.hlen(&key))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, field: unknown")]
  pub fn hexists(&mut self, env: Env, key: String, field: RawJs) -> Result<bool> {
    let field = Self::scalar(&env, field, "field")?;
    let r = self.on(&env, &key, |s| s.hexists(&key, &field))?;
    ok(&env, r)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
  pub fn sadd(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
    let members = Self::scalars(&env, &members, "members")?;
    let r = self.on(&env, &key, |s| s.sadd(&key, members))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
  pub fn srem(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
    let members = Self::scalars(&env, &members, "members")?;
    let members: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
    let r = self.on(&env, &key, |s| s.srem(&key, &members))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
  pub fn smembers(&mut self, env: Env, key: String) -> Result<RawJs> {
    let r = self.on(&env, &key, |s| s.smembers(&key).map(owned))?;
    let members = ok(&env, r)?;
    array(&env, self.buffers, members.iter())
  }

  #[napi(catch_unwind, ts_args_type = "key: string, member: unknown")]
  pub fn sismember(&mut self, env: Env, key: String, member: RawJs) -> Result<bool> {
    let member = Self::scalar(&env, member, "member")?;
    let r = self.on(&env, &key, |s| s.sismember(&key, &member))?;
    ok(&env, r)
  }

  #[napi(catch_unwind)]
  pub fn scard(&mut self, env: Env, key: String) -> Result<f64> {
    let r = self.on(&env, &key, |s| s.scard(&key))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, scores: number[], members: unknown[]")]
  pub fn zadd(&mut self, env: Env, key: String, scores: Vec<f64>, members: Vec<RawJs>) -> Result<f64> {
    let members = Self::scalars(&env, &members, "members")?;
    let pairs = scores.into_iter().zip(members).collect();
    let r = self.on(&env, &key, |s| s.zadd(&key, pairs))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
  pub fn zrem(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
    let members = Self::scalars(&env, &members, "members")?;
    let members: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
    let r = self.on(&env, &key, |s| s.zrem(&key, &members))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, member: unknown")]
  pub fn zscore(&mut self, env: Env, key: String, member: RawJs) -> Result<Option<f64>> {
    let member = Self::scalar(&env, member, "member")?;
    let r = self.on(&env, &key, |s| s.zscore(&key, &member))?;
    ok(&env, r)
  }

  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer | [string | Buffer, number]>")]
  pub fn zrange(&mut self, env: Env, key: String, start: f64, stop: f64, with_scores: bool) -> Result<RawJs> {
    let r = self.on(&env, &key, |s| {
      s.zrange(&key, int(start), int(stop))
        .map(|v| v.into_iter().map(|(m, sc)| (m.clone(), sc)).collect::<Vec<_>>())
    })?;
    let items = ok(&env, r)?;
    let c = Converter::new(Js::new(&env));
    let js = c.js();
    let array = js.create_array(items.len())?;
    for (i, (member, score)) in items.iter().enumerate() {
      let member = bulk(&c, self.buffers, member)?;
      let item = if with_scores {
        let pair = js.create_array(2)?;
        js.set_element(pair, 0, member)?;
        js.set_element(pair, 1, js.create_number(*score)?)?;
        pair
      } else {
        member
      };
      js.set_element(array, i as u32, item)?;
    }
    Ok(RawJs(array))
  }

  #[napi(catch_unwind)]
  pub fn zcard(&mut self, env: Env, key: String) -> Result<f64> {
    let r = self.on(&env, &key, |s| s.zcard(&key))?;
    ok(&env, r).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, increment: number, member: unknown")]
  pub fn zincrby(&mut self, env: Env, key: String, increment: f64, member: RawJs) -> Result<f64> {
    let member = Self::scalar(&env, member, "member")?;
    let r = self.on(&env, &key, |s| s.zincrby(&key, increment, member))?;
    ok(&env, r)
  }

  /// Moves `value`'s contents in (no copy); on a refusal (OOM) they are put
  /// back.
  #[napi(catch_unwind)]
  pub fn set_value(&mut self, env: Env, key: String, value: &mut NativeHandle) -> Result<()> {
    if self.slot.borrow().is_none() {
      return Err(throw(&env, closed()));
    }
    let Some((contents, bytes)) = value.take() else {
      return Err(throw(&env, LfError::released_at("value")));
    };
    match self.on(&env, &key, |s| s.set_value(&key, contents, bytes))? {
      Ok(()) => self.report(&env),
      Err(refused) => {
        value.put_back(refused.value, bytes);
        Err(throw(&env, refused.error))
      }
    }
  }

  /// `id`: the number the fast functions will find the value by, from the
  /// facade's counter. Checked before the key is touched.
  #[napi(catch_unwind)]
  pub fn take_value(&mut self, env: Env, key: String, id: f64) -> Result<Option<NativeHandle>> {
    fast::check_native_id(id).map_err(|e| throw(&env, e))?;
    let Some((value, bytes)) = self.on(&env, &key, |s| s.take_value(&key))? else { return Ok(None) };
    match NativeHandle::with_bytes(value, bytes, id) {
      Ok(handle) => Ok(Some(handle)),
      Err((e, value)) => {
        // Not reached (the id was checked above); if it were, the value
        // goes back where it was, so nothing is lost.
        let _ = self.on(&env, &key, |s| s.set_value(&key, value, bytes));
        Err(throw(&env, e))
      }
    }
  }

  #[napi(catch_unwind)]
  pub fn info(&self, env: Env) -> Result<KeyspaceInfo> {
    self.with(&env, |ks| info_js(ks.info()))
  }

  /// One active expiry slice over every shard (the expiry thread runs them
  /// on its own; this is for callers that want one now).
  #[napi(catch_unwind)]
  pub fn active_expire_cycle(&mut self, env: Env, _budget_ms: f64) -> Result<ExpireCycle> {
    let behind = self.with(&env, |ks| ks.expire_slice())?;
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
