//! Where the keyspace reads the time.
//!
//! Expiry and LRU are about wall-clock milliseconds, and tests must be able to
//! move time without sleeping. Every command reads the time once, through a
//! [`Clock`]; production uses [`SystemClock`], tests a [`ManualClock`] they
//! advance by hand.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of Unix time in milliseconds.
pub trait Clock: Send + Sync {
  fn now_ms(&self) -> u64;
}

/// The system's real-time clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
  fn now_ms(&self) -> u64 {
    // Seconds and milliseconds apart: `as_millis` divides a u128.
    SystemTime::now()
      .duration_since(UNIX_EPOCH)
      .map_or(0, |d| d.as_secs() * 1000 + u64::from(d.subsec_millis()))
  }
}

/// A clock that moves only when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
  pub fn new(start_ms: u64) -> ManualClock {
    ManualClock(Arc::new(AtomicU64::new(start_ms)))
  }

  pub fn set(&self, ms: u64) {
    self.0.store(ms, Relaxed);
  }

  pub fn advance(&self, ms: u64) {
    self.0.fetch_add(ms, Relaxed);
  }
}

impl Clock for ManualClock {
  fn now_ms(&self) -> u64 {
    self.0.load(Relaxed)
  }
}
