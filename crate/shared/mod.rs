//! One keyspace for every thread: a process-wide registry of named,
//! sharded keyspaces (docs/api.md §4, docs/shared.md).
//!
//! A [`SharedKeyspace`] is a fixed number of core [`Keyspace`]s ("shards"),
//! each behind its own mutex; a key lives in the shard its hash picks. The
//! guarantees, which the tests beside this file and the loom model
//! (`loom.rs`) check:
//!
//! - Every command is atomic with respect to other threads. A single-key
//!   command locks one shard. A multi-key command (`del`, `unlink`, `exists`,
//!   `rename`, `mget`, `mset`, `keys`, `flush`, `info`, `size`) locks every shard it needs
//!   before it acts, always in ascending shard order — one global order, so
//!   two commands can never wait for each other — and releases them all
//!   after. `rename` between shards moves the value (the same allocation)
//!   and its TTL while both shards are held, so no thread sees both keys or
//!   neither.
//! - No lock is held while JavaScript runs: the glue converts arguments to
//!   owned bytes first, runs the command under the lock producing owned
//!   replies, and builds JS values after the lock is released. A thread that
//!   ends (even `worker.terminate()`) can therefore never leave a shard
//!   locked; a poisoned mutex (a panic under the lock) is entered anyway,
//!   since every core command leaves its shard consistent or panics before
//!   changing it.
//! - The keyspace lives while any [`Lease`] (one per `Keyspace.open`) is
//!   alive. The last lease's drop removes the name from the registry (a later
//!   open creates a fresh keyspace), and the keyspace's drop hands every
//!   shard's table to its own drop thread in one message each and closes
//!   that thread, which frees them and exits.
//! - `maxmemory` is split evenly between the shards (`max_memory / shards`,
//!   rounded down), each shard enforcing its part as an unshared keyspace
//!   does; `info().maxmemory` reports the whole.
//! - Active expiry runs on a native thread of its own, `hz` times a second,
//!   taking one shard lock at a time for at most [`EXPIRE_SLICE`]; it stops
//!   within one tick of the keyspace being dropped.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, LazyLock, OnceLock, Weak};
use std::time::Duration;

use crate::dropper::{Dropper, Options as DropperOptions};
use crate::error::{LfError, LfResult};
use crate::keyspace::{errors, Config, Info, Key, Keyspace, LazyFree, Policy, SetOptions};
use crate::value::{Bytes, Kind, Value};
// The shard locks are loom's in the model checks (`loom.rs`).
use crate::sync::{Mutex, MutexGuard};

#[cfg(all(test, loom))]
mod loom;
#[cfg(all(test, not(loom)))]
mod tests;

/// Shards per keyspace: enough that a few threads rarely meet on one lock.
pub const SHARDS: usize = 16;
/// Longest the expiry thread holds one shard per slice.
pub const EXPIRE_SLICE: Duration = Duration::from_millis(1);
/// Pause between slices while expired keys are piling up.
pub const EXPIRE_FAST_GAP: Duration = Duration::from_millis(2);
/// The error code of an `open` whose options differ from the live keyspace's.
pub const OPTIONS_CONFLICT: &str = "ERR_LAZYFREE_SHARED_OPTIONS";

/// What a shared keyspace is made with; two opens agree when these are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
  /// Bytes for the whole keyspace; 0 means no limit.
  pub max_memory: usize,
  pub policy: Policy,
  pub lazyfree: LazyFree,
  /// Active expiry cycles per second; 0 turns the expiry thread off.
  pub hz: u32,
  /// Replies as `Buffer`s (a glue matter, kept here so opens agree on it).
  pub return_buffers: bool,
}

impl Default for Spec {
  fn default() -> Self {
    Spec {
      max_memory: 0,
      policy: Policy::NoEviction,
      lazyfree: LazyFree::default(),
      hz: crate::keyspace::DEFAULT_HZ,
      return_buffers: false,
    }
  }
}

/// One shard, on a cache line of its own so that threads working on
/// different shards do not slow each other down.
#[repr(align(128))]
struct Shard(Mutex<Keyspace>);

/// Tells the expiry thread to stop.
#[derive(Default)]
struct Stop {
  stopped: std::sync::Mutex<bool>,
  wake: Condvar,
}

/// A sharded keyspace shared by every thread of the process.
pub struct SharedKeyspace {
  name: String,
  spec: Spec,
  shards: Box<[Shard]>,
  dropper: Arc<Dropper>,
  stop: Arc<Stop>,
}

/// Locks ignoring poison (module doc).
fn lock(m: &Mutex<Keyspace>) -> MutexGuard<'_, Keyspace> {
  m.lock().unwrap_or_else(|e| e.into_inner())
}

/// FNV-1a: cheap, and good enough to spread keys over a few shards.
fn hash(key: &str) -> u64 {
  let mut h: u64 = 0xcbf2_9ce4_8422_2325;
  for b in key.as_bytes() {
    h ^= u64::from(*b);
    h = h.wrapping_mul(0x0100_0000_01b3);
  }
  h
}

impl SharedKeyspace {
  /// A keyspace of `shards` shards (at least 1), not registered and without
  /// an expiry thread: [`open`] adds both.
  pub fn new(name: &str, spec: Spec, shards: usize) -> SharedKeyspace {
    let shards = shards.max(1);
    let dropper = Arc::new(Dropper::new(DropperOptions {
      name: format!("lazyfree-shared-drop:{name}"),
      ..DropperOptions::default()
    }));
    let per_shard = spec.max_memory / shards;
    let config = Config {
      // A limit smaller than the shard count still limits (to one byte).
      max_memory: if spec.max_memory > 0 { per_shard.max(1) } else { 0 },
      policy: spec.policy,
      lazyfree: spec.lazyfree,
      ..Config::default()
    };
    let shards =
      (0..shards).map(|_| Shard(Mutex::new(Keyspace::new(config.clone(), Arc::clone(&dropper))))).collect();
    SharedKeyspace { name: name.to_string(), spec, shards, dropper, stop: Default::default() }
  }

  pub fn name(&self) -> &str {
    &self.name
  }

  pub fn spec(&self) -> &Spec {
    &self.spec
  }

  pub fn shard_count(&self) -> usize {
    self.shards.len()
  }

  pub fn dropper(&self) -> &Arc<Dropper> {
    &self.dropper
  }

  /// The shard `key` lives in.
  pub fn shard_of(&self, key: &str) -> usize {
    (hash(key) % self.shards.len() as u64) as usize
  }

  /// Runs a single-key command on `key`'s shard, under its lock. `f` must
  /// produce an owned reply: the lock is released when it returns.
  pub fn with_key<R>(&self, key: &str, f: impl FnOnce(&mut Keyspace) -> R) -> R {
    let mut shard = lock(&self.shards[self.shard_of(key)].0);
    f(&mut shard)
  }

  /// Locks the shards in `wanted` (ascending, without repeats): the one
  /// order every multi-shard command uses.
  fn lock_sorted(&self, wanted: &[usize]) -> Vec<(usize, MutexGuard<'_, Keyspace>)> {
    debug_assert!(wanted.windows(2).all(|w| w[0] < w[1]), "shards locked out of order");
    wanted.iter().map(|&i| (i, lock(&self.shards[i].0))).collect()
  }

  /// Every shard, locked in order.
  fn lock_all(&self) -> Vec<MutexGuard<'_, Keyspace>> {
    self.shards.iter().map(|s| lock(&s.0)).collect()
  }

  /// Runs `f` on each group of `keys` (repeats kept) with its shard, every
  /// shard involved held for the whole command.
  fn per_shard<R>(&self, keys: &[&str], mut f: impl FnMut(&mut Keyspace, &[&str]) -> R) -> Vec<R> {
    let mut groups: Vec<(usize, Vec<&str>)> = Vec::new();
    for key in keys {
      let i = self.shard_of(key);
      match groups.binary_search_by_key(&i, |g| g.0) {
        Ok(at) => groups[at].1.push(key),
        Err(at) => groups.insert(at, (i, vec![key])),
      }
    }
    let wanted: Vec<usize> = groups.iter().map(|g| g.0).collect();
    let mut guards = self.lock_sorted(&wanted);
    guards.iter_mut().zip(&groups).map(|((_, shard), (_, keys))| f(shard, keys)).collect()
  }

  /// EXISTS over several keys, atomically.
  pub fn exists(&self, keys: &[&str]) -> usize {
    self.per_shard(keys, |s, k| s.exists(k)).into_iter().sum()
  }

  /// DEL over several keys, atomically.
  pub fn del(&self, keys: &[&str]) -> usize {
    self.per_shard(keys, |s, k| s.del(k)).into_iter().sum()
  }

  /// UNLINK over several keys, atomically.
  pub fn unlink(&self, keys: &[&str]) -> usize {
    self.per_shard(keys, |s, k| s.unlink(k)).into_iter().sum()
  }

  /// RENAME, within a shard or across two: across, the value moves (not a
  /// copy) with its TTL (to the millisecond), both shards held throughout.
  pub fn rename(&self, key: &str, new_key: &str) -> LfResult<()> {
    let (from, to) = (self.shard_of(key), self.shard_of(new_key));
    if from == to {
      return self.with_key(key, |s| s.rename(key, new_key));
    }
    let mut guards = self.lock_sorted(&[from.min(to), from.max(to)]);
    let (low, high) = guards.split_at_mut(1);
    let (src, dst) =
      if from < to { (&mut low[0].1, &mut high[0].1) } else { (&mut high[0].1, &mut low[0].1) };
    let ttl = src.pttl(key);
    if ttl == -2 {
      return Err(errors::no_such_key());
    }
    let Some((value, bytes)) = src.take_value(key) else {
      return Err(errors::no_such_key());
    };
    // A TTL about to pass keeps one millisecond: `pexpire(0)` would delete.
    let restore = |ks: &mut Keyspace, k: &str| {
      if ttl >= 0 {
        let _ = ks.pexpire(k, ttl.max(1));
      }
    };
    match dst.set_value(new_key, value, bytes) {
      Ok(()) => {
        restore(dst, new_key);
        Ok(())
      }
      Err(refused) => {
        // Back where it was: the room it took is free again, since nothing
        // else could use the shard meanwhile.
        if let Err(lost) = src.set_value(key, refused.value, bytes) {
          drop(lost);
        } else {
          restore(src, key);
        }
        Err(refused.error)
      }
    }
  }

  /// MGET: the string at each key, `None` for a missing key or one holding
  /// another kind (no `WRONGTYPE`, as Redis), every shard involved held at
  /// once so the replies are one moment's.
  pub fn mget(&self, keys: &[&str]) -> Vec<Option<Bytes>> {
    let mut out = vec![None; keys.len()];
    let positions: Vec<usize> = (0..keys.len()).collect();
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in positions {
      let shard = self.shard_of(keys[i]);
      match groups.binary_search_by_key(&shard, |g| g.0) {
        Ok(at) => groups[at].1.push(i),
        Err(at) => groups.insert(at, (shard, vec![i])),
      }
    }
    let wanted: Vec<usize> = groups.iter().map(|g| g.0).collect();
    let mut guards = self.lock_sorted(&wanted);
    for ((_, shard), (_, idx)) in guards.iter_mut().zip(&groups) {
      for &i in idx {
        out[i] = shard.get_owned(keys[i]).ok().flatten();
      }
    }
    out
  }

  /// MSET: every pair stored as SET without options stores it (replacing
  /// any value, clearing any TTL), all or nothing across shards: every shard
  /// involved is held for the whole command, and if one pair cannot fit
  /// (`OOM`) the pairs already stored are undone — the keys get back their
  /// values (the same allocations) and TTLs — before the error returns. A
  /// key named twice ends with its last value. Replaced values are freed
  /// per `lazyfree.serverDel`.
  pub fn mset(&self, pairs: Vec<(&str, Bytes)>) -> LfResult<()> {
    let mut groups: Vec<(usize, Vec<(&str, Bytes)>)> = Vec::new();
    for (key, value) in pairs {
      let shard = self.shard_of(key);
      match groups.binary_search_by_key(&shard, |g| g.0) {
        Ok(at) => groups[at].1.push((key, value)),
        Err(at) => groups.insert(at, (shard, vec![(key, value)])),
      }
    }
    let wanted: Vec<usize> = groups.iter().map(|g| g.0).collect();
    let mut guards = self.lock_sorted(&wanted);
    // What each key held before this command, the first time it is named:
    // (slot in `guards`, key, old value with its bytes and TTL).
    type Undo<'k> = (usize, &'k str, Option<(Value, usize, i64)>);
    let mut undo: Vec<Undo> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut failed = None;
    'all: for (slot, ((_, shard), (_, pairs))) in guards.iter_mut().zip(groups).enumerate() {
      for (key, value) in pairs {
        if seen.insert(key) {
          let ttl = shard.pttl(key);
          let old = shard.take_value(key).map(|(v, bytes)| (v, bytes, ttl));
          undo.push((slot, key, old));
        }
        if let Err(e) = shard.set(key, value, SetOptions::default()) {
          failed = Some(e);
          break 'all;
        }
      }
    }
    let restore = failed.is_some();
    for (slot, key, old) in undo.into_iter().rev() {
      let shard = &mut guards[slot].1;
      match (restore, old) {
        (true, old) => {
          // Back as it was: what this command stored goes, the old value
          // returns (it fitted before; nothing else could use the shard).
          drop(shard.take_value(key));
          if let Some((value, bytes, ttl)) = old {
            if shard.set_value(key, value, bytes).is_ok() && ttl >= 0 {
              let _ = shard.pexpire(key, ttl.max(1));
            }
          }
        }
        (false, Some((value, bytes, _))) => {
          if self.spec.lazyfree.server_del {
            self.dropper.defer(value, bytes);
          } else {
            drop(value);
          }
        }
        (false, None) => {}
      }
    }
    failed.map_or(Ok(()), Err)
  }

  /// KEYS over every shard, as one snapshot.
  pub fn keys(&self, pattern: &str) -> Vec<Key> {
    self.lock_all().iter().flat_map(|s| s.keys(pattern)).collect()
  }

  /// FLUSH of every shard at once. Returns whether anything went to the
  /// drop thread.
  pub fn flush(&self, async_: Option<bool>) -> bool {
    let mut deferred = false;
    for mut s in self.lock_all() {
      deferred |= s.flush(async_);
    }
    deferred
  }

  /// SCAN over the shards one after another, one shard locked per call.
  /// The cursor is the shard's own cursor times the shard count plus the
  /// shard's index: 0 starts at shard 0, and a shard whose own scan is done
  /// hands over to the next with its cursor at 0. Redis's guarantee holds
  /// shard by shard (each shard's scan keeps it), so every key present for
  /// the whole iteration is returned at least once; a call does the bounded
  /// work of one shard's scan.
  pub fn scan(
    &self,
    cursor: u64,
    count: usize,
    pattern: Option<&str>,
    kind: Option<Kind>,
  ) -> (u64, Vec<Key>) {
    let shards = self.shards.len() as u64;
    let mut shard = cursor % shards;
    let own = cursor / shards;
    let (next, keys) = lock(&self.shards[shard as usize].0).scan(own, count, pattern, kind);
    let next = if next != 0 {
      next * shards + shard
    } else {
      shard += 1;
      if shard == shards {
        0
      } else {
        shard
      }
    };
    (next, keys)
  }

  /// DBSIZE of the whole keyspace, as one snapshot.
  pub fn size(&self) -> usize {
    self.lock_all().iter().map(|s| s.size()).sum()
  }

  /// `info()` of the whole keyspace: counters summed over the shards, the
  /// drop thread's counts once, `maxmemory` the whole limit.
  pub fn info(&self) -> Info {
    let shards = self.lock_all();
    let mut total = Info {
      keys: 0,
      expires: 0,
      used_memory: 0,
      maxmemory: self.spec.max_memory as u64,
      evicted_keys: 0,
      expired_keys: 0,
      keyspace_hits: 0,
      keyspace_misses: 0,
      lazyfree_pending_objects: 0,
      lazyfreed_objects: 0,
    };
    for s in &shards {
      let i = s.info();
      total.keys += i.keys;
      total.expires += i.expires;
      // Each shard counts the drop thread's pending bytes; counted once below.
      total.used_memory += s.used_memory().saturating_sub(self.dropper.stats().pending_bytes as usize) as u64;
      total.evicted_keys += i.evicted_keys;
      total.expired_keys += i.expired_keys;
      total.keyspace_hits += i.keyspace_hits;
      total.keyspace_misses += i.keyspace_misses;
    }
    let stats = self.dropper.stats();
    total.used_memory += stats.pending_bytes;
    total.lazyfree_pending_objects = stats.pending;
    total.lazyfreed_objects = stats.freed;
    total
  }

  /// One active expiry slice per shard, one shard lock at a time. Returns
  /// whether a shard ran out of time with expired keys still to find.
  pub fn expire_slice(&self) -> bool {
    let mut behind = false;
    for s in self.shards.iter() {
      behind |= lock(&s.0).active_expire_cycle(EXPIRE_SLICE).timed_out;
    }
    behind
  }

  /// Starts the expiry thread, which holds `this` weakly and stops when it
  /// is gone or [`Self::stop_expiry`] is called.
  fn start_expiry(this: &Arc<SharedKeyspace>) -> std::io::Result<()> {
    let hz = this.spec.hz;
    if hz == 0 {
      return Ok(());
    }
    let weak: Weak<SharedKeyspace> = Arc::downgrade(this);
    let stop = Arc::clone(&this.stop);
    let period = Duration::from_secs_f64(1.0 / f64::from(hz));
    std::thread::Builder::new().name(format!("lazyfree-shared-expire:{}", this.name)).spawn(move || {
      let mut wait = period;
      loop {
        let stopped = stop.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let (stopped, _) =
          stop.wake.wait_timeout_while(stopped, wait, |s| !*s).unwrap_or_else(|e| e.into_inner());
        if *stopped {
          return;
        }
        drop(stopped);
        let Some(ks) = weak.upgrade() else { return };
        wait = if ks.expire_slice() { EXPIRE_FAST_GAP } else { period };
        // If every lease went meanwhile, the keyspace is dropped here, off
        // every event loop.
        drop(ks);
      }
    })?;
    Ok(())
  }

  fn stop_expiry(&self) {
    *self.stop.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
    self.stop.wake.notify_all();
  }
}

/// Returns freed memory to the OS; set by the glue, which owns the allocator.
static PURGE: OnceLock<fn()> = OnceLock::new();

/// Sets what runs once a dropped keyspace has been freed: the process
/// allocator's purge, so a closed keyspace's pages go back to the OS even
/// when the threads that allocated them have ended (their arenas would
/// otherwise keep them until they see activity again).
pub fn set_purge(purge: fn()) {
  let _ = PURGE.set(purge);
}

impl Drop for SharedKeyspace {
  /// Hands every shard's table to the drop thread (one message each), then
  /// closes it: it frees them, purges the allocator and exits on its own.
  fn drop(&mut self) {
    self.stop_expiry();
    for s in self.shards.iter() {
      lock(&s.0).flush(Some(true));
    }
    self.dropper.close(Box::new(|| {
      if let Some(purge) = PURGE.get() {
        purge();
      }
    }));
  }
}

/// A live name: the keyspace and how many leases hold it.
struct Entry {
  keyspace: Arc<SharedKeyspace>,
  leases: usize,
}

static REGISTRY: LazyLock<std::sync::Mutex<HashMap<String, Entry>>> = LazyLock::new(Default::default);

/// Leases ever handed out, so each has an identity.
static LEASE_IDS: AtomicU64 = AtomicU64::new(1);

fn registry() -> std::sync::MutexGuard<'static, HashMap<String, Entry>> {
  // Every critical section below leaves the map consistent.
  REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// One open handle on a shared keyspace. Dropping it detaches it; the last
/// one frees the name and the data (module doc).
pub struct Lease {
  keyspace: Arc<SharedKeyspace>,
  id: u64,
}

impl std::ops::Deref for Lease {
  type Target = SharedKeyspace;
  fn deref(&self) -> &SharedKeyspace {
    &self.keyspace
  }
}

impl Lease {
  pub fn id(&self) -> u64 {
    self.id
  }
}

impl Drop for Lease {
  fn drop(&mut self) {
    let last = {
      let mut map = registry();
      match map.get_mut(&self.keyspace.name) {
        Some(e) if Arc::ptr_eq(&e.keyspace, &self.keyspace) => {
          e.leases -= 1;
          if e.leases == 0 {
            map.remove(&self.keyspace.name)
          } else {
            None
          }
        }
        _ => None,
      }
    };
    // Dropped outside the registry lock: the keyspace's drop may run here.
    if let Some(entry) = last {
      entry.keyspace.stop_expiry();
      drop(entry);
    }
  }
}

/// Opens the keyspace called `name`: attaches to the live one (refusing
/// `spec`s that differ from its own with `ERR_LAZYFREE_SHARED_OPTIONS`), or
/// creates it with `spec` (or the defaults) when no lease holds it.
pub fn open(name: &str, spec: Option<Spec>) -> LfResult<Lease> {
  let mut map = registry();
  if let Some(e) = map.get_mut(name) {
    if let Some(spec) = spec.as_ref().filter(|s| **s != e.keyspace.spec) {
      return Err(LfError::Coded {
        code: OPTIONS_CONFLICT,
        message: format!(
          "the shared keyspace '{name}' is open with other options: {}; open it without options to attach, or \
           with the same ones",
          differences(&e.keyspace.spec, spec).join(", ")
        ),
      });
    }
    e.leases += 1;
    let id = LEASE_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    return Ok(Lease { keyspace: Arc::clone(&e.keyspace), id });
  }
  let keyspace = Arc::new(SharedKeyspace::new(name, spec.unwrap_or_default(), SHARDS));
  if let Err(e) = SharedKeyspace::start_expiry(&keyspace) {
    return Err(LfError::Coded {
      code: "ERR_LAZYFREE_NO_THREAD",
      message: format!("could not start the expiry thread of the shared keyspace '{name}' ({e})"),
    });
  }
  map.insert(name.to_string(), Entry { keyspace: Arc::clone(&keyspace), leases: 1 });
  let id = LEASE_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
  Ok(Lease { keyspace, id })
}

/// The options of `asked` that differ from `live`'s, by their JavaScript names.
fn differences(live: &Spec, asked: &Spec) -> Vec<String> {
  let mut out = Vec::new();
  let mut field = |name: &str, live: String, asked: String| {
    if live != asked {
      out.push(format!("{name} is {live}, not {asked}"));
    }
  };
  field("maxMemory", live.max_memory.to_string(), asked.max_memory.to_string());
  field("evictionPolicy", live.policy.name().into(), asked.policy.name().into());
  let (l, a) = (live.lazyfree, asked.lazyfree);
  field("lazyfree.eviction", l.eviction.to_string(), a.eviction.to_string());
  field("lazyfree.expire", l.expire.to_string(), a.expire.to_string());
  field("lazyfree.serverDel", l.server_del.to_string(), a.server_del.to_string());
  field("lazyfree.userDel", l.user_del.to_string(), a.user_del.to_string());
  field("lazyfree.userFlush", l.user_flush.to_string(), a.user_flush.to_string());
  field("hz", live.hz.to_string(), asked.hz.to_string());
  field("returnBuffers", live.return_buffers.to_string(), asked.return_buffers.to_string());
  out
}

/// Whether a keyspace called `name` is open (for tests and diagnostics).
pub fn is_open(name: &str) -> bool {
  registry().contains_key(name)
}
