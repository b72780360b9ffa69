//! maxmemory: every policy, OOM, and the promise that a write never takes
//! `used_memory` past `maxmemory`.

use super::*;

/// What a key `kNN` holding a one-byte string costs.
fn small_entry() -> usize {
  entry_memory(3, crate::memory::STRING_BASE + 1)
}

fn limited(policy: Policy, entries: usize) -> Fixture {
  Fixture::with(Config {
    max_memory: entries * small_entry(),
    policy,
    // Samples enough that the best candidate is always among them.
    samples: 256,
    evict_wait: Duration::from_secs(10),
    ..Default::default()
  })
}

/// allkeys-lru over 100 kB that never waits for the drop thread.
fn lru_without_waits() -> Fixture {
  Fixture::with(Config {
    max_memory: 100_000,
    policy: Policy::AllKeysLru,
    samples: 256,
    evict_wait: Duration::ZERO,
    oom_wait: Duration::ZERO,
    ..Default::default()
  })
}

fn set(f: &mut Fixture, key: &str) -> LfResult<bool> {
  f.ks.set(key, b("v"), SetOptions::default())
}

fn set_ttl(f: &mut Fixture, key: &str, px: i64) -> LfResult<bool> {
  f.ks.set(key, b("v"), SetOptions { px: Some(px), ..Default::default() })
}

#[test]
fn policies_are_named_as_redis_names_them() {
  for p in Policy::ALL {
    assert_eq!(Policy::from_name(p.name()), Some(p));
  }
  assert_eq!(Policy::from_name("allkeys-lfu"), None);
}

#[test]
fn noeviction_refuses_writes_that_do_not_fit_and_changes_nothing() {
  let mut f = limited(Policy::NoEviction, 3);
  for k in ["k01", "k02", "k03"] {
    set(&mut f, k).unwrap();
  }
  assert_eq!(f.ks.used_memory(), f.ks.config().max_memory);
  let e = set(&mut f, "k04").unwrap_err();
  assert_eq!(code(&e), "OOM");
  assert_eq!(message(&e), "OOM command not allowed when used memory > 'maxmemory'.");
  for e in [
    // Past what packs: the value spills and costs more.
    f.ks.append("k01", &[b'x'; 64]).unwrap_err(),
    f.ks.rpush("k05", bs(&["x"])).unwrap_err(),
    f.ks.incrby("k09", 1).unwrap_err(),
  ] {
    assert_eq!(code(&e), "OOM");
  }
  assert_eq!(f.ks.size(), 3);
  assert_eq!(f.ks.get_owned("k01").unwrap(), Some(b("v")));
  // Writes that do not grow are fine; so are removals.
  assert!(set(&mut f, "k01").unwrap());
  assert_eq!(f.ks.del(&["k02"]), 1);
  assert!(set(&mut f, "k04").unwrap());
  assert_eq!(f.ks.info().evicted_keys, 0);
  f.check();
}

#[test]
fn allkeys_lru_evicts_the_least_recently_used_key() {
  let mut f = limited(Policy::AllKeysLru, 3);
  for k in ["k01", "k02", "k03"] {
    set(&mut f, k).unwrap();
    f.clock.advance(10);
  }
  f.ks.get("k01").unwrap(); // k02 is now the least recently used
  f.clock.advance(10);
  set(&mut f, "k04").unwrap();
  assert_eq!(f.ks.exists(&["k02"]), 0);
  assert_eq!(f.ks.exists(&["k01", "k03", "k04"]), 3);
  assert_eq!(f.ks.info().evicted_keys, 1);
  assert!(f.ks.used_memory() <= f.ks.config().max_memory);
  f.check();
}

#[test]
fn volatile_lru_evicts_only_keys_with_a_ttl() {
  let mut f = limited(Policy::VolatileLru, 3);
  set(&mut f, "k01").unwrap();
  set_ttl(&mut f, "k02", 100_000).unwrap();
  f.clock.advance(10);
  set_ttl(&mut f, "k03", 100_000).unwrap();
  f.clock.advance(10);
  set(&mut f, "k04").unwrap();
  assert_eq!(f.ks.exists(&["k02"]), 0, "the older volatile key goes, not the older persistent one");
  set(&mut f, "k05").unwrap();
  assert_eq!(f.ks.exists(&["k03"]), 0);
  assert_eq!(code(&set(&mut f, "k06").unwrap_err()), "OOM", "no volatile key left to evict");
  assert_eq!(f.ks.exists(&["k01", "k04", "k05"]), 3);
  f.check();
}

#[test]
fn volatile_ttl_evicts_the_key_closest_to_expiring() {
  let mut f = limited(Policy::VolatileTtl, 3);
  set_ttl(&mut f, "k01", 50_000).unwrap();
  set_ttl(&mut f, "k02", 10_000).unwrap();
  set(&mut f, "k03").unwrap();
  set(&mut f, "k04").unwrap();
  assert_eq!(f.ks.exists(&["k02"]), 0);
  set(&mut f, "k05").unwrap();
  assert_eq!(f.ks.exists(&["k01"]), 0);
  assert_eq!(code(&set(&mut f, "k06").unwrap_err()), "OOM");
  f.check();
}

#[test]
fn random_policies_evict_from_their_pool() {
  let mut f = limited(Policy::AllKeysRandom, 10);
  for i in 0..100 {
    set(&mut f, &format!("k{i:02}")).unwrap();
    assert!(f.ks.used_memory() <= f.ks.config().max_memory);
  }
  assert_eq!(f.ks.size(), 10);
  assert_eq!(f.ks.info().evicted_keys, 90);
  f.check();

  let mut f = limited(Policy::VolatileRandom, 10);
  for i in 0..5 {
    set(&mut f, &format!("p{i:02}")).unwrap();
  }
  for i in 0..50 {
    set_ttl(&mut f, &format!("v{i:02}"), 100_000).unwrap();
  }
  assert_eq!(f.ks.exists(&["p00", "p01", "p02", "p03", "p04"]), 5, "persistent keys are never chosen");
  assert_eq!(f.ks.info().evicted_keys, 45);
  for i in 5..20 {
    let r = set(&mut f, &format!("p{i:02}"));
    if i < 10 {
      r.unwrap();
    } else {
      assert_eq!(code(&r.unwrap_err()), "OOM");
    }
  }
  f.check();
}

#[test]
fn the_written_key_is_never_evicted_to_make_room_for_itself() {
  let mut f = limited(Policy::AllKeysLru, 8);
  set(&mut f, "k01").unwrap();
  f.clock.advance(10);
  set(&mut f, "k02").unwrap();
  f.clock.advance(10);
  // k01 is the least recently used, but it is the key being written.
  f.ks.append("k01", &[b'x'; 100]).unwrap();
  assert_eq!(f.ks.strlen("k01").unwrap(), 101);
  assert!(f.ks.used_memory() <= f.ks.config().max_memory);
  f.check();
  // A write bigger than everything else put together: evicts all it may,
  // then refuses.
  let e = f.ks.append("k01", &vec![b'x'; 10_000]).unwrap_err();
  assert_eq!(code(&e), "OOM");
  assert_eq!(f.ks.strlen("k01").unwrap(), 101);
  f.check();
}

#[test]
fn used_memory_never_exceeds_maxmemory_under_a_mixed_workload() {
  for policy in Policy::ALL {
    let mut f = Fixture::with(Config { max_memory: 8_000, policy, ..Default::default() });
    let mut rng = Rng::new(99);
    let mut ooms = 0;
    for i in 0..3000 {
      let key = format!("key{}", rng.below(60));
      let member = Bytes::from(format!("member-{}", rng.below(100)));
      let r = match rng.below(8) {
        0 => f
          .ks
          .set(&key, member, SetOptions { px: (i % 2 == 0).then_some(100_000), ..Default::default() })
          .map(|_| ()),
        1 => f.ks.rpush(&key, vec![member]).map(|_| ()),
        2 => f.ks.hset(&key, vec![(member.clone(), member)]).map(|_| ()),
        3 => f.ks.sadd(&key, vec![member]).map(|_| ()),
        4 => f.ks.zadd(&key, vec![(1.0, member)]).map(|_| ()),
        5 => f.ks.append(&key, &member).map(|_| ()),
        6 => f.ks.rename(&key, &format!("key{}", rng.below(60))),
        _ => f.ks.pexpire(&key, 100_000).map(|_| ()),
      };
      match r {
        Err(e) if code(&e) == "OOM" => ooms += 1,
        _ => {}
      }
      assert!(f.ks.used_memory() <= 8_000, "{policy:?} step {i}: {}", f.ks.used_memory());
      f.clock.advance(1);
    }
    f.check();
    if policy == Policy::AllKeysLru || policy == Policy::AllKeysRandom {
      assert!(f.ks.info().evicted_keys > 0, "{policy:?}");
    }
    if policy == Policy::NoEviction {
      assert!(ooms > 0);
      assert_eq!(f.ks.info().evicted_keys, 0);
    }
  }
}

#[test]
fn bytes_pending_in_the_dropper_count_as_used() {
  let mut f = limited(Policy::NoEviction, 4);
  for k in ["k01", "k02", "k03", "k04"] {
    set(&mut f, k).unwrap();
  }
  let release = hold(&f.dropper);
  f.ks.flush(Some(true));
  assert_eq!(f.ks.size(), 0);
  assert_eq!(f.ks.used_memory(), 4 * small_entry());
  assert_eq!(
    code(&set(&mut f, "k05").unwrap_err()),
    "OOM",
    "an async flush followed by a refill cannot overshoot"
  );
  drop(release);
  f.drain();
  set(&mut f, "k05").unwrap();
}

#[test]
fn with_nothing_left_to_evict_pending_bytes_mean_oom_once_the_wait_is_spent() {
  let mut f = Fixture::with(Config {
    max_memory: 4 * small_entry(),
    policy: Policy::AllKeysLru,
    evict_wait: Duration::ZERO,
    oom_wait: Duration::ZERO,
    ..Default::default()
  });
  for k in ["k01", "k02", "k03", "k04"] {
    set(&mut f, k).unwrap();
  }
  let release = hold(&f.dropper);
  f.ks.flush(Some(true));
  // Nothing left to evict and no time to wait: OOM.
  assert_eq!(code(&set(&mut f, "k05").unwrap_err()), "OOM");
  drop(release);
  f.drain();
  set(&mut f, "k05").unwrap();
}

#[test]
fn a_lazily_evicted_large_value_makes_room_once_the_thread_frees_it() {
  let mut f = Fixture::with(Config {
    max_memory: 100_000,
    policy: Policy::AllKeysLru,
    samples: 256,
    evict_wait: Duration::from_secs(10),
    ..Default::default()
  });
  f.ks.rpush("big", many(1000)).unwrap();
  f.clock.advance(10);
  for i in 0..20 {
    set(&mut f, &format!("k{i:02}")).unwrap();
  }
  f.clock.advance(10);
  let used = f.ks.used_memory();
  let grow = 100_000 - used + 1;
  f.ks.set("new", Bytes::from(vec![b'x'; grow]), SetOptions::default()).unwrap();
  // Only the big list was evicted: the write waited for the drop thread to
  // free it instead of evicting the small keys too.
  assert_eq!(f.ks.exists(&["big"]), 0);
  assert_eq!(f.ks.info().evicted_keys, 1);
  assert_eq!(f.stats().deferred, 1);
  assert!(f.ks.used_memory() <= 100_000);
  f.check();
}

#[test]
fn with_nothing_left_to_evict_a_write_waits_for_pending_bytes() {
  let mut f = Fixture::with(Config {
    max_memory: 4 * small_entry(),
    policy: Policy::AllKeysLru,
    evict_wait: Duration::ZERO,
    oom_wait: Duration::from_secs(10),
    ..Default::default()
  });
  for k in ["k01", "k02", "k03", "k04"] {
    set(&mut f, k).unwrap();
  }
  let release = hold(&f.dropper);
  f.ks.flush(Some(true));
  let releaser = std::thread::spawn(move || {
    std::thread::sleep(Duration::from_millis(20));
    drop(release);
  });
  set(&mut f, "k05").unwrap();
  releaser.join().unwrap();
  assert_eq!(f.stats().pending, 0, "the write went ahead once the thread had freed the flushed table");
}

#[test]
fn a_slow_drop_thread_costs_extra_evictions_not_errors() {
  let mut f = lru_without_waits();
  f.ks.rpush("big", many(1000)).unwrap();
  f.clock.advance(10);
  for i in 0..20 {
    set(&mut f, &format!("k{i:02}")).unwrap();
  }
  f.clock.advance(10);
  let release = hold(&f.dropper);
  let grow = 100_000 - f.ks.used_memory() + 1;
  f.ks.set("new", Bytes::from(vec![b'x'; grow]), SetOptions::default()).unwrap();
  assert_eq!(f.ks.exists(&["big"]), 0);
  assert!(
    f.ks.info().evicted_keys > 1,
    "small keys were evicted too, since the big list's bytes were still pending"
  );
  assert!(f.ks.used_memory() <= 100_000);
  drop(release);
  f.check();
}

/// A string value (too long to pack) whose entry at `key` costs exactly
/// `total` bytes.
fn sized(key: &str, total: usize) -> Bytes {
  let long = 100;
  let fixed = entry_memory(key.len(), crate::memory::STRING_BASE + long) - long;
  assert!(total - fixed > long, "{total} is too small for a spilled entry");
  Bytes::from(vec![b'x'; total - fixed])
}

#[test]
fn a_write_larger_than_everything_evictable_is_refused_and_evicts_nothing() {
  for policy in [Policy::AllKeysLru, Policy::AllKeysRandom] {
    let mut f = limited(policy, 10);
    for i in 0..10 {
      set(&mut f, &format!("k{i:02}")).unwrap();
    }
    let max = f.ks.config().max_memory;
    let e = f.ks.set("big", sized("big", max + 1), SetOptions::default()).unwrap_err();
    assert_eq!(code(&e), "OOM", "{policy:?}");
    assert_eq!(f.ks.size(), 10, "{policy:?}: nothing was evicted");
    assert_eq!(f.ks.info().evicted_keys, 0);
    // Growing a key past the limit is refused the same way: its own bytes
    // cannot be evicted to make room for it.
    let e = f.ks.append("k00", &vec![b'x'; max]).unwrap_err();
    assert_eq!(code(&e), "OOM");
    assert_eq!(f.ks.size(), 10);
    // A write that fits once every other key is gone still evicts them all.
    f.ks.set("big", sized("big", max), SetOptions::default()).unwrap();
    assert_eq!(f.ks.size(), 1);
    assert_eq!(f.ks.info().evicted_keys, 10);
    f.check();
  }
}

#[test]
fn volatile_policies_refuse_a_write_the_keys_with_a_ttl_cannot_make_room_for() {
  for policy in [Policy::VolatileLru, Policy::VolatileRandom, Policy::VolatileTtl] {
    let mut f = limited(policy, 10);
    for i in 0..5 {
      set(&mut f, &format!("p{i:02}")).unwrap();
      set_ttl(&mut f, &format!("t{i:02}"), 100_000).unwrap();
    }
    // Room for 6 entries would take a persistent key too: refused, nothing evicted.
    let e = f.ks.set("big", sized("big", 6 * small_entry()), SetOptions::default()).unwrap_err();
    assert_eq!(code(&e), "OOM", "{policy:?}");
    assert_eq!(f.ks.size(), 10, "{policy:?}: nothing was evicted");
    assert_eq!(f.ks.info().evicted_keys, 0);
    // Room for 5 entries: exactly the keys with a TTL go.
    f.ks.set("big", sized("big", 5 * small_entry()), SetOptions::default()).unwrap();
    assert_eq!(f.ks.info().evicted_keys, 5);
    assert_eq!(f.ks.exists(&["p00", "p01", "p02", "p03", "p04"]), 5);
    f.check();
  }
}

#[test]
fn a_write_that_needs_pending_bytes_freed_is_refused_without_evicting_if_they_stay() {
  let mut f = lru_without_waits();
  f.ks.rpush("big", many(1000)).unwrap();
  for i in 0..5 {
    set(&mut f, &format!("k{i:02}")).unwrap();
  }
  let release = hold(&f.dropper);
  assert_eq!(f.ks.unlink(&["big"]), 1);
  let pending = f.stats().pending_bytes as usize;
  assert!(pending > 30_000);
  // Fits only once the unlinked list is freed, and the thread is held.
  let e = f.ks.set("new", sized("new", 100_000 - pending / 2), SetOptions::default()).unwrap_err();
  assert_eq!(code(&e), "OOM");
  assert_eq!(f.ks.size(), 5, "nothing was evicted");
  assert_eq!(f.ks.info().evicted_keys, 0);
  drop(release);
  f.drain();
  f.ks.set("new", sized("new", 100_000 - pending / 2), SetOptions::default()).unwrap();
  f.check();
}
