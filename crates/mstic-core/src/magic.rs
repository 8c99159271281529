//! `%%sql` and `%%kql` cells: queries over the notebook's tables that run without compiling Rust.
//!
//! The kernel sends a magic cell's body to this process over the comm socket (`{"op": "magic"}`,
//! see [`crate::comm`]); this module runs it on a thread of its own against the tables registered
//! here and answers with the result's MIME bundle (`{"op": "magic_result"}`). The process connects
//! to the kernel at start: the kernel's support code calls [`listen`].
//!
//! - Tables: a process-wide registry of named [`Frame`]s. Rust cells add theirs with
//!   [`register_table`] (or [`Frame::register_as`]); a magic with a result name registers its
//!   result under that name too, so later magics can query it.
//! - Languages: `sql` is built in (DataFusion, every registered table visible); other crates add
//!   theirs with [`register_language`] (the `kql` language comes from the KQL crate). A language is
//!   a function from the query text and the tables to a `Frame`; its error text is shown verbatim.
//! - Results: a magic with a result name keeps its result for [`result`], which the kernel calls
//!   in a generated `let NAME: mstic::core::Frame = mstic::core::magic::result("NAME");` before the
//!   next Rust cell, so that cell can use `NAME` directly.
//!
//! ```
//! use mstic_core::{Frame, magic};
//! let logons = Frame::from_string_rows(&["Account"], &[vec![Some("ann")], vec![Some("bob")], vec![Some("ann")]])?;
//! magic::register_table("doc_logons", &logons);
//! let counts = magic::run("sql", "select Account, count(*) as n from doc_logons group by Account order by n desc")?;
//! assert_eq!(counts.value::<i64>(0, "n")?, Some(2));
//! # Ok::<(), mstic_core::Error>(())
//! ```

use crate::{Error, Frame, MimeBundle, Result, SqlSession, comm, interrupt, session};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A query language for magic cells: runs the query text against the registered tables (name and
/// frame, sorted by name) and returns the result table. Its error's text is shown to the user as it is.
pub type LanguageHandler = Arc<dyn Fn(&str, &[(String, Frame)]) -> Result<LanguageOutput> + Send + Sync>;

/// What a query language gives a magic cell: the result table, and how to show it when that is
/// not the table itself (a chart the query asked for).
pub struct LanguageOutput {
    /// The result table (kept under the cell's NAME).
    pub frame: Frame,
    /// What the cell shows instead of the table, if anything.
    pub display: Option<MimeBundle>,
}

impl From<Frame> for LanguageOutput {
    fn from(frame: Frame) -> Self {
        LanguageOutput { frame, display: None }
    }
}

/// The process-wide state of magic cells (one per process, shared by all cells through [`session`]).
struct MagicState {
    tables: Mutex<BTreeMap<String, Frame>>,
    languages: Mutex<HashMap<String, LanguageHandler>>,
    results: Mutex<HashMap<String, Frame>>,
    /// [`listen`] has run: the kernel is told this process answers magic requests.
    listening: AtomicBool,
}

fn state() -> Arc<MagicState> {
    session::get_or_init("mstic-core.magic", || {
        let mut languages: HashMap<String, LanguageHandler> = HashMap::new();
        languages.insert("sql".to_string(), Arc::new(|query: &str, tables: &[(String, Frame)]| run_sql(query, tables).map(LanguageOutput::from)));
        MagicState {
            tables: Mutex::new(BTreeMap::new()),
            languages: Mutex::new(languages),
            results: Mutex::new(HashMap::new()),
            listening: AtomicBool::new(false),
        }
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes `frame` queryable by `%%sql` and `%%kql` cells as table `name` (replacing a table of that
/// name). The frame is shared, not copied.
pub fn register_table(name: &str, frame: &Frame) {
    lock(&state().tables).insert(name.to_string(), frame.clone());
    announce_tables();
}

/// The table registered as `name`, if any.
pub fn table(name: &str) -> Option<Frame> {
    lock(&state().tables).get(name).cloned()
}

/// The names of the registered tables, sorted.
pub fn table_names() -> Vec<String> {
    lock(&state().tables).keys().cloned().collect()
}

/// Removes table `name`; true when there was one.
pub fn remove_table(name: &str) -> bool {
    let removed = lock(&state().tables).remove(name).is_some();
    if removed {
        announce_tables();
    }
    removed
}

/// Tells the kernel the table names (for completion in magic cells), when connected to one.
fn announce_tables() {
    if state().listening.load(Ordering::SeqCst) {
        comm::send_outbound(comm::Outbound::Tables { names: table_names() });
    }
}

impl Frame {
    /// Makes this frame queryable by `%%sql` and `%%kql` cells as table `name` (see
    /// [`register_table`]): `failures.register_as("failures");`.
    pub fn register_as(&self, name: &str) {
        register_table(name, self);
    }
}

/// Adds (or replaces) the query language `name` of `%%name` cells: `handler` gets the query text
/// and the registered tables and returns the result table (a [`Frame`]) or a [`LanguageOutput`]
/// that also says how to show it.
pub fn register_language<O: Into<LanguageOutput>>(
    name: &str,
    handler: impl Fn(&str, &[(String, Frame)]) -> Result<O> + Send + Sync + 'static,
) {
    let handler: LanguageHandler = Arc::new(move |query: &str, tables: &[(String, Frame)]| handler(query, tables).map(Into::into));
    lock(&state().languages).insert(name.to_string(), handler);
}

/// The registered query languages, sorted (`sql` is always there).
pub fn languages() -> Vec<String> {
    let mut names: Vec<String> = lock(&state().languages).keys().cloned().collect();
    names.sort();
    names
}

/// Runs `query` in `language` against the registered tables, as a magic cell does (without
/// registering the result). An unknown table's error lists the registered tables.
pub fn run(language: &str, query: &str) -> Result<Frame> {
    run_for_display(language, query).map(|output| output.frame)
}

/// [`run`], keeping what the language says the cell should show.
fn run_for_display(language: &str, query: &str) -> Result<LanguageOutput> {
    let handler = lock(&state().languages).get(language).cloned();
    let Some(handler) = handler else {
        let available = languages().join(", ");
        return Err(Error::Other(format!("the {language} language is not available in this kernel (available: {available})")));
    };
    let tables: Vec<(String, Frame)> = lock(&state().tables).iter().map(|(n, f)| (n.clone(), f.clone())).collect();
    handler(query, &tables).map_err(with_table_names)
}

/// The built-in `sql` language: every registered table in one DataFusion session.
fn run_sql(query: &str, tables: &[(String, Frame)]) -> Result<Frame> {
    let mut session = SqlSession::new();
    for (name, frame) in tables {
        session.register(name, frame)?;
    }
    session.sql(query)
}

/// Adds the registered tables' names to an error about a table that does not exist.
fn with_table_names(error: Error) -> Error {
    let text = error.to_string();
    let lower = text.to_lowercase();
    let about_a_table = lower.contains("table") && (lower.contains("not found") || lower.contains("unknown") || lower.contains("does not exist"));
    if !about_a_table || error.is_interrupted() {
        return error;
    }
    let names = table_names();
    let known = if names.is_empty() {
        "no tables are registered; register one from a Rust cell with register_table(\"name\", &frame)".to_string()
    } else {
        format!("registered tables: {}", names.join(", "))
    };
    match error {
        Error::Query(message) => Error::Query(format!("{message}\n{known}")),
        other => Error::Other(format!("{other}\n{known}")),
    }
}

/// The result of the magic cell that named it `name`. The kernel binds it before the next Rust
/// cell (`let NAME: mstic::core::Frame = mstic::core::magic::result("NAME");`).
///
/// # Panics
///
/// When no magic cell of this process produced a result of that name.
pub fn result(name: &str) -> Frame {
    let found = lock(&state().results).get(name).cloned();
    match found {
        Some(frame) => frame,
        None => panic!("no %%sql or %%kql result named {name:?} in this process (was the process that runs cells restarted?)"),
    }
}

/// Keeps `frame` as the result named `name` and registers it as a table of that name.
pub fn store_result(name: &str, frame: &Frame) {
    lock(&state().results).insert(name.to_string(), frame.clone());
    register_table(name, frame);
}

/// Makes this process answer the kernel's magic requests: connects to the kernel's comm socket
/// (when `MSTIC_COMM_SOCKET` is set) and announces itself. Cheap and idempotent; the kernel's
/// support code calls it in every process that runs cells.
pub fn listen() {
    state().listening.store(true, Ordering::SeqCst);
    // Connecting announces this process (see `comm::send_registrations`); announcing again is harmless.
    comm::send_outbound(comm::Outbound::MagicReady { pid: std::process::id() });
    announce_tables();
}

/// Whether [`listen`] has run in this process.
pub fn is_listening() -> bool {
    state().listening.load(Ordering::SeqCst)
}

/// A magic cell's query, as the kernel sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagicRequest {
    /// The kernel's request id, repeated in the answer.
    pub id: u64,
    /// The query language (`sql`, `kql`…).
    pub language: String,
    /// The result name: the result is registered as this table and kept for [`result`].
    pub name: Option<String>,
    /// The query text (the cell without its magic line).
    pub body: String,
}

impl MagicRequest {
    /// Reads a `{"op": "magic"}` line; an error names what is missing.
    pub fn from_json(line: &Value) -> std::result::Result<MagicRequest, String> {
        Ok(MagicRequest {
            id: line.get("id").and_then(Value::as_u64).ok_or("no id")?,
            language: line.get("language").and_then(Value::as_str).ok_or("no language")?.to_string(),
            name: line.get("name").and_then(Value::as_str).map(str::to_string),
            body: line.get("body").and_then(Value::as_str).ok_or("no body")?.to_string(),
        })
    }

    /// The request as the line the kernel sends.
    pub fn to_json(&self) -> Value {
        json!({"op": "magic", "id": self.id, "language": self.language, "name": self.name, "body": self.body})
    }
}

/// Runs `request` now, on this thread, and returns the `magic_result` line: the result's MIME
/// bundle and row count, or the error's class and text. A panicking language is an error too.
pub fn answer(request: &MagicRequest) -> Value {
    let ran = catch_unwind(AssertUnwindSafe(|| run_for_display(&request.language, &request.body)));
    let outcome = match ran {
        Ok(outcome) => outcome,
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(Error::Other(format!("the {} query panicked: {text}", request.language)))
        }
    };
    match outcome {
        Ok(LanguageOutput { frame, display }) => {
            if let Some(name) = &request.name {
                store_result(name, &frame);
            }
            let bundle = display.unwrap_or_else(|| frame.mime_bundle());
            json!({"op": "magic_result", "id": request.id, "ok": true, "data": bundle.data,
                   "rows": frame.len(), "columns": frame.num_columns()})
        }
        Err(error) => json!({"op": "magic_result", "id": request.id, "ok": false,
                             "ename": error_class(&error), "evalue": error.to_string()}),
    }
}

/// The `ename` of an error in a magic cell.
fn error_class(error: &Error) -> &'static str {
    match error {
        Error::Interrupted(_) => "Interrupted",
        Error::Query(_) => "QueryError",
        Error::Unknown { .. } => "UnknownName",
        Error::Invalid { .. } => "InvalidValue",
        _ => "Error",
    }
}

/// Handles a magic request from the kernel (called by the comm reader): runs it on a thread of its
/// own and sends the answer on the socket. A stop request left from an earlier cell is forgotten
/// first (the request starts a new cell).
pub(crate) fn handle(request: MagicRequest) {
    let spawned = std::thread::Builder::new().name(format!("mstic-magic-{}", request.id)).spawn(move || {
        interrupt::clear();
        let line = answer(&request);
        comm::send_outbound(comm::Outbound::MagicResult(line));
    });
    if let Err(e) = spawned {
        eprintln!("rust-mstic: cannot start the query thread: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::{self, Inbound, Outbound, RecordingTransport};

    fn logons() -> Frame {
        Frame::from_string_rows(
            &["Account", "Host"],
            &[vec![Some("ann"), Some("h1")], vec![Some("bob"), Some("h1")], vec![Some("ann"), Some("h2")]],
        )
        .unwrap()
    }

    #[test]
    fn sql_sees_registered_tables_and_named_results_become_tables() {
        let _serial = comm::tests::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        register_table("magic_logons", &logons());
        assert!(table_names().contains(&"magic_logons".to_string()));
        assert_eq!(table("magic_logons").unwrap().len(), 3);
        let request = MagicRequest {
            id: 4,
            language: "sql".into(),
            name: Some("magic_counts".into()),
            body: "select Account, count(*) as n from magic_logons group by Account order by n desc".into(),
        };
        let line = answer(&request);
        assert_eq!((line["op"].as_str(), line["id"].as_u64(), line["ok"].as_bool()), (Some("magic_result"), Some(4), Some(true)));
        assert_eq!((line["rows"].as_u64(), line["columns"].as_u64()), (Some(2), Some(2)));
        let text = line["data"]["text/plain"].as_str().unwrap();
        assert!(text.contains("ann") && text.contains('2'), "{text}");
        assert!(line["data"]["text/html"].as_str().unwrap().contains("<table"));
        let counts = result("magic_counts");
        assert_eq!(counts.value::<String>(0, "Account").unwrap().as_deref(), Some("ann"));
        assert_eq!(counts.value::<i64>(0, "n").unwrap(), Some(2));
        // The named result is a table for later magics.
        let again = run("sql", "select sum(n) as total from magic_counts").unwrap();
        assert_eq!(again.value::<i64>(0, "total").unwrap(), Some(3));
        assert!(remove_table("magic_counts"));
        assert!(!remove_table("magic_counts"));
        assert!(table("magic_counts").is_none());
    }

    #[test]
    fn errors_name_the_registered_tables_and_unknown_languages() {
        let _serial = comm::tests::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        logons().register_as("magic_known");
        let line = answer(&MagicRequest { id: 1, language: "sql".into(), name: None, body: "select * from nowhere".into() });
        assert_eq!((line["ok"].as_bool(), line["ename"].as_str()), (Some(false), Some("QueryError")));
        let evalue = line["evalue"].as_str().unwrap();
        assert!(evalue.contains("nowhere") && evalue.contains("registered tables:") && evalue.contains("magic_known"), "{evalue}");

        let line = answer(&MagicRequest { id: 2, language: "kql".into(), name: None, body: "T | take 1".into() });
        assert_eq!(line["ok"], false);
        assert!(line["evalue"].as_str().unwrap().starts_with("the kql language is not available in this kernel"), "{line}");

        register_language("test_upper", |query, tables| {
            if query.contains("boom") {
                panic!("exploded");
            }
            if query.contains("bad") {
                return Err(Error::Query("bad query\n  bad\n  ^ here".into()));
            }
            let names: Vec<Option<String>> = tables.iter().map(|(n, _)| Some(n.to_uppercase())).collect();
            Frame::from_string_rows(&["name"], &names.iter().map(|n| vec![n.as_deref()]).collect::<Vec<_>>())
        });
        assert!(languages().contains(&"test_upper".to_string()));
        let line = answer(&MagicRequest { id: 3, language: "test_upper".into(), name: None, body: "all".into() });
        assert!(line["data"]["text/plain"].as_str().unwrap().contains("MAGIC_KNOWN"), "{line}");
        let line = answer(&MagicRequest { id: 5, language: "test_upper".into(), name: None, body: "bad".into() });
        assert!(line["evalue"].as_str().unwrap().contains("  ^ here"), "the language's text is kept: {line}");
        let line = answer(&MagicRequest { id: 6, language: "test_upper".into(), name: None, body: "boom".into() });
        assert!(line["evalue"].as_str().unwrap().contains("exploded"), "{line}");
    }

    #[test]
    #[should_panic(expected = "no %%sql or %%kql result named \"never_made\"")]
    fn a_missing_result_panics_with_its_name() {
        result("never_made");
    }

    #[test]
    fn requests_are_read_from_lines_and_answered_on_the_transport() {
        let _serial = comm::tests::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let recorder = Arc::new(RecordingTransport::default());
        comm::install_transport(recorder.clone());
        listen();
        assert!(is_listening());
        assert!(recorder.messages().contains(&Outbound::MagicReady { pid: std::process::id() }));
        let request = MagicRequest { id: 9, language: "sql".into(), name: None, body: "select 1 + 1 as two".into() };
        let line = request.to_json();
        assert_eq!(MagicRequest::from_json(&line), Ok(request.clone()));
        assert_eq!(MagicRequest::from_json(&json!({"op": "magic", "id": 1})), Err("no language".to_string()));
        let inbound = Inbound::from_json(&line).unwrap();
        comm::deliver(inbound);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let answer = loop {
            let found = recorder.messages().into_iter().find_map(|m| match m {
                Outbound::MagicResult(line) if line["id"] == 9 => Some(line),
                _ => None,
            });
            if let Some(found) = found {
                break found;
            }
            assert!(std::time::Instant::now() < deadline, "no answer");
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(answer["ok"], true);
        assert!(answer["data"]["text/plain"].as_str().unwrap().contains('2'));
        register_table("magic_announced", &logons());
        assert!(recorder.messages().iter().any(|m| matches!(m, Outbound::Tables { names } if names.contains(&"magic_announced".to_string()))));
        comm::detach();
    }

    #[test]
    fn generated_series_are_available_to_sql() {
        // The kernel's interrupt test cross-joins generated series (the interrupt flag is
        // process-wide, so the stop itself is tested against the kernel, not here).
        let total = run("sql", "select count(*) as n from generate_series(1, 10) a cross join range(5) b").unwrap();
        assert_eq!(total.value::<i64>(0, "n").unwrap(), Some(50));
    }
}
