//! Errors that reach JavaScript, by the class and code they must carry.
//!
//! The public contract names an error class (`TypeError`, `RangeError`,
//! `Error`) and sometimes a `code` for every failure. Code outside the napi
//! layer says which with this type; the glue turns it into the JS error.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LfError {
  /// A `TypeError`: a value of the wrong type, named by its path.
  Type(String),
  /// A `RangeError`: a number outside what is allowed.
  Range(String),
  /// An `Error` with a `code`, such as `ERR_LAZYFREE_RELEASED` or Redis's
  /// `WRONGTYPE`.
  Coded { code: &'static str, message: String },
}

pub const RELEASED: &str = "ERR_LAZYFREE_RELEASED";

impl LfError {
  pub fn released() -> LfError {
    LfError::Coded {
      code: RELEASED,
      message: "this NativeValue has been released; its contents are gone (create a new one)".into(),
    }
  }
}

impl fmt::Display for LfError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      LfError::Type(m) | LfError::Range(m) | LfError::Coded { message: m, .. } => f.write_str(m),
    }
  }
}

pub type LfResult<T> = Result<T, LfError>;

impl LfError {
  /// A released value found where one was expected, named by its path.
  pub fn released_at(path: &str) -> LfError {
    LfError::Coded {
      code: RELEASED,
      message: format!("{path} has been released; its contents are gone (create a new NativeValue)"),
    }
  }
}
