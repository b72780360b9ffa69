//! Sorted sets: members ordered by score, with lookup by member.
//!
//! Redis orders a sorted set by score, then by member bytes, and answers
//! `ZSCORE` in constant time. We keep the same two views: an ordered set of
//! `(score, member)` pairs for ranges, and a hash map from member to score.
//! Members are [`Bytes`], so both views share one allocation per member.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;

/// A score: any `f64` but NaN. `-0.0` and `0.0` compare equal, as in Redis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score(f64);

impl Score {
  /// `None` for NaN, which a sorted set cannot order.
  pub fn new(value: f64) -> Option<Score> {
    if value.is_nan() {
      None
    } else {
      Some(Score(if value == 0.0 { 0.0 } else { value }))
    }
  }

  pub fn get(self) -> f64 {
    self.0
  }
}

impl Eq for Score {}

impl PartialOrd for Score {
  fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
    Some(self.cmp(other))
  }
}

impl Ord for Score {
  fn cmp(&self, other: &Self) -> Ordering {
    // NaN is refused by `Score::new`, so `partial_cmp` always answers.
    self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
  }
}

/// A Redis sorted set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SortedSet {
  by_member: HashMap<Bytes, Score>,
  ordered: BTreeSet<(Score, Bytes)>,
}

impl SortedSet {
  pub fn len(&self) -> usize {
    self.by_member.len()
  }

  pub fn is_empty(&self) -> bool {
    self.by_member.is_empty()
  }

  /// Sets `member`'s score. Returns `true` when the member is new.
  pub fn insert(&mut self, member: Bytes, score: Score) -> bool {
    match self.by_member.insert(member.clone(), score) {
      Some(old) => {
        if old != score {
          self.ordered.remove(&(old, member.clone()));
          self.ordered.insert((score, member));
        }
        false
      }
      None => {
        self.ordered.insert((score, member));
        true
      }
    }
  }

  /// Removes `member`. Returns `true` when it was there.
  pub fn remove(&mut self, member: &[u8]) -> bool {
    match self.by_member.remove_entry(member) {
      Some((member, score)) => {
        self.ordered.remove(&(score, member));
        true
      }
      None => false,
    }
  }

  pub fn score(&self, member: &[u8]) -> Option<f64> {
    self.by_member.get(member).map(|s| s.get())
  }

  /// Members with their scores in Redis order: score, then member bytes.
  pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + ExactSizeIterator {
    self.ordered.iter().map(|(score, member)| (member, score.get()))
  }

  /// Sum of member lengths, for memory estimates.
  pub fn member_bytes(&self) -> usize {
    self.by_member.keys().map(Bytes::len).sum()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn zset(pairs: &[(&str, f64)]) -> SortedSet {
    let mut z = SortedSet::default();
    for (m, s) in pairs {
      z.insert(Bytes::copy_from_slice(m.as_bytes()), Score::new(*s).unwrap());
    }
    z
  }

  #[test]
  fn orders_by_score_then_member_bytes() {
    let z = zset(&[("b", 1.0), ("a", 1.0), ("c", -f64::INFINITY), ("d", 0.5)]);
    let order: Vec<&[u8]> = z.iter().map(|(m, _)| m.as_ref()).collect();
    assert_eq!(order, [b"c".as_ref(), b"d", b"a", b"b"]);
  }

  #[test]
  fn a_repeated_member_keeps_its_last_score() {
    let mut z = zset(&[("a", 1.0), ("b", 2.0)]);
    assert!(!z.insert(Bytes::from_static(b"a"), Score::new(3.0).unwrap()));
    assert_eq!(z.len(), 2);
    assert_eq!(z.score(b"a"), Some(3.0));
    let order: Vec<&[u8]> = z.iter().map(|(m, _)| m.as_ref()).collect();
    assert_eq!(order, [b"b".as_ref(), b"a"]);
  }

  #[test]
  fn remove_drops_both_views() {
    let mut z = zset(&[("a", 1.0), ("b", 2.0)]);
    assert!(z.remove(b"a"));
    assert!(!z.remove(b"a"));
    assert_eq!(z.iter().count(), 1);
    assert_eq!(z.score(b"a"), None);
  }

  #[test]
  fn nan_is_not_a_score_and_negative_zero_is_zero() {
    assert!(Score::new(f64::NAN).is_none());
    assert_eq!(Score::new(-0.0), Score::new(0.0));
    assert_eq!(Score::new(-0.0).unwrap().get().to_bits(), 0.0f64.to_bits());
  }
}
