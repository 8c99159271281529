//! Refanging and defanging observables (`1.2.3[.]4` ⇄ `1.2.3.4`, `hXXp://` ⇄ `http://`).

use regex::Regex;
use std::sync::OnceLock;

/// Turns a defanged observable back into its usable form: `[.]` → `.`, `[at]`/`[AT]` → `@`,
/// `hXXp` → `http`, `fXp` → `ftp` (case-insensitive).
///
/// ```
/// use mstic_transform::ioc::refang;
/// assert_eq!(refang("hXXps://evil[.]example[.]com"), "https://evil.example.com");
/// assert_eq!(refang("user[AT]domain[.]uk"), "user@domain.uk");
/// ```
pub fn refang(observable: &str) -> String {
    static RULES: OnceLock<[(Regex, &'static str); 4]> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            (Regex::new(r"\[\.\]").unwrap(), "."),
            (Regex::new(r"(?i)\[at\]").unwrap(), "@"),
            (Regex::new(r"(?i)hxxp").unwrap(), "http"),
            (Regex::new(r"(?i)fxp").unwrap(), "ftp"),
        ]
    });
    let mut text = observable.to_string();
    for (pattern, replacement) in rules {
        if pattern.is_match(&text) {
            text = pattern.replace_all(&text, *replacement).into_owned();
        }
    }
    text
}

/// Makes an observable safe to paste: `.` → `[.]`, `@` → `[AT]`, `http` → `hXXp`, `ftp` → `fXp`.
///
/// ```
/// use mstic_transform::ioc::{defang, refang};
/// assert_eq!(defang("https://evil.example.com"), "hXXps://evil[.]example[.]com");
/// assert_eq!(refang(&defang("user@domain.uk")), "user@domain.uk");
/// ```
pub fn defang(observable: &str) -> String {
    let mut text = observable.replace('.', "[.]").replace('@', "[AT]");
    for (plain, defanged) in [("http", "hXXp"), ("ftp", "fXp")] {
        text = replace_ignore_case(&text, plain, defanged);
    }
    text
}

fn replace_ignore_case(text: &str, needle: &str, replacement: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, _) in lower.match_indices(needle) {
        out.push_str(&text[last..start]);
        out.push_str(replacement);
        last = start + needle.len();
    }
    out.push_str(&text[last..]);
    out
}
