//! The entry table: every key, its entry, and what the whole map costs.
//!
//! Open addressing with linear probing over slots that each hold one tag byte
//! (7 bits of the key's hash, or empty, or a tombstone) and a pointer to the
//! entry. An entry is one allocation holding its key (inline up to 22
//! bytes), its value, its TTL and its LRU clock: no per-key side vectors.
//!
//! Why this shape:
//! - No insert stalls while the table grows. A resize allocates the new
//!   slots (zeroed memory, which the OS maps lazily) and from then on every
//!   mutating call moves a bounded number of old slots ([`REHASH_STEP`]) to
//!   the new table, as Redis's incremental rehash does; lookups check both
//!   tables until the old one is empty. The old table is emptied from its end,
//!   so it is already empty when it is freed.
//! - Eviction and expiry sample from the slots themselves: a random slot,
//!   then the next occupied one ([`Table::random_key`]).
//! - SCAN keeps Redis's guarantee: the cursor is a reverse-binary counter
//!   over *home* slots (`hash & mask`), and a step visits, for each home slot,
//!   every entry whose home it is (they sit in the run of occupied slots that
//!   starts there, since a removal leaves a tombstone, never a hole). With
//!   two tables the step covers the smaller table's home slot and all its
//!   expansions in the larger one, exactly as Redis's `dictScan`.
//! - Self-contained: a table owns its hasher, slots and totals, so a shard
//!   of a keyspace split by key hash can own one, behind a lock of its own.
//!
//! The table also keeps the running sum of what its entries cost (see
//! [`ENTRY_OVERHEAD`]), adjusted on every insert, removal and resize, so
//! `used_memory` is read, never computed; and the same sum over the keys
//! with a TTL, so a volatile eviction policy knows in O(1) how much it could
//! free at most.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::mem::size_of;
use std::ops::Deref;

use crate::value::Value;

/// Slots of the old table moved per mutating call while a resize runs.
pub const REHASH_STEP: usize = 64;

/// Slots cut from the old table's end between two hand-backs of its memory.
const RELEASE_SLOTS: usize = 1 << 17;

/// Smallest table, in slots.
const MIN_SLOTS: usize = 16;

const EMPTY: u8 = 0;
const TOMBSTONE: u8 = 1;

/// Longest key kept inside the entry; longer ones get an allocation.
const INLINE_KEY: usize = 22;

/// A key: a string, inline when short.
#[derive(Clone)]
pub enum Key {
  Inline(u8, [u8; INLINE_KEY]),
  Heap(Box<str>),
}

impl Key {
  pub fn as_bytes(&self) -> &[u8] {
    match self {
      Key::Inline(n, b) => &b[..*n as usize],
      Key::Heap(s) => s.as_bytes(),
    }
  }

  pub fn as_str(&self) -> &str {
    match self {
      // Built from a `&str` and never changed: always UTF-8.
      Key::Inline(..) => std::str::from_utf8(self.as_bytes()).expect("a key is UTF-8"),
      Key::Heap(s) => s,
    }
  }
}

impl Default for Key {
  fn default() -> Key {
    Key::Inline(0, [0; INLINE_KEY])
  }
}

impl From<&str> for Key {
  fn from(s: &str) -> Key {
    if s.len() <= INLINE_KEY {
      let mut b = [0; INLINE_KEY];
      b[..s.len()].copy_from_slice(s.as_bytes());
      Key::Inline(s.len() as u8, b)
    } else {
      Key::Heap(s.into())
    }
  }
}

impl Deref for Key {
  type Target = str;
  fn deref(&self) -> &str {
    self.as_str()
  }
}

impl PartialEq for Key {
  fn eq(&self, other: &Key) -> bool {
    self.as_bytes() == other.as_bytes()
  }
}

impl Eq for Key {}

impl Hash for Key {
  fn hash<H: Hasher>(&self, h: &mut H) {
    self.as_bytes().hash(h)
  }
}

impl fmt::Display for Key {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(self.as_str())
  }
}

impl fmt::Debug for Key {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    fmt::Debug::fmt(self.as_str(), f)
  }
}

/// One key's value and bookkeeping, in one allocation. (`Clone` lets
/// `vec![None; n]` make the slot array as one zeroed allocation.)
#[derive(Debug, Clone)]
pub struct Entry {
  key: Key,
  pub value: Value,
  /// Absolute expiry time in Unix milliseconds; 0 means none.
  pub expires_at_ms: u64,
  /// When the key was last read or written, for approximate LRU.
  pub last_access_ms: u64,
  /// The value's estimated bytes (`memory::estimate`), kept up to date by
  /// every command that changes the value.
  pub bytes: usize,
}

impl Entry {
  pub fn is_expired(&self, now_ms: u64) -> bool {
    self.expires_at_ms != 0 && self.expires_at_ms <= now_ms
  }

  pub fn key(&self) -> &Key {
    &self.key
  }
}

/// What one entry costs beyond its key's text and its value's estimate, on a
/// 64-bit target: the entry's allocation (its size rounded up to the
/// allocator's 16-byte classes) and its slots (a pointer and a tag byte, at
/// a load between 3/8 and 3/4 as the table doubles: ~2 slots per key).
pub const ENTRY_OVERHEAD: usize = size_of::<Entry>().div_ceil(16) * 16 + 2 * (size_of::<usize>() + 1);

/// What an entry costs in total: key text, value estimate, fixed overhead.
pub fn entry_memory(key_len: usize, value_bytes: usize) -> usize {
  key_len + value_bytes + ENTRY_OVERHEAD
}

/// A mutable view of one entry that keeps the table's totals in step.
pub struct EntryMut<'a> {
  entry: &'a mut Entry,
  used: &'a mut usize,
  volatile_used: &'a mut usize,
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
    if self.entry.expires_at_ms != 0 {
      *self.volatile_used = self.volatile_used.checked_add_signed(delta).expect("volatile memory below zero");
    }
  }
}

/// One array of slots. While a resize empties it, the old table is cut
/// from its end, one whole run of occupied slots at a time: slots at or past
/// `tags.len()` (but below `cap`) read as empty. That is sound because no
/// probe sequence crosses an empty slot, and no run wraps past the end (the
/// run that did is moved first, see `start_resize`).
#[derive(Debug, Default)]
struct Slots {
  tags: Vec<u8>,
  entries: Vec<Option<Box<Entry>>>,
  /// Slots, a power of two (0 for a table never used).
  cap: usize,
  live: usize,
  tombs: usize,
}

impl Slots {
  fn with_capacity(n: usize) -> Slots {
    // Both are zeroed allocations (EMPTY is 0, `None` is a null pointer):
    // the OS hands out zero pages lazily, so a big table costs no time here.
    Slots { tags: vec![EMPTY; n], entries: vec_of_none(n), cap: n, live: 0, tombs: 0 }
  }

  fn cap(&self) -> usize {
    self.cap
  }

  /// The tag of slot `i`; a slot cut off by a resize reads as empty.
  fn tag(&self, i: usize) -> u8 {
    self.tags.get(i).copied().unwrap_or(EMPTY)
  }

  fn entry(&self, i: usize) -> Option<&Entry> {
    self.entries.get(i).and_then(|e| e.as_deref())
  }

  fn mask(&self) -> usize {
    self.cap().wrapping_sub(1)
  }

  /// The slot holding `key`, if any.
  fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
    if self.cap() == 0 {
      return None;
    }
    let tag = tag_of(hash);
    let mask = self.mask();
    let mut i = hash as usize & mask;
    for _ in 0..self.cap {
      match self.tag(i) {
        EMPTY => return None,
        t if t == tag => {
          let e = self.entries[i].as_ref().expect("a tagged slot holds an entry");
          if e.key.as_bytes() == key {
            return Some(i);
          }
        }
        _ => {}
      }
      i = (i + 1) & mask;
    }
    None
  }

  /// Puts an entry whose key is absent into the first free slot of its run.
  fn put(&mut self, hash: u64, entry: Box<Entry>) {
    let mask = self.mask();
    let mut i = hash as usize & mask;
    while self.tags[i] >= 0x80 {
      i = (i + 1) & mask;
    }
    if self.tags[i] == TOMBSTONE {
      self.tombs -= 1;
    }
    self.tags[i] = tag_of(hash);
    self.entries[i] = Some(entry);
    self.live += 1;
  }

  fn take(&mut self, i: usize) -> Box<Entry> {
    self.tags[i] = TOMBSTONE;
    self.tombs += 1;
    self.live -= 1;
    self.entries[i].take().expect("a live slot")
  }
}

/// `n` empty entry slots, in a zeroed allocation.
fn vec_of_none(n: usize) -> Vec<Option<Box<Entry>>> {
  vec![None; n]
}

/// A full slot's tag: the top 7 bits of the hash, with the high bit set.
fn tag_of(hash: u64) -> u8 {
  0x80 | (hash >> 57) as u8
}

/// The slots, the running totals, and the resize in progress.
#[derive(Debug)]
pub struct Table {
  hasher: RandomState,
  /// Where inserts go.
  cur: Slots,
  /// The table being emptied into `cur` during a resize.
  old: Option<Slots>,
  volatile: usize,
  used: usize,
  /// Σ [`entry_memory`] over the entries with a TTL.
  volatile_used: usize,
}

impl Default for Table {
  fn default() -> Table {
    Table {
      hasher: RandomState::new(),
      cur: Slots::default(),
      old: None,
      volatile: 0,
      used: 0,
      volatile_used: 0,
    }
  }
}

/// Where an entry was found.
#[derive(Clone, Copy)]
enum At {
  Cur(usize),
  Old(usize),
}

impl Table {
  pub fn len(&self) -> usize {
    self.cur.live + self.old.as_ref().map_or(0, |o| o.live)
  }

  pub fn is_empty(&self) -> bool {
    self.len() == 0
  }

  /// Keys that carry a TTL.
  pub fn volatile_len(&self) -> usize {
    self.volatile
  }

  /// Σ [`entry_memory`] over all entries.
  pub fn used(&self) -> usize {
    self.used
  }

  /// Whether a resize is moving entries from an old table.
  #[cfg(test)]
  pub fn is_resizing(&self) -> bool {
    self.old.is_some()
  }

  fn hash(&self, key: &[u8]) -> u64 {
    self.hasher.hash_one(key)
  }

  fn locate(&self, hash: u64, key: &[u8]) -> Option<At> {
    if let Some(i) = self.cur.find(hash, key) {
      return Some(At::Cur(i));
    }
    self.old.as_ref().and_then(|o| o.find(hash, key)).map(At::Old)
  }

  fn at(&self, at: At) -> &Entry {
    let slots = match at {
      At::Cur(i) => &self.cur.entries[i],
      At::Old(i) => &self.old.as_ref().expect("resizing").entries[i],
    };
    slots.as_deref().expect("a live slot")
  }

  fn at_mut(&mut self, at: At) -> &mut Entry {
    let slot = match at {
      At::Cur(i) => &mut self.cur.entries[i],
      At::Old(i) => &mut self.old.as_mut().expect("resizing").entries[i],
    };
    slot.as_deref_mut().expect("a live slot")
  }

  pub fn get(&self, key: &str) -> Option<&Entry> {
    self.get_hashed(self.hash_key(key), key)
  }

  /// The hash this table files `key` under: a command that looks a key up
  /// several times computes it once and passes it to the `_hashed` methods.
  pub fn hash_key(&self, key: &str) -> u64 {
    self.hash(key.as_bytes())
  }

  /// [`Self::get`] with the key's [`Self::hash_key`].
  pub fn get_hashed(&self, hash: u64, key: &str) -> Option<&Entry> {
    let at = self.locate(hash, key.as_bytes())?;
    Some(self.at(at))
  }

  /// [`Self::touch`] with the key's [`Self::hash_key`].
  pub fn touch_hashed(&mut self, hash: u64, key: &str, now_ms: u64) -> Option<&Entry> {
    self.rehash_step();
    let at = self.locate(hash, key.as_bytes())?;
    let e = self.at_mut(at);
    e.last_access_ms = now_ms;
    Some(e)
  }

  /// SET's overwrite of a present key in one lookup: swaps in `value`,
  /// sets the expiry time when `expiry` is given (0 clears it), refreshes
  /// the LRU clock; returns the old value and its estimate.
  pub fn overwrite_hashed(
    &mut self,
    hash: u64,
    key: &str,
    value: Value,
    bytes: usize,
    expiry: Option<u64>,
    now_ms: u64,
  ) -> Option<(Value, usize)> {
    let at = self.locate(hash, key.as_bytes())?;
    let entry = self.at_mut(at);
    let old_bytes = std::mem::replace(&mut entry.bytes, bytes);
    let old = std::mem::replace(&mut entry.value, value);
    entry.last_access_ms = now_ms;
    let key_len = entry.key.len();
    let was_volatile = entry.expires_at_ms != 0;
    if let Some(at_ms) = expiry {
      entry.expires_at_ms = at_ms;
    }
    let is_volatile = entry.expires_at_ms != 0;
    self.volatile = self.volatile + usize::from(is_volatile) - usize::from(was_volatile);
    // Σ entry_memory over volatile keys: out with the old cost, in with the new.
    if was_volatile {
      self.volatile_used -= entry_memory(key_len, old_bytes);
    }
    if is_volatile {
      self.volatile_used += entry_memory(key_len, bytes);
    }
    self.used = self.used - old_bytes + bytes;
    Some((old, old_bytes))
  }

  /// Σ [`entry_memory`] over the entries with a TTL.
  pub fn volatile_used(&self) -> usize {
    self.volatile_used
  }

  pub fn get_mut(&mut self, key: &str) -> Option<EntryMut<'_>> {
    self.rehash_step();
    let at = self.locate(self.hash(key.as_bytes()), key.as_bytes())?;
    let slot = match at {
      At::Cur(i) => &mut self.cur.entries[i],
      At::Old(i) => &mut self.old.as_mut().expect("resizing").entries[i],
    };
    let entry = slot.as_deref_mut().expect("a live slot");
    Some(EntryMut { entry, used: &mut self.used, volatile_used: &mut self.volatile_used })
  }

  /// A present entry, with its LRU clock refreshed to `now_ms`.
  pub fn touch(&mut self, key: &str, now_ms: u64) -> Option<&Entry> {
    self.rehash_step();
    let at = self.locate(self.hash(key.as_bytes()), key.as_bytes())?;
    let e = self.at_mut(at);
    e.last_access_ms = now_ms;
    Some(e)
  }

  /// Adds a key that is not present.
  pub fn insert(&mut self, key: Key, value: Value, bytes: usize, expires_at_ms: u64, now_ms: u64) {
    let hash = self.hash(key.as_bytes());
    self.insert_hashed(hash, key, value, bytes, expires_at_ms, now_ms);
  }

  /// [`Self::insert`] with the key's [`Self::hash_key`].
  pub fn insert_hashed(
    &mut self,
    hash: u64,
    key: Key,
    value: Value,
    bytes: usize,
    expires_at_ms: u64,
    now_ms: u64,
  ) {
    debug_assert_eq!(hash, self.hash(key.as_bytes()));
    debug_assert!(self.locate(hash, key.as_bytes()).is_none());
    self.rehash_step();
    self.make_room();
    self.used += entry_memory(key.len(), bytes);
    if expires_at_ms != 0 {
      self.volatile += 1;
      self.volatile_used += entry_memory(key.len(), bytes);
    }
    let entry = Box::new(Entry { key, value, expires_at_ms, last_access_ms: now_ms, bytes });
    self.cur.put(hash, entry);
  }

  /// Swaps in a new value for a present key, returning the old value and its
  /// estimate. The TTL and the LRU clock are left as they were.
  pub fn replace(&mut self, key: &str, value: Value, bytes: usize) -> Option<(Value, usize)> {
    let at = self.locate(self.hash(key.as_bytes()), key.as_bytes())?;
    let entry = self.at_mut(at);
    let old_bytes = std::mem::replace(&mut entry.bytes, bytes);
    let old = std::mem::replace(&mut entry.value, value);
    let volatile = entry.expires_at_ms != 0;
    self.used = self.used - old_bytes + bytes;
    if volatile {
      self.volatile_used = self.volatile_used - old_bytes + bytes;
    }
    Some((old, old_bytes))
  }

  /// Removes a key.
  pub fn remove(&mut self, key: &str) -> Option<(Key, Entry)> {
    self.rehash_step();
    let at = self.locate(self.hash(key.as_bytes()), key.as_bytes())?;
    let boxed = match at {
      At::Cur(i) => self.cur.take(i),
      At::Old(i) => self.old.as_mut().expect("resizing").take(i),
    };
    let mut entry = *boxed;
    self.used -= entry_memory(entry.key.len(), entry.bytes);
    if entry.expires_at_ms != 0 {
      self.volatile -= 1;
      self.volatile_used -= entry_memory(entry.key.len(), entry.bytes);
    }
    self.maybe_shrink();
    let key = std::mem::take(&mut entry.key);
    Some((key, entry))
  }

  /// Sets (`at_ms > 0`) or clears (`0`) a present key's expiry time.
  /// Returns `false` when the key is absent.
  pub fn set_expiry(&mut self, key: &str, at_ms: u64) -> bool {
    let Some(at) = self.locate(self.hash(key.as_bytes()), key.as_bytes()) else {
      return false;
    };
    let entry = self.at_mut(at);
    let had = entry.expires_at_ms != 0;
    entry.expires_at_ms = at_ms;
    let cost = entry_memory(entry.key.len(), entry.bytes);
    match (had, at_ms != 0) {
      (false, true) => {
        self.volatile += 1;
        self.volatile_used += cost;
      }
      (true, false) => {
        self.volatile -= 1;
        self.volatile_used -= cost;
      }
      _ => {}
    }
    true
  }

  /// Starts a resize when the current table is too full (counting
  /// tombstones) for one more entry; finishes a resize first in the corner
  /// where one is still running then (not reached with `REHASH_STEP` moves
  /// per call, since a resize starts with the new table at most half full).
  fn make_room(&mut self) {
    let cap = self.cur.cap();
    if cap != 0 && (self.cur.live + self.cur.tombs + 1) * 4 <= cap * 3 {
      return;
    }
    if self.old.is_some() {
      while self.old.is_some() {
        self.rehash_step();
      }
      if (self.cur.live + self.cur.tombs + 1) * 4 <= self.cur.cap() * 3 {
        return;
      }
    }
    // Room for twice what is live: the new table starts at most half full.
    let want = ((self.cur.live + 1) * 2).next_power_of_two().max(MIN_SLOTS);
    self.start_resize(want);
  }

  /// Starts shrinking when the table is mostly empty, so sampling (which
  /// walks from a random slot to the next entry) stays short.
  fn maybe_shrink(&mut self) {
    let cap = self.cur.cap();
    if self.old.is_none() && cap > MIN_SLOTS && self.cur.live * 8 < cap {
      let want = ((self.cur.live + 1) * 2).next_power_of_two().max(MIN_SLOTS);
      if want < cap {
        self.start_resize(want);
      }
    }
  }

  fn start_resize(&mut self, slots: usize) {
    debug_assert!(self.old.is_none());
    let mut old = std::mem::replace(&mut self.cur, Slots::with_capacity(slots));
    if old.live == 0 {
      return;
    }
    // The run that wraps from the last slot to the first, if any, moves now,
    // so that cutting the old table from its end never splits a run. Runs
    // are short at this load: a bounded, small amount of work.
    let cap = old.cap;
    if old.tags[cap - 1] != EMPTY {
      let last_empty = (0..cap).rev().find(|&i| old.tags[i] == EMPTY).expect("a table is never full");
      let first_empty = (0..cap).find(|&i| old.tags[i] == EMPTY).expect("a table is never full");
      for i in (last_empty + 1..cap).chain(0..first_empty) {
        self.move_slot(&mut old, i);
      }
    }
    self.old = Some(old);
    self.rehash_step();
  }

  /// Moves slot `i` of `old` (an entry, or a tombstone) out, leaving it empty.
  fn move_slot(&mut self, old: &mut Slots, i: usize) {
    match std::mem::replace(&mut old.tags[i], EMPTY) {
      EMPTY => {}
      TOMBSTONE => old.tombs -= 1,
      _ => {
        let entry = old.entries[i].take().expect("a tagged slot holds an entry");
        old.live -= 1;
        let hash = self.hasher.hash_one(entry.key.as_bytes());
        self.cur.put(hash, entry);
      }
    }
  }

  /// Moves about [`REHASH_STEP`] slots of the old table into the current
  /// one: whole runs from its end, cutting them off; frees the old table
  /// once no entry is left in it.
  fn rehash_step(&mut self) {
    let Some(mut old) = self.old.take() else { return };
    let mut done = 0;
    while done < REHASH_STEP {
      let end = old.tags.len();
      match old.tags.last() {
        None => break,
        Some(&EMPTY) => {
          old.tags.pop();
          old.entries.pop();
          done += 1;
          continue;
        }
        Some(_) => {}
      }
      // The last slot ends a run; it starts after the previous empty slot.
      let start = (0..end).rev().find(|&i| old.tags[i] == EMPTY).map_or(0, |e| e + 1);
      for i in start..end {
        self.move_slot(&mut old, i);
      }
      // Every slot cut here is empty now: the truncation frees nothing.
      old.tags.truncate(start);
      old.entries.truncate(start);
      done += end - start;
    }
    // Hand the cut part back to the allocator a megabyte or so at a time,
    // rather than the whole old table (tens of MB at millions of keys) in
    // the one call that finishes the resize.
    if old.entries.capacity() - old.entries.len() >= RELEASE_SLOTS {
      old.entries.shrink_to_fit();
      old.tags.shrink_to_fit();
    }
    if old.live > 0 {
      self.old = Some(old);
    }
    // Otherwise every entry has moved; what is left are empty slots and
    // tombstones (`None` pointers), dropped here without freeing anything.
  }

  /// A key from a random slot onwards, the first whose entry passes
  /// `accept` (and carries a TTL when `volatile`), visiting at most
  /// `max_visits` slots; `r` is a random number.
  pub fn random_key(
    &self,
    r: u64,
    volatile: bool,
    max_visits: usize,
    accept: impl Fn(&Entry) -> bool,
  ) -> Option<&Key> {
    let old_live = self.old.as_ref().map_or(0, |o| o.live);
    let total = self.cur.live + old_live;
    if total == 0 {
      return None;
    }
    // Pick a table in proportion to what it holds, then a slot.
    let pick = ((r as u128 * total as u128) >> 64) as usize;
    let (first, second) = match &self.old {
      Some(old) if pick < old_live => (old, Some(&self.cur)),
      Some(old) => (&self.cur, Some(old)),
      None => (&self.cur, None),
    };
    let mut visits = 0;
    for slots in [Some(first), second].into_iter().flatten() {
      let cap = slots.cap();
      if cap == 0 || slots.live == 0 {
        continue;
      }
      let start = (r.rotate_left(32) as usize) & slots.mask();
      for k in 0..cap {
        if visits >= max_visits {
          return None;
        }
        visits += 1;
        let i = (start + k) & slots.mask();
        if let Some(e) = slots.entry(i) {
          if (!volatile || e.expires_at_ms != 0) && accept(e) {
            return Some(&e.key);
          }
        }
      }
    }
    None
  }

  /// One SCAN step from `cursor` (0 starts a walk): visits the entries of
  /// about `count` home slots and returns the next cursor, 0 when the walk
  /// is done. Redis's guarantee: a key present from the first step to the
  /// last is visited at least once, however the table grows or shrinks
  /// between steps (see the module doc); a key may be visited twice.
  pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Key, &Entry)) -> u64 {
    let mut v = cursor as usize;
    let (small, large) = match &self.old {
      Some(old) if old.cap() < self.cur.cap() => (old, Some(&self.cur)),
      Some(old) => (&self.cur, Some(old)),
      None => (&self.cur, None),
    };
    if small.cap() == 0 && large.is_none_or(|l| l.cap() == 0) {
      return 0;
    }
    let mut steps = count.max(1);
    loop {
      match large {
        None => {
          self.visit_home(small, v & small.mask(), &mut visit);
          let m0 = small.mask();
          v |= !m0;
          v = v.reverse_bits().wrapping_add(1).reverse_bits();
        }
        Some(large) => {
          let (m0, m1) = (small.mask(), large.mask());
          if small.cap() > 0 {
            self.visit_home(small, v & m0, &mut visit);
          }
          loop {
            self.visit_home(large, v & m1, &mut visit);
            v |= !m1;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
            if v & (m0 ^ m1) == 0 {
              break;
            }
          }
        }
      }
      steps -= 1;
      if v == 0 || steps == 0 {
        return v as u64;
      }
    }
  }

  /// Calls `visit` for every entry of `slots` whose home slot is `home`:
  /// they all sit in the run of non-empty slots that starts there.
  fn visit_home(&self, slots: &Slots, home: usize, visit: &mut impl FnMut(&Key, &Entry)) {
    if slots.cap() == 0 {
      return;
    }
    let mask = slots.mask();
    let mut i = home;
    for _ in 0..slots.cap() {
      if slots.tag(i) == EMPTY {
        return;
      }
      if let Some(e) = slots.entry(i) {
        if self.hash(e.key.as_bytes()) as usize & mask == home {
          visit(&e.key, e);
        }
      }
      i = (i + 1) & mask;
    }
  }

  pub fn iter(&self) -> impl Iterator<Item = (&Key, &Entry)> {
    self
      .cur
      .entries
      .iter()
      .chain(self.old.iter().flat_map(|o| o.entries.iter()))
      .filter_map(|s| s.as_deref().map(|e| (&e.key, e)))
  }

  /// Checks that tags, counts and the total agree with the entries.
  #[cfg(test)]
  pub fn check_invariants(&self) {
    let mut seen = std::collections::HashSet::new();
    for slots in std::iter::once(&self.cur).chain(self.old.iter()) {
      assert_eq!(slots.tags.len(), slots.entries.len());
      let live = slots.entries.iter().filter(|e| e.is_some()).count();
      assert_eq!(slots.live, live);
      assert_eq!(slots.tombs, slots.tags.iter().filter(|&&t| t == TOMBSTONE).count());
      assert!(slots.cap.is_power_of_two() || slots.cap == 0);
      for (i, e) in slots.entries.iter().enumerate() {
        if let Some(e) = e {
          let h = self.hash(e.key.as_bytes());
          assert_eq!(slots.tags[i], tag_of(h), "tag of {}", e.key);
          assert!(seen.insert(e.key.to_string()), "{} stored twice", e.key);
          assert_eq!(self.locate(h, e.key.as_bytes()).map(|a| self.at(a).key.clone()), Some(e.key.clone()));
        }
      }
    }
    let with_ttl = self.iter().filter(|(_, e)| e.expires_at_ms != 0).count();
    assert_eq!(self.volatile, with_ttl);
    let total: usize = self.iter().map(|(k, e)| entry_memory(k.len(), e.bytes)).sum();
    assert_eq!(self.used, total);
    let volatile: usize = self
      .iter()
      .filter(|(_, e)| e.expires_at_ms != 0)
      .map(|(_, e)| entry_memory(e.key.len(), e.bytes))
      .sum();
    assert_eq!(self.volatile_used, volatile);
    for (_, e) in self.iter() {
      assert_eq!(e.bytes, crate::memory::estimate(&e.value), "incremental estimate drifted");
      assert!(
        !matches!(e.value, Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::SortedSet(_))
          || !e.value.is_empty(),
        "empty collection stored"
      );
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use bytes::Bytes;

  fn s(v: &str) -> Value {
    Value::String(Bytes::copy_from_slice(v.as_bytes()))
  }

  fn est() -> usize {
    crate::memory::estimate(&s("v"))
  }

  #[test]
  fn grows_incrementally_and_finds_every_key_meanwhile() {
    let mut t = Table::default();
    let mut resizes = 0;
    for i in 0..20_000 {
      let was = t.is_resizing();
      t.insert(Key::from(format!("key:{i}").as_str()), s("v"), est(), 0, 0);
      if !was && t.is_resizing() {
        resizes += 1;
      }
      // Mid-resize, every key is found in one table or the other.
      if i % 997 == 0 {
        for j in 0..=i {
          assert!(t.get(&format!("key:{j}")).is_some(), "key:{j} lost at {i}");
        }
      }
    }
    assert!(resizes >= 8, "{resizes} incremental resizes");
    t.check_invariants();
    for i in (0..20_000).step_by(2) {
      assert!(t.remove(&format!("key:{i}")).is_some());
    }
    assert_eq!(t.len(), 10_000);
    t.check_invariants();
  }

  #[test]
  fn long_keys_live_outside_the_entry_and_compare_equal() {
    let mut t = Table::default();
    let long = "k".repeat(100);
    t.insert(Key::from(long.as_str()), s("v"), est(), 0, 0);
    t.insert(Key::from("short"), s("v"), est(), 0, 0);
    assert!(matches!(t.get(&long).unwrap().key(), Key::Heap(_)));
    assert!(matches!(t.get("short").unwrap().key(), Key::Inline(..)));
    assert_eq!(t.get(&long).unwrap().key().as_str(), long);
  }

  #[test]
  fn random_key_reaches_every_key_and_honours_volatile() {
    let mut t = Table::default();
    for i in 0..100 {
      t.insert(Key::from(format!("k{i}").as_str()), s("v"), est(), if i % 10 == 0 { 5 } else { 0 }, 0);
    }
    let mut rng = crate::keyspace::Rng::new(3);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5_000 {
      seen.insert(t.random_key(rng.next_u64(), false, usize::MAX, |_| true).unwrap().to_string());
      let v = t.random_key(rng.next_u64(), true, usize::MAX, |_| true).unwrap();
      assert_ne!(t.get(v).unwrap().expires_at_ms, 0);
    }
    assert_eq!(seen.len(), 100);
    assert!(t.random_key(1, false, usize::MAX, |_| false).is_none());
  }
}
