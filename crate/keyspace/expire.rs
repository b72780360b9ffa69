//! Time to live: the TTL commands, lazy expiry and Redis's active cycle.
//!
//! A key past its expiry time is gone for every command: the lookup each
//! command starts with removes it (lazy expiry). Keys nobody touches are
//! found by the active cycle, Redis's adaptive sampling from `expire.c`:
//! sample up to 20 keys that carry a TTL, remove the expired ones, and go
//! again while more than 10% of the sample had expired, until the time
//! budget is spent. A sample is the next keys with a TTL along a scan cursor
//! over the table kept from cycle to cycle (walking at most
//! [`ACTIVE_EXPIRE_MAX_VISITS`] home slots per round), so a cycle costs
//! O(sample), not O(keys), and successive cycles sweep the whole table. Both paths count `expired_keys`
//! and free through the `expire` lazy-free switch.

use std::time::{Duration, Instant};

use crate::error::LfResult;

use super::errors::invalid_expire;
use super::lazy::Removal;
use super::{Key, Keyspace};

/// Keys sampled per round (Redis: `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const ACTIVE_EXPIRE_KEYS_PER_LOOP: usize = 20;
/// Home slots one round's sample may walk looking for keys with a TTL, so a
/// cycle stays short when few keys carry one.
pub const ACTIVE_EXPIRE_MAX_VISITS: usize = 400;
/// Another round follows while more than this percentage of a sample had
/// expired (Redis: `ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE`).
pub const ACTIVE_EXPIRE_STALE_PERCENT: usize = 10;

/// What one active expiry cycle did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleReport {
  /// Rounds of sampling.
  pub rounds: u32,
  pub sampled: u64,
  pub expired: u64,
  /// The cycle stopped because its budget was spent, not because the
  /// expired share of a sample fell to the acceptable level.
  pub timed_out: bool,
}

impl Keyspace {
  /// Removes `key` if its TTL has passed. Returns whether it did.
  pub(super) fn expire_if_needed(&mut self, key: &str, now: u64) -> bool {
    match self.table.get(key) {
      Some(e) if e.is_expired(now) => {
        self.expire_key(key);
        true
      }
      _ => false,
    }
  }

  pub(super) fn expire_key(&mut self, key: &str) {
    self.remove_key(key, Removal::Expire);
    self.counters.expired_keys += 1;
  }

  /// EXPIRE: sets a TTL in seconds. `false` when the key is missing; a TTL
  /// that is not positive removes the key (and answers `true`), as in Redis.
  pub fn expire(&mut self, key: &str, seconds: i64) -> LfResult<bool> {
    if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&seconds) {
      return Err(invalid_expire("expire"));
    }
    self.expire_in(key, seconds * 1000, "expire")
  }

  /// PEXPIRE: sets a TTL in milliseconds.
  pub fn pexpire(&mut self, key: &str, ms: i64) -> LfResult<bool> {
    self.expire_in(key, ms, "pexpire")
  }

  fn expire_in(&mut self, key: &str, ms: i64, command: &str) -> LfResult<bool> {
    let now = self.now_ms();
    if ms > 0 && ms > i64::MAX - now as i64 {
      return Err(invalid_expire(command));
    }
    if self.lookup_write(key, now).is_none() {
      return Ok(false);
    }
    if ms <= 0 {
      self.remove_key(key, Removal::Expire);
      return Ok(true);
    }
    self.table.set_expiry(key, now + ms as u64);
    Ok(true)
  }

  /// PTTL: milliseconds left; -2 when the key is missing, -1 when it has no
  /// TTL.
  pub fn pttl(&mut self, key: &str) -> i64 {
    let now = self.now_ms();
    match self.lookup_read_notouch(key) {
      None => -2,
      Some(e) if e.expires_at_ms == 0 => -1,
      Some(e) => e.expires_at_ms.saturating_sub(now) as i64,
    }
  }

  /// TTL: seconds left, rounded to the nearest second as Redis rounds them.
  pub fn ttl(&mut self, key: &str) -> i64 {
    match self.pttl(key) {
      ms if ms < 0 => ms,
      ms => (ms + 500) / 1000,
    }
  }

  /// PERSIST: removes the TTL. `true` when there was one.
  pub fn persist(&mut self, key: &str) -> bool {
    let now = self.now_ms();
    match self.lookup_write(key, now) {
      Some(e) if e.expires_at_ms != 0 => self.table.set_expiry(key, 0),
      _ => false,
    }
  }

  /// One active expiry cycle, as Redis runs it `hz` times a second: rounds
  /// of up to 20 sampled keys with a TTL, while more than 10% of a round's
  /// sample had expired and `budget` is not spent (at least one round runs).
  pub fn active_expire_cycle(&mut self, budget: Duration) -> CycleReport {
    let start = Instant::now();
    let now = self.now_ms();
    let mut report = CycleReport::default();
    loop {
      let n = self.table.volatile_len().min(ACTIVE_EXPIRE_KEYS_PER_LOOP);
      if n == 0 {
        break;
      }
      // The sample: the next `n` keys with a TTL along the table's scan
      // cursor (kept across cycles, as Valkey's active expiry walks its
      // table), looking at no more than ACTIVE_EXPIRE_MAX_VISITS home slots.
      let mut sample = Vec::with_capacity(n);
      let mut visits = 0;
      while sample.len() < n && visits < ACTIVE_EXPIRE_MAX_VISITS {
        // A home slot joins the sample whole, or (when it would take the
        // sample past `n`) waits for the next round: the cursor only moves
        // past slots whose keys were all looked at.
        let mut slot = Vec::new();
        let next = self.table.scan(self.expire_cursor, 1, |key, e| {
          if e.expires_at_ms != 0 {
            slot.push(Key::from(key));
          }
        });
        if !sample.is_empty() && sample.len() + slot.len() > n {
          break;
        }
        sample.append(&mut slot);
        self.expire_cursor = next;
        visits += 1;
      }
      let n = sample.len();
      if n == 0 {
        break;
      }
      let mut expired = 0;
      for key in &sample {
        if self.expire_if_needed(key, now) {
          expired += 1;
        }
      }
      report.rounds += 1;
      report.sampled += n as u64;
      report.expired += expired as u64;
      if expired * 100 / n <= ACTIVE_EXPIRE_STALE_PERCENT {
        break;
      }
      if start.elapsed() >= budget {
        report.timed_out = true;
        break;
      }
    }
    report
  }
}
