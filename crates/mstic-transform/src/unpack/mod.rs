//! Base64 unpacking with MSTICPy's behaviour: candidates of 30+ base64 characters are decoded,
//! replaced inline by `<decoded …>` markup and the result is scanned again (nested encodings);
//! zip, gzip and tar payloads are expanded member by member; each decoded item is reported with
//! its encoding (utf-8, utf-16 or binary with printable hex) and md5/sha1/sha256.
//!
//! Limits (depth, total decoded bytes, archive members) keep hostile input such as zip bombs
//! from exhausting memory: unpacking stops and says why in [`Unpacked::notes`].
//!
//! ```
//! use mstic_transform::unpack;
//! let result = unpack("powershell -enc VGhpcyBpcyBhIHNlY3JldCBtZXNzYWdlIGZvciB5b3U=");
//! assert!(result.decoded.contains("This is a secret message for you"));
//! assert_eq!(result.items[0].encoding_type, "utf-8");
//! ```

mod archive;
mod decode;
mod frame;
#[cfg(test)]
mod tests;

pub use archive::get_hashes;
pub use frame::unpack_frame;

/// Limits and switches of one unpack call ([`unpack_with`], [`unpack_frame`]).
///
/// # Example
///
/// ```
/// use mstic_transform::{UnpackOptions, unpack_with};
/// // "This is a secret message for you", base64-encoded twice.
/// let twice = "VkdocGN5QnBjeUJoSUhObFkzSmxkQ0J0WlhOellXZGxJR1p2Y2lCNWIzVT0=";
/// let one_pass = unpack_with(twice, &UnpackOptions { max_depth: 0, ..Default::default() });
/// assert!(!one_pass.decoded.contains("secret message"));
/// assert_eq!(one_pass.notes, ["stopped at the maximum decode depth (0)"]);
/// assert!(unpack_with(twice, &UnpackOptions::default()).decoded.contains("secret message"));
/// ```
#[derive(Clone, Debug)]
pub struct UnpackOptions {
    /// Try UTF-16 before UTF-8 when turning decoded bytes into text (MSTICPy's `utf16`).
    pub utf16: bool,
    /// Maximum nesting of decode passes (MSTICPy: 20).
    pub max_depth: usize,
    /// Maximum number of bytes decoded in total, archive members included.
    pub max_total_bytes: usize,
    /// Maximum number of members taken from one archive.
    pub max_archive_members: usize,
    /// Maximum number of candidates decoded per pass (MSTICPy: 50).
    pub max_fragments: usize,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        UnpackOptions {
            utf16: false,
            max_depth: 20,
            max_total_bytes: 64 * 1024 * 1024,
            max_archive_members: 1000,
            max_fragments: 50,
        }
    }
}

/// One decoded item (a base64 fragment, or one member of a decoded archive) — the 12 columns of
/// MSTICPy's result.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedItem {
    /// `prefix depth. index`, e.g. `1.2.1` (matches the `index` in the markup).
    pub reference: String,
    /// The base64 text that was decoded.
    pub original_string: String,
    /// Archive member name, or `unknown`.
    pub file_name: String,
    /// `zip`, `gz`, `tar`, a type recognised from the base64 prefix (`exe`, `pdf`…), or `None`.
    pub file_type: Option<String>,
    /// The decoded bytes.
    pub input_bytes: Vec<u8>,
    /// The decoded text (`None` for binary content).
    pub decoded_string: Option<String>,
    /// `utf-8`, `utf-16` or `binary`.
    pub encoding_type: String,
    /// md5 of the decoded bytes.
    pub md5: String,
    /// sha1 of the decoded bytes.
    pub sha1: String,
    /// sha256 of the decoded bytes.
    pub sha256: String,
    /// Space-separated hex of the decoded bytes.
    pub printable_bytes: String,
}

/// The result of [`unpack`]: the input with decoded parts replaced inline, the decoded items,
/// and notes on anything stopped by a limit.
#[derive(Clone, Debug, Default)]
pub struct Unpacked {
    /// The input with every decoded fragment replaced by `<decoded …>` markup.
    pub decoded: String,
    /// Every decoded item, in decoding order.
    pub items: Vec<DecodedItem>,
    /// Why unpacking stopped early, if it did (limits reached, unreadable archives).
    pub notes: Vec<String>,
}

impl Unpacked {
    /// The items as a Frame with MSTICPy's 12 columns (notes travel as frame warnings).
    pub fn to_frame(&self) -> mstic_core::Result<mstic_core::Frame> {
        frame::items_frame(&self.items, &self.notes)
    }
}

/// Decodes base64 (recursively) in `input` with the default limits.
///
/// # Example
///
/// ```
/// use mstic_transform::unpack;
/// let result = unpack("cmd /c echo aGVsbG8gZnJvbSBhbiBlbmNvZGVkIHBheWxvYWQ=");
/// assert!(result.decoded.contains("hello from an encoded payload"));
/// assert_eq!(result.items.len(), 1);
/// assert_eq!(result.items[0].decoded_string.as_deref(), Some("hello from an encoded payload"));
/// ```
pub fn unpack(input: &str) -> Unpacked {
    unpack_with(input, &UnpackOptions::default())
}

/// Decodes base64 (recursively) in `input` with the given options.
///
/// # Example
///
/// ```
/// use mstic_transform::{UnpackOptions, unpack_with};
/// let payload = "aGVsbG8gZnJvbSBhbiBlbmNvZGVkIHBheWxvYWQ=";
/// let capped = unpack_with(payload, &UnpackOptions { max_total_bytes: 4, ..Default::default() });
/// assert!(capped.items.is_empty() && !capped.notes.is_empty()); // the limit stopped it, and says so
/// assert_eq!(unpack_with(payload, &UnpackOptions::default()).items.len(), 1);
/// ```
pub fn unpack_with(input: &str, options: &UnpackOptions) -> Unpacked {
    decode::run(input, options)
}

/// Running totals of one unpack call, checked against the limits.
pub(crate) struct Budget {
    limit: usize,
    spent: usize,
    max_members: usize,
    exhausted: bool,
    notes: Vec<String>,
}

impl Budget {
    fn new(options: &UnpackOptions) -> Self {
        Budget {
            limit: options.max_total_bytes,
            spent: 0,
            max_members: options.max_archive_members,
            exhausted: false,
            notes: Vec::new(),
        }
    }
    fn remaining_bytes(&self) -> usize {
        self.limit.saturating_sub(self.spent)
    }
    fn spend(&mut self, bytes: usize) {
        self.spent += bytes;
    }
    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
    fn exhaust(&mut self, note: String) {
        self.exhausted = true;
        self.note(note);
    }
}
