//! EXPIRE, PEXPIRE, TTL, PTTL, PERSIST, lazy expiry on access and the
//! active cycle.

use super::*;

#[test]
fn expire_pexpire_ttl_pttl_and_persist() {
  let mut f = Fixture::new();
  assert!(!f.ks.expire("missing", 10).unwrap());
  assert_eq!((f.ks.ttl("missing"), f.ks.pttl("missing")), (-2, -2));
  f.ks.set("k", b("v"), SetOptions::default()).unwrap();
  assert_eq!((f.ks.ttl("k"), f.ks.pttl("k")), (-1, -1));
  assert!(f.ks.expire("k", 10).unwrap());
  assert_eq!(f.ks.pttl("k"), 10_000);
  f.clock.advance(1_499);
  assert_eq!(f.ks.ttl("k"), 9, "8.501 s rounds to 9");
  f.clock.advance(2);
  assert_eq!(f.ks.ttl("k"), 8);
  assert!(f.ks.pexpire("k", 250).unwrap());
  assert_eq!(f.ks.pttl("k"), 250);
  assert_eq!(f.ks.info().expires, 1);
  assert!(f.ks.persist("k"));
  assert!(!f.ks.persist("k"));
  assert!(!f.ks.persist("missing"));
  assert_eq!(f.ks.pttl("k"), -1);
  assert_eq!(f.ks.info().expires, 0);
  f.check();
}

#[test]
fn a_non_positive_ttl_deletes_the_key() {
  let mut f = Fixture::new();
  for (i, ttl) in [0i64, -1, -1000].into_iter().enumerate() {
    f.ks.set("k", b("v"), SetOptions::default()).unwrap();
    assert!(f.ks.expire("k", ttl).unwrap());
    assert_eq!(f.ks.exists(&["k"]), 0);
    f.ks.set("k", b("v"), SetOptions::default()).unwrap();
    assert!(f.ks.pexpire("k", ttl).unwrap());
    assert_eq!(f.ks.exists(&["k"]), 0, "round {i}");
  }
  f.check();
}

#[test]
fn expire_refuses_times_that_overflow() {
  let mut f = Fixture::new();
  f.ks.set("k", b("v"), SetOptions::default()).unwrap();
  let e = f.ks.expire("k", i64::MAX / 1000 + 1).unwrap_err();
  assert_eq!(message(&e), "ERR invalid expire time in 'expire' command");
  assert_eq!(code(&f.ks.expire("k", i64::MIN).unwrap_err()), "ERR");
  let e = f.ks.pexpire("k", i64::MAX).unwrap_err();
  assert_eq!(message(&e), "ERR invalid expire time in 'pexpire' command");
  // The error comes first, even for a missing key, as in Redis.
  assert!(f.ks.pexpire("missing", i64::MAX).is_err());
  assert_eq!(f.ks.pttl("k"), -1);
}

#[test]
fn every_access_to_an_expired_key_treats_it_as_missing_and_removes_it() {
  let mut f = Fixture::new();
  let setup = |f: &mut Fixture| {
    f.ks.set("s", b("1"), SetOptions { px: Some(100), ..Default::default() }).unwrap();
    f.ks.rpush("l", bs(&["a"])).unwrap();
    f.ks.pexpire("l", 100).unwrap();
    f.clock.advance(100);
  };
  setup(&mut f);
  assert_eq!(f.ks.size(), 2, "DBSIZE counts keys not yet removed");
  assert_eq!(f.ks.get_owned("s").unwrap(), None);
  assert_eq!(f.ks.llen("l").unwrap(), 0);
  assert_eq!(f.ks.size(), 0);
  assert_eq!(f.ks.info().expired_keys, 2);
  // Writes see them as missing too: a new value, no TTL.
  setup(&mut f);
  assert_eq!(f.ks.incrby("s", 5).unwrap(), 5);
  assert_eq!(f.ks.pttl("s"), -1);
  assert_eq!(f.ks.rpush("l", bs(&["b"])).unwrap(), 1);
  assert_eq!(f.ks.info().expired_keys, 4);
  // And a kind check never sees an expired value of another kind.
  f.ks.set("x", b("v"), SetOptions { px: Some(1), ..Default::default() }).unwrap();
  f.clock.advance(1);
  assert_eq!(f.ks.sadd("x", bs(&["m"])).unwrap(), 1);
  let probes: [fn(&mut Fixture) -> i64; 5] = [
    |f| f.ks.exists(&["k"]) as i64,
    |f| f.ks.kind("k").is_some() as i64,
    |f| f.ks.del(&["k"]) as i64,
    |f| f.ks.persist("k") as i64,
    |f| f.ks.ttl("k"),
  ];
  for (i, probe) in probes.into_iter().enumerate() {
    f.ks.set("k", b("v"), SetOptions { px: Some(1), ..Default::default() }).unwrap();
    f.clock.advance(1);
    let expired = f.ks.info().expired_keys;
    let reply = probe(&mut f);
    assert!(reply == 0 || reply == -2, "probe {i}: {reply}");
    assert_eq!(f.ks.info().expired_keys, expired + 1, "probe {i}");
  }
  f.check();
}

#[test]
fn the_active_cycle_removes_expired_keys_nobody_touches() {
  let mut f = Fixture::new();
  for i in 0..1000 {
    f.ks.set(&format!("t{i}"), b("v"), SetOptions { px: Some(100), ..Default::default() }).unwrap();
  }
  for i in 0..1000 {
    f.ks.set(&format!("p{i}"), b("v"), SetOptions::default()).unwrap();
  }
  let report = f.ks.active_expire_cycle(Duration::from_secs(60));
  assert_eq!(report.expired, 0);
  // A sample takes whole slots of the table, so it may stop a key short of 20.
  assert_eq!(report.rounds, 1, "one round when nothing has expired");
  assert!((15..=20).contains(&report.sampled), "{report:?}");
  f.clock.advance(100);
  let report = f.ks.active_expire_cycle(Duration::from_secs(60));
  assert!(!report.timed_out);
  // Rounds go on while more than 10% of a sample expired: with every volatile
  // key expired, until the TTL vector is empty.
  assert_eq!(report.expired, 1000);
  assert_eq!(f.ks.size(), 1000);
  assert_eq!(f.ks.info().expires, 0);
  assert_eq!(f.ks.info().expired_keys, 1000);
  let idle = f.ks.active_expire_cycle(Duration::from_secs(60));
  assert_eq!(idle, CycleReport::default(), "no keys with a TTL: nothing to sample");
  f.check();
}

#[test]
fn the_active_cycle_stops_when_few_of_a_sample_have_expired() {
  let mut f = Fixture::new();
  // 1 in 100 keys with a TTL has expired: about 1% of each sample.
  for i in 0..2000 {
    let px = if i % 100 == 0 { 10 } else { 1_000_000 };
    f.ks.set(&format!("k{i}"), b("v"), SetOptions { px: Some(px), ..Default::default() }).unwrap();
  }
  f.clock.advance(10);
  let report = f.ks.active_expire_cycle(Duration::from_secs(60));
  assert!(report.rounds <= 3, "{report:?}");
  assert!(report.expired <= 20 * 3);
  f.check();
}

#[test]
fn the_active_cycle_respects_its_time_budget() {
  let mut f = Fixture::new();
  for i in 0..5000 {
    f.ks.set(&format!("k{i}"), b("v"), SetOptions { px: Some(1), ..Default::default() }).unwrap();
  }
  f.clock.advance(1);
  let report = f.ks.active_expire_cycle(Duration::ZERO);
  assert!(report.timed_out);
  assert_eq!(report.rounds, 1, "a spent budget still allows one round");
  assert!((15..=20).contains(&report.expired), "{report:?}");
  assert_eq!(f.ks.size(), 5000 - report.expired as usize);
  // Repeated cycles finish the job, as ticks would.
  let mut ticks = 0;
  while f.ks.info().expires > 0 {
    f.ks.active_expire_cycle(Duration::from_millis(1));
    ticks += 1;
    assert!(ticks < 10_000);
  }
  assert_eq!(f.ks.size(), 0);
  assert_eq!(f.ks.info().expired_keys, 5000);
  f.check();
}
