//! Where a removed value goes: the drop thread, or an inline free.
//!
//! Redis has a `lazyfree-lazy-*` switch per reason a value can be removed,
//! and so do we. Every removal in the keyspace names its reason; when that
//! reason's switch is on, the value is offered to the dropper, which decides
//! by size (a large collection is queued, anything else freed inline and
//! counted); when it is off, the value is freed here, inline, without
//! involving the dropper. `unlink` is lazy whatever the switches say, as in
//! Redis.

use crate::value::{Bytes, Value};

use super::{Keyspace, Taken};

/// The lazy-free switches, all on by default (as in Valkey 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LazyFree {
  /// Keys evicted to make room under `maxMemory`.
  pub eviction: bool,
  /// Keys removed because their TTL passed (on access, by the active cycle,
  /// or by an `expire` with a time already past).
  pub expire: bool,
  /// Values the server removes as a side effect: overwritten by `set`,
  /// `setValue` or `rename`.
  pub server_del: bool,
  /// Keys removed by `del`.
  pub user_del: bool,
  /// `flush()` without an explicit `async`.
  pub user_flush: bool,
}

impl Default for LazyFree {
  fn default() -> Self {
    LazyFree { eviction: true, expire: true, server_del: true, user_del: true, user_flush: true }
  }
}

/// Why a value is being removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
  Unlink,
  UserDel,
  Eviction,
  Expire,
  Overwrite,
}

impl LazyFree {
  /// Whether a removal for `why` goes through the dropper.
  pub fn is_lazy(&self, why: Removal) -> bool {
    match why {
      Removal::Unlink => true,
      Removal::UserDel => self.user_del,
      Removal::Eviction => self.eviction,
      Removal::Expire => self.expire,
      Removal::Overwrite => self.server_del,
    }
  }
}

impl Keyspace {
  /// Frees a value removed for `why`. Returns `true` when it went to the
  /// drop thread.
  pub(super) fn dispose(&self, value: Value, bytes: usize, why: Removal) -> bool {
    if self.config.lazyfree.is_lazy(why) {
      self.dropper.defer(value, bytes).deferred()
    } else {
      drop(value);
      false
    }
  }

  /// [`Self::dispose`] of a value taken from the table. A packed string
  /// owns no memory of its own; when the removal is lazy it is still
  /// offered to the dropper (as an empty string, which allocates nothing),
  /// so the dropper's counters see every removal alike.
  pub(super) fn dispose_taken(&self, taken: Taken, why: Removal) -> bool {
    match taken {
      Taken::Packed { .. } => self.dispose(Value::String(Bytes::new()), taken.bytes(), why),
      Taken::Value(value, bytes) => self.dispose(value, bytes, why),
    }
  }

  /// Removes `key` for `why`, freeing its value accordingly. Returns
  /// whether it was there.
  pub(super) fn remove_key(&mut self, key: &str, why: Removal) -> bool {
    match self.table.remove(key) {
      Some(removed) => {
        self.dispose_taken(removed.taken, why);
        true
      }
      None => false,
    }
  }
}
