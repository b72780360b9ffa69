//! MGET and MSET: Redis's replies for missing keys and other kinds, MSET's
//! TTL clearing and last-value-wins, all-or-nothing under `maxmemory`, and
//! values that pack as SET packs them.

use super::*;

fn opts() -> SetOptions {
  SetOptions::default()
}

fn mget(f: &mut Fixture, keys: &[&str]) -> Vec<Option<Bytes>> {
  f.ks.mget(keys).into_iter().map(|v| v.map(Bytes::copy_from_slice)).collect()
}

#[test]
fn mget_answers_null_for_missing_keys_and_other_kinds() {
  let mut f = Fixture::new();
  f.ks.set("a", b("1"), opts()).unwrap();
  f.ks.rpush("l", bs(&["x"])).unwrap();
  assert_eq!(mget(&mut f, &["a", "missing", "l", "a"]), vec![Some(b("1")), None, None, Some(b("1"))]);
  // Counted as GET counts: the list is a hit (its key exists), as Redis.
  let info = f.ks.info();
  assert_eq!((info.keyspace_hits, info.keyspace_misses), (3, 1));
}

#[test]
fn mget_skips_and_removes_expired_keys() {
  let mut f = Fixture::new();
  f.ks.set("t", b("v"), SetOptions { px: Some(10), ..opts() }).unwrap();
  f.clock.advance(10);
  assert_eq!(mget(&mut f, &["t"]), vec![None]);
  assert_eq!(f.ks.size(), 0);
  assert_eq!(f.ks.info().expired_keys, 1);
}

#[test]
fn mget_finds_every_live_key_when_an_expired_one_among_them_is_removed() {
  let mut f = Fixture::new();
  // Enough keys that removals shrink the table and move entries about.
  let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
  for (i, k) in keys.iter().enumerate() {
    let px = (i % 3 == 0).then_some(10);
    f.ks.set(k, Bytes::from(format!("v{i}")), SetOptions { px, ..opts() }).unwrap();
  }
  f.clock.advance(10);
  let names: Vec<&str> = keys.iter().map(String::as_str).collect();
  let want: Vec<Option<Bytes>> =
    (0..200).map(|i| (i % 3 != 0).then(|| Bytes::from(format!("v{i}")))).collect();
  assert_eq!(mget(&mut f, &names), want);
  assert_eq!(f.ks.info().expired_keys, 67);
  f.check();
}

#[test]
fn mset_sets_every_pair_and_clears_ttls() {
  let mut f = Fixture::new();
  f.ks.set("a", b("old"), SetOptions { px: Some(10_000), ..opts() }).unwrap();
  f.ks.rpush("l", bs(&["x"])).unwrap();
  f.ks.mset(vec![("a", b("1")), ("b", b("2")), ("l", b("3"))]).unwrap();
  assert_eq!(mget(&mut f, &["a", "b", "l"]), vec![Some(b("1")), Some(b("2")), Some(b("3"))]);
  assert_eq!(f.ks.pttl("a"), -1, "MSET clears the TTL");
  assert_eq!(f.ks.info().expires, 0);
  f.check();
}

#[test]
fn mset_keeps_the_last_value_of_a_repeated_key() {
  let mut f = Fixture::new();
  f.ks.mset(vec![("k", b("first")), ("j", b("x")), ("k", b("last"))]).unwrap();
  assert_eq!(mget(&mut f, &["k", "j"]), vec![Some(b("last")), Some(b("x"))]);
  assert_eq!(f.ks.size(), 2);
  f.check();
}

#[test]
fn mset_overwrites_through_the_dropper() {
  let mut f = Fixture::new();
  f.ks.rpush("big", many(100)).unwrap();
  let before = f.stats().deferred;
  f.ks.mset(vec![("big", b("small"))]).unwrap();
  assert_eq!(f.stats().deferred, before + 1, "the replaced 100-element list went to the drop thread");
  f.drain();
  f.check();
}

#[test]
fn mset_is_all_or_nothing_under_maxmemory() {
  let one = entry_memory(3, crate::memory::STRING_BASE + 1);
  let mut f = Fixture::with(Config { max_memory: 3 * one, ..Default::default() });
  f.ks.set("k01", b("v"), opts()).unwrap();
  // Two new keys fit; three do not, and then none is written.
  let e = f.ks.mset(vec![("k02", b("v")), ("k03", b("v")), ("k04", b("v"))]).unwrap_err();
  assert_eq!(code(&e), "OOM");
  assert_eq!(f.ks.size(), 1);
  assert_eq!(mget(&mut f, &["k02", "k03", "k04"]), vec![None, None, None]);
  // Overwrites that shrink or keep the size count as what they add: nothing.
  f.ks.mset(vec![("k01", b("w")), ("k02", b("v")), ("k03", b("v"))]).unwrap();
  assert_eq!(f.ks.used_memory(), 3 * one);
  f.check();
}

#[test]
fn mset_evicts_for_the_whole_batch_but_never_its_own_keys() {
  let one = entry_memory(3, crate::memory::STRING_BASE + 1);
  let mut f =
    Fixture::with(Config { max_memory: 4 * one, policy: Policy::AllKeysRandom, ..Default::default() });
  for k in ["k01", "k02", "k03", "k04"] {
    f.ks.set(k, b("v"), opts()).unwrap();
  }
  f.ks.mset(vec![("k01", b("w")), ("k05", b("v")), ("k06", b("v"))]).unwrap();
  assert_eq!(f.ks.info().evicted_keys, 2);
  assert_eq!(mget(&mut f, &["k01", "k05", "k06"]), vec![Some(b("w")), Some(b("v")), Some(b("v"))]);
  assert!(f.ks.used_memory() <= 4 * one);
  f.check();
}

#[test]
fn mset_of_slices_stores_what_set_slice_stores() {
  // Values still in the caller's buffer pack into their entries as SET's
  // do; a long one and an owned one spill, as SET's would.
  let long = "x".repeat(200);
  let pairs: [(&str, &[u8]); 4] =
    [("short", b"v"), ("long", long.as_bytes()), ("text", "é中".as_bytes()), ("short", b"last")];
  let mut by_set = Fixture::new();
  for (key, value) in pairs {
    by_set.ks.set_slice(key, value, opts()).unwrap();
  }
  let mut by_mset = Fixture::new();
  let mut incoming: Vec<(&str, Incoming)> = pairs.iter().map(|&(k, v)| (k, Incoming::Str(v))).collect();
  incoming.push(("owned", Incoming::Value(Value::String(b("o")))));
  by_set.ks.set("owned", b("o"), opts()).unwrap();
  by_mset.ks.mset_incoming(incoming).unwrap();
  let keys = ["short", "long", "text", "owned"];
  assert_eq!(mget(&mut by_mset, &keys), mget(&mut by_set, &keys));
  assert_eq!(by_mset.ks.used_memory(), by_set.ks.used_memory(), "packed and spilled alike");
  by_mset.check();
}

#[test]
fn mset_writes_every_key_when_some_had_expired_and_others_are_new() {
  let mut f = Fixture::new();
  // Enough keys that the removals and inserts move entries about.
  let keys: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
  for (i, k) in keys.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
    let px = (i % 4 == 0).then_some(10);
    f.ks.set(k, Bytes::from(format!("old{i}")), SetOptions { px, ..opts() }).unwrap();
  }
  f.clock.advance(10);
  let values: Vec<Bytes> = (0..300).map(|i| Bytes::from(format!("new{i}"))).collect();
  f.ks.mset(keys.iter().map(String::as_str).zip(values.iter().cloned()).collect()).unwrap();
  let names: Vec<&str> = keys.iter().map(String::as_str).collect();
  assert_eq!(mget(&mut f, &names), values.into_iter().map(Some).collect::<Vec<_>>());
  assert_eq!(f.ks.info().expired_keys, 75, "the expired keys were removed, then written anew");
  assert_eq!(f.ks.info().expires, 0);
  f.check();
}
