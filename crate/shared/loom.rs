//! Model checks of the shard lock ordering, run with loom over every
//! interleaving (up to a preemption bound) of threads running multi-shard
//! commands:
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --lib shared::loom
//! ```
//!
//! What they prove: two renames that take the same two shards in opposite
//! directions, and a multi-key `del`/`exists` racing them, never deadlock
//! (loom reports a model thread blocked forever as a deadlock), and no
//! thread ever sees a rename half done or a `del` of two keys half applied.

use bytes::Bytes;

use super::*;
use crate::keyspace::SetOptions;
use crate::sync::thread;

/// loom's model with the dropper models' default preemption bound (3;
/// `LOOM_MAX_PREEMPTIONS` overrides it).
fn model(f: impl Fn() + Sync + Send + 'static) {
  let mut builder = ::loom::model::Builder::new();
  if builder.preemption_bound.is_none() {
    builder.preemption_bound = Some(3);
  }
  builder.check(f);
}

fn spec() -> Spec {
  Spec { hz: 0, ..Spec::default() }
}

/// A key of `ks` in shard `shard`.
fn key_in(ks: &SharedKeyspace, shard: usize, prefix: &str) -> String {
  (0..1000).map(|i| format!("{prefix}{i}")).find(|k| ks.shard_of(k) == shard).unwrap()
}

fn set(ks: &SharedKeyspace, key: &str) {
  ks.with_key(key, |s| s.set(key, Bytes::from_static(b"v"), SetOptions::default())).unwrap();
}

#[test]
fn opposite_renames_never_deadlock_nor_show_half() {
  model(|| {
    let ks = Arc::new(SharedKeyspace::new("loom-rename", spec(), 2));
    // a and d in shard 0, b and c in shard 1: one rename goes 0 -> 1, the
    // other 1 -> 0, so unordered locking would deadlock.
    let (a, b) = (key_in(&ks, 0, "a"), key_in(&ks, 1, "b"));
    let (c, d) = (key_in(&ks, 1, "c"), key_in(&ks, 0, "d"));
    set(&ks, &a);
    set(&ks, &c);
    let t1 = {
      let (ks, a, b) = (Arc::clone(&ks), a.clone(), b.clone());
      thread::spawn(move || ks.rename(&a, &b).unwrap())
    };
    let t2 = {
      let (ks, c, d) = (Arc::clone(&ks), c.clone(), d.clone());
      thread::spawn(move || ks.rename(&c, &d).unwrap())
    };
    assert_eq!(ks.exists(&[&a, &b]), 1, "rename a -> b seen half done");
    assert_eq!(ks.exists(&[&c, &d]), 1, "rename c -> d seen half done");
    t1.join().unwrap();
    t2.join().unwrap();
    assert_eq!(ks.exists(&[&b, &d]), 2);
    assert_eq!(ks.del(&[&b, &d]), 2);
  });
}

#[test]
fn del_of_two_shards_is_seen_whole() {
  model(|| {
    let ks = Arc::new(SharedKeyspace::new("loom-del", spec(), 2));
    let (a, b) = (key_in(&ks, 1, "a"), key_in(&ks, 0, "b"));
    set(&ks, &a);
    set(&ks, &b);
    let t = {
      let (ks, a, b) = (Arc::clone(&ks), a.clone(), b.clone());
      // Keys named out of shard order: the locks are still taken in order.
      thread::spawn(move || assert_eq!(ks.del(&[&a, &b]), 2))
    };
    let seen = ks.exists(&[&b, &a]);
    assert!(seen == 0 || seen == 2, "del seen half applied: {seen}");
    t.join().unwrap();
    assert_eq!(ks.size(), 0);
  });
}
