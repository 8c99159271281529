//! Text for HTTP requests, shared by every client of the crates (sign-in, remote drivers, threat
//! intel): percent-encoding that keeps only RFC 3986's unreserved characters, and
//! `application/x-www-form-urlencoded` bodies.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but letters, digits and `-._~` is encoded.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes `text` for a query string, a path segment or a form value.
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, RESERVED).to_string()
}

/// A form body (`name=value&…`, both percent-encoded) from name/value pairs.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay() {
        assert_eq!(percent_encode("a b/c+d?e=é~x_y.z-1"), "a%20b%2Fc%2Bd%3Fe%3D%C3%A9~x_y.z-1");
        assert_eq!(form_body(&[("grant type", "a&b"), ("scope", "https://x/.default")]), "grant%20type=a%26b&scope=https%3A%2F%2Fx%2F.default");
    }
}
