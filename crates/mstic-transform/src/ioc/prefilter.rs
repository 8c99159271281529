//! Cheap byte-level tests that say whether a built-in IoC pattern *can* match a text, so its
//! regex only runs where a match is possible. Each test is a necessary condition of its pattern
//! (plain and defanged forms): a `false` proves there is no match, a `true` only allows one.
//! Types added by the user have no such test; a `RegexSet` over their patterns answers instead.

use memchr::{memchr, memchr_iter, memmem};

/// The necessary condition of one pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Prefilter {
    /// Three dot junctions (`1.2`, `1[.]2`) linked by runs of at most three digits.
    Ipv4,
    /// A maximal run of hex digits and colons with two colons or more, not touching `.`, `_` or
    /// an ASCII letter or digit (the boundary check of the IPv6 type).
    Ipv6,
    /// A `.` (every domain label is followed by one, defanged or not).
    Dot,
    /// `://` (every URL scheme ends with it).
    SchemeSeparator,
    /// `@` or `[at]` in any case.
    At,
    /// A `\` (every Windows path folder starts with one).
    Backslash,
    /// A `/` (every Linux path folder starts with one).
    Slash,
    /// A maximal run of exactly this many hex digits (the hash patterns demand non-hex
    /// neighbours or line ends on both sides).
    HexRun(usize),
    /// No test: a user-added pattern, decided by the extractor's `RegexSet`.
    Gate,
}

/// Facts about one text, each worked out on first use and kept for the other types.
pub(super) struct TextFacts<'t> {
    bytes: &'t [u8],
    hex_runs: Option<[bool; 3]>,
}

const HASH_LENGTHS: [usize; 3] = [32, 40, 64];

impl<'t> TextFacts<'t> {
    /// Facts about `text`, none worked out yet.
    pub(super) fn new(text: &'t str) -> Self {
        TextFacts { bytes: text.as_bytes(), hex_runs: None }
    }

    /// Whether the pattern behind `prefilter` may match (`None` for [`Prefilter::Gate`]).
    pub(super) fn allows(&mut self, prefilter: Prefilter) -> Option<bool> {
        let b = self.bytes;
        Some(match prefilter {
            Prefilter::Ipv4 => ipv4_chain(b),
            Prefilter::Ipv6 => ipv6_run(b),
            Prefilter::Dot => memchr(b'.', b).is_some(),
            Prefilter::SchemeSeparator => memmem::find(b, b"://").is_some(),
            Prefilter::At => {
                memchr(b'@', b).is_some()
                    || memchr_iter(b'[', b).any(|i| b.get(i + 1..i + 4).is_some_and(|s| s.eq_ignore_ascii_case(b"at]")))
            }
            Prefilter::Backslash => memchr(b'\\', b).is_some(),
            Prefilter::Slash => memchr(b'/', b).is_some(),
            Prefilter::HexRun(len) => {
                let runs = *self.hex_runs.get_or_insert_with(|| hex_runs(b));
                HASH_LENGTHS.iter().zip(runs).any(|(l, present)| *l == len && present)
            }
            Prefilter::Gate => return None,
        })
    }
}

fn digit(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

/// `D J D J D J D` with `J` one of `.`, `[.`, `.]`, `[.]`, the inner `D` one to three digits.
fn ipv4_chain(b: &[u8]) -> bool {
    let mut chain = 0;
    let mut previous_right: Option<usize> = None;
    for dot in memchr_iter(b'.', b) {
        let left = if dot >= 1 && b[dot - 1] == b'[' { dot.checked_sub(2) } else { dot.checked_sub(1) };
        let Some(left) = left.filter(|&l| digit(b, l)) else { continue };
        let right = if b.get(dot + 1) == Some(&b']') { dot + 2 } else { dot + 1 };
        if !digit(b, right) {
            continue;
        }
        let linked = previous_right
            .is_some_and(|r| r <= left && left - r < 3 && b[r..=left].iter().all(u8::is_ascii_digit));
        chain = if linked { chain + 1 } else { 1 };
        if chain >= 3 {
            return true;
        }
        previous_right = Some(right);
    }
    false
}

/// A run of `[0-9a-fA-F:]` with at least two colons whose neighbours may end an IPv6 address.
fn ipv6_run(b: &[u8]) -> bool {
    let in_run = |c: u8| c == b':' || c.is_ascii_hexdigit();
    // A non-ASCII neighbour may or may not be alphanumeric: allowed, so the test stays necessary.
    let may_bound = |c: u8| !(c == b'.' || c == b'_' || c.is_ascii_alphanumeric());
    let mut next_free = 0;
    for colon in memchr_iter(b':', b) {
        if colon < next_free {
            continue;
        }
        let mut start = colon;
        while start > 0 && in_run(b[start - 1]) {
            start -= 1;
        }
        let mut end = colon + 1;
        while end < b.len() && in_run(b[end]) {
            end += 1;
        }
        next_free = end;
        let colons = memchr_iter(b':', &b[start..end]).take(2).count();
        let before = start == 0 || may_bound(b[start - 1]);
        let after = end == b.len() || may_bound(b[end]);
        if colons >= 2 && before && after {
            return true;
        }
    }
    false
}

/// Which of the hash lengths occur as a maximal hex run. Every run of 32 or more hex digits
/// covers a multiple of 32, so only those positions start a look.
fn hex_runs(b: &[u8]) -> [bool; 3] {
    let mut found = [false; 3];
    let mut probe = 31;
    while probe < b.len() {
        if !b[probe].is_ascii_hexdigit() {
            probe += 32;
            continue;
        }
        let mut start = probe;
        while start > 0 && b[start - 1].is_ascii_hexdigit() {
            start -= 1;
        }
        let mut end = probe + 1;
        while end < b.len() && b[end].is_ascii_hexdigit() {
            end += 1;
        }
        for (slot, len) in found.iter_mut().zip(HASH_LENGTHS) {
            *slot |= end - start == len;
        }
        // The next probe past this run, still on the 32-grid.
        probe += (end - probe).div_ceil(32).max(1) * 32;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(text: &str, prefilter: Prefilter) -> bool {
        TextFacts::new(text).allows(prefilter).unwrap()
    }

    #[test]
    fn ipv4_chains() {
        for yes in ["ip 10.1.2.3 x", "206[.]123.1[.]123", "1.2.3.4", "12345.1.2.3", "1.]2[.3.4"] {
            assert!(allows(yes, Prefilter::Ipv4), "{yes}");
        }
        for no in ["10.0.17763.1", "12:34:56.789", "1.2.3", "1.2 .3.4", "a.b.c.d", "1..2.3.4"] {
            assert!(!allows(no, Prefilter::Ipv4), "{no}");
        }
    }

    #[test]
    fn ipv6_runs() {
        for yes in ["ip6:(2001:db8::1,", "::ffff:1", "x fe80::1%3", "é::1"] {
            assert!(allows(yes, Prefilter::Ipv6), "{yes}");
        }
        for no in ["12:34:56.789", "Time: 12:30", "a1::2_", "g::1"] {
            assert!(!allows(no, Prefilter::Ipv6), "{no}");
        }
    }

    #[test]
    fn hex_run_lengths() {
        let md5 = "00236a2ae558018ed13b5222ef1bd987";
        assert!(allows(&format!("x {md5}hash"), Prefilter::HexRun(32)));
        assert!(allows(md5, Prefilter::HexRun(32)));
        assert!(!allows(&format!("{md5}a"), Prefilter::HexRun(32)));
        assert!(allows(&format!("{md5}abcdef01 and {md5}"), Prefilter::HexRun(40)));
        assert!(allows(&format!("{}{md5}{md5}", "z".repeat(33)), Prefilter::HexRun(64)));
        assert!(!allows(&"f".repeat(100), Prefilter::HexRun(64)));
    }

    #[test]
    fn literal_tests() {
        assert!(allows("user[AT]domain", Prefilter::At) && allows("a@b", Prefilter::At) && !allows("[a]t", Prefilter::At));
        assert!(allows("hxxp://x", Prefilter::SchemeSeparator) && !allows("http:/x", Prefilter::SchemeSeparator));
    }
}
