//! Turns lazyfree's errors into the JavaScript errors the contract names.

use napi::{Env, Error, Status};

use crate::error::LfError;
use crate::glue::convert::ConvError;

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
