//! SCAN: the cursor protocol, MATCH / TYPE / COUNT, and Redis's guarantee
//! that a key present for the whole iteration is returned at least once
//! while keys are added and removed between steps (a property test over
//! random interleavings).

use std::collections::HashSet;

use super::*;
use crate::value::Kind;

/// Every key a full walk returns, and how many steps it took.
fn walk(ks: &Keyspace, count: usize, pattern: Option<&str>, kind: Option<Kind>) -> (Vec<String>, usize) {
  let (mut cursor, mut out, mut steps) = (0, Vec::new(), 0);
  loop {
    let (next, keys) = ks.scan(cursor, count, pattern, kind);
    out.extend(keys.iter().map(|k| k.to_string()));
    steps += 1;
    if next == 0 {
      return (out, steps);
    }
    assert!(steps < 1_000_000, "the walk ends");
    cursor = next;
  }
}

fn fill(f: &mut Fixture, n: usize) {
  for i in 0..n {
    f.ks.set(&format!("key:{i}"), b("v"), SetOptions::default()).unwrap();
  }
}

#[test]
fn an_empty_keyspace_is_done_at_once() {
  let f = Fixture::new();
  assert_eq!(f.ks.scan(0, 10, None, None), (0, vec![]));
}

#[test]
fn a_full_walk_returns_every_key_once_when_nothing_changes() {
  let mut f = Fixture::new();
  fill(&mut f, 95);
  let (keys, steps) = walk(&f.ks, 10, None, None);
  // 95 keys sit in 128 slots; a step covers 10 home slots.
  assert_eq!(steps, 13, "128 slots, 10 per step");
  let unique: HashSet<_> = keys.iter().cloned().collect();
  assert_eq!(unique.len(), 95);
  assert_eq!(keys.len(), 95);
}

#[test]
fn each_step_does_about_count_work() {
  let mut f = Fixture::new();
  fill(&mut f, 100);
  // 100 keys sit in 128 slots (the table grows past a load of 4/5): a
  // step covers `count` home slots (at least one), so a walk takes
  // 128 / count steps.
  assert_eq!(walk(&f.ks, 7, None, None).1, 128_usize.div_ceil(7));
  assert_eq!(walk(&f.ks, 64, None, None).1, 2);
  // A count of 0 still makes progress.
  assert_eq!(walk(&f.ks, 0, None, None).1, 128);
}

#[test]
fn match_and_type_filter_what_is_visited() {
  let mut f = Fixture::new();
  fill(&mut f, 20);
  f.ks.rpush("list:1", bs(&["x"])).unwrap();
  f.ks.sadd("key:set", bs(&["x"])).unwrap();
  let (mut keys, _) = walk(&f.ks, 5, Some("key:1*"), None);
  keys.sort();
  let mut expected: Vec<String> =
    (0..20).map(|i| format!("key:{i}")).filter(|k| k.starts_with("key:1")).collect();
  expected.sort();
  assert_eq!(keys, expected);
  assert_eq!(walk(&f.ks, 5, None, Some(Kind::List)).0, vec!["list:1"]);
  assert_eq!(walk(&f.ks, 5, Some("key:*"), Some(Kind::Set)).0, vec!["key:set"]);
  assert_eq!(walk(&f.ks, 5, Some("*"), None).0.len(), 22);
}

#[test]
fn expired_keys_are_not_returned() {
  let mut f = Fixture::new();
  fill(&mut f, 3);
  f.ks.set("t", b("v"), SetOptions { px: Some(5), ..Default::default() }).unwrap();
  f.clock.advance(5);
  let (keys, _) = walk(&f.ks, 100, None, None);
  assert_eq!(keys.len(), 3);
  assert!(!keys.contains(&"t".to_string()));
}

#[test]
fn a_walk_goes_on_while_the_table_shrinks_under_it() {
  let mut f = Fixture::new();
  fill(&mut f, 50);
  let (mut cursor, mut seen) = f.ks.scan(0, 10, None, None);
  assert_ne!(cursor, 0);
  for i in 0..45 {
    f.ks.del(&[&format!("key:{i}")]);
  }
  // The table shrinks (incrementally) while the walk goes on.
  while cursor != 0 {
    let (next, keys) = f.ks.scan(cursor, 10, None, None);
    seen.extend(keys);
    cursor = next;
  }
  let seen: HashSet<String> = seen.iter().map(|k| k.to_string()).collect();
  for i in 45..50 {
    assert!(seen.contains(&format!("key:{i}")), "key:{i}, present throughout, was returned");
  }
  f.check();
}

/// The guarantee, tested against random interleavings: between any two
/// steps, keys are inserted and removed at random (removals of keys of both
/// the visited and the unvisited part, so `swap_remove` moves keys across
/// the cursor). Every key present from before the first step to after the
/// last must be among the keys returned.
#[test]
fn keys_present_throughout_are_returned_despite_inserts_and_removes() {
  for seed in 0..300u64 {
    let mut rng = Rng::new(seed);
    let mut f = Fixture::new();
    let mut next_id = 0usize;
    let mut live: Vec<String> = Vec::new();
    let initial = rng.below(200);
    for _ in 0..initial {
      let k = format!("k{next_id}");
      next_id += 1;
      f.ks.set(&k, b("v"), SetOptions::default()).unwrap();
      live.push(k);
    }
    let at_start: HashSet<String> = live.iter().cloned().collect();
    let mut removed: HashSet<String> = HashSet::new();
    let mut returned: HashSet<String> = HashSet::new();
    let count = 1 + rng.below(12);
    let mut cursor = 0;
    let mut steps = 0;
    loop {
      let (next, keys) = f.ks.scan(cursor, count, None, None);
      returned.extend(keys.iter().map(|k| k.to_string()));
      steps += 1;
      if next == 0 {
        break;
      }
      cursor = next;
      // Churn: a few inserts and removes, sometimes more of one than the other.
      for _ in 0..rng.below(2 * count + 1) {
        if rng.below(2) == 0 || live.is_empty() {
          let k = format!("k{next_id}");
          next_id += 1;
          f.ks.set(&k, b("v"), SetOptions::default()).unwrap();
          live.push(k);
        } else {
          let k = live.swap_remove(rng.below(live.len()));
          assert_eq!(f.ks.del(&[&k]), 1);
          removed.insert(k);
        }
      }
      assert!(steps < 100_000, "seed {seed}: the walk does not end");
    }
    f.check();
    for k in at_start.difference(&removed) {
      assert!(returned.contains(k), "seed {seed}: {k} was present throughout and never returned");
    }
  }
}
