//! The errors a keyspace command can reply, worded as Redis words them.
//!
//! JavaScript callers match on `code` (Redis's error prefix) and tests
//! compare replies with a real Redis, so the code and the text are Redis's
//! own: `WRONGTYPE`, `OOM`, and `ERR` with the message Redis 7 sends.

use crate::error::LfError;

pub const WRONGTYPE: &str = "WRONGTYPE";
pub const OOM: &str = "OOM";
pub const ERR: &str = "ERR";

pub fn wrongtype() -> LfError {
  LfError::Coded {
    code: WRONGTYPE,
    message: "WRONGTYPE Operation against a key holding the wrong kind of value".into(),
  }
}

pub fn oom() -> LfError {
  LfError::Coded { code: OOM, message: "OOM command not allowed when used memory > 'maxmemory'.".into() }
}

/// An `ERR` reply; `text` is what follows the prefix.
pub fn err(text: &str) -> LfError {
  LfError::Coded { code: ERR, message: format!("ERR {text}") }
}

pub fn no_such_key() -> LfError {
  err("no such key")
}

pub fn not_an_integer() -> LfError {
  err("value is not an integer or out of range")
}

pub fn not_a_float() -> LfError {
  err("value is not a valid float")
}

pub fn overflow() -> LfError {
  err("increment or decrement would overflow")
}

pub fn syntax() -> LfError {
  err("syntax error")
}

pub fn invalid_expire(command: &str) -> LfError {
  err(&format!("invalid expire time in '{command}' command"))
}

pub fn nan_score() -> LfError {
  err("resulting score is not a number (NaN)")
}

pub fn wrong_arity(command: &str) -> LfError {
  err(&format!("wrong number of arguments for '{command}' command"))
}

pub fn string_too_long() -> LfError {
  err("string exceeds maximum allowed size (proto-max-bulk-len)")
}
