//! HSET, HGET, HDEL, HGETALL, HLEN, HEXISTS.

use super::*;

fn pairs(items: &[(&str, &str)]) -> Vec<(Bytes, Bytes)> {
  items.iter().map(|(f, v)| (b(f), b(v))).collect()
}

#[test]
fn hset_counts_new_fields_and_overwrites_old_ones() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.hset("h", pairs(&[("a", "1"), ("b", "2")])).unwrap(), 2);
  assert_eq!(f.ks.hset("h", pairs(&[("a", "10"), ("c", "3")])).unwrap(), 1);
  assert_eq!(f.ks.hget("h", b"a").unwrap().cloned(), Some(b("10")));
  assert_eq!(f.ks.hlen("h").unwrap(), 3);
  f.check();
}

#[test]
fn a_field_repeated_in_one_hset_counts_once_and_keeps_its_last_value() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.hset("h", pairs(&[("f", "1"), ("f", "22"), ("g", "x")])).unwrap(), 2);
  assert_eq!(f.ks.hget("h", b"f").unwrap().cloned(), Some(b("22")));
  assert_eq!(f.ks.hset("h", pairs(&[("f", "333"), ("f", "4")])).unwrap(), 0);
  assert_eq!(f.ks.hget("h", b"f").unwrap().cloned(), Some(b("4")));
  f.check();
  assert_eq!(
    message(&f.ks.hset("h", Vec::new()).unwrap_err()),
    "ERR wrong number of arguments for 'hset' command"
  );
}

#[test]
fn hget_hexists_hgetall_on_present_and_missing() {
  let mut f = Fixture::new();
  f.ks.hset("h", pairs(&[("a", "1"), ("b", "2")])).unwrap();
  assert_eq!(f.ks.hget("h", b"zz").unwrap().cloned(), None);
  assert_eq!(f.ks.hget("missing", b"a").unwrap().cloned(), None);
  assert!(f.ks.hexists("h", b"a").unwrap());
  assert!(!f.ks.hexists("h", b"zz").unwrap());
  assert!(!f.ks.hexists("missing", b"a").unwrap());
  let mut all =
    f.ks.hgetall("h").unwrap().into_iter().map(|(f, v)| (f.clone(), v.clone())).collect::<Vec<_>>();
  all.sort();
  assert_eq!(all, pairs(&[("a", "1"), ("b", "2")]));
  assert!(f
    .ks
    .hgetall("missing")
    .unwrap()
    .into_iter()
    .map(|(f, v)| (f.clone(), v.clone()))
    .collect::<Vec<_>>()
    .is_empty());
  assert_eq!(f.ks.hlen("missing").unwrap(), 0);
}

#[test]
fn hdel_removes_fields_and_the_emptied_key() {
  let mut f = Fixture::new();
  f.ks.hset("h", pairs(&[("a", "1"), ("b", "2")])).unwrap();
  assert_eq!(f.ks.hdel("h", &[b"a", b"a", b"zz"]).unwrap(), 1);
  f.check();
  assert_eq!(f.ks.hdel("h", &[b"b"]).unwrap(), 1);
  assert_eq!(f.ks.exists(&["h"]), 0);
  assert_eq!(f.ks.hdel("h", &[b"b"]).unwrap(), 0);
  assert_eq!(code(&f.ks.hdel("h", &[]).unwrap_err()), "ERR");
  assert_eq!(f.ks.used_memory(), 0);
  f.check();
}

#[test]
fn hash_commands_refuse_other_kinds() {
  let mut f = Fixture::new();
  f.ks.rpush("l", bs(&["a"])).unwrap();
  for e in [
    f.ks.hset("l", pairs(&[("a", "1")])).unwrap_err(),
    f.ks.hget("l", b"a").unwrap_err(),
    f.ks.hdel("l", &[b"a"]).unwrap_err(),
    f.ks.hgetall("l").unwrap_err(),
    f.ks.hlen("l").unwrap_err(),
    f.ks.hexists("l", b"a").unwrap_err(),
  ] {
    assert_eq!(code(&e), "WRONGTYPE");
  }
  assert_eq!(f.ks.llen("l").unwrap(), 1);
}
