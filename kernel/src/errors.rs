//! Turns evcxr errors into one Jupyter error (ename / evalue / traceback) per failed cell, with
//! compiler messages pointing at the user's own cell lines.

use evcxr::CompilationError;

/// A cell failure as Jupyter shows it.
#[derive(Debug, Clone)]
pub struct CellError {
    /// Short error class, e.g. `E0425` or `panic`.
    pub ename: String,
    /// One-line description.
    pub evalue: String,
    /// Lines shown to the user (may contain ANSI colours).
    pub traceback: Vec<String>,
}

impl CellError {
    /// An error with a plain message as its whole traceback.
    pub fn plain(ename: &str, evalue: impl Into<String>) -> Self {
        let evalue = evalue.into();
        let traceback = vec![format!("\x1b[0;31m{ename}\x1b[0m: {evalue}")];
        Self { ename: ename.to_string(), evalue, traceback }
    }
}

const RED: &str = "\x1b[0;31m";
const BLUE: &str = "\x1b[0;34m";
const RESET: &str = "\x1b[0m";

/// Renders the compiler errors of a cell; errors in user code come first and alone if present.
pub fn compilation(errors: &[CompilationError], cell: &str) -> CellError {
    let user: Vec<&CompilationError> = errors.iter().filter(|e| e.is_from_user_code()).collect();
    let shown: Vec<&CompilationError> = if user.is_empty() { errors.iter().collect() } else { user };
    let lines: Vec<&str> = cell.lines().collect();
    let mut traceback = Vec::new();
    for error in &shown {
        let code = error.code().map(|c| format!("[{c}]")).unwrap_or_default();
        traceback.push(format!("{RED}error{code}{RESET}: {}", error.message()));
        for spanned in error.spanned_messages() {
            let Some(span) = &spanned.span else {
                if !spanned.label.is_empty() {
                    traceback.push(format!("  {}", spanned.label));
                }
                continue;
            };
            traceback.push(format!("{BLUE}  --> cell line {}:{}{RESET}", span.start_line, span.start_column));
            if let Some(source) = lines.get(span.start_line.saturating_sub(1)) {
                let width = span.start_line.to_string().len();
                traceback.push(format!("{BLUE}{:width$} |{RESET}", ""));
                traceback.push(format!("{BLUE}{} |{RESET} {source}", span.start_line));
                let underline_len = if span.end_line == span.start_line {
                    span.end_column.saturating_sub(span.start_column).max(1)
                } else {
                    source.chars().count().saturating_sub(span.start_column - 1).max(1)
                };
                traceback.push(format!(
                    "{BLUE}{:width$} |{RESET} {}{RED}{}{} {}{RESET}",
                    "",
                    " ".repeat(span.start_column.saturating_sub(1)),
                    if spanned.is_primary { "^" } else { "-" }.repeat(underline_len),
                    "",
                    spanned.label
                ));
            }
        }
        for help in error.help() {
            traceback.push(format!("  = help: {help}"));
        }
        traceback.push(String::new());
    }
    let first = shown.first();
    CellError {
        ename: first.and_then(|e| e.code()).map(str::to_string).unwrap_or_else(|| "CompilationError".into()),
        evalue: first.map(|e| e.message()).unwrap_or_else(|| "compilation failed".into()),
        traceback,
    }
}

/// A panic in the user's code.
pub fn panic(message: &str) -> CellError {
    let mut traceback = vec![format!("{RED}panic{RESET}: the cell panicked")];
    traceback.extend(message.lines().map(str::to_string));
    traceback.push("Variables defined before this cell are kept; new ones from this cell are not.".into());
    CellError { ename: "panic".into(), evalue: message.lines().last().unwrap_or(message).to_string(), traceback }
}

/// A plain-text description of an evcxr error, one compiler message per line.
pub fn describe(error: &evcxr::Error) -> String {
    match error {
        evcxr::Error::CompilationErrors(errors) => errors
            .iter()
            .map(|e| e.rendered().lines().take(12).collect::<Vec<_>>().join("\n"))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// A cell stopped early by the `?` operator; `printed` is the error text the cell wrote to stderr.
pub fn question_mark(printed: &str) -> CellError {
    let evalue = if printed.trim().is_empty() { "the `?` operator returned an error".to_string() } else { printed.trim().to_string() };
    let traceback = vec![
        format!("{RED}Error{RESET}: {evalue}"),
        "  the `?` operator stopped the cell with this error (also printed to stderr above);".to_string(),
        "  variables created by this cell were not kept, those of earlier cells are unchanged.".to_string(),
    ];
    CellError { ename: "Error".into(), evalue, traceback }
}

/// A cell that stopped because the user interrupted it (its error, or its panic, came after the
/// stop request); variables of earlier cells are kept.
pub fn interrupted(printed: &str) -> CellError {
    let detail = printed.trim();
    let evalue = if detail.is_empty() { "the cell was interrupted".to_string() } else { detail.lines().last().unwrap_or(detail).to_string() };
    let traceback = vec![
        format!("{RED}Interrupted{RESET}: {evalue}"),
        "  the cell stopped at the interrupt; variables of earlier cells are kept.".to_string(),
    ];
    CellError { ename: "Interrupted".into(), evalue, traceback }
}
