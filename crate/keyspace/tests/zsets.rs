//! ZADD, ZREM, ZSCORE, ZRANGE, ZCARD, ZINCRBY.

use super::*;

fn scored(items: &[(f64, &str)]) -> Vec<(f64, Bytes)> {
  items.iter().map(|(s, m)| (*s, b(m))).collect()
}

fn members(v: Vec<(Bytes, f64)>) -> Vec<(String, f64)> {
  v.into_iter().map(|(m, s)| (String::from_utf8(m.to_vec()).unwrap(), s)).collect()
}

#[test]
fn zadd_counts_new_members_and_updates_scores() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.zadd("z", scored(&[(1.0, "a"), (2.0, "b")])).unwrap(), 2);
  assert_eq!(f.ks.zadd("z", scored(&[(5.0, "a"), (3.0, "c"), (4.0, "c")])).unwrap(), 1);
  assert_eq!(f.ks.zscore("z", b"a").unwrap(), Some(5.0));
  assert_eq!(f.ks.zscore("z", b"c").unwrap(), Some(4.0), "the last score of a repeated member wins");
  assert_eq!(f.ks.zcard("z").unwrap(), 3);
  assert_eq!(f.ks.zscore("z", b"nope").unwrap(), None);
  assert_eq!(f.ks.zscore("missing", b"a").unwrap(), None);
  assert_eq!(f.ks.zcard("missing").unwrap(), 0);
  f.check();
}

#[test]
fn zadd_refuses_nan_and_changes_nothing() {
  let mut f = Fixture::new();
  f.ks.zadd("z", scored(&[(1.0, "a")])).unwrap();
  let e = f.ks.zadd("z", scored(&[(2.0, "b"), (f64::NAN, "c")])).unwrap_err();
  assert_eq!(message(&e), "ERR value is not a valid float");
  assert_eq!(f.ks.zcard("z").unwrap(), 1);
  assert_eq!(code(&f.ks.zadd("z", Vec::new()).unwrap_err()), "ERR");
  assert_eq!(f.ks.zadd("inf", scored(&[(f64::INFINITY, "x"), (f64::NEG_INFINITY, "y")])).unwrap(), 2);
}

#[test]
fn zrange_orders_by_score_then_member_with_redis_indexes() {
  let mut f = Fixture::new();
  f.ks.zadd("z", scored(&[(2.0, "b"), (1.0, "z"), (2.0, "a"), (-1.0, "m"), (10.0, "q")])).unwrap();
  let all =
    members(f.ks.zrange("z", 0, -1).unwrap().into_iter().map(|(m, s)| (m.clone(), s)).collect::<Vec<_>>());
  let names: Vec<&str> = all.iter().map(|(m, _)| m.as_str()).collect();
  assert_eq!(names, ["m", "z", "a", "b", "q"]);
  assert_eq!(all[0].1, -1.0);
  assert_eq!(
    members(f.ks.zrange("z", 1, 2).unwrap().into_iter().map(|(m, s)| (m.clone(), s)).collect::<Vec<_>>()),
    [("z".into(), 1.0), ("a".into(), 2.0)]
  );
  // Near the end: walked from the back.
  assert_eq!(
    members(f.ks.zrange("z", -2, -1).unwrap().into_iter().map(|(m, s)| (m.clone(), s)).collect::<Vec<_>>()),
    [("b".into(), 2.0), ("q".into(), 10.0)]
  );
  assert_eq!(
    members(f.ks.zrange("z", 3, 100).unwrap().into_iter().map(|(m, s)| (m.clone(), s)).collect::<Vec<_>>())
      .len(),
    2
  );
  assert!(f
    .ks
    .zrange("z", 4, 3)
    .unwrap()
    .into_iter()
    .map(|(m, s)| (m.clone(), s))
    .collect::<Vec<_>>()
    .is_empty());
  assert!(f
    .ks
    .zrange("z", 5, 9)
    .unwrap()
    .into_iter()
    .map(|(m, s)| (m.clone(), s))
    .collect::<Vec<_>>()
    .is_empty());
  assert!(f
    .ks
    .zrange("missing", 0, -1)
    .unwrap()
    .into_iter()
    .map(|(m, s)| (m.clone(), s))
    .collect::<Vec<_>>()
    .is_empty());
  // Every window agrees with the full order.
  for a in -6..6 {
    for z in -6..6 {
      let got =
        members(f.ks.zrange("z", a, z).unwrap().into_iter().map(|(m, s)| (m.clone(), s)).collect::<Vec<_>>());
      let expect: Vec<_> = match crate::keyspace::lists::rank_range(a, z, 5) {
        Some((s, e)) => all[s..=e].to_vec(),
        None => Vec::new(),
      };
      assert_eq!(got, expect, "zrange {a} {z}");
    }
  }
}

#[test]
fn zrem_removes_members_and_the_emptied_key() {
  let mut f = Fixture::new();
  f.ks.zadd("z", scored(&[(1.0, "a"), (2.0, "b")])).unwrap();
  assert_eq!(f.ks.zrem("z", &[b"a", b"a", b"x"]).unwrap(), 1);
  f.check();
  assert_eq!(f.ks.zrem("z", &[b"b"]).unwrap(), 1);
  assert_eq!(f.ks.kind("z"), None);
  assert_eq!(f.ks.zrem("z", &[b"b"]).unwrap(), 0);
  assert_eq!(f.ks.used_memory(), 0);
}

#[test]
fn zincrby_creates_adds_and_refuses_nan() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.zincrby("z", 2.5, b("a")).unwrap(), 2.5);
  assert_eq!(f.ks.zincrby("z", -1.0, b("a")).unwrap(), 1.5);
  assert_eq!(f.ks.zincrby("z", 1.0, b("b")).unwrap(), 1.0);
  assert_eq!(f.ks.zcard("z").unwrap(), 2);
  f.ks.zincrby("z", f64::INFINITY, b("a")).unwrap();
  let e = f.ks.zincrby("z", f64::NEG_INFINITY, b("a")).unwrap_err();
  assert_eq!((code(&e), message(&e).as_str()), ("ERR", "ERR resulting score is not a number (NaN)"));
  assert_eq!(f.ks.zscore("z", b"a").unwrap(), Some(f64::INFINITY));
  assert_eq!(message(&f.ks.zincrby("z", f64::NAN, b("a")).unwrap_err()), "ERR value is not a valid float");
  f.check();
}

#[test]
fn zset_commands_refuse_other_kinds() {
  let mut f = Fixture::new();
  f.ks.sadd("s", bs(&["a"])).unwrap();
  for e in [
    f.ks.zadd("s", scored(&[(1.0, "a")])).unwrap_err(),
    f.ks.zrem("s", &[b"a"]).unwrap_err(),
    f.ks.zscore("s", b"a").unwrap_err(),
    f.ks.zrange("s", 0, -1).unwrap_err(),
    f.ks.zcard("s").unwrap_err(),
    f.ks.zincrby("s", 1.0, b("a")).unwrap_err(),
  ] {
    assert_eq!(code(&e), "WRONGTYPE");
  }
}
