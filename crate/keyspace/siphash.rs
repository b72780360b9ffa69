//! SipHash-1-3 over one whole message, with the table's secret key: the
//! function std's `RandomState` uses, computed in registers.
//!
//! Why: a table files every key under this hash, so it runs on every
//! command. Through std's streaming `Hasher` (`write`, then `finish`) the
//! state lived on the stack between the two calls, and `finish` read back
//! words that `write` had just stored, which stalled the CPU on its store
//! buffer (4% of a SET in a profile). A key is always hashed whole, so the
//! one-shot form needs no buffer at all.
//!
//! Guarantees:
//! - The same function as std's SipHash-1-3 (and, with two and four rounds,
//!   SipHash-2-4), word for word: the tests compare both with std.
//! - Keyed like std's `RandomState`: the 128-bit key is drawn from the
//!   process's random seed, per table, so which keys collide cannot be
//!   known from outside and flooding a table with colliding keys is as hard
//!   as with std's `HashMap` (Redis keys its tables with SipHash too).

use std::hash::{BuildHasher, RandomState};

/// A table's secret SipHash key. Its `Debug` shows no bits of it, as std's
/// `RandomState` does not: a logged table must not tell which keys collide.
#[derive(Clone, Copy)]
pub struct SipKey {
  k0: u64,
  k1: u64,
}

impl std::fmt::Debug for SipKey {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str("SipKey { .. }")
  }
}

impl SipKey {
  /// A fresh secret key: two outputs of a fresh `RandomState`, which is
  /// itself keyed from the OS's random source.
  pub fn random() -> SipKey {
    let seed = RandomState::new();
    SipKey { k0: seed.hash_one(0x6c61_7a79_u64), k1: seed.hash_one(0x6672_6565_u64) }
  }

  /// SipHash-1-3 of `message`.
  #[inline]
  pub fn hash(&self, message: &[u8]) -> u64 {
    sip::<1, 3>(self.k0, self.k1, message)
  }
}

#[inline(always)]
fn round(v: &mut [u64; 4]) {
  v[0] = v[0].wrapping_add(v[1]);
  v[1] = v[1].rotate_left(13) ^ v[0];
  v[0] = v[0].rotate_left(32);
  v[2] = v[2].wrapping_add(v[3]);
  v[3] = v[3].rotate_left(16) ^ v[2];
  v[0] = v[0].wrapping_add(v[3]);
  v[3] = v[3].rotate_left(21) ^ v[0];
  v[2] = v[2].wrapping_add(v[1]);
  v[1] = v[1].rotate_left(17) ^ v[2];
  v[2] = v[2].rotate_left(32);
}

/// Little-endian word of `m` at `at` (eight bytes there). The table's key
/// comparison reads keys with it too.
#[inline(always)]
pub(super) fn word(m: &[u8], at: usize) -> u64 {
  u64::from_le_bytes(m[at..at + 8].try_into().expect("eight bytes"))
}

/// Little-endian half word of `m` at `at` (four bytes there).
#[inline(always)]
pub(super) fn half(m: &[u8], at: usize) -> u64 {
  u64::from(u32::from_le_bytes(m[at..at + 4].try_into().expect("four bytes")))
}

/// The bytes after the last whole word of `m`, little-endian, in at most
/// two loads: overlapping ones, since each byte read twice lands on itself.
#[inline(always)]
fn tail(m: &[u8]) -> u64 {
  let n = m.len();
  let rem = n % 8;
  if rem == 0 {
    0
  } else if n >= 8 {
    word(m, n - 8) >> (8 * (8 - rem))
  } else if rem >= 4 {
    half(m, 0) | (half(m, n - 4) << (8 * (n - 4)))
  } else {
    u64::from(m[0]) | (u64::from(m[n / 2]) << (8 * (n / 2))) | (u64::from(m[n - 1]) << (8 * (n - 1)))
  }
}

/// SipHash-c-d of `m` under the key `(k0, k1)`.
#[inline(always)]
fn sip<const C: usize, const D: usize>(k0: u64, k1: u64, m: &[u8]) -> u64 {
  let mut v = [
    k0 ^ 0x736f_6d65_7073_6575,
    k1 ^ 0x646f_7261_6e64_6f6d,
    k0 ^ 0x6c79_6765_6e65_7261,
    k1 ^ 0x7465_6462_7974_6573,
  ];
  let compress = |x: u64, v: &mut [u64; 4]| {
    v[3] ^= x;
    for _ in 0..C {
      round(v);
    }
    v[0] ^= x;
  };
  let whole = m.len() / 8 * 8;
  let mut at = 0;
  while at < whole {
    compress(word(m, at), &mut v);
    at += 8;
  }
  // The length's low byte goes in the last word's top byte.
  compress(tail(m) | ((m.len() as u64) << 56), &mut v);
  v[2] ^= 0xff;
  for _ in 0..D {
    round(&mut v);
  }
  v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
  use std::hash::Hasher;

  use super::*;

  fn message(len: usize, salt: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt)).collect()
  }

  #[test]
  fn is_std_siphash_1_3_at_every_length() {
    // std's DefaultHasher::new() is SipHash-1-3 under the key (0, 0).
    for len in 0..=80 {
      for salt in [0, 0x5a, 0xff] {
        let m = message(len, salt);
        let mut h = std::hash::DefaultHasher::new();
        h.write(&m);
        assert_eq!(sip::<1, 3>(0, 0, &m), h.finish(), "length {len}, salt {salt}");
      }
    }
  }

  #[test]
  #[allow(deprecated)]
  fn is_std_siphash_2_4_under_any_key() {
    // The key's two halves take part: std's keyed SipHash-2-4 agrees.
    for (k0, k1) in [(1, 2), (u64::MAX, 0), (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908)] {
      for len in 0..=40 {
        let m = message(len, 7);
        let mut h = std::hash::SipHasher::new_with_keys(k0, k1);
        h.write(&m);
        assert_eq!(sip::<2, 4>(k0, k1, &m), h.finish(), "length {len}, key ({k0}, {k1})");
      }
    }
  }

  #[test]
  fn debug_shows_no_key() {
    let key = SipKey { k0: 0x1234_5678_9abc_def0, k1: 0x0fed_cba9_8765_4321 };
    let shown = format!("{key:?}");
    assert_eq!(shown, "SipKey { .. }");
    assert!(!shown.contains("1234") && !shown.contains(&key.k0.to_string()));
  }

  #[test]
  fn keys_differ_between_tables() {
    let (a, b) = (SipKey::random(), SipKey::random());
    assert_ne!(a.hash(b"key:1"), b.hash(b"key:1"));
    assert_ne!((a.k0, a.k1), (b.k0, b.k1));
  }
}
