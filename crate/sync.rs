//! The synchronisation primitives the dropper is built from, in one place so
//! they can be swapped for loom's model-checked ones.
//!
//! In a normal build this module only re-exports `std`: `Arc`, `Mutex`, the
//! atomics, `thread`, and the bounded `mpsc::sync_channel`. In the tests built
//! with `--cfg loom` (see `crate/dropper/loom.rs`; loom is a dev-dependency,
//! so a non-test build keeps `std` even under that cfg), the same names are
//! loom's primitives, so a model test explores every interleaving of the drop
//! thread, the producers and the waiters. loom has no bounded channel, so
//! under loom `mpsc` is a small one built from loom's `Mutex` and `Condvar`
//! with `std`'s semantics for everything the dropper relies on:
//!
//! - `try_send` never blocks: `Full` when `bound` messages are queued,
//!   `Disconnected` once the receiver is gone (even with room left);
//! - `recv` blocks until a message arrives, and returns `Err` once the queue
//!   is empty and every sender has been dropped;
//! - dropping the receiver drops whatever is still queued.

#[cfg(not(all(loom, test)))]
pub use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(not(all(loom, test)))]
pub use std::thread;

#[cfg(not(all(loom, test)))]
pub mod atomic {
  pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

#[cfg(not(all(loom, test)))]
pub mod mpsc {
  pub use std::sync::mpsc::{sync_channel, Receiver, RecvError, SyncSender, TrySendError};
}

#[cfg(all(loom, test))]
pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(all(loom, test))]
pub use loom::thread;

#[cfg(all(loom, test))]
pub mod atomic {
  pub use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

/// A bounded channel for loom models, with `std::sync::mpsc::sync_channel`'s
/// semantics for `try_send`, `recv` and disconnection (module doc).
#[cfg(all(loom, test))]
pub mod mpsc {
  use std::collections::VecDeque;

  use super::{Arc, Condvar, Mutex, MutexGuard};
  pub use std::sync::mpsc::{RecvError, TrySendError};

  struct State<T> {
    queue: VecDeque<T>,
    bound: usize,
    senders: usize,
    receiver: bool,
  }

  struct Chan<T> {
    state: Mutex<State<T>>,
    /// Signalled when a message is queued or the last sender goes.
    ready: Condvar,
  }

  impl<T> Chan<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
      self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
  }

  pub struct SyncSender<T>(Arc<Chan<T>>);
  pub struct Receiver<T>(Arc<Chan<T>>);

  /// A channel holding at most `bound` messages. `bound` 0 (a rendezvous
  /// channel in `std`) is not modelled: the dropper's capacity is at least 1.
  pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    assert!(bound >= 1, "the loom channel models bounded channels of capacity >= 1 only");
    let chan = Arc::new(Chan {
      state: Mutex::new(State { queue: VecDeque::new(), bound, senders: 1, receiver: true }),
      ready: Condvar::new(),
    });
    (SyncSender(Arc::clone(&chan)), Receiver(chan))
  }

  impl<T> SyncSender<T> {
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
      let mut state = self.0.lock();
      if !state.receiver {
        return Err(TrySendError::Disconnected(t));
      }
      if state.queue.len() >= state.bound {
        return Err(TrySendError::Full(t));
      }
      state.queue.push_back(t);
      drop(state);
      self.0.ready.notify_one();
      Ok(())
    }
  }

  impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
      self.0.lock().senders += 1;
      SyncSender(Arc::clone(&self.0))
    }
  }

  impl<T> Drop for SyncSender<T> {
    fn drop(&mut self) {
      let last = {
        let mut state = self.0.lock();
        state.senders -= 1;
        state.senders == 0
      };
      if last {
        self.0.ready.notify_all();
      }
    }
  }

  impl<T> Receiver<T> {
    pub fn recv(&self) -> Result<T, RecvError> {
      let mut state = self.0.lock();
      loop {
        if let Some(t) = state.queue.pop_front() {
          return Ok(t);
        }
        if state.senders == 0 {
          return Err(RecvError);
        }
        state = self.0.ready.wait(state).unwrap_or_else(|e| e.into_inner());
      }
    }
  }

  impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
      let left = {
        let mut state = self.0.lock();
        state.receiver = false;
        std::mem::take(&mut state.queue)
      };
      // Dropped outside the lock, as `std` does when the receiver goes.
      drop(left);
    }
  }
}
