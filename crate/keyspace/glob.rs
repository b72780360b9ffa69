//! Redis's glob matcher, for `keys(pattern)`.
//!
//! `KEYS` patterns are not shell globs: Redis has its own matcher
//! (`stringmatchlen` in `util.c`) with its own corner cases — `\` escapes
//! anywhere, `[^...]` negation, ranges whose ends may come in either order, an
//! unterminated `[` that still matches, bytes compared as signed `char`s — and
//! an application porting its key patterns expects the same answers. This is
//! a reimplementation of that algorithm (case-sensitive, as `KEYS` uses it),
//! with Redis's guards against abusive patterns: a nesting limit, and giving
//! up on longer matches for an earlier `*` once a later one has failed.

/// Whether `string` matches `pattern`, as Redis's `KEYS` decides it.
pub fn matches(pattern: &[u8], string: &[u8]) -> bool {
  let mut skip_longer = false;
  match_from(pattern, string, &mut skip_longer, 0)
}

/// The byte at `i`, or NUL past the end (C reads the terminator there).
fn at(s: &[u8], i: usize) -> u8 {
  s.get(i).copied().unwrap_or(0)
}

/// Compares as C's signed `char` does on x86-64, which matters for ranges
/// over bytes above 0x7f.
fn signed(b: u8) -> i32 {
  b as i8 as i32
}

fn match_from(pat: &[u8], s: &[u8], skip_longer: &mut bool, nesting: u32) -> bool {
  if nesting > 1000 {
    return false;
  }
  let (mut p, mut i) = (0usize, 0usize);
  while p < pat.len() && i < s.len() {
    match pat[p] {
      b'*' => {
        while p < pat.len() && at(pat, p + 1) == b'*' {
          p += 1;
        }
        if pat.len() - p == 1 {
          return true;
        }
        while i < s.len() {
          if match_from(&pat[p + 1..], &s[i..], skip_longer, nesting + 1) {
            return true;
          }
          if *skip_longer {
            return false;
          }
          i += 1;
        }
        // The rest of the pattern matches nowhere in the rest of the string:
        // a longer match for an earlier `*` cannot help either.
        *skip_longer = true;
        return false;
      }
      b'?' => i += 1,
      b'[' => {
        p += 1;
        let not = at(pat, p) == b'^';
        if not {
          p += 1;
        }
        let mut matched = false;
        loop {
          let rest = pat.len().saturating_sub(p);
          if at(pat, p) == b'\\' && rest >= 2 {
            p += 1;
            if pat[p] == s[i] {
              matched = true;
            }
          } else if at(pat, p) == b']' {
            break;
          } else if rest == 0 {
            // Unterminated class: step back so the advance below lands on
            // the end of the pattern.
            p -= 1;
            break;
          } else if rest >= 3 && pat[p + 1] == b'-' {
            let (mut start, mut end) = (signed(pat[p]), signed(pat[p + 2]));
            if start > end {
              std::mem::swap(&mut start, &mut end);
            }
            let c = signed(s[i]);
            p += 2;
            if c >= start && c <= end {
              matched = true;
            }
          } else if pat[p] == s[i] {
            matched = true;
          }
          p += 1;
        }
        if not {
          matched = !matched;
        }
        if !matched {
          return false;
        }
        i += 1;
      }
      b'\\' => {
        if pat.len() - p >= 2 {
          p += 1;
        }
        if pat[p] != s[i] {
          return false;
        }
        i += 1;
      }
      c => {
        if c != s[i] {
          return false;
        }
        i += 1;
      }
    }
    p += 1;
    if i == s.len() {
      while at(pat, p) == b'*' && p < pat.len() {
        p += 1;
      }
      break;
    }
  }
  p >= pat.len() && i == s.len()
}

#[cfg(test)]
mod tests {
  use super::matches;

  fn m(p: &str, s: &str) -> bool {
    matches(p.as_bytes(), s.as_bytes())
  }

  #[test]
  fn star_and_question_mark() {
    assert!(m("*", "anything"));
    // Redis's matcher stops when the string runs out, so a lone `*` does not
    // match the empty string here; `keys('*')` short-cuts before matching, as
    // Redis's KEYS does.
    assert!(!m("*", ""));
    assert!(m("h?llo", "hello"));
    assert!(!m("h?llo", "hllo"));
    assert!(m("h*llo", "hllo"));
    assert!(m("h*llo", "heeeello"));
    assert!(m("user:*:name", "user:42:name"));
    assert!(!m("user:*:name", "user:42:email"));
    assert!(m("a**b", "ab"));
    assert!(m("a*", "a"));
    assert!(m("a***", "a"));
    assert!(!m("", "a"));
    assert!(m("", ""));
    assert!(!m("?", ""));
  }

  #[test]
  fn classes_ranges_and_negation() {
    assert!(m("h[ae]llo", "hello"));
    assert!(m("h[ae]llo", "hallo"));
    assert!(!m("h[ae]llo", "hillo"));
    assert!(m("h[^e]llo", "hallo"));
    assert!(!m("h[^e]llo", "hello"));
    assert!(m("h[a-b]llo", "hbllo"));
    assert!(m("h[b-a]llo", "hallo"), "reversed range ends are swapped");
    assert!(!m("h[a-b]llo", "hcllo"));
    assert!(m("[\\]]", "]"));
    // "a-]" reads as the range a..']' (swapped to ']'..'a'), then the class
    // runs unterminated to the end of the pattern.
    assert!(m("[a-]", "a"));
    assert!(m("[a-]", "_"));
    assert!(!m("[a-]", "-"));
  }

  #[test]
  fn escapes_take_the_next_byte_literally() {
    assert!(m("\\*", "*"));
    assert!(!m("\\*", "a"));
    assert!(m("a\\?", "a?"));
    assert!(!m("a\\?", "ab"));
    assert!(m("\\", "\\"), "a trailing backslash matches itself");
  }

  #[test]
  fn an_unterminated_class_still_matches_what_it_lists() {
    assert!(m("[ab", "a"));
    assert!(m("[ab", "b"));
    assert!(!m("[ab", "c"));
    assert!(!m("x[", "x"));
    assert!(m("[^", "z"));
  }

  #[test]
  fn high_bytes_compare_as_signed_chars_in_ranges() {
    // 0xC3 as a signed char is negative, below 'a'.
    assert!(matches(b"[\xC3-a]", b"Z"));
    assert!(!matches(b"[a-z]", b"\xC3"));
  }

  #[test]
  fn abusive_patterns_give_up_quickly() {
    let pattern = "a*".repeat(40) + "b";
    let string = "a".repeat(200);
    let start = std::time::Instant::now();
    assert!(!m(&pattern, &string));
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
  }
}
