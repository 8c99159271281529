//! Frames keep their row order through SQL whatever their number of batches, give the same answer
//! on every run, and hand out typed values.

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, Utc};
use mstic_core::Frame;
use std::sync::Arc;

const BATCHES: usize = 64;
const ROWS_PER_BATCH: usize = 1_500;

/// A frame of `BATCHES` record batches: `Seq` counts rows in order, `Host` cycles through five
/// names, starting with `h3`.
fn many_batches() -> Frame {
    let schema = Arc::new(Schema::new(vec![
        Field::new("Seq", DataType::Int64, false),
        Field::new("Host", DataType::Utf8, true),
    ]));
    let batches = (0..BATCHES)
        .map(|b| {
            let seq: Vec<i64> = (0..ROWS_PER_BATCH).map(|r| (b * ROWS_PER_BATCH + r) as i64).collect();
            let hosts: Vec<String> = seq.iter().map(|s| format!("h{}", (s + 3) % 5)).collect();
            let columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(seq)), Arc::new(StringArray::from(hosts))];
            RecordBatch::try_new(schema.clone(), columns).unwrap()
        })
        .collect();
    Frame::from_batches(schema, batches)
}

#[test]
fn a_filter_keeps_file_order_on_every_run() {
    let frame = many_batches();
    assert_eq!(frame.batches().len(), BATCHES);
    let expected: Vec<i64> = (0..(BATCHES * ROWS_PER_BATCH) as i64).filter(|s| s % 7 == 0).collect();
    for run in 0..30 {
        let filtered = frame.sql("select Seq, Host from t where Seq % 7 = 0").unwrap();
        assert_eq!(filtered.to_vec::<i64>("Seq").unwrap(), expected, "run {run}");
        let head = filtered.head(5).to_vec::<i64>("Seq").unwrap();
        assert_eq!(head, [0, 7, 14, 21, 28], "run {run}");
    }
}

#[test]
fn groups_come_out_in_first_appearance_order() {
    let frame = many_batches();
    for run in 0..10 {
        let counts = frame.sql("select Host, count(*) as n from t group by Host").unwrap();
        let hosts: Vec<String> = counts.to_vec("Host").unwrap();
        assert_eq!(hosts, ["h3", "h4", "h0", "h1", "h2"], "run {run}");
        let total: i64 = counts.to_vec::<i64>("n").unwrap().iter().sum();
        assert_eq!(total as usize, BATCHES * ROWS_PER_BATCH);
    }
}

#[test]
fn count_by_gives_integer_counts() {
    let frame = many_batches();
    let counts = frame.count_by("Host").unwrap();
    assert_eq!(counts.to_vec::<i64>("count").unwrap(), vec![(BATCHES * ROWS_PER_BATCH / 5) as i64; 5]);
    assert_eq!(counts.to_vec::<String>("Host").unwrap(), ["h0", "h1", "h2", "h3", "h4"]);
}

#[test]
fn typed_values_cells_and_rows() {
    let frame = Frame::from_string_rows(
        &["EventID", "Computer", "Elevated", "Score"],
        &[
            vec![Some("4624"), Some("ws1"), Some("true"), Some("0.5")],
            vec![None, Some("dc1"), Some("false"), None],
            vec![Some("4688"), None, None, Some("2")],
        ],
    )
    .unwrap();
    assert_eq!(frame.values::<i64>("EventID").unwrap(), vec![Some(4624), None, Some(4688)]);
    assert_eq!(frame.values::<i32>("EventID").unwrap(), vec![Some(4624), None, Some(4688)]);
    assert_eq!(frame.values::<bool>("Elevated").unwrap(), vec![Some(true), Some(false), None]);
    assert_eq!(frame.values::<f64>("Score").unwrap(), vec![Some(0.5), None, Some(2.0)]);
    assert_eq!(frame.value::<String>(1, "Computer").unwrap().as_deref(), Some("dc1"));
    assert_eq!(frame.value::<String>(2, "Computer").unwrap(), None);

    let rows: Vec<(usize, Option<String>, Option<i64>)> = frame
        .rows()
        .map(|row| (row.index(), row.get::<String>("Computer").unwrap(), row.get::<i64>("EventID").unwrap()))
        .collect();
    assert_eq!(rows, vec![(0, Some("ws1".into()), Some(4624)), (1, Some("dc1".into()), None), (2, None, Some(4688))]);
}

#[test]
fn rows_and_cells_span_batches() {
    let frame = many_batches();
    let last = BATCHES * ROWS_PER_BATCH - 1;
    assert_eq!(frame.value::<i64>(ROWS_PER_BATCH + 2, "Seq").unwrap(), Some(ROWS_PER_BATCH as i64 + 2));
    assert_eq!(frame.value::<i64>(last, "Seq").unwrap(), Some(last as i64));
    let seq: Vec<i64> = frame.rows().map(|row| row.get::<i64>("Seq").unwrap().unwrap()).collect();
    assert_eq!(seq, (0..=last as i64).collect::<Vec<_>>());
    assert!(frame.rows().enumerate().all(|(i, row)| row.index() == i));
}

#[test]
fn timestamps_read_as_utc_datetimes() {
    let nanos = 1_615_700_000_123_456_789_i64;
    let stamps = TimestampNanosecondArray::from(vec![Some(nanos), None]).with_timezone("UTC");
    let frame = Frame::from_columns(vec![("TimeGenerated".into(), Arc::new(stamps) as ArrayRef)]).unwrap();
    let times = frame.values::<DateTime<Utc>>("TimeGenerated").unwrap();
    assert_eq!(times, vec![Some(DateTime::from_timestamp_nanos(nanos)), None]);
    let text = frame.value::<String>(0, "TimeGenerated").unwrap().unwrap();
    assert!(text.starts_with("2021-03-14T05:33:20.123456789"), "{text}");
    let schema_type = frame.schema().field(0).data_type().clone();
    assert_eq!(schema_type, DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())));
}

#[test]
fn values_that_do_not_convert_are_errors_naming_the_column() {
    let frame = Frame::from_string_rows(&["EventID"], &[vec![Some("4624")], vec![Some("not a number")], vec![None]]).unwrap();
    let err = frame.values::<i64>("EventID").unwrap_err().to_string();
    assert!(err.contains("column 'EventID'") && err.contains("i64") && err.contains("not a number"), "{err}");

    let ok = Frame::from_string_rows(&["EventID"], &[vec![Some("4624")], vec![None]]).unwrap();
    let err = ok.to_vec::<i64>("EventID").unwrap_err().to_string();
    assert!(err.contains("column 'EventID'") && err.contains("row 1 is null"), "{err}");

    let err = ok.value::<i64>(2, "EventID").unwrap_err().to_string();
    assert!(err.contains("row 2 is past the end of a frame of 2 rows"), "{err}");
    let err = ok.values::<i64>("EventId").unwrap_err().to_string();
    assert!(err.contains("did you mean: EventID"), "{err}");
}
