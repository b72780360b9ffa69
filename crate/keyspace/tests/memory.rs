//! Memory accounting: what an entry costs, kept incrementally, never
//! drifting from `memory::estimate`.

use std::mem::size_of;

use super::*;
use crate::memory::*;

#[test]
fn the_entry_overhead_covers_the_structures_it_stands_for() {
  let entry = size_of::<Entry>();
  // One word per slot. Best case: a table 4/5 full (it grows past that).
  // Worst case: a table just past doubling (2/5 full). 48 is an allocator
  // class.
  let slot = size_of::<u64>();
  let best = entry + slot * 5 / 4;
  let worst = entry + slot * 5 / 2;
  assert!(
    (best..=worst).contains(&ENTRY_OVERHEAD),
    "{ENTRY_OVERHEAD} outside {best}..={worst} (entry {entry})"
  );
}

/// What a spilled entry costs beyond [`ENTRY_OVERHEAD`], the value's
/// estimate and a long key's text: its second allocation (a `Value` and an
/// estimate, 88 bytes, in the allocator's 96-byte class).
const SPILL: usize = 96;

#[test]
fn each_entry_costs_its_overhead_and_a_spilled_one_its_key_and_estimate_too() {
  let mut f = Fixture::new();
  // Packed: key and value inside the entry's 48 bytes.
  f.ks.set("str", b("abcd"), SetOptions::default()).unwrap();
  assert_eq!(f.ks.used_memory(), ENTRY_OVERHEAD);
  let packed = "v".repeat(PACKED - 3);
  f.ks.set("str", Bytes::from(packed.clone()), SetOptions::default()).unwrap();
  assert_eq!(f.ks.used_memory(), ENTRY_OVERHEAD, "{} bytes still pack", 3 + packed.len());
  // One byte more spills the value; a key of 23 bytes or more goes to the heap.
  f.ks.set("str", Bytes::from(packed.clone() + "v"), SetOptions::default()).unwrap();
  assert_eq!(f.ks.used_memory(), ENTRY_OVERHEAD + SPILL + STRING_BASE + PACKED - 2);
  f.ks.flush(Some(false));
  let long = "k".repeat(40);
  f.ks.set(&long, b("v"), SetOptions::default()).unwrap();
  assert_eq!(f.ks.used_memory(), ENTRY_OVERHEAD + SPILL + 40 + STRING_BASE + 1);
  f.ks.flush(Some(false));
  f.ks.rpush("list", bs(&["a", "bb"])).unwrap();
  let list = LIST_BASE + (1 + LIST_PER_ITEM) + (2 + LIST_PER_ITEM) + ENTRY_OVERHEAD + SPILL;
  assert_eq!(f.ks.used_memory(), list);
  f.ks.flush(Some(false));
  f.ks.hset("h", vec![(b("f"), b("vv"))]).unwrap();
  assert_eq!(f.ks.used_memory(), HASH_BASE + 1 + 2 + HASH_PER_FIELD + ENTRY_OVERHEAD + SPILL);
  f.ks.flush(Some(false));
  f.ks.sadd("s", bs(&["abc"])).unwrap();
  assert_eq!(f.ks.used_memory(), SET_BASE + 3 + SET_PER_MEMBER + ENTRY_OVERHEAD + SPILL);
  f.ks.flush(Some(false));
  f.ks.zadd("z", vec![(1.0, b("ab"))]).unwrap();
  assert_eq!(f.ks.used_memory(), ZSET_BASE + ZSET_PER_MEMBER + 2 + ENTRY_OVERHEAD + SPILL);
}

#[test]
fn a_ttl_does_not_change_what_an_entry_costs() {
  let mut f = Fixture::new();
  f.ks.set("k", b("v"), SetOptions::default()).unwrap();
  let used = f.ks.used_memory();
  f.ks.expire("k", 100).unwrap();
  assert_eq!(f.ks.used_memory(), used);
  f.ks.persist("k");
  assert_eq!(f.ks.used_memory(), used);
}

/// Every command, at random, over a few keys: after each step the running
/// totals, positions and per-entry estimates agree with a full recount.
#[test]
fn accounting_never_drifts_under_random_commands() {
  let mut f = Fixture::new();
  let mut rng = Rng::new(5);
  for step in 0..20_000 {
    let key = format!("k{}", rng.below(12));
    let other = format!("k{}", rng.below(12));
    let m = Bytes::from(format!("m{}", rng.below(30)).repeat(1 + rng.below(3)));
    let n = rng.below(7) as i64 - 3;
    let _ = match rng.below(30) {
      0 => f.ks.set(&key, m, SetOptions { px: (n > 0).then_some(n * 5), ..Default::default() }).map(drop),
      1 => f.ks.get(&key).map(drop),
      2 => f.ks.incrby(&key, n).map(drop),
      3 => f.ks.append(&key, &m).map(drop),
      4 => f.ks.lpush(&key, vec![m.clone(), m]).map(drop),
      5 => f.ks.rpush(&key, vec![m]).map(drop),
      6 => f.ks.lpop(&key).map(drop),
      7 => f.ks.rpop(&key).map(drop),
      8 => f.ks.hset(&key, vec![(m.clone(), m.clone()), (m, b("x"))]).map(drop),
      9 => f.ks.hdel(&key, &[&m]).map(drop),
      10 => f.ks.sadd(&key, vec![m.clone(), m]).map(drop),
      11 => f.ks.srem(&key, &[&m]).map(drop),
      12 => f.ks.zadd(&key, vec![(n as f64, m)]).map(drop),
      13 => f.ks.zrem(&key, &[&m]).map(drop),
      14 => f.ks.zincrby(&key, n as f64, m).map(drop),
      15 => {
        let _ = f.ks.del(&[&key]);
        Ok(())
      }
      16 => {
        let _ = f.ks.unlink(&[&key, &other]);
        Ok(())
      }
      17 => f.ks.rename(&key, &other),
      18 => f.ks.pexpire(&key, n * 10).map(drop),
      19 => {
        let _ = f.ks.persist(&key);
        Ok(())
      }
      20 => {
        f.clock.advance(rng.below(20) as u64);
        Ok(())
      }
      21 => {
        let _ = f.ks.active_expire_cycle(Duration::from_millis(1));
        Ok(())
      }
      22 => match f.ks.take_value(&key) {
        Some((v, bytes)) => f.ks.set_value(&other, v, bytes).map_err(|r| r.error),
        None => Ok(()),
      },
      23 => f.ks.lrange(&key, n, -1).map(drop),
      24 => f.ks.zrange(&key, 0, n).map(drop),
      25 => f.ks.hgetall(&key).map(drop),
      26 => f.ks.smembers(&key).map(drop),
      27 => {
        let _ = f.ks.exists(&[&key]);
        Ok(())
      }
      28 => {
        let _ = f.ks.keys("k1*");
        Ok(())
      }
      _ if rng.below(50) == 0 => {
        let _ = f.ks.flush(Some(rng.below(2) == 0));
        Ok(())
      }
      _ => Ok(()),
    };
    if step % 16 == 0 {
      f.check();
    }
  }
  f.check();
}

/// `used_memory` against the process's RSS growth at 1M small keys, from
/// Rust alone (no V8 heap in the way): `cargo test --release -- --ignored
/// rss_per_key --nocapture`. Ignored by default: it wants the process to
/// itself and a release build.
#[test]
#[ignore]
fn rss_per_key() {
  fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm.split(' ').nth(1).unwrap().parse::<usize>().unwrap() * 4096
  }
  let n = 1_000_000;
  let before = rss();
  let mut f = Fixture::new();
  for i in 0..n {
    f.ks.set(&format!("key:{i}"), Bytes::from(format!("value:{i}")), SetOptions::default()).unwrap();
  }
  let after = rss();
  let (used, grown) = (f.ks.used_memory(), after - before);
  println!("used_memory {} B/key, RSS growth {} B/key", used / n, grown / n);
  assert!(
    grown.abs_diff(used) * 100 <= used * 15,
    "used_memory {used} is not within 15% of RSS growth {grown}"
  );
}
