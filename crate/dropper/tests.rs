//! The dropper's behaviour, asserted through its counters: every value
//! offered is accounted for as deferred and freed, or freed inline for a
//! named reason.

use super::*;
use crate::value::Bytes;
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Sender};
use std::time::Duration;

fn list(n: usize) -> Value {
  Value::List((0..n).map(|i| Bytes::from(format!("item-{i}"))).collect::<VecDeque<_>>())
}

fn options(capacity: usize) -> Options {
  Options { capacity, ..Options::default() }
}

/// Blocks until the dropper has freed everything handed over so far.
fn drain_blocking(d: &Dropper) {
  let (tx, rx) = channel();
  d.drain(Box::new(move || tx.send(()).unwrap()));
  rx.recv_timeout(Duration::from_secs(10)).expect("drain never fired");
}

/// Something whose destructor holds the drop thread until it is released,
/// after saying which thread it runs on.
struct Gate {
  entered: Sender<Option<String>>,
  release: std::sync::mpsc::Receiver<()>,
}

impl Drop for Gate {
  fn drop(&mut self) {
    let _ = self.entered.send(std::thread::current().name().map(str::to_owned));
    let _ = self.release.recv();
  }
}

/// Hands the dropper a gate and waits until its thread is stuck in it.
/// Returns the thread's name and the handle that lets it go.
fn hold_thread(d: &Dropper) -> (Option<String>, Sender<()>) {
  let (entered_tx, entered_rx) = channel();
  let (release_tx, release_rx) = channel();
  let gate = Gate { entered: entered_tx, release: release_rx };
  assert_eq!(d.defer_other(Box::new(gate), 1, 0), Outcome::Deferred);
  let name = entered_rx.recv_timeout(Duration::from_secs(10)).expect("gate never entered");
  (name, release_tx)
}

#[test]
fn small_values_are_freed_inline_and_counted() {
  let d = Dropper::spawn(Options::default());
  assert_eq!(d.defer(Value::String(Bytes::from(vec![7u8; 1 << 20])), 1 << 20), Outcome::InlineSmall);
  assert_eq!(d.defer(list(64), 0), Outcome::InlineSmall);
  let s = d.stats();
  assert_eq!((s.inline_small, s.deferred, s.freed), (2, 0, 0));
}

#[test]
fn large_values_are_freed_by_the_thread_and_counted_with_their_bytes() {
  let d = Dropper::spawn(Options::default());
  assert_eq!(d.defer(list(65), 1000), Outcome::Deferred);
  assert_eq!(d.defer(list(100_000), 5000), Outcome::Deferred);
  drain_blocking(&d);
  let s = d.stats();
  assert_eq!((s.deferred, s.freed, s.pending), (2, 2, 0));
  assert_eq!((s.freed_bytes, s.pending_bytes, s.queued), (6000, 0, 0));
  assert_eq!(s.inline_small + s.inline_full + s.inline_closed, 0);
}

#[test]
fn a_full_queue_frees_inline_and_loses_nothing() {
  let d = Dropper::spawn(options(1));
  let (name, release) = hold_thread(&d);
  assert_eq!(name.as_deref(), Some(DEFAULT_NAME));
  assert_eq!(d.defer(list(100), 1), Outcome::Deferred, "one slot is free: a batch opens");
  assert_eq!(d.stats().queued, 1);
  for _ in 1..BATCH_VALUES {
    assert_eq!(d.defer(list(65), 1), Outcome::Deferred, "the open batch has room");
  }
  assert_eq!(d.stats().queued, 1);
  assert_eq!(d.defer(list(100), 1), Outcome::InlineFull, "the batch is full and no other can open");
  assert_eq!(d.defer_all(vec![list(1), list(2)], 2), Outcome::InlineFull);
  let s = d.stats();
  assert_eq!((s.deferred, s.pending, s.inline_full), (1 + BATCH_VALUES as u64, 1 + BATCH_VALUES as u64, 3));
  release.send(()).unwrap();
  drain_blocking(&d);
  let s = d.stats();
  let n = 1 + BATCH_VALUES as u64;
  assert_eq!((s.deferred, s.freed, s.inline_full, s.freed_bytes), (n, n, 3, n - 1));
}

#[test]
fn values_handed_over_one_by_one_coalesce_into_few_messages() {
  // A burst larger than the queue: each value would need a slot of its own
  // if it were sent alone.
  let d = Dropper::spawn(options(4));
  let (_, release) = hold_thread(&d);
  let burst = 3 * BATCH_VALUES + 1;
  for _ in 0..burst {
    assert_eq!(d.defer(list(65), 2), Outcome::Deferred);
  }
  // The held gate counts as one more deferred value.
  let s = d.stats();
  let n = burst as u64 + 1;
  assert_eq!((s.deferred, s.pending, s.inline_full, s.queued), (n, n, 0, 4));
  release.send(()).unwrap();
  drain_blocking(&d);
  let s = d.stats();
  assert_eq!((s.freed, s.pending, s.freed_bytes, s.pending_bytes), (n, 0, 2 * burst as u64, 0));
}

#[test]
fn a_batch_takes_no_more_values_once_it_holds_its_bytes() {
  let d = Dropper::spawn(options(8));
  let (_, release) = hold_thread(&d);
  assert_eq!(d.defer(list(65), BATCH_BYTES as usize - 1), Outcome::Deferred);
  assert_eq!(d.defer(list(65), 1), Outcome::Deferred);
  assert_eq!(d.stats().queued, 1, "the first batch had room for one byte more");
  assert_eq!(d.defer(list(65), 1), Outcome::Deferred);
  assert_eq!(d.stats().queued, 2, "the first batch is full: a second one opens");
  release.send(()).unwrap();
  drain_blocking(&d);
  assert_eq!((d.stats().freed, d.stats().pending_bytes), (4, 0));
}

#[test]
fn a_freed_batch_lends_its_vector_to_the_next_one() {
  let d = Dropper::spawn(options(8));
  assert_eq!(d.defer(list(65), 1), Outcome::Deferred);
  drain_blocking(&d);
  assert_eq!(d.spare_batches(), 1, "the thread handed the emptied vector back");
  let (_, release) = hold_thread(&d);
  assert_eq!(d.defer(list(65), 1), Outcome::Deferred);
  assert_eq!(d.spare_batches(), 0, "the new batch took it");
  // More batches open than vectors are kept: the rest are freed.
  for _ in 0..2 * BATCH_VALUES {
    assert_eq!(d.defer(list(65), 1), Outcome::Deferred);
  }
  assert_eq!(d.stats().queued, 3, "three batches wait behind the gate");
  release.send(()).unwrap();
  drain_blocking(&d);
  assert_eq!(d.spare_batches(), SPARE_BATCHES);
  let s = d.stats();
  let n = 2 + 2 * BATCH_VALUES as u64;
  assert_eq!((s.deferred, s.freed, s.freed_bytes, s.pending), (n + 1, n + 1, n, 0));
}

#[test]
fn a_refused_batch_keeps_its_vector_and_counts_nothing_deferred() {
  let d = Dropper::spawn(options(1));
  let (_, release) = hold_thread(&d);
  // The one slot takes the first batch; once it is full, no other can open.
  for _ in 0..BATCH_VALUES {
    assert_eq!(d.defer(list(65), 1), Outcome::Deferred);
  }
  assert_eq!(d.spare_batches(), 0);
  assert_eq!(d.defer(list(65), 1), Outcome::InlineFull);
  assert_eq!(d.spare_batches(), 1, "the refused batch's vector is kept");
  let s = d.stats();
  let n = 1 + BATCH_VALUES as u64;
  assert_eq!((s.deferred, s.inline_full, s.pending_bytes), (n, 1, n - 1));
  release.send(()).unwrap();
  drain_blocking(&d);
  assert_eq!(d.spare_batches(), 2);
}

#[test]
fn close_and_teardown_let_the_thread_free_open_batches() {
  for detach in [false, true] {
    let d = Dropper::spawn(Options::default());
    let (_, release) = hold_thread(&d);
    for _ in 0..10 {
      assert_eq!(d.defer(list(100), 3), Outcome::Deferred);
    }
    let (tx, rx) = channel();
    if detach {
      d.detach();
      d.drain(Box::new(move || tx.send(()).unwrap()));
    } else {
      d.close(Box::new(move || tx.send(()).unwrap()));
    }
    assert_eq!(d.defer(list(100), 3), Outcome::InlineClosed, "no value joins a batch once closed");
    release.send(()).unwrap();
    rx.recv_timeout(Duration::from_secs(10)).expect("the thread never finished");
    let s = d.stats();
    assert_eq!(
      (s.deferred, s.freed, s.pending, s.inline_closed, s.inline_full),
      (11, 11, 0, 1, 0),
      "detach: {detach}"
    );
  }
}

#[test]
fn drain_waits_for_what_was_handed_over_before_it() {
  let d = Dropper::spawn(Options::default());
  let (_, release) = hold_thread(&d);
  d.defer(list(100), 10);
  let (tx, rx) = channel();
  d.drain(Box::new(move || tx.send(()).unwrap()));
  assert!(rx.try_recv().is_err(), "drain fired while the thread was held");
  assert_eq!(d.stats().pending, 2);
  release.send(()).unwrap();
  rx.recv_timeout(Duration::from_secs(10)).unwrap();
  let s = d.stats();
  assert_eq!((s.freed, s.deferred, s.pending, s.pending_bytes), (2, 2, 0, 0));
}

#[test]
fn drain_with_nothing_pending_fires_at_once() {
  for d in [Dropper::new(Options::default()), Dropper::spawn(Options::default())] {
    let (tx, rx) = channel();
    d.drain(Box::new(move || tx.send(()).unwrap()));
    rx.try_recv().expect("drain should have fired inline");
  }
}

#[test]
fn defer_all_is_one_message_counted_per_value() {
  let d = Dropper::spawn(Options::default());
  assert_eq!(d.defer_all(vec![list(1), list(2), list(300)], 30), Outcome::Deferred);
  assert_eq!(d.defer_all(Vec::new(), 0), Outcome::Empty);
  assert_eq!(d.defer_other(Box::new(()), 0, 0), Outcome::Empty);
  drain_blocking(&d);
  let s = d.stats();
  assert_eq!((s.deferred, s.freed, s.freed_bytes), (3, 3, 30));
}

#[test]
fn a_closed_dropper_frees_inline_and_close_is_idempotent() {
  let d = Dropper::spawn(Options::default());
  d.defer(list(100), 1);
  let (tx, rx) = channel();
  let tx2 = tx.clone();
  d.close(Box::new(move || tx.send(1).unwrap()));
  d.close(Box::new(move || tx2.send(2).unwrap()));
  let mut fired: Vec<i32> = (0..2).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
  fired.sort();
  assert_eq!(fired, [1, 2]);
  d.join();
  assert!(d.is_closed());
  assert_eq!(d.defer(list(100), 1), Outcome::InlineClosed);
  let s = d.stats();
  assert_eq!((s.deferred, s.freed, s.inline_closed), (1, 1, 1));
  assert!(!s.thread_running);
}

#[test]
fn a_thread_that_cannot_be_spawned_leaves_inline_mode() {
  let impossible = Builder::new().stack_size(1 << 60);
  let d = Dropper::spawn_with(Options::default(), impossible);
  let message = d.take_spawn_error().expect("the spawn should have failed");
  assert!(message.contains("lazyfree-drop"), "{message}");
  assert_eq!(d.take_spawn_error(), None, "reported once");
  assert!(!d.is_closed(), "a dropper without a thread is not closed");
  assert_eq!(d.defer(list(100), 1), Outcome::InlineClosed);
  let s = d.stats();
  assert!(!s.thread_running);
  assert_eq!((s.deferred, s.inline_closed), (0, 1));
  drain_blocking(&d);
}

#[test]
fn an_idle_dropper_starts_its_thread_on_first_use() {
  let d = Dropper::new(Options::default());
  assert!(!d.stats().thread_running);
  d.defer(list(10), 0);
  assert!(!d.stats().thread_running, "a small value needs no thread");
  d.defer(list(100), 0);
  assert!(d.stats().thread_running);
  drain_blocking(&d);
  assert_eq!(d.stats().freed, 1);
}

struct PanicOnDrop;

impl Drop for PanicOnDrop {
  fn drop(&mut self) {
    panic!("destructor panic (expected by the test)");
  }
}

#[test]
fn a_panicking_destructor_does_not_stop_the_thread() {
  let d = Dropper::spawn(Options::default());
  d.defer_other(Box::new(PanicOnDrop), 1, 0);
  d.defer(list(100), 0);
  drain_blocking(&d);
  let s = d.stats();
  assert_eq!((s.freed, s.deferred), (2, 2));
  assert!(s.thread_running);
}

#[test]
fn many_producers_and_drains_keep_the_identity() {
  let d = Arc::new(Dropper::spawn(options(8)));
  let producers: Vec<_> = (0..4)
    .map(|_| {
      let d = Arc::clone(&d);
      std::thread::spawn(move || {
        for _ in 0..200 {
          d.defer(list(70), 7);
          if d.stats().queued == 0 {
            drain_blocking(&d);
          }
        }
      })
    })
    .collect();
  for p in producers {
    p.join().unwrap();
  }
  drain_blocking(&d);
  let s = d.stats();
  assert_eq!(s.deferred + s.inline_full, 800);
  assert_eq!((s.freed, s.pending, s.pending_bytes), (s.deferred, 0, 0));
  assert_eq!(s.freed_bytes, s.deferred * 7);
}

#[test]
fn dropping_the_last_handle_lets_the_thread_finish_and_exit() {
  let d = Dropper::spawn(Options::default());
  let (tx, rx) = channel();
  d.defer(list(1000), 0);
  d.close(Box::new(move || tx.send(()).unwrap()));
  drop(d);
  rx.recv_timeout(Duration::from_secs(10)).expect("thread never exited");
}

#[test]
fn options_from_javascript_numbers_are_checked() {
  let ok = Options::validated(1.0, 0.0, "x".into()).unwrap();
  assert_eq!((ok.capacity, ok.threshold), (1, 0));
  assert_eq!(Options::validated(4096.0, f64::INFINITY, "x".into()).unwrap().threshold, u64::MAX);
  for (capacity, threshold, name) in [
    (0.0, 64.0, "x"),
    (1.5, 64.0, "x"),
    (f64::NAN, 64.0, "x"),
    ((MAX_CAPACITY + 1) as f64, 64.0, "x"),
    (8.0, -1.0, "x"),
    (8.0, 0.5, "x"),
    (8.0, f64::NAN, "x"),
    (8.0, 64.0, ""),
    (8.0, 64.0, "a\0b"),
  ] {
    let err = Options::validated(capacity, threshold, name.into()).unwrap_err();
    assert!(matches!(err, LfError::Range(_)), "{capacity} {threshold} {name:?}: {err:?}");
  }
}

/// Fields of `/proc/thread-self/stat` after the command name (which may hold
/// spaces) from field 4 of proc(5) on: index 0 is field 4.
#[cfg(target_os = "linux")]
fn own_stat() -> Vec<i64> {
  let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
  stat[stat.rfind(')').unwrap() + 2..].split(' ').skip(1).map(|f| f.trim().parse().unwrap_or(-1)).collect()
}

#[cfg(target_os = "linux")]
#[test]
fn the_drop_thread_runs_at_a_lower_priority_than_its_creator() {
  // proc(5): field 19 is nice, field 41 the scheduling policy.
  const NICE: usize = 19 - 4;
  const POLICY: usize = 41 - 4;
  struct Probe(Sender<Vec<i64>>);
  impl Drop for Probe {
    fn drop(&mut self) {
      let _ = self.0.send(own_stat());
    }
  }
  let d = Dropper::spawn(Options::default());
  let (tx, rx) = channel();
  d.defer_other(Box::new(Probe(tx)), 1, 0);
  let thread = rx.recv_timeout(Duration::from_secs(10)).unwrap();
  let own = own_stat();
  assert_eq!(thread[NICE], (own[NICE] + crate::dropper::os::DROP_THREAD_NICE as i64).min(19));
  assert_eq!(thread[POLICY], libc::SCHED_BATCH as i64);
  assert_eq!(own[POLICY], libc::SCHED_OTHER as i64, "the caller's own policy is left alone");
}
