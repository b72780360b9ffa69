//! SET and its options, GET, INCRBY, APPEND, STRLEN.

use super::*;
use crate::keyspace::strings::parse_i64;
use crate::memory::STRING_BASE;

fn opts() -> SetOptions {
  SetOptions::default()
}

#[test]
fn set_and_get() {
  let mut f = Fixture::new();
  assert!(f.ks.set("k", b("v"), opts()).unwrap());
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("v")));
  assert!(f.ks.set("k", b("w"), opts()).unwrap());
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("w")));
  assert!(f.ks.set("empty", Bytes::new(), opts()).unwrap());
  assert_eq!(f.ks.get_owned("empty").unwrap(), Some(Bytes::new()));
  assert_eq!(f.ks.size(), 2);
  f.check();
}

#[test]
fn set_nx_and_xx() {
  let mut f = Fixture::new();
  assert!(!f.ks.set("k", b("1"), SetOptions { xx: true, ..opts() }).unwrap());
  assert_eq!(f.ks.get_owned("k").unwrap(), None);
  assert!(f.ks.set("k", b("1"), SetOptions { nx: true, ..opts() }).unwrap());
  assert!(!f.ks.set("k", b("2"), SetOptions { nx: true, ..opts() }).unwrap());
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("1")));
  assert!(f.ks.set("k", b("3"), SetOptions { xx: true, ..opts() }).unwrap());
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("3")));
}

#[test]
fn set_nx_treats_an_expired_key_as_missing() {
  let mut f = Fixture::new();
  f.ks.set("k", b("old"), SetOptions { px: Some(100), ..opts() }).unwrap();
  f.clock.advance(100);
  assert!(f.ks.set("k", b("new"), SetOptions { nx: true, ..opts() }).unwrap());
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("new")));
  assert_eq!(f.ks.pttl("k"), -1);
  assert_eq!(f.ks.info().expired_keys, 1);
}

#[test]
fn set_ex_px_keepttl_and_plain_set_clears_the_ttl() {
  let mut f = Fixture::new();
  f.ks.set("k", b("v"), SetOptions { ex: Some(10), ..opts() }).unwrap();
  assert_eq!(f.ks.pttl("k"), 10_000);
  assert_eq!(f.ks.ttl("k"), 10);
  f.ks.set("k", b("v"), SetOptions { px: Some(1500), ..opts() }).unwrap();
  assert_eq!(f.ks.pttl("k"), 1500);
  f.ks.set("k", b("w"), SetOptions { keep_ttl: true, ..opts() }).unwrap();
  assert_eq!(f.ks.pttl("k"), 1500);
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("w")));
  f.ks.set("k", b("x"), opts()).unwrap();
  assert_eq!(f.ks.pttl("k"), -1);
  assert_eq!(f.ks.info().expires, 0);
  // keepTtl on a new key: no TTL.
  f.ks.set("n", b("x"), SetOptions { keep_ttl: true, ..opts() }).unwrap();
  assert_eq!(f.ks.pttl("n"), -1);
  f.check();
}

#[test]
fn set_refuses_bad_expire_times_and_conflicting_options() {
  let mut f = Fixture::new();
  f.ks.set("k", b("keep"), opts()).unwrap();
  let invalid = "ERR invalid expire time in 'set' command";
  for o in [
    SetOptions { ex: Some(0), ..opts() },
    SetOptions { ex: Some(-1), ..opts() },
    SetOptions { px: Some(0), ..opts() },
    SetOptions { px: Some(-5), ..opts() },
    SetOptions { ex: Some(i64::MAX), ..opts() },
    SetOptions { px: Some(i64::MAX), ..opts() },
  ] {
    let e = f.ks.set("k", b("new"), o).unwrap_err();
    assert_eq!((code(&e), message(&e).as_str()), ("ERR", invalid), "{o:?}");
  }
  for o in [
    SetOptions { nx: true, xx: true, ..opts() },
    SetOptions { ex: Some(1), px: Some(1), ..opts() },
    SetOptions { ex: Some(1), keep_ttl: true, ..opts() },
    SetOptions { px: Some(1), keep_ttl: true, ..opts() },
  ] {
    let e = f.ks.set("k", b("new"), o).unwrap_err();
    assert_eq!(message(&e), "ERR syntax error", "{o:?}");
  }
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("keep")), "a refused SET changes nothing");
  assert_eq!(f.ks.pttl("k"), -1);
}

#[test]
fn set_overwrites_any_kind() {
  let mut f = Fixture::new();
  f.ks.rpush("k", bs(&["a", "b"])).unwrap();
  f.ks.set("k", b("s"), opts()).unwrap();
  assert_eq!(f.ks.kind("k"), Some(Kind::String));
  f.check();
}

#[test]
fn get_and_strlen_refuse_other_kinds() {
  let mut f = Fixture::new();
  f.ks.sadd("s", bs(&["a"])).unwrap();
  let e = f.ks.get("s").unwrap_err();
  assert_eq!(code(&e), "WRONGTYPE");
  assert_eq!(message(&e), "WRONGTYPE Operation against a key holding the wrong kind of value");
  assert_eq!(code(&f.ks.strlen("s").unwrap_err()), "WRONGTYPE");
  assert_eq!(code(&f.ks.append("s", b"x").unwrap_err()), "WRONGTYPE");
  assert_eq!(code(&f.ks.incrby("s", 1).unwrap_err()), "WRONGTYPE");
}

#[test]
fn strlen_counts_bytes() {
  let mut f = Fixture::new();
  f.ks.set("k", b("héllo"), opts()).unwrap();
  assert_eq!(f.ks.strlen("k").unwrap(), 6);
  assert_eq!(f.ks.strlen("missing").unwrap(), 0);
}

#[test]
fn incrby_creates_adds_and_keeps_the_ttl() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.incrby("n", 5).unwrap(), 5);
  assert_eq!(f.ks.incrby("n", -7).unwrap(), -2);
  assert_eq!(f.ks.get_owned("n").unwrap(), Some(b("-2")));
  f.ks.pexpire("n", 5000).unwrap();
  assert_eq!(f.ks.incrby("n", 1000).unwrap(), 998);
  assert_eq!(f.ks.pttl("n"), 5000);
  f.ks.set("big", b("9223372036854775806"), opts()).unwrap();
  assert_eq!(f.ks.incrby("big", 1).unwrap(), i64::MAX);
  f.check();
}

#[test]
fn incrby_refuses_non_integers_and_overflow_without_changing_anything() {
  let mut f = Fixture::new();
  for text in ["abc", "1.5", " 1", "1 ", "+1", "01", "-0", "", "-", "9223372036854775808"] {
    f.ks.set("k", b(text), opts()).unwrap();
    let e = f.ks.incrby("k", 1).unwrap_err();
    assert_eq!(message(&e), "ERR value is not an integer or out of range", "{text:?}");
    assert_eq!(f.ks.get_owned("k").unwrap(), Some(b(text)));
  }
  f.ks.set("k", b("9223372036854775807"), opts()).unwrap();
  let e = f.ks.incrby("k", 1).unwrap_err();
  assert_eq!((code(&e), message(&e).as_str()), ("ERR", "ERR increment or decrement would overflow"));
  f.ks.set("k", b("-9223372036854775808"), opts()).unwrap();
  assert_eq!(code(&f.ks.incrby("k", -1).unwrap_err()), "ERR");
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("-9223372036854775808")));
}

#[test]
fn parse_i64_follows_string2ll() {
  assert_eq!(parse_i64(b"0"), Some(0));
  assert_eq!(parse_i64(b"-1"), Some(-1));
  assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
  assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
  assert_eq!(parse_i64(b"-9223372036854775809"), None);
  assert_eq!(parse_i64(b"99999999999999999999999"), None);
  assert_eq!(parse_i64(b"00"), None);
}

#[test]
fn append_creates_and_extends() {
  let mut f = Fixture::new();
  assert_eq!(f.ks.append("k", b"hello").unwrap(), 5);
  assert_eq!(f.ks.append("k", b" world").unwrap(), 11);
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("hello world")));
  // A reader's copy is not disturbed by a later append.
  let held = f.ks.get_owned("k").unwrap().unwrap();
  assert_eq!(f.ks.append("k", b"!").unwrap(), 12);
  assert_eq!(held, b("hello world"));
  assert_eq!(f.ks.get_owned("k").unwrap(), Some(b("hello world!")));
  assert_eq!(f.ks.append("k", b"").unwrap(), 12);
  f.check();
}

#[test]
fn every_string_write_shares_redis_512_mib_limit() {
  use crate::memory::MAX_STRING_BYTES;
  // Zeroed allocations: the pages are never touched, so this costs nothing.
  let at_limit = || Bytes::from(vec![0u8; MAX_STRING_BYTES]);
  let over = || Bytes::from(vec![0u8; MAX_STRING_BYTES + 1]);
  let mut f = Fixture::new();
  let e = f.ks.set("k", over(), opts()).unwrap_err();
  assert_eq!(message(&e), "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  assert_eq!(f.ks.size(), 0);
  let e = f.ks.set_value("k", Value::String(over()), STRING_BASE + MAX_STRING_BYTES + 1).unwrap_err();
  assert_eq!(message(&e.error), "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  assert_eq!(e.value.len(), MAX_STRING_BYTES + 1, "the refused value is handed back whole");
  assert_eq!(f.ks.size(), 0);
  assert!(f.ks.set("k", at_limit(), opts()).unwrap());
  let e = f.ks.append("k", b"x").unwrap_err();
  assert_eq!(message(&e), "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  assert_eq!(f.ks.strlen("k").unwrap(), MAX_STRING_BYTES);
  f.check();
}

#[test]
fn incrby_checked_refuses_a_result_its_caller_cannot_reply_and_changes_nothing() {
  let mut f = Fixture::new();
  f.ks.set("n", b("9007199254740991"), opts()).unwrap();
  let safe = |v: i64| {
    if v.unsigned_abs() < (1 << 53) {
      Ok(())
    } else {
      Err(crate::error::LfError::Range(format!("{v} is not safe")))
    }
  };
  let e = f.ks.incrby_checked("n", 1, safe).unwrap_err();
  assert_eq!(message(&e), "9007199254740992 is not safe");
  assert_eq!(f.ks.get_owned("n").unwrap(), Some(b("9007199254740991")));
  // Missing keys are not created by a refused increment.
  assert!(f.ks.incrby_checked("m", 1 << 60, safe).is_err());
  assert_eq!(f.ks.exists(&["m"]), 0);
  assert_eq!(f.ks.incrby_checked("n", -1, safe).unwrap(), 9007199254740990);
  assert_eq!(f.ks.incrby("n", 2).unwrap(), 9007199254740992);
  f.check();
}

/// A clock that counts how often it is read.
struct CountingClock(ManualClock, std::sync::atomic::AtomicUsize);

impl Clock for CountingClock {
  fn now_ms(&self) -> u64 {
    self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    self.0.now_ms()
  }
}

#[test]
fn reads_and_writes_of_keys_without_a_ttl_never_read_the_clock() {
  let clock = Arc::new(CountingClock(ManualClock::new(T0), Default::default()));
  let dropper = Arc::new(Dropper::spawn(Options::default()));
  let mut ks = Keyspace::with_clock(Config { seed: Some(1), ..Default::default() }, dropper, clock.clone());
  let reads = || clock.1.load(std::sync::atomic::Ordering::Relaxed);
  ks.set("k", b("v"), SetOptions::default()).unwrap();
  ks.set("k", b("w"), SetOptions::default()).unwrap();
  assert_eq!(ks.get("k").unwrap(), Some(&b"w"[..]));
  assert_eq!(ks.mget(&["k", "missing"]), vec![Some(&b"w"[..]), None]);
  assert_eq!(reads(), 0);
  // A TTL needs the time: to set it, and to check it on every read.
  ks.set("t", b("v"), SetOptions { px: Some(100), ..Default::default() }).unwrap();
  assert_eq!(reads(), 1);
  ks.get("t").unwrap();
  assert_eq!(reads(), 2);
  clock.0.advance(100);
  assert_eq!(ks.get("t").unwrap(), None);
}
