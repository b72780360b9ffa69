//! The background dropper: lazy free on a dedicated OS thread.
//!
//! Freeing a list of a million elements means a million calls to `free`; on
//! the JavaScript thread that is a stall every request waiting behind it pays
//! for. A `Dropper` owns one named `std::thread` (freeing is CPU-bound work,
//! not something to run on the event loop or libuv's pool) that drains a
//! bounded `sync_channel`. Whoever removes a large value hands it over with
//! `try_send` and moves on: the producer never blocks. When the queue is full,
//! the dropper is closed, or its thread could not be started, the value is
//! freed inline on the caller's thread, and counted, so nothing is ever lost
//! or left waiting. Small values are freed inline: for them the hand-over
//! costs more than the free (see `memory::is_large_value`).
//!
//! Counters keep Redis's meanings (`lazyfreed_objects`,
//! `lazyfree_pending_objects`) and count values, not messages: a flush that
//! hands over a whole map in one message counts one value per entry.
//!
//! Bursts coalesce. A large value handed over one by one (`defer`: a
//! `release()`, a finalizer, a keyspace removal) joins the newest open
//! batch; only the value that opens a batch sends a message, and that
//! message stands for the whole batch: the thread takes the oldest open
//! batch for each such message it receives. A loop of 10 000 `release()`
//! calls thus sends a handful of messages, whatever the capacity, and the
//! thread starts freeing the first batch while the loop is still filling the
//! next. Batches are announced when they open, so nothing has to flush them
//! when the JavaScript run ends, nor on `drain`, `close` or teardown: every
//! open batch already has its message in the channel, and the thread takes
//! it in order. A batch is bounded (`BATCH_VALUES` values, `BATCH_BYTES`
//! estimated bytes); a value that finds the newest batch full opens another
//! one. Open batches number at most the messages queued, so what is
//! gathered is bounded by `capacity` batches. A value counts as `deferred`
//! the moment it joins a batch; a value freed inline because no batch could
//! be opened (the queue is full) counts as `inline_full`, and is never
//! counted as deferred.
//!
//! Joining a batch is the hot path (every `release()` of a large value), so
//! it costs one uncontended lock and a move: `deferred` and `deferred_bytes`
//! are written only under the batch lock, with plain loads and stores rather
//! than read-modify-writes, and a batch's vector is sized for a whole batch
//! when it opens. The thread hands the emptied vectors of the batches it
//! freed back (up to `SPARE_BATCHES`), so a steady stream of releases
//! neither allocates nor touches fresh pages.
//!
//! `drain` is a barrier without a message: the channel may be full, and a
//! barrier must never block or be dropped. Every message sent is numbered
//! under the link lock; the thread counts messages done under the waiter
//! lock; a drain waits for the number sent before it, and whichever side
//! comes second under the waiter lock fires it. A waiter's callback runs on
//! the drop thread (or inline when nothing is pending) and must not block.

use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
// Through `crate::sync`: `std`'s primitives, or loom's under `--cfg loom`.
use crate::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use crate::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use crate::sync::thread::{Builder, JoinHandle};
use crate::sync::{Arc, Mutex, MutexGuard};

use crate::error::{LfError, LfResult};
use crate::memory::{is_large_value, DEFAULT_THRESHOLD};
use crate::value::Value;

/// Channel slots when none are asked for: ~4096 pointers' worth of queue,
/// enough to absorb a burst of removals.
pub const DEFAULT_CAPACITY: usize = 4096;
/// Largest capacity accepted. `sync_channel` allocates and initialises all
/// its slots when the thread starts, on the caller's thread: each slot is a
/// boxed message's pointer and a stamp, 16 bytes, so the largest queue costs
/// 16 MiB and is set up in a few milliseconds (see docs/limits.md).
pub const MAX_CAPACITY: usize = 1 << 20;
/// The OS thread name when none is asked for.
pub const DEFAULT_NAME: &str = "lazyfree-drop";
/// Most values one batch gathers: the thread reports progress (the `freed`
/// counters, drains) at least this often during a burst.
pub const BATCH_VALUES: usize = 1024;
/// A batch takes no more values once it holds this many estimated bytes,
/// so a batch of huge values is freed, and counted, one or a few at a time.
pub const BATCH_BYTES: u64 = 64 << 20;
/// Emptied batch vectors (each room for `BATCH_VALUES` values, 80 KiB on a
/// 64-bit target) a dropper keeps for the next batches to fill: a burst
/// that outruns the thread has two or three batches open at once.
const SPARE_BATCHES: usize = 2;

/// What can be handed to the drop thread. Its contents are never read: the
/// thread receives them and lets their destructors run.
pub enum Garbage {
  /// The announcement of a batch of values handed over one by one: the
  /// thread takes the oldest open batch and frees it.
  Batch,
  /// Many values in one message (`deferAll`).
  Values(Vec<Value>),
  /// Anything else owned and sendable, such as a whole keyspace map handed
  /// over by an async flush.
  Other(Box<dyn Send>),
}

struct Message {
  garbage: Garbage,
  /// Values inside, for the counters.
  count: u64,
  /// Estimated bytes inside, for the counters.
  bytes: u64,
}

/// What became of a value handed to `defer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
  /// Queued for the drop thread.
  Deferred,
  /// Freed inline: not large.
  InlineSmall,
  /// Freed inline: the queue was full.
  InlineFull,
  /// Freed inline: the dropper is closed or has no thread.
  InlineClosed,
  /// Nothing was handed over (`defer_all` of nothing).
  Empty,
}

impl Outcome {
  pub fn deferred(self) -> bool {
    self == Outcome::Deferred
  }
}

#[derive(Debug, Clone)]
pub struct Options {
  pub capacity: usize,
  pub threshold: u64,
  pub name: String,
}

impl Options {
  /// Options from JavaScript numbers: `capacity` an integer from 1 to
  /// `MAX_CAPACITY`; `threshold` a non-negative safe integer, or `Infinity`
  /// for "nothing is large"; `name` non-empty, without NUL bytes.
  pub fn validated(capacity: f64, threshold: f64, name: String) -> LfResult<Options> {
    if !(capacity.fract() == 0.0 && capacity >= 1.0 && capacity <= MAX_CAPACITY as f64) {
      return Err(LfError::Range(format!(
        "capacity must be an integer from 1 to {MAX_CAPACITY}; got {capacity}"
      )));
    }
    let threshold = if threshold == f64::INFINITY {
      u64::MAX
    } else if threshold.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&threshold) {
      threshold as u64
    } else {
      return Err(LfError::Range(format!(
        "threshold must be a non-negative integer or Infinity; got {threshold}"
      )));
    };
    if name.is_empty() || name.contains('\0') {
      return Err(LfError::Range(format!(
        "name must be a non-empty string without NUL characters; got {name:?}"
      )));
    }
    Ok(Options { capacity: capacity as usize, threshold, name })
  }
}

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl Default for Options {
  fn default() -> Self {
    Options { capacity: DEFAULT_CAPACITY, threshold: DEFAULT_THRESHOLD, name: DEFAULT_NAME.into() }
  }
}

/// A snapshot of the counters. Every field only grows, except the gauges
/// `pending`, `pending_bytes` and `queued`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
  /// Values handed to the thread, ever.
  pub deferred: u64,
  /// Values the thread has freed (Redis: `lazyfreed_objects`).
  pub freed: u64,
  /// `deferred - freed` (Redis: `lazyfree_pending_objects`).
  pub pending: u64,
  /// Estimated bytes handed over and not yet freed.
  pub pending_bytes: u64,
  /// Estimated bytes the thread has freed.
  pub freed_bytes: u64,
  /// Values freed inline because they were not large.
  pub inline_small: u64,
  /// Values freed inline because the queue was full.
  pub inline_full: u64,
  /// Values freed inline because the dropper was closed or had no thread.
  pub inline_closed: u64,
  /// Messages in the channel right now.
  pub queued: u64,
  pub capacity: u64,
  pub thread_running: bool,
}

/// Called once, when a drain or close is satisfied.
pub type Callback = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Counters {
  /// Written only under the batch lock (`add_deferred`).
  deferred: AtomicU64,
  /// Written only under the batch lock (`add_deferred`).
  deferred_bytes: AtomicU64,
  freed: AtomicU64,
  freed_bytes: AtomicU64,
  inline_small: AtomicU64,
  inline_full: AtomicU64,
  inline_closed: AtomicU64,
  /// Messages accepted by the channel; written only under the link lock.
  sent: AtomicU64,
  /// Messages taken off the channel by the thread.
  received: AtomicU64,
  thread_running: AtomicBool,
}

#[derive(Default)]
struct Waiters {
  /// A thread was started: until then nothing can be pending.
  started: bool,
  /// Messages the thread has finished freeing.
  done: u64,
  /// The thread has stopped: nothing will ever be freed by it again.
  exited: bool,
  /// Callbacks waiting for `done` to reach their target.
  list: Vec<(u64, Callback)>,
}

/// Values handed over one by one, gathered until the thread takes them.
#[derive(Default)]
struct Batch {
  values: Vec<Value>,
  bytes: u64,
}

impl Batch {
  fn has_room(&self) -> bool {
    self.values.len() < BATCH_VALUES && self.bytes < BATCH_BYTES
  }
}

/// Counts `count` values of `bytes` as deferred (or takes them back when
/// `sign` is false). Plain loads and stores: every writer holds the batch
/// lock, which `_held` proves; readers only load.
fn add_deferred(counters: &Counters, _held: &MutexGuard<'_, Batches>, count: u64, bytes: u64, sign: bool) {
  let (c, b) = (counters.deferred.load(Relaxed), counters.deferred_bytes.load(Relaxed));
  let (c, b) = if sign { (c + count, b + bytes) } else { (c - count, b - bytes) };
  counters.deferred.store(c, Relaxed);
  counters.deferred_bytes.store(b, Relaxed);
}

#[derive(Default)]
struct Shared {
  counters: Counters,
  waiters: Mutex<Waiters>,
  batches: Mutex<Batches>,
}

#[derive(Default)]
struct Batches {
  /// Open batches, oldest first: one per `Garbage::Batch` message in the
  /// channel that the thread has not taken yet. Opened only under the link
  /// lock, in the order of their messages.
  open: VecDeque<Batch>,
  /// Set (under the link lock) when the dropper closes: from then on no
  /// value joins a batch.
  closed: bool,
  /// Emptied vectors of batches the thread has freed, at most
  /// `SPARE_BATCHES`, for new batches to fill.
  spare: Vec<Vec<Value>>,
}

impl Batches {
  /// Opens a batch holding `value`, in a spare vector when there is one.
  fn open(&mut self, value: Value, bytes: u64) {
    let mut values = self.spare.pop().unwrap_or_else(|| Vec::with_capacity(BATCH_VALUES));
    values.push(value);
    self.open.push_back(Batch { values, bytes });
  }

  /// Takes back the value of the batch just opened by `open`.
  fn unopen(&mut self) -> Value {
    let mut values = self.open.pop_back().expect("the batch just opened").values;
    let value = values.pop().expect("the value just pushed");
    self.recycle(values);
    value
  }

  /// Keeps an empty batch vector for a later batch, if there is room.
  fn recycle(&mut self, values: Vec<Value>) {
    if values.is_empty() && values.capacity() > 0 && self.spare.len() < SPARE_BATCHES {
      self.spare.push(values);
    }
  }

  /// The newest open batch, if a value may join it.
  fn joinable(&mut self) -> Option<&mut Batch> {
    if self.closed {
      return None;
    }
    self.open.back_mut().filter(|b| b.has_room())
  }
}

enum Link {
  /// No thread yet: it starts with the first value handed over.
  Idle,
  /// Messages are boxed so a slot is one pointer (see [`MAX_CAPACITY`]).
  Open(SyncSender<Box<Message>>),
  /// The thread could not be started: every value is freed inline, but the
  /// dropper was not closed.
  NoThread,
  Closed,
}

/// One drop thread and the bounded queue that feeds it.
pub struct Dropper {
  options: Options,
  link: Mutex<Link>,
  shared: Arc<Shared>,
  thread: Mutex<Option<JoinHandle<()>>>,
  /// Why the thread could not be started, until someone reports it.
  spawn_error: Mutex<Option<String>>,
  /// Whether `spawn_error` may hold something: checked on every hand-over,
  /// so that the common case takes no lock.
  spawn_failed: AtomicBool,
}

/// Locks ignoring poison: every critical section here leaves its data
/// consistent, and a panic elsewhere must not turn every later free into one.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
  m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Dropper {
  /// A dropper whose thread starts with the first value handed over.
  pub fn new(options: Options) -> Dropper {
    Dropper {
      options,
      link: Mutex::new(Link::Idle),
      shared: Arc::default(),
      thread: Mutex::new(None),
      spawn_error: Mutex::new(None),
      spawn_failed: AtomicBool::new(false),
    }
  }

  /// A dropper whose thread starts now.
  pub fn spawn(options: Options) -> Dropper {
    let builder = Builder::new().name(options.name.clone());
    Self::spawn_with(options, builder)
  }

  /// A dropper whose thread is started by `builder` now; a builder that
  /// cannot spawn leaves it in inline mode.
  pub fn spawn_with(options: Options, builder: Builder) -> Dropper {
    let dropper = Dropper::new(options);
    {
      let mut link = lock(&dropper.link);
      *link = dropper.start(builder);
    }
    dropper
  }

  pub fn capacity(&self) -> usize {
    self.options.capacity
  }

  pub fn threshold(&self) -> u64 {
    self.options.threshold
  }

  pub fn is_closed(&self) -> bool {
    matches!(*lock(&self.link), Link::Closed)
  }

  /// Hands `value` to the thread if it is large, gathered into the newest
  /// open batch (module doc); frees it inline otherwise, or when no batch can
  /// be opened because the queue is full or the thread is gone. Never blocks.
  pub fn defer(&self, value: Value, bytes: usize) -> Outcome {
    if !is_large_value(&value, self.options.threshold) {
      self.shared.counters.inline_small.fetch_add(1, Relaxed);
      drop(value);
      return Outcome::InlineSmall;
    }
    self.gather(value, bytes as u64)
  }

  fn gather(&self, value: Value, bytes: u64) -> Outcome {
    let counters = &self.shared.counters;
    // The common case in a burst, under one lock: the newest batch's message
    // is still in the channel, and the thread will take this value with it.
    // Counted before the thread can see the value (it takes batches under
    // this lock), so it can never free more than has been deferred.
    {
      let mut batches = lock(&self.shared.batches);
      if let Some(open) = batches.joinable() {
        open.values.push(value);
        open.bytes += bytes;
        add_deferred(counters, &batches, 1, bytes, true);
        return Outcome::Deferred;
      }
    }
    let refused = {
      let mut link = lock(&self.link);
      if let Link::Idle = *link {
        *link = self.start(Builder::new().name(self.options.name.clone()));
      }
      match &*link {
        Link::Open(tx) => {
          let mut batches = lock(&self.shared.batches);
          // Another producer may have opened a batch in the meantime.
          if let Some(open) = batches.joinable() {
            open.values.push(value);
            open.bytes += bytes;
            add_deferred(counters, &batches, 1, bytes, true);
            None
          } else {
            // A new batch, announced by one message. It is in place, and
            // counted, before the message can be received: the thread takes
            // batches under the lock held here.
            batches.open(value, bytes);
            add_deferred(counters, &batches, 1, bytes, true);
            match tx.try_send(Box::new(Message { garbage: Garbage::Batch, count: 0, bytes: 0 })) {
              Ok(()) => {
                counters.sent.fetch_add(1, Relaxed);
                None
              }
              Err(refusal) => {
                add_deferred(counters, &batches, 1, bytes, false);
                Some((batches.unopen(), matches!(refusal, TrySendError::Full(_))))
              }
            }
          }
        }
        Link::Idle | Link::NoThread | Link::Closed => Some((value, false)),
      }
    };
    match refused {
      None => Outcome::Deferred,
      Some((value, full)) => {
        let (counter, outcome) = if full {
          (&counters.inline_full, Outcome::InlineFull)
        } else {
          (&counters.inline_closed, Outcome::InlineClosed)
        };
        counter.fetch_add(1, Relaxed);
        // Freed here, on the caller's thread, outside every lock.
        drop(value);
        outcome
      }
    }
  }

  /// Hands all `values` over in one message, whatever their sizes.
  pub fn defer_all(&self, values: Vec<Value>, bytes: usize) -> Outcome {
    if values.is_empty() {
      return Outcome::Empty;
    }
    let count = values.len() as u64;
    self.send(Garbage::Values(values), count, bytes as u64)
  }

  /// Hands over any owned thing that stands for `count` values (a flushed
  /// map, say), in one message. Nothing is counted when `count` is 0.
  pub fn defer_other(&self, garbage: Box<dyn Send>, count: u64, bytes: usize) -> Outcome {
    if count == 0 {
      return Outcome::Empty;
    }
    self.send(Garbage::Other(garbage), count, bytes as u64)
  }

  fn send(&self, garbage: Garbage, count: u64, bytes: u64) -> Outcome {
    let counters = &self.shared.counters;
    let message = Box::new(Message { garbage, count, bytes });
    let refused = {
      let mut link = lock(&self.link);
      if let Link::Idle = *link {
        *link = self.start(Builder::new().name(self.options.name.clone()));
      }
      match &*link {
        Link::Open(tx) => {
          // Counted before the send, so the thread can never free more than
          // has been deferred; taken back if the send is refused. Under the
          // batch lock, as every write of `deferred` is.
          let batches = lock(&self.shared.batches);
          add_deferred(counters, &batches, count, bytes, true);
          match tx.try_send(message) {
            Ok(()) => {
              counters.sent.fetch_add(1, Relaxed);
              None
            }
            Err(refusal) => {
              add_deferred(counters, &batches, count, bytes, false);
              Some(match refusal {
                TrySendError::Full(m) => (m, Outcome::InlineFull),
                TrySendError::Disconnected(m) => (m, Outcome::InlineClosed),
              })
            }
          }
        }
        Link::Idle | Link::NoThread | Link::Closed => Some((message, Outcome::InlineClosed)),
      }
    };
    match refused {
      None => Outcome::Deferred,
      Some((message, outcome)) => {
        let counter = match outcome {
          Outcome::InlineFull => &counters.inline_full,
          _ => &counters.inline_closed,
        };
        counter.fetch_add(count, Relaxed);
        // Freed here, on the caller's thread, outside every lock.
        drop(message);
        outcome
      }
    }
  }

  /// Starts the thread; called with the link lock held.
  fn start(&self, builder: Builder) -> Link {
    let (tx, rx) = sync_channel::<Box<Message>>(self.options.capacity);
    let shared = Arc::clone(&self.shared);
    shared.counters.thread_running.store(true, Relaxed);
    match builder.spawn(move || run(rx, shared)) {
      Ok(handle) => {
        lock(&self.shared.waiters).started = true;
        *lock(&self.thread) = Some(handle);
        Link::Open(tx)
      }
      Err(e) => {
        self.shared.counters.thread_running.store(false, Relaxed);
        *lock(&self.spawn_error) = Some(spawn_error_message(&self.options.name, &e));
        self.spawn_failed.store(true, Relaxed);
        Link::NoThread
      }
    }
  }

  /// Why the thread could not be started, once: the first call after a
  /// failed spawn answers, later calls answer `None`.
  pub fn take_spawn_error(&self) -> Option<String> {
    if !self.spawn_failed.load(Relaxed) {
      return None;
    }
    lock(&self.spawn_error).take()
  }

  /// Calls `callback` once everything handed over before this call has been
  /// freed: at once when nothing is pending, otherwise from the drop thread.
  pub fn drain(&self, callback: Callback) {
    let target = {
      let _link = lock(&self.link);
      self.shared.counters.sent.load(Relaxed)
    };
    self.wait_for(target, callback);
  }

  /// Stops accepting values: from now on each is freed inline. The thread
  /// frees what is queued, then stops; `on_exit` is called when it has (at
  /// once if it never ran). Calling it again is harmless.
  pub fn close(&self, on_exit: Callback) {
    drop(self.shut());
    self.wait_for(u64::MAX, on_exit);
  }

  /// Marks the dropper closed, batches included; returns the old link, to
  /// be dropped (the sender with it) outside the lock.
  fn shut(&self) -> Link {
    let mut link = lock(&self.link);
    lock(&self.shared.batches).closed = true;
    std::mem::replace(&mut *link, Link::Closed)
  }

  /// Waits for the thread to finish, once it has been closed. Blocks: call
  /// it where blocking is fine (after `close`'s callback, or in tests).
  pub fn join(&self) {
    let handle = lock(&self.thread).take();
    if let Some(handle) = handle {
      let _ = handle.join();
    }
  }

  /// Closes, and lets the thread finish freeing on its own, unjoined: for
  /// teardown, where nobody may wait.
  pub fn detach(&self) {
    drop(self.shut());
    drop(lock(&self.thread).take());
  }

  fn wait_for(&self, target: u64, callback: Callback) {
    let mut waiters = lock(&self.shared.waiters);
    if !waiters.started || waiters.exited || waiters.done >= target {
      drop(waiters);
      callback();
    } else {
      waiters.list.push((target, callback));
    }
  }

  /// Emptied batch vectors kept for the next batches.
  #[cfg(all(test, not(loom)))]
  fn spare_batches(&self) -> usize {
    lock(&self.shared.batches).spare.len()
  }

  pub fn stats(&self) -> Stats {
    let c = &self.shared.counters;
    // Freed before deferred: a value freed between the two reads then shows
    // as still pending, never as freed twice.
    let freed = c.freed.load(Relaxed);
    let freed_bytes = c.freed_bytes.load(Relaxed);
    let received = c.received.load(Relaxed);
    let deferred = c.deferred.load(Relaxed);
    let deferred_bytes = c.deferred_bytes.load(Relaxed);
    let sent = c.sent.load(Relaxed);
    Stats {
      deferred,
      freed,
      pending: deferred.saturating_sub(freed),
      pending_bytes: deferred_bytes.saturating_sub(freed_bytes),
      freed_bytes,
      inline_small: c.inline_small.load(Relaxed),
      inline_full: c.inline_full.load(Relaxed),
      inline_closed: c.inline_closed.load(Relaxed),
      queued: sent.saturating_sub(received),
      capacity: self.options.capacity as u64,
      thread_running: c.thread_running.load(Relaxed),
    }
  }
}

impl Drop for Dropper {
  fn drop(&mut self) {
    self.detach();
  }
}

fn spawn_error_message(name: &str, e: &io::Error) -> String {
  format!("lazyfree: could not start the drop thread '{name}' ({e}); values will be freed inline on the calling thread")
}

/// Marks the thread stopped and fires every waiter, however the thread ends.
struct ExitGuard(Arc<Shared>);

impl Drop for ExitGuard {
  fn drop(&mut self) {
    let callbacks = {
      let mut waiters = lock(&self.0.waiters);
      waiters.exited = true;
      self.0.counters.thread_running.store(false, Relaxed);
      std::mem::take(&mut waiters.list)
    };
    for (_, callback) in callbacks {
      callback();
    }
  }
}

/// The drop thread: free each message, count it, wake whoever waits for it.
fn run(rx: Receiver<Box<Message>>, shared: Arc<Shared>) {
  let _guard = ExitGuard(Arc::clone(&shared));
  // Background work: when woken on a busy machine, it must not preempt the
  // thread that handed it the value. (Not under loom, whose threads are not
  // OS threads.)
  #[cfg(not(all(loom, test)))]
  os::lower_current_thread_priority();
  let counters = &shared.counters;
  while let Ok(message) = rx.recv() {
    let Message { garbage, mut count, mut bytes } = *message;
    counters.received.fetch_add(1, Relaxed);
    match garbage {
      // The oldest open batch is this message's: batches are opened, and
      // their messages sent, in the same order under the link lock. From
      // here on no value can join it.
      Garbage::Batch => {
        let batch = lock(&shared.batches).open.pop_front().unwrap_or_default();
        count = batch.values.len() as u64;
        bytes = batch.bytes;
        let mut values = batch.values;
        // A destructor that panics must not take the thread, or the
        // counters, with it; `clear` drops the other values all the same
        // and leaves the vector empty.
        let _ = catch_unwind(AssertUnwindSafe(|| values.clear()));
        lock(&shared.batches).recycle(values);
      }
      other => {
        let _ = catch_unwind(AssertUnwindSafe(move || drop(other)));
      }
    }
    counters.freed.fetch_add(count, Relaxed);
    counters.freed_bytes.fetch_add(bytes, Relaxed);
    let ready = {
      let mut waiters = lock(&shared.waiters);
      waiters.done += 1;
      let done = waiters.done;
      if waiters.list.iter().any(|(target, _)| *target <= done) {
        let (ready, waiting) = std::mem::take(&mut waiters.list).into_iter().partition(|(t, _)| *t <= done);
        waiters.list = waiting;
        ready
      } else {
        Vec::new()
      }
    };
    for (_, callback) in ready {
      callback();
    }
  }
}

// The one module of the core allowed `unsafe`: two libc scheduling calls.
#[allow(unsafe_code)]
pub mod os;

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom;
