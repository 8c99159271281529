//! The Sentinel / Log Analytics driver against a real HTTP server on 127.0.0.1 speaking the
//! token endpoint and the query API with recorded responses.

mod remote_support;

use mstic_data::provider::QueryProvider;
use mstic_data::remote::SentinelDriver;
use mstic_demo::{RecordedServer, Reply, responses};
use mstic_data::{Driver, DriverSettings, QueryOptions};
use remote_support::*;
use std::time::{Duration, Instant};

const QUERY_PATH: &str = "/v1/workspaces/";

fn connected(server: &RecordedServer, settings: DriverSettings) -> SentinelDriver {
    let mut driver = SentinelDriver::with_config("MSSentinel", &settings, config(&server.base_url()));
    driver.connect().expect("connects");
    driver
}

#[test]
fn query_success_uses_token_workspace_and_body() {
    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![Reply::json(200, fixture("msticpy/testdata/azmondata/az_mon_raw_query.json"))]);
    let driver = connected(&server, fast_retries());
    let frame = driver.query("SecurityAlert | take 3", &QueryOptions::default()).unwrap();
    let frame2 = driver.query("SecurityAlert | take 3", &QueryOptions::default()).unwrap();
    assert_eq!((frame.len(), frame2.len(), frame.num_columns()), (3, 3, 34));

    let token_requests = server.requests_to("/oauth2/v2.0/token");
    assert_eq!(token_requests.len(), 1, "the token is cached per scope");
    let token = &token_requests[0];
    assert_eq!(token.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert!(token.body.contains("grant_type=client_credentials"));
    assert!(token.body.contains(&format!("scope={}", percent(&format!("{}/.default", server.base_url())))), "{}", token.body);

    let queries = server.requests_to(QUERY_PATH);
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[0].path, format!("/v1/workspaces/{WORKSPACE}/query"));
    assert_eq!(queries[0].header("authorization"), Some("Bearer test-access-token"));
    let body: serde_json::Value = serde_json::from_str(&queries[0].body).unwrap();
    assert_eq!(body["query"], "SecurityAlert | take 3");
    assert!(body.get("workspaces").is_none());
    assert!(queries[0].header("prefer").unwrap().starts_with("wait="));
}

fn percent(text: &str) -> String {
    mstic_data::remote::http::percent_encode(text)
}

#[test]
fn tokens_near_expiry_are_refreshed() {
    let server = RecordedServer::start().unwrap();
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, r#"{"token_type":"Bearer","expires_in":60,"access_token":"short-lived"}"#)]);
    server.route("POST", QUERY_PATH, vec![Reply::json(200, responses::LOGONS)]);
    let driver = connected(&server, fast_retries());
    driver.query("SecurityEvent", &QueryOptions::default()).unwrap();
    driver.query("SecurityEvent", &QueryOptions::default()).unwrap();
    assert_eq!(server.requests_to("/oauth2/v2.0/token").len(), 3, "connect and each query fetch a fresh token");
}

#[test]
fn multiple_workspaces_and_timespan() {
    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![Reply::json(200, responses::LOGONS)]);
    let driver = connected(&server, fast_retries().set("workspaces", "Default, MyTestWS"));
    let mut options = QueryOptions::default();
    options.settings.insert("timespan".into(), "P1D".into());
    let frame = driver.query("SecurityEvent", &options).unwrap();
    assert_eq!(frame.len(), 4);
    let body: serde_json::Value = serde_json::from_str(&server.requests_to(QUERY_PATH)[0].body).unwrap();
    assert_eq!(body["workspaces"], serde_json::json!([SECOND_WORKSPACE]));
    assert_eq!(body["timespan"], "P1D");

    options.settings.insert("workspace".into(), "MyTestWS".into());
    options.settings.insert("workspaces".into(), "MyTestWS".into());
    driver.query("SecurityEvent", &options).unwrap();
    let last = server.requests_to(QUERY_PATH).pop().unwrap();
    assert_eq!(last.path, format!("/v1/workspaces/{SECOND_WORKSPACE}/query"));
    assert!(!last.body.contains("\"workspaces\""));
    let err = driver.query("x", &QueryOptions { settings: [("workspace".to_string(), "MyTestW".to_string())].into(), ..Default::default() });
    assert!(err.unwrap_err().to_string().contains("did you mean: MyTestWS"));
}

#[test]
fn partial_error_warns_or_fails() {
    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![Reply::json(200, responses::PARTIAL_HEARTBEAT)]);
    let driver = connected(&server, fast_retries());
    let frame = driver.query("Heartbeat", &QueryOptions::default()).unwrap();
    assert_eq!(frame.len(), 2);
    assert!(frame.warnings()[0].contains("PartialError"), "{:?}", frame.warnings());
    let strict = QueryOptions { fail_on_partial: true, ..Default::default() };
    let err = driver.query("Heartbeat", &strict).unwrap_err().to_string();
    assert!(err.contains("partial result") && err.contains(WORKSPACE), "{err}");
}

#[test]
fn unauthorized_names_scope_and_tenant_never_the_secret() {
    let server = server_with_token();
    let denial = r#"{"error":{"code":"InvalidTokenError","message":"The provided authentication is not valid for this resource"}}"#;
    server.route("POST", QUERY_PATH, vec![Reply::json(401, denial)]);
    let driver = connected(&server, fast_retries());
    let err = driver.query("SecurityAlert", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("401 Unauthorized"), "{err}");
    assert!(err.contains(&format!("{}/.default", server.base_url())) && err.contains(TENANT), "{err}");
    assert!(err.contains("InvalidTokenError"), "{err}");
    assert!(!err.contains(CLIENT_SECRET) && !err.contains("test-access-token"), "{err}");
    assert_eq!(server.requests_to("/oauth2/v2.0/token").len(), 2, "a rejected token is fetched again once");

    server.route("POST", QUERY_PATH, vec![Reply::json(403, r#"{"error":{"code":"InsufficientAccessError","message":"no access"}}"#)]);
    let err = driver.query("SecurityAlert", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("403 Forbidden") && err.contains("InsufficientAccessError"), "{err}");
    assert!(!format!("{driver:?}").contains(CLIENT_SECRET));
}

#[test]
fn workspace_tenant_wins_over_azure_cli_defaults() {
    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![Reply::json(200, responses::LOGONS)]);
    let text = config_text(&server.base_url()) + "  AzureCLI:\n    Args:\n      tenantId: 11111111-2222-3333-4444-555555555555\n";
    let config = mstic_core::config::MsticConfig::from_yaml_str(&text, "cli.yaml").unwrap();
    let mut driver = SentinelDriver::with_config("MSSentinel", &fast_retries(), config);
    driver.connect().unwrap();
    assert_eq!(server.requests_to("/oauth2/v2.0/token")[0].path, format!("/{TENANT}/oauth2/v2.0/token"));
}

#[test]
fn token_endpoint_rejection_is_reported_per_credential() {
    let server = RecordedServer::start().unwrap();
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(401, r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#)]);
    let mut driver = SentinelDriver::with_config("MSSentinel", &fast_retries(), config(&server.base_url()));
    let err = driver.connect().unwrap_err().to_string();
    assert!(err.contains("AADSTS7000215") && err.contains("client secret (tenant") && err.contains(TENANT), "{err}");
    assert!(!err.contains(CLIENT_SECRET), "{err}");
    assert!(!driver.is_connected());
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let server = server_with_token();
    let throttled = Reply::json(429, r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#).with_header("Retry-After", "1");
    server.route("POST", QUERY_PATH, vec![throttled, Reply::json(200, responses::LOGONS)]);
    let driver = connected(&server, fast_retries());
    let started = Instant::now();
    let frame = driver.query("SecurityEvent", &QueryOptions::default()).unwrap();
    assert_eq!(frame.len(), 4);
    assert!(started.elapsed() >= Duration::from_millis(950), "waited {:?}", started.elapsed());
    assert_eq!(server.requests_to(QUERY_PATH).len(), 2);
}

#[test]
fn too_long_retry_after_fails_with_message() {
    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![Reply::json(429, "{}").with_header("Retry-After", "3600")]);
    let driver = connected(&server, fast_retries());
    let err = driver.query("SecurityEvent", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("429") && err.contains("3600 s"), "{err}");
}

#[test]
fn server_errors_are_retried_then_succeed_or_give_up() {
    let server = server_with_token();
    let busy = Reply::json(503, r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#);
    server.route("POST", QUERY_PATH, vec![busy.clone(), Reply::json(502, "bad gateway"), Reply::json(200, responses::LOGONS)]);
    let driver = connected(&server, fast_retries());
    assert_eq!(driver.query("SecurityEvent", &QueryOptions::default()).unwrap().len(), 4);
    assert_eq!(server.requests_to(QUERY_PATH).len(), 3);

    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![busy]);
    let driver = connected(&server, fast_retries().set("max_retries", "2"));
    let err = driver.query("SecurityEvent", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("HTTP 503 after 3 attempt(s)") && err.contains("ServiceUnavailable: busy"), "{err}");
    assert_eq!(server.requests_to(QUERY_PATH).len(), 3);
}

#[test]
fn bad_request_and_malformed_json() {
    let server = server_with_token();
    let syntax = r#"{"error":{"code":"BadArgumentError","message":"The request had some invalid properties","innererror":{"code":"SyntaxError","message":"A recognition error occurred in the query."}}}"#;
    server.route("POST", QUERY_PATH, vec![Reply::json(400, syntax)]);
    server.route_body("POST", QUERY_PATH, "Broken", vec![Reply::json(200, "{\"tables\":[{\"name\":\"PrimaryResult\",")]);
    let driver = connected(&server, fast_retries());
    let err = driver.query("SecurityEvent | wher", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("HTTP 400") && err.contains("SyntaxError: A recognition error"), "{err}");
    let err = driver.query("Broken", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("not valid JSON") && err.contains(WORKSPACE), "{err}");
}

#[test]
fn timeout_is_configurable() {
    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![Reply::json(200, responses::LOGONS).with_delay(Duration::from_secs(3))]);
    let driver = connected(&server, fast_retries());
    let options = QueryOptions { timeout: Some(Duration::from_millis(200)), ..Default::default() };
    let started = Instant::now();
    let err = driver.query("SecurityEvent", &options).unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(3), "gave up after {:?}", started.elapsed());
    assert!(err.contains("no answer within") || err.contains("did not complete within"), "{err}");
}

#[test]
fn msticpy_sentinel_templates_run_through_the_driver() {
    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![Reply::json(200, responses::LOGONS)]);
    let driver = SentinelDriver::with_config("MSSentinel", &fast_retries(), config(&server.base_url()));
    let mut qp = QueryProvider::with_driver(Box::new(driver));
    qp.add_query_path(&msticpy_queries("mssentinel")).unwrap();
    let logons = qp.store().get("WindowsSecurity.list_host_logons").unwrap();
    assert!(logons.file.starts_with(msticpy_queries("mssentinel")), "MSTICPy's file overrides ours: {}", logons.file.display());
    qp.connect().unwrap();
    let frame = qp
        .query("WindowsSecurity.list_host_logons")
        .param("host_name", "WORKSTATION5")
        .start("2024-05-01T00:00:00Z")
        .end("2024-05-02T00:00:00Z")
        .run()
        .unwrap();
    assert_eq!(frame.len(), 4);
    let body: serde_json::Value = serde_json::from_str(&server.requests_to(QUERY_PATH)[0].body).unwrap();
    let text = body["query"].as_str().unwrap();
    assert!(text.contains("SecurityEvent") && text.contains("EventID == 4624"), "{text}");
    assert!(text.contains("Computer has \"WORKSTATION5\"") && text.contains("datetime(2024-05-01T00:00:00"), "{text}");
}

#[test]
fn every_msticpy_sentinel_template_runs() {
    let server = server_with_token();
    server.route("POST", QUERY_PATH, vec![Reply::json(200, responses::LOGONS)]);
    let driver = SentinelDriver::with_config("MSSentinel", &fast_retries(), config(&server.base_url()));
    let mut qp = QueryProvider::with_driver(Box::new(driver));
    qp.add_query_path(&msticpy_queries("mssentinel")).unwrap();
    qp.connect().unwrap();
    let count = run_every_template(&qp, "mssentinel", 4);
    assert_eq!(count, 118, "every template of MSTICPy's mssentinel folder");
    assert_eq!(server.requests_to(QUERY_PATH).len(), count);
}

#[test]
fn missing_workspace_config_is_explained() {
    let config = mstic_core::config::MsticConfig::from_yaml_str("Azure:\n  cloud: global\n", "empty.yaml").unwrap();
    let mut driver = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), config);
    let err = driver.connect().unwrap_err().to_string();
    assert!(err.contains("AzureSentinel.Workspaces.Default"), "{err}");
    let err = driver.query("x", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("connect()"), "{err}");
}
