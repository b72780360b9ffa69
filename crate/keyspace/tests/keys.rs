//! EXISTS, TYPE, DEL, UNLINK, RENAME, KEYS, FLUSH, setValue, takeValue.

use std::collections::{HashSet, VecDeque};

use super::*;

fn sorted(keys: Vec<Key>) -> Vec<String> {
  let mut v: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
  v.sort();
  v
}

#[test]
fn exists_counts_repeats_and_type_names_kinds() {
  let mut f = Fixture::new();
  f.ks.set("s", b("v"), SetOptions::default()).unwrap();
  f.ks.rpush("l", bs(&["a"])).unwrap();
  f.ks.hset("h", vec![(b("f"), b("v"))]).unwrap();
  f.ks.sadd("S", bs(&["a"])).unwrap();
  f.ks.zadd("z", vec![(1.0, b("a"))]).unwrap();
  assert_eq!(f.ks.exists(&["s", "s", "nope", "l"]), 3);
  assert_eq!(f.ks.exists(&[]), 0);
  let kinds: Vec<_> =
    ["s", "l", "h", "S", "z", "nope"].iter().map(|k| f.ks.kind(k).map(Kind::name)).collect();
  assert_eq!(kinds, [Some("string"), Some("list"), Some("hash"), Some("set"), Some("zset"), None]);
  assert_eq!(f.ks.size(), 5);
}

#[test]
fn del_and_unlink_count_what_existed() {
  let mut f = Fixture::new();
  for k in ["a", "b", "c"] {
    f.ks.set(k, b("v"), SetOptions::default()).unwrap();
  }
  assert_eq!(f.ks.del(&["a", "a", "zz"]), 1);
  assert_eq!(f.ks.unlink(&["b", "c", "b"]), 2);
  assert_eq!(f.ks.size(), 0);
  assert_eq!(f.ks.used_memory(), 0);
  f.check();
}

#[test]
fn rename_moves_value_and_ttl_and_replaces_the_target() {
  let mut f = Fixture::new();
  f.ks.set("a", b("1"), SetOptions { px: Some(5000), ..Default::default() }).unwrap();
  f.ks.rpush("b", bs(&["x"])).unwrap();
  f.ks.rename("a", "b").unwrap();
  assert_eq!(f.ks.get_owned("b").unwrap(), Some(b("1")));
  assert_eq!(f.ks.pttl("b"), 5000);
  assert_eq!(f.ks.exists(&["a"]), 0);
  assert_eq!(f.ks.size(), 1);
  f.check();
  // To a longer name: the entry's cost follows its key.
  f.ks.rename("b", "a-much-longer-name").unwrap();
  f.check();
  // Onto itself: nothing changes.
  f.ks.rename("a-much-longer-name", "a-much-longer-name").unwrap();
  assert_eq!(f.ks.pttl("a-much-longer-name"), 5000);
}

#[test]
fn rename_of_a_missing_key_is_err_no_such_key() {
  let mut f = Fixture::new();
  f.ks.set("t", b("v"), SetOptions::default()).unwrap();
  for (from, to) in [("nope", "t"), ("nope", "nope")] {
    let e = f.ks.rename(from, to).unwrap_err();
    assert_eq!((code(&e), message(&e).as_str()), ("ERR", "ERR no such key"));
  }
  assert_eq!(f.ks.get_owned("t").unwrap(), Some(b("v")));
  // An expired source is missing too.
  f.ks.set("gone", b("v"), SetOptions { px: Some(1), ..Default::default() }).unwrap();
  f.clock.advance(1);
  assert_eq!(code(&f.ks.rename("gone", "t").unwrap_err()), "ERR");
  assert_eq!(f.ks.get_owned("t").unwrap(), Some(b("v")));
}

#[test]
fn keys_matches_globs_and_skips_expired_keys() {
  let mut f = Fixture::new();
  for k in ["user:1", "user:2", "user:10", "session:1", "hello", "hallo", "hxllo"] {
    f.ks.set(k, b("v"), SetOptions::default()).unwrap();
  }
  f.ks.set("user:old", b("v"), SetOptions { px: Some(10), ..Default::default() }).unwrap();
  assert_eq!(sorted(f.ks.keys("user:?")), ["user:1", "user:2"]);
  assert_eq!(sorted(f.ks.keys("user:*")), ["user:1", "user:10", "user:2", "user:old"]);
  assert_eq!(sorted(f.ks.keys("h[ae]llo")), ["hallo", "hello"]);
  assert_eq!(sorted(f.ks.keys("h[^e]llo")), ["hallo", "hxllo"]);
  assert_eq!(f.ks.keys("*").len(), 8);
  f.ks.set("", b("empty key"), SetOptions::default()).unwrap();
  assert_eq!(f.ks.keys("*").len(), 9, "'*' lists the empty key too");
  f.ks.del(&[""]);
  assert!(f.ks.keys("nomatch*").is_empty());
  f.clock.advance(10);
  assert_eq!(f.ks.keys("*").len(), 7);
  assert_eq!(sorted(f.ks.keys("user:*")), ["user:1", "user:10", "user:2"]);
}

#[test]
fn flush_async_hands_the_whole_table_over_in_one_message() {
  let mut f = Fixture::new();
  for i in 0..10 {
    f.ks.set(&format!("k{i}"), b("v"), SetOptions::default()).unwrap();
  }
  let release = hold(&f.dropper);
  let used = f.ks.used_memory();
  assert!(f.ks.flush(Some(true)));
  assert_eq!(f.ks.size(), 0);
  let s = f.stats();
  assert_eq!((s.deferred, s.queued), (1 + 10, 1), "one message, counted per key");
  assert_eq!(f.ks.used_memory(), used, "flushed bytes stay used until freed");
  assert_eq!(f.ks.info().lazyfree_pending_objects, 11);
  drop(release);
  f.drain();
  assert_eq!(f.ks.used_memory(), 0);
  assert_eq!(f.ks.info().lazyfreed_objects, 11);
  // Flushing nothing hands nothing over.
  assert!(!f.ks.flush(Some(true)));
  assert_eq!(f.stats().deferred, 11);
}

#[test]
fn flush_sync_frees_inline_and_plain_flush_follows_user_flush() {
  let mut f = Fixture::new();
  f.ks.set("a", b("v"), SetOptions::default()).unwrap();
  assert!(!f.ks.flush(Some(false)));
  assert_eq!((f.ks.size(), f.ks.used_memory(), f.stats().deferred), (0, 0, 0));
  f.ks.set("a", b("v"), SetOptions::default()).unwrap();
  assert!(f.ks.flush(None), "userFlush defaults to on");
  f.drain();
  assert_eq!(f.stats().deferred, 1);

  let mut g = Fixture::with(Config {
    lazyfree: LazyFree { user_flush: false, ..Default::default() },
    ..Default::default()
  });
  g.ks.set("a", b("v"), SetOptions::default()).unwrap();
  assert!(!g.ks.flush(None));
  assert_eq!(g.stats().deferred, 0);
  g.ks.set("a", b("v"), SetOptions::default()).unwrap();
  assert!(g.ks.flush(Some(true)), "an explicit async wins over the switch");
}

#[test]
fn set_value_moves_a_value_in_and_take_value_moves_it_out() {
  let mut f = Fixture::new();
  let list = Value::List(many(3).into_iter().collect::<VecDeque<_>>());
  let bytes = crate::memory::estimate(&list);
  f.ks.set_value("l", list.clone(), bytes).unwrap();
  assert_eq!(f.ks.llen("l").unwrap(), 3);
  f.check();
  f.ks.pexpire("l", 1000).unwrap();
  let set = Value::Set(many(2).into_iter().collect::<HashSet<_>>());
  f.ks.set_value("l", set.clone(), crate::memory::estimate(&set)).unwrap();
  assert_eq!(f.ks.kind("l"), Some(Kind::Set));
  assert_eq!(f.ks.pttl("l"), -1, "setValue clears the TTL as SET does");
  f.check();
  let (taken, taken_bytes) = f.ks.take_value("l").unwrap();
  assert_eq!(taken, set);
  assert_eq!(taken_bytes, crate::memory::estimate(&set));
  assert_eq!(f.ks.size(), 0);
  assert_eq!(f.ks.used_memory(), 0);
  assert!(f.ks.take_value("l").is_none());
  f.check();
}

#[test]
fn set_value_of_an_empty_collection_removes_the_key() {
  let mut f = Fixture::new();
  f.ks.set("k", b("v"), SetOptions::default()).unwrap();
  f.ks.set_value("k", Value::List(VecDeque::new()), crate::memory::LIST_BASE).unwrap();
  assert_eq!(f.ks.exists(&["k"]), 0);
  f.ks.set_value("k", Value::String(Bytes::new()), crate::memory::STRING_BASE).unwrap();
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(Bytes::new()), "an empty string is a value");
  f.check();
}

#[test]
fn take_value_of_an_expired_key_is_none() {
  let mut f = Fixture::new();
  f.ks.set("k", b("v"), SetOptions { px: Some(5), ..Default::default() }).unwrap();
  f.clock.advance(5);
  assert!(f.ks.take_value("k").is_none());
  assert_eq!(f.ks.info().expired_keys, 1);
}
