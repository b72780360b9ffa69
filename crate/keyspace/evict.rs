//! `maxmemory`: the eviction policies, and making room before a write.
//!
//! Every write knows, before it changes anything, how many bytes it adds.
//! [`Keyspace::reserve`] makes them fit under `maxmemory`: with
//! `noeviction` it refuses (`OOM`); otherwise it evicts keys chosen by the
//! policy until the write fits, or refuses when nothing more can be evicted.
//!
//! Like Redis, we approximate LRU (and shortest-TTL) by sampling: a handful
//! of random keys (`maxmemory-samples`, 5), evict the best of them. Random
//! keys come from the table's slots (a random slot, then the next entry that
//! qualifies). The keys the write
//! itself touches are never chosen: the write applies to what the caller
//! sees.
//!
//! Values the dropper has been handed count as used until its thread frees
//! them. An eviction that hands a large value over therefore does not make
//! room at once. Rather than evicting more keys for bytes already on their
//! way out, the write first waits a moment for the drop thread (`evict_wait`,
//! 1 ms per write); past that, it evicts further victims, as Redis's
//! `performEvictions` keeps evicting while its lazy-free thread catches up.
//! Only when nothing is left to evict and pending bytes still stand in the
//! way does it wait longer (`oom_wait`, 100 ms) before refusing with `OOM`:
//! a short stall in that corner is better than an error.
//!
//! Before evicting anything, a write checks that it could fit at all: that
//! what no eviction can free (keys outside the policy's pool — those without
//! a TTL under a `volatile-*` policy — and the keys the write protects) plus
//! the write stays under `maxmemory`. If not, it is refused with `OOM` and
//! nothing is evicted, as Redis refuses a write it cannot make room for
//! without emptying the cache first. When it could fit only once the
//! dropper has freed bytes it already holds, it waits for them (`oom_wait`)
//! before evicting, and refuses, evicting nothing, if they are not freed in
//! time. One corner remains: values this write evicts are themselves pending
//! until the thread frees them; if that takes longer than `oom_wait`, the
//! write is refused after evicting (as before, and rarer: it needs a drop
//! thread stalled for 100 ms).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::LfResult;

use super::errors::oom;
use super::lazy::Removal;
use super::table::entry_memory;
use super::{Key, Keyspace};

/// Which keys may be evicted, and how the victim is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
  NoEviction,
  AllKeysLru,
  VolatileLru,
  AllKeysRandom,
  VolatileRandom,
  VolatileTtl,
}

impl Policy {
  pub const ALL: [Policy; 6] = [
    Policy::NoEviction,
    Policy::AllKeysLru,
    Policy::VolatileLru,
    Policy::AllKeysRandom,
    Policy::VolatileRandom,
    Policy::VolatileTtl,
  ];

  /// Redis's name, as `maxmemory-policy` spells it.
  pub fn name(self) -> &'static str {
    match self {
      Policy::NoEviction => "noeviction",
      Policy::AllKeysLru => "allkeys-lru",
      Policy::VolatileLru => "volatile-lru",
      Policy::AllKeysRandom => "allkeys-random",
      Policy::VolatileRandom => "volatile-random",
      Policy::VolatileTtl => "volatile-ttl",
    }
  }

  pub fn from_name(name: &str) -> Option<Policy> {
    Policy::ALL.into_iter().find(|p| p.name() == name)
  }

  /// Only keys with a TTL may be evicted.
  fn volatile(self) -> bool {
    matches!(self, Policy::VolatileLru | Policy::VolatileRandom | Policy::VolatileTtl)
  }

  /// Evicts by how recently keys were used (so reads must mark it).
  pub(super) fn ranks_by_use(self) -> bool {
    matches!(self, Policy::AllKeysLru | Policy::VolatileLru)
  }
}

impl Keyspace {
  /// Whether `grow` more bytes fit under `maxmemory` right now.
  fn fits(&self, grow: usize) -> bool {
    self.used_memory().saturating_add(grow) <= self.config.max_memory
  }

  /// Makes room for a write adding `grow` bytes, never evicting the keys in
  /// `protect`. `OOM` when it cannot.
  pub(super) fn reserve(&mut self, grow: usize, protect: &[&str]) -> LfResult<()> {
    if self.config.max_memory == 0 || grow == 0 || self.fits(grow) {
      return Ok(());
    }
    if self.config.policy == Policy::NoEviction {
      return Err(oom());
    }
    // A write that could not fit even with every evictable key gone and the
    // dropper idle is refused before anything is evicted: one oversized
    // write must not empty the cache and then fail anyway.
    let floor = self.unevictable(protect);
    let max = self.config.max_memory;
    if floor.saturating_add(grow) > max {
      return Err(oom());
    }
    // If it can only fit once the dropper has freed some of what it already
    // holds, wait for that first (`oom_wait`), still evicting nothing.
    let pending = |ks: &Keyspace| ks.dropper.stats().pending_bytes as usize;
    if floor.saturating_add(pending(self)).saturating_add(grow) > max {
      let needs_pending = |ks: &Keyspace| floor.saturating_add(pending(ks)).saturating_add(grow) > max;
      let mut budget = self.config.oom_wait;
      while needs_pending(self) && self.wait_for_dropper(&mut budget) {}
      if needs_pending(self) {
        return Err(oom());
      }
      if self.fits(grow) {
        return Ok(());
      }
    }
    let mut wait_left = self.config.evict_wait;
    loop {
      match self.pick_victim(protect) {
        Some(victim) => {
          let deferred = self.evict(&victim);
          if self.fits(grow) {
            return Ok(());
          }
          // The bytes just handed over are on their way out: give the drop
          // thread a moment before choosing another victim. Once the moment
          // is spent, eviction goes on (a slow drop thread costs extra
          // evictions, not errors).
          if deferred && self.wait_for_dropper(&mut wait_left) && self.fits(grow) {
            return Ok(());
          }
        }
        None => {
          // Nothing left to evict: only bytes still pending in the dropper
          // stand in the way, if any. Wait for them a while before refusing.
          let mut last = self.config.oom_wait;
          while self.wait_for_dropper(&mut last) {
            if self.fits(grow) {
              return Ok(());
            }
          }
          return Err(oom());
        }
      }
    }
  }

  /// The bytes no eviction can free for a write protecting `protect`: every
  /// entry outside the policy's pool (keys without a TTL under a volatile
  /// policy), plus the protected keys themselves. Bytes pending in the
  /// dropper are not included.
  fn unevictable(&self, protect: &[&str]) -> usize {
    let volatile = self.config.policy.volatile();
    let pool = if volatile { self.table.volatile_used() } else { self.table.used() };
    let mut protected = 0;
    for (i, key) in protect.iter().enumerate() {
      if protect[..i].contains(key) {
        continue;
      }
      if let Some(e) = self.table.get(key).filter(|e| !volatile || e.expires_at_ms != 0) {
        protected += entry_memory(key.len(), e.bytes());
      }
    }
    self.table.used() - pool + protected
  }

  /// Waits for the dropper to free what it holds, up to `budget` (which is
  /// reduced by the time spent). `false` when there was nothing to wait for
  /// or no time left.
  fn wait_for_dropper(&self, budget: &mut Duration) -> bool {
    if budget.is_zero() || self.dropper.stats().pending_bytes == 0 {
      return false;
    }
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    self.dropper.drain(Box::new(move || {
      let _ = tx.send(());
    }));
    let _ = rx.recv_timeout(*budget);
    *budget = budget.saturating_sub(start.elapsed());
    true
  }

  /// Removes `key` as an eviction. Returns whether its value went to the
  /// drop thread.
  fn evict(&mut self, key: &str) -> bool {
    let removed = self.table.remove(key).expect("a sampled key is present");
    self.counters.evicted_keys += 1;
    self.dispose_taken(removed.taken, Removal::Eviction)
  }

  /// The key the policy would evict now, if any may be.
  fn pick_victim(&mut self, protect: &[&str]) -> Option<Key> {
    let policy = self.config.policy;
    let n = if policy.volatile() { self.table.volatile_len() } else { self.table.len() };
    if n == 0 {
      return None;
    }
    match policy {
      Policy::NoEviction => None,
      Policy::AllKeysRandom | Policy::VolatileRandom => self.sample(protect),
      Policy::AllKeysLru | Policy::VolatileLru | Policy::VolatileTtl => {
        let clock = self.table.lru_clock();
        let mut best: Option<(u64, Key)> = None;
        for _ in 0..self.config.samples.max(1) {
          let Some(key) = self.sample(protect) else { break };
          let e = self.table.get(&key).expect("sampled key present");
          // The lowest rank goes: the soonest expiry, or the longest idle.
          let rank =
            if policy == Policy::VolatileTtl { e.expires_at_ms } else { u64::from(u32::MAX - e.idle(clock)) };
          if best.as_ref().is_none_or(|(r, _)| rank < *r) {
            best = Some((rank, key));
          }
        }
        best.map(|(_, key)| key)
      }
    }
  }

  /// One random key the policy may evict, never a protected one: from a
  /// random slot of the table onwards, the first that qualifies (with a TTL,
  /// for the volatile policies). `None` only when no key qualifies.
  fn sample(&mut self, protect: &[&str]) -> Option<Key> {
    let r = self.rng.next_u64();
    let volatile = self.config.policy.volatile();
    self.table.random_key(r, volatile, usize::MAX, |e| !protect.contains(&e.key())).map(Key::from)
  }
}
