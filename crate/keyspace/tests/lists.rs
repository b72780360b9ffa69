//! LPUSH, RPUSH, LPOP, RPOP, LRANGE, LLEN, LINDEX.

use super::*;
use crate::keyspace::lists::rank_range;

fn strs(v: Vec<Bytes>) -> Vec<String> {
  v.into_iter().map(|b| String::from_utf8(b.to_vec()).unwrap()).collect()
}

#[test]
fn push_is_variadic_and_returns_the_new_length() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.lpush("l", bs(&["a", "b", "c"])).unwrap(), 3);
  assert_eq!(
    strs(f.ks.lrange("l", 0, -1).unwrap().into_iter().cloned().collect::<Vec<_>>()),
    ["c", "b", "a"]
  );
  assert_eq!(f.ks.rpush("l", bs(&["x", "y"])).unwrap(), 5);
  assert_eq!(
    strs(f.ks.lrange("l", 0, -1).unwrap().into_iter().cloned().collect::<Vec<_>>()),
    ["c", "b", "a", "x", "y"]
  );
  assert_eq!(f.ks.llen("l").unwrap(), 5);
  assert_eq!(f.ks.llen("missing").unwrap(), 0);
  let e = f.ks.lpush("l", Vec::new()).unwrap_err();
  assert_eq!(message(&e), "ERR wrong number of arguments for 'lpush' command");
  f.check();
}

#[test]
fn pops_take_from_either_end_and_remove_the_emptied_key() {
  let mut f = Fixture::new();
  f.ks.rpush("l", bs(&["a", "b", "c"])).unwrap();
  assert_eq!(f.ks.lpop("l").unwrap(), Some(b("a")));
  assert_eq!(f.ks.rpop("l").unwrap(), Some(b("c")));
  f.check();
  assert_eq!(f.ks.rpop("l").unwrap(), Some(b("b")));
  assert_eq!(f.ks.exists(&["l"]), 0, "an emptied list is removed");
  assert_eq!(f.ks.kind("l"), None);
  assert_eq!(f.ks.lpop("l").unwrap(), None);
  assert_eq!(f.ks.rpop("missing").unwrap(), None);
  assert_eq!(f.ks.used_memory(), 0);
  f.check();
}

#[test]
fn lrange_follows_redis_index_rules() {
  let mut f = Fixture::new();
  f.ks.rpush("l", bs(&["0", "1", "2", "3", "4"])).unwrap();
  let r =
    |f: &mut Fixture, a, z| strs(f.ks.lrange("l", a, z).unwrap().into_iter().cloned().collect::<Vec<_>>());
  assert_eq!(r(&mut f, 0, 2), ["0", "1", "2"]);
  assert_eq!(r(&mut f, -2, -1), ["3", "4"]);
  assert_eq!(r(&mut f, -100, 1), ["0", "1"]);
  assert_eq!(r(&mut f, 3, 100), ["3", "4"]);
  assert!(r(&mut f, 3, 2).is_empty());
  assert!(r(&mut f, 5, 10).is_empty());
  assert!(r(&mut f, -1, -2).is_empty());
  assert!(r(&mut f, 0, -6).is_empty());
  assert_eq!(r(&mut f, i64::MIN, i64::MAX).len(), 5);
  assert!(f.ks.lrange("missing", 0, -1).unwrap().into_iter().cloned().collect::<Vec<_>>().is_empty());
  assert_eq!(rank_range(0, -1, 0), None);
}

#[test]
fn lindex_counts_from_either_end() {
  let mut f = Fixture::new();
  f.ks.rpush("l", bs(&["a", "b", "c"])).unwrap();
  assert_eq!(f.ks.lindex("l", 0).unwrap().cloned(), Some(b("a")));
  assert_eq!(f.ks.lindex("l", -1).unwrap().cloned(), Some(b("c")));
  assert_eq!(f.ks.lindex("l", -3).unwrap().cloned(), Some(b("a")));
  assert_eq!(f.ks.lindex("l", 3).unwrap().cloned(), None);
  assert_eq!(f.ks.lindex("l", -4).unwrap().cloned(), None);
  assert_eq!(f.ks.lindex("l", i64::MIN).unwrap().cloned(), None);
  assert_eq!(f.ks.lindex("missing", 0).unwrap().cloned(), None);
}

#[test]
fn list_commands_refuse_other_kinds_and_change_nothing() {
  let mut f = Fixture::new();
  f.ks.set("s", b("x"), SetOptions::default()).unwrap();
  let used = f.ks.used_memory();
  for e in [
    f.ks.lpush("s", bs(&["a"])).unwrap_err(),
    f.ks.rpush("s", bs(&["a"])).unwrap_err(),
    f.ks.lpop("s").unwrap_err(),
    f.ks.rpop("s").unwrap_err(),
    f.ks.lrange("s", 0, -1).unwrap_err(),
    f.ks.llen("s").unwrap_err(),
    f.ks.lindex("s", 0).unwrap_err(),
  ] {
    assert_eq!(code(&e), "WRONGTYPE");
  }
  assert_eq!(f.ks.get_owned("s").unwrap(), Some(b("x")));
  assert_eq!(f.ks.used_memory(), used);
}
