//! Lazy-free routing: which removals reach the dropper, by switch, asserted
//! through the dropper's counters.

use std::collections::VecDeque;

use super::*;

fn with_switches(lazyfree: LazyFree) -> Fixture {
  Fixture::with(Config { lazyfree, ..Default::default() })
}

fn all_off() -> LazyFree {
  LazyFree { eviction: false, expire: false, server_del: false, user_del: false, user_flush: false }
}

/// (deferred, inline_small) after draining.
fn counts(f: &Fixture) -> (u64, u64) {
  f.drain();
  let s = f.stats();
  assert_eq!(s.freed, s.deferred);
  (s.deferred, s.inline_small)
}

#[test]
fn del_is_lazy_with_user_del_and_the_dropper_decides_by_size() {
  let mut f = Fixture::new();
  f.ks.rpush("big", many(65)).unwrap();
  f.ks.rpush("small", many(64)).unwrap();
  f.ks.set("str", Bytes::from(vec![0u8; 1 << 20]), SetOptions::default()).unwrap();
  assert_eq!(f.ks.del(&["big", "small", "str"]), 3);
  assert_eq!(counts(&f), (1, 2));
  assert_eq!(f.ks.used_memory(), 0, "freed bytes leave used_memory");

  let mut g = with_switches(LazyFree { user_del: false, ..Default::default() });
  g.ks.rpush("big", many(1000)).unwrap();
  assert_eq!(g.ks.del(&["big"]), 1);
  assert_eq!(counts(&g), (0, 0), "freed inline, without the dropper");
}

#[test]
fn unlink_is_always_lazy() {
  let mut f = with_switches(all_off());
  f.ks.rpush("big", many(100)).unwrap();
  f.ks.set("s", b("v"), SetOptions::default()).unwrap();
  assert_eq!(f.ks.unlink(&["big", "s"]), 2);
  assert_eq!(counts(&f), (1, 1));
}

#[test]
fn overwrites_follow_server_del() {
  for on in [true, false] {
    let mut f = with_switches(LazyFree { server_del: on, ..Default::default() });
    let expect = if on { 1 } else { 0 };
    f.ks.rpush("a", many(100)).unwrap();
    f.ks.set("a", b("x"), SetOptions::default()).unwrap();
    assert_eq!(counts(&f).0, expect, "set over a large list (serverDel {on})");

    f.ks.sadd("b", many(100)).unwrap();
    f.ks.set("c", b("x"), SetOptions::default()).unwrap();
    f.ks.rename("c", "b").unwrap();
    assert_eq!(counts(&f).0, 2 * expect, "rename onto a large set");

    f.ks.zadd("d", many(100).into_iter().map(|m| (1.0, m)).collect()).unwrap();
    let list = Value::List(VecDeque::from(bs(&["x"])));
    let bytes = crate::memory::estimate(&list);
    f.ks.set_value("d", list, bytes).unwrap();
    assert_eq!(counts(&f).0, 3 * expect, "setValue over a large zset");
    f.check();
  }
}

#[test]
fn expiry_follows_the_expire_switch_on_every_path() {
  for on in [true, false] {
    let mut f = with_switches(LazyFree { expire: on, ..Default::default() });
    let expect = if on { 1 } else { 0 };
    let big = |f: &mut Fixture, key: &str| {
      f.ks.hset(key, many(100).into_iter().map(|m| (m.clone(), m)).collect()).unwrap();
      f.ks.pexpire(key, 10).unwrap();
    };
    big(&mut f, "a");
    f.clock.advance(10);
    assert_eq!(f.ks.hlen("a").unwrap(), 0);
    assert_eq!(counts(&f).0, expect, "expired on access (expire {on})");

    big(&mut f, "b");
    f.clock.advance(10);
    f.ks.active_expire_cycle(Duration::from_secs(10));
    assert_eq!(counts(&f).0, 2 * expect, "expired by the active cycle");

    f.ks.hset("c", many(100).into_iter().map(|m| (m.clone(), m)).collect()).unwrap();
    f.ks.expire("c", 0).unwrap();
    assert_eq!(counts(&f).0, 3 * expect, "an expire in the past");
    assert_eq!(f.ks.size(), 0);
    assert_eq!(f.ks.info().expired_keys, 2, "expire with a past time deletes; it is not counted as expired");
  }
}

#[test]
fn evictions_follow_the_eviction_switch() {
  for on in [true, false] {
    let mut f = Fixture::with(Config {
      max_memory: 60_000,
      policy: Policy::AllKeysLru,
      lazyfree: LazyFree { eviction: on, ..Default::default() },
      evict_wait: Duration::from_secs(10),
      ..Default::default()
    });
    f.ks.sadd("big", many(500)).unwrap();
    f.clock.advance(10);
    f.ks.set("filler", Bytes::from(vec![0u8; 40_000]), SetOptions::default()).unwrap();
    assert_eq!(f.ks.exists(&["big"]), 0);
    assert_eq!(f.ks.info().evicted_keys, 1);
    assert_eq!(counts(&f).0, if on { 1 } else { 0 }, "eviction {on}");
  }
}

#[test]
fn pops_and_removals_that_empty_a_collection_do_not_involve_the_dropper() {
  let mut f = Fixture::new();
  f.ks.rpush("l", bs(&["a"])).unwrap();
  f.ks.lpop("l").unwrap();
  f.ks.sadd("s", bs(&["a"])).unwrap();
  f.ks.srem("s", &[b"a"]).unwrap();
  assert_eq!(counts(&f), (0, 0));
  assert_eq!(f.ks.size(), 0);
}

#[test]
fn info_reports_the_droppers_lazyfree_counters() {
  let mut f = Fixture::new();
  f.ks.rpush("a", many(100)).unwrap();
  f.ks.rpush("b", many(100)).unwrap();
  let release = hold(&f.dropper);
  f.ks.unlink(&["a", "b"]);
  let info = f.ks.info();
  assert_eq!(info.lazyfree_pending_objects, 3, "two lists and the gate");
  assert!(info.used_memory > 0);
  drop(release);
  f.drain();
  let info = f.ks.info();
  assert_eq!((info.lazyfree_pending_objects, info.lazyfreed_objects, info.used_memory), (0, 3, 0));
}
