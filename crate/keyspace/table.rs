//! The entry table: every key, its entry, and what the whole map costs.
//!
//! Open addressing with linear probing over slots that are each one word:
//! a pointer to the entry with a tag byte in its top bits (7 bits of the
//! key's hash, or empty, or a tombstone; see `slot`). An entry is one
//! 48-byte allocation holding its TTL, its LRU stamp and either its key and
//! a short string value packed together, or its key and a pointer to the
//! spilled value ([`Entry`]): no per-key side vectors.
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

use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem::size_of;
use std::ops::Deref;

use bytes::Bytes;

use crate::memory::STRING_BASE;
use crate::value::{Kind, Value};

use super::pages;
use super::siphash::{half, word, SipKey};
use super::slot::{empty_slots, Slot, EMPTY, TOMBSTONE};

/// Slots of the old table moved per mutating call while a resize runs.
pub const REHASH_STEP: usize = 64;

/// Slots cut from the old table's end between two hand-backs of its memory
/// to the OS (`pages`).
const RELEASE_SLOTS: usize = 1 << 14;

/// Smallest table, in slots.
const MIN_SLOTS: usize = 16;

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

/// Bytes of key and string value an entry holds inside itself: a key and a
/// string whose lengths add up to this much take no allocation beyond the
/// entry's own 48 bytes (`key:123456` → `value:123456` takes 22).
pub const PACKED: usize = 33;

/// One key's value and bookkeeping, in one 48-byte allocation. A short key
/// with a short string value is *packed*: both sit in the entry itself.
/// Anything else *spills*: the key stays inline when it is short (heap
/// otherwise), and the value and its estimate go to a second allocation.
#[derive(Debug, Clone)]
pub struct Entry {
  /// Absolute expiry time in Unix milliseconds; 0 means none.
  pub expires_at_ms: u64,
  body: Body,
}

#[derive(Debug, Clone)]
enum Body {
  Packed { lru: u32, klen: u8, vlen: u8, buf: [u8; PACKED] },
  Spilled { lru: u32, key: Key, spill: Box<Spill> },
}

#[derive(Debug, Clone)]
struct Spill {
  value: Value,
  /// The value's estimated bytes (`memory::estimate`), kept up to date by
  /// every command that changes the value.
  bytes: usize,
}

/// Whether a key of `key_len` bytes and a value of estimate `value_bytes`
/// would be packed: only strings are (a string's estimate is
/// `STRING_BASE + len`, and every collection's smallest estimate is larger
/// than `STRING_BASE + PACKED`; a unit test checks it).
fn packs(key_len: usize, value_bytes: usize) -> bool {
  value_bytes >= STRING_BASE && key_len + (value_bytes - STRING_BASE) <= PACKED
}

impl Entry {
  fn new(key: &str, value: Incoming<'_>, bytes: usize, expires_at_ms: u64, lru: u32) -> Entry {
    let packed = value.string().filter(|_| packs(key.len(), bytes)).map(|s| pack(key, s, lru));
    let body = packed.unwrap_or_else(|| Body::Spilled {
      lru,
      key: Key::from(key),
      spill: Box::new(Spill { value: value.into_value(), bytes }),
    });
    Entry { expires_at_ms, body }
  }

  pub fn is_expired(&self, now_ms: u64) -> bool {
    self.expires_at_ms != 0 && self.expires_at_ms <= now_ms
  }

  pub fn key(&self) -> &str {
    match &self.body {
      // Copied from a `&str` whole and never changed: always UTF-8.
      Body::Packed { .. } => std::str::from_utf8(self.key_bytes()).expect("a key is UTF-8"),
      Body::Spilled { key, .. } => key.as_str(),
    }
  }

  fn key_bytes(&self) -> &[u8] {
    match &self.body {
      Body::Packed { klen, buf, .. } => &buf[..*klen as usize],
      Body::Spilled { key, .. } => key.as_bytes(),
    }
  }

  pub fn kind(&self) -> Kind {
    match &self.body {
      Body::Packed { .. } => Kind::String,
      Body::Spilled { spill, .. } => spill.value.kind(),
    }
  }

  /// The bytes of a string value, packed or not; `None` for a collection.
  pub fn string(&self) -> Option<&[u8]> {
    match &self.body {
      Body::Packed { klen, vlen, buf, .. } => Some(&buf[*klen as usize..(*klen + *vlen) as usize]),
      Body::Spilled { spill, .. } => match &spill.value {
        Value::String(b) => Some(b),
        _ => None,
      },
    }
  }

  /// The value as a [`Value`]; `None` for a packed string (see
  /// [`Self::string`]). A collection is never packed.
  pub fn value(&self) -> Option<&Value> {
    match &self.body {
      Body::Packed { .. } => None,
      Body::Spilled { spill, .. } => Some(&spill.value),
    }
  }

  /// The value's estimate (`memory::estimate`).
  pub fn bytes(&self) -> usize {
    match &self.body {
      Body::Packed { vlen, .. } => STRING_BASE + *vlen as usize,
      Body::Spilled { spill, .. } => spill.bytes,
    }
  }

  fn lru(&self) -> u32 {
    match self.body {
      Body::Packed { lru, .. } | Body::Spilled { lru, .. } => lru,
    }
  }

  /// How many reads and writes of the table have passed since this key's
  /// last one, by the table's access clock `clock` ([`Table::lru_clock`]):
  /// approximate LRU ranks keys by it. Exact while that is under 2^32.
  pub fn idle(&self, clock: u32) -> u32 {
    clock.wrapping_sub(self.lru())
  }

  fn touch(&mut self, clock: u32) {
    match &mut self.body {
      Body::Packed { lru, .. } | Body::Spilled { lru, .. } => *lru = clock,
    }
  }

  /// What this entry costs, as [`entry_memory`] counts it (by what the
  /// entry is, since a collection emptied by a command is still spilled
  /// until the command removes it).
  fn memory(&self) -> usize {
    match &self.body {
      Body::Packed { .. } => ENTRY_OVERHEAD,
      Body::Spilled { key, spill, .. } => spilled_memory(key.len(), spill.bytes),
    }
  }

  /// Puts `value` in, packed when it fits; returns what was there.
  fn swap(&mut self, value: Incoming<'_>, bytes: usize) -> Taken {
    let key_len = self.key_bytes().len();
    if let Body::Spilled { spill, .. } = &mut self.body {
      if !packs(key_len, bytes) {
        // Spilled before and after: the allocation is reused.
        let old = std::mem::replace(&mut spill.value, value.into_value());
        return Taken::Value(old, std::mem::replace(&mut spill.bytes, bytes));
      }
    }
    // Packed before and after: the new bytes overwrite the old in place.
    if let Some(new) = value.string().filter(|_| packs(key_len, bytes)) {
      if let Some(old) = self.string().filter(|_| matches!(self.body, Body::Packed { .. })) {
        let taken = Taken::packed(old);
        let Body::Packed { vlen, buf, .. } = &mut self.body else { unreachable!("packed") };
        buf[key_len..key_len + new.len()].copy_from_slice(new);
        *vlen = new.len() as u8;
        return taken;
      }
    }
    // Packed before or after: the key is at most PACKED bytes.
    let mut k = [0; PACKED];
    k[..key_len].copy_from_slice(self.key_bytes());
    let key = std::str::from_utf8(&k[..key_len]).expect("a key is UTF-8");
    let new = Entry::new(key, value, bytes, self.expires_at_ms, self.lru());
    std::mem::replace(self, new).into_taken()
  }

  fn into_taken(self) -> Taken {
    match self.body {
      Body::Packed { .. } => Taken::packed(self.string().expect("a packed string")),
      Body::Spilled { spill, .. } => Taken::Value(spill.value, spill.bytes),
    }
  }
}

/// A key and a string in a packed body.
fn pack(key: &str, s: &[u8], lru: u32) -> Body {
  debug_assert!(key.len() + s.len() <= PACKED);
  let mut buf = [0; PACKED];
  buf[..key.len()].copy_from_slice(key.as_bytes());
  buf[key.len()..key.len() + s.len()].copy_from_slice(s);
  Body::Packed { lru, klen: key.len() as u8, vlen: s.len() as u8, buf }
}

/// A value going into the table: a [`Value`], or a string's bytes still in
/// the caller's buffer (copied into the entry when they pack, into a buffer
/// of their own otherwise), so a short string costs no allocation on its way.
pub enum Incoming<'a> {
  Value(Value),
  Str(&'a [u8]),
}

impl Incoming<'_> {
  /// The bytes of a string, whichever way it came.
  pub(super) fn string(&self) -> Option<&[u8]> {
    match self {
      Incoming::Str(s) => Some(s),
      Incoming::Value(Value::String(s)) => Some(s),
      Incoming::Value(_) => None,
    }
  }

  fn into_value(self) -> Value {
    match self {
      Incoming::Value(v) => v,
      Incoming::Str(s) => Value::String(Bytes::copy_from_slice(s)),
    }
  }
}

impl From<Value> for Incoming<'_> {
  fn from(v: Value) -> Self {
    Incoming::Value(v)
  }
}

/// A value taken out of the table: a packed string (still in a small
/// array, so freeing it costs nothing) or a [`Value`] with its estimate.
#[derive(Debug)]
pub enum Taken {
  Packed { len: u8, buf: [u8; PACKED] },
  Value(Value, usize),
}

impl Taken {
  /// A copy of a packed string's bytes.
  fn packed(s: &[u8]) -> Taken {
    let mut buf = [0; PACKED];
    buf[..s.len()].copy_from_slice(s);
    Taken::Packed { len: s.len() as u8, buf }
  }

  /// The value's estimate.
  pub fn bytes(&self) -> usize {
    match self {
      Taken::Packed { len, .. } => STRING_BASE + *len as usize,
      Taken::Value(_, bytes) => *bytes,
    }
  }

  /// The value as a [`Value`] and its estimate (a packed string is copied
  /// into a buffer of its own).
  pub fn into_value(self) -> (Value, usize) {
    match self {
      Taken::Packed { len, buf } => {
        (Value::String(Bytes::copy_from_slice(&buf[..len as usize])), STRING_BASE + len as usize)
      }
      Taken::Value(value, bytes) => (value, bytes),
    }
  }
}

/// What a removal hands back: the value, and the TTL and LRU clock it had.
#[derive(Debug)]
pub struct Removed {
  pub taken: Taken,
  pub expires_at_ms: u64,
  /// The entry's LRU stamp, as [`Table::insert_removed`] takes it back.
  lru: u32,
}

/// Bytes one slot takes: a pointer with a tag in its top bits. At a load
/// between 2/5 and 4/5 as the table doubles, there are at most 2.5 slots per
/// key, and 2 or fewer over most of each doubling.
const SLOT: usize = size_of::<Slot<Entry>>();

/// What an entry costs, on a 64-bit target: the entry's 48 bytes and its two
/// slots; when spilled, also the spilled value's allocation (its size
/// rounded up to the allocator's 16-byte classes), the key's text when it is
/// too long to sit inline, and the value's estimate.
pub const ENTRY_OVERHEAD: usize = size_of::<Entry>() + 2 * SLOT;

/// What a spilled entry costs beyond [`ENTRY_OVERHEAD`] and the value's
/// estimate.
const SPILL_OVERHEAD: usize = size_of::<Spill>().div_ceil(16) * 16;

/// What an entry costs in total, for a key of `key_len` bytes and a value
/// whose estimate is `value_bytes`.
pub fn entry_memory(key_len: usize, value_bytes: usize) -> usize {
  if packs(key_len, value_bytes) {
    ENTRY_OVERHEAD
  } else {
    spilled_memory(key_len, value_bytes)
  }
}

fn spilled_memory(key_len: usize, value_bytes: usize) -> usize {
  let key_heap = if key_len > INLINE_KEY { key_len } else { 0 };
  ENTRY_OVERHEAD + SPILL_OVERHEAD + key_heap + value_bytes
}

/// A mutable view of one entry that keeps the table's totals in step.
pub struct EntryMut<'a> {
  entry: &'a mut Entry,
  /// The table's access clock for this access.
  clock: u32,
  used: &'a mut usize,
  volatile_used: &'a mut usize,
}

impl EntryMut<'_> {
  /// The value, which must be spilled: a collection, or a string too long
  /// to pack.
  pub fn value(&mut self) -> &mut Value {
    match &mut self.entry.body {
      Body::Spilled { spill, .. } => &mut spill.value,
      Body::Packed { .. } => panic!("a packed string has no Value to change in place"),
    }
  }

  pub fn entry(&self) -> &Entry {
    self.entry
  }

  /// Marks the entry as just used, for LRU.
  pub fn touch(&mut self) {
    self.entry.touch(self.clock);
  }

  /// Records that the (spilled) value's estimate changed by `delta` bytes.
  pub fn resize(&mut self, delta: isize) {
    let Body::Spilled { spill, .. } = &mut self.entry.body else {
      panic!("a packed string is never resized in place");
    };
    spill.bytes = spill.bytes.checked_add_signed(delta).expect("value estimate below zero");
    *self.used = self.used.checked_add_signed(delta).expect("used memory below zero");
    if self.entry.expires_at_ms != 0 {
      *self.volatile_used = self.volatile_used.checked_add_signed(delta).expect("volatile memory below zero");
    }
  }
}

/// One array of slots. While a resize empties it, the old table is cut
/// from its end, one whole run of occupied slots at a time: slots at or past
/// `slots.len()` (but below `cap`) read as empty. That is sound because no
/// probe sequence crosses an empty slot, and no run wraps past the end (the
/// run that did is moved first, see `start_resize`).
#[derive(Debug, Default)]
struct Slots {
  slots: Vec<Slot<Entry>>,
  /// Slots, a power of two (0 for a table never used).
  cap: usize,
  live: usize,
  tombs: usize,
  /// Slots from here to `cap` have had their pages handed back to the OS.
  released: usize,
}

impl Slots {
  fn with_capacity(n: usize) -> Slots {
    // A zeroed allocation (an empty slot is a zero word): the OS hands out
    // zero pages lazily, so a big table costs no time here.
    Slots { slots: empty_slots(n), cap: n, live: 0, tombs: 0, released: n }
  }

  fn cap(&self) -> usize {
    self.cap
  }

  /// Whether one more entry keeps the table at most 4/5 full, tombstones
  /// counted (the table grows past that; a table never used has no room).
  fn has_room(&self) -> bool {
    self.cap != 0 && (self.live + self.tombs + 1) * 5 <= self.cap * 4
  }

  /// The tag of slot `i`; a slot cut off by a resize reads as empty.
  fn tag(&self, i: usize) -> u8 {
    self.slots.get(i).map_or(EMPTY, Slot::tag)
  }

  fn entry(&self, i: usize) -> Option<&Entry> {
    self.slots.get(i).and_then(Slot::entry)
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
      let slot = self.slots.get(i)?;
      match slot.tag() {
        EMPTY => return None,
        t if t == tag && same_key(slot.entry().expect("a tagged slot holds an entry").key_bytes(), key) => {
          return Some(i);
        }
        _ => {}
      }
      i = (i + 1) & mask;
    }
    None
  }

  /// Puts an entry whose key is absent into the first free slot of its run.
  fn put(&mut self, hash: u64, entry: Box<Entry>) {
    // Made before any count changes (`Slot::full` refuses an address it
    // cannot hold), so a refusal leaves the counts right.
    let slot = Slot::full(tag_of(hash), entry);
    let mask = self.mask();
    let mut i = hash as usize & mask;
    while self.slots[i].tag() >= 0x80 {
      i = (i + 1) & mask;
    }
    if self.slots[i].tag() == TOMBSTONE {
      self.tombs -= 1;
    }
    self.slots[i] = slot;
    self.live += 1;
  }

  fn take(&mut self, i: usize) -> Box<Entry> {
    self.tombs += 1;
    self.live -= 1;
    self.slots[i].take(Slot::tombstone()).expect("a live slot")
  }
}

/// Whether two keys are equal. A key of 4 to 16 bytes (most keys) is
/// compared as two overlapping words from each end, in line, instead of
/// through a call to `memcmp`.
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
  let n = a.len();
  if n != b.len() {
    return false;
  }
  match n {
    8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
    4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
    _ => a == b,
  }
}

/// A full slot's tag: the top 7 bits of the hash, with the high bit set.
fn tag_of(hash: u64) -> u8 {
  0x80 | (hash >> 57) as u8
}

/// The slots, the running totals, and the resize in progress.
#[derive(Debug)]
pub struct Table {
  hasher: SipKey,
  /// Where inserts go.
  cur: Slots,
  /// The table being emptied into `cur` during a resize.
  old: Option<Slots>,
  volatile: usize,
  used: usize,
  /// Σ [`entry_memory`] over the entries with a TTL.
  volatile_used: usize,
  /// See [`Self::lru_clock`].
  clock: u32,
}

impl Default for Table {
  fn default() -> Table {
    Table {
      hasher: SipKey::random(),
      cur: Slots::default(),
      old: None,
      volatile: 0,
      used: 0,
      volatile_used: 0,
      clock: 0,
    }
  }
}

/// Where an entry was found: valid until the table next changes.
#[derive(Clone, Copy)]
pub enum At {
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

  /// The key's bytes through the table's keyed SipHash, as one message (a
  /// key is whole: no length prefix is needed to tell keys apart).
  #[inline]
  fn hash(&self, key: &[u8]) -> u64 {
    self.hasher.hash(key)
  }

  fn locate(&self, hash: u64, key: &[u8]) -> Option<At> {
    if let Some(i) = self.cur.find(hash, key) {
      return Some(At::Cur(i));
    }
    self.old.as_ref().and_then(|o| o.find(hash, key)).map(At::Old)
  }

  /// The entry [`Self::find`] found, if the table has not changed since.
  pub fn entry(&self, at: At) -> &Entry {
    let slots = match at {
      At::Cur(i) => &self.cur.slots[i],
      At::Old(i) => &self.old.as_ref().expect("resizing").slots[i],
    };
    slots.entry().expect("a live slot")
  }

  fn at_mut(&mut self, at: At) -> &mut Entry {
    let slot = match at {
      At::Cur(i) => &mut self.cur.slots[i],
      At::Old(i) => &mut self.old.as_mut().expect("resizing").slots[i],
    };
    slot.entry_mut().expect("a live slot")
  }

  /// Where `key` (whose [`Self::hash_key`] is `hash`) sits, for
  /// [`Self::entry`]: a command that must look at an entry before it
  /// decides what to do with it probes once.
  pub fn find(&self, hash: u64, key: &str) -> Option<At> {
    self.locate(hash, key.as_bytes())
  }

  /// Brings the slots and entries that lookups of these hashes will read
  /// into the CPU's cache, all at once: a batch of lookups (MGET) then waits
  /// for memory about once instead of once per key. Reads only; the result
  /// of a lookup does not depend on it.
  pub fn warm(&self, hashes: &[u64]) {
    for slots in std::iter::once(&self.cur).chain(&self.old) {
      let mask = slots.mask();
      // Independent loads, so the CPU has many in flight: first the home
      // slots, then the entries they point to.
      let mut seen = 0u64;
      for &h in hashes {
        seen ^= u64::from(slots.tag(h as usize & mask));
      }
      std::hint::black_box(seen);
      for &h in hashes {
        if let Some(slot) = slots.slots.get(h as usize & mask) {
          slot.warm();
        }
      }
    }
  }

  /// [`Self::find`] that also marks the entry as just used. Moves no
  /// entry, so what an earlier `find` found stays valid.
  pub fn find_touch(&mut self, hash: u64, key: &str) -> Option<At> {
    let at = self.locate(hash, key.as_bytes())?;
    let clock = self.tick();
    self.at_mut(at).touch(clock);
    Some(at)
  }

  pub fn get(&self, key: &str) -> Option<&Entry> {
    let at = self.locate(self.hash(key.as_bytes()), key.as_bytes())?;
    Some(self.entry(at))
  }

  /// The hash this table files `key` under: a command that looks a key up
  /// several times computes it once and passes it to the methods that take
  /// a hash (`find`, `find_touch`, `warm`, `insert_hashed`).
  pub fn hash_key(&self, key: &str) -> u64 {
    self.hash(key.as_bytes())
  }

  /// Moves part of a running resize along ([`REHASH_STEP`] slots): reads
  /// call it once per command, writes on every change.
  #[inline]
  pub fn step(&mut self) {
    if self.old.is_some() {
      self.rehash_step();
    }
  }

  /// Advances the access clock and returns it.
  fn tick(&mut self) -> u32 {
    self.clock = self.clock.wrapping_add(1);
    self.clock
  }

  /// The access clock: it advances by one on every read or write of an
  /// entry, and each entry keeps its value at its last access (see
  /// [`Entry::idle`]). A counter, not a time: LRU needs only the order of
  /// accesses, and a read then costs no clock call.
  pub fn lru_clock(&self) -> u32 {
    self.clock
  }

  /// Adds `cost` to the totals, for an entry that carries a TTL or not.
  fn add(&mut self, cost: usize, volatile: bool) {
    self.used += cost;
    if volatile {
      self.volatile += 1;
      self.volatile_used += cost;
    }
  }

  /// Takes `cost` from the totals, for an entry that carried a TTL or not.
  fn sub(&mut self, cost: usize, volatile: bool) {
    self.used -= cost;
    if volatile {
      self.volatile -= 1;
      self.volatile_used -= cost;
    }
  }

  /// Swaps a new value into the present entry `at` (packing it when it
  /// fits); sets its expiry time when `expiry` is given (0 clears it) and
  /// marks it as just used when `touch` is; keeps the totals in step.
  fn swap_at(
    &mut self,
    at: At,
    value: Incoming<'_>,
    bytes: usize,
    expiry: Option<u64>,
    touch: bool,
  ) -> Taken {
    let clock = if touch { Some(self.tick()) } else { None };
    let entry = self.at_mut(at);
    let (old_cost, was_volatile) = (entry.memory(), entry.expires_at_ms != 0);
    let taken = entry.swap(value, bytes);
    if let Some(at_ms) = expiry {
      entry.expires_at_ms = at_ms;
    }
    if let Some(clock) = clock {
      entry.touch(clock);
    }
    let (new_cost, is_volatile) = (entry.memory(), entry.expires_at_ms != 0);
    self.sub(old_cost, was_volatile);
    self.add(new_cost, is_volatile);
    taken
  }

  /// SET's overwrite of the entry [`Self::find`] found (the table must not
  /// have changed since): swaps in `value`, sets the expiry time when
  /// `expiry` is given (0 clears it), marks the entry as just used; returns
  /// the old value.
  pub fn overwrite_at<'v>(
    &mut self,
    at: At,
    value: impl Into<Incoming<'v>>,
    bytes: usize,
    expiry: Option<u64>,
  ) -> Taken {
    self.swap_at(at, value.into(), bytes, expiry, true)
  }

  /// Σ [`entry_memory`] over the entries with a TTL.
  pub fn volatile_used(&self) -> usize {
    self.volatile_used
  }

  pub fn get_mut(&mut self, key: &str) -> Option<EntryMut<'_>> {
    self.rehash_step();
    let at = self.locate(self.hash(key.as_bytes()), key.as_bytes())?;
    let clock = self.tick();
    let slot = match at {
      At::Cur(i) => &mut self.cur.slots[i],
      At::Old(i) => &mut self.old.as_mut().expect("resizing").slots[i],
    };
    let entry = slot.entry_mut().expect("a live slot");
    Some(EntryMut { entry, clock, used: &mut self.used, volatile_used: &mut self.volatile_used })
  }

  /// A present entry, marked as just used.
  pub fn touch(&mut self, key: &str) -> Option<&Entry> {
    self.rehash_step();
    let at = self.find_touch(self.hash(key.as_bytes()), key)?;
    Some(self.entry(at))
  }

  /// Adds a key that is not present, as just used.
  pub fn insert(&mut self, key: &str, value: Value, bytes: usize, expires_at_ms: u64) {
    let hash = self.hash(key.as_bytes());
    self.insert_hashed(hash, key, value, bytes, expires_at_ms);
  }

  /// Adds what [`Self::remove`] took out, under a new key that is not
  /// present, with its TTL and LRU stamp (RENAME).
  pub fn insert_removed(&mut self, key: &str, removed: Removed) {
    let (value, bytes) = removed.taken.into_value();
    self.put_new(self.hash(key.as_bytes()), key, value.into(), bytes, removed.expires_at_ms, removed.lru);
  }

  /// [`Self::insert`] with the key's [`Self::hash_key`].
  pub fn insert_hashed<'v>(
    &mut self,
    hash: u64,
    key: &str,
    value: impl Into<Incoming<'v>>,
    bytes: usize,
    expires_at_ms: u64,
  ) {
    let clock = self.tick();
    self.put_new(hash, key, value.into(), bytes, expires_at_ms, clock);
  }

  fn put_new(
    &mut self,
    hash: u64,
    key: &str,
    value: Incoming<'_>,
    bytes: usize,
    expires_at_ms: u64,
    lru: u32,
  ) {
    debug_assert_eq!(hash, self.hash(key.as_bytes()));
    debug_assert!(self.locate(hash, key.as_bytes()).is_none());
    self.rehash_step();
    self.make_room();
    let entry = Box::new(Entry::new(key, value, bytes, expires_at_ms, lru));
    let cost = entry.memory();
    self.cur.put(hash, entry);
    self.add(cost, expires_at_ms != 0);
  }

  /// Swaps in a new value for a present key, returning the old one. The
  /// TTL and the LRU clock are left as they were.
  pub fn replace(&mut self, key: &str, value: Value, bytes: usize) -> Option<Taken> {
    let at = self.locate(self.hash(key.as_bytes()), key.as_bytes())?;
    Some(self.swap_at(at, value.into(), bytes, None, false))
  }

  /// Removes a key.
  pub fn remove(&mut self, key: &str) -> Option<Removed> {
    self.rehash_step();
    let at = self.locate(self.hash(key.as_bytes()), key.as_bytes())?;
    let entry = match at {
      At::Cur(i) => self.cur.take(i),
      At::Old(i) => self.old.as_mut().expect("resizing").take(i),
    };
    self.sub(entry.memory(), entry.expires_at_ms != 0);
    self.maybe_shrink();
    let (expires_at_ms, lru) = (entry.expires_at_ms, entry.lru());
    Some(Removed { taken: entry.into_taken(), expires_at_ms, lru })
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
    let cost = entry.memory();
    self.sub(cost, had);
    self.add(cost, at_ms != 0);
    true
  }

  /// Starts a resize when the current table is too full (counting
  /// tombstones) for one more entry; finishes a resize first in the corner
  /// where one is still running then (not reached with `REHASH_STEP` moves
  /// per call, since a resize starts with the new table at most half full).
  fn make_room(&mut self) {
    if self.cur.has_room() {
      return;
    }
    if self.old.is_some() {
      while self.old.is_some() {
        self.rehash_step();
      }
      if self.cur.has_room() {
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
    // so that cutting the old table from its end never splits a run. Under
    // the 4/5 limit (tombstones count) the longest run of a table of 2^20
    // slots is several hundred slots: microseconds of work, bounded by the
    // run's length.
    let cap = old.cap;
    if old.tag(cap - 1) != EMPTY {
      let last_empty = (0..cap).rev().find(|&i| old.tag(i) == EMPTY).expect("a table is never full");
      let first_empty = (0..cap).find(|&i| old.tag(i) == EMPTY).expect("a table is never full");
      for i in (last_empty + 1..cap).chain(0..first_empty) {
        self.move_slot(&mut old, i);
      }
    }
    self.old = Some(old);
    self.rehash_step();
  }

  /// Moves slot `i` of `old` (an entry, or a tombstone) out, leaving it empty.
  fn move_slot(&mut self, old: &mut Slots, i: usize) {
    match old.slots[i].tag() {
      EMPTY => {}
      TOMBSTONE => {
        old.slots[i] = Slot::empty();
        old.tombs -= 1;
      }
      _ => {
        let entry = old.slots[i].take(Slot::empty()).expect("a tagged slot holds an entry");
        old.live -= 1;
        let hash = self.hash(entry.key_bytes());
        self.cur.put(hash, entry);
      }
    }
  }

  /// Moves at least [`REHASH_STEP`] slots of the old table into the current
  /// one (or what is left of it): whole runs from its end, cutting them off,
  /// so a step that ends inside a run moves the rest of that run too (several
  /// hundred slots at most, in practice, under the 4/5 limit); frees the old
  /// table once no entry is left in it.
  fn rehash_step(&mut self) {
    let Some(mut old) = self.old.take() else { return };
    let mut done = 0;
    while done < REHASH_STEP {
      let end = old.slots.len();
      match old.slots.last().map(Slot::tag) {
        None => break,
        Some(EMPTY) => {
          old.slots.pop();
          done += 1;
          continue;
        }
        Some(_) => {}
      }
      // The last slot ends a run; it starts after the previous empty slot.
      let start = (0..end).rev().find(|&i| old.tag(i) == EMPTY).map_or(0, |e| e + 1);
      for i in start..end {
        self.move_slot(&mut old, i);
      }
      // Every slot cut here is empty now: the truncation frees nothing.
      old.slots.truncate(start);
      done += end - start;
    }
    if old.live == 0 {
      // Every entry has moved; what is left are empty slots and tombstones
      // (`None` pointers), dropped below without freeing anything.
      old.slots.clear();
    }
    // Hand the cut part's pages back to the OS as it grows, rather than
    // leave tens of MB (at millions of keys) resident after the resize.
    if old.released - old.slots.len() >= RELEASE_SLOTS || old.live == 0 {
      old.released = pages::release_spare(&mut old.slots, old.released);
    }
    if old.live > 0 {
      self.old = Some(old);
    }
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
  ) -> Option<&str> {
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
            return Some(e.key());
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
  pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&str, &Entry)) -> u64 {
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
  fn visit_home(&self, slots: &Slots, home: usize, visit: &mut impl FnMut(&str, &Entry)) {
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
        if self.hash(e.key_bytes()) as usize & mask == home {
          visit(e.key(), e);
        }
      }
      i = (i + 1) & mask;
    }
  }

  pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
    self
      .cur
      .slots
      .iter()
      .chain(self.old.iter().flat_map(|o| o.slots.iter()))
      .filter_map(|s| s.entry().map(|e| (e.key(), e)))
  }

  /// Checks that tags, counts and the total agree with the entries.
  #[cfg(test)]
  pub fn check_invariants(&self) {
    let mut seen = std::collections::HashSet::new();
    for slots in std::iter::once(&self.cur).chain(self.old.iter()) {
      let live = slots.slots.iter().filter(|s| s.entry().is_some()).count();
      assert_eq!(slots.live, live);
      assert_eq!(slots.tombs, slots.slots.iter().filter(|s| s.tag() == TOMBSTONE).count());
      assert!(slots.cap.is_power_of_two() || slots.cap == 0);
      for (i, slot) in slots.slots.iter().enumerate() {
        if let Some(e) = slot.entry() {
          let h = self.hash(e.key_bytes());
          assert_eq!(slots.tag(i), tag_of(h), "tag of {}", e.key());
          assert!(seen.insert(e.key().to_string()), "{} stored twice", e.key());
          assert_eq!(self.locate(h, e.key_bytes()).map(|a| self.entry(a).key()), Some(e.key()));
          let packed = matches!(e.body, Body::Packed { .. });
          assert_eq!(
            packed,
            e.kind() == Kind::String && packs(e.key_bytes().len(), e.bytes()),
            "{} packing",
            e.key()
          );
        }
      }
    }
    let with_ttl = self.iter().filter(|(_, e)| e.expires_at_ms != 0).count();
    assert_eq!(self.volatile, with_ttl);
    let total: usize = self.iter().map(|(k, e)| entry_memory(k.len(), e.bytes())).sum();
    assert!(self.iter().all(|(_, e)| e.memory() == entry_memory(e.key().len(), e.bytes())));
    assert_eq!(self.used, total);
    let volatile: usize =
      self.iter().filter(|(_, e)| e.expires_at_ms != 0).map(|(k, e)| entry_memory(k.len(), e.bytes())).sum();
    assert_eq!(self.volatile_used, volatile);
    for (_, e) in self.iter() {
      if let Some(v) = e.value() {
        assert_eq!(e.bytes(), crate::memory::estimate(v), "incremental estimate drifted");
        assert!(v.kind() == Kind::String || !v.is_empty(), "empty collection stored");
      }
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
  fn keys_compare_equal_exactly_when_their_bytes_do() {
    // Every length through the word-sized cases and past them, with one
    // byte changed at each place (a difference only the first or only the
    // last word of an overlapping pair sees).
    for n in 0..40usize {
      let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
      assert!(same_key(&a, &a.clone()), "{n} bytes against a copy");
      if n > 0 {
        assert!(!same_key(&a, &a[..n - 1]), "{n} bytes against a prefix");
      }
      for at in 0..n {
        let mut b = a.clone();
        b[at] ^= 0x20;
        assert!(!same_key(&a, &b), "{n} bytes differing at {at}");
      }
    }
  }

  #[test]
  fn grows_incrementally_and_finds_every_key_meanwhile() {
    let mut t = Table::default();
    let mut resizes = 0;
    for i in 0..20_000 {
      let was = t.is_resizing();
      t.insert(&format!("key:{i}"), s("v"), est(), 0);
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
  fn short_strings_pack_and_everything_else_spills() {
    let mut t = Table::default();
    let long = "k".repeat(100);
    t.insert(&long, s("v"), est(), 0);
    t.insert("short", s("v"), est(), 0);
    let fits = "x".repeat(PACKED - "edge".len());
    t.insert("edge", s(&fits), STRING_BASE + fits.len(), 0);
    let over = "x".repeat(PACKED - "edge".len() + 1);
    t.insert("over", s(&over), STRING_BASE + over.len(), 0);
    let list = Value::List(std::iter::once(Bytes::from_static(b"a")).collect());
    let list_bytes = crate::memory::estimate(&list);
    t.insert("l", list, list_bytes, 0);
    let packed = |k: &str| matches!(t.get(k).unwrap().body, Body::Packed { .. });
    assert!(packed("short") && packed("edge"));
    assert!(!packed(&long) && !packed("over") && !packed("l"));
    assert_eq!(t.get(&long).unwrap().key(), long);
    assert_eq!(t.get("edge").unwrap().string(), Some(fits.as_bytes()));
    assert_eq!(t.get("over").unwrap().string(), Some(over.as_bytes()));
    assert!(t.get("l").unwrap().string().is_none());
    assert_eq!(t.get("l").unwrap().kind(), Kind::List);
    t.check_invariants();
  }

  #[test]
  fn a_string_repacks_when_its_size_crosses_the_limit_either_way() {
    let mut t = Table::default();
    t.insert("k", s("small"), STRING_BASE + 5, 7);
    let big = "y".repeat(100);
    let old = t.replace("k", s(&big), STRING_BASE + big.len()).unwrap();
    assert_eq!(old.into_value().0, s("small"));
    assert!(matches!(t.get("k").unwrap().body, Body::Spilled { .. }));
    assert_eq!(t.get("k").unwrap().expires_at_ms, 7, "the TTL stays");
    t.check_invariants();
    let old = t.replace("k", s("tiny"), STRING_BASE + 4).unwrap();
    assert_eq!(old.bytes(), STRING_BASE + big.len());
    assert!(matches!(t.get("k").unwrap().body, Body::Packed { .. }));
    assert_eq!(t.get("k").unwrap().string(), Some(&b"tiny"[..]));
    t.check_invariants();
    let removed = t.remove("k").unwrap();
    assert_eq!(removed.taken.into_value(), (s("tiny"), STRING_BASE + 4));
    assert_eq!(t.used(), 0);
  }

  #[test]
  fn bytes_from_a_buffer_pack_and_overwrite_a_packed_value_in_place() {
    let mut t = Table::default();
    let h = t.hash_key("k");
    t.insert_hashed(h, "k", Incoming::Str(b"first"), STRING_BASE + 5, 0);
    let at = t.find(h, "k").unwrap();
    let old = t.overwrite_at(at, Incoming::Str(b"2nd"), STRING_BASE + 3, None);
    assert_eq!(old.into_value().0, s("first"));
    assert_eq!(t.get("k").unwrap().string(), Some(&b"2nd"[..]));
    let long = [b'x'; 40];
    let at = t.find(h, "k").unwrap();
    t.overwrite_at(at, Incoming::Str(&long), STRING_BASE + 40, Some(9));
    assert_eq!(t.get("k").unwrap().string(), Some(&long[..]));
    assert_eq!(t.get("k").unwrap().expires_at_ms, 9);
    t.check_invariants();
  }

  #[test]
  fn no_collection_is_small_enough_to_pack() {
    use crate::memory::{
      HASH_BASE, HASH_PER_FIELD, LIST_BASE, LIST_PER_ITEM, SET_BASE, SET_PER_MEMBER, ZSET_BASE,
      ZSET_PER_MEMBER,
    };
    // The smallest estimate each kind can have with one element.
    for least in [
      LIST_BASE + LIST_PER_ITEM,
      HASH_BASE + HASH_PER_FIELD,
      SET_BASE + SET_PER_MEMBER,
      ZSET_BASE + ZSET_PER_MEMBER,
    ] {
      assert!(!packs(0, least), "{least}");
    }
  }

  #[test]
  fn the_access_clock_ranks_keys_by_their_last_use_across_its_wrap() {
    let mut t = Table { clock: u32::MAX - 2, ..Table::default() };
    t.insert("a", s("v"), est(), 0);
    t.insert("b", s("v"), est(), 0);
    t.insert("c", s("v"), est(), 0);
    t.touch("a");
    t.get_mut("b").unwrap().touch();
    let clock = t.lru_clock();
    let idle = |k: &str| t.get(k).unwrap().idle(clock);
    assert_eq!((idle("c"), idle("a"), idle("b")), (2, 1, 0), "c is the least recently used");
    let removed = t.remove("c").unwrap();
    t.insert_removed("d", removed);
    assert_eq!(t.get("d").unwrap().idle(t.lru_clock()), 2, "a rename keeps the stamp");
  }

  #[test]
  #[cfg(target_pointer_width = "64")]
  fn an_entry_is_48_bytes() {
    assert_eq!(size_of::<Entry>(), 48);
  }

  #[test]
  fn random_key_reaches_every_key_and_honours_volatile() {
    let mut t = Table::default();
    for i in 0..100 {
      t.insert(&format!("k{i}"), s("v"), est(), if i % 10 == 0 { 5 } else { 0 });
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
