//! List commands: LPUSH, RPUSH, LPOP, RPOP, LRANGE, LLEN, LINDEX.
//!
//! A list is a `VecDeque` of byte buffers: O(1) at both ends, O(1) by index.
//! Indexes follow Redis: negative ones count from the end, and ranges are
//! clamped rather than refused. The rank-range rule is shared with ZRANGE.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::error::LfResult;
use crate::memory::{LIST_BASE, LIST_PER_ITEM};
use crate::value::{Kind, Value};

use super::errors::wrong_arity;
use super::table::entry_memory;
use super::Keyspace;

/// Redis's range rule (LRANGE, ZRANGE): negative indexes count from the
/// end, the start is clamped to 0 and the stop to the last element; `None`
/// when the range is empty.
pub(super) fn rank_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
  let len = len as i64;
  let start = if start < 0 { (len + start).max(0) } else { start };
  let stop = if stop < 0 { len + stop } else { stop };
  if start > stop || start >= len {
    return None;
  }
  Some((start as usize, stop.min(len - 1) as usize))
}

fn list_mut(v: &mut Value) -> &mut VecDeque<Bytes> {
  match v {
    Value::List(l) => l,
    _ => unreachable!("checked kind"),
  }
}

impl Keyspace {
  /// LPUSH: pushes `values` at the head, one after the other (so the last
  /// ends up first). Returns the new length.
  pub fn lpush(&mut self, key: &str, values: Vec<Bytes>) -> LfResult<usize> {
    self.push(key, values, true)
  }

  /// RPUSH: pushes `values` at the tail. Returns the new length.
  pub fn rpush(&mut self, key: &str, values: Vec<Bytes>) -> LfResult<usize> {
    self.push(key, values, false)
  }

  fn push(&mut self, key: &str, values: Vec<Bytes>, head: bool) -> LfResult<usize> {
    if values.is_empty() {
      return Err(wrong_arity(if head { "lpush" } else { "rpush" }));
    }
    let now = self.now_ms();
    let exists = self.write_as(key, Kind::List, now)?.is_some();
    let added: usize = values.iter().map(|v| v.len() + LIST_PER_ITEM).sum();
    let put = move |list: &mut VecDeque<Bytes>| {
      for v in values {
        if head {
          list.push_front(v);
        } else {
          list.push_back(v);
        }
      }
      list.len()
    };
    if exists {
      self.reserve(added, &[key])?;
      Ok(self.update(key, |v| (put(list_mut(v)), added as isize)))
    } else {
      let bytes = LIST_BASE + added;
      self.reserve(entry_memory(key.len(), bytes), &[key])?;
      let mut list = VecDeque::new();
      let len = put(&mut list);
      self.insert_new(key, Value::List(list), bytes, 0);
      Ok(len)
    }
  }

  /// LPOP: removes and returns the first element.
  pub fn lpop(&mut self, key: &str) -> LfResult<Option<Bytes>> {
    self.pop(key, true)
  }

  /// RPOP: removes and returns the last element.
  pub fn rpop(&mut self, key: &str) -> LfResult<Option<Bytes>> {
    self.pop(key, false)
  }

  fn pop(&mut self, key: &str, head: bool) -> LfResult<Option<Bytes>> {
    let now = self.now_ms();
    if self.write_as(key, Kind::List, now)?.is_none() {
      return Ok(None);
    }
    Ok(self.update(key, |v| {
      let list = list_mut(v);
      let item = if head { list.pop_front() } else { list.pop_back() };
      let delta = item.as_ref().map_or(0, |b| -((b.len() + LIST_PER_ITEM) as isize));
      (item, delta)
    }))
  }

  /// LRANGE: elements `start..=stop` (Redis indexes).
  pub fn lrange(&mut self, key: &str, start: i64, stop: i64) -> LfResult<Vec<&Bytes>> {
    let Some(Value::List(list)) = self.read_as(key, Kind::List)? else {
      return Ok(Vec::new());
    };
    Ok(match rank_range(start, stop, list.len()) {
      Some((a, b)) => list.range(a..=b).collect(),
      None => Vec::new(),
    })
  }

  /// LLEN: the length, 0 when missing.
  pub fn llen(&mut self, key: &str) -> LfResult<usize> {
    Ok(self.read_as(key, Kind::List)?.map_or(0, Value::len))
  }

  /// LINDEX: the element at `index` (negative from the end).
  pub fn lindex(&mut self, key: &str, index: i64) -> LfResult<Option<&Bytes>> {
    let Some(Value::List(list)) = self.read_as(key, Kind::List)? else {
      return Ok(None);
    };
    let i = if index < 0 { list.len() as i64 + index } else { index };
    Ok(usize::try_from(i).ok().and_then(|i| list.get(i)))
  }
}
