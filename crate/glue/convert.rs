//! Crossing the boundary: JavaScript values in, native bytes out, and back.
//!
//! JavaScript values cannot cross threads, so every value is copied into
//! owned bytes before it is stored or handed to the drop thread. The rules
//! are the public contract's (docs/api.md §1): strings become UTF-8, binary views
//! are copied byte for byte, finite numbers and bigints become their decimal
//! text (`String(n)`); arrays become lists, `Set`s sets, `Map`s and plain
//! objects hashes. Anything else is refused with a `TypeError` that names the
//! path of the offending part (`value[3]`, `value.get("k")`) and what was
//! found. Conversion builds the whole value before anything is stored, so a
//! refusal leaves nothing behind.
//!
//! Output goes the other way: lists become arrays, sets `Set`s, hashes
//! `Map`s, sorted sets `[member, score]` pairs in Redis order; bytes become
//! UTF-8 strings, or `Buffer`s when asked.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::error::LfError;
use crate::glue::js::{Handle, Js, JsType};
use crate::value::{Bytes, Value};
use crate::zset::{Score, SortedSet};

/// A conversion failure: the input was wrong, or Node-API itself failed.
#[derive(Debug)]
pub enum ConvError {
  Bad(LfError),
  Napi(napi::Error),
}

impl From<napi::Error> for ConvError {
  fn from(e: napi::Error) -> Self {
    ConvError::Napi(e)
  }
}

impl From<LfError> for ConvError {
  fn from(e: LfError) -> Self {
    ConvError::Bad(e)
  }
}

pub type Conv<T> = Result<T, ConvError>;

const SCALARS: &str = "a string, Buffer, TypedArray, DataView, ArrayBuffer, finite number or bigint";
const VALUES: &str = "a string, Buffer, TypedArray, DataView, ArrayBuffer, finite number, bigint, array, Set, Map or plain object";

/// Below this many UTF-8 bytes a string always fits V8's length limit
/// (2^29 - 24 UTF-16 units on 64-bit targets, at least one per byte); a
/// failure to create a longer one is that limit.
const MAX_STRING_BYTES_CERTAIN: usize = (1 << 29) - 24;

/// Largest integer a double holds exactly; integers below it print without
/// going back to JavaScript.
const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Converts values of one environment; looks up the globals it needs once.
pub struct Converter {
  js: Js,
  map: OnceCell<Handle>,
  set: OnceCell<Handle>,
  object_prototype: OnceCell<Handle>,
  array_from: OnceCell<(Handle, Handle)>,
}

/// How a path is named: only built when something is wrong.
type PathFn<'a> = &'a dyn Fn() -> String;

fn type_error(path: &str, found: &str, expected: &str) -> ConvError {
  ConvError::Bad(LfError::Type(format!("{path} is {found}; expected {expected}")))
}

/// `root.key` when `key` is an identifier, `root["key"]` otherwise.
fn property_path(root: &str, key: &str) -> String {
  let mut chars = key.chars();
  let identifier = matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '$')
    && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$');
  if identifier {
    format!("{root}.{key}")
  } else {
    format!("{root}[{}]", quote(key))
  }
}

/// A JSON-style quoted string, for naming keys in paths.
fn quote(s: &str) -> String {
  let mut out = String::with_capacity(s.len() + 2);
  out.push('"');
  for c in s.chars() {
    match c {
      '"' => out.push_str("\\\""),
      '\\' => out.push_str("\\\\"),
      '\n' => out.push_str("\\n"),
      c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
      c => out.push(c),
    }
  }
  out.push('"');
  out
}

/// Decimal text of a finite number, as `String(n)` prints it.
fn integer_text(n: f64) -> Option<Vec<u8>> {
  if n.fract() == 0.0 && n.abs() < EXACT_INTEGER {
    Some((n as i64).to_string().into_bytes())
  } else {
    None
  }
}

impl Converter {
  pub fn new(js: Js) -> Converter {
    Converter {
      js,
      map: OnceCell::new(),
      set: OnceCell::new(),
      object_prototype: OnceCell::new(),
      array_from: OnceCell::new(),
    }
  }

  pub fn js(&self) -> Js {
    self.js
  }

  fn global_named(&self, cell: &OnceCell<Handle>, name: &str) -> Conv<Handle> {
    if let Some(h) = cell.get() {
      return Ok(*h);
    }
    let h = self.js.named(self.js.global()?, name)?;
    Ok(*cell.get_or_init(|| h))
  }

  fn is_map(&self, v: Handle) -> Conv<bool> {
    Ok(self.js.instance_of(v, self.global_named(&self.map, "Map")?)?)
  }

  fn is_set(&self, v: Handle) -> Conv<bool> {
    Ok(self.js.instance_of(v, self.global_named(&self.set, "Set")?)?)
  }

  fn is_plain_object(&self, v: Handle) -> Conv<bool> {
    let proto = self.js.prototype(v)?;
    if self.js.type_of(proto)? == JsType::Null {
      return Ok(true);
    }
    let object_prototype = match self.object_prototype.get() {
      Some(h) => *h,
      None => {
        let object = self.js.named(self.js.global()?, "Object")?;
        let h = self.js.named(object, "prototype")?;
        *self.object_prototype.get_or_init(|| h)
      }
    };
    Ok(self.js.strict_equals(proto, object_prototype)?)
  }

  /// `Array.from(v)`, or `Array.from(v.<method>())`.
  fn array_from(&self, v: Handle, method: Option<&str>) -> Conv<Handle> {
    let (array, from) = match self.array_from.get() {
      Some(pair) => *pair,
      None => {
        let array = self.js.named(self.js.global()?, "Array")?;
        let from = self.js.named(array, "from")?;
        *self.array_from.get_or_init(|| (array, from))
      }
    };
    let source = match method {
      Some(name) => self.js.call(v, self.js.named(v, name)?, &[])?,
      None => v,
    };
    Ok(self.js.call(array, from, &[source])?)
  }

  /// What a value is, in words, for error messages.
  pub fn describe(&self, v: Handle) -> Conv<String> {
    Ok(match self.js.type_of(v)? {
      JsType::Undefined => "undefined".into(),
      JsType::Null => "null".into(),
      JsType::Boolean => format!("a boolean ({})", self.js.boolean(v)?),
      JsType::Symbol => "a symbol".into(),
      JsType::Function => "a function".into(),
      JsType::External => "an external".into(),
      JsType::Number => String::from_utf8_lossy(&self.js.to_string_utf8(v)?).into_owned(),
      JsType::String => "a string".into(),
      JsType::BigInt => "a bigint".into(),
      JsType::Object => {
        if self.js.is_array(v)? {
          "an array".into()
        } else if self.is_map(v)? {
          "a Map".into()
        } else if self.is_set(v)? {
          "a Set".into()
        } else if self.is_plain_object(v)? {
          "an object".into()
        } else {
          let name = self.js.named(v, "constructor").and_then(|c| self.js.named(c, "name"));
          match name {
            Ok(n) if self.js.type_of(n)? == JsType::String => {
              format!("an instance of {}", String::from_utf8_lossy(&self.js.string_utf8(n)?))
            }
            _ => "an object with no plain prototype".into(),
          }
        }
      }
    })
  }

  /// One scalar: a string, binary view, finite number or bigint, as bytes.
  pub fn scalar(&self, v: Handle, path: PathFn) -> Conv<Bytes> {
    match self.js.type_of(v)? {
      JsType::String => Ok(Bytes::from(self.js.string_utf8(v)?)),
      JsType::Number => {
        let n = self.js.number(v)?;
        if !n.is_finite() {
          return Err(type_error(&path(), &self.describe(v)?, SCALARS));
        }
        match integer_text(n) {
          Some(text) => Ok(Bytes::from(text)),
          None => Ok(Bytes::from(self.js.to_string_utf8(v)?)),
        }
      }
      JsType::BigInt => Ok(Bytes::from(self.js.to_string_utf8(v)?)),
      JsType::Object => match self.js.binary_bytes(v)? {
        Some(bytes) => Ok(Bytes::from(bytes)),
        None => Err(type_error(&path(), &self.describe(v)?, SCALARS)),
      },
      _ => Err(type_error(&path(), &self.describe(v)?, SCALARS)),
    }
  }

  /// Element `i` of an array, refusing holes by name.
  fn element(&self, array: Handle, i: u32, path: PathFn) -> Conv<Handle> {
    let v = self.js.element(array, i)?;
    if self.js.type_of(v)? == JsType::Undefined && !self.js.has_element(array, i)? {
      return Err(type_error(&path(), "a hole (sparse array)", SCALARS));
    }
    Ok(v)
  }

  /// Any supported JS value, by the contract's rules.
  pub fn value(&self, v: Handle, root: &str) -> Conv<Value> {
    let path = || root.to_string();
    match self.js.type_of(v)? {
      JsType::String | JsType::Number | JsType::BigInt => Ok(Value::String(self.scalar(v, &path)?)),
      JsType::Object => {
        if self.js.is_array(v)? {
          return self.list(v, root);
        }
        if let Some(bytes) = self.js.binary_bytes(v)? {
          return Ok(Value::String(Bytes::from(bytes)));
        }
        if self.is_set(v)? {
          return self.set(v, root);
        }
        if self.is_map(v)? || self.is_plain_object(v)? {
          return self.hash(v, root);
        }
        Err(type_error(root, &self.describe(v)?, VALUES))
      }
      _ => Err(type_error(root, &self.describe(v)?, VALUES)),
    }
  }

  /// A string value from one scalar.
  pub fn string(&self, v: Handle, root: &str) -> Conv<Value> {
    Ok(Value::String(self.scalar(v, &|| root.to_string())?))
  }

  fn require_array(&self, v: Handle, root: &str, expected: &str) -> Conv<()> {
    if self.js.is_array(v)? {
      Ok(())
    } else {
      Err(type_error(root, &self.describe(v)?, expected))
    }
  }

  /// A list from an array of scalars.
  pub fn list(&self, array: Handle, root: &str) -> Conv<Value> {
    self.require_array(array, root, "an array")?;
    let n = self.js.array_len(array)?;
    let mut items = VecDeque::with_capacity(n as usize);
    for i in 0..n {
      let path = || format!("{root}[{i}]");
      let v = self.element(array, i, &path)?;
      items.push_back(self.scalar(v, &path)?);
    }
    Ok(Value::List(items))
  }

  /// A set from a `Set` or an array of scalars; equal bytes collapse.
  pub fn set(&self, v: Handle, root: &str) -> Conv<Value> {
    let (array, spread) = if self.is_set(v)? {
      (self.array_from(v, None)?, true)
    } else {
      self.require_array(v, root, "a Set or an array")?;
      (v, false)
    };
    let n = self.js.array_len(array)?;
    let mut members = HashSet::with_capacity(n as usize);
    for i in 0..n {
      let path = || if spread { format!("[...{root}][{i}]") } else { format!("{root}[{i}]") };
      let m = self.element(array, i, &path)?;
      members.insert(self.scalar(m, &path)?);
    }
    Ok(Value::Set(members))
  }

  /// A hash from a `Map`, a plain object, or an array of `[field, value]`
  /// pairs. A repeated field keeps its last value.
  pub fn hash(&self, v: Handle, root: &str) -> Conv<Value> {
    let mut map = HashMap::new();
    if self.js.is_array(v)? {
      self.pairs(v, root, |field, value_handle, i| {
        let value = self.scalar(value_handle, &|| format!("{root}[{i}][1]"))?;
        map.insert(field, value);
        Ok(())
      })?;
    } else if self.is_map(v)? {
      let keys = self.array_from(v, Some("keys"))?;
      let values = self.array_from(v, Some("values"))?;
      let n = self.js.array_len(keys)?;
      map.reserve(n as usize);
      for i in 0..n {
        let k = self.js.element(keys, i)?;
        let field = self.scalar(k, &|| format!("[...{root}.keys()][{i}]"))?;
        let value_path = || match std::str::from_utf8(&field) {
          Ok(text) if self.js.type_of(k).ok() == Some(JsType::String) => {
            format!("{root}.get({})", quote(text))
          }
          _ => format!("{root}.get([...{root}.keys()][{i}])"),
        };
        let value = self.scalar(self.js.element(values, i)?, &value_path)?;
        map.insert(field, value);
      }
    } else if self.js.type_of(v)? == JsType::Object && self.is_plain_object(v)? {
      let keys = self.js.own_keys(v)?;
      let n = self.js.array_len(keys)?;
      map.reserve(n as usize);
      for i in 0..n {
        let k = self.js.element(keys, i)?;
        let name = self.js.string_utf8(k)?;
        let value_path = || property_path(root, &String::from_utf8_lossy(&name));
        let value = self.scalar(self.js.property(v, k)?, &value_path)?;
        map.insert(Bytes::from(name), value);
      }
    } else {
      return Err(type_error(
        root,
        &self.describe(v)?,
        "a Map, a plain object or an array of [field, value] pairs",
      ));
    }
    Ok(Value::Hash(map))
  }

  /// A sorted set from an array of `[member, score]` pairs. Scores are
  /// numbers (±Infinity allowed, NaN refused); a repeated member keeps its
  /// last score.
  pub fn zset(&self, v: Handle, root: &str) -> Conv<Value> {
    let mut zset = SortedSet::default();
    self.pairs(v, root, |member, score_handle, i| {
      let score_path = || format!("{root}[{i}][1]");
      if self.js.type_of(score_handle)? != JsType::Number {
        return Err(type_error(&score_path(), &self.describe(score_handle)?, "a number (a score)"));
      }
      match Score::new(self.js.number(score_handle)?) {
        Some(score) => {
          zset.insert(member, score);
          Ok(())
        }
        None => Err(type_error(&score_path(), "NaN", "a number (a score; ±Infinity is allowed, NaN is not)")),
      }
    })?;
    Ok(Value::SortedSet(zset))
  }

  /// Walks an array of two-element arrays: the first converted as a scalar,
  /// the second handed to `each` as it is.
  fn pairs(&self, v: Handle, root: &str, mut each: impl FnMut(Bytes, Handle, u32) -> Conv<()>) -> Conv<()> {
    self.require_array(v, root, "an array of pairs")?;
    let n = self.js.array_len(v)?;
    for i in 0..n {
      let pair_path = || format!("{root}[{i}]");
      let pair = self.element(v, i, &pair_path)?;
      if !self.js.is_array(pair)? || self.js.array_len(pair)? < 2 {
        return Err(type_error(&pair_path(), &self.describe(pair)?, "a [key, value] pair"));
      }
      let first = self.scalar(self.js.element(pair, 0)?, &|| format!("{root}[{i}][0]"))?;
      each(first, self.js.element(pair, 1)?, i)?;
    }
    Ok(())
  }

  /// Bytes out: a UTF-8 string, or a `Buffer`.
  pub fn bytes_to_js(&self, bytes: &[u8], buffers: bool) -> Conv<Handle> {
    if buffers {
      return Ok(self.js.create_buffer(bytes)?);
    }
    self.js.create_string(bytes).map_err(|e| {
      if bytes.len() > MAX_STRING_BYTES_CERTAIN {
        ConvError::Bad(LfError::Range(format!(
          "{} bytes are too many for a JavaScript string (V8's limit is about 512 MiB); use toJS('buffer')",
          bytes.len()
        )))
      } else {
        ConvError::Napi(e)
      }
    })
  }

  fn array_of<'a>(&self, items: impl ExactSizeIterator<Item = &'a Bytes>, buffers: bool) -> Conv<Handle> {
    let array = self.js.create_array(items.len())?;
    for (i, item) in items.enumerate() {
      self.js.set_element(array, i as u32, self.bytes_to_js(item, buffers)?)?;
    }
    Ok(array)
  }

  fn pair(&self, a: Handle, b: Handle) -> Conv<Handle> {
    let pair = self.js.create_array(2)?;
    self.js.set_element(pair, 0, a)?;
    self.js.set_element(pair, 1, b)?;
    Ok(pair)
  }

  /// A fresh JS copy of `value`.
  pub fn to_js(&self, value: &Value, buffers: bool) -> Conv<Handle> {
    match value {
      Value::String(b) => self.bytes_to_js(b, buffers),
      Value::List(items) => self.array_of(items.iter(), buffers),
      Value::Set(members) => {
        let array = self.array_of(members.iter(), buffers)?;
        Ok(self.js.construct(self.global_named(&self.set, "Set")?, &[array])?)
      }
      Value::Hash(map) => {
        let array = self.js.create_array(map.len())?;
        for (i, (k, v)) in map.iter().enumerate() {
          let pair = self.pair(self.bytes_to_js(k, buffers)?, self.bytes_to_js(v, buffers)?)?;
          self.js.set_element(array, i as u32, pair)?;
        }
        Ok(self.js.construct(self.global_named(&self.map, "Map")?, &[array])?)
      }
      Value::SortedSet(z) => {
        let array = self.js.create_array(z.len())?;
        for (i, (member, score)) in z.iter().enumerate() {
          let pair = self.pair(self.bytes_to_js(member, buffers)?, self.js.create_number(score)?)?;
          self.js.set_element(array, i as u32, pair)?;
        }
        Ok(array)
      }
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn paths_name_properties_as_javascript_would() {
    assert_eq!(property_path("value", "name"), "value.name");
    assert_eq!(property_path("value", "$x_1"), "value.$x_1");
    assert_eq!(property_path("value", "two words"), "value[\"two words\"]");
    assert_eq!(property_path("value", "0"), "value[\"0\"]");
    assert_eq!(property_path("value", "q\"\n"), "value[\"q\\\"\\n\"]");
  }

  #[test]
  fn integers_print_as_string_of_n_does() {
    assert_eq!(integer_text(42.0).unwrap(), b"42");
    assert_eq!(integer_text(-7.0).unwrap(), b"-7");
    assert_eq!(integer_text(-0.0).unwrap(), b"0");
    assert_eq!(integer_text(9_007_199_254_740_991.0).unwrap(), b"9007199254740991");
    assert!(integer_text(1.5).is_none(), "fractions are printed by JavaScript");
    assert!(integer_text(1e21).is_none(), "exponent forms are printed by JavaScript");
  }
}
