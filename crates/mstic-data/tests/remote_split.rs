//! `split_query_by`: MSTICPy's chunking rule, parallel chunks against a real HTTP server, rows
//! concatenated in time order, and a failed chunk reported by its time range.

mod remote_support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use mstic_data::provider::QueryProvider;
use mstic_demo::{RecordedServer, Reply};
use mstic_data::remote::split::{parse_split_delta, split_ranges};
use mstic_core::timespan::TimeValue;
use mstic_data::remote::{SentinelDriver, SplitQuery};
use remote_support::*;

fn at(hour: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap() + Duration::hours(hour)
}

#[test]
fn chunks_follow_msticpy_rule() {
    let ns = Duration::nanoseconds(1);
    let day = split_ranges(at(0), at(24), Duration::hours(6));
    assert_eq!(day, vec![(at(0), at(6) - ns), (at(6), at(12) - ns), (at(12), at(18) - ns), (at(18), at(24))]);
    let uneven = split_ranges(at(0), at(10), Duration::hours(4));
    assert_eq!(uneven, vec![(at(0), at(4) - ns), (at(4), at(8) - ns), (at(8), at(10))]);
    let almost = at(8) + Duration::milliseconds(1);
    assert_eq!(split_ranges(at(0), almost, Duration::hours(4)), vec![(at(0), at(4) - ns), (at(4), almost)]);
    assert_eq!(split_ranges(at(0), at(2), Duration::hours(4)), vec![(at(0), at(2))]);
}

#[test]
fn split_deltas_parse_like_pandas() {
    assert_eq!(parse_split_delta("1H"), (Duration::hours(1), None));
    assert_eq!(parse_split_delta("30min").0, Duration::minutes(30));
    assert_eq!(parse_split_delta("15m").0, Duration::minutes(15));
    assert_eq!(parse_split_delta("2D").0, Duration::days(2));
    let (delta, warning) = parse_split_delta("fortnight");
    assert_eq!(delta, Duration::days(1));
    assert!(warning.unwrap().contains("not a valid time delta"));
}

fn one_row(time: &str) -> String {
    format!(
        r#"{{"tables":[{{"name":"PrimaryResult","columns":[{{"name":"TimeGenerated","type":"datetime"}},{{"name":"Computer","type":"string"}}],"rows":[["{time}","WORKSTATION5"]]}}]}}"#
    )
}

fn provider(retries: &str) -> (RecordedServer, QueryProvider) {
    let server = server_with_token();
    let settings = fast_retries().set("max_retries", retries);
    let driver = SentinelDriver::with_config("MSSentinel", &settings, config(&server.base_url()));
    let mut qp = QueryProvider::with_driver(Box::new(driver));
    qp.connect().unwrap();
    (server, qp)
}

#[test]
fn chunks_run_in_parallel_and_concatenate_in_time_order() {
    let (server, qp) = provider("0");
    for (hour, delay) in [(0, 400), (6, 0), (12, 100), (18, 0)] {
        let start = format!("datetime(2024-05-01T{hour:02}:00:00");
        let reply = Reply::json(200, one_row(&format!("2024-05-01T{hour:02}:30:00Z"))).with_delay(std::time::Duration::from_millis(delay));
        server.route_body("POST", "/v1/workspaces/", &start, vec![reply]);
    }
    let call = qp
        .split_query("WindowsSecurity.list_host_logons", "6h")
        .param("host_name", "WORKSTATION5")
        .start("2024-05-01T00:00:00Z")
        .end("2024-05-02T00:00:00Z");
    assert_eq!(call.chunks().unwrap().len(), 4);
    let printed = call.render().unwrap();
    assert!(printed.starts_with("2024-05-01T00:00:00Z-2024-05-01T05:59:59.999999999Z\n"), "{printed}");
    let frame = call.run().unwrap();
    let times = frame.column_strings("TimeGenerated").unwrap();
    let hours: Vec<String> = times.iter().map(|t| t.clone().unwrap()[11..13].to_string()).collect();
    assert_eq!(hours, vec!["00", "06", "12", "18"]);
    let bodies: Vec<String> = server.requests_to("/v1/workspaces/").into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 4);
    assert!(bodies.iter().any(|b| b.contains(r#""timespan":"2024-05-01T06:00:00Z/2024-05-01T11:59:59.999999999Z""#)), "{bodies:?}");
}

#[test]
fn failed_chunk_is_named_by_its_time_range() {
    let (server, qp) = provider("0");
    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, one_row("2024-05-01T01:00:00Z"))]);
    server.route_body("POST", "/v1/workspaces/", "datetime(2024-05-01T12:00:00", vec![Reply::json(500, r#"{"error":{"code":"InternalServerError","message":"engine fault"}}"#)]);
    let call = qp
        .split_query("WindowsSecurity.list_host_logons", "6H")
        .param("host_name", "WORKSTATION5")
        .start("2024-05-01T00:00:00Z")
        .end("2024-05-02T00:00:00Z")
        .max_parallel(2);
    let frame = call.run().unwrap();
    assert_eq!(frame.len(), 3);
    let warning = frame.warnings().join("\n");
    assert!(warning.contains("chunk 2024-05-01T12:00:00Z – 2024-05-01T17:59:59.999999999Z failed"), "{warning}");
    assert!(warning.contains("engine fault") && warning.contains("rows are missing"), "{warning}");

    let err = call.fail_on_partial(true).run().unwrap_err().to_string();
    assert!(err.contains("1 of 4 query chunks failed") && err.contains("2024-05-01T12:00:00Z"), "{err}");
}

#[test]
fn a_query_call_splits_with_its_parameters_range_and_options() {
    let (server, qp) = provider("0");
    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, one_row("2024-05-01T01:00:00Z"))]);
    let by_provider = qp
        .split_query("WindowsSecurity.list_host_logons", "12h")
        .param("host_name", "WORKSTATION5")
        .start("2024-05-01T00:00:00Z")
        .end(TimeValue::Aware(at(24).fixed_offset()));
    let by_call = qp
        .query("WindowsSecurity.list_host_logons")
        .param("host_name", "WORKSTATION5")
        .start("2024-05-01T00:00:00Z")
        .end(TimeValue::Aware(at(24).fixed_offset()))
        .option("workspace", "MyTestWS")
        .split_query_by("12h");
    assert_eq!(by_call.chunks().unwrap(), vec![(at(0), at(12) - Duration::nanoseconds(1)), (at(12), at(24))]);
    assert_eq!(by_call.render().unwrap(), by_provider.render().unwrap());
    assert_eq!(by_call.run().unwrap().len(), 2, "one row per chunk");
    let requests = server.requests_to("/v1/workspaces/");
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.path.contains(SECOND_WORKSPACE)), "the call's workspace option carries over");
}
