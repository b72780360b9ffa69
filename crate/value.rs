//! The native value model.
//!
//! A value held by lazyfree is one of five kinds, the same five Redis and
//! ember use: a string (one byte buffer), a list, a hash, a set and a sorted
//! set. Every element is a [`Bytes`] buffer owned by native memory: JavaScript
//! values cannot cross threads, so whatever enters is copied into bytes first
//! (see `convert`), and only then stored or handed to the drop thread.

use std::collections::{HashMap, HashSet, VecDeque};

pub use bytes::Bytes;

use crate::zset::SortedSet;

/// The kind of a value, named as `TYPE` names it in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
  String,
  List,
  Hash,
  Set,
  SortedSet,
}

impl Kind {
  /// The public name: `'string' | 'list' | 'hash' | 'set' | 'zset'`.
  pub fn name(self) -> &'static str {
    match self {
      Kind::String => "string",
      Kind::List => "list",
      Kind::Hash => "hash",
      Kind::Set => "set",
      Kind::SortedSet => "zset",
    }
  }
}

/// An owned native value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
  String(Bytes),
  List(VecDeque<Bytes>),
  Hash(HashMap<Bytes, Bytes>),
  Set(HashSet<Bytes>),
  SortedSet(SortedSet),
}

impl Value {
  pub fn kind(&self) -> Kind {
    match self {
      Value::String(_) => Kind::String,
      Value::List(_) => Kind::List,
      Value::Hash(_) => Kind::Hash,
      Value::Set(_) => Kind::Set,
      Value::SortedSet(_) => Kind::SortedSet,
    }
  }

  /// Element count; for a string, its length in bytes.
  pub fn len(&self) -> usize {
    match self {
      Value::String(b) => b.len(),
      Value::List(l) => l.len(),
      Value::Hash(h) => h.len(),
      Value::Set(s) => s.len(),
      Value::SortedSet(z) => z.len(),
    }
  }

  pub fn is_empty(&self) -> bool {
    self.len() == 0
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn kinds_are_named_as_redis_type_names_them() {
    let names: Vec<&str> = [
      Value::String(Bytes::from_static(b"x")),
      Value::List(VecDeque::new()),
      Value::Hash(HashMap::new()),
      Value::Set(HashSet::new()),
      Value::SortedSet(SortedSet::default()),
    ]
    .iter()
    .map(|v| v.kind().name())
    .collect();
    assert_eq!(names, ["string", "list", "hash", "set", "zset"]);
  }

  #[test]
  fn length_is_bytes_for_strings_and_elements_otherwise() {
    assert_eq!(Value::String(Bytes::from("héllo")).len(), 6);
    let list: VecDeque<Bytes> = ["a", "bb", "ccc"].into_iter().map(Bytes::from).collect();
    assert_eq!(Value::List(list).len(), 3);
  }
}
