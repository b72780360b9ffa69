//! Turns lazyfree's errors into the JavaScript errors the contract names.

use napi::{Env, Error, Status};

use crate::dropper::Dropper;
use crate::error::LfError;
use crate::glue::convert::ConvError;
use crate::glue::js::Js;

/// Throws `e` as its JS class (with its `code`), and returns the error that
/// tells napi-rs an exception is already pending.
pub fn throw(env: &Env, e: LfError) -> Error {
  let thrown = match &e {
    LfError::Type(m) => env.throw_type_error(m, None),
    LfError::Range(m) => env.throw_range_error(m, None),
    LfError::Coded { code, message } => env.throw_error(message, Some(code)),
  };
  match thrown {
    Ok(()) => Error::new(Status::PendingException, e.to_string()),
    Err(err) => err,
  }
}

pub fn conv(env: &Env, e: ConvError) -> Error {
  match e {
    ConvError::Bad(e) => throw(env, e),
    ConvError::Napi(e) => e,
  }
}

/// Emits the `LAZYFREE_NO_THREAD` warning if `dropper` failed to start its
/// thread since the last report.
pub fn report_spawn_error(env: &Env, dropper: &Dropper) -> napi::Result<()> {
  match dropper.take_spawn_error() {
    Some(message) => emit_spawn_warning(env, &message),
    None => Ok(()),
  }
}

/// Emits the `LAZYFREE_NO_THREAD` warning with `message` (what
/// `Dropper::take_spawn_error` answered). Runs JavaScript.
pub fn emit_spawn_warning(env: &Env, message: &str) -> napi::Result<()> {
  let js = Js::new(env);
  let process = js.named(js.global()?, "process")?;
  let emit = js.named(process, "emitWarning")?;
  let args = [
    js.create_string(message.as_bytes())?,
    js.create_string(b"Warning")?,
    js.create_string(b"LAZYFREE_NO_THREAD")?,
  ];
  js.call(process, emit, &args)?;
  Ok(())
}
