//! Rich display: MIME bundles, and the line protocol by which library code asks the Rust MSTIC
//! kernel for `display_data`, `update_display_data`, `clear_output` and pager payloads mid-cell.
//!
//! Protocol (the contract with `kernel/`): a line on the cell's stdout of the form
//! `MSTIC_MESSAGE <json>`, where `<json>` is one line of JSON with a `"kind"` of `display`,
//! `update`, `clear` or `page`. Inside the kernel (environment variable `MSTIC_KERNEL` set) these
//! lines become Jupyter messages; elsewhere (plain programs, tests) the `text/plain` part is printed.
//! A cell's final value uses evcxr's own `EVCXR_BEGIN_CONTENT` blocks (see [`MimeBundle::emit_as_result`]).

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// The prefix of a kernel message line on stdout.
pub const MESSAGE_MARKER: &str = "MSTIC_MESSAGE ";

/// A Jupyter MIME bundle — what a notebook output is made of: MIME type → content (a string, or
/// JSON for `*json` types).
///
/// # Example
///
/// ```
/// use mstic_core::MimeBundle;
/// let bundle = MimeBundle::new()
///     .with_text("text/plain", "3 hosts")
///     .with_json("application/json", serde_json::json!({"hosts": 3}));
/// assert_eq!(bundle.plain_text(), Some("3 hosts"));
/// assert_eq!(bundle.data["application/json"]["hosts"], 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MimeBundle {
    /// Content by MIME type.
    pub data: BTreeMap<String, Value>,
    /// Per-MIME metadata, as Jupyter's `metadata` field.
    pub metadata: Map<String, Value>,
}

impl MimeBundle {
    /// An empty bundle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a textual representation (`text/plain`, `text/html`, `image/svg+xml`…).
    pub fn with_text(mut self, mime: &str, text: impl Into<String>) -> Self {
        self.data.insert(mime.to_string(), Value::String(text.into()));
        self
    }

    /// Adds a JSON representation (e.g. `application/vnd.vegalite.v5+json`).
    pub fn with_json(mut self, mime: &str, value: Value) -> Self {
        self.data.insert(mime.to_string(), value);
        self
    }

    /// The `text/plain` part, if any.
    pub fn plain_text(&self) -> Option<&str> {
        self.data.get("text/plain").and_then(Value::as_str)
    }

    /// Shows the bundle now, as its own output (`display_data`) — several per cell are fine.
    pub fn display(&self) {
        self.send("display", None);
    }

    /// Shows the bundle now and returns a handle to replace it later (progress, live tables).
    pub fn display_with_handle(&self) -> DisplayHandle {
        let handle = DisplayHandle::new();
        self.send("display", Some(&handle.id));
        handle
    }

    /// Prints the bundle as the cell's result, in evcxr's `EVCXR_BEGIN_CONTENT` format; this is what
    /// an `evcxr_display` method does.
    pub fn emit_as_result(&self) {
        let mut out = String::new();
        for (mime, value) in &self.data {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push_str("EVCXR_BEGIN_CONTENT ");
            out.push_str(mime);
            out.push('\n');
            // A content line equal to the end marker would cut the block short.
            out.push_str(&text.replace("\nEVCXR_END_CONTENT", "\n EVCXR_END_CONTENT"));
            out.push_str("\nEVCXR_END_CONTENT\n");
        }
        write_stdout(&out);
    }

    fn send(&self, kind: &str, display_id: Option<&str>) {
        if in_kernel() {
            let message = json!({
                "kind": kind,
                "data": self.data,
                "metadata": self.metadata,
                "display_id": display_id,
            });
            write_stdout(&format!("{MESSAGE_MARKER}{message}\n"));
        } else if let Some(text) = self.plain_text() {
            write_stdout(&format!("{text}\n"));
        }
    }
}

/// A displayed output that can be replaced in place (`update_display_data`), e.g. for progress.
///
/// # Example
///
/// Displaying writes to the notebook, so this example is only compiled:
///
/// ```no_run
/// use mstic_core::MimeBundle;
/// let handle = MimeBundle::new().with_text("text/plain", "0 of 2 hosts").display_with_handle();
/// handle.update(&MimeBundle::new().with_text("text/plain", "2 of 2 hosts"));
/// assert!(handle.id().starts_with("mstic-"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayHandle {
    id: String,
}

impl DisplayHandle {
    fn new() -> Self {
        // One counter per session, so ids stay unique across cells.
        let next = crate::session::get_or_init("mstic-core.display-id", || AtomicU64::new(1));
        let n = next.fetch_add(1, Ordering::Relaxed);
        Self { id: format!("mstic-{}-{n}", std::process::id()) }
    }

    /// The Jupyter `display_id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Replaces the displayed output with `bundle`.
    pub fn update(&self, bundle: &MimeBundle) {
        bundle.send("update", Some(&self.id));
    }
}

/// Clears the cell's output (`clear_output`); with `wait`, only when the next output arrives.
///
/// # Example
///
/// Clearing acts on the notebook, so this example is only compiled:
///
/// ```no_run
/// use mstic_core::MimeBundle;
/// use mstic_core::display::clear_output;
/// let status = MimeBundle::new().with_text("text/plain", "querying…");
/// status.display();
/// clear_output(true); // the next output replaces the status line
/// assert_eq!(status.plain_text(), Some("querying…"));
/// ```
pub fn clear_output(wait: bool) {
    if in_kernel() {
        write_stdout(&format!("{MESSAGE_MARKER}{}\n", json!({"kind": "clear", "wait": wait})));
    }
}

/// Shows `text` in the notebook's pager (a `page` payload of the reply) — used for help texts.
///
/// # Example
///
/// Paging writes to the notebook (or stdout outside the kernel), so this example is only compiled:
///
/// ```no_run
/// use mstic_core::display::page;
/// let help = ["list_host_logons: logons to a host", "list_all_signins: Azure AD sign-ins"].join("\n");
/// page(&help);
/// assert_eq!(help.lines().count(), 2);
/// ```
pub fn page(text: &str) {
    if in_kernel() {
        write_stdout(&format!("{MESSAGE_MARKER}{}\n", json!({"kind": "page", "text": text})));
    } else {
        write_stdout(&format!("{text}\n"));
    }
}

/// Whether this process runs under the Rust MSTIC kernel.
pub fn in_kernel() -> bool {
    std::env::var_os("MSTIC_KERNEL").is_some()
}

fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    // Output is best effort: a closed stdout must not fail the caller's analysis.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_keeps_text_and_json() {
        let b = MimeBundle::new().with_text("text/plain", "x").with_json("application/json", json!({"a": 1}));
        assert_eq!(b.plain_text(), Some("x"));
        assert_eq!(b.data["application/json"]["a"], 1);
    }

    #[test]
    fn html_escaping() {
        assert_eq!(escape_html("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    }

    #[test]
    fn handles_are_unique() {
        assert_ne!(DisplayHandle::new().id(), DisplayHandle::new().id());
    }
}
