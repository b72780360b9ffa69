//! Handing an emptied table's memory back to the OS as it empties.
//!
//! A resize moves every entry of the old slot arrays into new ones, cutting
//! the old arrays from their end. At a million keys the old arrays are about
//! 9 MB; freed through the allocator they would stay resident (jemalloc
//! returns freed pages only after a decay time of seconds), so RSS would
//! hold two tables' worth of slots for a while after every doubling. Instead,
//! the pages past a cut array's length are released to the OS on the spot
//! with `madvise(MADV_DONTNEED)` — no copy, unlike shrinking the allocation,
//! and no allocator call.
//!
//! Guarantees: only whole pages that lie inside the vector's spare capacity
//! (past its length, inside its own allocation) are released, so no other
//! allocation's memory and no live element is touched; the vector never
//! reads its spare capacity, so what those pages hold afterwards (zeros, on
//! Linux) does not matter. Elsewhere than Linux this does nothing.

/// Releases to the OS the whole pages of `v`'s spare capacity that lie
/// before element `upto` (at most its capacity). Returns the first element
/// whose page was released, or `upto` when none was: the page holding the
/// element at `v.len()` is released by a later call, once the vector is
/// shorter than that page's start.
#[cfg(target_os = "linux")]
pub fn release_spare<T>(v: &mut Vec<T>, upto: usize) -> usize {
  // SAFETY: `sysconf` has no preconditions; glibc answers the page size
  // from the auxiliary vector, without a system call.
  let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
  let size = std::mem::size_of::<T>();
  let Ok(page) = usize::try_from(page) else { return upto };
  if !page.is_power_of_two() || size == 0 {
    return upto;
  }
  let base = v.as_mut_ptr() as usize;
  let start = (base + v.len() * size).next_multiple_of(page);
  let end = (base + upto.min(v.capacity()) * size) / page * page;
  if end <= start {
    return upto;
  }
  // SAFETY: [start, end) is page-aligned and lies wholly inside `v`'s
  // allocation, past its initialised elements; nothing reads it while `v`
  // holds the allocation (a Vec never reads its spare capacity), and the
  // pages of a private anonymous mapping read as zeros afterwards, so the
  // allocator may reuse the memory later as it would any freed memory.
  // A failure (reported by the return value) leaves the pages as they were.
  unsafe {
    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
  }
  // The first element that lies wholly at or past `start`.
  (start - base).div_ceil(size)
}

#[cfg(not(target_os = "linux"))]
pub fn release_spare<T>(_v: &mut Vec<T>, upto: usize) -> usize {
  upto
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn releasing_spare_pages_keeps_every_live_element_and_the_vector_usable() {
    let n = 1 << 16;
    let mut v: Vec<u64> = (0..n as u64).map(|i| i | 1 << 40).collect();
    v.truncate(1000);
    let released = release_spare(&mut v, n);
    assert!((1000..=n).contains(&released), "{released}");
    assert!((0..1000).all(|i| v[i] == i as u64 | 1 << 40), "a live element changed");
    // The released capacity is still the vector's to grow into.
    v.extend((1000..n as u64).map(|i| i * 3));
    assert_eq!(v[n - 1], (n as u64 - 1) * 3);
    assert_eq!(v[999], 999 | 1 << 40);
  }
}
