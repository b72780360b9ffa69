//! The shared keyspace from several threads: registry lifecycle, option
//! conflicts, atomic multi-shard commands, renames across shards, and the
//! drop of the last lease.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use bytes::Bytes;

use super::*;
use crate::keyspace::SetOptions;

fn b(s: &str) -> Bytes {
  Bytes::copy_from_slice(s.as_bytes())
}

/// Two keys that live in different shards of `ks`.
fn keys_in_two_shards(ks: &SharedKeyspace) -> (String, String) {
  let a = "k0".to_string();
  let other = (1..1000).map(|i| format!("k{i}")).find(|k| ks.shard_of(k) != ks.shard_of(&a)).unwrap();
  (a, other)
}

#[test]
fn open_attaches_and_the_last_lease_frees_the_name() {
  let one = open("t-lifecycle", None).unwrap();
  one.with_key("a", |s| s.set("a", b("1"), SetOptions::default())).unwrap();
  let two = open("t-lifecycle", None).unwrap();
  assert_eq!(two.with_key("a", |s| s.get_owned("a")).unwrap(), Some(b("1")));
  assert_ne!(one.id(), two.id());
  drop(one);
  assert!(is_open("t-lifecycle"));
  assert_eq!(two.size(), 1);
  let dropper = Arc::clone(two.dropper());
  drop(two);
  assert!(!is_open("t-lifecycle"));
  // The whole keyspace went to its drop thread, which was then closed.
  assert!(dropper.is_closed());
  let deadline = std::time::Instant::now() + Duration::from_secs(5);
  while dropper.stats().freed < 1 && std::time::Instant::now() < deadline {
    thread::sleep(Duration::from_millis(5));
  }
  assert_eq!(dropper.stats().freed, 1);
  let fresh = open("t-lifecycle", None).unwrap();
  assert_eq!(fresh.size(), 0);
}

#[test]
fn open_with_other_options_is_refused_and_changes_nothing() {
  let spec = Spec { max_memory: 1 << 20, ..Spec::default() };
  let one = open("t-options", Some(spec.clone())).unwrap();
  let err = open("t-options", Some(Spec::default())).err().unwrap();
  let LfError::Coded { code: OPTIONS_CONFLICT, message } = err else { panic!("{err:?}") };
  assert!(message.contains("maxMemory is 1048576, not 0"), "{message}");
  let same = open("t-options", Some(spec)).unwrap();
  let bare = open("t-options", None).unwrap();
  assert_eq!(bare.spec().max_memory, 1 << 20);
  assert_eq!(bare.info().maxmemory, 1 << 20);
  drop((one, same, bare));
  assert!(!is_open("t-options"));
}

#[test]
fn rename_across_shards_moves_the_value_and_its_ttl() {
  let ks = SharedKeyspace::new("t-rename", Spec { hz: 0, ..Spec::default() }, 4);
  let (a, c) = keys_in_two_shards(&ks);
  ks.with_key(&a, |s| s.set(&a, b("v"), SetOptions { px: Some(50_000), ..Default::default() })).unwrap();
  let before = ks.with_key(&a, |s| s.get(&a).unwrap().unwrap().as_ptr() as usize);
  ks.rename(&a, &c).unwrap();
  assert_eq!(ks.exists(&[&a]), 0);
  let (after, ttl) = ks.with_key(&c, |s| (s.get(&c).unwrap().unwrap().as_ptr() as usize, s.pttl(&c)));
  assert_eq!(before, after, "the value moved, not copied");
  assert!(ttl > 49_000 && ttl <= 50_000, "{ttl}");
  // Without a TTL, none appears; a missing key is refused.
  ks.with_key(&a, |s| s.set(&a, b("w"), SetOptions::default())).unwrap();
  ks.rename(&a, &c).unwrap();
  assert_eq!(ks.with_key(&c, |s| s.pttl(&c)), -1);
  let err = ks.rename(&a, &c).unwrap_err();
  assert_eq!(err, errors::no_such_key());
  assert_eq!(ks.size(), 1);
}

#[test]
fn rename_refused_for_memory_puts_the_value_back() {
  // 2 shards of 1000 bytes each: a big value fits its own shard but not the
  // other one, which holds one already.
  let spec = Spec { max_memory: 2000, hz: 0, ..Spec::default() };
  let ks = SharedKeyspace::new("t-rename-oom", spec, 2);
  let (a, c) = keys_in_two_shards(&ks);
  let big = Bytes::from(vec![b'x'; 400]);
  ks.with_key(&a, |s| s.set(&a, big.clone(), SetOptions { ex: Some(100), ..Default::default() })).unwrap();
  let other = (0..1000).map(|i| format!("o{i}")).find(|k| ks.shard_of(k) == ks.shard_of(&c)).unwrap();
  ks.with_key(&other, |s| s.set(&other, big.clone(), SetOptions::default())).unwrap();
  let err = ks.rename(&a, &c).unwrap_err();
  assert_eq!(err, errors::oom());
  assert_eq!(ks.with_key(&a, |s| s.get_owned(&a)).unwrap(), Some(big));
  assert!(ks.with_key(&a, |s| s.ttl(&a)) > 90);
  assert_eq!(ks.exists(&[&c]), 0);
}

#[test]
fn multi_key_commands_are_atomic_across_threads() {
  let ks = Arc::new(SharedKeyspace::new("t-atomic", Spec { hz: 0, ..Spec::default() }, 8));
  let (a, c) = keys_in_two_shards(&ks);
  ks.with_key(&a, |s| s.set(&a, b("x"), SetOptions::default())).unwrap();
  let done = Arc::new(AtomicBool::new(false));
  // Writers move one value back and forth between shards, and recreate the
  // pair then delete it whole; readers must only ever see one key of the
  // rename pair, and both or none of the del pair.
  let writer = {
    let (ks, a, c, done) = (Arc::clone(&ks), a.clone(), c.clone(), Arc::clone(&done));
    thread::spawn(move || {
      for _ in 0..20_000 {
        ks.rename(&a, &c).unwrap();
        ks.rename(&c, &a).unwrap();
      }
      done.store(true, Ordering::SeqCst);
    })
  };
  let pair = {
    let ks = Arc::clone(&ks);
    thread::spawn(move || {
      for i in 0..20_000 {
        let (p, q) = (format!("p{}", i % 7), format!("q{}", i % 5));
        for k in [&p, &q] {
          ks.with_key(k, |s| s.set(k, b("1"), SetOptions::default())).unwrap();
        }
        assert_eq!(ks.del(&[&p, &q]), 2);
      }
    })
  };
  let mut seen = 0;
  while !done.load(Ordering::SeqCst) {
    assert_eq!(ks.exists(&[&a, &c]), 1, "a rename was seen half done");
    seen += 1;
  }
  writer.join().unwrap();
  pair.join().unwrap();
  assert!(seen > 0);
}

#[test]
fn incrby_totals_are_exact_from_many_threads() {
  let ks = Arc::new(SharedKeyspace::new("t-incr", Spec { hz: 0, ..Spec::default() }, 4));
  let threads: Vec<_> = (0..4)
    .map(|_| {
      let ks = Arc::clone(&ks);
      thread::spawn(move || {
        for i in 0..10_000 {
          let k = format!("c{}", i % 3);
          ks.with_key(&k, |s| s.incrby(&k, 1)).unwrap();
        }
      })
    })
    .collect();
  threads.into_iter().for_each(|t| t.join().unwrap());
  let total: i64 = (0..3)
    .map(|i| {
      let k = format!("c{i}");
      ks.with_key(&k, |s| std::str::from_utf8(s.get(&k).unwrap().unwrap()).unwrap().parse::<i64>().unwrap())
    })
    .sum();
  assert_eq!(total, 40_000);
}

#[test]
fn a_poisoned_shard_is_still_usable() {
  let ks = Arc::new(SharedKeyspace::new("t-poison", Spec { hz: 0, ..Spec::default() }, 1));
  let k = Arc::clone(&ks);
  let _ = thread::spawn(move || k.with_key("a", |_| panic!("a command panicked under the lock"))).join();
  ks.with_key("a", |s| s.set("a", b("1"), SetOptions::default())).unwrap();
  assert_eq!(ks.del(&["a"]), 1);
}

#[test]
fn active_expiry_runs_on_its_own_thread_and_stops_with_the_keyspace() {
  let lease = open("t-expiry", Some(Spec { hz: 100, ..Spec::default() })).unwrap();
  for i in 0..200 {
    let k = format!("e{i}");
    lease.with_key(&k, |s| s.set(&k, b("v"), SetOptions { px: Some(20), ..Default::default() })).unwrap();
  }
  let deadline = std::time::Instant::now() + Duration::from_secs(5);
  while lease.size() > 0 && std::time::Instant::now() < deadline {
    thread::sleep(Duration::from_millis(10));
  }
  // Nobody touched the keys: only the expiry thread can have removed them.
  assert_eq!(lease.size(), 0);
  assert_eq!(lease.info().expired_keys, 200);
  let weak = Arc::downgrade(&lease.keyspace);
  drop(lease);
  let deadline = std::time::Instant::now() + Duration::from_secs(5);
  while weak.strong_count() > 0 && std::time::Instant::now() < deadline {
    thread::sleep(Duration::from_millis(5));
  }
  assert_eq!(weak.strong_count(), 0, "the expiry thread kept the keyspace alive");
}

#[test]
fn info_sums_the_shards_and_counts_pending_bytes_once() {
  let ks = SharedKeyspace::new("t-info", Spec { hz: 0, max_memory: 1 << 20, ..Spec::default() }, 4);
  for i in 0..40 {
    let k = format!("i{i}");
    ks.with_key(&k, |s| s.set(&k, b("value"), SetOptions::default())).unwrap();
  }
  let value = crate::memory::estimate(&crate::value::Value::String(b("value")));
  let info = ks.info();
  assert_eq!(info.keys, 40);
  assert_eq!(info.maxmemory, 1 << 20);
  let expected: u64 =
    (0..40).map(|i| crate::keyspace::entry_memory(format!("i{i}").len(), value) as u64).sum();
  assert_eq!(info.used_memory, expected);
  assert_eq!(ks.keys("i1*").len(), 11);
  assert!(ks.flush(Some(false)) || ks.size() == 0);
  assert_eq!(ks.size(), 0);
}

#[test]
fn mset_is_seen_whole_across_shards() {
  let ks = Arc::new(SharedKeyspace::new("t-mset", Spec { hz: 0, ..Spec::default() }, 8));
  let (a, c) = keys_in_two_shards(&ks);
  ks.mset(vec![(&a, b("0")), (&c, b("0"))]).unwrap();
  let done = Arc::new(AtomicBool::new(false));
  let writer = {
    let (ks, a, c, done) = (Arc::clone(&ks), a.clone(), c.clone(), Arc::clone(&done));
    thread::spawn(move || {
      for i in 1..=20_000 {
        let v = b(&i.to_string());
        ks.mset(vec![(&a, v.clone()), (&c, v)]).unwrap();
      }
      done.store(true, Ordering::SeqCst);
    })
  };
  let mut seen = 0;
  while !done.load(Ordering::SeqCst) {
    let got = ks.mget(&[&a, &c]);
    assert_eq!(got[0], got[1], "an mset was seen half applied");
    seen += 1;
  }
  writer.join().unwrap();
  assert!(seen > 0);
  assert_eq!(ks.mget(&[&a, &c, "missing"]), vec![Some(b("20000")), Some(b("20000")), None]);
}

#[test]
fn mset_refused_for_memory_changes_nothing() {
  // 2 shards of 1000 bytes: the pair for the second shard cannot fit there.
  let ks = SharedKeyspace::new("t-mset-oom", Spec { max_memory: 2000, hz: 0, ..Spec::default() }, 2);
  let (a, c) = keys_in_two_shards(&ks);
  let (low, high) = if ks.shard_of(&a) < ks.shard_of(&c) { (a, c) } else { (c, a) };
  ks.with_key(&low, |s| s.set(&low, b("old"), SetOptions { ex: Some(100), ..Default::default() })).unwrap();
  let before = ks.with_key(&low, |s| s.get(&low).unwrap().unwrap().as_ptr() as usize);
  let big = Bytes::from(vec![b'x'; 900]);
  let err = ks.mset(vec![(&low, b("new")), (&high, big)]).unwrap_err();
  assert_eq!(err, errors::oom());
  // The first shard's pair was undone: the old value (the same allocation) and its TTL.
  let (after, ttl) = ks.with_key(&low, |s| (s.get(&low).unwrap().unwrap().as_ptr() as usize, s.ttl(&low)));
  assert_eq!(before, after);
  assert!(ttl > 90, "{ttl}");
  assert_eq!(ks.exists(&[&high]), 0);
  assert_eq!(ks.size(), 1);
  // A key named twice ends with its last value; an mset clears TTLs.
  ks.mset(vec![(&low, b("1")), (&low, b("2"))]).unwrap();
  assert_eq!(ks.mget(&[&low]), vec![Some(b("2"))]);
  assert_eq!(ks.with_key(&low, |s| s.ttl(&low)), -1);
}
