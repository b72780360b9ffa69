//! Sorted set commands: ZADD, ZREM, ZSCORE, ZRANGE (by rank, with scores),
//! ZCARD, ZINCRBY.
//!
//! Members are ordered by score, then by member bytes (`zset::SortedSet`).
//! A score is any double but NaN: a NaN argument is `ERR value is not a
//! valid float`, and an increment whose result is NaN (`inf + -inf`) is
//! refused as Redis refuses it. ZRANGE walks the ordered view from whichever
//! end is nearer the requested ranks.

use bytes::Bytes;

use crate::error::LfResult;
use crate::memory::{ZSET_BASE, ZSET_PER_MEMBER};
use crate::value::{Kind, Value};
use crate::zset::{Score, SortedSet};

use super::errors::{nan_score, not_a_float, wrong_arity};
use super::lists::rank_range;
use super::table::entry_memory;
use super::Keyspace;

fn zset_mut(v: &mut Value) -> &mut SortedSet {
  match v {
    Value::SortedSet(z) => z,
    _ => unreachable!("checked kind"),
  }
}

fn member_cost(member: &[u8]) -> usize {
  ZSET_PER_MEMBER + member.len()
}

impl Keyspace {
  /// ZADD: sets members' scores. Returns how many members were new.
  pub fn zadd(&mut self, key: &str, pairs: Vec<(f64, Bytes)>) -> LfResult<usize> {
    if pairs.is_empty() {
      return Err(wrong_arity("zadd"));
    }
    let scored: Vec<(Score, Bytes)> = pairs
      .into_iter()
      .map(|(s, m)| Score::new(s).map(|s| (s, m)).ok_or_else(not_a_float))
      .collect::<LfResult<_>>()?;
    let now = self.now_ms();
    let existing = match self.write_as(key, Kind::SortedSet, now)? {
      Some(Value::SortedSet(z)) => Some(z),
      _ => None,
    };
    let fresh: std::collections::HashSet<&Bytes> =
      scored.iter().map(|(_, m)| m).filter(|m| existing.is_none_or(|z| z.score(m).is_none())).collect();
    let added: usize = fresh.iter().map(|m| member_cost(m)).sum();
    let count = fresh.len();
    let apply = |z: &mut SortedSet| {
      for (score, member) in scored {
        z.insert(member, score);
      }
    };
    if existing.is_some() {
      self.reserve(added, &[key])?;
      self.update(key, |v| {
        apply(zset_mut(v));
        ((), added as isize)
      });
    } else {
      let bytes = ZSET_BASE + added;
      self.reserve(entry_memory(key.len(), bytes), &[key])?;
      let mut z = SortedSet::default();
      apply(&mut z);
      self.insert_new(key, Value::SortedSet(z), bytes, 0);
    }
    Ok(count)
  }

  /// ZREM: removes members; the key goes when the set is empty. Returns how
  /// many were there.
  pub fn zrem(&mut self, key: &str, members: &[&[u8]]) -> LfResult<usize> {
    if members.is_empty() {
      return Err(wrong_arity("zrem"));
    }
    let now = self.now_ms();
    if self.write_as(key, Kind::SortedSet, now)?.is_none() {
      return Ok(0);
    }
    Ok(self.update(key, |v| {
      let z = zset_mut(v);
      let (mut removed, mut delta) = (0, 0isize);
      for m in members {
        if z.remove(m) {
          removed += 1;
          delta -= member_cost(m) as isize;
        }
      }
      (removed, delta)
    }))
  }

  /// ZSCORE: a member's score.
  pub fn zscore(&mut self, key: &str, member: &[u8]) -> LfResult<Option<f64>> {
    match self.read_as(key, Kind::SortedSet)? {
      Some(Value::SortedSet(z)) => Ok(z.score(member)),
      _ => Ok(None),
    }
  }

  /// ZRANGE by rank: members `start..=stop` (Redis indexes) with their
  /// scores, lowest score first.
  pub fn zrange(&mut self, key: &str, start: i64, stop: i64) -> LfResult<Vec<(&Bytes, f64)>> {
    let Some(Value::SortedSet(z)) = self.read_as(key, Kind::SortedSet)? else {
      return Ok(Vec::new());
    };
    let len = z.len();
    let Some((a, b)) = rank_range(start, stop, len) else {
      return Ok(Vec::new());
    };
    let take = b - a + 1;
    Ok(if a <= len - 1 - b {
      z.iter().skip(a).take(take).collect()
    } else {
      let mut out: Vec<_> = z.iter().rev().skip(len - 1 - b).take(take).collect();
      out.reverse();
      out
    })
  }

  /// ZCARD: the number of members.
  pub fn zcard(&mut self, key: &str) -> LfResult<usize> {
    Ok(self.read_as(key, Kind::SortedSet)?.map_or(0, Value::len))
  }

  /// ZINCRBY: adds `increment` to a member's score (0 when absent) and
  /// returns the new score.
  pub fn zincrby(&mut self, key: &str, increment: f64, member: Bytes) -> LfResult<f64> {
    if increment.is_nan() {
      return Err(not_a_float());
    }
    let now = self.now_ms();
    let existing = match self.write_as(key, Kind::SortedSet, now)? {
      Some(Value::SortedSet(z)) => Some(z),
      _ => None,
    };
    let old = existing.and_then(|z| z.score(&member));
    let score = Score::new(old.unwrap_or(0.0) + increment).ok_or_else(nan_score)?;
    let added = if old.is_some() { 0 } else { member_cost(&member) };
    if existing.is_some() {
      self.reserve(added, &[key])?;
      self.update(key, |v| {
        zset_mut(v).insert(member, score);
        ((), added as isize)
      });
    } else {
      let bytes = ZSET_BASE + added;
      self.reserve(entry_memory(key.len(), bytes), &[key])?;
      let mut z = SortedSet::default();
      z.insert(member, score);
      self.insert_new(key, Value::SortedSet(z), bytes, 0);
    }
    Ok(score.get())
  }
}
