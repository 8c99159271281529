//! Splunk search jobs (MSTICPy's default mode) and oneshot searches against a real HTTP server on
//! 127.0.0.1 answering in Splunk's JSON formats: job creation, status polling, paged results, a
//! failed job and a job cancelled at the time-out.

use mstic_data::remote::SplunkDriver;
use mstic_demo::{RecordedServer, Reply};
use mstic_data::{Driver, DriverSettings, QueryOptions};

const SID: &str = "1732850000.42";

fn created() -> String {
    format!(r#"{{"sid":"{SID}"}}"#)
}

/// A job status document (`GET /services/search/jobs/{sid}?output_mode=json`).
fn status(state: &str, done: f64, results: u32, extra: &str) -> String {
    format!(
        r#"{{"links":{{}},"origin":"https://127.0.0.1:8089/services/search/jobs","generator":{{"build":"64e843ea36b1","version":"9.1.2"}},
        "entry":[{{"name":"search index=web status>=400","id":"https://127.0.0.1:8089/services/search/jobs/{SID}","author":"admin",
        "content":{{"dispatchState":"{state}","doneProgress":{done},"eventCount":120,"isDone":{},"isFailed":{},"resultCount":{results},
        "scanCount":300,"sid":"{SID}","messages":[{extra}]}}}}],"paging":{{"total":1,"perPage":0,"offset":0}},"messages":[]}}"#,
        state == "DONE",
        state == "FAILED"
    )
}

/// A results page (`GET …/results?output_mode=json&count=…&offset=…`).
fn page(rows: &[(&str, &str, &str)]) -> String {
    let results: Vec<String> = rows
        .iter()
        .map(|(time, host, code)| format!(r#"{{"_time":"{time}","host":"{host}","status":"{code}","bytes":"512"}}"#))
        .collect();
    format!(
        r#"{{"preview":false,"init_offset":0,"messages":[],"fields":[{{"name":"_time"}},{{"name":"host"}},{{"name":"status"}},{{"name":"bytes"}}],"results":[{}],"highlighted":{{}}}}"#,
        results.join(",")
    )
}

fn driver(server: &RecordedServer, settings: &[(&str, &str)]) -> SplunkDriver {
    let mut all = DriverSettings::default().set("base_url", server.base_url()).set("bearer_token", "tok-123").set("poll_interval_ms", "10");
    for (name, value) in settings {
        all = all.set(*name, *value);
    }
    let mut driver = SplunkDriver::new("Splunk", &all);
    driver.connect().unwrap();
    driver
}

fn call(settings: &[(&str, &str)]) -> QueryOptions {
    QueryOptions { settings: settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..Default::default() }
}

#[test]
fn job_mode_polls_the_job_and_pages_its_results() {
    let server = RecordedServer::start().unwrap();
    server.route_body("POST", "/services/search/jobs", "exec_mode=normal", vec![Reply::json(201, created())]);
    server.route("GET", &format!("/jobs/{SID}?"), vec![Reply::json(200, status("RUNNING", 0.4, 0, "")), Reply::json(200, status("DONE", 1.0, 3, ""))]);
    server.route("GET", "offset=0", vec![Reply::json(200, page(&[("2024-03-01T10:00:00.000+00:00", "web01", "404"), ("2024-03-01T10:05:00.000+00:00", "web02", "500")]))]);
    server.route("GET", "offset=2", vec![Reply::json(200, page(&[("2024-03-01T10:09:00.000+00:00", "web01", "403")]))]);
    let driver = driver(&server, &[("mode", "job"), ("page_size", "2")]);
    let frame = driver.query("index=web status>=400", &call(&[("earliest_time", "-24h")])).unwrap();
    assert_eq!(frame.len(), 3);
    assert_eq!(frame.column_strings("host").unwrap(), [Some("web01".into()), Some("web02".into()), Some("web01".into())]);
    assert_eq!(frame.column("status").unwrap().data_type().to_string(), "Int64", "values typed as in export mode");
    let create = &server.requests_to("/services/search/jobs")[0];
    assert!(create.body.starts_with("search=search%20index%3Dweb%20status%3E%3D400&output_mode=json&earliest_time=-24h&exec_mode=normal&count=0"), "{}", create.body);
    assert_eq!(server.requests_to(&format!("/jobs/{SID}?output_mode=json")).len(), 2, "polled until done");
    let pages: Vec<String> = server.requests_to("/results").iter().map(|r| r.path.clone()).collect();
    assert_eq!(pages, [format!("/services/search/jobs/{SID}/results?output_mode=json&count=2&offset=0"), format!("/services/search/jobs/{SID}/results?output_mode=json&count=2&offset=2")]);
}

#[test]
fn oneshot_runs_a_blocking_search() {
    let server = RecordedServer::start().unwrap();
    server.route_body("POST", "/services/search/jobs", "exec_mode=oneshot", vec![Reply::json(200, page(&[("2024-03-01T10:00:00.000+00:00", "web01", "404")]))]);
    let driver = driver(&server, &[]);
    let frame = driver.query("index=web", &call(&[("oneshot", "true"), ("count", "50")])).unwrap();
    assert_eq!(frame.len(), 1);
    assert!(server.requests()[0].body.ends_with("exec_mode=oneshot&count=50"), "{}", server.requests()[0].body);
    let err = driver.query("index=web", &call(&[("mode", "stream")])).unwrap_err().to_string();
    assert!(err.contains("unknown Splunk search mode 'stream'"), "{err}");
}

#[test]
fn a_failed_job_and_a_timed_out_job_are_errors() {
    let server = RecordedServer::start().unwrap();
    server.route_body("POST", "/services/search/jobs", "exec_mode=normal", vec![Reply::json(201, created())]);
    let fatal = r#"{"type":"FATAL","text":"Unknown search command 'serch'."}"#;
    server.route("GET", &format!("/jobs/{SID}?"), vec![Reply::json(200, status("FAILED", 0.0, 0, fatal))]);
    let driver = driver(&server, &[("mode", "job")]);
    let err = driver.query("| serch x", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains(&format!("Splunk job {SID} failed: FATAL: Unknown search command 'serch'.")), "{err}");

    // A job still running at the time-out is cancelled and named with its progress.
    server.route("GET", &format!("/jobs/{SID}?"), vec![Reply::json(200, status("RUNNING", 0.25, 0, ""))]);
    server.route("POST", &format!("/jobs/{SID}/control"), vec![Reply::json(200, r#"{"messages":[{"type":"INFO","text":"Search job cancelled."}]}"#)]);
    let err = driver.query("index=*", &QueryOptions { timeout: Some(std::time::Duration::from_millis(300)), ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("did not finish within 0.3 s (25% done, 300 events scanned); it was cancelled"), "{err}");
    let cancel = &server.requests_to(&format!("/jobs/{SID}/control"))[0];
    assert_eq!(cancel.body, "action=cancel&output_mode=json");
}
