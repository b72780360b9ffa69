//! The defaults and bounds of the dropper and keyspace options, exported to
//! JavaScript. They are defined once, in the core (`crate::dropper`,
//! `crate::memory`, `crate::keyspace`); the facade's checks and messages read
//! them from here, so no copy can drift.

use napi_derive::napi;

use crate::{dropper, keyspace, memory};

/// Defaults and bounds of the options of a dropper and a keyspace.
#[napi(object)]
pub struct Limits {
  /// A dropper's channel slots when `capacity` is not given.
  pub dropper_capacity: u32,
  /// The most channel slots a dropper may have (`capacity` from 1 to this).
  pub dropper_max_capacity: u32,
  /// A dropper's large-value threshold (elements) when `threshold` is not given.
  pub dropper_threshold: u32,
  /// A dropper's thread name when `name` is not given.
  pub dropper_name: String,
  /// A keyspace's active expiry ticks per second when `hz` is not given.
  pub keyspace_hz: u32,
  /// The most active expiry ticks per second (`hz` from 0 to this).
  pub keyspace_max_hz: u32,
}

/// The option defaults and bounds, as the core defines them.
#[napi]
pub fn limits() -> Limits {
  Limits {
    dropper_capacity: dropper::DEFAULT_CAPACITY as u32,
    dropper_max_capacity: dropper::MAX_CAPACITY as u32,
    dropper_threshold: memory::DEFAULT_THRESHOLD as u32,
    dropper_name: dropper::DEFAULT_NAME.into(),
    keyspace_hz: keyspace::DEFAULT_HZ,
    keyspace_max_hz: keyspace::MAX_HZ,
  }
}
