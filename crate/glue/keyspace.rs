//! `KeyspaceHandle`: the JavaScript object over one `keyspace::Keyspace`.
//!
//! Thin by design: arguments are converted with `convert` (keys arrive as
//! strings, values as scalars by the contract's rules), each method calls one
//! keyspace command, and replies go back as strings — or `Buffer`s when the
//! keyspace was made with `returnBuffers` — with errors thrown through
//! `errors`. The facade's `Keyspace` checks argument shapes first and gives
//! the replies their final form. A handle collected while it still holds
//! keys hands its whole table to its dropper, so a finalizer never frees a
//! big keyspace on the JavaScript thread.

use std::cell::{RefCell, RefMut};
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::LfError;
use crate::glue::convert::Converter;
use crate::glue::dropper::DropperHandle;
use crate::glue::errors::{conv, report_spawn_error, throw};
use crate::glue::fast::{self, KsCell};
use crate::glue::js::{Js, RawJs};
use crate::glue::native_value::NativeHandle;
use crate::glue::reply::{
  array, bulk, hgetall_reply, i64_of, int, ok, optional, safe_integer_result, scan_kind,
};
use crate::keyspace::{Config, Keyspace, LazyFree, Policy, SetOptions};
use crate::value::Value;

/// How a keyspace is made; the facade validates and fills every field.
#[napi(object)]
pub struct KeyspaceConfig {
  /// Bytes; 0 means no limit.
  pub max_memory: f64,
  /// One of Redis's `maxmemory-policy` names.
  pub policy: String,
  pub eviction: bool,
  pub expire: bool,
  pub server_del: bool,
  pub user_del: bool,
  pub user_flush: bool,
  pub return_buffers: bool,
}

/// What `Keyspace#info` reports, with Redis's field names. The facade's
/// `KeyspaceInfo` is this type: these docs are the published ones.
#[napi(object)]
pub struct KeyspaceInfo {
  /// Keys held (DBSIZE).
  pub keys: f64,
  /// Keys with a TTL.
  pub expires: f64,
  /// Bytes held by the entries (key + value estimate + fixed overhead each), plus bytes the dropper has not freed yet.
  #[napi(js_name = "used_memory")]
  pub used_memory: f64,
  /// The limit in bytes; 0 for none.
  pub maxmemory: f64,
  /// Keys evicted to make room, ever.
  #[napi(js_name = "evicted_keys")]
  pub evicted_keys: f64,
  /// Keys removed because their TTL passed, ever.
  #[napi(js_name = "expired_keys")]
  pub expired_keys: f64,
  /// Reads that found their key.
  #[napi(js_name = "keyspace_hits")]
  pub keyspace_hits: f64,
  /// Reads that did not.
  #[napi(js_name = "keyspace_misses")]
  pub keyspace_misses: f64,
  /// The dropper's values not yet freed.
  #[napi(js_name = "lazyfree_pending_objects")]
  pub lazyfree_pending_objects: f64,
  /// The dropper's values freed, ever.
  #[napi(js_name = "lazyfreed_objects")]
  pub lazyfreed_objects: f64,
}

/// What one active expiry cycle did.
#[napi(object)]
pub struct ExpireCycle {
  pub rounds: u32,
  pub sampled: f64,
  pub expired: f64,
  pub timed_out: bool,
}

/// One SCAN step: the next cursor (0 when done) and the keys found.
#[napi(object)]
pub struct ScanStep {
  pub cursor: f64,
  pub keys: Vec<String>,
}

#[napi(custom_finalize)]
pub struct KeyspaceHandle {
  /// Shared with the fast functions (`fast.rs`), which find it by `id`.
  cell: Rc<KsCell>,
  id: f64,
}

impl KeyspaceHandle {
  /// The keyspace, borrowed for one command. A command re-entered from
  /// JavaScript that an argument conversion ran would find it borrowed; the
  /// conversions here run before the borrow, so that cannot happen.
  fn ks(&self) -> RefMut<'_, Keyspace> {
    self.cell.ks.borrow_mut()
  }

  fn scalars(env: &Env, values: &[RawJs], root: &str) -> napi::Result<Vec<Bytes>> {
    let c = Converter::new(Js::new(env));
    values
      .iter()
      .enumerate()
      .map(|(i, v)| c.scalar(v.0, &|| format!("{root}[{i}]")).map_err(|e| conv(env, e)))
      .collect()
  }

  fn scalar(env: &Env, value: RawJs, name: &str) -> napi::Result<Bytes> {
    Converter::new(Js::new(env)).scalar(value.0, &|| name.to_string()).map_err(|e| conv(env, e))
  }
}

#[napi]
impl KeyspaceHandle {
  #[napi(constructor, catch_unwind)]
  pub fn new(env: Env, config: KeyspaceConfig, dropper: &DropperHandle) -> Result<Self> {
    let policy = Policy::from_name(&config.policy)
      .ok_or_else(|| throw(&env, LfError::Range(format!("unknown eviction policy '{}'", config.policy))))?;
    if !(config.max_memory >= 0.0 && config.max_memory.fract() == 0.0 && config.max_memory.is_finite()) {
      return Err(throw(
        &env,
        LfError::Range(format!("maxMemory {} is not a byte count", config.max_memory)),
      ));
    }
    let core = Config {
      max_memory: config.max_memory as usize,
      policy,
      lazyfree: LazyFree {
        eviction: config.eviction,
        expire: config.expire,
        server_del: config.server_del,
        user_del: config.user_del,
        user_flush: config.user_flush,
      },
      ..Config::default()
    };
    let cell = Rc::new(KsCell {
      ks: RefCell::new(Keyspace::new(core, dropper.core())),
      buffers: config.return_buffers,
    });
    let id = fast::register(Rc::clone(&cell));
    Ok(KeyspaceHandle { cell, id })
  }

  /// The number `ksGet`/`ksSet` find this keyspace by, on this thread.
  #[napi(getter)]
  pub fn id(&self) -> f64 {
    self.id
  }

  #[napi(getter)]
  pub fn size(&self) -> f64 {
    self.ks().size() as f64
  }

  #[napi]
  pub fn exists(&mut self, keys: Vec<String>) -> f64 {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    self.ks().exists(&keys) as f64
  }

  #[napi(js_name = "type", ts_return_type = "'string' | 'list' | 'hash' | 'set' | 'zset' | 'none'")]
  pub fn kind(&mut self, key: String) -> &'static str {
    self.ks().kind(&key).map_or("none", |k| k.name())
  }

  #[napi(catch_unwind)]
  pub fn del(&mut self, env: Env, keys: Vec<String>) -> Result<f64> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let n = self.ks().del(&keys);
    report_spawn_error(&env, self.ks().dropper())?;
    Ok(n as f64)
  }

  #[napi(catch_unwind)]
  pub fn unlink(&mut self, env: Env, keys: Vec<String>) -> Result<f64> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let n = self.ks().unlink(&keys);
    report_spawn_error(&env, self.ks().dropper())?;
    Ok(n as f64)
  }

  #[napi(catch_unwind)]
  pub fn rename(&mut self, env: Env, key: String, new_key: String) -> Result<()> {
    ok(&env, self.ks().rename(&key, &new_key))
  }

  #[napi]
  pub fn keys(&self, pattern: String) -> Vec<String> {
    self.ks().keys(&pattern).iter().map(|k| k.to_string()).collect()
  }

  #[napi(catch_unwind)]
  pub fn expire(&mut self, env: Env, key: String, seconds: f64) -> Result<bool> {
    ok(&env, self.ks().expire(&key, int(seconds)))
  }

  #[napi(catch_unwind)]
  pub fn pexpire(&mut self, env: Env, key: String, ms: f64) -> Result<bool> {
    ok(&env, self.ks().pexpire(&key, int(ms)))
  }

  #[napi]
  pub fn ttl(&mut self, key: String) -> f64 {
    self.ks().ttl(&key) as f64
  }

  #[napi]
  pub fn pttl(&mut self, key: String) -> f64 {
    self.ks().pttl(&key) as f64
  }

  #[napi]
  pub fn persist(&mut self, key: String) -> bool {
    self.ks().persist(&key)
  }

  /// `async_`: `true`, `false`, or absent to follow `lazyfree.userFlush`.
  #[napi(catch_unwind)]
  pub fn flush(&mut self, env: Env, async_: Option<bool>) -> Result<bool> {
    let deferred = self.ks().flush(async_);
    report_spawn_error(&env, self.ks().dropper())?;
    Ok(deferred)
  }

  #[napi(
    catch_unwind,
    ts_args_type = "key: string, value: unknown, ex?: number, px?: number, nx?: boolean, xx?: boolean, keepTtl?: boolean"
  )]
  #[allow(clippy::too_many_arguments)]
  pub fn set(
    &mut self,
    env: Env,
    key: String,
    value: RawJs,
    ex: Option<f64>,
    px: Option<f64>,
    nx: Option<bool>,
    xx: Option<bool>,
    keep_ttl: Option<bool>,
  ) -> Result<bool> {
    let value = Self::scalar(&env, value, "value")?;
    let opts = SetOptions {
      ex: ex.map(int),
      px: px.map(int),
      nx: nx.unwrap_or(false),
      xx: xx.unwrap_or(false),
      keep_ttl: keep_ttl.unwrap_or(false),
    };
    ok(&env, self.ks().set(&key, value, opts))
  }

  #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
  pub fn get(&mut self, env: Env, key: String) -> Result<RawJs> {
    let mut ks = self.ks();
    let value = ok(&env, ks.get(&key))?;
    optional(&env, self.cell.buffers, value)
  }

  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer | null>")]
  pub fn mget(&mut self, env: Env, keys: Vec<String>) -> Result<RawJs> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut ks = self.ks();
    let values = ks.mget(&keys);
    let c = Converter::new(Js::new(&env));
    let array = c.js().create_array(values.len())?;
    for (i, value) in values.into_iter().enumerate() {
      let item = match value {
        Some(b) => bulk(&c, self.cell.buffers, b)?,
        None => c.js().null()?,
      };
      c.js().set_element(array, i as u32, item)?;
    }
    Ok(RawJs(array))
  }

  /// `values[i]` goes with `keys[i]`. Every value is converted before the
  /// keyspace is touched, so a bad one changes nothing.
  #[napi(catch_unwind, ts_args_type = "keys: string[], values: unknown[]")]
  pub fn mset(&mut self, env: Env, keys: Vec<String>, values: Vec<RawJs>) -> Result<()> {
    let values = Self::scalars(&env, &values, "values")?;
    let pairs: Vec<(&str, Bytes)> = keys.iter().map(String::as_str).zip(values).collect();
    ok(&env, self.ks().mset(pairs))?;
    report_spawn_error(&env, self.ks().dropper())
  }

  /// The facade has checked the cursor (a non-negative integer), the count
  /// (a positive integer) and the kind's name.
  #[napi(catch_unwind)]
  pub fn scan(
    &mut self,
    env: Env,
    cursor: f64,
    count: f64,
    pattern: Option<String>,
    kind: Option<String>,
  ) -> Result<ScanStep> {
    let kind = scan_kind(&env, kind.as_deref())?;
    let (next, keys) = self.ks().scan(cursor as u64, count as usize, pattern.as_deref(), kind);
    Ok(ScanStep { cursor: next as f64, keys: keys.iter().map(|k| k.to_string()).collect() })
  }

  /// INCRBY replying a number: a result that is not a safe integer (a
  /// number could not hold it exactly) is refused with a `RangeError`, and
  /// nothing changes. `n` is a safe integer (the facade checks).
  #[napi(catch_unwind)]
  pub fn incrby(&mut self, env: Env, key: String, n: f64) -> Result<f64> {
    ok(&env, self.ks().incrby_checked(&key, int(n), safe_integer_result(n))).map(|v| v as f64)
  }

  #[napi(catch_unwind)]
  pub fn incrby_big(&mut self, env: Env, key: String, n: BigInt) -> Result<BigInt> {
    let n = i64_of(&env, n)?;
    ok(&env, self.ks().incrby(&key, n)).map(BigInt::from)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, value: unknown")]
  pub fn append(&mut self, env: Env, key: String, value: RawJs) -> Result<f64> {
    let value = Self::scalar(&env, value, "value")?;
    ok(&env, self.ks().append(&key, &value)).map(|n| n as f64)
  }

  #[napi(catch_unwind)]
  pub fn strlen(&mut self, env: Env, key: String) -> Result<f64> {
    ok(&env, self.ks().strlen(&key)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, values: unknown[]")]
  pub fn lpush(&mut self, env: Env, key: String, values: Vec<RawJs>) -> Result<f64> {
    let values = Self::scalars(&env, &values, "values")?;
    ok(&env, self.ks().lpush(&key, values)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, values: unknown[]")]
  pub fn rpush(&mut self, env: Env, key: String, values: Vec<RawJs>) -> Result<f64> {
    let values = Self::scalars(&env, &values, "values")?;
    ok(&env, self.ks().rpush(&key, values)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
  pub fn lpop(&mut self, env: Env, key: String) -> Result<RawJs> {
    let mut ks = self.ks();
    let value = ok(&env, ks.lpop(&key))?;
    optional(&env, self.cell.buffers, value.as_ref())
  }

  #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
  pub fn rpop(&mut self, env: Env, key: String) -> Result<RawJs> {
    let mut ks = self.ks();
    let value = ok(&env, ks.rpop(&key))?;
    optional(&env, self.cell.buffers, value.as_ref())
  }

  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
  pub fn lrange(&mut self, env: Env, key: String, start: f64, stop: f64) -> Result<RawJs> {
    let mut ks = self.ks();
    let items = ok(&env, ks.lrange(&key, int(start), int(stop)))?;
    array(&env, self.cell.buffers, items.into_iter())
  }

  #[napi(catch_unwind)]
  pub fn llen(&mut self, env: Env, key: String) -> Result<f64> {
    ok(&env, self.ks().llen(&key)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
  pub fn lindex(&mut self, env: Env, key: String, index: f64) -> Result<RawJs> {
    let mut ks = self.ks();
    let value = ok(&env, ks.lindex(&key, int(index)))?;
    optional(&env, self.cell.buffers, value)
  }

  /// `fields`: a `Map`, a plain object, or an array of `[field, value]`
  /// pairs, converted as `NativeValue.hash` converts them.
  #[napi(catch_unwind, ts_args_type = "key: string, fields: unknown")]
  pub fn hset(&mut self, env: Env, key: String, fields: RawJs) -> Result<f64> {
    let hash = Converter::new(Js::new(&env)).hash(fields.0, "fields").map_err(|e| conv(&env, e))?;
    let Value::Hash(map) = hash else { unreachable!("hash() builds a hash") };
    ok(&env, self.ks().hset(&key, map.into_iter().collect())).map(|n| n as f64)
  }

  #[napi(
    catch_unwind,
    ts_args_type = "key: string, field: unknown",
    ts_return_type = "string | Buffer | null"
  )]
  pub fn hget(&mut self, env: Env, key: String, field: RawJs) -> Result<RawJs> {
    let field = Self::scalar(&env, field, "field")?;
    let mut ks = self.ks();
    let value = ok(&env, ks.hget(&key, &field))?;
    optional(&env, self.cell.buffers, value)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, fields: unknown[]")]
  pub fn hdel(&mut self, env: Env, key: String, fields: Vec<RawJs>) -> Result<f64> {
    let fields = Self::scalars(&env, &fields, "fields")?;
    let fields: Vec<&[u8]> = fields.iter().map(|f| &f[..]).collect();
    ok(&env, self.ks().hdel(&key, &fields)).map(|n| n as f64)
  }

  /// Fields and values, flat: `[field, value, field, value, …]`. Without
  /// `buffers`, fields are strings (they become object keys) and values
  /// follow `returnBuffers`; with it, both are `Buffer`s (`true`) or
  /// strings (`false`). Fields as strings are never merged: when two
  /// distinct fields decode to the same string (only fields that are not
  /// valid UTF-8 can), it throws `ERR_LAZYFREE_FIELD_COLLISION` instead.
  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
  pub fn hgetall(&mut self, env: Env, key: String, buffers: Option<bool>) -> Result<RawJs> {
    let mut ks = self.ks();
    let pairs = ok(&env, ks.hgetall(&key))?;
    hgetall_reply(&env, &key, &pairs, buffers.map_or((false, self.cell.buffers), |b| (b, b)))
  }

  #[napi(catch_unwind)]
  pub fn hlen(&mut self, env: Env, key: String) -> Result<f64> {
    ok(&env, self.ks().hlen(&key)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, field: unknown")]
  pub fn hexists(&mut self, env: Env, key: String, field: RawJs) -> Result<bool> {
    let field = Self::scalar(&env, field, "field")?;
    ok(&env, self.ks().hexists(&key, &field))
  }

  #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
  pub fn sadd(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
    let members = Self::scalars(&env, &members, "members")?;
    ok(&env, self.ks().sadd(&key, members)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
  pub fn srem(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
    let members = Self::scalars(&env, &members, "members")?;
    let members: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
    ok(&env, self.ks().srem(&key, &members)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
  pub fn smembers(&mut self, env: Env, key: String) -> Result<RawJs> {
    let mut ks = self.ks();
    let members = ok(&env, ks.smembers(&key))?;
    array(&env, self.cell.buffers, members.into_iter())
  }

  #[napi(catch_unwind, ts_args_type = "key: string, member: unknown")]
  pub fn sismember(&mut self, env: Env, key: String, member: RawJs) -> Result<bool> {
    let member = Self::scalar(&env, member, "member")?;
    ok(&env, self.ks().sismember(&key, &member))
  }

  #[napi(catch_unwind)]
  pub fn scard(&mut self, env: Env, key: String) -> Result<f64> {
    ok(&env, self.ks().scard(&key)).map(|n| n as f64)
  }

  /// `scores[i]` goes with `members[i]`.
  #[napi(catch_unwind, ts_args_type = "key: string, scores: number[], members: unknown[]")]
  pub fn zadd(&mut self, env: Env, key: String, scores: Vec<f64>, members: Vec<RawJs>) -> Result<f64> {
    let members = Self::scalars(&env, &members, "members")?;
    ok(&env, self.ks().zadd(&key, scores.into_iter().zip(members).collect())).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
  pub fn zrem(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
    let members = Self::scalars(&env, &members, "members")?;
    let members: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
    ok(&env, self.ks().zrem(&key, &members)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, member: unknown")]
  pub fn zscore(&mut self, env: Env, key: String, member: RawJs) -> Result<Option<f64>> {
    let member = Self::scalar(&env, member, "member")?;
    ok(&env, self.ks().zscore(&key, &member))
  }

  /// Members, or `[member, score]` pairs `with_scores`.
  #[napi(catch_unwind, ts_return_type = "Array<string | Buffer | [string | Buffer, number]>")]
  pub fn zrange(&mut self, env: Env, key: String, start: f64, stop: f64, with_scores: bool) -> Result<RawJs> {
    let mut ks = self.ks();
    let items = ok(&env, ks.zrange(&key, int(start), int(stop)))?;
    let c = Converter::new(Js::new(&env));
    let js = c.js();
    let array = js.create_array(items.len())?;
    for (i, (member, score)) in items.iter().enumerate() {
      let member = bulk(&c, self.cell.buffers, member)?;
      let item = if with_scores {
        let pair = js.create_array(2)?;
        js.set_element(pair, 0, member)?;
        js.set_element(pair, 1, js.create_number(*score)?)?;
        pair
      } else {
        member
      };
      js.set_element(array, i as u32, item)?;
    }
    Ok(RawJs(array))
  }

  #[napi(catch_unwind)]
  pub fn zcard(&mut self, env: Env, key: String) -> Result<f64> {
    ok(&env, self.ks().zcard(&key)).map(|n| n as f64)
  }

  #[napi(catch_unwind, ts_args_type = "key: string, increment: number, member: unknown")]
  pub fn zincrby(&mut self, env: Env, key: String, increment: f64, member: RawJs) -> Result<f64> {
    let member = Self::scalar(&env, member, "member")?;
    ok(&env, self.ks().zincrby(&key, increment, member))
  }

  /// Moves `value`'s contents in; on a refusal (OOM) they are put back.
  #[napi(catch_unwind)]
  pub fn set_value(&mut self, env: Env, key: String, value: &mut NativeHandle) -> Result<()> {
    let Some((contents, bytes)) = value.take() else {
      return Err(throw(&env, LfError::released_at("value")));
    };
    let stored = self.ks().set_value(&key, contents, bytes);
    match stored {
      Ok(()) => {
        report_spawn_error(&env, self.ks().dropper())?;
        Ok(())
      }
      Err(refused) => {
        value.put_back(refused.value, bytes);
        Err(throw(&env, refused.error))
      }
    }
  }

  /// `id`: the number the fast functions will find the value by, from the
  /// facade's counter. Checked before the key is touched.
  #[napi(catch_unwind)]
  pub fn take_value(&mut self, env: Env, key: String, id: f64) -> Result<Option<NativeHandle>> {
    fast::check_native_id(id).map_err(|e| throw(&env, e))?;
    let Some((value, bytes)) = self.ks().take_value(&key) else { return Ok(None) };
    match NativeHandle::with_bytes(value, bytes, id) {
      Ok(handle) => Ok(Some(handle)),
      Err((e, value)) => {
        // Not reached (the id was checked above); if it were, the value
        // goes back where it was, so nothing is lost.
        let _ = self.ks().set_value(&key, value, bytes);
        Err(throw(&env, e))
      }
    }
  }

  #[napi]
  pub fn info(&self) -> KeyspaceInfo {
    let i = self.ks().info();
    KeyspaceInfo {
      keys: i.keys as f64,
      expires: i.expires as f64,
      used_memory: i.used_memory as f64,
      maxmemory: i.maxmemory as f64,
      evicted_keys: i.evicted_keys as f64,
      expired_keys: i.expired_keys as f64,
      keyspace_hits: i.keyspace_hits as f64,
      keyspace_misses: i.keyspace_misses as f64,
      lazyfree_pending_objects: i.lazyfree_pending_objects as f64,
      lazyfreed_objects: i.lazyfreed_objects as f64,
    }
  }

  /// One active expiry cycle with a time budget in milliseconds.
  #[napi(catch_unwind)]
  pub fn active_expire_cycle(&mut self, env: Env, budget_ms: f64) -> Result<ExpireCycle> {
    let budget = Duration::from_secs_f64(budget_ms.clamp(0.0, 1000.0) / 1000.0);
    let r = self.ks().active_expire_cycle(budget);
    report_spawn_error(&env, self.ks().dropper())?;
    Ok(ExpireCycle {
      rounds: r.rounds,
      sampled: r.sampled as f64,
      expired: r.expired as f64,
      timed_out: r.timed_out,
    })
  }
}

impl ObjectFinalize for KeyspaceHandle {
  fn finalize(self, _env: Env) -> Result<()> {
    // A collected keyspace's entries are freed by its dropper, in one message.
    self.ks().flush(Some(true));
    fast::unregister(self.id);
    Ok(())
  }
}
