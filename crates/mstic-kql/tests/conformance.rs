//! Conformance cases: each `tests/cases/*.kql` file holds cases of the form
//!
//! ```text
//! === title (doc: the Kusto documentation page the expected result follows)
//! query lines …
//! --- [unordered]
//! Col1 | Col2
//! value | value
//! ```
//!
//! or, for a query that must fail, `--- error` followed by a line the error must contain. Values
//! are written as Arrow displays them; `null` is a null. Each expected result is derived from
//! Kusto's documented semantics, not from this implementation's output.

use arrow::util::display::{ArrayFormatter, FormatOptions};
use mstic_core::Frame;
use mstic_kql::KqlSession;
use std::path::Path;

struct Case {
    file: String,
    line: usize,
    title: String,
    query: String,
    expected: Vec<String>,
    unordered: bool,
    error: bool,
}

fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap();
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let mut cases = Vec::new();
    let mut current: Option<(Case, bool)> = None;
    for (index, line) in text.lines().enumerate() {
        if let Some(title) = line.strip_prefix("=== ") {
            if let Some((case, _)) = current.take() {
                cases.push(case);
            }
            let case = Case { file: file.clone(), line: index + 1, title: title.to_string(), query: String::new(), expected: vec![], unordered: false, error: false };
            current = Some((case, false));
        } else if let Some(marker) = line.strip_prefix("---") {
            let (case, in_expected) = current.as_mut().expect("--- before ===");
            *in_expected = true;
            case.unordered = marker.contains("unordered");
            case.error = marker.contains("error");
        } else if let Some((case, in_expected)) = current.as_mut() {
            if *in_expected {
                if !line.trim().is_empty() {
                    case.expected.push(line.trim_end().to_string());
                }
            } else {
                case.query.push_str(line);
                case.query.push('\n');
            }
        }
    }
    if let Some((case, _)) = current {
        cases.push(case);
    }
    cases
}

fn render(frame: &Frame) -> Vec<String> {
    let mut lines = vec![frame.columns().join(" | ")];
    let options = FormatOptions::default().with_null("null");
    for batch in frame.batches() {
        let formatters: Vec<ArrayFormatter> = batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap()).collect();
        for row in 0..batch.num_rows() {
            lines.push(formatters.iter().map(|f| f.value(row).to_string()).collect::<Vec<_>>().join(" | "));
        }
    }
    lines
}

/// The tables the cases may use besides `datatable`: a small sign-in log.
fn session() -> KqlSession {
    let mut session = KqlSession::new();
    let events = Frame::read_csv(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/events.csv")).unwrap();
    session.register("Events", &events).unwrap();
    session
}

#[test]
fn conformance_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "kql")).collect();
    files.sort();
    let session = session();
    let (mut passed, mut failures) = (0, Vec::new());
    for file in files {
        for case in read_cases(&file) {
            let outcome = session.query(&case.query);
            let problem = match (outcome, case.error) {
                (Err(e), true) => {
                    let text = e.to_string();
                    let wanted = case.expected.join("\n");
                    (!text.contains(&wanted)).then(|| format!("error should contain {wanted:?}, got:\n{text}"))
                }
                (Ok(frame), true) => Some(format!("expected an error, got:\n{}", render(&frame).join("\n"))),
                (Err(e), false) => Some(format!("failed:\n{e}")),
                (Ok(frame), false) => {
                    let mut got = render(&frame);
                    let mut want = case.expected.clone();
                    if case.unordered && got.len() > 1 && want.len() > 1 {
                        got[1..].sort();
                        want[1..].sort();
                    }
                    (got != want).then(|| format!("expected:\n{}\ngot:\n{}", want.join("\n"), got.join("\n")))
                }
            };
            match problem {
                None => passed += 1,
                Some(p) => failures.push(format!("{}:{} {}\n{}\n{}", case.file, case.line, case.title, case.query.trim_end(), p)),
            }
        }
    }
    println!("conformance: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), passed + failures.len(), failures.join("\n\n"));
    assert!(passed >= 100, "only {passed} cases ran");
}
