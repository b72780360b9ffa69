//! Commands on keys whatever they hold: EXISTS, TYPE, DEL, UNLINK, RENAME,
//! KEYS, SCAN, FLUSH, and moving native values in and out.
//!
//! These are where most removals start, so this is where the lazy-free
//! switches are read: `del` follows `userDel`, `unlink` is always lazy, an
//! overwrite follows `serverDel`, and `flush` hands the whole table to the
//! dropper in one message (counted as one value per key) or frees it here.

use crate::error::{LfError, LfResult};
use crate::memory::MAX_STRING_BYTES;
use crate::value::{Kind, Value};

use super::errors::{no_such_key, string_too_long};
use super::glob;
use super::lazy::Removal;
use super::table::{entry_memory, Entry, Table};
use super::{Key, Keyspace};

/// A value `set_value` could not store, handed back with the reason, so the
/// caller still owns it.
#[derive(Debug)]
pub struct Refused {
  pub error: LfError,
  pub value: Value,
}

impl Keyspace {
  /// EXISTS: how many of `keys` exist, counting repeats.
  pub fn exists(&mut self, keys: &[&str]) -> usize {
    keys.iter().filter(|k| self.lookup_read_notouch(k).is_some()).count()
  }

  /// TYPE: the kind held at `key`, `None` when missing.
  pub fn kind(&mut self, key: &str) -> Option<Kind> {
    self.lookup_read_notouch(key).map(Entry::kind)
  }

  /// DEL: removes keys, freeing lazily when `lazyfree.userDel` is on.
  /// Returns how many existed.
  pub fn del(&mut self, keys: &[&str]) -> usize {
    self.delete(keys, Removal::UserDel)
  }

  /// UNLINK: removes keys, always lazily.
  pub fn unlink(&mut self, keys: &[&str]) -> usize {
    self.delete(keys, Removal::Unlink)
  }

  fn delete(&mut self, keys: &[&str], why: Removal) -> usize {
    let now = self.now_ms();
    keys.iter().filter(|k| self.lookup_write(k, now).is_some() && self.remove_key(k, why)).count()
  }

  /// RENAME: moves `key`'s value (and TTL) to `new_key`, replacing what was
  /// there (freed per `lazyfree.serverDel`). `ERR no such key` when `key` is
  /// missing.
  pub fn rename(&mut self, key: &str, new_key: &str) -> LfResult<()> {
    let now = self.now_ms();
    let Some(src) = self.lookup_write(key, now) else {
      return Err(no_such_key());
    };
    if key == new_key {
      return Ok(());
    }
    let moved = entry_memory(new_key.len(), src.bytes());
    let replaced = self.lookup_write(new_key, now).map_or(0, |e| entry_memory(new_key.len(), e.bytes()));
    let before = entry_memory(key.len(), self.table.get(key).expect("present").bytes());
    self.reserve(moved.saturating_sub(before + replaced), &[key, new_key])?;

    self.remove_key(new_key, Removal::Overwrite);
    let removed = self.table.remove(key).expect("present");
    self.table.insert_removed(new_key, removed);
    Ok(())
  }

  /// KEYS: the live keys matching a Redis glob `pattern`, in no particular
  /// order. Expired keys are skipped (and left for expiry to remove).
  pub fn keys(&self, pattern: &str) -> Vec<Key> {
    let now = self.now_ms();
    let all = pattern == "*";
    self
      .table
      .iter()
      .filter(|(k, e)| !e.is_expired(now) && (all || glob::matches(pattern.as_bytes(), k.as_bytes())))
      .map(|(k, _)| Key::from(k))
      .collect()
  }

  /// SCAN: one step of an iteration over the keys, visiting about `count`
  /// (at least 1) entries. Start with cursor 0; the walk is over when the
  /// returned cursor is 0. Every key present for the whole walk is returned
  /// at least once, whatever is inserted or removed between steps (see
  /// `Table::scan`); a key may be returned more than once. Of the visited
  /// keys, those that match `pattern` (a KEYS glob) and hold `kind` are
  /// returned; expired keys are skipped (and left for expiry to remove),
  /// so a step may return nothing while the walk goes on.
  pub fn scan(
    &self,
    cursor: u64,
    count: usize,
    pattern: Option<&str>,
    kind: Option<Kind>,
  ) -> (u64, Vec<Key>) {
    let now = self.now_ms();
    let pattern = pattern.filter(|p| *p != "*");
    let mut found = Vec::new();
    let next = self.table.scan(cursor, count, |key, e| {
      if !e.is_expired(now)
        && kind.is_none_or(|k| e.kind() == k)
        && pattern.is_none_or(|p| glob::matches(p.as_bytes(), key.as_bytes()))
      {
        found.push(Key::from(key));
      }
    });
    (next, found)
  }

  /// FLUSH: removes every key. `async_` says how; `None` follows
  /// `lazyfree.userFlush`. Lazily, the whole table goes to the dropper in
  /// one message whatever its size, counted as one value per key. Returns
  /// whether the table went to the drop thread.
  pub fn flush(&mut self, async_: Option<bool>) -> bool {
    let lazy = async_.unwrap_or(self.config.lazyfree.user_flush);
    let table = std::mem::take(&mut self.table);
    let (count, bytes) = (table.len() as u64, table.used());
    if table.is_empty() {
      return false;
    }
    if lazy {
      self.dropper.defer_other(Box::new(table), count, bytes).deferred()
    } else {
      drop::<Table>(table);
      false
    }
  }

  /// Moves a native value in at `key`, replacing what was there (freed per
  /// `lazyfree.serverDel`) and clearing any TTL, as SET does. `bytes` is the
  /// value's estimate. A collection with no elements is not stored: like
  /// Redis, no key ever holds an empty collection, so the key is removed
  /// instead. When the value cannot fit under `maxmemory`, or is a string
  /// longer than [`MAX_STRING_BYTES`] (the limit every string write shares),
  /// it is handed back.
  pub fn set_value(&mut self, key: &str, value: Value, bytes: usize) -> Result<(), Refused> {
    if let Value::String(s) = &value {
      if s.len() > MAX_STRING_BYTES {
        return Err(Refused { error: string_too_long(), value });
      }
    }
    let now = self.now_ms();
    let old = self.lookup_write(key, now).map(|e| entry_memory(key.len(), e.bytes()));
    if value.kind() != Kind::String && value.is_empty() {
      if old.is_some() {
        self.remove_key(key, Removal::Overwrite);
      }
      return Ok(());
    }
    let new = entry_memory(key.len(), bytes);
    if let Err(error) = self.reserve(new.saturating_sub(old.unwrap_or(0)), &[key]) {
      return Err(Refused { error, value });
    }
    if old.is_some() {
      let old = self.table.replace(key, value, bytes).expect("present");
      self.table.set_expiry(key, 0);
      self.table.touch(key);
      self.dispose_taken(old, Removal::Overwrite);
    } else {
      self.insert_new(key, value, bytes, 0);
    }
    Ok(())
  }

  /// Moves the value at `key` out, with its estimate; the key is gone
  /// afterwards. `None` when missing.
  pub fn take_value(&mut self, key: &str) -> Option<(Value, usize)> {
    let now = self.now_ms();
    self.lookup_write(key, now)?;
    self.table.remove(key).map(|r| r.taken.into_value())
  }
}
