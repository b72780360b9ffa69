//! Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SCARD.
//!
//! A set is a `HashSet` of byte members; a member repeated within one SADD
//! counts once.

use std::collections::HashSet;

use bytes::Bytes;

use crate::error::LfResult;
use crate::memory::{SET_BASE, SET_PER_MEMBER};
use crate::value::{Kind, Value};

use super::errors::wrong_arity;
use super::table::entry_memory;
use super::Keyspace;

fn set_mut(v: &mut Value) -> &mut HashSet<Bytes> {
  match v {
    Value::Set(s) => s,
    _ => unreachable!("checked kind"),
  }
}

impl Keyspace {
  /// SADD: adds members. Returns how many were new.
  pub fn sadd(&mut self, key: &str, members: Vec<Bytes>) -> LfResult<usize> {
    if members.is_empty() {
      return Err(wrong_arity("sadd"));
    }
    let now = self.now_ms();
    let existing = match self.write_as(key, Kind::Set, now)? {
      Some(Value::Set(s)) => Some(s),
      _ => None,
    };
    let fresh: HashSet<&Bytes> =
      members.iter().filter(|m| existing.is_none_or(|s| !s.contains(*m))).collect();
    let added: usize = fresh.iter().map(|m| m.len() + SET_PER_MEMBER).sum();
    let count = fresh.len();
    if existing.is_some() {
      self.reserve(added, &[key])?;
      self.update(key, |v| {
        set_mut(v).extend(members);
        (count, added as isize)
      });
    } else {
      let bytes = SET_BASE + added;
      self.reserve(entry_memory(key.len(), bytes), &[key])?;
      self.insert_new(key, Value::Set(members.into_iter().collect()), bytes, 0);
    }
    Ok(count)
  }

  /// SREM: removes members; the key goes when the set is empty. Returns how
  /// many were there.
  pub fn srem(&mut self, key: &str, members: &[&[u8]]) -> LfResult<usize> {
    if members.is_empty() {
      return Err(wrong_arity("srem"));
    }
    let now = self.now_ms();
    if self.write_as(key, Kind::Set, now)?.is_none() {
      return Ok(0);
    }
    Ok(self.update(key, |v| {
      let set = set_mut(v);
      let (mut removed, mut delta) = (0, 0isize);
      for m in members {
        if set.remove(*m) {
          removed += 1;
          delta -= (m.len() + SET_PER_MEMBER) as isize;
        }
      }
      (removed, delta)
    }))
  }

  /// SMEMBERS: every member, in no particular order.
  pub fn smembers(&mut self, key: &str) -> LfResult<Vec<&Bytes>> {
    match self.read_as(key, Kind::Set)? {
      Some(Value::Set(s)) => Ok(s.iter().collect()),
      _ => Ok(Vec::new()),
    }
  }

  /// SISMEMBER: whether `member` is in the set.
  pub fn sismember(&mut self, key: &str, member: &[u8]) -> LfResult<bool> {
    match self.read_as(key, Kind::Set)? {
      Some(Value::Set(s)) => Ok(s.contains(member)),
      _ => Ok(false),
    }
  }

  /// SCARD: the number of members.
  pub fn scard(&mut self, key: &str) -> LfResult<usize> {
    Ok(self.read_as(key, Kind::Set)?.map_or(0, Value::len))
  }
}
