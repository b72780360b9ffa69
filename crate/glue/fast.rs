//! The hot path: keyspace `get`, `set`, `mget` and `mset`, `Dropper#defer`
//! and `NativeValue#release` (and the `capacity` getter) as plain Node-API
//! functions over ids, at the cost floor of a call into the addon; and
//! `ksGetFloor`, a get's Node-API calls alone, for the benchmarks.
//!
//! Why it exists: a `#[napi]` class method pays ~300 ns before it does
//! anything (unwrapping `this`, checking its type tag, opening and closing a
//! native-borrow scope, copying a `String` argument), eight times the work a
//! lookup needs. These functions are registered by hand (`register`), read
//! their arguments with one `napi_get_cb_info`, find the keyspace by a number
//! in a thread-local table, read the key once into a stack buffer and build
//! the reply once.
//!
//! Guarantees:
//! - A keyspace, dropper or native value is reached only through its id, in
//!   the table of the thread that made it; an unknown, stale or foreign id is
//!   refused (for a keyspace, with the `ERR_LAZYFREE_CLOSED` error the facade
//!   throws for a closed one) and never dereferences anything.
//! - A shared keyspace (`Keyspace.open`) is served too: its entry holds the
//!   lease slot of its `SharedKeyspaceHandle`. The key is read and the value
//!   converted first; the shard lock(s) are then taken (MGET: every needed
//!   shard in ascending order, as `SharedKeyspace::mget`), the replies copied
//!   out as owned `Bytes` (a reference count), the locks released, and only
//!   then are JavaScript values made. No JavaScript ever runs under a lock.
//! - The keyspace sits in a `RefCell` shared with `KeyspaceHandle`'s methods:
//!   a call re-entered from JavaScript that runs in the middle of another
//!   (a getter run by an argument conversion) is refused, never aliased.
//! - A key that is not well-formed UTF-16 (a lone surrogate) is refused with
//!   a `TypeError` naming the argument; a real U+FFFD is accepted.
//! - No JavaScript runs between taking a pointer into JS memory and copying
//!   from it: keys are copied by V8 itself (`napi_get_value_string_*`).
//! - A panic in the core becomes a thrown `Error`, never an abort.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::hash::{BuildHasherDefault, Hasher};
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

use napi::{sys, Env, Error, JsError, Status};

use crate::dropper::Dropper;
use crate::error::LfError;
use crate::glue::convert::{not_well_formed, Converter};
use crate::glue::errors::{conv, throw};
use crate::glue::js::{Handle, Js};
use crate::keyspace::{Incoming, Keyspace, SetOptions};
use crate::shared::Lease;
use crate::value::{Bytes, Value};

/// One keyspace, shared by its `KeyspaceHandle` and the fast functions.
pub struct KsCell {
  pub ks: RefCell<Keyspace>,
  /// Replies as `Buffer`s (`returnBuffers`) rather than strings.
  pub buffers: bool,
}

/// A shared keyspace's lease, as `SharedKeyspaceHandle` holds it: `None`
/// once the handle is closed or its environment has torn down.
pub type LeaseSlot = Rc<RefCell<Option<Lease>>>;

/// What a keyspace id stands for: a keyspace of this thread's own, or a lease
/// on a shared one (`Keyspace.open`), whose commands take shard locks.
#[derive(Clone)]
pub enum Entry {
  Own(Rc<KsCell>),
  Shared { slot: LeaseSlot, buffers: bool },
}

/// Ids are `index + generation * 2^24`: exact in a JavaScript number, and a
/// slot reused later gets a new generation, so an old id never reaches it.
const INDEX_BITS: u32 = 24;

/// A thread's table of live objects of one kind, found by id.
pub struct Registry<T> {
  slots: Vec<(u64, Option<T>)>,
  free: Vec<usize>,
}

impl<T: Clone> Registry<T> {
  const fn new() -> Self {
    Registry { slots: Vec::new(), free: Vec::new() }
  }

  fn insert(&mut self, item: T) -> f64 {
    let index = self.free.pop().unwrap_or_else(|| {
      self.slots.push((0, None));
      self.slots.len() - 1
    });
    assert!(index < 1 << INDEX_BITS, "more than 16M live native objects on one thread");
    let slot = &mut self.slots[index];
    slot.0 += 1;
    slot.1 = Some(item);
    (index as u64 + (slot.0 << INDEX_BITS)) as f64
  }

  fn remove(&mut self, id: f64) {
    let Some((index, generation)) = split(id) else { return };
    if let Some(slot) = self.slots.get_mut(index) {
      if slot.0 == generation && slot.1.take().is_some() {
        self.free.push(index);
      }
    }
  }

  fn get(&self, id: f64) -> Option<T> {
    self.find(id).cloned()
  }

  /// The item under `id`, borrowed: no reference count is touched.
  fn find(&self, id: f64) -> Option<&T> {
    let (index, generation) = split(id)?;
    let slot = self.slots.get(index)?;
    if slot.0 != generation {
      return None;
    }
    slot.1.as_ref()
  }
}

fn split(id: f64) -> Option<(usize, u64)> {
  let id = integer_in(id, 9.0e15)?;
  Some(((id & ((1 << INDEX_BITS) - 1)) as usize, id >> INDEX_BITS))
}

/// `id` as an integer, if it is one from 1 to `max` (at most 2^53). In
/// range, a cast there and back is exact only for an integer (and, unlike
/// `fract`, is not a call into libm on every call); through `i64`, both
/// casts are one instruction each on x86-64.
fn integer_in(id: f64, max: f64) -> Option<u64> {
  // Beyond 2^63 the cast would saturate and pass a non-integer.
  debug_assert!(max <= 9_007_199_254_740_992.0, "an id's bound is at most 2^53");
  let n = id as i64;
  ((1.0..=max).contains(&id) && n as f64 == id).then_some(n as u64)
}

/// A native value's contents and estimate, shared by its `NativeHandle` and
/// the fast functions; `None` once released.
pub type NvCell = RefCell<(Option<Value>, usize)>;

thread_local! {
  static KEYSPACES: RefCell<Registry<Entry>> = const { RefCell::new(Registry::new()) };
  static DROPPERS: RefCell<Registry<Arc<Dropper>>> = const { RefCell::new(Registry::new()) };
  static NATIVES: RefCell<HashMap<u64, Rc<NvCell>, BuildHasherDefault<IdHasher>>> =
    RefCell::new(HashMap::default());
}

/// Hashes a native value's id: ids are a counter the facade keeps, not
/// input. The low 32 bits (which pick the bucket) are the id's own, so
/// values made one after another sit in neighbouring buckets and a loop
/// releasing them walks the table in order instead of missing the cache on
/// every call; the high bits (which tell keys of one bucket group apart) are
/// a multiply of the whole id.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
  fn finish(&self) -> u64 {
    self.0
  }

  fn write(&mut self, bytes: &[u8]) {
    for &b in bytes {
      self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
  }

  fn write_u64(&mut self, n: u64) {
    self.0 = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) & !0xFFFF_FFFF) | (n & 0xFFFF_FFFF);
  }
}

/// Enters a keyspace in this thread's table; returns its id (never 0).
pub fn register(cell: Rc<KsCell>) -> f64 {
  KEYSPACES.with(|r| r.borrow_mut().insert(Entry::Own(cell)))
}

/// Enters a lease on a shared keyspace in this thread's table; returns its
/// id (never 0). The entry answers `ERR_LAZYFREE_CLOSED` once the slot is
/// empty, even before it is removed.
pub fn register_shared(slot: LeaseSlot, buffers: bool) -> f64 {
  KEYSPACES.with(|r| r.borrow_mut().insert(Entry::Shared { slot, buffers }))
}

/// Removes keyspace `id` (its handle is being finalized, or a shared one's
/// lease is closed); an id removed already, or never given, is ignored.
pub fn unregister(id: f64) {
  // `try_with`: at thread exit the table may already be gone, and with it
  // everything it held.
  let _ = KEYSPACES.try_with(|r| r.borrow_mut().remove(id));
}

pub fn register_dropper(d: Arc<Dropper>) -> f64 {
  DROPPERS.with(|r| r.borrow_mut().insert(d))
}

pub fn unregister_dropper(id: f64) {
  let _ = DROPPERS.try_with(|r| r.borrow_mut().remove(id));
}

/// Enters a native value under `id`, which the facade chose (a counter, so
/// no id is ever used twice); refuses an id that is not a positive safe
/// integer or is taken.
pub fn register_native(cell: Rc<NvCell>, id: f64) -> Result<(), LfError> {
  let key = native_key(id)
    .ok_or_else(|| LfError::Range(format!("native value id {id} is not a positive safe integer")))?;
  NATIVES.with(|r| match r.borrow_mut().entry(key) {
    std::collections::hash_map::Entry::Occupied(_) => {
      Err(LfError::Range(format!("native value id {id} is in use already")))
    }
    std::collections::hash_map::Entry::Vacant(v) => {
      v.insert(cell);
      Ok(())
    }
  })
}

/// Whether `id` could be registered now (see [`register_native`]).
pub fn check_native_id(id: f64) -> Result<(), LfError> {
  let key = native_key(id)
    .ok_or_else(|| LfError::Range(format!("native value id {id} is not a positive safe integer")))?;
  if NATIVES.with(|r| r.borrow().contains_key(&key)) {
    return Err(LfError::Range(format!("native value id {id} is in use already")));
  }
  Ok(())
}

pub fn unregister_native(id: f64) {
  if let Some(key) = native_key(id) {
    let _ = NATIVES.try_with(|r| r.borrow_mut().remove(&key));
  }
}

/// `id` as a table key, if it is a positive safe integer.
fn native_key(id: f64) -> Option<u64> {
  integer_in(id, 9_007_199_254_740_991.0)
}

fn closed() -> LfError {
  LfError::Coded { code: "ERR_LAZYFREE_CLOSED", message: "this Keyspace has been closed".into() }
}

fn busy() -> LfError {
  LfError::Coded {
    code: "ERR_LAZYFREE_REENTERED",
    message: "this Keyspace is in the middle of another command (called from a getter or toString that \
              command ran); call it afterwards"
      .into(),
  }
}

fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
  if status == sys::Status::napi_ok {
    Ok(())
  } else {
    Err(Error::new(Status::from(status), format!("lazyfree: Node-API call {what} failed")))
  }
}

/// The call's arguments (missing ones are `undefined`, as Node-API fills them).
///
/// # Safety
/// `env` and `info` are the ones Node-API passed to the running callback.
unsafe fn args<const N: usize>(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> napi::Result<[Handle; N]> {
  // SAFETY: the caller's contract.
  unsafe { args_and_data::<N>(env, info) }.map(|(argv, _)| argv)
}

/// [`args`] and the function's data pointer, from the same one call.
/// Inlined, as every step of the hot path (see [`short_read`]).
#[inline(always)]
unsafe fn args_and_data<const N: usize>(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> napi::Result<([Handle; N], *mut c_void)> {
  let mut argc = N;
  let mut argv = [ptr::null_mut(); N];
  let mut data = ptr::null_mut();
  // SAFETY: the caller's contract; `argv` has room for `argc` values.
  check(
    unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data) },
    "get_cb_info",
  )?;
  Ok((argv.map(Handle::from_raw), data))
}

/// The keyspace table a keyspace function was registered with: its data
/// pointer (see `register_exports`), which saves a thread-local lookup a
/// call.
fn keyspaces<'a>(data: *mut c_void) -> &'a RefCell<Registry<Entry>> {
  assert!(!data.is_null(), "a keyspace function without its table");
  // SAFETY: `register_exports` passes this thread's `KEYSPACES` as the data
  // of the keyspace functions it creates. Node calls a function only on the
  // thread of the environment that created it, while that environment
  // lives, and a thread's locals outlive its environment (they are
  // destroyed when the thread exits).
  unsafe { &*data.cast::<RefCell<Registry<Entry>>>() }
}

/// An id argument as a number; anything else is -1, an id nothing has.
fn number(env: sys::napi_env, v: Handle) -> f64 {
  let mut n = 0.0;
  // SAFETY: `env` and `v` belong to the running callback.
  let status = unsafe { sys::napi_get_value_double(env, v.raw(), &mut n) };
  if status == sys::Status::napi_ok {
    n
  } else {
    -1.0
  }
}

/// UTF-16 units a string may have to be read on the stack; longer ones
/// are read into a `Vec`.
const STACK_UNITS: usize = 128;

/// Room on the stack for a short string: its UTF-16 units as V8 copies them
/// out, and their UTF-8 (at most 3 bytes a unit). Left uninitialised: only
/// what has been written is ever read.
pub struct TextBuf {
  units: [MaybeUninit<u16>; STACK_UNITS],
  bytes: [MaybeUninit<u8>; 3 * STACK_UNITS],
}

impl TextBuf {
  fn new() -> TextBuf {
    TextBuf { units: [MaybeUninit::uninit(); STACK_UNITS], bytes: [MaybeUninit::uninit(); 3 * STACK_UNITS] }
  }
}

/// The `key` argument of GET and SET as text: on the stack when it is short
/// (inlined, see [`short_read`]), else in `long`; or the error, thrown.
#[inline(always)]
fn key_arg<'a>(
  env: sys::napi_env,
  v: Handle,
  stack: &'a mut TextBuf,
  long: &'a mut Option<Vec<u8>>,
) -> napi::Result<&'a str> {
  match short_read(env, v, stack) {
    Ok(key) => Ok(key),
    Err(why) => {
      let text = long.insert(key_beyond_stack(env, v, why, &|| "key".into()).map_err(|e| lf(env, e))?);
      std::str::from_utf8(text).map_err(|_| lf(env, LfError::Type("key is not valid text".into())))
    }
  }
}

/// A key [`short_read`] or [`read_keys`] did not read: a long one, read
/// into a `Vec`, or the error that names what is wrong with it.
#[cold]
#[inline(never)]
fn key_beyond_stack(
  env: sys::napi_env,
  v: Handle,
  why: NotShort,
  name: &dyn Fn() -> String,
) -> Result<Vec<u8>, LfError> {
  match why {
    NotShort::Long => read_long(env, v, name, false),
    NotShort::NotString => Err(LfError::Type(format!("{} is not a string; expected a string", name()))),
    NotShort::LoneSurrogate(at) => Err(not_well_formed(&name(), at, false)),
    NotShort::Unreadable => Err(unreadable(name)),
  }
}

/// Copies the leading ASCII units of `units` into `out` as bytes and returns
/// how many it copied: eight at a time while it can (a test and a narrowing
/// the compiler keeps in vector registers), then one by one. `out` has room
/// for every unit ([`TextBuf`] holds three bytes a unit).
fn narrow_ascii(units: &[u16], out: &mut [MaybeUninit<u8>]) -> usize {
  let mut i = 0;
  while let Some(chunk) = units.get(i..i + 8) {
    if chunk.iter().fold(0, |any, &u| any | u) >= 0x80 {
      break;
    }
    for (o, &u) in out[i..i + 8].iter_mut().zip(chunk) {
      o.write(u as u8);
    }
    i += 8;
  }
  while let Some(&u) = units.get(i).filter(|&&u| u < 0x80) {
    out[i].write(u as u8);
    i += 1;
  }
  i
}

/// Encodes `units` (a string's UTF-16) as UTF-8 into `out`, which has room
/// for three bytes a unit, and returns how many bytes it wrote: ASCII first,
/// eight units at a time, the rest decoded. A lone surrogate is refused:
/// the error is its index, for [`not_well_formed`].
///
/// Guarantee: on success the first returned-count bytes of `out` are
/// written, and are valid UTF-8.
fn encode_units(units: &[u16], out: &mut [MaybeUninit<u8>]) -> Result<usize, usize> {
  let ascii = narrow_ascii(units, out);
  let mut n = ascii;
  for (at, c) in char::decode_utf16(units[ascii..].iter().copied()).scan(ascii, |at, c| {
    let here = *at;
    *at += c.as_ref().map_or(1, |c| c.len_utf16());
    Some((here, c))
  }) {
    let Ok(c) = c else { return Err(at) };
    let mut utf8 = [0u8; 4];
    for &b in c.encode_utf8(&mut utf8).as_bytes() {
      out[n].write(b);
      n += 1;
    }
  }
  Ok(n)
}

/// Why [`short_read`] did not read a string onto the stack.
#[derive(Clone, Copy)]
enum NotShort {
  NotString,
  /// Not well-formed UTF-16: a lone surrogate at this index.
  LoneSurrogate(usize),
  /// Node-API answered neither the string nor "not a string".
  Unreadable,
  /// Too long for the stack buffer: nothing was read.
  Long,
}

/// Reads the string `v` onto the stack as UTF-8, when it is short (under
/// [`STACK_UNITS`] − 1 units) and well-formed; otherwise says why not. It is
/// read as UTF-16 (for a one-byte string V8 only widens it, cheaper than its
/// UTF-8 writer) and encoded here, which also finds a lone surrogate
/// exactly, where it is.
///
/// Always inlined: the text comes back in registers. Returned out of a call,
/// it went through memory, written as two words and read back as one wide
/// load, which the CPU cannot forward from the writes (it waits for them to
/// reach the cache): 15–30 ns of a 100 ns get, as the compiler happened to
/// lay each build out.
#[inline(always)]
fn short_read(env: sys::napi_env, v: Handle, stack: &mut TextBuf) -> Result<&str, NotShort> {
  // SAFETY: `stack.units` has room for `STACK_UNITS` units.
  let len = unsafe { copy_units(env, v.raw(), stack.units.as_mut_ptr().cast()) }?;
  // SAFETY: `copy_units` saw Node-API write the first `len` units.
  let units: &[u16] = unsafe { std::slice::from_raw_parts(stack.units.as_ptr().cast(), len) };
  let n = encode_units(units, &mut stack.bytes).map_err(NotShort::LoneSurrogate)?;
  // SAFETY: `encode_units` wrote the first `n` bytes, valid UTF-8.
  Ok(unsafe {
    std::str::from_utf8_unchecked(std::slice::from_raw_parts(stack.bytes.as_ptr().cast::<u8>(), n))
  })
}

/// Has V8 copy the string `v`'s UTF-16 to `to` and returns how many units
/// it wrote, when the string is whole there (under [`STACK_UNITS`] − 1
/// units); otherwise says why not.
///
/// # Safety
/// `env` and `v` belong to the running callback, and `to` has room for
/// [`STACK_UNITS`] units.
#[inline(always)]
unsafe fn copy_units(env: sys::napi_env, v: sys::napi_value, to: *mut u16) -> Result<usize, NotShort> {
  let mut len = 0usize;
  // SAFETY: the caller's contract; V8 writes at most `STACK_UNITS` units and
  // copies them itself: no JavaScript runs meanwhile.
  let status = unsafe { sys::napi_get_value_string_utf16(env, v, to, STACK_UNITS, &mut len) };
  if status == sys::Status::napi_string_expected {
    return Err(NotShort::NotString);
  }
  if status != sys::Status::napi_ok {
    return Err(NotShort::Unreadable);
  }
  // The string is whole only if V8 left room for its terminator.
  if len + 1 >= STACK_UNITS {
    return Err(NotShort::Long);
  }
  Ok(len)
}

/// The refusal of a string Node-API could not read.
fn unreadable(name: &dyn Fn() -> String) -> LfError {
  LfError::Type(format!("{} could not be read as a string", name()))
}

/// Reads a string too long for the stack as UTF-8 into a `Vec`, refusing
/// one that is not well-formed UTF-16 (`bytes_allowed`: the refusal
/// suggests a Buffer, as for values).
fn read_long(
  env: sys::napi_env,
  v: Handle,
  name: &dyn Fn() -> String,
  bytes_allowed: bool,
) -> Result<Vec<u8>, LfError> {
  let mut full = 0usize;
  let mut len = 0usize;
  // SAFETY: `env` and `v` belong to the running callback; a null buffer
  // asks for the length only. No JavaScript runs meanwhile.
  unsafe { sys::napi_get_value_string_utf8(env, v.raw(), ptr::null_mut(), 0, &mut full) };
  let mut buf = vec![0u8; full + 1];
  // SAFETY: as above; `buf` holds `full + 1` bytes, room for the terminator.
  unsafe { sys::napi_get_value_string_utf8(env, v.raw(), buf.as_mut_ptr().cast(), buf.len(), &mut len) };
  buf.truncate(len);
  // V8 writes a lone surrogate as U+FFFD (EF BF BD): only then look closer,
  // at the UTF-16 itself, since a real U+FFFD is valid text.
  if memchr::memmem::find(&buf, "\u{FFFD}".as_bytes()).is_some() {
    if let Ok(Err(at)) = Js::new(&Env::from_raw(env)).well_formed(v) {
      return Err(not_well_formed(&name(), at, bytes_allowed));
    }
  }
  Ok(buf)
}

/// A bulk reply: a string (one-byte when the bytes are ASCII, which V8 makes
/// without decoding), or a `Buffer`. Inlined (see [`short_read`]); the
/// other cases are [`bulk_other`]'s.
#[inline(always)]
fn bulk(env: sys::napi_env, bytes: &[u8], buffers: bool) -> napi::Result<sys::napi_value> {
  let mut r = ptr::null_mut();
  if !buffers && bytes.is_ascii() {
    // SAFETY: `env` belongs to the running callback; ASCII is Latin-1.
    let status =
      unsafe { sys::napi_create_string_latin1(env, bytes.as_ptr().cast(), bytes.len() as isize, &mut r) };
    if status == sys::Status::napi_ok {
      return Ok(r);
    }
    // Too long for V8: the keyspace's reply says what to do instead.
  }
  bulk_other(env, bytes, buffers)
}

/// [`bulk`] for text that is not ASCII, a `Buffer`, or a string too long
/// for V8.
#[inline(never)]
fn bulk_other(env: sys::napi_env, bytes: &[u8], buffers: bool) -> napi::Result<sys::napi_value> {
  let c = Converter::new(Js::new(&Env::from_raw(env)));
  crate::glue::reply::bulk(&c, buffers, bytes).map(Handle::raw)
}

fn null(env: sys::napi_env) -> napi::Result<sys::napi_value> {
  let mut r = ptr::null_mut();
  // SAFETY: `env` belongs to the running callback.
  check(unsafe { sys::napi_get_null(env, &mut r) }, "get_null")?;
  Ok(r)
}

fn undefined(env: sys::napi_env) -> napi::Result<sys::napi_value> {
  let mut r = ptr::null_mut();
  // SAFETY: `env` belongs to the running callback.
  check(unsafe { sys::napi_get_undefined(env, &mut r) }, "get_undefined")?;
  Ok(r)
}

fn boolean(env: sys::napi_env, b: bool) -> napi::Result<sys::napi_value> {
  let mut r = ptr::null_mut();
  // SAFETY: `env` belongs to the running callback.
  check(unsafe { sys::napi_get_boolean(env, b, &mut r) }, "get_boolean")?;
  Ok(r)
}

/// Runs a callback body: its error is thrown (unless one is pending already)
/// and a panic becomes an `Error`; either way the call returns `undefined`.
fn guard(env: sys::napi_env, body: impl FnOnce() -> napi::Result<sys::napi_value>) -> sys::napi_value {
  let e = match catch_unwind(AssertUnwindSafe(body)) {
    Ok(Ok(v)) => return v,
    Ok(Err(e)) => e,
    Err(panic) => {
      let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
      Error::new(Status::GenericFailure, format!("lazyfree: internal error: {what}"))
    }
  };
  // SAFETY: `env` belongs to the running callback.
  unsafe { JsError::from(e).throw_into(env) };
  ptr::null_mut()
}

/// Emits the warning of a drop thread that could not start, taken (by
/// `Dropper::take_spawn_error`) while the keyspace was borrowed and emitted
/// once it is let go, since it runs JavaScript.
#[cold]
fn warn_spawn(env: sys::napi_env, message: &str) -> napi::Result<()> {
  crate::glue::errors::emit_spawn_warning(&Env::from_raw(env), message)
}

fn lf(env: sys::napi_env, e: LfError) -> Error {
  throw(&Env::from_raw(env), e)
}

/// `ksGet(id, key)`: GET.
unsafe extern "C" fn ks_get(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  guard(env, || {
    // SAFETY: Node-API's arguments to this callback.
    let ([id, key], data) = unsafe { args_and_data::<2>(env, info) }?;
    let entry = keyspaces(data).borrow().get(number(env, id)).ok_or_else(|| lf(env, closed()))?;
    let (mut stack, mut long) = (TextBuf::new(), None);
    let key = key_arg(env, key, &mut stack, &mut long)?;
    match entry {
      Entry::Own(cell) => {
        let mut ks = cell.ks.try_borrow_mut().map_err(|_| lf(env, busy()))?;
        match ks.get(key) {
          Ok(Some(bytes)) => bulk(env, bytes, cell.buffers),
          Ok(None) => null(env),
          Err(e) => {
            // Made once the keyspace is let go: making an error may run
            // JavaScript (a setter on `Error.prototype`) that uses it.
            drop(ks);
            Err(lf(env, e))
          }
        }
      }
      Entry::Shared { slot, buffers } => {
        // An owned reply (a `Bytes` clone) under the shard lock; the string
        // or `Buffer` is made after it is released.
        let reply = on_lease(&slot, |ks| ks.with_key(key, |s| s.get_owned(key)))
          .and_then(|r| r)
          .map_err(|e| lf(env, e))?;
        match reply {
          Some(bytes) => bulk(env, &bytes, buffers),
          None => null(env),
        }
      }
    }
  })
}

/// `ksGetFloor(id, key)`: the Node-API calls a GET makes, and nothing else:
/// the two arguments, the id read as a number, the key's UTF-16 copied out
/// (when it is short), and an 11-byte string made for the reply, whatever
/// the arguments were. For the benchmarks: the floor under `ksGet` that any
/// Node-API addon pays for a get (`bench/keyspace-ops.js`). It reads no
/// table, so it touches no keyspace.
unsafe extern "C" fn ks_get_floor(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  guard(env, || {
    // SAFETY: Node-API's arguments to this callback.
    let [id, key] = unsafe { args::<2>(env, info) }?;
    std::hint::black_box(number(env, id));
    let mut units = [MaybeUninit::<u16>::uninit(); STACK_UNITS];
    // SAFETY: `units` has room for `STACK_UNITS` units.
    let read = unsafe { copy_units(env, key.raw(), units.as_mut_ptr().cast()) };
    std::hint::black_box((read.is_ok(), &units));
    const REPLY: &[u8] = b"value:12345";
    let mut r = ptr::null_mut();
    // SAFETY: `env` belongs to the running callback; the bytes are ASCII.
    check(
      unsafe { sys::napi_create_string_latin1(env, REPLY.as_ptr().cast(), REPLY.len() as isize, &mut r) },
      "create_string",
    )?;
    Ok(r)
  })
}

/// A SET's value: a short string still on the stack, or any other value
/// converted to bytes.
enum SetValue<'a> {
  Short(&'a str),
  Converted(Bytes),
}

/// A SET's value that [`short_read`] did not read: any value but a short
/// string, converted as `KeyspaceHandle.set` converts it, or the refusal of
/// a string that is not well-formed.
#[cold]
#[inline(never)]
fn value_beyond_stack(
  env: sys::napi_env,
  value: Handle,
  why: NotShort,
  name: &dyn Fn() -> String,
) -> napi::Result<Bytes> {
  match why {
    NotShort::NotString | NotShort::Long => {
      let js = Js::new(&Env::from_raw(env));
      Converter::new(js).scalar(value, name).map_err(|e| conv(&js.env(), e))
    }
    NotShort::LoneSurrogate(at) => Err(lf(env, not_well_formed(&name(), at, true))),
    NotShort::Unreadable => Err(lf(env, unreadable(name))),
  }
}

/// `ksSet(id, key, value)`: SET without options (the facade sends calls with
/// options to `KeyspaceHandle.set`).
unsafe extern "C" fn ks_set(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  guard(env, || {
    // SAFETY: Node-API's arguments to this callback.
    let ([id, key, value], data) = unsafe { args_and_data::<3>(env, info) }?;
    let entry = keyspaces(data).borrow().get(number(env, id)).ok_or_else(|| lf(env, closed()))?;
    let (mut stack, mut long) = (TextBuf::new(), None);
    let key = key_arg(env, key, &mut stack, &mut long)?;
    // Converted before the keyspace is borrowed: a conversion may run
    // JavaScript (it does not today, but the borrow below must not depend
    // on that). A short string stays in a stack buffer: when it packs, it
    // goes into its entry with no allocation of its own.
    let mut vstack = TextBuf::new();
    let value = match short_read(env, value, &mut vstack) {
      Ok(text) => SetValue::Short(text),
      Err(why) => SetValue::Converted(value_beyond_stack(env, value, why, &|| "value".into())?),
    };
    let store = |ks: &mut Keyspace| match value {
      SetValue::Short(text) => ks.set_slice(key, text.as_bytes(), SetOptions::default()),
      SetValue::Converted(bytes) => ks.set(key, bytes, SetOptions::default()),
    };
    match entry {
      Entry::Own(cell) => {
        let mut ks = cell.ks.try_borrow_mut().map_err(|_| lf(env, busy()))?;
        // The error or warning once the keyspace is let go: either may run
        // JavaScript that uses it.
        match store(&mut ks) {
          Ok(stored) => {
            if let Some(message) = ks.dropper().take_spawn_error() {
              drop(ks);
              warn_spawn(env, &message)?;
            }
            boolean(env, stored)
          }
          Err(e) => {
            drop(ks);
            Err(lf(env, e))
          }
        }
      }
      Entry::Shared { slot, .. } => {
        let (stored, dropper) = on_lease(&slot, |ks| (ks.with_key(key, store), Arc::clone(ks.dropper())))
          .map_err(|e| lf(env, e))?;
        let stored = stored.map_err(|e| lf(env, e))?;
        crate::glue::errors::report_spawn_error(&Env::from_raw(env), &dropper)?;
        boolean(env, stored)
      }
    }
  })
}

/// Reads MGET's keys as UTF-8 into one buffer; the second vector says where
/// each key ends. All the keys' UTF-16 is copied out first and encoded after:
/// encoding a string right after V8 has written it made the CPU wait for
/// those writes on every key (a wide load of many narrow stores), about 8%
/// of an MGET. A key that is not a string, or of [`STACK_UNITS`] − 1 units
/// or more, is read by [`key_beyond_stack`] instead, which also names a bad
/// one.
fn read_keys(env: sys::napi_env, keys: &[sys::napi_value]) -> Result<(Vec<u8>, Vec<usize>), LfError> {
  let mut units: Vec<u16> = Vec::with_capacity(keys.len() * 16 + STACK_UNITS);
  let mut spans = Vec::with_capacity(keys.len());
  for &key in keys {
    units.reserve(STACK_UNITS);
    let start = units.len();
    // SAFETY: `env` and `key` belong to the running callback; the vector has
    // room for `STACK_UNITS` more units past `start` (reserved above).
    let copied = unsafe { copy_units(env, key, units.as_mut_ptr().add(start)) };
    if let Ok(len) = copied {
      // SAFETY: V8 wrote the first `len` units past `start`, within the
      // reservation.
      unsafe { units.set_len(start + len) };
    }
    spans.push(copied.map(|len| start..start + len));
  }
  let mut text: Vec<u8> = Vec::with_capacity(units.len() + 16);
  let mut ends = Vec::with_capacity(keys.len());
  for (i, (span, &key)) in spans.into_iter().zip(keys).enumerate() {
    let name = || format!("keys[{i}]");
    match span {
      Ok(span) => {
        let units = &units[span];
        text.reserve(3 * units.len());
        let at = text.len();
        let n =
          encode_units(units, text.spare_capacity_mut()).map_err(|at| not_well_formed(&name(), at, false))?;
        // SAFETY: `encode_units` wrote the first `n` bytes of the spare
        // capacity (room for three bytes a unit was reserved above).
        unsafe { text.set_len(at + n) };
      }
      Err(why) => text.extend_from_slice(&key_beyond_stack(env, Handle::from_raw(key), why, &name)?),
    }
    ends.push(text.len());
  }
  Ok((text, ends))
}

/// `ksMget(id, ...keys)`: MGET; the keys come as arguments, so reading them
/// takes no call per key beyond copying its text.
unsafe extern "C" fn ks_mget(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  guard(env, || {
    // SAFETY: Node-API's arguments to this callback.
    unsafe { with_all_args(env, info, |argv, data| mget_body(env, argv, data)) }
  })
}

/// Runs `f` on every argument of the running call and its function's data
/// pointer: on the stack when there are few (most calls), else in a `Vec`.
///
/// # Safety
/// `env` and `info` are the ones Node-API passed to the running callback.
unsafe fn with_all_args<R>(
  env: sys::napi_env,
  info: sys::napi_callback_info,
  f: impl FnOnce(&[sys::napi_value], *mut c_void) -> napi::Result<R>,
) -> napi::Result<R> {
  const STACK_ARGS: usize = 128;
  let mut argc = STACK_ARGS;
  let mut stack_args = [ptr::null_mut(); STACK_ARGS];
  let mut data = ptr::null_mut();
  // SAFETY: the caller's contract; `stack_args` has room for `argc` values.
  check(
    unsafe {
      sys::napi_get_cb_info(env, info, &mut argc, stack_args.as_mut_ptr(), ptr::null_mut(), &mut data)
    },
    "get_cb_info",
  )?;
  if argc <= STACK_ARGS {
    return f(&stack_args[..argc], data);
  }
  let mut heap_args = vec![ptr::null_mut(); argc];
  // SAFETY: as above; `heap_args` holds `argc` values.
  check(
    unsafe {
      sys::napi_get_cb_info(env, info, &mut argc, heap_args.as_mut_ptr(), ptr::null_mut(), ptr::null_mut())
    },
    "get_cb_info",
  )?;
  f(&heap_args[..argc], data)
}

/// The keyspace a variadic call names by its first argument (an id), and
/// the arguments after it.
fn entry_and_rest(
  env: sys::napi_env,
  argv: &[sys::napi_value],
  data: *mut c_void,
) -> napi::Result<(Entry, &[sys::napi_value])> {
  let Some((&id, rest)) = argv.split_first() else {
    return Err(lf(env, closed()));
  };
  let entry =
    keyspaces(data).borrow().get(number(env, Handle::from_raw(id))).ok_or_else(|| lf(env, closed()))?;
  Ok((entry, rest))
}

/// [`ks_mget`] once its arguments are read.
fn mget_body(
  env: sys::napi_env,
  argv: &[sys::napi_value],
  data: *mut c_void,
) -> napi::Result<sys::napi_value> {
  let (entry, keys) = entry_and_rest(env, argv, data)?;
  // Every key's text in one buffer; `ends[i]` is where key i ends.
  let (text, ends) = read_keys(env, keys).map_err(|e| lf(env, e))?;
  let names = key_names(env, &text, &ends)?;
  let items = match entry {
    Entry::Own(cell) => {
      let mut ks = cell.ks.try_borrow_mut().map_err(|_| lf(env, busy()))?;
      let values = ks.mget(&names);
      replies(env, values.into_iter(), cell.buffers)?
    }
    Entry::Shared { slot, buffers } => {
      // `SharedKeyspace::mget` takes the keys' shards in ascending order
      // and returns owned replies once every lock is released.
      let values = on_lease(&slot, |ks| ks.mget(&names)).map_err(|e| lf(env, e))?;
      replies(env, values.iter().map(|v| v.as_deref()), buffers)?
    }
  };
  array_of(env, &items)
}

/// The keys [`read_keys`] read into `text`, each ending at its `ends`.
fn key_names<'t>(env: sys::napi_env, text: &'t [u8], ends: &[usize]) -> napi::Result<Vec<&'t str>> {
  let text =
    std::str::from_utf8(text).map_err(|_| lf(env, LfError::Type("keys are not valid text".into())))?;
  let mut start = 0;
  Ok(
    ends
      .iter()
      .map(|&end| {
        // Each key was whole UTF-8, so every boundary is a char boundary.
        let name = &text[start..end];
        start = end;
        name
      })
      .collect(),
  )
}

/// An MSET value as [`read_values`] read it: a short string's UTF-8 in the
/// batch's one buffer, or any other value converted to bytes of its own.
enum ValueAt {
  Text(std::ops::Range<usize>),
  Converted(Bytes),
}

/// Reads MSET's values, all of them before any key is written: a short
/// string into one buffer (packed into its entry later, with no allocation
/// of its own), anything else converted as `KeyspaceHandle.mset` converts
/// it, and refused by the same name (`values[i]`).
fn read_values(env: sys::napi_env, values: &[sys::napi_value]) -> napi::Result<(Vec<u8>, Vec<ValueAt>)> {
  let mut text = Vec::with_capacity(values.len() * 16);
  let mut out = Vec::with_capacity(values.len());
  let mut stack = TextBuf::new();
  for (i, &value) in values.iter().enumerate() {
    let value = Handle::from_raw(value);
    out.push(match short_read(env, value, &mut stack) {
      Ok(short) => {
        let at = text.len();
        text.extend_from_slice(short.as_bytes());
        ValueAt::Text(at..text.len())
      }
      Err(why) => ValueAt::Converted(value_beyond_stack(env, value, why, &|| format!("values[{i}]"))?),
    });
  }
  Ok((text, out))
}

/// `ksMset(id, key0, value0, key1, value1, …)`: MSET. The facade has
/// checked every key (a well-formed string) and sends at least one pair.
/// Every key and value is read and converted before the keyspace is
/// touched, so a value refused changes nothing, as a refused batch does.
unsafe extern "C" fn ks_mset(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  guard(env, || {
    // SAFETY: Node-API's arguments to this callback.
    unsafe { with_all_args(env, info, |argv, data| mset_body(env, argv, data)) }
  })
}

/// [`ks_mset`] once its arguments are read.
fn mset_body(
  env: sys::napi_env,
  argv: &[sys::napi_value],
  data: *mut c_void,
) -> napi::Result<sys::napi_value> {
  let (entry, flat) = entry_and_rest(env, argv, data)?;
  if flat.is_empty() || flat.len() % 2 != 0 {
    return Err(lf(env, LfError::Type("ksMset takes one or more key, value pairs".into())));
  }
  let (keys, values): (Vec<sys::napi_value>, Vec<sys::napi_value>) =
    flat.chunks_exact(2).map(|pair| (pair[0], pair[1])).unzip();
  let (text, ends) = read_keys(env, &keys).map_err(|e| lf(env, e))?;
  let names = key_names(env, &text, &ends)?;
  let (bytes, values) = read_values(env, &values)?;
  match entry {
    Entry::Own(cell) => {
      let pairs = names
        .into_iter()
        .zip(values)
        .map(|(key, value)| match value {
          ValueAt::Text(at) => (key, Incoming::Str(&bytes[at])),
          ValueAt::Converted(b) => (key, Incoming::Value(Value::String(b))),
        })
        .collect();
      let mut ks = cell.ks.try_borrow_mut().map_err(|_| lf(env, busy()))?;
      // As SET: the error or warning once the keyspace is let go.
      let done = ks.mset_incoming(pairs);
      let warning = done.as_ref().ok().and_then(|()| ks.dropper().take_spawn_error());
      drop(ks);
      done.map_err(|e| lf(env, e))?;
      if let Some(message) = warning {
        warn_spawn(env, &message)?;
      }
    }
    Entry::Shared { slot, .. } => {
      let pairs = names
        .into_iter()
        .zip(values)
        .map(|(key, value)| match value {
          ValueAt::Text(at) => (key, Bytes::copy_from_slice(&bytes[at])),
          ValueAt::Converted(b) => (key, b),
        })
        .collect();
      let dropper = on_lease(&slot, |ks| ks.mset(pairs).map(|()| Arc::clone(ks.dropper())))
        .and_then(|r| r)
        .map_err(|e| lf(env, e))?;
      crate::glue::errors::report_spawn_error(&Env::from_raw(env), &dropper)?;
    }
  }
  undefined(env)
}

/// MGET's replies, each a string or `Buffer`, or `null` for a `None`; made
/// while the store may still be borrowed (no JavaScript runs), and put in
/// an array by [`array_of`] once it is not.
fn replies<'a>(
  env: sys::napi_env,
  values: impl ExactSizeIterator<Item = Option<&'a [u8]>>,
  buffers: bool,
) -> napi::Result<Vec<sys::napi_value>> {
  let nothing = null(env)?;
  values.map(|value| value.map_or(Ok(nothing), |bytes| bulk(env, bytes, buffers))).collect()
}

thread_local! {
  /// `(...v) => v`, compiled once per environment (see [`array_of`]).
  static ARRAY_OF: std::cell::Cell<Option<(sys::napi_env, sys::napi_ref)>> = const { std::cell::Cell::new(None) };
}

/// A JavaScript array of `items`. Setting elements one by one through
/// Node-API costs about 25 ns each (a generic property store); passing them
/// as the arguments of a function of the addon's own, `(...v) => v`, lets
/// V8 build the array at once (up to 4 096 items; longer arrays, and an
/// environment where the function could not be compiled, take the stores).
/// The function is compiled from a constant by `register_exports`, so no
/// user code runs here, and it is called only when no borrow of a store is
/// held.
fn array_of(env: sys::napi_env, items: &[sys::napi_value]) -> napi::Result<sys::napi_value> {
  let mut array = ptr::null_mut();
  // Arguments go on the stack, which already holds the keys twice (the
  // facade spreads them into this call): past a bound, the elements are
  // stored one by one instead, so a long MGET never runs out of stack after
  // its lookups have run.
  const MAX_ARGS: usize = 4096;
  let collect = ARRAY_OF.with(|c| c.get()).filter(|(e, _)| *e == env && items.len() <= MAX_ARGS);
  if let Some((_, reference)) = collect {
    let mut f = ptr::null_mut();
    // SAFETY: the reference was made in this environment (checked above)
    // and is never deleted while it lives.
    check(unsafe { sys::napi_get_reference_value(env, reference, &mut f) }, "get_reference_value")?;
    let this = undefined(env)?;
    // SAFETY: `f` is our function; `items` are values of this callback.
    check(
      unsafe { sys::napi_call_function(env, this, f, items.len(), items.as_ptr(), &mut array) },
      "call_function",
    )?;
    return Ok(array);
  }
  // SAFETY: `env` belongs to the running callback.
  check(unsafe { sys::napi_create_array_with_length(env, items.len(), &mut array) }, "create_array")?;
  for (i, &item) in items.iter().enumerate() {
    // SAFETY: `array` and `item` are values of this callback.
    check(unsafe { sys::napi_set_element(env, array, i as u32, item) }, "set_element")?;
  }
  Ok(array)
}

/// Compiles `(...v) => v` for [`array_of`] and keeps it for the life of the
/// environment (Node-API frees its references when the environment ends).
fn compile_array_of(env: sys::napi_env) -> napi::Result<()> {
  // Forgotten first: if compiling fails, no reference of an environment
  // that ended (whose address this one may reuse) is left behind.
  forget_array_of();
  const SOURCE: &str = "(function lazyfreeArrayOf(...v) { return v })";
  let mut source = ptr::null_mut();
  // SAFETY: `env` is the module's; the source is ASCII, so Latin-1.
  check(
    unsafe {
      sys::napi_create_string_latin1(env, SOURCE.as_ptr().cast(), SOURCE.len() as isize, &mut source)
    },
    "create_string",
  )?;
  let mut f = ptr::null_mut();
  // SAFETY: as above; the script is a function expression and runs nothing.
  check(unsafe { sys::napi_run_script(env, source, &mut f) }, "run_script")?;
  let mut reference = ptr::null_mut();
  // SAFETY: `f` is a value of this environment; one strong reference.
  check(unsafe { sys::napi_create_reference(env, f, 1, &mut reference) }, "create_reference")?;
  ARRAY_OF.with(|c| c.set(Some((env, reference))));
  Ok(())
}

/// Drops this thread's [`array_of`] function: when its environment tears
/// down (Node-API frees the reference itself), and before a new one is
/// compiled.
pub fn forget_array_of() {
  ARRAY_OF.with(|c| c.set(None));
}

/// Runs `f` on the shared keyspace `slot` leases: `f` takes shard locks and
/// must return owned replies, so no lock outlives it and no JavaScript runs
/// under one. A closed lease is `ERR_LAZYFREE_CLOSED`.
fn on_lease<R>(slot: &LeaseSlot, f: impl FnOnce(&Lease) -> R) -> Result<R, LfError> {
  let lease = slot.try_borrow().map_err(|_| busy())?;
  lease.as_ref().map(f).ok_or_else(closed)
}

fn dropper_of(env: sys::napi_env, id: Handle) -> napi::Result<Arc<Dropper>> {
  let id = number(env, id);
  DROPPERS.with(|r| r.borrow().get(id)).ok_or_else(|| lf(env, not_a_dropper()))
}

fn not_a_dropper() -> LfError {
  LfError::Type("dropper is not a live Dropper".into())
}

fn not_a_native(name: &str) -> LfError {
  LfError::Type(format!("{name} is not a live NativeValue"))
}

/// What `hand_over` did, made into JavaScript values and errors only after
/// every table and cell borrow has ended (making an error may run a setter
/// of `Error.prototype`, which may call back into the addon).
enum HandOver {
  /// The value went to the dropper: `true` when to its thread.
  Done(bool, Option<String>),
  /// The value had been released already.
  Released,
  NoDropper,
  NoNative,
  InUse,
}

/// Hands native value `native` to dropper `dropper` (ids, as JavaScript
/// passed them). The dropper is checked first when `dropper_first`, else the
/// value, so each caller's errors come in its documented order. Both are
/// borrowed from this thread's tables, never cloned: no reference count is
/// touched, and no JavaScript runs until the tables are let go.
fn hand_over(native: f64, dropper: f64, dropper_first: bool) -> HandOver {
  DROPPERS.with(|droppers| {
    let droppers = droppers.borrow();
    let found = droppers.find(dropper);
    if dropper_first && found.is_none() {
      return HandOver::NoDropper;
    }
    NATIVES.with(|natives| {
      let natives = natives.borrow();
      let Some(cell) = native_key(native).and_then(|key| natives.get(&key)) else {
        return HandOver::NoNative;
      };
      let Some(dropper) = found else { return HandOver::NoDropper };
      let Ok(mut state) = cell.try_borrow_mut() else { return HandOver::InUse };
      let Some(value) = state.0.take() else { return HandOver::Released };
      let bytes = std::mem::take(&mut state.1);
      drop(state);
      let deferred = dropper.defer(value, bytes).deferred();
      HandOver::Done(deferred, dropper.take_spawn_error())
    })
  })
}

/// The reply to a hand-over: `true`/`false` once done (after the warning of
/// a dropper whose thread could not start), `None` for a released value.
fn hand_over_reply(env: sys::napi_env, done: HandOver, name: &str) -> napi::Result<Option<bool>> {
  match done {
    HandOver::Done(deferred, spawn_error) => {
      if let Some(message) = spawn_error {
        crate::glue::errors::emit_spawn_warning(&Env::from_raw(env), &message)?;
      }
      Ok(Some(deferred))
    }
    HandOver::Released => Ok(None),
    HandOver::NoDropper => Err(lf(env, not_a_dropper())),
    HandOver::NoNative => Err(lf(env, not_a_native(name))),
    HandOver::InUse => Err(lf(env, LfError::Type("value is in use".into()))),
  }
}

/// `dropperDefer(dropperId, nativeId)`: `Dropper#defer` of a `NativeValue`.
unsafe extern "C" fn dropper_defer(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  guard(env, || {
    // SAFETY: Node-API's arguments to this callback.
    let [dropper, native] = unsafe { args::<2>(env, info) }?;
    let done = hand_over(number(env, native), number(env, dropper), true);
    match hand_over_reply(env, done, "value")? {
      Some(deferred) => boolean(env, deferred),
      None => Err(lf(env, LfError::released())),
    }
  })
}

/// `nativeRelease(nativeId, dropperId)`: `NativeValue#release`; `false` when
/// it had been released already.
unsafe extern "C" fn native_release(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  guard(env, || {
    // SAFETY: Node-API's arguments to this callback.
    let [native, dropper] = unsafe { args::<2>(env, info) }?;
    let done = hand_over(number(env, native), number(env, dropper), false);
    boolean(env, hand_over_reply(env, done, "this")?.unwrap_or(false))
  })
}

/// `dropperCapacity(dropperId)`: the channel's slots.
unsafe extern "C" fn dropper_capacity(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  guard(env, || {
    // SAFETY: Node-API's arguments to this callback.
    let [dropper] = unsafe { args::<1>(env, info) }?;
    let capacity = dropper_of(env, dropper)?.capacity() as f64;
    let mut r = ptr::null_mut();
    // SAFETY: `env` belongs to the running callback.
    check(unsafe { sys::napi_create_double(env, capacity, &mut r) }, "create_double")?;
    Ok(r)
  })
}

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// Adds the fast functions to the module's exports.
pub fn register_exports(env: &Env, exports: &napi::bindgen_prelude::Object) -> napi::Result<()> {
  use napi::JsValue;
  let exports = exports.raw();
  // The keyspace functions carry this thread's keyspace table as their
  // data (see `keyspaces`).
  let table = KEYSPACES.with(|r| ptr::from_ref(r).cast_mut().cast::<c_void>());
  let functions: [(&str, Callback, *mut c_void); 8] = [
    ("ksGet", ks_get, table),
    ("ksGetFloor", ks_get_floor, ptr::null_mut()),
    ("ksMget", ks_mget, table),
    ("ksMset", ks_mset, table),
    ("ksSet", ks_set, table),
    ("dropperDefer", dropper_defer, ptr::null_mut()),
    ("nativeRelease", native_release, ptr::null_mut()),
    ("dropperCapacity", dropper_capacity, ptr::null_mut()),
  ];
  if compile_array_of(env.raw()).is_err() {
    // The function could not be made (an embedder refusing scripts): MGET
    // sets its array's elements one by one instead.
    let mut pending = ptr::null_mut();
    // SAFETY: `env` is the module's; this clears the exception, if any.
    unsafe { sys::napi_get_and_clear_last_exception(env.raw(), &mut pending) };
  }
  for (name, cb, data) in functions {
    let mut f = ptr::null_mut();
    // SAFETY: `env` is the module's; the name's bytes and length are ours;
    // `cb` is a callback of the signature Node-API expects.
    check(
      unsafe {
        sys::napi_create_function(
          env.raw(),
          name.as_ptr().cast(),
          name.len() as isize,
          Some(cb),
          data,
          &mut f,
        )
      },
      "create_function",
    )?;
    // SAFETY: `exports` is the module's exports object.
    check(
      unsafe { sys::napi_set_named_property(env.raw(), exports, format!("{name}\0").as_ptr().cast(), f) },
      "set_named_property",
    )?;
  }
  Ok(())
}

#[cfg(test)]
mod id_hasher_tests {
  use std::hash::{BuildHasher, BuildHasherDefault};

  use super::IdHasher;

  fn hash(id: u64) -> u64 {
    BuildHasherDefault::<IdHasher>::default().hash_one(id)
  }

  #[test]
  fn consecutive_ids_pick_neighbouring_buckets() {
    let base = 5u64 << 32;
    for i in 0..1000 {
      assert_eq!(hash(base + i + 1) & 0xFFFF_FFFF, (hash(base + i) & 0xFFFF_FFFF) + 1);
    }
  }

  #[test]
  fn ids_of_different_blocks_differ_in_the_bits_that_tell_keys_apart() {
    // Two copies of the facade count from blocks 2^32 apart: their n-th ids
    // share a bucket, and the top 7 bits (hashbrown's tag) must differ.
    let tags: std::collections::HashSet<u64> =
      (0..16u64).map(|block| hash((block << 32) + 7) >> 57).collect();
    assert!(tags.len() >= 12, "{tags:?}");
  }
}

#[cfg(test)]
mod narrow_tests {
  use std::mem::MaybeUninit;

  use super::{integer_in, narrow_ascii};

  #[test]
  fn narrowing_stops_at_the_first_unit_past_ascii_wherever_it_is() {
    for n in 0..40 {
      let text: Vec<u16> = (0..n as u16).map(|i| u16::from(b'a') + i % 26).collect();
      let mut out = [MaybeUninit::<u8>::uninit(); 120];
      assert_eq!(narrow_ascii(&text, &mut out), n, "{n} ASCII units");
      // SAFETY: the first `n` bytes were written.
      let bytes: Vec<u8> = out[..n].iter().map(|b| unsafe { b.assume_init() }).collect();
      assert_eq!(bytes, text.iter().map(|&u| u as u8).collect::<Vec<_>>());
      for at in 0..n {
        for odd in [0x80, 0xE9, 0x4E2D, 0xD800] {
          let mut t = text.clone();
          t[at] = odd;
          assert_eq!(narrow_ascii(&t, &mut out), at, "{n} units, {odd:#x} at {at}");
        }
      }
    }
  }

  #[test]
  fn an_id_is_a_whole_number_in_range() {
    assert_eq!(integer_in(1.0, 10.0), Some(1));
    assert_eq!(integer_in(10.0, 10.0), Some(10));
    assert_eq!(integer_in(9_007_199_254_740_991.0, 9_007_199_254_740_991.0), Some(9_007_199_254_740_991));
    for bad in [0.0, -1.0, 1.5, 10.5, 11.0, f64::NAN, f64::INFINITY, -0.0, 1e300] {
      assert_eq!(integer_in(bad, 10.0), None, "{bad}");
    }
  }
}
