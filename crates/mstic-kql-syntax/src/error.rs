//! Syntax errors, and the caret rendering that points at the query text.

use std::fmt;

use crate::ast::Span;

/// A query the parser cannot read: what is wrong, where, and what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, in a sentence (`expected an expression after `==``).
    pub message: String,
    /// Where in the query (bytes).
    pub span: Span,
    /// What the parser would have accepted at that point (may be empty).
    pub expected: Vec<String>,
}

impl SyntaxError {
    /// An error with no list of expected alternatives.
    pub fn new(message: impl Into<String>, span: Span) -> SyntaxError {
        SyntaxError { message: message.into(), span, expected: Vec::new() }
    }

    /// The error with the line of `query` it is on and a caret under the offending text.
    pub fn render(&self, query: &str) -> String {
        caret(query, self.span, &self.to_string())
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.expected.is_empty() {
            write!(f, "; expected one of: {}", self.expected.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for SyntaxError {}

/// Renders `message` at `span` of `query`: a heading with the 1-based line and column (in
/// characters), the line holding `span.start`, and carets under the span (one caret when the
/// span is empty or runs past the end of the line).
///
/// ```
/// use mstic_kql_syntax::{ast::Span, caret};
/// let text = caret("T | wher x", Span::new(4, 8), "unknown operator `wher`");
/// assert_eq!(
///     text,
///     "KQL syntax error at line 1, column 5: unknown operator `wher`\n| T | wher x\n|     ^^^^"
/// );
/// ```
pub fn caret(query: &str, span: Span, message: &str) -> String {
    let start = floor_char_boundary(query, span.start);
    let end = floor_char_boundary(query, span.end.max(start));
    let line_start = query[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = query[start..].find('\n').map_or(query.len(), |i| start + i);
    let line_number = query[..start].matches('\n').count() + 1;
    let line = query[line_start..line_end].trim_end_matches('\r');
    let column = query[line_start..start].chars().count() + 1;
    let width = if end <= line_end { query[start..end].chars().count().max(1) } else { 1 };
    let indent: String =
        query[line_start..start].chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    format!(
        "KQL syntax error at line {line_number}, column {column}: {message}\n| {line}\n| {indent}{}",
        "^".repeat(width)
    )
}

/// The largest char boundary of `text` at or before `index` (clamped to the text's length).
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}
