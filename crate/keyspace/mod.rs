//! The keyspace: an embedded, off-heap, Redis-style store whose every
//! removal is lazy.
//!
//! A [`Keyspace`] maps string keys to native [`Value`]s with Redis 7's command
//! semantics, replies and errors, so data that would otherwise sit on the V8
//! heap (and be walked by every major GC) lives in native memory instead, and
//! whatever leaves it — `del`, `unlink`, expiry, eviction, overwrite, flush —
//! is freed through a [`Dropper`] according to the [`LazyFree`] switches.
//!
//! This file holds the store itself: its configuration, the lookups every
//! command starts with (which apply lazy expiry and count hits and misses),
//! memory accounting and `info()`. Commands live beside it, one family per
//! file; the table of entries, expiry, eviction and the glob matcher each
//! have their own.
//!
//! Memory: each entry costs its key's bytes + its value's estimate
//! (`memory::estimate`, kept up to date incrementally by the commands) +
//! [`ENTRY_OVERHEAD`]. `used_memory` is the sum over entries plus the bytes
//! the dropper has been handed and not yet freed: they are still allocated,
//! so an async flush followed by a refill cannot overshoot `maxmemory`
//! unnoticed. Every write computes what it adds before it changes anything,
//! makes room for it (evicting, if the policy allows) or fails with `OOM`,
//! so `used_memory` never exceeds `maxmemory` because of a write.
//!
//! A command that returns an error has changed nothing, apart from what
//! Redis would also have done first: removing expired keys it looked at. A
//! write that could not fit even after evicting everything its policy
//! allows is refused before anything is evicted (see `evict.rs` for the one
//! corner: a drop thread too slow to free what the write itself evicted).

use std::sync::Arc;
use std::time::Duration;

use crate::dropper::Dropper;
use crate::error::LfResult;
use crate::value::{Kind, Value};

mod clock;
pub mod errors;
mod evict;
mod expire;
pub mod glob;
mod hashes;
mod keys;
mod lazy;
mod lists;
// With `dropper::os`, the core's only `unsafe`: a `madvise` call, and
// slots that keep a tag in their entry pointer's top bits.
#[allow(unsafe_code)]
mod pages;
mod random;
mod sets;
mod siphash;
#[allow(unsafe_code)]
mod slot;
mod strings;
mod table;
mod zsets;

pub use clock::{Clock, ManualClock, SystemClock};
pub use evict::Policy;
pub use expire::{CycleReport, ACTIVE_EXPIRE_KEYS_PER_LOOP, ACTIVE_EXPIRE_STALE_PERCENT};
pub use keys::Refused;
pub use lazy::{LazyFree, Removal};
pub use random::Rng;
pub use strings::SetOptions;
pub use table::{entry_memory, At, Entry, Incoming, Key, Removed, Taken, ENTRY_OVERHEAD, PACKED};

use table::Table;

/// Keys sampled per eviction, as Redis's `maxmemory-samples` default.
pub const DEFAULT_SAMPLES: usize = 5;

/// Active expiry ticks per second when none is given (Redis's `hz` default).
pub const DEFAULT_HZ: u32 = 10;

/// The most active expiry ticks per second accepted (Redis's `hz` bound).
pub const MAX_HZ: u32 = 500;
/// How long one write may wait, in all, for the drop thread to free values it
/// evicted lazily before it evicts further keys instead (see `evict.rs`).
pub const DEFAULT_EVICT_WAIT: Duration = Duration::from_millis(1);
/// How long a write may wait for the drop thread when nothing is left to
/// evict and only bytes still pending in the dropper keep it from fitting,
/// before refusing with `OOM`.
pub const DEFAULT_OOM_WAIT: Duration = Duration::from_millis(100);

/// How a keyspace is set up. Everything has a default.
#[derive(Debug, Clone)]
pub struct Config {
  /// Bytes; 0 means no limit.
  pub max_memory: usize,
  pub policy: Policy,
  pub lazyfree: LazyFree,
  /// Keys sampled per eviction (LRU and TTL policies).
  pub samples: usize,
  /// See [`DEFAULT_EVICT_WAIT`].
  pub evict_wait: Duration,
  /// See [`DEFAULT_OOM_WAIT`].
  pub oom_wait: Duration,
  /// Seed for key sampling; `None` seeds from the clock.
  pub seed: Option<u64>,
}

impl Default for Config {
  fn default() -> Self {
    Config {
      max_memory: 0,
      policy: Policy::NoEviction,
      lazyfree: LazyFree::default(),
      samples: DEFAULT_SAMPLES,
      evict_wait: DEFAULT_EVICT_WAIT,
      oom_wait: DEFAULT_OOM_WAIT,
      seed: None,
    }
  }
}

/// The counters `info()` reports that only grow.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
  evicted_keys: u64,
  expired_keys: u64,
  hits: u64,
  misses: u64,
}

/// `info()`: Redis's field names and meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
  pub keys: u64,
  /// Keys with a TTL.
  pub expires: u64,
  pub used_memory: u64,
  pub maxmemory: u64,
  pub evicted_keys: u64,
  pub expired_keys: u64,
  pub keyspace_hits: u64,
  pub keyspace_misses: u64,
  /// From the dropper, which may be shared with other users.
  pub lazyfree_pending_objects: u64,
  pub lazyfreed_objects: u64,
}

/// An embedded Redis-style store. Not thread-safe by itself: the JavaScript
/// side owns it on one thread, as Redis's main thread owns its keyspace.
pub struct Keyspace {
  table: Table,
  config: Config,
  dropper: Arc<Dropper>,
  clock: Arc<dyn Clock>,
  rng: Rng,
  /// Where active expiry's walk over the table resumes (a SCAN cursor).
  expire_cursor: u64,
  counters: Counters,
}

impl Keyspace {
  /// A keyspace on the system clock.
  pub fn new(config: Config, dropper: Arc<Dropper>) -> Keyspace {
    Keyspace::with_clock(config, dropper, Arc::new(SystemClock))
  }

  /// A keyspace reading time from `clock`.
  pub fn with_clock(config: Config, dropper: Arc<Dropper>, clock: Arc<dyn Clock>) -> Keyspace {
    let rng = config.seed.map(Rng::new).unwrap_or_else(Rng::from_entropy);
    Keyspace {
      table: Table::default(),
      config,
      dropper,
      clock,
      rng,
      expire_cursor: 0,
      counters: Counters::default(),
    }
  }

  pub fn config(&self) -> &Config {
    &self.config
  }

  pub fn dropper(&self) -> &Arc<Dropper> {
    &self.dropper
  }

  /// The time every command of this keyspace sees.
  pub fn now_ms(&self) -> u64 {
    self.clock.now_ms()
  }

  /// DBSIZE: keys held, including expired ones not yet removed (as Redis).
  pub fn size(&self) -> usize {
    self.table.len()
  }

  /// What the entries cost, plus what the dropper still has to free.
  pub fn used_memory(&self) -> usize {
    self.table.used() + self.dropper.stats().pending_bytes as usize
  }

  pub fn info(&self) -> Info {
    let stats = self.dropper.stats();
    Info {
      keys: self.table.len() as u64,
      expires: self.table.volatile_len() as u64,
      used_memory: self.table.used() as u64 + stats.pending_bytes,
      maxmemory: self.config.max_memory as u64,
      evicted_keys: self.counters.evicted_keys,
      expired_keys: self.counters.expired_keys,
      keyspace_hits: self.counters.hits,
      keyspace_misses: self.counters.misses,
      lazyfree_pending_objects: stats.pending,
      lazyfreed_objects: stats.freed,
    }
  }

  /// The live entry at `key` for a read command: applies lazy expiry, counts
  /// a hit or a miss, and marks the entry as just used (LRU).
  fn lookup_read(&mut self, key: &str) -> Option<&Entry> {
    self.table.step();
    let hash = self.table.hash_key(key);
    self.lookup_read_hashed(hash, key, &mut None)
  }

  /// [`Self::lookup_read`] with the key's hash (`Table::hash_key`) and the
  /// command's time `now`, for commands that read many keys: the clock is
  /// read the first time an entry with a TTL needs it, and only then (a read
  /// of a key without a TTL costs no clock call).
  fn lookup_read_hashed(&mut self, hash: u64, key: &str, now: &mut Option<u64>) -> Option<&Entry> {
    let (at, _) = self.lookup_read_at(hash, key, now);
    at.map(|at| self.table.entry(at))
  }

  /// [`Self::lookup_read_hashed`] that says where the live entry is, and
  /// whether an expired one was removed instead (which may have moved other
  /// entries). Moves nothing otherwise: no rehash step runs here.
  fn lookup_read_at(&mut self, hash: u64, key: &str, now: &mut Option<u64>) -> (Option<At>, bool) {
    // One probe: touching an entry that turns out to have expired is
    // harmless, since it is removed next. Only an LRU policy under a memory
    // limit ever looks at the mark, so otherwise a read leaves the entry's
    // memory clean (no store, no write-back of its cache line).
    let lru = self.config.max_memory != 0 && self.config.policy.ranks_by_use();
    let found = if lru { self.table.find_touch(hash, key) } else { self.table.find(hash, key) };
    let Some(at) = found else {
      self.counters.misses += 1;
      return (None, false);
    };
    if self.has_expired(self.table.entry(at), now) {
      self.expire_key(key);
      self.counters.misses += 1;
      return (None, true);
    }
    self.counters.hits += 1;
    (Some(at), false)
  }

  /// Whether `e`'s TTL has passed at the command's time `now` (read from
  /// the clock here if it has not been yet and `e` has a TTL).
  fn has_expired(&self, e: &Entry, now: &mut Option<u64>) -> bool {
    e.expires_at_ms != 0 && e.is_expired(*now.get_or_insert_with(|| self.clock.now_ms()))
  }

  /// Like [`Self::lookup_read`], without refreshing the LRU clock (Redis's
  /// `LOOKUP_NOTOUCH`: `exists`, `type`, `ttl`).
  fn lookup_read_notouch(&mut self, key: &str) -> Option<&Entry> {
    let now = self.now_ms();
    self.expire_if_needed(key, now);
    match self.table.get(key) {
      Some(e) => {
        self.counters.hits += 1;
        Some(e)
      }
      None => {
        self.counters.misses += 1;
        None
      }
    }
  }

  /// A read of a value that must be of `kind`, a collection: `None` when
  /// the key is missing, `WRONGTYPE` when it holds another kind.
  fn read_as(&mut self, key: &str, kind: Kind) -> LfResult<Option<&Value>> {
    debug_assert_ne!(kind, Kind::String, "strings are read with read_string");
    match self.lookup_read(key) {
      None => Ok(None),
      Some(e) if e.kind() == kind => Ok(e.value()),
      Some(_) => Err(errors::wrongtype()),
    }
  }

  /// A read of a string: its entry, `None` when the key is missing,
  /// `WRONGTYPE` when it holds a collection.
  fn read_string(&mut self, key: &str) -> LfResult<Option<&Entry>> {
    match self.lookup_read(key) {
      Some(e) if e.kind() != Kind::String => Err(errors::wrongtype()),
      found => Ok(found),
    }
  }

  /// The live entry at `key` for a write command: applies lazy expiry; no
  /// statistics, as Redis's `lookupKeyWrite`.
  fn lookup_write(&mut self, key: &str, now: u64) -> Option<&Entry> {
    let hash = self.table.hash_key(key);
    let at = self.lookup_write_at(hash, key, &mut Some(now))?;
    Some(self.table.entry(at))
  }

  /// [`Self::lookup_write`] with the key's hash (`Table::hash_key`) that
  /// says where the live entry is; the command's time `now` as in
  /// [`Self::lookup_read_hashed`].
  fn lookup_write_at(&mut self, hash: u64, key: &str, now: &mut Option<u64>) -> Option<At> {
    let at = self.table.find(hash, key)?;
    if self.has_expired(self.table.entry(at), now) {
      self.expire_key(key);
      return None;
    }
    Some(at)
  }

  /// A write to a value that must be of `kind` (a collection) when present.
  fn write_as(&mut self, key: &str, kind: Kind, now: u64) -> LfResult<Option<&Value>> {
    debug_assert_ne!(kind, Kind::String, "strings are written with write_string");
    match self.lookup_write(key, now) {
      None => Ok(None),
      Some(e) if e.kind() == kind => Ok(e.value()),
      Some(_) => Err(errors::wrongtype()),
    }
  }

  /// A write to a string when present: its entry, or `WRONGTYPE`.
  fn write_string(&mut self, key: &str, now: u64) -> LfResult<Option<&Entry>> {
    match self.lookup_write(key, now) {
      Some(e) if e.kind() != Kind::String => Err(errors::wrongtype()),
      found => Ok(found),
    }
  }

  /// Stores a new key holding `value` (absent until now), after the caller
  /// has reserved its memory.
  fn insert_new(&mut self, key: &str, value: Value, bytes: usize, expires_at_ms: u64) {
    self.table.insert(key, value, bytes, expires_at_ms);
  }

  /// Adjusts a present key's value in place: marks it as just used, lets
  /// `f` mutate the value and records the estimate's change that `f`
  /// returns; then removes the key if its collection became empty.
  fn update<R>(&mut self, key: &str, f: impl FnOnce(&mut Value) -> (R, isize)) -> R {
    let mut e = self.table.get_mut(key).expect("update of a present key");
    e.touch();
    let (reply, delta) = f(e.value());
    e.resize(delta);
    let emptied = e.entry().value().is_some_and(|v| v.kind() != Kind::String && v.is_empty());
    if emptied {
      // An empty collection holds nothing worth handing over.
      self.table.remove(key);
    }
    reply
  }

  #[cfg(test)]
  fn check_invariants(&self) {
    self.table.check_invariants();
  }
}

#[cfg(test)]
mod tests;
