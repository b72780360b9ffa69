//! Memory estimates, and what counts as a large value.
//!
//! The dropper reports the bytes it has been handed and freed, and the
//! keyspace checks `maxMemory` against the bytes it holds, so both need a
//! cheap, stable estimate of what a value costs. These are estimates for a
//! 64-bit target, from the sizes of the structures involved (a `Bytes` handle
//! is 32 bytes; hash tables and tree nodes add their own overhead per
//! element), not measurements; they are computed once when a value is built
//! and kept beside it, so the hot paths never walk a value to price it.
//!
//! | kind   | estimate                              |
//! |--------|---------------------------------------|
//! | string | 16 + len                              |
//! | list   | 24 + Σ (len + 32)                     |
//! | hash   | 48 + Σ (field + value + 64)           |
//! | set    | 48 + Σ (member + 40)                  |
//! | zset   | 80 + 104·n + Σ member bytes           |
//!
//! Redis frees an object inline unless freeing it costs more than handing it
//! over (`LAZYFREE_THRESHOLD`, 64 elements); the same rule decides here. A
//! string is one buffer, one `free`, so it is never large, whatever its length.

use crate::value::Value;

/// Longest string (or binary scalar) lazyfree stores, in bytes: Redis's
/// `proto-max-bulk-len` default, 512 MiB. Every path that copies a scalar
/// into native memory refuses a longer one with a `RangeError`, and every
/// command that grows a string (`append`) refuses to grow it past this.
pub const MAX_STRING_BYTES: usize = 512 * 1024 * 1024;

/// A collection is large when it holds more than this many elements.
pub const DEFAULT_THRESHOLD: u64 = 64;

pub const STRING_BASE: usize = 16;
pub const LIST_BASE: usize = 24;
pub const LIST_PER_ITEM: usize = 32;
pub const HASH_BASE: usize = 48;
pub const HASH_PER_FIELD: usize = 64;
pub const SET_BASE: usize = 48;
pub const SET_PER_MEMBER: usize = 40;
pub const ZSET_BASE: usize = 80;
pub const ZSET_PER_MEMBER: usize = 104;

/// Estimated native bytes held by `value` (the table above).
pub fn estimate(value: &Value) -> usize {
  match value {
    Value::String(b) => STRING_BASE + b.len(),
    Value::List(items) => LIST_BASE + items.iter().map(|b| b.len() + LIST_PER_ITEM).sum::<usize>(),
    Value::Hash(map) => {
      HASH_BASE + map.iter().map(|(k, v)| k.len() + v.len() + HASH_PER_FIELD).sum::<usize>()
    }
    Value::Set(set) => SET_BASE + set.iter().map(|m| m.len() + SET_PER_MEMBER).sum::<usize>(),
    Value::SortedSet(z) => ZSET_BASE + ZSET_PER_MEMBER * z.len() + z.member_bytes(),
  }
}

/// Whether freeing `value` is worth a trip to the drop thread: strings never
/// are; collections are when they hold more than `threshold` elements.
pub fn is_large_value(value: &Value, threshold: u64) -> bool {
  match value {
    Value::String(_) => false,
    other => other.len() as u64 > threshold,
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::value::Bytes;
  use crate::zset::{Score, SortedSet};
  use std::collections::{HashMap, HashSet, VecDeque};

  fn items(n: usize) -> Vec<Bytes> {
    (0..n).map(|i| Bytes::from(format!("m{i:03}"))).collect()
  }

  #[test]
  fn estimates_follow_the_documented_formulas() {
    assert_eq!(estimate(&Value::String(Bytes::from("abcd"))), 16 + 4);
    let list = Value::List(items(3).into_iter().collect::<VecDeque<_>>());
    assert_eq!(estimate(&list), 24 + 3 * (4 + 32));
    let hash = Value::Hash(items(2).into_iter().map(|b| (b.clone(), b)).collect::<HashMap<_, _>>());
    assert_eq!(estimate(&hash), 48 + 2 * (4 + 4 + 64));
    let set = Value::Set(items(5).into_iter().collect::<HashSet<_>>());
    assert_eq!(estimate(&set), 48 + 5 * (4 + 40));
    let mut z = SortedSet::default();
    for (i, m) in items(4).into_iter().enumerate() {
      z.insert(m, Score::new(i as f64).unwrap());
    }
    assert_eq!(estimate(&Value::SortedSet(z)), 80 + 104 * 4 + 4 * 4);
  }

  #[test]
  fn strings_are_never_large() {
    let huge = Value::String(Bytes::from(vec![0u8; 10 << 20]));
    assert!(!is_large_value(&huge, 0));
  }

  #[test]
  fn collections_are_large_above_the_threshold() {
    let at = Value::List(items(64).into_iter().collect());
    let above = Value::List(items(65).into_iter().collect());
    assert!(!is_large_value(&at, DEFAULT_THRESHOLD));
    assert!(is_large_value(&above, DEFAULT_THRESHOLD));
    let set = Value::Set(items(65).into_iter().collect());
    assert!(is_large_value(&set, DEFAULT_THRESHOLD));
    assert!(!is_large_value(&set, 65));
  }
}
