//! String commands: SET (with EX/PX/NX/XX/KEEPTTL), GET, MGET, MSET,
//! INCRBY, APPEND, STRLEN.
//!
//! A string value is one byte buffer. Integers are kept as their decimal
//! text, as Redis shows them, and parsed by Redis's strict rules (no sign
//! `+`, no spaces, no leading zeros) when `incrby` needs a number.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use bytes::{Bytes, BytesMut};

use crate::error::LfResult;
use crate::memory::{MAX_STRING_BYTES, STRING_BASE};
use crate::value::{Kind, Value};

use super::errors::{invalid_expire, not_an_integer, overflow, string_too_long, syntax};
use super::lazy::Removal;
use super::table::{entry_memory, At, Entry, Incoming};
use super::Keyspace;

/// SET's options, as Redis spells them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetOptions {
  /// Expire in this many seconds (> 0).
  pub ex: Option<i64>,
  /// Expire in this many milliseconds (> 0).
  pub px: Option<i64>,
  /// Only set a key that does not exist.
  pub nx: bool,
  /// Only set a key that exists.
  pub xx: bool,
  /// Keep the key's TTL (otherwise SET clears it).
  pub keep_ttl: bool,
}

/// Parses a whole buffer as a signed 64-bit integer by Redis's `string2ll`
/// rules.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
  if s == b"0" {
    return Some(0);
  }
  let (negative, digits) = match s.split_first() {
    Some((b'-', rest)) => (true, rest),
    _ => (false, s),
  };
  match digits.first() {
    Some(b'1'..=b'9') => {}
    _ => return None,
  }
  let mut v: u64 = 0;
  for &d in digits {
    if !d.is_ascii_digit() {
      return None;
    }
    v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
  }
  if negative {
    (v <= 1u64 << 63).then(|| (v as i64).wrapping_neg())
  } else {
    i64::try_from(v).ok()
  }
}

fn string_bytes(len: usize) -> usize {
  STRING_BASE + len
}

/// A string entry's bytes as an owned `Bytes` (see `Keyspace::get_owned`).
fn owned(e: &Entry) -> Bytes {
  match e.value() {
    Some(Value::String(b)) => b.clone(),
    _ => Bytes::copy_from_slice(e.string().expect("a string entry")),
  }
}

impl Keyspace {
  /// SET: stores a string, replacing whatever the key held (freed per
  /// `lazyfree.serverDel`). `false` when NX or XX was not met. A value
  /// longer than [`MAX_STRING_BYTES`] is refused as Redis refuses it.
  pub fn set(&mut self, key: &str, value: Bytes, opts: SetOptions) -> LfResult<bool> {
    let len = value.len();
    self.set_incoming(key, Incoming::Value(Value::String(value)), len, opts)
  }

  /// SET of bytes still in the caller's buffer: a value short enough to
  /// pack is copied into its entry and never allocated on its own.
  pub fn set_slice(&mut self, key: &str, value: &[u8], opts: SetOptions) -> LfResult<bool> {
    self.set_incoming(key, Incoming::Str(value), value.len(), opts)
  }

  fn set_incoming(&mut self, key: &str, value: Incoming<'_>, len: usize, opts: SetOptions) -> LfResult<bool> {
    if len > MAX_STRING_BYTES {
      return Err(string_too_long());
    }
    let timed = opts.ex.is_some() || opts.px.is_some();
    if (opts.nx && opts.xx) || (opts.ex.is_some() && opts.px.is_some()) || (opts.keep_ttl && timed) {
      return Err(syntax());
    }
    // The clock is read only when something needs the time: a TTL to set,
    // or one on the key being replaced.
    let mut now = None;
    let ttl_ms = match (opts.ex, opts.px) {
      (Some(s), _) if s <= 0 || s > i64::MAX / 1000 => return Err(invalid_expire("set")),
      (Some(s), _) => s * 1000,
      (_, Some(ms)) if ms <= 0 => return Err(invalid_expire("set")),
      (_, Some(ms)) => ms,
      _ => 0,
    };
    let at_ms = if ttl_ms > 0 {
      let now = *now.get_or_insert_with(|| self.now_ms());
      if ttl_ms > i64::MAX - now as i64 {
        return Err(invalid_expire("set"));
      }
      now + ttl_ms as u64
    } else {
      0
    };
    let hash = self.table.hash_key(key);
    let found = self.lookup_write_at(hash, key, &mut now);
    let old = found.map(|at| entry_memory(key.len(), self.table.entry(at).bytes()));
    if (opts.nx && old.is_some()) || (opts.xx && old.is_none()) {
      return Ok(false);
    }
    let bytes = string_bytes(len);
    let keys = self.table.len();
    self.reserve(entry_memory(key.len(), bytes).saturating_sub(old.unwrap_or(0)), &[key])?;
    if let Some(at) = found {
      // One probe in all, unless making room evicted keys (which may have
      // moved entries): then the key is found again.
      let at = if self.table.len() == keys { at } else { self.table.find(hash, key).expect("present") };
      let expiry = (!opts.keep_ttl).then_some(at_ms);
      let old = self.table.overwrite_at(at, value, bytes, expiry);
      self.dispose_taken(old, Removal::Overwrite);
    } else {
      self.table.insert_hashed(hash, key, value, bytes, at_ms);
    }
    Ok(true)
  }

  /// GET: the string at `key`, `None` when missing. Replies borrow from
  /// the store (here and in every read command): cloning a `Bytes` would
  /// give it a shared header, an allocation per value read that nothing
  /// accounts for.
  pub fn get(&mut self, key: &str) -> LfResult<Option<&[u8]>> {
    Ok(self.read_string(key)?.and_then(Entry::string))
  }

  /// GET with an owned reply, for a caller that must let go of the store
  /// before it uses the bytes (a shared keyspace's shard lock): a copy of a
  /// packed string, or a reference to a longer one's buffer.
  pub fn get_owned(&mut self, key: &str) -> LfResult<Option<Bytes>> {
    Ok(self.read_string(key)?.map(owned))
  }

  /// MGET: the string at each key, `None` for a missing key or one holding
  /// another kind (no `WRONGTYPE`, as Redis). Each key is looked up as GET
  /// looks it up (lazy expiry, hit or miss, LRU clock).
  pub fn mget(&mut self, keys: &[&str]) -> Vec<Option<&[u8]>> {
    // One probe per key, with the memory they read warmed for all keys at
    // once, and at most one clock read for the command. The lookups keep
    // every entry where it is unless a key had expired (its removal may
    // move entries): then the survivors are found again.
    self.table.step();
    let hashes: Vec<u64> = keys.iter().map(|key| self.table.hash_key(key)).collect();
    self.table.warm(&hashes);
    let mut now = None;
    let mut expired = false;
    let found: Vec<Option<At>> = keys
      .iter()
      .zip(hashes)
      .map(|(key, hash)| {
        let (at, gone) = self.lookup_read_at(hash, key, &mut now);
        expired |= gone;
        at
      })
      .collect();
    let table = &self.table;
    keys
      .iter()
      .zip(found)
      .map(|(key, at)| {
        let entry = if expired { at.and_then(|_| table.get(key)) } else { at.map(|at| table.entry(at)) };
        entry.and_then(Entry::string)
      })
      .collect()
  }

  /// MGET with owned replies (see [`Self::get_owned`]).
  pub fn mget_owned(&mut self, keys: &[&str]) -> Vec<Option<Bytes>> {
    let mut now = None;
    keys
      .iter()
      .map(|key| {
        let hash = self.table.hash_key(key);
        self.lookup_read_hashed(hash, key, &mut now).filter(|e| e.kind() == Kind::String).map(owned)
      })
      .collect()
  }

  /// MSET: stores every pair as SET without options would (replacing any
  /// value, clearing any TTL), all or nothing: the memory the whole batch
  /// adds is reserved first, so an `OOM` leaves every key as it was. A key
  /// named twice ends with its last value, as Redis applies the pairs in
  /// order.
  pub fn mset(&mut self, pairs: Vec<(&str, Bytes)>) -> LfResult<()> {
    self.mset_incoming(
      pairs.into_iter().map(|(key, value)| (key, Incoming::Value(Value::String(value)))).collect(),
    )
  }

  /// [`Self::mset`] of values that may still be in the caller's buffers (as
  /// [`Self::set_slice`]): a value short enough to pack is copied into its
  /// entry and never allocated on its own. Every value is a string.
  ///
  /// Each key is hashed once, for the table and for finding the pairs that
  /// name it again, and looked up twice: once to weigh what it holds, once
  /// to write it (making room may have moved entries in between; the second
  /// probe finds its memory in the cache).
  pub fn mset_incoming(&mut self, pairs: Vec<(&str, Incoming<'_>)>) -> LfResult<()> {
    self.table.step();
    let now = self.now_ms();
    let hashes: Vec<u64> = pairs.iter().map(|(key, _)| self.table.hash_key(key)).collect();
    self.table.warm(&hashes);
    let mut last: HashMap<Named<'_>, usize, BuildHasherDefault<Prehashed>> =
      HashMap::with_capacity_and_hasher(pairs.len(), BuildHasherDefault::default());
    for (i, ((key, _), &hash)) in pairs.iter().zip(&hashes).enumerate() {
      last.insert(Named { hash, key }, i);
    }
    let (mut before, mut after) = (0usize, 0usize);
    let mut kept = vec![false; pairs.len()];
    for (named, &i) in &last {
      kept[i] = true;
      if let Some(at) = self.lookup_write_at(named.hash, named.key, &mut Some(now)) {
        before += entry_memory(named.key.len(), self.table.entry(at).bytes());
      }
      after += entry_memory(named.key.len(), string_bytes(string_len(&pairs[i].1)));
    }
    let protect: Vec<&str> = last.keys().map(|named| named.key).collect();
    self.reserve(after.saturating_sub(before), &protect)?;
    for (((key, value), hash), kept) in pairs.into_iter().zip(hashes).zip(kept) {
      if !kept {
        continue;
      }
      let bytes = string_bytes(string_len(&value));
      match self.table.find(hash, key) {
        Some(at) => {
          let old = self.table.overwrite_at(at, value, bytes, Some(0));
          self.dispose_taken(old, Removal::Overwrite);
        }
        None => self.table.insert_hashed(hash, key, value, bytes, 0),
      }
    }
    Ok(())
  }

  /// STRLEN: the string's length in bytes, 0 when missing.
  pub fn strlen(&mut self, key: &str) -> LfResult<usize> {
    Ok(self.read_string(key)?.and_then(Entry::string).map_or(0, <[u8]>::len))
  }

  /// INCRBY: adds `n` to the integer at `key` (0 when missing) and returns
  /// the result. The TTL is kept.
  pub fn incrby(&mut self, key: &str, n: i64) -> LfResult<i64> {
    self.incrby_checked(key, n, |_| Ok(()))
  }

  /// INCRBY whose result must also pass `accept` (a caller that can only
  /// reply some integers exactly refuses the others): an error from it
  /// changes nothing.
  pub fn incrby_checked(
    &mut self,
    key: &str,
    n: i64,
    accept: impl FnOnce(i64) -> LfResult<()>,
  ) -> LfResult<i64> {
    let now = self.now_ms();
    let current = match self.write_string(key, now)?.and_then(Entry::string) {
      Some(b) => Some((parse_i64(b).ok_or_else(not_an_integer)?, b.len())),
      None => None,
    };
    let result = current.map_or(0, |(v, _)| v).checked_add(n).ok_or_else(overflow)?;
    accept(result)?;
    let text = Bytes::from(result.to_string());
    match current {
      // An integer's text is short: freeing it inline is what Redis does.
      Some((_, old_len)) => self.rewrite_string(key, old_len, text)?,
      None => {
        let bytes = string_bytes(text.len());
        self.reserve(entry_memory(key.len(), bytes), &[key])?;
        self.insert_new(key, Value::String(text), bytes, 0);
      }
    }
    Ok(result)
  }

  /// Replaces the string of `old_len` bytes at the present key `key` with
  /// `text`, after reserving what it costs beyond the old one, and marks the
  /// key as just used; the old string is short (packed, or an integer's
  /// text) and freed here, inline.
  fn rewrite_string(&mut self, key: &str, old_len: usize, text: Bytes) -> LfResult<()> {
    let bytes = string_bytes(text.len());
    let before = entry_memory(key.len(), string_bytes(old_len));
    self.reserve(entry_memory(key.len(), bytes).saturating_sub(before), &[key])?;
    drop(self.table.replace(key, Value::String(text), bytes).expect("present"));
    self.table.touch(key);
    Ok(())
  }

  /// APPEND: appends to the string at `key` (creating it) and returns the
  /// new length. `ERR string exceeds maximum allowed size` when the result
  /// would be longer than [`MAX_STRING_BYTES`], as in Redis.
  pub fn append(&mut self, key: &str, tail: &[u8]) -> LfResult<usize> {
    let now = self.now_ms();
    let (old_len, spilled) = match self.write_string(key, now)? {
      Some(e) => (e.string().map(<[u8]>::len), e.value().is_some()),
      None => (None, false),
    };
    let new_len = old_len.unwrap_or(0) + tail.len();
    if new_len > MAX_STRING_BYTES {
      return Err(string_too_long());
    }
    match old_len {
      Some(len) if !spilled => {
        // A packed string: the result is written anew, packed or not.
        let mut text = Vec::with_capacity(new_len);
        text.extend_from_slice(self.table.get(key).and_then(Entry::string).expect("present"));
        text.extend_from_slice(tail);
        self.rewrite_string(key, len, Bytes::from(text))?;
      }
      Some(_) => {
        // A spilled string only grows here, so it stays spilled.
        self.reserve(tail.len(), &[key])?;
        self.update(key, |v| {
          let Value::String(b) = v else { unreachable!("checked kind") };
          // In place when nobody else holds the buffer; amortised growth.
          let mut buf = std::mem::take(b).try_into_mut().unwrap_or_else(|shared| BytesMut::from(&shared[..]));
          buf.extend_from_slice(tail);
          *b = buf.freeze();
          ((), tail.len() as isize)
        });
      }
      None => {
        let bytes = string_bytes(tail.len());
        self.reserve(entry_memory(key.len(), bytes), &[key])?;
        self.insert_new(key, Value::String(Bytes::copy_from_slice(tail)), bytes, 0);
      }
    }
    Ok(new_len)
  }
}

/// The length of a string going into the table (MSET's values are strings).
fn string_len(value: &Incoming<'_>) -> usize {
  value.string().expect("an MSET value is a string").len()
}

/// A key of an MSET batch with the hash the table files it under, so
/// finding the pairs that name one key again hashes nothing twice.
#[derive(PartialEq, Eq)]
struct Named<'k> {
  hash: u64,
  key: &'k str,
}

impl std::hash::Hash for Named<'_> {
  fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
    state.write_u64(self.hash);
  }
}

/// Hands on the hash a [`Named`] carries (already keyed SipHash) as it is.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
  fn finish(&self) -> u64 {
    self.0
  }

  fn write(&mut self, _: &[u8]) {
    unreachable!("a Named writes its hash only");
  }

  fn write_u64(&mut self, hash: u64) {
    self.0 = hash;
  }
}
