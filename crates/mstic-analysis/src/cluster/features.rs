//! MSTICPy's event-clustering feature functions (`eventcluster.py`): numbers derived from text so
//! that similar command lines and paths land close together.

/// Whether `c` is one of MSTICPy's default token delimiters, the regex class
/// `[\s\-\\/\.,"'|&:;%$()]` (with Python's notion of `\s`).
pub fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c) || "-\\/.,\"'|&:;%$()".contains(c)
}

/// Number of `delimiter`-separated tokens (Python `len(value.split(delimiter))`): an empty
/// string has one token. An empty delimiter counts characters plus one.
pub fn token_count_by(value: &str, delimiter: &str) -> usize {
    if delimiter.is_empty() {
        return value.chars().count() + 1;
    }
    value.split(delimiter).count()
}

/// Number of space-separated tokens (MSTICPy `token_count`).
pub fn token_count(value: &str) -> usize {
    token_count_by(value, " ")
}

/// Number of delimiter characters (MSTICPy `delim_count`).
pub fn delim_count(value: &str) -> usize {
    value.chars().filter(|&c| is_delimiter(c)).count()
}

/// CRC32 of the string's delimiters in order — the "shape" of a command line regardless of
/// its words (MSTICPy `delim_hash`).
pub fn delim_hash(value: &str) -> u32 {
    let delimiters: String = value.chars().filter(|&c| is_delimiter(c)).collect();
    crc32_hash(&delimiters)
}

/// Sum of the characters' Unicode code points divided by `scale`, rounded down (MSTICPy
/// `char_ord_score`); a `scale` of 0 is treated as 1.
pub fn char_ord_score_scaled(value: &str, scale: u64) -> u64 {
    value.chars().map(|c| c as u64).sum::<u64>() / scale.max(1)
}

/// Sum of the characters' Unicode code points (MSTICPy `char_ord_score`).
pub fn char_ord_score(value: &str) -> u64 {
    char_ord_score_scaled(value, 1)
}

/// CRC32 (IEEE, as Python's `binascii.crc32`) of the UTF-8 bytes (MSTICPy `crc32_hash`).
pub fn crc32_hash(value: &str) -> u32 {
    crc32fast::hash(value.as_bytes())
}

/// `log10(x)`, or 0 for 0 (MSTICPy's log features).
pub(crate) fn log10_or_zero(x: f64) -> f64 {
    if x > 0.0 { x.log10() } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTENCE: &str =
        "The quick & sly (as all foxes might be/or not) fox, jumped over a frog.";

    #[test]
    fn msticpy_feature_values() {
        assert_eq!(token_count(SENTENCE), 15);
        assert_eq!(char_ord_score(SENTENCE), 6199);
        assert_eq!(delim_count(SENTENCE), 20);
        assert_eq!(crc32_hash(SENTENCE), 2011081507);
        assert_eq!(delim_hash(SENTENCE), 2337396062);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(token_count(""), 1);
        assert_eq!(token_count_by("a,b,,c", ","), 4);
        assert_eq!(char_ord_score_scaled("ab", 2), 97);
        assert_eq!(char_ord_score_scaled("ab", 0), 195);
        assert_eq!(delim_count("C:\\Windows\\cmd.exe /c \"dir\""), 9);
        assert_eq!(crc32_hash(""), 0);
    }
}
