//! A table slot in one word: the pointer to an entry, with a tag byte
//! (seven bits of the key's hash) in its top bits.
//!
//! Why: a probe reads a slot's tag before it looks at the entry. With tags
//! in an array of their own, a lookup in a table too big for the cache paid
//! one miss for the tag and another for the pointer; with both in one word
//! it pays one, and a slot costs 8 bytes instead of 9.
//!
//! Guarantees:
//! - A slot owns its entry exactly as a `Box<Entry>` would: it is freed once,
//!   when the slot is dropped or the entry taken out, and the slot is `Send`
//!   and `Sync` exactly when `Box<Entry>` is.
//! - A slot is empty (tag [`EMPTY`], no entry), a tombstone ([`TOMBSTONE`],
//!   no entry) or full (a tag with the high bit set, and an entry); the
//!   pointer is read only in the last case.
//! - Entry addresses fit in 56 bits on every 64-bit target the addon ships
//!   for (user space is at most 57 bits only where a program asks the kernel
//!   for such addresses); a slot checks it, and refuses (panics) rather than
//!   lose a bit. On 32-bit targets the pointer fills the low half.
//! - An all-zero word is an empty slot, so a big array of them is one zeroed
//!   allocation, which the OS maps lazily.

use std::marker::PhantomData;
use std::ptr::NonNull;

pub const EMPTY: u8 = 0;
pub const TOMBSTONE: u8 = 1;

const SHIFT: u32 = 56;
const ADDRESS: u64 = (1 << SHIFT) - 1;

/// One slot of the table, owning a boxed `T` (the table's entry) when
/// full. See the module doc.
#[repr(transparent)]
pub struct Slot<T> {
  word: u64,
  owns: PhantomData<Box<T>>,
}

impl<T> Slot<T> {
  const fn from_word(word: u64) -> Self {
    Slot { word, owns: PhantomData }
  }

  pub const fn empty() -> Self {
    Slot::from_word(0)
  }

  pub const fn tombstone() -> Self {
    Slot::from_word((TOMBSTONE as u64) << SHIFT)
  }

  /// A full slot holding `entry`, under `tag` (high bit set).
  pub fn full(tag: u8, entry: Box<T>) -> Self {
    assert!(tag >= 0x80, "a full slot's tag has its high bit set");
    let address = Box::into_raw(entry) as usize as u64;
    if address & !ADDRESS != 0 {
      // SAFETY: the pointer came from `Box::into_raw` just above and has not
      // been used since; the box is rebuilt once, to be freed.
      drop(unsafe { Box::from_raw(address as usize as *mut T) });
      panic!("an entry's address does not fit in 56 bits");
    }
    Slot::from_word(address | (u64::from(tag) << SHIFT))
  }

  pub fn tag(&self) -> u8 {
    (self.word >> SHIFT) as u8
  }

  fn pointer(&self) -> Option<NonNull<T>> {
    if self.tag() >= 0x80 {
      NonNull::new((self.word & ADDRESS) as usize as *mut T)
    } else {
      None
    }
  }

  pub fn entry(&self) -> Option<&T> {
    // SAFETY: a full slot's pointer came from `Box::into_raw` and the slot
    // owns the box (see `full`); the returned borrow is tied to `&self`.
    self.pointer().map(|p| unsafe { p.as_ref() })
  }

  /// Loads the first and the last byte of the entry, if the slot is full,
  /// and nothing else: a batch of lookups (`Table::warm`) then has every
  /// cache line an entry spans in flight at once. An entry need not start
  /// on a line (jemalloc packs 48-byte ones back to back), so half of them
  /// cross into a second one.
  pub fn warm(&self) {
    // The last byte below is inside `T` only if `T` has one.
    const { assert!(std::mem::size_of::<T>() > 0, "a slot's entry has a size") };
    if let Some(p) = self.pointer() {
      let first = p.as_ptr().cast::<std::mem::MaybeUninit<u8>>();
      // SAFETY: a full slot's pointer is a live `T` (see `entry`), and `T`
      // is not zero-sized (asserted above), so both bytes lie inside it.
      // They are read as `MaybeUninit`, since either may be padding, and
      // only handed to `black_box`, never inspected.
      let ends = unsafe { (first.read(), first.add(std::mem::size_of::<T>() - 1).read()) };
      std::hint::black_box(ends);
    }
  }

  pub fn entry_mut(&mut self) -> Option<&mut T> {
    // SAFETY: as in `entry`; `&mut self` makes the borrow unique.
    self.pointer().map(|mut p| unsafe { p.as_mut() })
  }

  /// Takes the entry out, leaving `leave` (an empty slot or a tombstone).
  pub fn take(&mut self, leave: Self) -> Option<Box<T>> {
    debug_assert!(leave.tag() < 0x80);
    let taken = std::mem::replace(self, leave);
    let p = taken.pointer();
    std::mem::forget(taken);
    // SAFETY: the slot owned this box; `forget` keeps `taken`'s drop from
    // freeing it too, so ownership passes to the returned box once.
    p.map(|p| unsafe { Box::from_raw(p.as_ptr()) })
  }
}

impl<T> Drop for Slot<T> {
  fn drop(&mut self) {
    if let Some(p) = self.pointer() {
      // SAFETY: the slot owns the box; it is freed here once.
      drop(unsafe { Box::from_raw(p.as_ptr()) });
    }
  }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Slot<T> {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    match self.entry() {
      Some(e) => write!(f, "Slot({:#x}, {e:?})", self.tag()),
      None => write!(f, "Slot({:#x})", self.tag()),
    }
  }
}

/// `n` empty slots, in one zeroed allocation.
pub fn empty_slots<T>(n: usize) -> Vec<Slot<T>> {
  let mut words = std::mem::ManuallyDrop::new(vec![0u64; n]);
  let (ptr, len, cap) = (words.as_mut_ptr(), words.len(), words.capacity());
  // SAFETY: `Slot` is `repr(transparent)` over a `u64` (same size and
  // alignment), an all-zero word is a valid (empty) slot, and the vector's
  // allocation passes whole from `words`, which is never used or dropped.
  unsafe { Vec::from_raw_parts(ptr.cast::<Slot<T>>(), len, cap) }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_slot_is_one_word_and_zero_is_empty() {
    assert_eq!(std::mem::size_of::<Slot<String>>(), 8);
    let slots = empty_slots::<String>(4);
    assert!(slots.iter().all(|s| s.tag() == EMPTY && s.entry().is_none()));
  }

  #[test]
  fn a_full_slot_owns_its_box_until_taken_or_dropped() {
    let witness = std::rc::Rc::new(());
    let mut slot = Slot::full(0x85, Box::new(std::rc::Rc::clone(&witness)));
    assert_eq!(slot.tag(), 0x85);
    assert_eq!(std::rc::Rc::strong_count(slot.entry().unwrap()), 2);
    let taken = slot.take(Slot::tombstone()).unwrap();
    assert_eq!(slot.tag(), TOMBSTONE);
    assert!(slot.entry().is_none() && slot.take(Slot::empty()).is_none());
    drop(taken);
    assert_eq!(std::rc::Rc::strong_count(&witness), 1, "freed once, when taken out");
    drop(Slot::full(0x80, Box::new(std::rc::Rc::clone(&witness))));
    assert_eq!(std::rc::Rc::strong_count(&witness), 1, "freed when the slot is dropped");
  }
}
