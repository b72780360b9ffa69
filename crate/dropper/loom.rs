//! Model checks of the dropper's synchronisation, run with loom over every
//! interleaving (up to a preemption bound) of the drop thread, producers,
//! drains and closes:
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" cargo test --release --lib dropper::loom
//! ```
//!
//! What they prove, for the channel, the counters and the drain barrier:
//!
//! - every value offered is accounted for exactly once: deferred, or freed
//!   inline for a named reason (`deferred + inline_full + inline_closed ==
//!   offered`);
//! - after a drain fires, `freed == deferred`, `pending == 0` and
//!   `pending_bytes == 0` for everything handed over before the drain;
//! - no lost wake-up: a drain registered while the thread is finishing a
//!   message, or while the dropper is being closed, always fires (a waiter
//!   that never fires leaves the model thread blocked, which loom reports as
//!   a deadlock);
//! - each drain and close callback fires exactly once, and the thread stops
//!   after a close;
//! - values handed over one by one and gathered into batches (a producer
//!   joining the open batch while the thread takes it, a batch full, no slot
//!   for a new one) are each freed once: by the thread when a drain, a close
//!   or a teardown (`detach`) races with the gathering, or inline, counted.
//!
//! Models are kept small (capacity 1–2, two producers, one to three values)
//! so that the exhaustive search finishes in minutes. `LOOM_MAX_PREEMPTIONS`
//! overrides the default bound of 3.

use std::collections::VecDeque;

use ::loom::sync::Condvar;

use super::*;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::thread;
use crate::value::Bytes;

/// Bytes reported for each value, so byte counters are checked as well.
const BYTES: usize = 100;

/// A list of one element: large under threshold 0.
fn large() -> Value {
  Value::List(VecDeque::from([Bytes::from_static(b"x")]))
}

fn options(capacity: usize) -> Options {
  Options { capacity, threshold: 0, name: "loom-drop".into() }
}

/// A callback target that counts how often it fired and lets a model thread
/// wait for the first time.
#[derive(Default)]
struct Latch {
  fired: Mutex<usize>,
  cond: Condvar,
  /// Fired callbacks, also readable without the lock.
  count: AtomicUsize,
}

impl Latch {
  fn new() -> Arc<Latch> {
    Arc::new(Latch::default())
  }

  fn callback(this: &Arc<Latch>) -> Callback {
    let latch = Arc::clone(this);
    Box::new(move || {
      latch.count.fetch_add(1, SeqCst);
      *latch.fired.lock().unwrap() += 1;
      latch.cond.notify_all();
    })
  }

  /// Blocks until the callback has fired. If it never does, every model
  /// thread ends up blocked and loom fails the model with a deadlock.
  fn wait(&self) {
    let mut fired = self.fired.lock().unwrap();
    while *fired == 0 {
      fired = self.cond.wait(fired).unwrap();
    }
  }

  fn count(&self) -> usize {
    self.count.load(SeqCst)
  }
}

/// Every value offered is counted exactly once, and the byte counters agree.
fn assert_accounted(s: &Stats, offered: u64) {
  assert_eq!(s.deferred + s.inline_full + s.inline_closed + s.inline_small, offered, "{s:?}");
  assert_eq!(s.inline_small, 0, "{s:?}");
  assert_eq!(s.freed_bytes, s.freed * BYTES as u64, "{s:?}");
}

/// After a drain: nothing handed over before it is still pending.
fn assert_drained(s: &Stats) {
  assert_eq!(s.freed, s.deferred, "{s:?}");
  assert_eq!(s.pending, 0, "{s:?}");
  assert_eq!(s.pending_bytes, 0, "{s:?}");
  assert_eq!(s.queued, 0, "{s:?}");
}

fn model(f: impl Fn() + Sync + Send + 'static) {
  let mut builder = ::loom::model::Builder::new();
  if builder.preemption_bound.is_none() {
    builder.preemption_bound = Some(3);
  }
  builder.check(f);
}

/// Two producers race to start the thread and fill a one-slot queue; once
/// they are done, a drain (racing with the thread finishing its messages)
/// fires with every deferred value freed; close fires once and stops the
/// thread.
#[test]
fn loom_two_producers_then_drain_and_close() {
  model(|| {
    let dropper = Arc::new(Dropper::new(options(1)));
    let producers: Vec<_> = (0..2)
      .map(|_| {
        let d = Arc::clone(&dropper);
        thread::spawn(move || {
          d.defer(large(), BYTES);
        })
      })
      .collect();
    for p in producers {
      p.join().unwrap();
    }

    let drained = Latch::new();
    dropper.drain(Latch::callback(&drained));
    drained.wait();
    let s = dropper.stats();
    assert_accounted(&s, 2);
    assert_drained(&s);
    assert!(s.deferred >= 1, "the first value always finds the queue empty: {s:?}");

    let closed = Latch::new();
    dropper.close(Latch::callback(&closed));
    closed.wait();
    dropper.join();
    let s = dropper.stats();
    assert!(!s.thread_running);
    assert_drained(&s);
    assert_eq!((drained.count(), closed.count()), (1, 1));
  });
}

/// A drain registered while a producer is still handing values over and the
/// thread is freeing them: it fires, and by then at least everything handed
/// over before it (the first value) is freed. A second drain after the
/// producer is done gives the full identity.
#[test]
fn loom_drain_concurrent_with_producer_and_thread() {
  model(|| {
    let dropper = Arc::new(Dropper::spawn(options(2)));
    assert_eq!(dropper.defer(large(), BYTES), Outcome::Deferred);

    let producer = {
      let d = Arc::clone(&dropper);
      thread::spawn(move || {
        d.defer_all(vec![large(), large()], 2 * BYTES);
      })
    };

    let first = Latch::new();
    dropper.drain(Latch::callback(&first));
    first.wait();
    assert!(dropper.stats().freed >= 1, "{:?}", dropper.stats());

    producer.join().unwrap();
    let second = Latch::new();
    dropper.drain(Latch::callback(&second));
    second.wait();
    let s = dropper.stats();
    assert_accounted(&s, 3);
    assert_drained(&s);

    let closed = Latch::new();
    dropper.close(Latch::callback(&closed));
    closed.wait();
    dropper.join();
    assert_eq!((first.count(), second.count(), closed.count()), (1, 1, 1));
  });
}

/// close() races with a producer and with a drain on other threads: the
/// drain and the close each fire exactly once whichever comes first, every
/// value is deferred and freed or freed inline (full or closed), and the
/// thread stops. A drain after the thread stopped fires at once.
#[test]
fn loom_close_races_defer_and_drain() {
  model(|| {
    let dropper = Arc::new(Dropper::spawn(options(1)));

    let producer = {
      let d = Arc::clone(&dropper);
      thread::spawn(move || {
        d.defer(large(), BYTES);
        d.defer(large(), BYTES);
      })
    };
    let drained = Latch::new();
    let drainer = {
      let d = Arc::clone(&dropper);
      let latch = Arc::clone(&drained);
      thread::spawn(move || {
        d.drain(Latch::callback(&latch));
        latch.wait();
      })
    };

    let closed = Latch::new();
    dropper.close(Latch::callback(&closed));
    closed.wait();
    producer.join().unwrap();
    drainer.join().unwrap();
    dropper.join();

    let s = dropper.stats();
    assert!(!s.thread_running);
    assert_accounted(&s, 2);
    assert_drained(&s);
    assert_eq!((drained.count(), closed.count()), (1, 1));

    // After close: values are freed inline, drains fire at once.
    assert_eq!(dropper.defer(large(), BYTES), Outcome::InlineClosed);
    let late = Latch::new();
    dropper.drain(Latch::callback(&late));
    assert_eq!(late.count(), 1);
    assert_accounted(&dropper.stats(), 3);
  });
}

/// Two closes from two threads while a value is in flight: each callback
/// fires exactly once, and the value is freed by the thread or was never
/// handed over.
#[test]
fn loom_close_twice_concurrently() {
  model(|| {
    let dropper = Arc::new(Dropper::spawn(options(1)));
    let outcome = dropper.defer(large(), BYTES);
    assert_eq!(outcome, Outcome::Deferred);

    let other = Latch::new();
    let closer = {
      let d = Arc::clone(&dropper);
      let latch = Arc::clone(&other);
      thread::spawn(move || {
        d.close(Latch::callback(&latch));
        latch.wait();
      })
    };
    let mine = Latch::new();
    dropper.close(Latch::callback(&mine));
    mine.wait();
    closer.join().unwrap();
    dropper.join();

    let s = dropper.stats();
    assert!(!s.thread_running);
    assert_accounted(&s, 1);
    assert_drained(&s);
    assert_eq!(s.freed, 1);
    assert_eq!((mine.count(), other.count()), (1, 1));
  });
}

/// How a model of the gathering ends, racing with the producer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
  Drain,
  Close,
  Teardown,
}

/// A producer hands `values` large values over one by one into a one-slot
/// queue, so they are gathered into batches (joining the open one, or
/// opening another when the thread has taken it, or freed inline when no
/// slot is left), while the main thread drains, closes, or tears the dropper
/// down. Whatever the interleaving, each value is counted exactly once, and
/// once a drain after the producer fires, every deferred value has been
/// freed by the thread: none lost in a batch, none freed twice.
fn gathering_then(end: End, values: u64) {
  model(move || {
    let dropper = Arc::new(Dropper::spawn(options(1)));
    let producer = {
      let d = Arc::clone(&dropper);
      thread::spawn(move || {
        for _ in 0..values {
          d.defer(large(), BYTES);
        }
      })
    };

    let ended = Latch::new();
    match end {
      End::Drain => dropper.drain(Latch::callback(&ended)),
      End::Close => dropper.close(Latch::callback(&ended)),
      End::Teardown => {
        dropper.detach();
        dropper.drain(Latch::callback(&ended));
      }
    }
    ended.wait();
    producer.join().unwrap();

    let after = Latch::new();
    dropper.drain(Latch::callback(&after));
    after.wait();
    let s = dropper.stats();
    assert_accounted(&s, values);
    assert_drained(&s);
    assert_eq!(s.freed_bytes, s.deferred * BYTES as u64, "{s:?}");
    if end == End::Drain {
      assert!(s.deferred >= 1, "the first value always finds the queue empty: {s:?}");
      assert_eq!(s.inline_closed, 0, "{s:?}");
      let closed = Latch::new();
      dropper.close(Latch::callback(&closed));
      closed.wait();
    }
    if end != End::Teardown {
      dropper.join();
      assert!(!dropper.stats().thread_running);
    }
    assert_eq!((ended.count(), after.count()), (1, 1));
  });
}

#[test]
fn loom_gathered_values_then_drain() {
  gathering_then(End::Drain, 3);
}

#[test]
fn loom_gathered_values_then_close() {
  gathering_then(End::Close, 2);
}

#[test]
fn loom_gathered_values_then_teardown() {
  gathering_then(End::Teardown, 2);
}

/// The bounded channel used under loom keeps `std`'s semantics: full at its
/// bound, disconnected once the receiver is gone, and `recv` ends once the
/// senders are gone and the queue is empty.
#[test]
fn loom_channel_semantics() {
  model(|| {
    let (tx, rx) = sync_channel::<u32>(1);
    let tx2 = tx.clone();
    let sender = thread::spawn(move || {
      let mut sent = 0;
      for i in 0..2 {
        match tx2.try_send(i) {
          Ok(()) => sent += 1,
          Err(TrySendError::Full(v)) => assert_eq!(v, i),
          Err(TrySendError::Disconnected(_)) => unreachable!("receiver alive"),
        }
      }
      sent
    });
    assert!(matches!(tx.try_send(7), Ok(()) | Err(TrySendError::Full(7))));
    drop(tx);
    let mut got = 0;
    while rx.recv().is_ok() {
      got += 1;
    }
    let sent = sender.join().unwrap();
    assert!(got >= sent && got <= sent + 1, "got {got}, sender sent {sent}");

    let (tx, rx) = sync_channel::<u32>(2);
    drop(rx);
    assert!(matches!(tx.try_send(1), Err(TrySendError::Disconnected(1))));
  });
}
