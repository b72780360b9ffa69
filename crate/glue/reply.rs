//! Replies and arguments shared by the two keyspace handles
//! (`keyspace.rs`, `shared_keyspace.rs`) and the fast path (`fast.rs`): bulk
//! strings, arrays, HGETALL's flat pairs, INCRBY's exactness and SCAN's kind.
//! One copy of each, so every path answers and refuses in the same words.

use std::borrow::Cow;
use std::collections::HashMap;

use bytes::Bytes;
use napi::bindgen_prelude::*;

use crate::error::{LfError, LfResult};
use crate::glue::convert::Converter;
use crate::glue::errors::throw;
use crate::glue::js::{Handle, Js, RawJs};
use crate::value::Kind;

/// A JS number as a Redis integer argument: the facade has checked it is an
/// integer; beyond the i64 range it saturates, and the command then refuses
/// it as Redis refuses an out-of-range time.
pub(crate) fn int(n: f64) -> i64 {
  n as i64
}

/// `Number.MAX_SAFE_INTEGER`: the largest integer every smaller one of which
/// a JS number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// V8's longest string, in UTF-16 code units, on 64-bit targets: more bytes
/// than this, decoded, may not fit (whether they do depends on the text).
const JS_STRING_MAX: usize = (1 << 29) - 24;

/// Bytes out, as a string or a `Buffer` (`returnBuffers`). A string too long
/// for V8 is refused with a `RangeError` that names what a keyspace's caller
/// can do instead.
pub(crate) fn bulk(c: &Converter, buffers: bool, bytes: &[u8]) -> napi::Result<Handle> {
  if buffers {
    return c.js().create_buffer(bytes);
  }
  c.js().create_string(bytes).map_err(|e| {
    if bytes.len() > JS_STRING_MAX {
      throw(
        &c.js().env(),
        LfError::Range(format!(
          "a value of {} bytes is too long for a JavaScript string (V8's limit is about 512 MiB); read it \
           as a Buffer: from a Keyspace made with {{ returnBuffers: true }}, or move it out with \
           takeValue(key) and call toJS('buffer') on the NativeValue",
          bytes.len()
        )),
      )
    } else {
      e
    }
  })
}

/// A bulk reply, or `null`.
pub(crate) fn optional(env: &Env, buffers: bool, bytes: Option<&Bytes>) -> napi::Result<RawJs> {
  let c = Converter::new(Js::new(env));
  match bytes {
    Some(b) => bulk(&c, buffers, b).map(RawJs),
    None => c.js().null().map(RawJs),
  }
}

/// An array of bulk replies.
pub(crate) fn array<'a>(
  env: &Env,
  buffers: bool,
  items: impl ExactSizeIterator<Item = &'a Bytes>,
) -> napi::Result<RawJs> {
  let c = Converter::new(Js::new(env));
  let array = c.js().create_array(items.len())?;
  for (i, item) in items.enumerate() {
    c.js().set_element(array, i as u32, bulk(&c, buffers, item)?)?;
  }
  Ok(RawJs(array))
}

/// Two positions of `pairs` whose fields are distinct bytes but decoded to
/// the same string in `names` (empty: not decoded). Only a field that is not
/// valid UTF-8 decodes lossily, so the common case costs one validity scan.
fn collision(names: &[Cow<'_, str>]) -> Option<(usize, usize)> {
  if names.iter().all(|n| matches!(n, Cow::Borrowed(_))) {
    return None;
  }
  let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
  for (i, name) in names.iter().enumerate() {
    if let Some(first) = seen.insert(name, i) {
      return Some((first, i));
    }
  }
  None
}

/// A field as Node shows a `Buffer`: `<Buffer ff fe>`, cut after 16 bytes.
fn show_bytes(bytes: &[u8]) -> String {
  let mut s: String = bytes.iter().take(16).map(|b| format!(" {b:02x}")).collect();
  if bytes.len() > 16 {
    s.push_str(&format!(" ... {} more bytes", bytes.len() - 16));
  }
  format!("<Buffer{s}>")
}

/// The `code` of the refusal to merge two fields into one string key.
const FIELD_COLLISION: &str = "ERR_LAZYFREE_FIELD_COLLISION";

fn field_collision(key: &str, first: &[u8], second: &[u8], name: &str) -> LfError {
  LfError::Coded {
    code: FIELD_COLLISION,
    message: format!(
      "the hash at {key:?} has fields {} and {}, which both decode to the string {name:?} \
       (they are not valid UTF-8), so a result keyed by strings would keep only one of them; nothing \
       was returned: read it with hgetallMap(key, {{ buffers: true }}), a Map with Buffer fields and values",
      show_bytes(first),
      show_bytes(second),
    ),
  }
}

/// HGETALL's reply, flat: `[field, value, field, value, …]`, fields as
/// `Buffer`s or strings (`field_buffers`), values as `value_buffers` says.
/// Fields as strings are never merged: when two distinct fields decode to
/// the same string (only fields that are not valid UTF-8 can), it throws
/// `ERR_LAZYFREE_FIELD_COLLISION` instead. Used by both keyspace handles.
pub(crate) fn hgetall_reply<F: AsRef<[u8]>, V: AsRef<[u8]>>(
  env: &Env,
  key: &str,
  pairs: &[(F, V)],
  (field_buffers, value_buffers): (bool, bool),
) -> napi::Result<RawJs> {
  let c = Converter::new(Js::new(env));
  // Fields as strings: decoded here, so the collision check and the keys
  // JavaScript sees come from the same decoding.
  let names: Vec<Cow<'_, str>> = if field_buffers {
    Vec::new()
  } else {
    pairs.iter().map(|(f, _)| String::from_utf8_lossy(f.as_ref())).collect()
  };
  if let Some((a, b)) = collision(&names) {
    return Err(throw(env, field_collision(key, pairs[a].0.as_ref(), pairs[b].0.as_ref(), &names[a])));
  }
  let array = c.js().create_array(pairs.len() * 2)?;
  for (i, (field, value)) in pairs.iter().enumerate() {
    let field = if field_buffers {
      c.js().create_buffer(field.as_ref())?
    } else {
      c.js().create_string(names[i].as_bytes())?
    };
    c.js().set_element(array, 2 * i as u32, field)?;
    c.js().set_element(array, 2 * i as u32 + 1, bulk(&c, value_buffers, value.as_ref())?)?;
  }
  Ok(RawJs(array))
}

/// INCRBY's exactness for a reply as a number: a result that is not a safe
/// integer (a number could not hold it exactly) is refused with a
/// `RangeError` that says to pass `n` as a bigint. Used by both handles.
pub(crate) fn safe_integer_result(n: f64) -> impl Fn(i64) -> LfResult<()> {
  move |v: i64| {
    if v.unsigned_abs() <= MAX_SAFE_INTEGER {
      Ok(())
    } else {
      Err(LfError::Range(format!(
        "incrby's result {v} is not a safe integer, so a number cannot hold it exactly; nothing was \
         changed: pass n as a bigint (incrby(key, {}n)) to get the exact result as a bigint",
        int(n)
      )))
    }
  }
}

/// A bigint increment as Redis's i64, or the `RangeError` for one outside it.
pub(crate) fn i64_of(env: &Env, n: BigInt) -> napi::Result<i64> {
  match n.get_i64() {
    (n, true) => Ok(n),
    _ => {
      Err(throw(env, LfError::Range("n is outside Redis's 64-bit integer range (-2^63 to 2^63 - 1)".into())))
    }
  }
}

/// SCAN's `type` option as a kind; the facade has checked the name.
pub(crate) fn scan_kind(env: &Env, kind: Option<&str>) -> napi::Result<Option<Kind>> {
  Ok(match kind {
    None => None,
    Some("string") => Some(Kind::String),
    Some("list") => Some(Kind::List),
    Some("hash") => Some(Kind::Hash),
    Some("set") => Some(Kind::Set),
    Some("zset") => Some(Kind::SortedSet),
    Some(other) => return Err(throw(env, LfError::Range(format!("unknown type name '{other}'")))),
  })
}

/// A core result as a napi one: the error thrown as its JS class.
pub(crate) fn ok<T>(env: &Env, r: LfResult<T>) -> napi::Result<T> {
  r.map_err(|e| throw(env, e))
}
