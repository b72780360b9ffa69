//! The keyspace's behaviour, command by command, asserted through replies,
//! errors, `info()` and the dropper's counters. Time is a [`ManualClock`]
//! moved by hand; the drop thread is waited for with `drain`, or held still
//! with a gate when a test needs values to stay pending. No test sleeps.

use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::*;
use crate::dropper::{Options, Stats};

mod batch;
mod evict;
mod expire;
mod hashes;
mod keys;
mod lazy;
mod lists;
mod memory;
mod scan;
mod sets;
mod strings;
mod zsets;

/// The start of test time: an arbitrary, realistic Unix time in ms.
pub const T0: u64 = 1_700_000_000_000;

pub struct Fixture {
  pub ks: Keyspace,
  pub clock: ManualClock,
  pub dropper: Arc<Dropper>,
}

impl Fixture {
  pub fn new() -> Fixture {
    Fixture::with(Config::default())
  }

  pub fn with(config: Config) -> Fixture {
    let dropper = Arc::new(Dropper::spawn(Options::default()));
    let clock = ManualClock::new(T0);
    let config = Config { seed: config.seed.or(Some(1)), ..config };
    let ks = Keyspace::with_clock(config, Arc::clone(&dropper), Arc::new(clock.clone()));
    Fixture { ks, clock, dropper }
  }

  /// Waits until the dropper has freed everything handed over so far.
  pub fn drain(&self) {
    drain(&self.dropper);
  }

  pub fn stats(&self) -> Stats {
    self.dropper.stats()
  }

  pub fn check(&self) {
    self.ks.check_invariants();
  }
}

pub fn drain(d: &Dropper) {
  let (tx, rx) = channel();
  d.drain(Box::new(move || tx.send(()).unwrap()));
  rx.recv_timeout(Duration::from_secs(10)).expect("drain never fired");
}

pub fn b(s: &str) -> Bytes {
  Bytes::copy_from_slice(s.as_bytes())
}

pub fn bs(items: &[&str]) -> Vec<Bytes> {
  items.iter().map(|s| b(s)).collect()
}

/// `n` distinct members: a collection this long is large above 64.
pub fn many(n: usize) -> Vec<Bytes> {
  (0..n).map(|i| Bytes::from(format!("m{i:05}"))).collect()
}

pub fn code(e: &crate::error::LfError) -> &'static str {
  match e {
    crate::error::LfError::Coded { code, .. } => code,
    other => panic!("expected a coded error, got {other:?}"),
  }
}

pub fn message(e: &crate::error::LfError) -> String {
  e.to_string()
}

/// Something whose destructor holds the drop thread until released.
struct Gate {
  entered: Sender<()>,
  release: std::sync::mpsc::Receiver<()>,
}

impl Drop for Gate {
  fn drop(&mut self) {
    let _ = self.entered.send(());
    let _ = self.release.recv();
  }
}

/// Holds the drop thread still: values handed over stay pending until the
/// returned sender is used (or dropped).
pub fn hold(d: &Dropper) -> Sender<()> {
  let (entered_tx, entered_rx) = channel();
  let (release_tx, release_rx) = channel();
  let gate = Gate { entered: entered_tx, release: release_rx };
  assert!(d.defer_other(Box::new(gate), 1, 0).deferred());
  entered_rx.recv_timeout(Duration::from_secs(10)).expect("gate never entered");
  release_tx
}

#[test]
fn a_fresh_keyspace_is_empty() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.size(), 0);
  assert_eq!(f.ks.used_memory(), 0);
  let info = f.ks.info();
  assert_eq!(
    info,
    Info {
      keys: 0,
      expires: 0,
      used_memory: 0,
      maxmemory: 0,
      evicted_keys: 0,
      expired_keys: 0,
      keyspace_hits: 0,
      keyspace_misses: 0,
      lazyfree_pending_objects: 0,
      lazyfreed_objects: 0
    }
  );
  assert_eq!(f.ks.get_owned("nope").unwrap(), None);
  assert_eq!(f.ks.info().keyspace_misses, 1);
}

#[test]
fn info_counts_hits_misses_keys_and_expires() {
  let mut f = Fixture::new();
  f.ks.set("a", b("1"), SetOptions::default()).unwrap();
  f.ks.set("b", b("2"), SetOptions { px: Some(10_000), ..Default::default() }).unwrap();
  f.ks.get("a").unwrap();
  f.ks.get("b").unwrap();
  f.ks.get("c").unwrap();
  f.ks.exists(&["a", "zz"]);
  let info = f.ks.info();
  assert_eq!((info.keys, info.expires), (2, 1));
  assert_eq!((info.keyspace_hits, info.keyspace_misses), (3, 2));
  // Writes count neither.
  f.ks.set("a", b("3"), SetOptions::default()).unwrap();
  f.ks.lpush("l", bs(&["x"])).unwrap();
  let info = f.ks.info();
  assert_eq!((info.keyspace_hits, info.keyspace_misses), (3, 2));
  f.check();
}
