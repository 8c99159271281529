//! Size caps for data read from outside: HTTP response bodies, downloads and decompressed archive
//! members. Investigation tools read attacker-controlled data, so every whole-body or whole-member
//! read goes through [`read_response`] or [`read_capped`], which stop at a cap and report an error
//! naming the source and the cap instead of filling memory.
//!
//! The defaults are far above real workloads (a Log Analytics answer is at most 64 MiB, a GeoLite2
//! archive about 40 MiB, an OTRF dataset a few hundred MiB):
//!
//! | cap | default | environment variable |
//! |---|---|---|
//! | response (an HTTP body, a whois answer) | 256 MiB | `MSTIC_MAX_RESPONSE_BYTES` |
//! | download (a file fetched whole) | 2 GiB | `MSTIC_MAX_DOWNLOAD_BYTES` |
//! | decompressed archive member | 1 GiB | `MSTIC_MAX_DECOMPRESSED_BYTES` |
//!
//! A variable holds a byte count, optionally with a `K`, `M` or `G` suffix (binary units, `KiB`/`MiB`/`GiB`
//! also accepted): `MSTIC_MAX_RESPONSE_BYTES=512M`. An unreadable value leaves the default in place and
//! is named in the error when that cap is reached.
//!
//! ```
//! use mstic_core::limits::{ReadLimits, read_capped};
//! let limits = ReadLimits { max_decompressed_bytes: 4, ..ReadLimits::default() };
//! let error = read_capped(&b"0123456789"[..], limits.decompressed(), "data.zip!big.json").unwrap_err();
//! assert!(error.to_string().starts_with("data.zip!big.json is larger than the decompressed-size cap of 4 bytes"));
//! ```

use std::io::Read;

/// Default cap of a network answer such as an HTTP response body (256 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 256 << 20;
/// Default cap of a download read whole (2 GiB).
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 2 << 30;
/// Default cap of one decompressed archive member (1 GiB).
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 1 << 30;

/// Which of the three caps applies to a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapKind {
    /// A network answer: an HTTP response body, a whois answer.
    Response,
    /// A file downloaded whole.
    Download,
    /// A decompressed archive member.
    Decompressed,
}

impl CapKind {
    /// The environment variable that overrides this cap.
    pub fn env_var(self) -> &'static str {
        match self {
            CapKind::Response => "MSTIC_MAX_RESPONSE_BYTES",
            CapKind::Download => "MSTIC_MAX_DOWNLOAD_BYTES",
            CapKind::Decompressed => "MSTIC_MAX_DECOMPRESSED_BYTES",
        }
    }

    fn label(self) -> &'static str {
        match self {
            CapKind::Response => "response cap",
            CapKind::Download => "download cap",
            CapKind::Decompressed => "decompressed-size cap",
        }
    }
}

/// The three caps. [`ReadLimits::default`] holds the documented defaults; [`ReadLimits::from_env`]
/// applies the environment overrides. Clients keep one and accept another (`with_read_limits`), so
/// a caller (or a test) can set a cap per client without touching the process environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest HTTP response body read, in bytes.
    pub max_response_bytes: u64,
    /// Largest download read whole, in bytes.
    pub max_download_bytes: u64,
    /// Largest decompressed archive member, in bytes.
    pub max_decompressed_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
        }
    }
}

impl ReadLimits {
    /// The defaults, each overridden by its environment variable when that holds a valid size.
    pub fn from_env() -> Self {
        let read = |kind: CapKind, default: u64| env_value(kind).and_then(|text| parse_size(&text)).unwrap_or(default);
        ReadLimits {
            max_response_bytes: read(CapKind::Response, DEFAULT_MAX_RESPONSE_BYTES),
            max_download_bytes: read(CapKind::Download, DEFAULT_MAX_DOWNLOAD_BYTES),
            max_decompressed_bytes: read(CapKind::Decompressed, DEFAULT_MAX_DECOMPRESSED_BYTES),
        }
    }

    /// The cap of an HTTP response body.
    pub fn response(&self) -> ByteCap {
        ByteCap { kind: CapKind::Response, bytes: self.max_response_bytes }
    }

    /// The cap of a download.
    pub fn download(&self) -> ByteCap {
        ByteCap { kind: CapKind::Download, bytes: self.max_download_bytes }
    }

    /// The cap of a decompressed archive member.
    pub fn decompressed(&self) -> ByteCap {
        ByteCap { kind: CapKind::Decompressed, bytes: self.max_decompressed_bytes }
    }
}

/// One cap: its kind (for the message) and its size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteCap {
    /// Which cap this is.
    pub kind: CapKind,
    /// The largest number of bytes allowed.
    pub bytes: u64,
}

impl ByteCap {
    /// `Ok` when `length` bytes fit under the cap, else the error naming `source`.
    pub fn check(&self, length: u64, source: &str) -> Result<(), LimitExceeded> {
        if length > self.bytes { Err(self.exceeded(source)) } else { Ok(()) }
    }

    /// The error for `source` going past this cap.
    pub fn exceeded(&self, source: &str) -> LimitExceeded {
        LimitExceeded { source: source.to_string(), cap: *self, ignored_setting: unreadable_setting(self.kind) }
    }
}

/// A read stopped at its cap. The message names the source, the cap and how to raise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The URL, file or archive member being read.
    pub source: String,
    /// The cap that was reached.
    pub cap: ByteCap,
    /// The environment variable's value when it was set but not readable as a size.
    pub ignored_setting: Option<String>,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let variable = self.cap.kind.env_var();
        write!(f, "{} is larger than the {} of {} bytes ({})", self.source, self.cap.kind.label(), self.cap.bytes, human_size(self.cap.bytes))?;
        match &self.ignored_setting {
            Some(value) => write!(f, "; {variable}='{value}' is not a size (e.g. 536870912 or 512M), so the default applies"),
            None => write!(f, "; set {variable} to raise it"),
        }
    }
}

impl std::error::Error for LimitExceeded {}

impl From<LimitExceeded> for crate::Error {
    fn from(e: LimitExceeded) -> Self {
        crate::Error::Other(e.to_string())
    }
}

/// A capped read that failed: past its cap, or the underlying read failed.
#[derive(Debug)]
pub enum CappedReadError<E> {
    /// The data is larger than the cap.
    TooLarge(LimitExceeded),
    /// The transport or reader failed.
    Failed(E),
}

impl<E: std::fmt::Display> std::fmt::Display for CappedReadError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CappedReadError::TooLarge(e) => e.fmt(f),
            CappedReadError::Failed(e) => e.fmt(f),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for CappedReadError<E> {}

/// The body of `response`, read chunk by chunk and stopped as soon as it passes `cap` (a declared
/// `Content-Length` above the cap fails before anything is read). Nothing is allocated from the
/// declared length. `source` (a URL without secrets) names the body in the error.
pub async fn read_response(response: reqwest::Response, cap: ByteCap, source: &str) -> Result<Vec<u8>, CappedReadError<reqwest::Error>> {
    read_response_reporting(response, cap, source, |_, _| {}).await
}

/// [`read_response`] that calls `on_chunk(bytes read so far, declared length)` after each chunk
/// (for a download's progress bar).
pub async fn read_response_reporting(
    mut response: reqwest::Response,
    cap: ByteCap,
    source: &str,
    mut on_chunk: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, CappedReadError<reqwest::Error>> {
    let declared = response.content_length();
    if let Some(declared) = declared {
        cap.check(declared, source).map_err(CappedReadError::TooLarge)?;
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(CappedReadError::Failed)? {
        cap.check((body.len() + chunk.len()) as u64, source).map_err(CappedReadError::TooLarge)?;
        body.extend_from_slice(&chunk);
        on_chunk(body.len() as u64, declared);
    }
    Ok(body)
}

/// Everything `reader` yields, up to `cap` bytes; one byte more is an error naming `source`. The
/// buffer grows with the data read, never from a size the data declares.
pub fn read_capped(reader: impl Read, cap: ByteCap, source: &str) -> Result<Vec<u8>, CappedReadError<std::io::Error>> {
    let mut bytes = Vec::new();
    reader.take(cap.bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(CappedReadError::Failed)?;
    cap.check(bytes.len() as u64, source).map_err(CappedReadError::TooLarge)?;
    Ok(bytes)
}

fn env_value(kind: CapKind) -> Option<String> {
    std::env::var(kind.env_var()).ok().filter(|v| !v.trim().is_empty())
}

/// The variable's value when it is set but not a size.
fn unreadable_setting(kind: CapKind) -> Option<String> {
    env_value(kind).filter(|text| parse_size(text).is_none())
}

/// A byte count with an optional binary-unit suffix: `1048576`, `512K`, `256 MiB`, `2G`.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let number: u64 = text[..digits_end].parse().ok()?;
    let shift = match text[digits_end..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return None,
    };
    number.checked_mul(1u64 << shift)
}

/// `bytes` in the largest binary unit that divides it cleanly enough to read (`256 MiB`, `1.5 GiB`).
fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, u32); 3] = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in UNITS {
        if bytes >= 1u64 << shift {
            let value = bytes as f64 / (1u64 << shift) as f64;
            return if value.fract() == 0.0 { format!("{value:.0} {unit}") } else { format!("{value:.1} {unit}") };
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("512K"), Some(512 << 10));
        assert_eq!(parse_size(" 256 MiB "), Some(256 << 20));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("12 parsecs"), None);
        assert_eq!(parse_size("99999999999999999999G"), None);
    }

    #[test]
    fn defaults_are_the_documented_sizes() {
        let limits = ReadLimits::default();
        assert_eq!(limits.response().bytes, 268_435_456);
        assert_eq!(limits.download().bytes, 2_147_483_648);
        assert_eq!(limits.decompressed().bytes, 1_073_741_824);
    }

    #[test]
    fn capped_read_keeps_data_at_the_cap_and_names_source_and_cap_past_it() {
        let cap = ByteCap { kind: CapKind::Decompressed, bytes: 10 };
        assert_eq!(read_capped(&b"0123456789"[..], cap, "a.zip!m").unwrap(), b"0123456789");
        let error = read_capped(&b"0123456789X"[..], cap, "a.zip!m").unwrap_err();
        assert_eq!(
            error.to_string(),
            "a.zip!m is larger than the decompressed-size cap of 10 bytes (10 B); set MSTIC_MAX_DECOMPRESSED_BYTES to raise it"
        );
        assert!(matches!(error, CappedReadError::TooLarge(LimitExceeded { cap: ByteCap { bytes: 10, .. }, .. })));
    }

    #[test]
    fn cap_message_shows_the_size_in_binary_units() {
        let error = ReadLimits::default().response().exceeded("https://example.test/api");
        assert_eq!(
            error.to_string(),
            "https://example.test/api is larger than the response cap of 268435456 bytes (256 MiB); set MSTIC_MAX_RESPONSE_BYTES to raise it"
        );
    }
}
