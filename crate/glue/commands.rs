//! The command methods `KeyspaceHandle` and `SharedKeyspaceHandle` share,
//! written once.
//!
//! Both classes expose the same methods with the same argument shapes, so
//! the facade's `Keyspace` drives either one unchanged. What differs is only
//! how a command reaches its keyspace, and that is `Target`: a single-key
//! command runs in `on` (an own keyspace borrows its cell; a shared one takes
//! the key's shard lock with `with_key`), and each multi-key command calls
//! the method of the same name on `Keyspace` or `SharedKeyspace`.
//!
//! Every method keeps one order: (1) convert the JavaScript arguments to
//! owned values (this may run JavaScript: getters, iterators), (2) run the
//! command through `Target`, which returns owned replies and runs no
//! JavaScript, (3) build the JavaScript replies. So no borrow or lock is
//! held while JavaScript runs.

use bytes::Bytes;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{LfError, LfResult};
use crate::glue::convert::Converter;
use crate::glue::errors::{conv, report_spawn_error, throw};
use crate::glue::fast::{self, KsCell};
use crate::glue::js::{Js, RawJs};
use crate::glue::keyspace::{KeyspaceHandle, KeyspaceInfo, ScanStep};
use crate::glue::native_value::NativeHandle;
use crate::glue::reply::{
  array, bulk, hgetall_reply, i64_of, int, ok, optional, safe_integer_result, scan_kind,
};
use crate::glue::shared_keyspace::{closed, SharedKeyspaceHandle};
use crate::keyspace::{Info, Key, Keyspace, SetOptions};
use crate::shared::{Lease, SharedKeyspace};
use crate::value::{Kind, Value};

/// How a handle reaches its keyspace. Every method returns owned values and
/// runs no JavaScript; an `Err` is already thrown (a closed shared handle).
pub(crate) trait Target {
  /// A single-key command on `key`.
  fn on<R>(&self, env: &Env, key: &str, f: impl FnOnce(&mut Keyspace) -> R) -> napi::Result<R>;
  /// Refuses (`ERR_LAZYFREE_CLOSED`) when the keyspace is gone.
  fn check_open(&self, env: &Env) -> napi::Result<()>;
  /// Reports a drop thread that could not start (values then free inline).
  fn report(&self, env: &Env) -> napi::Result<()>;
  fn size(&self, env: &Env) -> napi::Result<usize>;
  fn exists(&self, env: &Env, keys: &[&str]) -> napi::Result<usize>;
  fn del(&self, env: &Env, keys: &[&str]) -> napi::Result<usize>;
  fn unlink(&self, env: &Env, keys: &[&str]) -> napi::Result<usize>;
  fn rename(&self, env: &Env, key: &str, new_key: &str) -> napi::Result<LfResult<()>>;
  fn keys(&self, env: &Env, pattern: &str) -> napi::Result<Vec<Key>>;
  fn flush(&self, env: &Env, async_: Option<bool>) -> napi::Result<bool>;
  fn mget(&self, env: &Env, keys: &[&str]) -> napi::Result<Vec<Option<Bytes>>>;
  fn mset(&self, env: &Env, pairs: Vec<(&str, Bytes)>) -> napi::Result<LfResult<()>>;
  fn scan(
    &self,
    env: &Env,
    cursor: u64,
    count: usize,
    pattern: Option<&str>,
    kind: Option<Kind>,
  ) -> napi::Result<(u64, Vec<Key>)>;
  fn info(&self, env: &Env) -> napi::Result<Info>;
}

/// An own keyspace: borrowed for one command. A command re-entered from
/// JavaScript that an argument conversion ran would find it borrowed; the
/// conversions run before the borrow, so that cannot happen.
impl Target for KsCell {
  fn on<R>(&self, _env: &Env, _key: &str, f: impl FnOnce(&mut Keyspace) -> R) -> napi::Result<R> {
    Ok(f(&mut self.ks.borrow_mut()))
  }
  fn check_open(&self, _env: &Env) -> napi::Result<()> {
    Ok(())
  }
  fn report(&self, env: &Env) -> napi::Result<()> {
    let dropper = std::sync::Arc::clone(self.ks.borrow().dropper());
    report_spawn_error(env, &dropper)
  }
  fn size(&self, _env: &Env) -> napi::Result<usize> {
    Ok(self.ks.borrow().size())
  }
  fn exists(&self, _env: &Env, keys: &[&str]) -> napi::Result<usize> {
    Ok(self.ks.borrow_mut().exists(keys))
  }
  fn del(&self, _env: &Env, keys: &[&str]) -> napi::Result<usize> {
    Ok(self.ks.borrow_mut().del(keys))
  }
  fn unlink(&self, _env: &Env, keys: &[&str]) -> napi::Result<usize> {
    Ok(self.ks.borrow_mut().unlink(keys))
  }
  fn rename(&self, _env: &Env, key: &str, new_key: &str) -> napi::Result<LfResult<()>> {
    Ok(self.ks.borrow_mut().rename(key, new_key))
  }
  fn keys(&self, _env: &Env, pattern: &str) -> napi::Result<Vec<Key>> {
    Ok(self.ks.borrow().keys(pattern))
  }
  fn flush(&self, _env: &Env, async_: Option<bool>) -> napi::Result<bool> {
    Ok(self.ks.borrow_mut().flush(async_))
  }
  fn mget(&self, _env: &Env, keys: &[&str]) -> napi::Result<Vec<Option<Bytes>>> {
    Ok(self.ks.borrow_mut().mget_owned(keys))
  }
  fn mset(&self, _env: &Env, pairs: Vec<(&str, Bytes)>) -> napi::Result<LfResult<()>> {
    Ok(self.ks.borrow_mut().mset(pairs))
  }
  fn scan(
    &self,
    _env: &Env,
    cursor: u64,
    count: usize,
    pattern: Option<&str>,
    kind: Option<Kind>,
  ) -> napi::Result<(u64, Vec<Key>)> {
    Ok(self.ks.borrow().scan(cursor, count, pattern, kind))
  }
  fn info(&self, _env: &Env) -> napi::Result<Info> {
    Ok(self.ks.borrow().info())
  }
}

/// A lease on a shared keyspace: `None` once closed, which every command
/// refuses with `ERR_LAZYFREE_CLOSED`. Commands take their shard locks.
impl Target for std::cell::RefCell<Option<Lease>> {
  fn on<R>(&self, env: &Env, key: &str, f: impl FnOnce(&mut Keyspace) -> R) -> napi::Result<R> {
    with(self, env, |ks| ks.with_key(key, f))
  }
  fn check_open(&self, env: &Env) -> napi::Result<()> {
    with(self, env, |_| ())
  }
  fn report(&self, env: &Env) -> napi::Result<()> {
    let dropper = self.borrow().as_ref().map(|l| std::sync::Arc::clone(l.dropper()));
    match dropper {
      Some(d) => report_spawn_error(env, &d),
      None => Ok(()),
    }
  }
  fn size(&self, env: &Env) -> napi::Result<usize> {
    with(self, env, |ks| ks.size())
  }
  fn exists(&self, env: &Env, keys: &[&str]) -> napi::Result<usize> {
    with(self, env, |ks| ks.exists(keys))
  }
  fn del(&self, env: &Env, keys: &[&str]) -> napi::Result<usize> {
    with(self, env, |ks| ks.del(keys))
  }
  fn unlink(&self, env: &Env, keys: &[&str]) -> napi::Result<usize> {
    with(self, env, |ks| ks.unlink(keys))
  }
  fn rename(&self, env: &Env, key: &str, new_key: &str) -> napi::Result<LfResult<()>> {
    with(self, env, |ks| ks.rename(key, new_key))
  }
  fn keys(&self, env: &Env, pattern: &str) -> napi::Result<Vec<Key>> {
    with(self, env, |ks| ks.keys(pattern))
  }
  fn flush(&self, env: &Env, async_: Option<bool>) -> napi::Result<bool> {
    with(self, env, |ks| ks.flush(async_))
  }
  fn mget(&self, env: &Env, keys: &[&str]) -> napi::Result<Vec<Option<Bytes>>> {
    with(self, env, |ks| ks.mget(keys))
  }
  fn mset(&self, env: &Env, pairs: Vec<(&str, Bytes)>) -> napi::Result<LfResult<()>> {
    with(self, env, |ks| ks.mset(pairs))
  }
  fn scan(
    &self,
    env: &Env,
    cursor: u64,
    count: usize,
    pattern: Option<&str>,
    kind: Option<Kind>,
  ) -> napi::Result<(u64, Vec<Key>)> {
    with(self, env, |ks| ks.scan(cursor, count, pattern, kind))
  }
  fn info(&self, env: &Env) -> napi::Result<Info> {
    with(self, env, |ks| ks.info())
  }
}

/// Runs `f` on the leased keyspace: no JavaScript may run inside it.
fn with<R>(
  slot: &std::cell::RefCell<Option<Lease>>,
  env: &Env,
  f: impl FnOnce(&SharedKeyspace) -> R,
) -> napi::Result<R> {
  let slot = slot.borrow();
  match slot.as_ref() {
    Some(lease) => Ok(f(lease)),
    None => Err(throw(env, closed())),
  }
}

fn owned(items: Vec<&Bytes>) -> Vec<Bytes> {
  items.into_iter().cloned().collect()
}

fn info_js(i: Info) -> KeyspaceInfo {
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

/// The shared command methods of one handle class. `$handle` has
/// `target(&self) -> &impl Target` and `buffers(&self) -> bool`.
macro_rules! commands {
  ($handle:ident) => {
    #[napi]
    impl $handle {
      #[napi(getter, catch_unwind)]
      pub fn size(&self, env: Env) -> Result<f64> {
        self.target().size(&env).map(|n| n as f64)
      }

      #[napi(catch_unwind)]
      pub fn exists(&mut self, env: Env, keys: Vec<String>) -> Result<f64> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.target().exists(&env, &keys).map(|n| n as f64)
      }

      #[napi(
        js_name = "type",
        catch_unwind,
        ts_return_type = "'string' | 'list' | 'hash' | 'set' | 'zset' | 'none'"
      )]
      pub fn kind(&mut self, env: Env, key: String) -> Result<&'static str> {
        self.target().on(&env, &key, |s| s.kind(&key).map_or("none", |k| k.name()))
      }

      #[napi(catch_unwind)]
      pub fn del(&mut self, env: Env, keys: Vec<String>) -> Result<f64> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let n = self.target().del(&env, &keys)?;
        self.target().report(&env)?;
        Ok(n as f64)
      }

      #[napi(catch_unwind)]
      pub fn unlink(&mut self, env: Env, keys: Vec<String>) -> Result<f64> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let n = self.target().unlink(&env, &keys)?;
        self.target().report(&env)?;
        Ok(n as f64)
      }

      #[napi(catch_unwind)]
      pub fn rename(&mut self, env: Env, key: String, new_key: String) -> Result<()> {
        let r = self.target().rename(&env, &key, &new_key)?;
        ok(&env, r)
      }

      #[napi(catch_unwind)]
      pub fn keys(&self, env: Env, pattern: String) -> Result<Vec<String>> {
        let keys = self.target().keys(&env, &pattern)?;
        Ok(keys.iter().map(|k| k.to_string()).collect())
      }

      #[napi(catch_unwind)]
      pub fn expire(&mut self, env: Env, key: String, seconds: f64) -> Result<bool> {
        let r = self.target().on(&env, &key, |s| s.expire(&key, int(seconds)))?;
        ok(&env, r)
      }

      #[napi(catch_unwind)]
      pub fn pexpire(&mut self, env: Env, key: String, ms: f64) -> Result<bool> {
        let r = self.target().on(&env, &key, |s| s.pexpire(&key, int(ms)))?;
        ok(&env, r)
      }

      #[napi(catch_unwind)]
      pub fn ttl(&mut self, env: Env, key: String) -> Result<f64> {
        self.target().on(&env, &key, |s| s.ttl(&key) as f64)
      }

      #[napi(catch_unwind)]
      pub fn pttl(&mut self, env: Env, key: String) -> Result<f64> {
        self.target().on(&env, &key, |s| s.pttl(&key) as f64)
      }

      #[napi(catch_unwind)]
      pub fn persist(&mut self, env: Env, key: String) -> Result<bool> {
        self.target().on(&env, &key, |s| s.persist(&key))
      }

      /// `async_`: `true`, `false`, or absent to follow `lazyfree.userFlush`.
      #[napi(catch_unwind)]
      pub fn flush(&mut self, env: Env, async_: Option<bool>) -> Result<bool> {
        let deferred = self.target().flush(&env, async_)?;
        self.target().report(&env)?;
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
        let value = scalar(&env, value, "value")?;
        let opts = SetOptions {
          ex: ex.map(int),
          px: px.map(int),
          nx: nx.unwrap_or(false),
          xx: xx.unwrap_or(false),
          keep_ttl: keep_ttl.unwrap_or(false),
        };
        let r = self.target().on(&env, &key, |s| s.set(&key, value, opts))?;
        ok(&env, r)
      }

      #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
      pub fn get(&mut self, env: Env, key: String) -> Result<RawJs> {
        let r = self.target().on(&env, &key, |s| s.get_owned(&key))?;
        let value = ok(&env, r)?;
        optional(&env, self.buffers(), value.as_ref())
      }

      /// MGET: `null` for a missing key or one of another kind, as Redis.
      #[napi(catch_unwind, ts_return_type = "Array<string | Buffer | null>")]
      pub fn mget(&mut self, env: Env, keys: Vec<String>) -> Result<RawJs> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let values = self.target().mget(&env, &keys)?;
        let c = Converter::new(Js::new(&env));
        let array = c.js().create_array(values.len())?;
        for (i, value) in values.iter().enumerate() {
          let item = match value {
            Some(b) => bulk(&c, self.buffers(), b)?,
            None => c.js().null()?,
          };
          c.js().set_element(array, i as u32, item)?;
        }
        Ok(RawJs(array))
      }

      /// MSET: `values[i]` goes with `keys[i]`; all or nothing. Every value
      /// is converted before the keyspace is touched, so a bad one changes
      /// nothing.
      #[napi(catch_unwind, ts_args_type = "keys: string[], values: unknown[]")]
      pub fn mset(&mut self, env: Env, keys: Vec<String>, values: Vec<RawJs>) -> Result<()> {
        let values = scalars(&env, &values, "values")?;
        let pairs: Vec<(&str, Bytes)> = keys.iter().map(String::as_str).zip(values).collect();
        let r = self.target().mset(&env, pairs)?;
        ok(&env, r)?;
        self.target().report(&env)
      }

      /// SCAN. The facade has checked the cursor (a non-negative integer),
      /// the count (a positive integer) and the kind's name.
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
        let (next, keys) =
          self.target().scan(&env, cursor as u64, count as usize, pattern.as_deref(), kind)?;
        Ok(ScanStep { cursor: next as f64, keys: keys.iter().map(|k| k.to_string()).collect() })
      }

      /// INCRBY replying a number: a result that is not a safe integer (a
      /// number could not hold it exactly) is refused with a `RangeError`,
      /// and nothing changes. `n` is a safe integer (the facade checks).
      #[napi(catch_unwind)]
      pub fn incrby(&mut self, env: Env, key: String, n: f64) -> Result<f64> {
        let r = self.target().on(&env, &key, |s| s.incrby_checked(&key, int(n), safe_integer_result(n)))?;
        ok(&env, r).map(|v| v as f64)
      }

      /// INCRBY with a bigint: exact over Redis's 64-bit range.
      #[napi(catch_unwind)]
      pub fn incrby_big(&mut self, env: Env, key: String, n: BigInt) -> Result<BigInt> {
        let n = i64_of(&env, n)?;
        let r = self.target().on(&env, &key, |s| s.incrby(&key, n))?;
        ok(&env, r).map(BigInt::from)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, value: unknown")]
      pub fn append(&mut self, env: Env, key: String, value: RawJs) -> Result<f64> {
        let value = scalar(&env, value, "value")?;
        let r = self.target().on(&env, &key, |s| s.append(&key, &value))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind)]
      pub fn strlen(&mut self, env: Env, key: String) -> Result<f64> {
        let r = self.target().on(&env, &key, |s| s.strlen(&key))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, values: unknown[]")]
      pub fn lpush(&mut self, env: Env, key: String, values: Vec<RawJs>) -> Result<f64> {
        let values = scalars(&env, &values, "values")?;
        let r = self.target().on(&env, &key, |s| s.lpush(&key, values))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, values: unknown[]")]
      pub fn rpush(&mut self, env: Env, key: String, values: Vec<RawJs>) -> Result<f64> {
        let values = scalars(&env, &values, "values")?;
        let r = self.target().on(&env, &key, |s| s.rpush(&key, values))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
      pub fn lpop(&mut self, env: Env, key: String) -> Result<RawJs> {
        let r = self.target().on(&env, &key, |s| s.lpop(&key))?;
        let value = ok(&env, r)?;
        optional(&env, self.buffers(), value.as_ref())
      }

      #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
      pub fn rpop(&mut self, env: Env, key: String) -> Result<RawJs> {
        let r = self.target().on(&env, &key, |s| s.rpop(&key))?;
        let value = ok(&env, r)?;
        optional(&env, self.buffers(), value.as_ref())
      }

      #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
      pub fn lrange(&mut self, env: Env, key: String, start: f64, stop: f64) -> Result<RawJs> {
        let r = self.target().on(&env, &key, |s| s.lrange(&key, int(start), int(stop)).map(owned))?;
        let items = ok(&env, r)?;
        array(&env, self.buffers(), items.iter())
      }

      #[napi(catch_unwind)]
      pub fn llen(&mut self, env: Env, key: String) -> Result<f64> {
        let r = self.target().on(&env, &key, |s| s.llen(&key))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_return_type = "string | Buffer | null")]
      pub fn lindex(&mut self, env: Env, key: String, index: f64) -> Result<RawJs> {
        let r = self.target().on(&env, &key, |s| s.lindex(&key, int(index)).map(|v| v.cloned()))?;
        let value = ok(&env, r)?;
        optional(&env, self.buffers(), value.as_ref())
      }

      /// `fields`: a `Map`, a plain object, or an array of `[field, value]`
      /// pairs, converted as `NativeValue.hash` converts them.
      #[napi(catch_unwind, ts_args_type = "key: string, fields: unknown")]
      pub fn hset(&mut self, env: Env, key: String, fields: RawJs) -> Result<f64> {
        let hash = Converter::new(Js::new(&env)).hash(fields.0, "fields").map_err(|e| conv(&env, e))?;
        let Value::Hash(map) = hash else { unreachable!("hash() builds a hash") };
        let r = self.target().on(&env, &key, |s| s.hset(&key, map.into_iter().collect()))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(
        catch_unwind,
        ts_args_type = "key: string, field: unknown",
        ts_return_type = "string | Buffer | null"
      )]
      pub fn hget(&mut self, env: Env, key: String, field: RawJs) -> Result<RawJs> {
        let field = scalar(&env, field, "field")?;
        let r = self.target().on(&env, &key, |s| s.hget(&key, &field).map(|v| v.cloned()))?;
        let value = ok(&env, r)?;
        optional(&env, self.buffers(), value.as_ref())
      }

      #[napi(catch_unwind, ts_args_type = "key: string, fields: unknown[]")]
      pub fn hdel(&mut self, env: Env, key: String, fields: Vec<RawJs>) -> Result<f64> {
        let fields = scalars(&env, &fields, "fields")?;
        let fields: Vec<&[u8]> = fields.iter().map(|f| &f[..]).collect();
        let r = self.target().on(&env, &key, |s| s.hdel(&key, &fields))?;
        ok(&env, r).map(|n| n as f64)
      }

      /// Fields and values, flat: `[field, value, field, value, …]`.
      /// Without `buffers`, fields are strings (they become object keys) and
      /// values follow `returnBuffers`; with it, both are `Buffer`s (`true`)
      /// or strings (`false`). Fields as strings are never merged: when two
      /// distinct fields decode to the same string (only fields that are not
      /// valid UTF-8 can), it throws `ERR_LAZYFREE_FIELD_COLLISION` instead.
      #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
      pub fn hgetall(&mut self, env: Env, key: String, buffers: Option<bool>) -> Result<RawJs> {
        let r = self.target().on(&env, &key, |s| {
          s.hgetall(&key)
            .map(|pairs| pairs.into_iter().map(|(f, v)| (f.clone(), v.clone())).collect::<Vec<_>>())
        })?;
        let pairs = ok(&env, r)?;
        hgetall_reply(&env, &key, &pairs, buffers.map_or((false, self.buffers()), |b| (b, b)))
      }

      #[napi(catch_unwind)]
      pub fn hlen(&mut self, env: Env, key: String) -> Result<f64> {
        let r = self.target().on(&env, &key, |s| s.hlen(&key))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, field: unknown")]
      pub fn hexists(&mut self, env: Env, key: String, field: RawJs) -> Result<bool> {
        let field = scalar(&env, field, "field")?;
        let r = self.target().on(&env, &key, |s| s.hexists(&key, &field))?;
        ok(&env, r)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
      pub fn sadd(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
        let members = scalars(&env, &members, "members")?;
        let r = self.target().on(&env, &key, |s| s.sadd(&key, members))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
      pub fn srem(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
        let members = scalars(&env, &members, "members")?;
        let members: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
        let r = self.target().on(&env, &key, |s| s.srem(&key, &members))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_return_type = "Array<string | Buffer>")]
      pub fn smembers(&mut self, env: Env, key: String) -> Result<RawJs> {
        let r = self.target().on(&env, &key, |s| s.smembers(&key).map(owned))?;
        let members = ok(&env, r)?;
        array(&env, self.buffers(), members.iter())
      }

      #[napi(catch_unwind, ts_args_type = "key: string, member: unknown")]
      pub fn sismember(&mut self, env: Env, key: String, member: RawJs) -> Result<bool> {
        let member = scalar(&env, member, "member")?;
        let r = self.target().on(&env, &key, |s| s.sismember(&key, &member))?;
        ok(&env, r)
      }

      #[napi(catch_unwind)]
      pub fn scard(&mut self, env: Env, key: String) -> Result<f64> {
        let r = self.target().on(&env, &key, |s| s.scard(&key))?;
        ok(&env, r).map(|n| n as f64)
      }

      /// `scores[i]` goes with `members[i]`.
      #[napi(catch_unwind, ts_args_type = "key: string, scores: number[], members: unknown[]")]
      pub fn zadd(&mut self, env: Env, key: String, scores: Vec<f64>, members: Vec<RawJs>) -> Result<f64> {
        let members = scalars(&env, &members, "members")?;
        let pairs = scores.into_iter().zip(members).collect();
        let r = self.target().on(&env, &key, |s| s.zadd(&key, pairs))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, members: unknown[]")]
      pub fn zrem(&mut self, env: Env, key: String, members: Vec<RawJs>) -> Result<f64> {
        let members = scalars(&env, &members, "members")?;
        let members: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
        let r = self.target().on(&env, &key, |s| s.zrem(&key, &members))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, member: unknown")]
      pub fn zscore(&mut self, env: Env, key: String, member: RawJs) -> Result<Option<f64>> {
        let member = scalar(&env, member, "member")?;
        let r = self.target().on(&env, &key, |s| s.zscore(&key, &member))?;
        ok(&env, r)
      }

      /// Members, or `[member, score]` pairs `with_scores`.
      #[napi(catch_unwind, ts_return_type = "Array<string | Buffer | [string | Buffer, number]>")]
      pub fn zrange(&mut self, env: Env, key: String, start: f64, stop: f64, with_scores: bool) -> Result<RawJs> {
        let r = self.target().on(&env, &key, |s| {
          s.zrange(&key, int(start), int(stop))
            .map(|v| v.into_iter().map(|(m, sc)| (m.clone(), sc)).collect::<Vec<_>>())
        })?;
        let items = ok(&env, r)?;
        let c = Converter::new(Js::new(&env));
        let js = c.js();
        let array = js.create_array(items.len())?;
        for (i, (member, score)) in items.iter().enumerate() {
          let member = bulk(&c, self.buffers(), member)?;
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
        let r = self.target().on(&env, &key, |s| s.zcard(&key))?;
        ok(&env, r).map(|n| n as f64)
      }

      #[napi(catch_unwind, ts_args_type = "key: string, increment: number, member: unknown")]
      pub fn zincrby(&mut self, env: Env, key: String, increment: f64, member: RawJs) -> Result<f64> {
        let member = scalar(&env, member, "member")?;
        let r = self.target().on(&env, &key, |s| s.zincrby(&key, increment, member))?;
        ok(&env, r)
      }

      /// Moves `value`'s contents in (no copy); on a refusal (OOM) they are
      /// put back.
      #[napi(catch_unwind)]
      pub fn set_value(&mut self, env: Env, key: String, value: &mut NativeHandle) -> Result<()> {
        self.target().check_open(&env)?;
        let Some((contents, bytes)) = value.take() else {
          return Err(throw(&env, LfError::released_at("value")));
        };
        match self.target().on(&env, &key, |s| s.set_value(&key, contents, bytes))? {
          Ok(()) => self.target().report(&env),
          Err(refused) => {
            value.put_back(refused.value, bytes);
            Err(throw(&env, refused.error))
          }
        }
      }

      /// `id`: the number the fast functions will find the value by, from
      /// the facade's counter. Checked before the key is touched.
      #[napi(catch_unwind)]
      pub fn take_value(&mut self, env: Env, key: String, id: f64) -> Result<Option<NativeHandle>> {
        fast::check_native_id(id).map_err(|e| throw(&env, e))?;
        let Some((value, bytes)) = self.target().on(&env, &key, |s| s.take_value(&key))? else {
          return Ok(None);
        };
        match NativeHandle::with_bytes(value, bytes, id) {
          Ok(handle) => Ok(Some(handle)),
          Err((e, value)) => {
            // Not reached (the id was checked above); if it were, the value
            // goes back where it was, so nothing is lost.
            let _ = self.target().on(&env, &key, |s| s.set_value(&key, value, bytes));
            Err(throw(&env, e))
          }
        }
      }

      #[napi(catch_unwind)]
      pub fn info(&self, env: Env) -> Result<KeyspaceInfo> {
        self.target().info(&env).map(info_js)
      }
    }
  };
}

commands!(KeyspaceHandle);
commands!(SharedKeyspaceHandle);
