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
//! Kinds are recognised whatever realm made the value: a `Map`, `Set` or
//! plain object from a `vm` context (as test runners make them) converts as
//! one from this realm, and a `Proxy` of an array as an array. `Map`s and
//! `Set`s are told by their internal slots (the intrinsic `size` getters) and
//! read through the intrinsic iterators, never through methods the object
//! may have replaced. A string that is not well-formed UTF-16 (a lone
//! surrogate) is refused rather than replaced with U+FFFD, so distinct
//! strings never become equal bytes, and no scalar longer than
//! `memory::MAX_STRING_BYTES` enters native memory. An exception thrown by
//! the caller's own code (a getter, a proxy trap) propagates unchanged.
//!
//! Output goes the other way: lists become arrays, sets `Set`s, hashes
//! `Map`s, sorted sets `[member, score]` pairs in Redis order; bytes become
//! UTF-8 strings, or `Buffer`s when asked.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::error::LfError;
use crate::glue::js::{Binary, Handle, Js, JsType};
use crate::memory::MAX_STRING_BYTES;
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
  intrinsics: OnceCell<Intrinsics>,
}

/// Built-in functions of this realm, looked up once per conversion that
/// needs them. Each works on a value of any realm and runs no user code.
#[derive(Clone, Copy)]
struct Intrinsics {
  /// `Array.isArray` (true for a `Proxy` of an array).
  is_array: Handle,
  /// The `size` getters of `Map.prototype` and `Set.prototype`: they throw
  /// for anything without a `Map`'s (or `Set`'s) internal slots.
  map_size: Handle,
  set_size: Handle,
  map_keys: Handle,
  map_values: Handle,
  set_values: Handle,
  /// `%TypedArray%.prototype.byteLength`'s getter.
  typed_array_byte_length: Handle,
  /// `Object.getOwnPropertyDescriptor`, with `Object` as its receiver.
  object: Handle,
  own_descriptor: Handle,
  /// `Function.prototype.toString`.
  function_to_string: Handle,
}

/// How an object converts, once its kind is known.
enum Shape {
  /// An array (a `Proxy` of one is read once, into a real array).
  Array(Handle),
  Map,
  Set,
  Plain,
  Other,
}

/// The refusal of a string that is not well-formed UTF-16 (a lone surrogate
/// at UTF-16 index `at`): the one wording for keys (`bytes_allowed` false)
/// and values, as the facade's `notWellFormed` words it for keys too.
pub(crate) fn not_well_formed(path: &str, at: usize, bytes_allowed: bool) -> LfError {
  LfError::Type(format!(
    "{path} is a string with a lone surrogate at index {at} (not well-formed UTF-16, so it has no UTF-8 form); \
     expected well-formed text: mend it with toWellFormed() if replacing it with U+FFFD is acceptable{}",
    if bytes_allowed { ", or pass the bytes you mean as a Buffer" } else { "" }
  ))
}

/// U+FFFD in UTF-8: what Node-API writes for a lone surrogate.
const REPLACEMENT_CHARACTER: &[u8] = "\u{FFFD}".as_bytes();

/// The refusal of a scalar longer than `MAX_STRING_BYTES`.
fn too_long(path: &str, len: usize) -> ConvError {
  ConvError::Bad(LfError::Range(format!(
    "{path} is {len} bytes; the limit is {MAX_STRING_BYTES} bytes (512 MiB, Redis's proto-max-bulk-len): \
     split it into several values"
  )))
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
      intrinsics: OnceCell::new(),
    }
  }

  fn intrinsics(&self) -> Conv<Intrinsics> {
    if let Some(i) = self.intrinsics.get() {
      return Ok(*i);
    }
    let js = self.js;
    let global = js.global()?;
    let object = js.named(global, "Object")?;
    let own_descriptor = js.named(object, "getOwnPropertyDescriptor")?;
    let getter = |of: Handle, name: &str| -> Conv<Handle> {
      let key = js.create_string(name.as_bytes())?;
      let descriptor = js.call(object, own_descriptor, &[of, key])?;
      Ok(js.named(descriptor, "get")?)
    };
    let map_prototype = js.named(self.global_named(&self.map, "Map")?, "prototype")?;
    let set_prototype = js.named(self.global_named(&self.set, "Set")?, "prototype")?;
    let uint8_prototype = js.named(js.named(global, "Uint8Array")?, "prototype")?;
    let typed_array_prototype = js.prototype(uint8_prototype)?;
    let function_prototype = js.named(js.named(global, "Function")?, "prototype")?;
    let i = Intrinsics {
      is_array: js.named(js.named(global, "Array")?, "isArray")?,
      map_size: getter(map_prototype, "size")?,
      set_size: getter(set_prototype, "size")?,
      map_keys: js.named(map_prototype, "keys")?,
      map_values: js.named(map_prototype, "values")?,
      set_values: js.named(set_prototype, "values")?,
      typed_array_byte_length: getter(typed_array_prototype, "byteLength")?,
      object,
      own_descriptor,
      function_to_string: js.named(function_prototype, "toString")?,
    };
    Ok(*self.intrinsics.get_or_init(|| i))
  }

  /// Whether `v` (an object) has a `Map`'s internal slots, whatever its realm.
  fn map_brand(&self, v: Handle) -> Conv<bool> {
    Ok(self.js.try_call(v, self.intrinsics()?.map_size, &[])?.is_some())
  }

  /// Whether `v` (an object) has a `Set`'s internal slots, whatever its realm.
  fn set_brand(&self, v: Handle) -> Conv<bool> {
    Ok(self.js.try_call(v, self.intrinsics()?.set_size, &[])?.is_some())
  }

  /// `Object.getOwnPropertyDescriptor(v, name)?.value`, reading no getter.
  fn own_value(&self, v: Handle, name: &str) -> Conv<Option<Handle>> {
    let i = self.intrinsics()?;
    let key = self.js.create_string(name.as_bytes())?;
    let descriptor = self.js.call(i.object, i.own_descriptor, &[v, key])?;
    if self.js.type_of(descriptor)? != JsType::Object {
      return Ok(None);
    }
    Ok(Some(self.js.named(descriptor, "value")?))
  }

  /// Whether `proto` is some realm's `Object.prototype`: its own
  /// prototype is null and its own `constructor` is a built-in `Object`
  /// whose own `prototype` is `proto`. Reads data properties only.
  fn is_object_prototype(&self, proto: Handle) -> Conv<bool> {
    if self.js.type_of(self.js.prototype(proto)?)? != JsType::Null {
      return Ok(false);
    }
    let Some(constructor) = self.own_value(proto, "constructor")? else {
      return Ok(false);
    };
    if self.js.type_of(constructor)? != JsType::Function {
      return Ok(false);
    }
    let source = self.js.call(constructor, self.intrinsics()?.function_to_string, &[])?;
    if self.js.string_utf8(source)? != b"function Object() { [native code] }" {
      return Ok(false);
    }
    match self.own_value(constructor, "prototype")? {
      Some(p) => Ok(self.js.strict_equals(p, proto)?),
      None => Ok(false),
    }
  }

  /// What kind of collection an object is. This realm's arrays, `Set`s,
  /// `Map`s and plain objects are told first, cheaply; only an object none
  /// of those fits is checked for the same kinds made elsewhere (another
  /// realm, a `Proxy` of an array).
  fn shape(&self, v: Handle, root: &str) -> Conv<Shape> {
    if self.js.is_array(v)? {
      return Ok(Shape::Array(v));
    }
    if self.js.instance_of(v, self.global_named(&self.set, "Set")?)? {
      return if self.set_brand(v)? { Ok(Shape::Set) } else { Err(self.not_really(root, "Set")) };
    }
    if self.js.instance_of(v, self.global_named(&self.map, "Map")?)? {
      return if self.map_brand(v)? { Ok(Shape::Map) } else { Err(self.not_really(root, "Map")) };
    }
    let proto = self.js.prototype(v)?;
    if self.js.type_of(proto)? == JsType::Null || self.js.strict_equals(proto, self.object_prototype()?)? {
      return Ok(Shape::Plain);
    }
    let i = self.intrinsics()?;
    if self.js.boolean(self.js.call(i.is_array, i.is_array, &[v])?)? {
      return Ok(Shape::Array(self.array_from(v)?));
    }
    if self.map_brand(v)? {
      return Ok(Shape::Map);
    }
    if self.set_brand(v)? {
      return Ok(Shape::Set);
    }
    if self.is_object_prototype(proto)? {
      return Ok(Shape::Plain);
    }
    Ok(Shape::Other)
  }

  /// The refusal of an object that inherits from `Map.prototype` (or
  /// `Set.prototype`) without being one: a `Proxy` of a `Map`, or
  /// `Object.create(Map.prototype)`.
  fn not_really(&self, root: &str, kind: &str) -> ConvError {
    ConvError::Bad(LfError::Type(format!(
      "{root} inherits from {kind}.prototype but is not a {kind} (a Proxy of a {kind}, or Object.create({kind}.prototype)); \
       its entries cannot be read without running its code: pass the {kind} itself, or new {kind}(value)"
    )))
  }

  /// Refuses a `Map` or `Set` whose iteration methods were replaced by
  /// something that is not a function: its entries are read through the
  /// intrinsic iterators, which would silently disagree with what the
  /// object itself claims.
  fn check_methods(&self, v: Handle, root: &str, kind: &str, names: &[&str]) -> Conv<()> {
    for name in names {
      let method = self.js.named(v, name)?;
      if self.js.type_of(method)? != JsType::Function {
        return Err(ConvError::Bad(LfError::Type(format!(
          "{root} is a {kind} whose {name} is {}, not a function; a {kind} with its methods replaced is refused: \
           pass new {kind}(value), or delete the own {name} property",
          self.describe(method)?
        ))));
      }
    }
    Ok(())
  }

  fn object_prototype(&self) -> Conv<Handle> {
    if let Some(h) = self.object_prototype.get() {
      return Ok(*h);
    }
    let object = self.js.named(self.js.global()?, "Object")?;
    let h = self.js.named(object, "prototype")?;
    Ok(*self.object_prototype.get_or_init(|| h))
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
    Ok(self.js.strict_equals(proto, self.object_prototype()?)? || self.is_object_prototype(proto)?)
  }

  /// `Array.from(source)`.
  fn array_from(&self, source: Handle) -> Conv<Handle> {
    let (array, from) = match self.array_from.get() {
      Some(pair) => *pair,
      None => {
        let array = self.js.named(self.js.global()?, "Array")?;
        let from = self.js.named(array, "from")?;
        *self.array_from.get_or_init(|| (array, from))
      }
    };
    Ok(self.js.call(array, from, &[source])?)
  }

  /// `Array.from(method.call(v))`, for an intrinsic iterator method.
  fn array_from_iterator(&self, v: Handle, method: Handle) -> Conv<Handle> {
    let iterator = self.js.call(v, method, &[])?;
    self.array_from(iterator)
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

  /// Refuses bytes longer than `MAX_STRING_BYTES`.
  fn fit(&self, bytes: Vec<u8>, path: PathFn) -> Conv<Bytes> {
    if bytes.len() > MAX_STRING_BYTES {
      return Err(too_long(&path(), bytes.len()));
    }
    Ok(Bytes::from(bytes))
  }

  /// A string's UTF-8 bytes, refusing one that is not well-formed UTF-16.
  /// Node-API writes U+FFFD for a lone surrogate, so only bytes holding
  /// U+FFFD are checked further (a real U+FFFD is accepted).
  fn text(&self, v: Handle, path: PathFn) -> Conv<Vec<u8>> {
    let bytes = self.js.string_utf8(v)?;
    if memchr::memmem::find(&bytes, REPLACEMENT_CHARACTER).is_some() {
      if let Err(at) = self.js.well_formed(v)? {
        return Err(ConvError::Bad(not_well_formed(&path(), at, true)));
      }
    }
    Ok(bytes)
  }

  /// The bytes of a binary view or `ArrayBuffer`; `None` for other objects.
  fn binary(&self, v: Handle, path: PathFn) -> Conv<Option<Bytes>> {
    let found = match self.js.binary_bytes(v, None, MAX_STRING_BYTES)? {
      Binary::UnknownKind => {
        // A typed array kind Node-API does not name: its byte length comes
        // from the intrinsic getter, read before any pointer is taken, and is
        // checked against Node-API's own figures.
        let i = self.intrinsics()?;
        let n = self.js.number(self.js.call(v, i.typed_array_byte_length, &[])?)?;
        let known =
          if n >= 0.0 && n.fract() == 0.0 && n <= usize::MAX as f64 { n as usize } else { usize::MAX };
        self.js.binary_bytes(v, Some(known), MAX_STRING_BYTES)?
      }
      other => other,
    };
    match found {
      Binary::NotBinary => Ok(None),
      Binary::Bytes(b) => Ok(Some(Bytes::from(b))),
      Binary::TooLong(n) => Err(too_long(&path(), n)),
      Binary::UnknownKind => Err(ConvError::Bad(LfError::Type(format!(
        "{} is a typed array of a kind this Node's Node-API does not describe, and its byte length could not be \
         confirmed; expected a Buffer, Uint8Array or other typed array: copy it with \
         new Uint8Array(x.buffer, x.byteOffset, x.byteLength)",
        path()
      )))),
    }
  }

  /// One scalar: a string, binary view, finite number or bigint, as bytes.
  pub fn scalar(&self, v: Handle, path: PathFn) -> Conv<Bytes> {
    match self.js.type_of(v)? {
      JsType::String => {
        let bytes = self.text(v, path)?;
        self.fit(bytes, path)
      }
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
      JsType::BigInt => self.fit(self.js.to_string_utf8(v)?, path),
      JsType::Object => match self.binary(v, path)? {
        Some(bytes) => Ok(bytes),
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
          return self.list_of(v, root);
        }
        if let Some(bytes) = self.binary(v, &path)? {
          return Ok(Value::String(bytes));
        }
        match self.shape(v, root)? {
          Shape::Array(array) => self.list_of(array, root),
          Shape::Set => self.set_members(v, root),
          Shape::Map => self.map_entries(v, root),
          Shape::Plain => self.object_entries(v, root),
          Shape::Other => Err(type_error(root, &self.describe(v)?, VALUES)),
        }
      }
      _ => Err(type_error(root, &self.describe(v)?, VALUES)),
    }
  }

  /// A string value from one scalar.
  pub fn string(&self, v: Handle, root: &str) -> Conv<Value> {
    Ok(Value::String(self.scalar(v, &|| root.to_string())?))
  }

  /// `v` as an array (a `Proxy` of an array read into a real one), or a
  /// `TypeError` saying `expected`.
  fn require_array(&self, v: Handle, root: &str, expected: &str) -> Conv<Handle> {
    if self.js.is_array(v)? {
      return Ok(v);
    }
    if self.js.type_of(v)? == JsType::Object {
      let i = self.intrinsics()?;
      if self.js.boolean(self.js.call(i.is_array, i.is_array, &[v])?)? {
        return self.array_from(v);
      }
    }
    Err(type_error(root, &self.describe(v)?, expected))
  }

  /// A list from an array of scalars.
  pub fn list(&self, array: Handle, root: &str) -> Conv<Value> {
    let array = self.require_array(array, root, "an array")?;
    self.list_of(array, root)
  }

  fn list_of(&self, array: Handle, root: &str) -> Conv<Value> {
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
    if !self.js.is_array(v)? && self.js.type_of(v)? == JsType::Object {
      if let Shape::Set = self.shape(v, root)? {
        return self.set_members(v, root);
      }
    }
    let array = self.require_array(v, root, "a Set or an array")?;
    self.members(array, root, false)
  }

  fn set_members(&self, v: Handle, root: &str) -> Conv<Value> {
    self.check_methods(v, root, "Set", &["values", "keys", "entries"])?;
    let array = self.array_from_iterator(v, self.intrinsics()?.set_values)?;
    self.members(array, root, true)
  }

  fn members(&self, array: Handle, root: &str, spread: bool) -> Conv<Value> {
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
    let shape = if self.js.type_of(v)? == JsType::Object { self.shape(v, root)? } else { Shape::Other };
    match shape {
      Shape::Array(array) => {
        let mut map = HashMap::new();
        self.pairs(array, root, |field, value_handle, i| {
          let value = self.scalar(value_handle, &|| format!("{root}[{i}][1]"))?;
          map.insert(field, value);
          Ok(())
        })?;
        Ok(Value::Hash(map))
      }
      Shape::Map => self.map_entries(v, root),
      Shape::Plain => self.object_entries(v, root),
      Shape::Set | Shape::Other => {
        Err(type_error(root, &self.describe(v)?, "a Map, a plain object or an array of [field, value] pairs"))
      }
    }
  }

  fn map_entries(&self, v: Handle, root: &str) -> Conv<Value> {
    self.check_methods(v, root, "Map", &["keys", "values", "entries"])?;
    let i = self.intrinsics()?;
    let keys = self.array_from_iterator(v, i.map_keys)?;
    let values = self.array_from_iterator(v, i.map_values)?;
    let n = self.js.array_len(keys)?;
    let mut map = HashMap::with_capacity(n as usize);
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
    Ok(Value::Hash(map))
  }

  fn object_entries(&self, v: Handle, root: &str) -> Conv<Value> {
    let keys = self.js.own_keys(v)?;
    let n = self.js.array_len(keys)?;
    let mut map = HashMap::with_capacity(n as usize);
    for i in 0..n {
      let k = self.js.element(keys, i)?;
      let name = self.text(k, &|| format!("[...Object.keys({root})][{i}]"))?;
      let value_path = || property_path(root, &String::from_utf8_lossy(&name));
      let name = self.fit(name.clone(), &value_path)?;
      let value = self.scalar(self.js.property(v, k)?, &value_path)?;
      map.insert(name, value);
    }
    Ok(Value::Hash(map))
  }

  /// A sorted set from an array of `[member, score]` pairs. Scores are
  /// numbers (±Infinity allowed, NaN refused); a repeated member keeps its
  /// last score.
  pub fn zset(&self, v: Handle, root: &str) -> Conv<Value> {
    let mut zset = SortedSet::default();
    let array = self.require_array(v, root, "an array of pairs")?;
    self.pairs(array, root, |member, score_handle, i| {
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
    let n = self.js.array_len(v)?;
    for i in 0..n {
      let pair_path = || format!("{root}[{i}]");
      let pair = self.element(v, i, &pair_path)?;
      let pair = self.require_array(pair, &pair_path(), "a [key, value] pair")?;
      if self.js.array_len(pair)? < 2 {
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
