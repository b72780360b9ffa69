//! Scheduling hints for the drop thread.
//!
//! Freeing is background work. When the JavaScript thread hands a value over,
//! the drop thread wakes; on a machine whose cores are all busy, a woken
//! thread of equal priority may preempt the waker for a whole time slice,
//! and that is a stall on the event loop after all. On Linux the drop thread
//! therefore runs under `SCHED_BATCH` (the policy for CPU-bound work that
//! should not preempt on wake-up) at nice +10 (both per-thread settings
//! there), so the scheduler favours the event loop. Elsewhere it keeps the
//! default priority.

/// How much lower than its creator the drop thread runs (Linux nice steps).
pub const DROP_THREAD_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority; best effort.
#[cfg(target_os = "linux")]
pub fn lower_current_thread_priority() {
  let param = libc::sched_param { sched_priority: 0 };
  // SAFETY: `pthread_self` has no preconditions; `pthread_setschedparam` on
  // the calling thread with SCHED_BATCH and priority 0 (the only priority that
  // policy accepts) changes only this thread's policy, and its failure
  // (reported by the return value) leaves everything as it was. `param`
  // outlives the call.
  unsafe {
    libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_BATCH, &param);
  }
  // SAFETY: `gettid` has no preconditions; `setpriority` with PRIO_PROCESS
  // and a thread id changes only that thread's nice value, and its failure
  // (reported by the return value) leaves everything as it was.
  unsafe {
    let tid = libc::gettid();
    let current = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
    libc::setpriority(
      libc::PRIO_PROCESS,
      tid as libc::id_t,
      current.saturating_add(DROP_THREAD_NICE).min(19),
    );
  }
}

/// Lowers the calling thread's scheduling priority; a no-op on this platform.
#[cfg(not(target_os = "linux"))]
pub fn lower_current_thread_priority() {}
