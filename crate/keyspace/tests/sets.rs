//! SADD, SREM, SMEMBERS, SISMEMBER, SCARD.

use super::*;

#[test]
fn sadd_counts_new_members_once() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.sadd("s", bs(&["a", "b", "a"])).unwrap(), 2);
  assert_eq!(f.ks.sadd("s", bs(&["b", "c", "c"])).unwrap(), 1);
  assert_eq!(f.ks.scard("s").unwrap(), 3);
  let mut m = f.ks.smembers("s").unwrap().into_iter().cloned().collect::<Vec<_>>();
  m.sort();
  assert_eq!(m, bs(&["a", "b", "c"]));
  assert_eq!(code(&f.ks.sadd("s", Vec::new()).unwrap_err()), "ERR");
  f.check();
}

#[test]
fn sismember_and_missing_keys() {
  let mut f = Fixture::new();
  f.ks.sadd("s", bs(&["a"])).unwrap();
  assert!(f.ks.sismember("s", b"a").unwrap());
  assert!(!f.ks.sismember("s", b"b").unwrap());
  assert!(!f.ks.sismember("missing", b"a").unwrap());
  assert_eq!(f.ks.scard("missing").unwrap(), 0);
  assert!(f.ks.smembers("missing").unwrap().into_iter().cloned().collect::<Vec<_>>().is_empty());
}

#[test]
fn srem_removes_members_and_the_emptied_key() {
  let mut f = Fixture::new();
  f.ks.sadd("s", bs(&["a", "b"])).unwrap();
  assert_eq!(f.ks.srem("s", &[b"a", b"a", b"x"]).unwrap(), 1);
  f.check();
  assert_eq!(f.ks.srem("s", &[b"b"]).unwrap(), 1);
  assert_eq!(f.ks.kind("s"), None);
  assert_eq!(f.ks.srem("s", &[b"b"]).unwrap(), 0);
  assert_eq!(f.ks.used_memory(), 0);
}

#[test]
fn set_commands_refuse_other_kinds() {
  let mut f = Fixture::new();
  f.ks.set("k", b("v"), SetOptions::default()).unwrap();
  for e in [
    f.ks.sadd("k", bs(&["a"])).unwrap_err(),
    f.ks.srem("k", &[b"a"]).unwrap_err(),
    f.ks.smembers("k").unwrap_err(),
    f.ks.sismember("k", b"a").unwrap_err(),
    f.ks.scard("k").unwrap_err(),
  ] {
    assert_eq!(code(&e), "WRONGTYPE");
  }
}
