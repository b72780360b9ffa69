//! Safe, mechanical wrappers over the raw Node-API calls that conversion
//! needs.
//!
//! napi-rs's typed wrappers validate and allocate on every call; converting a
//! million-element array wants one raw call per step and nothing more. This
//! file holds every `unsafe` block of those calls, each justified once: a
//! `Js` is built only from the `napi_env` of the call in progress, on the
//! JavaScript thread, and every `napi_value` it is given or returns is a
//! handle from that same call's scope. Logic lives in `convert`, not here.

use std::ffi::c_void;
use std::ptr;

use napi::{sys, Env, Error, Result, Status};

/// A JavaScript value of the call in progress. Only `Js` and `RawJs` make
/// one, from values Node-API handed us; it is neither `Send` nor stored, so
/// it never outlives the call's handle scope.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Handle(sys::napi_value);

impl Handle {
  /// A value Node-API handed to the running callback.
  pub fn from_raw(v: sys::napi_value) -> Handle {
    Handle(v)
  }

  pub fn raw(self) -> sys::napi_value {
    self.0
  }
}

/// The environment of the call in progress.
#[derive(Clone, Copy)]
pub struct Js {
  env: sys::napi_env,
}

/// What `typeof` says, plus the distinctions conversion needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsType {
  Undefined,
  Null,
  Boolean,
  Number,
  String,
  Symbol,
  Object,
  Function,
  External,
  BigInt,
}

fn check(status: sys::napi_status, what: &str) -> Result<()> {
  if status == sys::Status::napi_ok {
    Ok(())
  } else {
    Err(Error::new(Status::from(status), format!("lazyfree: Node-API call {what} failed")))
  }
}

impl Js {
  pub fn new(env: &Env) -> Js {
    Js { env: env.raw() }
  }

  pub fn env(&self) -> Env {
    Env::from_raw(self.env)
  }

  pub fn raw_env(&self) -> sys::napi_env {
    self.env
  }

  #[allow(non_upper_case_globals)]
  pub fn type_of(&self, v: Handle) -> Result<JsType> {
    let mut t = 0;
    // SAFETY: `self.env` and `v` belong to the call in progress (module doc).
    check(unsafe { sys::napi_typeof(self.env, v.0, &mut t) }, "typeof")?;
    use sys::ValueType::*;
    Ok(match t {
      napi_undefined => JsType::Undefined,
      napi_null => JsType::Null,
      napi_boolean => JsType::Boolean,
      napi_number => JsType::Number,
      napi_string => JsType::String,
      napi_symbol => JsType::Symbol,
      napi_function => JsType::Function,
      napi_external => JsType::External,
      napi_bigint => JsType::BigInt,
      _ => JsType::Object,
    })
  }

  pub fn is_array(&self, v: Handle) -> Result<bool> {
    let mut r = false;
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_is_array(self.env, v.0, &mut r) }, "is_array")?;
    Ok(r)
  }

  pub fn array_len(&self, v: Handle) -> Result<u32> {
    let mut n = 0;
    // SAFETY: see the module doc; `v` is an array (checked by the caller).
    check(unsafe { sys::napi_get_array_length(self.env, v.0, &mut n) }, "get_array_length")?;
    Ok(n)
  }

  pub fn element(&self, v: Handle, i: u32) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_get_element(self.env, v.0, i, &mut r) }, "get_element")?;
    Ok(Handle(r))
  }

  pub fn has_element(&self, v: Handle, i: u32) -> Result<bool> {
    let mut r = false;
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_has_element(self.env, v.0, i, &mut r) }, "has_element")?;
    Ok(r)
  }

  /// Copies a string's UTF-8 bytes out.
  pub fn string_utf8(&self, v: Handle) -> Result<Vec<u8>> {
    // Most strings are short: try a stack buffer first, and only ask for the
    // length when it may have been too small.
    let mut small = [0u8; 256];
    let mut len = 0usize;
    // SAFETY: see the module doc; the buffer and its size are ours.
    check(
      unsafe {
        sys::napi_get_value_string_utf8(self.env, v.0, small.as_mut_ptr().cast(), small.len(), &mut len)
      },
      "get_value_string_utf8",
    )?;
    if len < small.len() - 4 {
      return Ok(small[..len].to_vec());
    }
    // SAFETY: a null buffer asks for the length only.
    check(
      unsafe { sys::napi_get_value_string_utf8(self.env, v.0, ptr::null_mut(), 0, &mut len) },
      "get_value_string_utf8",
    )?;
    let mut buf = vec![0u8; len + 1];
    let mut copied = 0usize;
    // SAFETY: the buffer holds `len + 1` bytes, room for the terminator.
    check(
      unsafe {
        sys::napi_get_value_string_utf8(self.env, v.0, buf.as_mut_ptr().cast(), buf.len(), &mut copied)
      },
      "get_value_string_utf8",
    )?;
    buf.truncate(copied);
    Ok(buf)
  }

  pub fn number(&self, v: Handle) -> Result<f64> {
    let mut r = 0f64;
    // SAFETY: see the module doc; `v` is a number (checked by the caller).
    check(unsafe { sys::napi_get_value_double(self.env, v.0, &mut r) }, "get_value_double")?;
    Ok(r)
  }

  pub fn boolean(&self, v: Handle) -> Result<bool> {
    let mut r = false;
    // SAFETY: see the module doc; `v` is a boolean (checked by the caller).
    check(unsafe { sys::napi_get_value_bool(self.env, v.0, &mut r) }, "get_value_bool")?;
    Ok(r)
  }

  /// `String(v)`, as JavaScript would print it.
  pub fn to_string_utf8(&self, v: Handle) -> Result<Vec<u8>> {
    let mut s = ptr::null_mut();
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_coerce_to_string(self.env, v.0, &mut s) }, "coerce_to_string")?;
    self.string_utf8(Handle(s))
  }

  /// The bytes of any `ArrayBufferView` or `ArrayBuffer`, copied.
  ///
  /// Every length comes from Node-API, and nothing between taking the data
  /// pointer and copying from it runs JavaScript: no property is read, no
  /// function called. A typed array of a kind Node-API does not name (its
  /// element size unknown to us) is copied only when the caller passes its
  /// byte length in `known_len` — read before this call, by the intrinsic
  /// `%TypedArray%.prototype.byteLength` getter — and that length agrees
  /// with the element count and the buffer Node-API reports; otherwise the
  /// answer is `Binary::UnknownKind`. Nothing longer than `limit` bytes is
  /// copied (`Binary::TooLong`).
  pub fn binary_bytes(&self, v: Handle, known_len: Option<usize>, limit: usize) -> Result<Binary> {
    let mut yes = false;
    let mut data: *mut c_void = ptr::null_mut();
    let byte_len;
    // SAFETY: for each kind, we ask for its data only after Node-API has
    // told us `v` is of that kind; the pointer and length it returns describe
    // memory that stays valid until JavaScript runs again, and we copy from
    // it before returning, calling nothing but Node-API's own getters.
    unsafe {
      check(sys::napi_is_typedarray(self.env, v.0, &mut yes), "is_typedarray")?;
      if yes {
        // Node-API leaves `kind` untouched for a kind it does not know (Node
        // 22 with --js-float16array), so it starts as a kind nobody has.
        let mut kind: sys::napi_typedarray_type = UNKNOWN_TYPED_ARRAY;
        let mut length = 0usize;
        let mut buffer = ptr::null_mut();
        let mut offset = 0usize;
        check(
          sys::napi_get_typedarray_info(
            self.env,
            v.0,
            &mut kind,
            &mut length,
            &mut data,
            &mut buffer,
            &mut offset,
          ),
          "get_typedarray_info",
        )?;
        byte_len = match typed_array_element_size(kind) {
          Some(size) => length.checked_mul(size).ok_or_else(|| Error::from_reason("typed array too long"))?,
          None => {
            let Some(n) = known_len else {
              return Ok(Binary::UnknownKind);
            };
            // The element size must be one a typed array can have, and the
            // bytes must lie inside the buffer Node-API reports.
            let mut buffer_data: *mut c_void = ptr::null_mut();
            let mut buffer_len = 0usize;
            check(
              sys::napi_get_arraybuffer_info(self.env, buffer, &mut buffer_data, &mut buffer_len),
              "get_arraybuffer_info",
            )?;
            let size_ok =
              if length == 0 { n == 0 } else { n % length == 0 && matches!(n / length, 1 | 2 | 4 | 8) };
            let inside = offset.checked_add(n).is_some_and(|end| end <= buffer_len);
            if !size_ok || !inside {
              return Ok(Binary::UnknownKind);
            }
            n
          }
        };
      } else {
        check(sys::napi_is_dataview(self.env, v.0, &mut yes), "is_dataview")?;
        if yes {
          let mut buffer = ptr::null_mut();
          let mut offset = 0usize;
          let mut len = 0usize;
          check(
            sys::napi_get_dataview_info(self.env, v.0, &mut len, &mut data, &mut buffer, &mut offset),
            "get_dataview_info",
          )?;
          byte_len = len;
        } else {
          check(sys::napi_is_arraybuffer(self.env, v.0, &mut yes), "is_arraybuffer")?;
          if !yes {
            return Ok(Binary::NotBinary);
          }
          let mut len = 0usize;
          check(sys::napi_get_arraybuffer_info(self.env, v.0, &mut data, &mut len), "get_arraybuffer_info")?;
          byte_len = len;
        }
      }
      if byte_len > limit {
        return Ok(Binary::TooLong(byte_len));
      }
      if data.is_null() || byte_len == 0 {
        return Ok(Binary::Bytes(Vec::new()));
      }
      Ok(Binary::Bytes(std::slice::from_raw_parts(data as *const u8, byte_len).to_vec()))
    }
  }

  /// Whether a string is well-formed UTF-16 (no lone surrogate); `Err(i)`
  /// gives the index of the first lone surrogate. Reads the string's UTF-16
  /// units, so it is only asked when the UTF-8 copy shows a U+FFFD, which is
  /// what Node-API puts in place of a lone surrogate.
  pub fn well_formed(&self, v: Handle) -> Result<std::result::Result<(), usize>> {
    let mut len = 0usize;
    // SAFETY: see the module doc; a null buffer asks for the length only.
    check(
      unsafe { sys::napi_get_value_string_utf16(self.env, v.0, ptr::null_mut(), 0, &mut len) },
      "get_value_string_utf16",
    )?;
    let mut units = vec![0u16; len + 1];
    let mut copied = 0usize;
    // SAFETY: the buffer holds `len + 1` units, room for the terminator.
    check(
      unsafe {
        sys::napi_get_value_string_utf16(self.env, v.0, units.as_mut_ptr(), units.len(), &mut copied)
      },
      "get_value_string_utf16",
    )?;
    units.truncate(copied);
    let mut i = 0usize;
    for c in char::decode_utf16(units.iter().copied()) {
      match c {
        Ok(c) => i += c.len_utf16(),
        Err(_) => return Ok(Err(i)),
      }
    }
    Ok(Ok(()))
  }

  /// Calls `function`; `None` (with the exception cleared) when it throws.
  /// For brand checks only: intrinsic functions that throw a `TypeError` on
  /// a receiver of the wrong kind and run no user code.
  pub fn try_call(&self, this: Handle, function: Handle, args: &[Handle]) -> Result<Option<Handle>> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc; `args` outlives the call.
    let status = unsafe {
      sys::napi_call_function(self.env, this.0, function.0, args.len(), args.as_ptr().cast(), &mut r)
    };
    if status == sys::Status::napi_pending_exception {
      let mut e = ptr::null_mut();
      // SAFETY: see the module doc; clears the exception the call left.
      check(
        unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut e) },
        "get_and_clear_last_exception",
      )?;
      return Ok(None);
    }
    check(status, "call_function")?;
    Ok(Some(Handle(r)))
  }

  pub fn global(&self) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_get_global(self.env, &mut r) }, "get_global")?;
    Ok(Handle(r))
  }

  pub fn named(&self, object: Handle, name: &str) -> Result<Handle> {
    let name = std::ffi::CString::new(name)
      .map_err(|_| Error::from_reason("lazyfree: property name has a NUL byte"))?;
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc; `name` is NUL-terminated and outlives the call.
    check(
      unsafe { sys::napi_get_named_property(self.env, object.0, name.as_ptr(), &mut r) },
      "get_named_property",
    )?;
    Ok(Handle(r))
  }

  pub fn property(&self, object: Handle, key: Handle) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_get_property(self.env, object.0, key.0, &mut r) }, "get_property")?;
    Ok(Handle(r))
  }

  pub fn instance_of(&self, v: Handle, constructor: Handle) -> Result<bool> {
    let mut r = false;
    // SAFETY: see the module doc; `constructor` is a function from the global object.
    check(unsafe { sys::napi_instanceof(self.env, v.0, constructor.0, &mut r) }, "instanceof")?;
    Ok(r)
  }

  /// `Object.getPrototypeOf(v)`. Not `napi_get_prototype`: on a `Proxy` that
  /// answers the proxy's own hidden prototype, null, which would make any
  /// proxied object (a `Date`, a class instance) look like a plain one.
  pub fn prototype(&self, v: Handle) -> Result<Handle> {
    let object = self.named(self.global()?, "Object")?;
    let get_prototype_of = self.named(object, "getPrototypeOf")?;
    self.call(object, get_prototype_of, &[v])
  }

  pub fn strict_equals(&self, a: Handle, b: Handle) -> Result<bool> {
    let mut r = false;
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_strict_equals(self.env, a.0, b.0, &mut r) }, "strict_equals")?;
    Ok(r)
  }

  /// Own enumerable string keys, as an array of strings.
  pub fn own_keys(&self, object: Handle) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc.
    check(
      unsafe {
        sys::napi_get_all_property_names(
          self.env,
          object.0,
          sys::KeyCollectionMode::own_only,
          sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
          sys::KeyConversion::numbers_to_strings,
          &mut r,
        )
      },
      "get_all_property_names",
    )?;
    Ok(Handle(r))
  }

  pub fn call(&self, this: Handle, function: Handle, args: &[Handle]) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc; `args` outlives the call.
    check(
      unsafe {
        sys::napi_call_function(self.env, this.0, function.0, args.len(), args.as_ptr().cast(), &mut r)
      },
      "call_function",
    )?;
    Ok(Handle(r))
  }

  pub fn construct(&self, constructor: Handle, args: &[Handle]) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc; `args` outlives the call.
    check(
      unsafe { sys::napi_new_instance(self.env, constructor.0, args.len(), args.as_ptr().cast(), &mut r) },
      "new_instance",
    )?;
    Ok(Handle(r))
  }

  /// A JS string from UTF-8 bytes; invalid sequences become U+FFFD.
  pub fn create_string(&self, bytes: &[u8]) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc; the pointer and length describe `bytes`.
    check(
      unsafe { sys::napi_create_string_utf8(self.env, bytes.as_ptr().cast(), bytes.len() as isize, &mut r) },
      "create_string_utf8",
    )?;
    Ok(Handle(r))
  }

  pub fn create_buffer(&self, bytes: &[u8]) -> Result<Handle> {
    let mut r = ptr::null_mut();
    let mut data = ptr::null_mut();
    // SAFETY: see the module doc; Node copies `bytes.len()` bytes from `bytes`.
    check(
      unsafe {
        sys::napi_create_buffer_copy(self.env, bytes.len(), bytes.as_ptr().cast(), &mut data, &mut r)
      },
      "create_buffer_copy",
    )?;
    Ok(Handle(r))
  }

  pub fn create_number(&self, n: f64) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_create_double(self.env, n, &mut r) }, "create_double")?;
    Ok(Handle(r))
  }

  pub fn create_array(&self, len: usize) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_create_array_with_length(self.env, len, &mut r) }, "create_array_with_length")?;
    Ok(Handle(r))
  }

  pub fn set_element(&self, array: Handle, i: u32, v: Handle) -> Result<()> {
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_set_element(self.env, array.0, i, v.0) }, "set_element")
  }

  pub fn create_object(&self) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_create_object(self.env, &mut r) }, "create_object")?;
    Ok(Handle(r))
  }

  pub fn set_property(&self, object: Handle, key: Handle, v: Handle) -> Result<()> {
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_set_property(self.env, object.0, key.0, v.0) }, "set_property")
  }

  pub fn null(&self) -> Result<Handle> {
    let mut r = ptr::null_mut();
    // SAFETY: see the module doc.
    check(unsafe { sys::napi_get_null(self.env, &mut r) }, "get_null")?;
    Ok(Handle(r))
  }
}

/// What `binary_bytes` found.
pub enum Binary {
  /// Not an `ArrayBufferView` or `ArrayBuffer`.
  NotBinary,
  /// The bytes, copied.
  Bytes(Vec<u8>),
  /// A typed array whose element size Node-API does not tell and whose byte
  /// length was not given (or did not agree with Node-API's figures).
  UnknownKind,
  /// Longer than the limit; nothing was copied.
  TooLong(usize),
}

/// A `napi_typedarray_type` no Node-API version uses: what `kind` holds when
/// `napi_get_typedarray_info` did not set it.
const UNKNOWN_TYPED_ARRAY: sys::napi_typedarray_type = -1;

/// `napi_float16_array` (Node 24's js_native_api_types.h; napi-sys 3 does not
/// name it yet).
const FLOAT16_ARRAY: sys::napi_typedarray_type = 11;

/// Bytes per element of a typed array kind (`napi_typedarray_type`); `None`
/// for a kind this table does not know, whose byte length must then come
/// from elsewhere (`binary_bytes`).
#[allow(non_upper_case_globals)]
fn typed_array_element_size(kind: sys::napi_typedarray_type) -> Option<usize> {
  use sys::TypedarrayType::*;
  match kind {
    int8_array | uint8_array | uint8_clamped_array => Some(1),
    int16_array | uint16_array | FLOAT16_ARRAY => Some(2),
    int32_array | uint32_array | float32_array => Some(4),
    float64_array | bigint64_array | biguint64_array => Some(8),
    _ => None,
  }
}

/// A JavaScript value passed through a napi-rs method untouched, in either
/// direction.
#[derive(Clone, Copy)]
pub struct RawJs(pub Handle);

impl napi::bindgen_prelude::FromNapiValue for RawJs {
  unsafe fn from_napi_value(_env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
    Ok(RawJs(Handle(value)))
  }
}

impl napi::bindgen_prelude::ToNapiValue for RawJs {
  unsafe fn to_napi_value(_env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
    Ok(value.0 .0)
  }
}

impl napi::bindgen_prelude::TypeName for RawJs {
  fn type_name() -> &'static str {
    "unknown"
  }

  fn value_type() -> napi::ValueType {
    napi::ValueType::Unknown
  }
}

impl napi::bindgen_prelude::ValidateNapiValue for RawJs {}
