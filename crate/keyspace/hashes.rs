//! Hash commands: HSET, HGET, HDEL, HGETALL, HLEN, HEXISTS.
//!
//! A hash is a `HashMap` of byte fields to byte values. HSET takes several
//! field/value pairs at once; a field repeated within one call ends with its
//! last value and counts once, as in Redis.

use std::collections::HashMap;

use bytes::Bytes;

use crate::error::LfResult;
use crate::memory::{HASH_BASE, HASH_PER_FIELD};
use crate::value::{Kind, Value};

use super::errors::wrong_arity;
use super::table::entry_memory;
use super::Keyspace;

fn hash_mut(v: &mut Value) -> &mut HashMap<Bytes, Bytes> {
  match v {
    Value::Hash(h) => h,
    _ => unreachable!("checked kind"),
  }
}

/// What storing `field = value` into `hash` adds to its estimate, and
/// whether the field is new.
fn cost(hash: Option<&HashMap<Bytes, Bytes>>, field: &Bytes, value: &Bytes) -> (isize, bool) {
  match hash.and_then(|h| h.get(field)) {
    Some(old) => (value.len() as isize - old.len() as isize, false),
    None => ((field.len() + value.len() + HASH_PER_FIELD) as isize, true),
  }
}

impl Keyspace {
  /// HSET: sets fields. Returns how many were new.
  pub fn hset(&mut self, key: &str, pairs: Vec<(Bytes, Bytes)>) -> LfResult<usize> {
    if pairs.is_empty() {
      return Err(wrong_arity("hset"));
    }
    let now = self.now_ms();
    let existing = match self.write_as(key, Kind::Hash, now)? {
      Some(Value::Hash(h)) => Some(h),
      _ => None,
    };
    // The final state of each field this call touches: its last value.
    let last: HashMap<&Bytes, &Bytes> = pairs.iter().map(|(f, v)| (f, v)).collect();
    let delta: isize = last.iter().map(|(f, v)| cost(existing, f, v).0).sum();
    let exists = existing.is_some();
    let apply = |hash: &mut HashMap<Bytes, Bytes>| {
      let (mut added, mut delta) = (0, 0isize);
      for (field, value) in pairs {
        let (d, new) = cost(Some(hash), &field, &value);
        delta += d;
        added += usize::from(new);
        hash.insert(field, value);
      }
      (added, delta)
    };
    if exists {
      self.reserve(delta.max(0) as usize, &[key])?;
      Ok(self.update(key, |v| {
        let (added, actual) = apply(hash_mut(v));
        debug_assert_eq!(actual, delta);
        (added, actual)
      }))
    } else {
      let bytes = HASH_BASE + delta as usize;
      self.reserve(entry_memory(key.len(), bytes), &[key])?;
      let mut hash = HashMap::new();
      let (added, _) = apply(&mut hash);
      self.insert_new(key, Value::Hash(hash), bytes, 0);
      Ok(added)
    }
  }

  /// HGET: one field's value.
  pub fn hget(&mut self, key: &str, field: &[u8]) -> LfResult<Option<&Bytes>> {
    match self.read_as(key, Kind::Hash)? {
      Some(Value::Hash(h)) => Ok(h.get(field)),
      _ => Ok(None),
    }
  }

  /// HDEL: removes fields; the key goes when the hash is empty. Returns how
  /// many were there.
  pub fn hdel(&mut self, key: &str, fields: &[&[u8]]) -> LfResult<usize> {
    if fields.is_empty() {
      return Err(wrong_arity("hdel"));
    }
    let now = self.now_ms();
    if self.write_as(key, Kind::Hash, now)?.is_none() {
      return Ok(0);
    }
    Ok(self.update(key, |v| {
      let hash = hash_mut(v);
      let (mut removed, mut delta) = (0, 0isize);
      for field in fields {
        if let Some((f, v)) = hash.remove_entry(*field) {
          removed += 1;
          delta -= (f.len() + v.len() + HASH_PER_FIELD) as isize;
        }
      }
      (removed, delta)
    }))
  }

  /// HGETALL: every field and value, in no particular order.
  pub fn hgetall(&mut self, key: &str) -> LfResult<Vec<(&Bytes, &Bytes)>> {
    match self.read_as(key, Kind::Hash)? {
      Some(Value::Hash(h)) => Ok(h.iter().collect()),
      _ => Ok(Vec::new()),
    }
  }

  /// HLEN: the number of fields.
  pub fn hlen(&mut self, key: &str) -> LfResult<usize> {
    Ok(self.read_as(key, Kind::Hash)?.map_or(0, Value::len))
  }

  /// HEXISTS: whether the field is there.
  pub fn hexists(&mut self, key: &str, field: &[u8]) -> LfResult<bool> {
    match self.read_as(key, Kind::Hash)? {
      Some(Value::Hash(h)) => Ok(h.contains_key(field)),
      _ => Ok(false),
    }
  }
}
