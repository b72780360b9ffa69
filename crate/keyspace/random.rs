//! A small, fast pseudo-random generator for sampling keys.
//!
//! Eviction and active expiry only need "a key, roughly uniformly": not
//! cryptographic randomness, and not a dependency. This is xorshift64*
//! (Vigna), seeded per keyspace; tests seed it to make sampling repeatable.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
  /// A generator from `seed`; 0 (which xorshift cannot use) is replaced.
  pub fn new(seed: u64) -> Rng {
    Rng(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
  }

  /// A generator seeded from the clock and this allocation's address.
  pub fn from_entropy() -> Rng {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let local = 0u8;
    let addr = &local as *const u8 as u64;
    Rng::new(nanos ^ addr.rotate_left(32))
  }

  pub fn next_u64(&mut self) -> u64 {
    let mut x = self.0;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self.0 = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
  }

  /// A number in `0..n` (`n > 0`), by multiply-shift: no modulo bias worth
  /// speaking of for table sizes.
  pub fn below(&mut self, n: usize) -> usize {
    debug_assert!(n > 0);
    ((self.next_u64() as u128 * n as u128) >> 64) as usize
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn below_stays_in_range_and_covers_it() {
    let mut rng = Rng::new(7);
    let mut seen = [0u32; 10];
    for _ in 0..10_000 {
      seen[rng.below(10)] += 1;
    }
    assert!(seen.iter().all(|&n| n > 800 && n < 1200), "{seen:?}");
  }

  #[test]
  fn the_same_seed_gives_the_same_sequence() {
    let (mut a, mut b) = (Rng::new(42), Rng::new(42));
    assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
    assert_ne!(Rng::new(0).next_u64(), 0);
  }
}
