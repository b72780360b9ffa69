//! Which droppers belong to which Node environment.
//!
//! Node runs each environment — the main thread and every worker — on its
//! own OS thread, and a dropper must never outlive its environment with
//! nobody to stop it, nor stop while that environment still needs it. So the
//! registry is thread-local: each environment has its own default dropper
//! (created on first use, its thread started by the first large value) and a
//! list of the droppers it created. When the environment tears down, those
//! droppers are closed without waiting: their threads finish freeing what was
//! queued and exit on their own, so a worker or a process never hangs at exit
//! and nothing queued is leaked. The default dropper stays open through
//! teardown, because values collected during it are still routed to it; it
//! is closed the same way when its thread-local dies with the thread.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use crate::dropper::{Dropper, Options};

#[derive(Default)]
struct State {
  default: Option<Arc<Dropper>>,
  owned: Vec<Weak<Dropper>>,
  torn_down: bool,
}

thread_local! {
  static STATE: RefCell<State> = RefCell::new(State::default());
}

/// This environment's default dropper.
pub fn default_dropper() -> Arc<Dropper> {
  STATE.with(|s| {
    let mut s = s.borrow_mut();
    Arc::clone(s.default.get_or_insert_with(|| Arc::new(Dropper::new(Options::default()))))
  })
}

/// Records a dropper created by this environment, to close at teardown.
pub fn adopt(dropper: &Arc<Dropper>) {
  STATE.with(|s| {
    let mut s = s.borrow_mut();
    if s.owned.len() >= 64 && s.owned.len().is_power_of_two() {
      s.owned.retain(|w| w.strong_count() > 0);
    }
    s.owned.push(Arc::downgrade(dropper));
  })
}

/// Whether this environment has begun tearing down.
pub fn torn_down() -> bool {
  STATE.with(|s| s.borrow().torn_down)
}

/// Called when the environment tears down: closes every dropper it created
/// without waiting for their threads.
pub fn teardown() {
  let owned = STATE.with(|s| {
    let mut s = s.borrow_mut();
    s.torn_down = true;
    std::mem::take(&mut s.owned)
  });
  for dropper in owned.iter().filter_map(Weak::upgrade) {
    dropper.detach();
  }
}
