use super::*;
use crate::paths::fixture;
use arrow::datatypes::{DataType, TimeUnit};

fn logons() -> Frame {
    Frame::read_csv(fixture("msticpy/testdata/host_logons.csv").unwrap()).unwrap()
}

#[test]
fn reads_csv_with_utc_timestamps() {
    let frame = logons();
    assert_eq!(frame.len(), 14);
    let tg = frame.schema().field_with_name("TimeGenerated").unwrap().data_type().clone();
    assert_eq!(tg, DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())));
    assert!(frame.columns().contains(&"Account".to_string()));
}

#[test]
fn head_tail_slice() {
    let frame = logons();
    assert_eq!(frame.head(3).len(), 3);
    assert_eq!(frame.tail(4).len(), 4);
    assert_eq!(frame.tail(100).len(), frame.len());
    let last = frame.tail(1).column_strings("TimeGenerated").unwrap();
    let all = frame.column_strings("TimeGenerated").unwrap();
    assert_eq!(last[0], all[all.len() - 1]);
}

#[test]
fn sql_over_one_and_several_frames() {
    let frame = logons();
    let counts = frame.sql("select Computer, count(*) as n from t group by Computer order by n desc").unwrap();
    assert!(counts.len() >= 1);
    let mut session = SqlSession::new();
    session.register("a", &frame).unwrap();
    session.register("b", &frame.head(2)).unwrap();
    let joined = session.sql("select count(*) as n from a join b on a.TimeGenerated = b.TimeGenerated").unwrap();
    let n = joined.column_strings("n").unwrap();
    assert_eq!(n[0].as_deref(), Some("2"));
    assert_eq!(session.tables(), vec!["a".to_string(), "b".to_string()]);
}

#[test]
fn sql_error_is_reported() {
    let err = logons().sql("select nope from t").unwrap_err().to_string();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn count_by_orders_by_frequency() {
    let frame = Frame::from_string_rows(&["k"], &[vec![Some("a")], vec![Some("b")], vec![Some("b")]]).unwrap();
    let counts = frame.count_by("k").unwrap();
    assert_eq!(counts.column_strings("k").unwrap(), vec![Some("b".into()), Some("a".into())]);
    assert_eq!(counts.column_strings("count").unwrap(), vec![Some("2".into()), Some("1".into())]);
}

#[test]
fn unknown_column_suggests() {
    let err = logons().column("Acount").unwrap_err().to_string();
    assert!(err.contains("did you mean: Account"), "{err}");
}

#[test]
fn round_trips_csv_json_parquet() {
    let frame = logons();
    let dir = std::env::temp_dir().join(format!("mstic-frame-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["x.csv", "x.json", "x.parquet"] {
        let path = dir.join(name);
        match name {
            "x.csv" => frame.write_csv(&path).unwrap(),
            "x.json" => frame.write_json(&path).unwrap(),
            _ => frame.write_parquet(&path).unwrap(),
        }
        let back = Frame::read_file(&path).unwrap();
        assert_eq!(back.len(), frame.len(), "{name}");
        assert_eq!(back.column_strings("Account").unwrap(), frame.column_strings("Account").unwrap(), "{name}");
        assert_eq!(
            back.column_strings("TimeGenerated").unwrap(),
            frame.column_strings("TimeGenerated").unwrap(),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn concat_unifies_types() {
    let a = Frame::from_string_rows(&["x"], &[vec![Some("1")]]).unwrap();
    let b = frame_of_ints();
    let both = Frame::concat(&[a, b]).unwrap();
    assert_eq!(both.len(), 3);
    assert_eq!(both.schema().field(0).data_type(), &DataType::Utf8);
}

fn frame_of_ints() -> Frame {
    let array: arrow::array::ArrayRef = std::sync::Arc::new(arrow::array::Int64Array::from(vec![2, 3]));
    Frame::from_columns(vec![("x".into(), array)]).unwrap()
}

#[test]
fn malformed_json_names_line() {
    let err = Frame::read_json_lines_bytes(b"{\"a\":1}\n{\"a\":2\n", std::path::Path::new("bad.json")).unwrap_err();
    assert_eq!(err.to_string().split(':').take(1).collect::<String>(), "bad.json, line 2");
}

#[test]
fn malformed_csv_names_file() {
    let dir = std::env::temp_dir().join(format!("mstic-badcsv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.csv");
    std::fs::write(&path, "a,b\n1,2\n3,4,5\n").unwrap();
    let err = Frame::read_csv(&path).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(err.contains("line"), "{err}");
}

#[test]
fn html_caps_rows_and_shows_types() {
    let ints: Vec<i64> = (0..100).collect();
    let array: arrow::array::ArrayRef = std::sync::Arc::new(arrow::array::Int64Array::from(ints));
    let frame = Frame::from_columns(vec![("n".into(), array)]).unwrap();
    let html = frame.to_html(20);
    assert_eq!(html.matches("<tr><th>").count(), 22, "header + 10 head + ellipsis + 10 tail rows");
    assert!(html.contains("<small>int64</small>"));
    assert!(html.contains("100 rows × 1 columns"));
    let text = frame.to_text(20);
    assert!(text.contains("99"));
    assert!(!text.contains("\n50 "));
}

#[test]
fn warnings_travel_with_data() {
    let frame = logons().with_warning("partial result");
    assert!(frame.to_html(5).contains("partial result"));
    assert_eq!(frame.head(2).warnings(), ["partial result".to_string()]);
}

#[test]
fn reads_padded_timestamps() {
    let frame = Frame::read_csv(fixture("msticpy/testdata/winproctree-minimal.csv").unwrap()).unwrap();
    assert_eq!(frame.len(), 116);
    let create = frame.schema().field_with_name("CreateTime").unwrap().data_type().clone();
    assert_eq!(create, DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())));
}

#[test]
fn large_json_lines_read_in_parallel_match_serial_reading() {
    // Over the parallel threshold; the second half introduces a column and widens a type.
    let mut text = String::new();
    for i in 0..60_000 {
        text.push_str(&format!("{{\"id\":{i},\"host\":\"h{}\",\"v\":{i}}}\n", i % 7));
    }
    for i in 0..60_000 {
        text.push_str(&format!("{{\"id\":{i},\"user\":\"u{i}\",\"v\":\"x{i}\"}}\n"));
    }
    let frame = Frame::read_json_lines_bytes(text.as_bytes(), std::path::Path::new("big.json")).unwrap();
    assert_eq!(frame.len(), 120_000);
    let mut columns = frame.columns();
    columns.sort();
    assert_eq!(columns, vec!["host", "id", "user", "v"]);
    assert_eq!(frame.schema().field_with_name("v").unwrap().data_type(), &DataType::Utf8);
    let v = frame.column_strings("v").unwrap();
    assert_eq!(v[1].as_deref(), Some("1"));
    assert_eq!(v[60_001].as_deref(), Some("x1"));
}
