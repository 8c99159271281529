//! Each provider against a real HTTP server on 127.0.0.1 answering in that API's response shape:
//! positive, negative, not found, 429, 500 and malformed answers, the request it sends, and its
//! key kept out of every output.

mod support;

use mstic_demo::{HttpResponse, LocalServer};
use mstic_context::ti::{ProviderOptions, create_provider};
use mstic_context::{LookupOptions, TiLookup};
use serde_json::{Value, json};
use support::{all_text, cell};

const KEY: &str = "SECRET-KEY-123";

struct Case {
    kind: &'static str,
    ioc: &'static str,
    /// Path (without query) the provider must request.
    path: &'static str,
    /// Header carrying the key (`None` when the key travels in the URL or Basic auth).
    key_header: Option<&'static str>,
    positive: Value,
    positive_severity: &'static str,
    negative: Value,
    negative_severity: &'static str,
    /// Status for a 404 answer: 4 (NO_DATA) where the API uses 404 for "unknown IoC".
    not_found_status: i64,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            kind: "VirusTotal",
            ioc: "185.92.220.35",
            path: "/api/v3/ip_addresses/185.92.220.35",
            key_header: Some("x-apikey"),
            positive: json!({"data": {"id": "185.92.220.35", "type": "ip_address", "attributes": {"reputation": -20,
                "last_analysis_stats": {"malicious": 5, "suspicious": 1, "harmless": 60, "undetected": 20, "timeout": 0}}}}),
            positive_severity: "high",
            negative: json!({"data": {"id": "185.92.220.35", "type": "ip_address", "attributes": {"reputation": 0,
                "last_analysis_stats": {"malicious": 0, "suspicious": 0, "harmless": 70, "undetected": 20, "timeout": 0}}}}),
            negative_severity: "information",
            not_found_status: 4,
        },
        Case {
            kind: "OTX",
            ioc: "185.92.220.35",
            path: "/api/v1/indicators/IPv4/185.92.220.35/general",
            key_header: Some("X-OTX-API-KEY"),
            positive: json!({"pulse_info": {"count": 3, "pulses": [{"name": "a", "tags": ["t"], "references": []}, {"name": "b"}, {"name": "c"}]}}),
            positive_severity: "high",
            negative: json!({"pulse_info": {"count": 0, "pulses": []}}),
            negative_severity: "information",
            not_found_status: 4,
        },
        Case {
            kind: "GreyNoise",
            ioc: "185.92.220.35",
            path: "/v3/community/185.92.220.35",
            key_header: Some("key"),
            positive: json!({"ip": "185.92.220.35", "noise": true, "riot": false, "classification": "malicious", "name": "unknown", "last_seen": "2024-05-01"}),
            positive_severity: "high",
            negative: json!({"ip": "185.92.220.35", "noise": false, "riot": true, "classification": "benign", "name": "Google"}),
            negative_severity: "information",
            not_found_status: 4,
        },
        Case {
            kind: "AbuseIPDB",
            ioc: "185.92.220.35",
            path: "/api/v2/check",
            key_header: Some("Key"),
            positive: json!({"data": {"ipAddress": "185.92.220.35", "abuseConfidenceScore": 100, "countryCode": "CN", "isp": "Tencent"}}),
            positive_severity: "high",
            negative: json!({"data": {"ipAddress": "185.92.220.35", "abuseConfidenceScore": 0, "countryCode": "US"}}),
            negative_severity: "information",
            not_found_status: 404,
        },
        Case {
            kind: "XForce",
            ioc: "185.92.220.35",
            path: "/ipr/185.92.220.35",
            key_header: None,
            positive: json!({"ip": "185.92.220.35", "score": 7.1, "cats": {"Spam": 71}, "reason": "Regional Internet Registry"}),
            positive_severity: "high",
            negative: json!({"ip": "185.92.220.35", "score": 1, "cats": {}}),
            negative_severity: "information",
            not_found_status: 4,
        },
        Case {
            kind: "CrowdSec",
            ioc: "185.92.220.35",
            path: "/v2/smoke/185.92.220.35",
            key_header: Some("x-api-key"),
            positive: json!({"ip": "185.92.220.35", "background_noise": "high", "scores": {"overall": {"total": 5}},
                "attack_details": [{"label": "SSH Bruteforce"}], "behaviors": [{"label": "ssh:bruteforce"}]}),
            positive_severity: "high",
            negative: json!({"ip": "185.92.220.35", "scores": {"overall": {"total": 1}}}),
            negative_severity: "information",
            not_found_status: 4,
        },
        Case {
            kind: "IPQualityScore",
            ioc: "185.92.220.35",
            path: "/api/json/ip/SECRET-KEY-123/185.92.220.35",
            key_header: None,
            positive: json!({"success": true, "fraud_score": 88, "ISP": "Demo", "proxy": true, "tor": false}),
            positive_severity: "high",
            negative: json!({"success": true, "fraud_score": 10}),
            negative_severity: "information",
            not_found_status: 404,
        },
        Case {
            kind: "BinaryEdge",
            ioc: "185.92.220.35",
            path: "/v2/query/ip/185.92.220.35",
            key_header: Some("X-Key"),
            positive: json!({"total": 2, "events": [{"port": 22}, {"port": 443}]}),
            positive_severity: "information",
            negative: json!({"total": 0, "events": []}),
            negative_severity: "information",
            not_found_status: 4,
        },
        Case {
            kind: "Pulsedive",
            ioc: "185.92.220.35",
            path: "/api/info.php",
            key_header: None,
            positive: json!({"indicator": "185.92.220.35", "risk": "high", "threats": [{"name": "Zeus"}], "feeds": [{"name": "Feed"}]}),
            positive_severity: "high",
            negative: json!({"indicator": "185.92.220.35", "risk": "none"}),
            negative_severity: "unknown",
            not_found_status: 4,
        },
        Case {
            kind: "OPR",
            ioc: "www.python.com",
            path: "/api/v1.0/getPageRank",
            key_header: Some("API-OPR"),
            positive: json!({"status_code": 200, "response": [{"status_code": 404, "error": "Domain not found", "domain": "www.python.com"}]}),
            positive_severity: "warning",
            negative: json!({"status_code": 200, "response": [{"status_code": 200, "page_rank_integer": 6, "page_rank_decimal": 5.5, "rank": "1234", "domain": "www.python.com"}]}),
            negative_severity: "information",
            not_found_status: 404,
        },
    ]
}

fn lookup_for(case: &Case, server: &LocalServer) -> TiLookup {
    let options = ProviderOptions {
        name: case.kind.to_string(),
        primary: true,
        base_url: Some(server.url()),
        auth_key: Some(KEY.to_string()),
        api_id: Some("xforce-user".to_string()),
        ..Default::default()
    };
    let mut ti = TiLookup::new();
    ti.add_provider(create_provider(case.kind, &options).unwrap());
    ti.set_cache_enabled(false);
    ti
}

fn run(case: &Case, status: u16, body: HttpResponse) -> (mstic_core::Frame, LocalServer) {
    let mut answer = body;
    answer.status = status;
    let server = LocalServer::start(move |_| answer.clone()).unwrap();
    let ti = lookup_for(case, &server);
    let frame = ti.lookup_ioc(case.ioc, None).unwrap();
    assert_eq!(frame.len(), 1, "{}: one row per provider", case.kind);
    assert!(!all_text(&frame).contains(KEY), "{}: key leaked into results", case.kind);
    assert!(!format!("{ti:?}").contains(KEY), "{}: key leaked into Debug", case.kind);
    (frame, server)
}

#[test]
fn positive_answers_follow_each_providers_severity_rule() {
    for case in cases() {
        let (frame, server) = run(&case, 200, HttpResponse::json(200, &case.positive));
        assert_eq!(cell(&frame, 0, "Severity"), case.positive_severity, "{}", case.kind);
        assert_eq!(cell(&frame, 0, "Status"), "0", "{}", case.kind);
        assert_eq!(cell(&frame, 0, "Result"), "true", "{}", case.kind);
        assert_eq!(cell(&frame, 0, "Provider"), case.kind);
        assert_eq!(cell(&frame, 0, "SafeIoc"), case.ioc);
        let request = &server.requests()[0];
        assert_eq!(request.path(), case.path, "{}", case.kind);
        if let Some(header) = case.key_header {
            assert_eq!(request.header(header), Some(KEY), "{}: key header", case.kind);
        }
        assert!(cell(&frame, 0, "Reference").starts_with(&server.url()), "{}", case.kind);
    }
}

#[test]
fn negative_answers() {
    for case in cases() {
        let (frame, _server) = run(&case, 200, HttpResponse::json(200, &case.negative));
        assert_eq!(cell(&frame, 0, "Severity"), case.negative_severity, "{}", case.kind);
        assert_eq!(cell(&frame, 0, "Status"), "0", "{}", case.kind);
    }
}

#[test]
fn not_found_answers() {
    for case in cases() {
        let (frame, _server) = run(&case, 404, HttpResponse::json(404, &json!({"message": "Not Found", "error": "Not found."})));
        assert_eq!(cell(&frame, 0, "Status"), case.not_found_status.to_string(), "{}", case.kind);
        assert_eq!(cell(&frame, 0, "Result"), "false", "{}", case.kind);
    }
}

#[test]
fn rate_limited_and_server_errors_are_rows_with_the_http_status() {
    for case in cases() {
        let (frame, _s) = run(&case, 429, HttpResponse::json(429, &json!({"error": {"code": "QuotaExceededError", "message": "slow down"}})));
        assert_eq!(cell(&frame, 0, "Status"), "429", "{}", case.kind);
        assert_eq!(cell(&frame, 0, "Result"), "false");
        assert!(cell(&frame, 0, "Details").contains("HTTP 429"), "{}", case.kind);

        let echo = json!({"error": {"message": format!("internal failure for key {KEY}")}});
        let (frame, _s) = run(&case, 500, HttpResponse::json(500, &echo));
        assert_eq!(cell(&frame, 0, "Status"), "500", "{}", case.kind);
        assert!(cell(&frame, 0, "Details").contains("********"), "{}: key redacted", case.kind);
    }
}

#[test]
fn malformed_answers_are_query_failed_rows() {
    for case in cases() {
        let (frame, _s) = run(&case, 200, HttpResponse::text(200, "{\"data\": [unterminated"));
        assert_eq!(cell(&frame, 0, "Status"), "3", "{}", case.kind);
        assert!(cell(&frame, 0, "Details").contains("not valid JSON"), "{}", case.kind);
        // Valid JSON of the wrong shape is also a failed query.
        let (frame, _s) = run(&case, 200, HttpResponse::json(200, &json!({"unexpected": true})));
        assert_eq!(cell(&frame, 0, "Status"), "3", "{}", case.kind);
    }
}

#[test]
fn unreachable_server_is_a_query_failed_row() {
    let server = LocalServer::start(|_| HttpResponse::text(200, "")).unwrap();
    let url = server.url();
    drop(server);
    let options = ProviderOptions { name: "OTX".into(), base_url: Some(url), auth_key: Some(KEY.into()), ..Default::default() };
    let mut ti = TiLookup::new();
    ti.add_provider(create_provider("OTX", &options).unwrap());
    let frame = ti.lookup_ioc("185.92.220.35", None).unwrap();
    assert_eq!(cell(&frame, 0, "Status"), "3");
    assert!(cell(&frame, 0, "Details").starts_with("request failed"));
    assert!(!all_text(&frame).contains(KEY));
}

#[test]
fn provider_requests_per_ioc_type() {
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!({"pulse_info": {"count": 1, "pulses": [{"name": "x"}]}}))).unwrap();
    let mut ti = TiLookup::new();
    let options = ProviderOptions { name: "OTX".into(), base_url: Some(server.url()), auth_key: Some(KEY.into()), ..Default::default() };
    ti.add_provider(create_provider("OTX", &options).unwrap());
    let iocs: Vec<String> = ["www.python.com", "https://www.python.com/a", "A123008438B9C391A123008438B9C391"].iter().map(|s| s.to_string()).collect();
    let frame = ti.lookup_iocs(&iocs, None).unwrap();
    assert_eq!(frame.len(), 3);
    let mut paths: Vec<String> = server.requests().iter().map(|r| r.path().to_string()).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/api/v1/indicators/domain/www.python.com/general",
            "/api/v1/indicators/file/A123008438B9C391A123008438B9C391/general",
            "/api/v1/indicators/url/https%3A%2F%2Fwww.python.com%2Fa/general",
        ]
    );
    assert!((0..3).all(|i| cell(&frame, i, "Severity") == "warning"));
}

#[test]
fn virustotal_url_ids_and_opr_domains() {
    assert_eq!(mstic_context::ti::providers::vt_url_id("http://www.example.com/"), "aHR0cDovL3d3dy5leGFtcGxlLmNvbS8");
    let server = LocalServer::start(|_| HttpResponse::json(404, &json!({"error": {"code": "NotFoundError", "message": "x"}}))).unwrap();
    let options = ProviderOptions { name: "VT".into(), base_url: Some(server.url()), auth_key: Some(KEY.into()), ..Default::default() };
    let mut ti = TiLookup::new();
    ti.add_provider(create_provider("VirusTotal", &options).unwrap());
    let frame = ti.lookup_ioc("http://www.example.com/", Some("url")).unwrap();
    assert_eq!(cell(&frame, 0, "Status"), "4");
    assert_eq!(server.requests()[0].path(), "/api/v3/urls/aHR0cDovL3d3dy5leGFtcGxlLmNvbS8");
}

#[test]
fn unsupported_types_are_dropped_unless_asked_for() {
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!({}))).unwrap();
    let options = ProviderOptions { name: "GreyNoise".into(), base_url: Some(server.url()), ..Default::default() };
    let mut ti = TiLookup::new();
    ti.add_provider(create_provider("GreyNoise", &options).unwrap());
    assert!(ti.lookup_ioc("www.python.com", None).unwrap().is_empty());
    let show = LookupOptions { show_not_supported: true, ..Default::default() };
    let frame = ti.lookup_items(&[("www.python.com".into(), None)], &show).unwrap();
    assert_eq!(cell(&frame, 0, "Status"), "1");
    assert_eq!(server.request_count(), 0);
}

#[test]
fn warning_thresholds() {
    let warnings: Vec<(&str, &str, Value)> = vec![
        ("VirusTotal", "185.92.220.35", json!({"data": {"attributes": {"last_analysis_stats": {"malicious": 1}}}})),
        ("OTX", "185.92.220.35", json!({"pulse_info": {"count": 1, "pulses": [{"name": "x"}]}})),
        ("AbuseIPDB", "185.92.220.35", json!({"data": {"abuseConfidenceScore": 50}})),
        ("XForce", "185.92.220.35", json!({"score": 4.9})),
        ("CrowdSec", "185.92.220.35", json!({"scores": {"overall": {"total": 3}}})),
        ("IPQualityScore", "185.92.220.35", json!({"success": true, "fraud_score": 79})),
        ("Pulsedive", "185.92.220.35", json!({"risk": "medium"})),
    ];
    for (kind, ioc, body) in warnings {
        let server = LocalServer::start(move |_| HttpResponse::json(200, &body)).unwrap();
        let case = Case {
            kind,
            ioc,
            path: "",
            key_header: None,
            positive: Value::Null,
            positive_severity: "",
            negative: Value::Null,
            negative_severity: "",
            not_found_status: 0,
        };
        let frame = lookup_for(&case, &server).lookup_ioc(ioc, None).unwrap();
        assert_eq!(cell(&frame, 0, "Severity"), "warning", "{kind}");
    }
}

#[test]
fn xforce_uses_basic_auth_and_malware_is_high() {
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!({"malware": {"risk": "high", "family": ["zeus"]}}))).unwrap();
    let options = ProviderOptions {
        name: "XForce".into(),
        base_url: Some(server.url()),
        auth_key: Some(KEY.into()),
        api_id: Some("xforce-user".into()),
        ..Default::default()
    };
    let mut ti = TiLookup::new();
    ti.add_provider(create_provider("XForce", &options).unwrap());
    let frame = ti.lookup_ioc("A123008438B9C391A123008438B9C391", None).unwrap();
    assert_eq!(cell(&frame, 0, "Severity"), "high");
    let request = &server.requests()[0];
    assert_eq!(request.path(), "/malware/A123008438B9C391A123008438B9C391");
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("xforce-user:{KEY}"));
    assert_eq!(request.header("authorization"), Some(format!("Basic {expected}").as_str()));
}

#[test]
fn custom_http_provider_from_a_spec() {
    use mstic_context::ti::{HttpRequestSpec, HttpTiProvider, Interpretation, ProviderSpec, RateLimit};
    use mstic_context::Severity;
    const MINE: ProviderSpec = ProviderSpec {
        kind: "Mine",
        default_base_url: "https://ti.example.org",
        supported_types: &["ipv4"],
        rate_limit: RateLimit { max_concurrent: 2, per_second: 0.0 },
        build: |ctx, q| {
            Some(HttpRequestSpec { url: format!("{}/check/{}?token={}", ctx.base_url, q.safe_ioc, ctx.auth_key), ..Default::default() })
        },
        read: |_q, status, body| {
            let severity = if body["bad"] == json!(true) { Severity::High } else { Severity::Information };
            (status == 200).then(|| Interpretation::found(severity, body.clone()))
        },
    };
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!({"bad": true}))).unwrap();
    let mut ti = TiLookup::new();
    ti.add_provider(Box::new(HttpTiProvider::new(MINE, "Mine").with_base_url(&server.url()).with_auth_key(KEY)));
    let frame = ti.lookup_ioc("185.92.220.35", None).unwrap();
    assert_eq!(cell(&frame, 0, "Severity"), "high");
    assert_eq!(cell(&frame, 0, "Reference"), format!("{}/check/185.92.220.35?token=********", server.url()));
    assert_eq!(server.requests()[0].query_param("token").as_deref(), Some(KEY));
}
