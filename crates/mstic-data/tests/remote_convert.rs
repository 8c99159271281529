//! The typed converters on recorded responses: Log Analytics, Kusto v2 (and progressive / v1),
//! Defender and Graph hunting (case-insensitive keys), Graph OData and Splunk JSON lines.

mod remote_support;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, DurationNanosecondType, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampNanosecondType};
use mstic_data::remote::convert::{hunting_to_frame, kusto_to_frame, log_analytics_to_frame, odata_to_frame, splunk_lines_to_frame};
use mstic_demo::responses;
use remote_support::fixture;

fn nanos(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp_nanos_opt().unwrap()
}

#[test]
fn log_analytics_fixture_converts_with_types() {
    let converted = log_analytics_to_frame(&fixture("msticpy/testdata/azmondata/az_mon_raw_query.json")).unwrap();
    let frame = converted.frame;
    assert!(converted.partial_error.is_none());
    assert_eq!((frame.len(), frame.num_columns()), (3, 34));
    let time = frame.column("TimeGenerated").unwrap();
    assert_eq!(time.data_type(), &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())));
    assert_eq!(time.as_primitive::<TimestampNanosecondType>().value(0), nanos("2023-02-20T11:04:02.6371632Z"));
    let score = frame.column("ConfidenceScore").unwrap();
    assert_eq!(score.data_type(), &DataType::Float64);
    assert!(score.is_null(0));
    let incident = frame.column("IsIncident").unwrap();
    assert!(!incident.as_boolean().value(0));
    assert_eq!(frame.column_strings("AlertSeverity").unwrap()[0].as_deref(), Some("Medium"));
    assert!(frame.warnings().is_empty(), "{:?}", frame.warnings());
}

#[test]
fn log_analytics_timespan_dynamic_and_partial_error() {
    let frame = log_analytics_to_frame(responses::LOGONS.as_bytes()).unwrap().frame;
    let span = frame.column("SessionLength").unwrap();
    assert_eq!(span.data_type(), &DataType::Duration(TimeUnit::Nanosecond));
    let spans = span.as_primitive::<DurationNanosecondType>();
    assert_eq!(spans.value(0), (3600 + 12 * 60 + 30) * 1_000_000_000 + 500_000_000);
    assert_eq!(spans.value(2), 26 * 3600 * 1_000_000_000);
    assert_eq!(frame.column("EventID").unwrap().as_primitive::<Int32Type>().value(0), 4624);
    assert_eq!(frame.column("EventCount").unwrap().as_primitive::<Int64Type>().value(2), 12);
    let dynamic = frame.column_strings("AdditionalFields").unwrap();
    assert_eq!(dynamic[0].as_deref(), Some(r#"{"ElevatedToken":"%%1842"}"#));
    assert_eq!(dynamic[2], None);
    let time = frame.column("TimeGenerated").unwrap();
    assert_eq!(time.as_primitive::<TimestampNanosecondType>().value(1), nanos("2024-05-01T08:15:10.0000001Z"));

    let partial = log_analytics_to_frame(responses::PARTIAL_HEARTBEAT.as_bytes()).unwrap();
    assert_eq!(partial.frame.len(), 2);
    let message = partial.partial_error.clone().unwrap();
    assert!(message.starts_with("PartialError: There were some errors"), "{message}");
    assert!(message.contains("exceed the set limit of 64 MB"), "{message}");
    let warned = partial.clone().into_frame(false, "Log Analytics", "workspace w").unwrap();
    assert_eq!(warned.warnings().len(), 1);
    assert!(warned.to_text(5).contains("partial result"));
    let err = partial.into_frame(true, "Log Analytics", "workspace w").unwrap_err().to_string();
    assert!(err.contains("fail_on_partial") && err.contains("workspace w"), "{err}");
}

#[test]
fn values_that_do_not_fit_are_null_with_a_warning() {
    let body = br#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"n","type":"long"},{"name":"t","type":"datetime"}],
        "rows":[[1,"2024-01-01T00:00:00Z"],["abc","yesterday"],[3]]}]}"#;
    let frame = log_analytics_to_frame(body).unwrap().frame;
    assert_eq!(frame.len(), 3);
    let n = frame.column("n").unwrap();
    assert!(n.is_null(1));
    assert_eq!(n.as_primitive::<Int64Type>().value(2), 3);
    let warnings = frame.warnings().join("\n");
    assert!(warnings.contains("column 'n': 1 value(s) could not be read as long") && warnings.contains("row 2"), "{warnings}");
    assert!(warnings.contains("column 't'") && warnings.contains("1 row(s) did not have 2 values"), "{warnings}");
}

#[test]
fn rows_before_columns_and_extra_values() {
    let body = br#"{"tables":[{"rows":[[1,"a","extra"],[2,{"k":[1,2]}]],"name":"PrimaryResult",
        "columns":[{"name":"n","type":"int"},{"name":"s","type":"string"}]}],"statistics":{"query":{}}}"#;
    let frame = log_analytics_to_frame(body).unwrap().frame;
    assert_eq!(frame.column("n").unwrap().as_primitive::<Int32Type>().values().to_vec(), vec![1, 2]);
    assert_eq!(frame.column_strings("s").unwrap(), vec![Some("a".to_string()), Some(r#"{"k":[1,2]}"#.to_string())]);
    assert!(frame.warnings()[0].contains("1 row(s) did not have 2 values"), "{:?}", frame.warnings());
}

#[test]
fn malformed_json_is_an_error_not_a_panic() {
    for body in [&b"{\"tables\": [ {"[..], b"<html>busy</html>", b"", b"{\"tables\":[{\"columns\":5}]}"] {
        let err = log_analytics_to_frame(body).unwrap_err().to_string();
        assert!(err.contains("Log Analytics") && err.contains("not valid JSON"), "{err}");
    }
    assert!(kusto_to_frame(b"[{\"FrameType\":").is_err());
    assert!(hunting_to_frame(b"{\"results\":[]}", "Graph").is_err());
}

#[test]
fn kusto_v2_fixture_primary_result() {
    let converted = kusto_to_frame(&fixture("msticpy/testdata/kusto/kusto_raw_resp.json")).unwrap();
    assert!(converted.partial_error.is_none());
    let frame = converted.frame;
    assert_eq!((frame.len(), frame.num_columns()), (10, 130));
    assert_eq!(frame.column_strings("CreatedProcessName").unwrap()[0].as_deref(), Some("omadmprc.exe"));
    assert_eq!(frame.column("CreatedProcessId").unwrap().as_primitive::<Int32Type>().value(0), 9784);
    let created = frame.column("CreatedProcessCreationTime").unwrap();
    assert_eq!(created.as_primitive::<TimestampNanosecondType>().value(0), nanos("2023-04-11T16:19:50.7862004Z"));
    assert!(frame.column("CreatedProcessIsElevated").unwrap().as_boolean().value(0));
}

#[test]
fn kusto_has_errors_progressive_and_v1() {
    let with_errors = br#"[{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"},
      {"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult",
       "Columns":[{"ColumnName":"x","ColumnType":"long"}],"Rows":[[1],[2]]},
      {"FrameType":"DataSetCompletion","HasErrors":true,"Cancelled":false,
       "OneApiErrors":[{"error":{"code":"LimitsExceeded","message":"Request is invalid and cannot be executed.","@message":"Query result set has exceeded the internal record count limit 500000"}}]}]"#;
    let converted = kusto_to_frame(with_errors).unwrap();
    assert_eq!(converted.frame.len(), 2);
    assert_eq!(converted.partial_error.as_deref(), Some("LimitsExceeded: Request is invalid and cannot be executed."));

    let progressive = br#"[{"FrameType":"DataSetHeader","IsProgressive":true,"Version":"v2.0"},
      {"FrameType":"TableHeader","TableId":0,"TableKind":"PrimaryResult","TableName":"PrimaryResult",
       "Columns":[{"ColumnName":"d","ColumnType":"timespan"},{"ColumnName":"v","ColumnType":"dynamic"}]},
      {"FrameType":"TableFragment","TableFragmentType":"DataAppend","TableId":0,"Rows":[["00:00:01",{"a":[1,2]}]]},
      {"FrameType":"TableFragment","TableFragmentType":"DataAppend","TableId":0,"Rows":[["-1.00:00:00","[3]"]]},
      {"FrameType":"TableCompletion","TableId":0,"RowCount":2},
      {"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}]"#;
    let frame = kusto_to_frame(progressive).unwrap().frame;
    assert_eq!(frame.len(), 2);
    assert_eq!(frame.column("d").unwrap().as_primitive::<DurationNanosecondType>().value(1), -86_400_000_000_000);
    assert_eq!(frame.column_strings("v").unwrap(), vec![Some(r#"{"a":[1,2]}"#.to_string()), Some("[3]".to_string())]);

    let v1 = br#"{"Tables":[{"TableName":"Table_0","Columns":[{"ColumnName":"n","DataType":"Int64","ColumnType":"long"},
      {"ColumnName":"r","DataType":"Double","ColumnType":"real"}],"Rows":[[5,"NaN"],[6,1.5]]}]}"#;
    let frame = kusto_to_frame(v1).unwrap().frame;
    let reals = frame.column("r").unwrap();
    assert!(reals.as_primitive::<Float64Type>().value(0).is_nan());
    assert_eq!(reals.as_primitive::<Float64Type>().value(1), 1.5);
}

#[test]
fn hunting_schema_keys_any_case() {
    let graph = hunting_to_frame(responses::GRAPH_HUNTING.as_bytes(), "Graph").unwrap().frame;
    assert_eq!(graph.len(), 2);
    assert_eq!(graph.column("InitiatingProcessId").unwrap().as_primitive::<Int64Type>().value(1), 4388);
    assert_eq!(graph.column("Timestamp").unwrap().as_primitive::<TimestampNanosecondType>().value(0), nanos("2024-03-26T09:39:50.7688641Z"));
    assert_eq!(graph.column_strings("AdditionalFields").unwrap()[0].as_deref(), Some(r#"{"Signer":"Microsoft Windows"}"#));
    let mde = hunting_to_frame(responses::MDE_HUNTING.as_bytes(), "MDE").unwrap().frame;
    assert_eq!(mde.column("RemotePort").unwrap().as_primitive::<Int32Type>().value(0), 443);
    let mixed = br#"{"Schema":[{"name":"A","Type":"Int32"}],"results":[{"a":1},{"A":2}]}"#;
    let frame = hunting_to_frame(mixed, "Graph").unwrap().frame;
    assert_eq!(frame.column("A").unwrap().as_primitive::<Int32Type>().values().to_vec(), vec![1, 2]);
}

#[test]
fn splunk_lines_infer_types() {
    let converted = splunk_lines_to_frame(responses::SPLUNK_EXPORT.as_bytes()).unwrap();
    assert!(converted.partial_error.is_none());
    let frame = converted.frame;
    assert_eq!(frame.len(), 3);
    assert_eq!(frame.column("status").unwrap().as_primitive::<Int64Type>().values().to_vec(), vec![404, 200, 500]);
    assert_eq!(frame.column("response_time").unwrap().as_primitive::<Float64Type>().value(1), 1.5);
    assert_eq!(frame.column("_time").unwrap().as_primitive::<TimestampNanosecondType>().value(2), nanos("2024-05-01T10:00:02.5Z"));
    assert_eq!(frame.column_strings("uri").unwrap()[0].as_deref(), Some(r#"["/a","/b"]"#));
    assert_eq!(frame.column_strings("host").unwrap()[1].as_deref(), Some("web2"));

    let with_error = b"{\"result\":{\"a\":\"1\"}}\n{\"messages\":[{\"type\":\"ERROR\",\"text\":\"Search auto-canceled\"}]}\n";
    assert_eq!(splunk_lines_to_frame(with_error).unwrap().partial_error.as_deref(), Some("Search auto-canceled"));
    let err = splunk_lines_to_frame(b"{\"result\":{}}\nnot json\n").unwrap_err().to_string();
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn graph_odata_rows() {
    let (frame, next) = odata_to_frame(responses::GRAPH_ALERTS.as_bytes()).unwrap();
    assert!(next.is_none());
    assert_eq!(frame.len(), 2);
    assert_eq!(frame.column_strings("severity").unwrap(), vec![Some("high".to_string()), Some("medium".to_string())]);
    assert!(matches!(frame.column("createdDateTime").unwrap().data_type(), DataType::Timestamp(_, _)));
}
