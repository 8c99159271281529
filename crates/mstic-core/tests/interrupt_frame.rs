//! Interrupting long Frame work: a SQL query over a generated table and CSV, JSON-lines and
//! Parquet loads of a large generated file stop with `Error::Interrupted` soon after
//! `interrupt::request()` (sent from another thread while the work runs), and the same work
//! succeeds after `interrupt::clear()`.
//!
//! The interrupt flag is process-wide: these tests take one lock so they run one at a time, and
//! they live in their own test binary so no other test sees the flag.

use arrow::array::{ArrayRef, Int64Array, StringArray};
use mstic_core::{Frame, SqlSession, interrupt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use mstic_demo::interrupt_probe::{lock_interrupt_flag, interrupted_after};

/// A table of `rows` rows: `x` (0..rows) and a text column.
fn numbers(rows: i64) -> Frame {
    let x: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows));
    let text: ArrayRef = Arc::new(StringArray::from_iter_values((0..rows).map(|i| format!("host-{:05}.contoso.com logon {}", i % 5000, i * 7))));
    Frame::from_columns(vec![("x".to_string(), x), ("Text".to_string(), text)]).unwrap()
}

/// Rows of the generated data files.
const FILE_ROWS: i64 = 1_500_000;

/// A generated data file, deleted when dropped.
struct DataFile(PathBuf);

impl DataFile {
    /// Writes the generated table with `write` to a new file named `name`.
    fn write(name: &str, write: fn(&Frame, &Path) -> mstic_core::Result<()>) -> DataFile {
        let path = std::env::temp_dir().join(format!("mstic-interrupt-{}-{name}", std::process::id()));
        write(&numbers(FILE_ROWS), &path).unwrap();
        DataFile(path)
    }
}

impl Drop for DataFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A load of `path` interrupted part-way (a tenth into the time a full load takes) fails with
/// `Error::Interrupted` naming the file, sooner than a full load; after `clear()` it loads again.
fn assert_load_interrupted(path: &Path, load: fn(&Path) -> mstic_core::Result<Frame>) {
    let started = Instant::now();
    let frame = load(path).expect("a full load");
    let full_load = started.elapsed();
    assert_eq!(frame.len(), FILE_ROWS as usize);
    let mut columns = frame.columns();
    columns.sort();
    assert_eq!(columns, ["Text", "x"]);

    let (result, stopped_in) = interrupted_after(full_load / 10, || load(path));
    let error = result.expect_err("the load was interrupted");
    assert!(error.is_interrupted(), "{error}");
    assert_eq!(error.to_string(), format!("interrupted: reading {} was stopped", path.display()));
    assert!(stopped_in < full_load, "stopped {stopped_in:?} after the interrupt; a full load takes {full_load:?}");

    assert_eq!(load(path).expect("the load works again after clear()").len(), FILE_ROWS as usize);
}

#[test]
fn a_long_sql_query_stops_and_the_session_keeps_working() {
    let _serial = lock_interrupt_flag();
    let mut session = SqlSession::new();
    // A filtered cross join of 80,000 × 80,000 rows: 6.4·10⁹ row pairs, over a minute of work.
    session.register("a", &numbers(80_000)).unwrap();
    session.register("b", &numbers(80_000)).unwrap();
    let query = "select count(*) as n from a cross join b where (a.x * 7 + b.x) % 1009 = 3 and a.Text <> b.Text";
    let (result, elapsed) = interrupted_after(Duration::from_millis(300), || session.sql(query));
    let error = result.expect_err("the query was interrupted");
    assert!(error.is_interrupted(), "{error}");
    assert_eq!(error.to_string(), "interrupted: the SQL query was stopped");
    assert!(elapsed < Duration::from_secs(15), "stopped after {elapsed:?}");

    // The same session answers the same query once the interrupt is cleared.
    session.register("a", &numbers(300)).unwrap();
    session.register("b", &numbers(300)).unwrap();
    let counted = session.sql(query).unwrap();
    let n = counted.column("n").unwrap();
    let n = n.as_any().downcast_ref::<Int64Array>().unwrap().value(0);
    let expected = (0..300i64).flat_map(|a| (0..300i64).map(move |b| (a, b))).filter(|(a, b)| (a * 7 + b) % 1009 == 3 && a != b).count();
    assert_eq!(n as usize, expected);
}

#[test]
fn a_query_asked_to_stop_before_it_starts_does_not_run() {
    let _serial = lock_interrupt_flag();
    let frame = numbers(10);
    interrupt::request();
    let error = frame.sql("select count(*) from t").unwrap_err();
    assert!(error.is_interrupted(), "{error}");
    interrupt::clear();
    assert_eq!(frame.count_by("x").unwrap().len(), 10);
}

#[test]
fn a_csv_load_stops() {
    let _serial = lock_interrupt_flag();
    let file = DataFile::write("events.csv", |f, p| f.write_csv(p));
    assert_load_interrupted(&file.0, |p| Frame::read_csv(p));
}

#[test]
fn a_json_lines_load_stops() {
    let _serial = lock_interrupt_flag();
    let file = DataFile::write("events.json", |f, p| f.write_json(p));
    assert_load_interrupted(&file.0, |p| Frame::read_json(p));
}

#[test]
fn a_parquet_load_stops() {
    let _serial = lock_interrupt_flag();
    let file = DataFile::write("events.parquet", |f, p| f.write_parquet(p));
    assert_load_interrupted(&file.0, |p| Frame::read_parquet(p));
}

