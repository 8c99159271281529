//! Interrupting the remote drivers: requests waiting for a slow answer from a real HTTP server on
//! 127.0.0.1 (Log Analytics, Kusto, Defender, Graph), retry back-off waits, a Splunk search job
//! that never finishes (cancelled on the server), and split queries stop with
//! `Error::Interrupted` soon after `interrupt::request()`, and the same calls work after
//! `interrupt::clear()`.
//!
//! The interrupt flag is process-wide: these tests take one lock so they run one at a time, and
//! they live in their own test binary so no other test sees the flag.

mod remote_support;

use mstic_data::provider::QueryProvider;
use mstic_demo::{RecordedServer, Reply, responses};
use mstic_data::remote::{DefenderDriver, GraphDriver, KustoDriver, SentinelDriver, SplitQuery, SplunkDriver};
use mstic_data::{Driver, DriverSettings, QueryOptions};
use remote_support::*;
use std::time::{Duration, Instant};
use mstic_demo::interrupt_probe::{lock_interrupt_flag, interrupted_when};

/// The answer delay of the slow services: far longer than any test waits.
const SLOW: Duration = Duration::from_secs(60);
/// How soon an interrupted call must return (a slow CI machine included).
const PROMPT: Duration = Duration::from_secs(15);

/// Requests the server received whose path contains `path`.
fn sent(server: &RecordedServer, path: &str) -> usize {
    server.requests_to(path).len()
}

fn with(settings: &[(&str, &str)]) -> QueryOptions {
    QueryOptions { settings: settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..Default::default() }
}

fn assert_interrupted(result: mstic_core::Result<mstic_core::Frame>, elapsed: Duration, what: &str) {
    let error = result.expect_err("the call was interrupted");
    assert!(error.is_interrupted(), "{what}: {error}");
    assert!(error.to_string().starts_with("interrupted: "), "{error}");
    assert!(elapsed < PROMPT, "{what} stopped {elapsed:?} after the interrupt; its answer takes {SLOW:?}");
}

#[test]
fn a_log_analytics_query_waiting_for_its_answer_stops() {
    let _serial = lock_interrupt_flag();
    let server = server_with_token();
    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, responses::LOGONS).with_delay(SLOW)]);
    let mut driver = SentinelDriver::with_config("MSSentinel", &fast_retries(), config(&server.base_url()));
    driver.connect().unwrap();
    let (result, elapsed) = interrupted_when(|| sent(&server, "/v1/workspaces/") >= 1, || driver.query("SecurityEvent | take 5", &QueryOptions::default()));
    assert_interrupted(result, elapsed, "the Log Analytics query");
    assert_eq!(server.requests_to("/v1/workspaces/").len(), 1, "the request was sent once, not retried");

    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, responses::LOGONS)]);
    let frame = driver.query("SecurityEvent | take 5", &QueryOptions::default()).expect("the driver works after clear()");
    assert!(!frame.is_empty());
}

#[test]
fn a_retry_back_off_wait_stops() {
    let _serial = lock_interrupt_flag();
    let server = server_with_token();
    server.route("POST", "/v1/workspaces/", vec![Reply::json(503, r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#)]);
    // Back-off of 60 s, then 120 s and 240 s: minutes of waiting without the interrupt.
    let settings = DriverSettings::default().set("retry_backoff_ms", "60000").set("max_retries", "3");
    let mut driver = SentinelDriver::with_config("MSSentinel", &settings, config(&server.base_url()));
    driver.connect().unwrap();
    let (result, elapsed) = interrupted_when(|| sent(&server, "/v1/workspaces/") >= 1, || driver.query("SecurityEvent", &QueryOptions::default()));
    assert_interrupted(result, elapsed, "the retry wait");
    assert_eq!(server.requests_to("/v1/workspaces/").len(), 1, "no retry after the interrupt");

    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, responses::LOGONS)]);
    assert!(!driver.query("SecurityEvent", &QueryOptions::default()).unwrap().is_empty());
}

#[test]
fn kusto_defender_and_graph_requests_stop() {
    let _serial = lock_interrupt_flag();
    let server = server_with_token();
    server.route("POST", "/v2/rest/query", vec![Reply::json(200, fixture("msticpy/testdata/kusto/kusto_raw_resp.json")).with_delay(SLOW)]);
    server.route("POST", "/v1.0/security/runHuntingQuery", vec![Reply::json(200, responses::GRAPH_HUNTING).with_delay(SLOW)]);
    server.route("POST", "/api/advancedqueries/run", vec![Reply::json(200, responses::MDE_HUNTING).with_delay(SLOW)]);
    server.route("GET", "/v1.0/security/alerts_v2", vec![Reply::json(200, r#"{"value":[{"id":"1","title":"first"}]}"#).with_delay(SLOW)]);
    let mut kusto = KustoDriver::with_config("Kusto", &fast_retries(), config(&server.base_url()));
    let mut graph_hunting = DefenderDriver::with_config("M365D", &fast_retries(), config(&server.base_url()));
    let mut mde = DefenderDriver::with_config("MDE", &fast_retries(), config(&server.base_url()));
    let mut graph = GraphDriver::with_config("MSGraph", &fast_retries(), config(&server.base_url()));
    kusto.connect().unwrap();
    graph_hunting.connect().unwrap();
    mde.connect().unwrap();
    graph.connect().unwrap();
    let kusto_call = with(&[("cluster", "MSTIC"), ("database", "Hunting")]);
    let calls: [(&str, &dyn Driver, &str, &QueryOptions); 4] = [
        ("/v2/rest/query", &kusto, "DeviceProcessEvents | take 10", &kusto_call),
        ("/v1.0/security/runHuntingQuery", &graph_hunting, "DeviceProcessEvents | take 2", &QueryOptions::default()),
        ("/api/advancedqueries/run", &mde, "DeviceNetworkEvents | take 2", &QueryOptions::default()),
        ("/v1.0/security/alerts_v2", &graph, "security/alerts_v2", &QueryOptions::default()),
    ];
    for (path, driver, query, options) in calls {
        let (result, elapsed) = interrupted_when(|| sent(&server, path) >= 1, || driver.query(query, options));
        assert_interrupted(result, elapsed, path);
        assert_eq!(sent(&server, path), 1, "{path} was asked once");
    }

    server.route("POST", "/v2/rest/query", vec![Reply::json(200, fixture("msticpy/testdata/kusto/kusto_raw_resp.json"))]);
    server.route("POST", "/v1.0/security/runHuntingQuery", vec![Reply::json(200, responses::GRAPH_HUNTING)]);
    server.route("POST", "/api/advancedqueries/run", vec![Reply::json(200, responses::MDE_HUNTING)]);
    server.route("GET", "/v1.0/security/alerts_v2", vec![Reply::json(200, r#"{"value":[{"id":"1","title":"first"}]}"#)]);
    let rows: Vec<usize> = calls.iter().map(|(_, driver, query, options)| driver.query(query, options).unwrap().len()).collect();
    assert_eq!(rows, [10, 2, 2, 1], "each driver works after clear()");
}

const SID: &str = "1732850000.77";

/// A Splunk job status document.
fn job_status(done: bool, progress: f64, results: u32) -> String {
    format!(
        r#"{{"entry":[{{"name":"search index=web","content":{{"dispatchState":"{}","doneProgress":{progress},"isDone":{done},"isFailed":false,"resultCount":{results},"scanCount":1200,"sid":"{SID}","messages":[]}}}}],"messages":[]}}"#,
        if done { "DONE" } else { "RUNNING" }
    )
}

#[test]
fn a_splunk_job_that_never_finishes_stops_and_is_cancelled_on_the_server() {
    let _serial = lock_interrupt_flag();
    let server = RecordedServer::start().unwrap();
    server.route_body("POST", "/services/search/jobs", "exec_mode=normal", vec![Reply::json(201, format!(r#"{{"sid":"{SID}"}}"#))]);
    server.route("GET", &format!("/jobs/{SID}?"), vec![Reply::json(200, job_status(false, 0.1, 0))]);
    server.route("POST", &format!("/jobs/{SID}/control"), vec![Reply::json(200, r#"{"messages":[{"type":"INFO","text":"Search job cancelled."}]}"#)]);
    let settings = DriverSettings::default()
        .set("base_url", server.base_url())
        .set("bearer_token", "tok-123")
        .set("poll_interval_ms", "100")
        .set("timeout", "600");
    let mut driver = SplunkDriver::new("Splunk", &settings);
    driver.connect().unwrap();
    let options = with(&[("mode", "job")]);
    let (result, elapsed) = interrupted_when(|| sent(&server, &format!("/jobs/{SID}?")) >= 2, || driver.query("index=web status>=400", &options));
    let error = result.expect_err("the job wait was interrupted");
    assert_eq!(error.to_string(), format!("interrupted: Splunk job {SID} (cancelled on the server) was stopped"));
    assert!(elapsed < PROMPT, "stopped {elapsed:?} after the interrupt; the job's time-out is 600 s");
    assert!(server.requests_to(&format!("/jobs/{SID}?")).len() >= 2, "the job was polled before the interrupt");
    let cancels = server.requests_to(&format!("/services/search/jobs/{SID}/control"));
    assert_eq!(cancels.len(), 1, "the job is cancelled once");
    assert_eq!(cancels[0].method, "POST");
    assert_eq!(cancels[0].body, "action=cancel&output_mode=json");
    assert_eq!(cancels[0].header("authorization"), Some("Bearer tok-123"));

    server.route("GET", &format!("/jobs/{SID}?"), vec![Reply::json(200, job_status(true, 1.0, 1))]);
    server.route(
        "GET",
        "/results",
        vec![Reply::json(200, r#"{"results":[{"_time":"2024-03-01T10:00:00.000+00:00","host":"web01","status":"404"}]}"#)],
    );
    let frame = driver.query("index=web status>=400", &options).expect("the job runs after clear()");
    assert_eq!(frame.column_strings("host").unwrap(), [Some("web01".to_string())]);
    assert_eq!(server.requests_to(&format!("/services/search/jobs/{SID}/control")).len(), 1, "a finished job is not cancelled");
}

fn one_row(time: &str) -> String {
    format!(
        r#"{{"tables":[{{"name":"PrimaryResult","columns":[{{"name":"TimeGenerated","type":"datetime"}},{{"name":"Computer","type":"string"}}],"rows":[["{time}","WORKSTATION5"]]}}]}}"#
    )
}

#[test]
fn a_split_query_stops_as_a_whole_rather_than_returning_a_partial_result() {
    let _serial = lock_interrupt_flag();
    let server = server_with_token();
    // The first chunk answers at once, the others only after a minute.
    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, one_row("2024-05-01T09:00:00Z")).with_delay(SLOW)]);
    server.route_body("POST", "/v1/workspaces/", "datetime(2024-05-01T00:00:00", vec![Reply::json(200, one_row("2024-05-01T01:00:00Z"))]);
    let driver = SentinelDriver::with_config("MSSentinel", &fast_retries(), config(&server.base_url()));
    let mut qp = QueryProvider::with_driver(Box::new(driver));
    qp.connect().unwrap();
    let call = qp
        .split_query("WindowsSecurity.list_host_logons", "6h")
        .param("host_name", "WORKSTATION5")
        .start("2024-05-01T00:00:00Z")
        .end("2024-05-02T00:00:00Z")
        .max_parallel(2);
    let (result, elapsed) = interrupted_when(|| sent(&server, "/v1/workspaces/") >= 3, || call.run());
    assert_interrupted(result, elapsed, "the split query");
    assert_eq!(server.requests_to("/v1/workspaces/").len(), 3, "the chunk that answered, two waiting, none started after the interrupt");

    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, one_row("2024-05-01T09:00:00Z"))]);
    let frame = call.run().expect("the split query runs after clear()");
    assert_eq!(frame.len(), 4);
    assert!(frame.warnings().is_empty(), "{:?}", frame.warnings());
}

/// A Log Analytics response of `rows` rows.
fn large_response(rows: usize) -> Vec<u8> {
    let mut body = String::from(
        r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Computer","type":"string"},{"name":"EventID","type":"int"},{"name":"CommandLine","type":"string"}],"rows":["#,
    );
    for i in 0..rows {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"["2024-05-01T{:02}:{:02}:{:02}.123Z","WORKSTATION{}.contoso.com",4688,"C:\\Windows\\System32\\cmd.exe /c task {i}"]"#,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            i % 50
        ));
    }
    body.push_str("]}]}");
    body.into_bytes()
}

#[test]
fn converting_a_large_result_stops_part_way() {
    let _serial = lock_interrupt_flag();
    let rows = 400_000;
    let body = large_response(rows);
    let convert = || mstic_data::remote::convert::log_analytics_to_frame(&body).map(|converted| converted.frame);
    let started = Instant::now();
    assert_eq!(convert().expect("a full conversion").len(), rows);
    let full = started.elapsed();
    let started = Instant::now();
    let (result, stopped_in) = interrupted_when(|| started.elapsed() >= full / 10, convert);
    let error = result.expect_err("the conversion was interrupted");
    assert_eq!(error.to_string(), "interrupted: converting the query results was stopped");
    assert!(stopped_in < full, "stopped {stopped_in:?} after the interrupt; a full conversion takes {full:?}");
    assert_eq!(convert().expect("converts after clear()").len(), rows);
}
