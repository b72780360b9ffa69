//! The entry table: every key, its entry, and what the whole map costs.
//!
//! Eviction and active expiry pick keys at random, so the table must hand out
//! a random key in O(1), which a `HashMap` alone cannot. Beside the map we
//! keep two dense vectors, one of all keys and one of the keys that carry a
//! TTL; each entry remembers its position in both, and a removal fills the
//! hole with the last element (`swap_remove`), so every operation stays O(1).
//! The keys are `Arc<str>`: shared between the map and the vectors without
//! copying the text.
//!
//! The table also keeps the running sum of what its entries cost (see
//! [`ENTRY_OVERHEAD`]), adjusted on every insert, removal and resize, so
//! `used_memory` is read, never computed.

use std::collections::HashMap;
use std::sync::Arc;

use crate::value::Value;

/// A key: a JavaScript string, shared by the map and the sampling vectors.
pub type Key = Arc<str>;

/// What one entry costs beyond its key's text and its value's estimate, on a
/// 64-bit target, averaged over the life of a growing table:
///
/// - the hash map slot holding the key handle and the [`Entry`]: 136 bytes
///   plus a control byte, at a load that swings between 7/16 and 7/8 as the
///   table doubles (on average the slot costs ~1.65 times its size): ~226;
/// - the key's place in the sampling vector: 16 bytes, ~23 with the vector's
///   spare capacity;
/// - the key allocation's reference counts and the allocator's header and
///   rounding for it: ~32.
///
/// A key with a TTL also holds a place in the TTL vector; that is folded in
/// too, so setting or removing a TTL never changes what an entry costs.
/// Rounded: 280. (Measured on Linux/glibc with 1M small keys, the process
/// grows by ~390 bytes per entry, at a point where the table is just past a
/// doubling: the estimate is an average, not a bound.)
pub const ENTRY_OVERHEAD: usize = 280;

/// Position sentinel: the key has no TTL, so no place in the TTL vector.
const NO_SLOT: usize = usize::MAX;

/// One key's value and bookkeeping.
#[derive(Debug)]
pub struct Entry {
  pub value: Value,
  /// Absolute expiry time in Unix milliseconds; 0 means none.
  pub expires_at_ms: u64,
  /// When the key was last read or written, for approximate LRU.
  pub last_access_ms: u64,
  /// The value's estimated bytes (`memory::estimate`), kept up to date by
  /// every command that changes the value.
  pub bytes: usize,
  /// Position in `Table::keys`.
  slot: usize,
  /// Position in `Table::volatile`, or `NO_SLOT`.
  ttl_slot: usize,
}

impl Entry {
  pub fn is_expired(&self, now_ms: u64) -> bool {
    self.expires_at_ms != 0 && self.expires_at_ms <= now_ms
  }
}

/// What an entry costs in total: key text, value estimate, fixed overhead.
pub fn entry_memory(key_len: usize, value_bytes: usize) -> usize {
  key_len + value_bytes + ENTRY_OVERHEAD
}

/// A mutable view of one entry that keeps the table's total in step.
pub struct EntryMut<'a> {
  entry: &'a mut Entry,
  used: &'a mut usize,
}

impl EntryMut<'_> {
  pub fn value(&mut self) -> &mut Value {
    &mut self.entry.value
  }

  pub fn entry(&self) -> &Entry {
    self.entry
  }

  pub fn touch(&mut self, now_ms: u64) {
    self.entry.last_access_ms = now_ms;
  }

  /// Records that the value's estimate changed by `delta` bytes.
  pub fn resize(&mut self, delta: isize) {
    self.entry.bytes = self.entry.bytes.checked_add_signed(delta).expect("value estimate below zero");
    *self.used = self.used.checked_add_signed(delta).expect("used memory below zero");
  }
}

/// The map, the sampling vectors and the running total.
#[derive(Debug, Default)]
pub struct Table {
  map: HashMap<Key, Entry>,
  keys: Vec<Key>,
  volatile: Vec<Key>,
  used: usize,
}

impl Table {
  pub fn len(&self) -> usize {
    self.map.len()
  }

  pub fn is_empty(&self) -> bool {
    self.map.is_empty()
  }

  /// Keys that carry a TTL.
  pub fn volatile_len(&self) -> usize {
    self.volatile.len()
  }

  /// Σ [`entry_memory`] over all entries.
  pub fn used(&self) -> usize {
    self.used
  }

  pub fn get(&self, key: &str) -> Option<&Entry> {
    self.map.get(key)
  }

  pub fn get_mut(&mut self, key: &str) -> Option<EntryMut<'_>> {
    let used = &mut self.used;
    self.map.get_mut(key).map(|entry| EntryMut { entry, used })
  }

  /// A present entry, with its LRU clock refreshed to `now_ms`.
  pub fn touch(&mut self, key: &str, now_ms: u64) -> Option<&Entry> {
    let entry = self.map.get_mut(key)?;
    entry.last_access_ms = now_ms;
    Some(entry)
  }

  /// Adds a key that is not present.
  pub fn insert(&mut self, key: Key, value: Value, bytes: usize, expires_at_ms: u64, now_ms: u64) {
    debug_assert!(!self.map.contains_key(&key));
    self.used += entry_memory(key.len(), bytes);
    let slot = self.keys.len();
    self.keys.push(Arc::clone(&key));
    let ttl_slot = if expires_at_ms != 0 {
      self.volatile.push(Arc::clone(&key));
      self.volatile.len() - 1
    } else {
      NO_SLOT
    };
    let entry = Entry { value, expires_at_ms, last_access_ms: now_ms, bytes, slot, ttl_slot };
    self.map.insert(key, entry);
  }

  /// Swaps in a new value for a present key, returning the old value and its
  /// estimate. The TTL and the LRU clock are left as they were.
  pub fn replace(&mut self, key: &str, value: Value, bytes: usize) -> Option<(Value, usize)> {
    let entry = self.map.get_mut(key)?;
    let old_bytes = std::mem::replace(&mut entry.bytes, bytes);
    let old = std::mem::replace(&mut entry.value, value);
    self.used = self.used - old_bytes + bytes;
    Some((old, old_bytes))
  }

  /// Removes a key, keeping both vectors dense.
  pub fn remove(&mut self, key: &str) -> Option<(Key, Entry)> {
    let (key, mut entry) = self.map.remove_entry(key)?;
    self.used -= entry_memory(key.len(), entry.bytes);
    Self::unlink_slot(&mut self.map, &mut self.keys, entry.slot, |e| &mut e.slot);
    if entry.ttl_slot != NO_SLOT {
      Self::unlink_slot(&mut self.map, &mut self.volatile, entry.ttl_slot, |e| &mut e.ttl_slot);
      entry.ttl_slot = NO_SLOT;
    }
    Some((key, entry))
  }

  /// Sets (`at_ms > 0`) or clears (`0`) a present key's expiry time.
  /// Returns `false` when the key is absent.
  pub fn set_expiry(&mut self, key: &str, at_ms: u64) -> bool {
    let Some((stored, entry)) = self.map.get_key_value(key) else {
      return false;
    };
    let (had_ttl, stored) = (entry.ttl_slot != NO_SLOT, Arc::clone(stored));
    match (had_ttl, at_ms != 0) {
      (false, true) => {
        self.volatile.push(stored);
        let slot = self.volatile.len() - 1;
        let entry = self.map.get_mut(key).expect("present");
        entry.ttl_slot = slot;
        entry.expires_at_ms = at_ms;
      }
      (true, false) => {
        let entry = self.map.get_mut(key).expect("present");
        let slot = std::mem::replace(&mut entry.ttl_slot, NO_SLOT);
        entry.expires_at_ms = 0;
        Self::unlink_slot(&mut self.map, &mut self.volatile, slot, |e| &mut e.ttl_slot);
      }
      _ => self.map.get_mut(key).expect("present").expires_at_ms = at_ms,
    }
    true
  }

  /// Removes position `slot` of `vec` by moving the last key into it, and
  /// tells the moved key's entry where it now is.
  fn unlink_slot(
    map: &mut HashMap<Key, Entry>,
    vec: &mut Vec<Key>,
    slot: usize,
    position: impl Fn(&mut Entry) -> &mut usize,
  ) {
    vec.swap_remove(slot);
    if let Some(moved) = vec.get(slot) {
      let entry = map.get_mut(moved).expect("a sampled key is in the map");
      *position(entry) = slot;
    }
  }

  /// The key at a position of the all-keys vector (`i < len`).
  pub fn key_at(&self, i: usize) -> &Key {
    &self.keys[i]
  }

  /// The key at a position of the TTL vector (`i < volatile_len`).
  pub fn volatile_at(&self, i: usize) -> &Key {
    &self.volatile[i]
  }

  /// One step of a SCAN over the table: visits up to `count` (at least 1)
  /// positions of the all-keys vector and returns the next cursor, 0 when
  /// the walk is over.
  ///
  /// The cursor is the number of positions still to visit: a walk starts
  /// with cursor 0 (read as "the whole vector") and goes from the top down,
  /// visiting positions `[next, cursor)` in each step. The guarantee, as
  /// Redis's SCAN gives it: a key present from the first step to the last
  /// is visited at least once, however the table grows or shrinks between
  /// steps. It holds because a key only ever moves down: an insert appends
  /// at the top (above every position still to visit), and a removal moves
  /// the last key into the hole (`swap_remove`), from a higher position to a
  /// lower one. So a key below the cursor stays below it until visited; a
  /// key may be visited twice (moved down from the visited part), never
  /// skipped. A cursor beyond the vector (it shrank) is clamped to its end.
  ///
  /// A table with another layout must keep this contract: the glue and the
  /// keyspace rely on nothing else.
  pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Key, &Entry)) -> u64 {
    let len = self.keys.len();
    let top = if cursor == 0 { len } else { usize::try_from(cursor).map_or(len, |c| c.min(len)) };
    let next = top.saturating_sub(count.max(1));
    for key in self.keys[next..top].iter().rev() {
      visit(key, &self.map[key]);
    }
    next as u64
  }

  pub fn iter(&self) -> impl Iterator<Item = (&Key, &Entry)> {
    self.map.iter()
  }

  /// Checks that the vectors, the positions and the total agree with the map.
  #[cfg(test)]
  pub fn check_invariants(&self) {
    assert_eq!(self.keys.len(), self.map.len());
    for (i, k) in self.keys.iter().enumerate() {
      assert_eq!(self.map[k].slot, i, "slot of {k}");
    }
    let with_ttl = self.map.values().filter(|e| e.expires_at_ms != 0).count();
    assert_eq!(self.volatile.len(), with_ttl);
    for (i, k) in self.volatile.iter().enumerate() {
      assert_eq!(self.map[k].ttl_slot, i, "ttl slot of {k}");
    }
    let total: usize = self.map.iter().map(|(k, e)| entry_memory(k.len(), e.bytes)).sum();
    assert_eq!(self.used, total);
    for e in self.map.values() {
      assert_eq!(e.bytes, crate::memory::estimate(&e.value), "incremental estimate drifted");
      assert!(
        !matches!(e.value, Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::SortedSet(_))
          || !e.value.is_empty(),
        "empty collection stored"
      );
    }
  }
}
