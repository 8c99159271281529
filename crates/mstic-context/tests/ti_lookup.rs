//! `TiLookup` behaviour: providers from msticpyconfig.yaml, scopes, the cache, concurrency limits,
//! per-IoC failures, the Tor list, frame input and warnings — against real local servers.

mod support;

use mstic_demo::{DemoTiServer, HttpResponse, LocalServer};
use mstic_context::ti::{BoxFuture, ProviderOptions, RateLimit, TiProvider, TiQuery, TiResult, create_provider, RESULT_COLUMNS};
use mstic_context::{LookupOptions, ProviderScope, Severity, TiLookup};
use mstic_core::Frame;
use mstic_core::config::MsticConfig;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::{all_text, cell};

#[test]
fn providers_load_from_msticpys_test_config() {
    let config = MsticConfig::load(mstic_core::paths::fixture("msticpy/testdata/msticpyconfig.yaml").unwrap()).unwrap();
    let ti = TiLookup::from_config(&config).unwrap();
    let names = ti.provider_names();
    for expected in ["OTX", "GreyNoise", "OpenPageRank", "TorExitNodes", "CrowdSec", "AbuseIPDB", "IPQualityScore", "BinaryEdge"] {
        assert!(names.contains(&expected.to_string()), "{expected} not loaded: {names:?}");
    }
    let skipped: Vec<&str> = ti.skipped_providers().iter().map(|(n, _)| n.as_str()).collect();
    for expected in ["AzureSentinel", "RiskIQ", "IntSights"] {
        assert!(skipped.contains(&expected), "{expected} should be skipped: {skipped:?}");
    }
    if std::env::var("VTAUTHKEY").is_err() {
        let (_, why) = ti.skipped_providers().iter().find(|(n, _)| n == "VirusTotal").unwrap();
        assert!(why.contains("VTAUTHKEY"), "{why}");
    }
    assert!(ti.primary_providers().contains(&"OTX".to_string()));
    // Keys from the file never show in Debug output.
    assert!(!format!("{ti:?}").contains("987654321"));
}

#[test]
fn demo_server_answers_every_primary_provider() {
    let demo = DemoTiServer::start().unwrap();
    let ti = demo.ti_lookup().unwrap();
    assert_eq!(ti.provider_names(), vec!["OTX", "VirusTotal", "GreyNoise", "AbuseIPDB", "TorExitNodes"]);
    let frame = ti.lookup_ioc("185.220.101.7", None).unwrap();
    assert_eq!(frame.columns(), RESULT_COLUMNS.to_vec());
    assert_eq!(frame.len(), 5);
    let tor = (0..frame.len()).find(|&i| cell(&frame, i, "Provider") == "TorExitNodes").unwrap();
    assert_eq!(cell(&frame, tor, "Severity"), "warning");
    assert!(cell(&frame, tor, "Details").contains("NodeID"));
    let text = all_text(&frame);
    assert!(!text.contains("demo-vt-key") && !text.contains("demo-otx-key") && !text.contains("demo-abuseipdb-key"));
}

#[test]
fn results_are_cached_and_repeated_iocs_asked_once() {
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!({"pulse_info": {"count": 2, "pulses": []}}))).unwrap();
    let mut ti = TiLookup::new();
    let options = ProviderOptions { name: "OTX".into(), base_url: Some(server.url()), ..Default::default() };
    ti.add_provider(create_provider("OTX", &options).unwrap());
    let iocs: Vec<String> = vec!["185.92.220.35".into(), "185[.]92[.]220[.]35".into(), "8.8.8.8".into()];
    let first = ti.lookup_iocs(&iocs, None).unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(server.request_count(), 2, "the refanged duplicate is asked once");
    assert_eq!(cell(&first, 1, "Ioc"), "185[.]92[.]220[.]35");
    assert_eq!(cell(&first, 1, "SafeIoc"), "185.92.220.35");
    assert_eq!(ti.cache_len(), 2);
    let second = ti.lookup_iocs(&iocs, None).unwrap();
    assert_eq!(server.request_count(), 2, "second lookup served from the cache");
    assert_eq!(all_text(&first), all_text(&second));
    ti.clear_cache();
    ti.lookup_ioc("8.8.8.8", None).unwrap();
    assert_eq!(server.request_count(), 3);
}

#[test]
fn failures_are_not_cached_and_do_not_fail_the_call() {
    let server = LocalServer::start(|request| {
        if request.path().contains("6.6.6.6") {
            HttpResponse::json(500, &json!({"detail": "boom"}))
        } else {
            HttpResponse::json(200, &json!({"pulse_info": {"count": 0, "pulses": []}}))
        }
    })
    .unwrap();
    let mut ti = TiLookup::new();
    let options = ProviderOptions { name: "OTX".into(), base_url: Some(server.url()), ..Default::default() };
    ti.add_provider(create_provider("OTX", &options).unwrap());
    let iocs: Vec<String> = vec!["8.8.8.8".into(), "6.6.6.6".into(), "1.1.1.1".into()];
    let frame = ti.lookup_iocs(&iocs, Some("ipv4")).unwrap();
    let statuses: Vec<String> = (0..3).map(|i| cell(&frame, i, "Status")).collect();
    assert_eq!(statuses, vec!["0", "500", "0"]);
    assert_eq!(cell(&frame, 1, "Details"), "HTTP 500: boom");
    assert_eq!(ti.cache_len(), 2);
}

#[test]
fn bad_items_become_warnings_or_rows() {
    let demo = DemoTiServer::start().unwrap();
    let ti = demo.ti_lookup().unwrap();
    let frame = ti.lookup_ioc("127.0.0.1", None).unwrap();
    assert!(frame.is_empty());
    assert_eq!(frame.warnings(), ["not looked up: 127.0.0.1 (ipv4): IP address is not global"]);
    let options = LookupOptions { show_bad_item: true, ..Default::default() };
    let frame = ti.lookup_items(&[("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(), Some("md5_hash".into()))], &options).unwrap();
    assert_eq!(cell(&frame, 0, "Status"), "2");
    assert_eq!(cell(&frame, 0, "Details"), "String has too low an entropy to be a hash");
    assert_eq!(demo.request_count(), 0);
}

#[test]
fn scopes_and_provider_names() {
    let demo = DemoTiServer::start().unwrap();
    let mut ti = demo.ti_lookup().unwrap();
    let options = ProviderOptions { name: "Pulsedive".into(), base_url: Some(demo.url()), ..Default::default() };
    ti.add_provider_with(create_provider("Pulsedive", &options).unwrap(), false);
    let all = LookupOptions { scope: ProviderScope::All, ..Default::default() };
    let secondary = LookupOptions { scope: ProviderScope::Secondary, ..Default::default() };
    let items = [("8.8.8.8".to_string(), None)];
    assert_eq!(ti.lookup_items(&items, &all).unwrap().len(), 6);
    assert_eq!(cell(&ti.lookup_items(&items, &secondary).unwrap(), 0, "Provider"), "Pulsedive");
    let named = LookupOptions { providers: Some(vec!["otx".into()]), ..Default::default() };
    assert_eq!(ti.lookup_items(&items, &named).unwrap().len(), 1);
    let wrong = LookupOptions { providers: Some(vec!["GreyNoyse".into()]), ..Default::default() };
    let error = ti.lookup_items(&items, &wrong).unwrap_err().to_string();
    assert_eq!(error, "unknown TI provider 'GreyNoyse'; did you mean: GreyNoise?");
    assert!(TiLookup::new().lookup_ioc("8.8.8.8", None).unwrap_err().to_string().contains("no threat-intel providers"));
}

#[test]
fn lookup_of_a_frame_column() {
    let demo = DemoTiServer::start().unwrap();
    let ti = demo.ti_lookup().unwrap();
    let data = Frame::from_string_rows(&["Ip"], &[vec![Some("8.8.8.8")], vec![None], vec![Some("10.0.0.1")]]).unwrap();
    let frame = ti.lookup_frame(&data, "Ip", None, &LookupOptions::default()).unwrap();
    assert_eq!(frame.len(), 5);
    assert_eq!(frame.warnings().len(), 1);
    assert!(ti.lookup_frame(&data, "IpAddr", None, &LookupOptions::default()).unwrap_err().to_string().contains("did you mean: Ip"));
}

/// A provider that counts how many of its lookups run at once.
struct Counting {
    limit: RateLimit,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl TiProvider for Counting {
    fn name(&self) -> &str {
        "Counting"
    }
    fn kind(&self) -> &str {
        "Counting"
    }
    fn supported_types(&self) -> Vec<String> {
        vec!["ipv4".into()]
    }
    fn rate_limit(&self) -> RateLimit {
        self.limit
    }
    fn lookup<'a>(&'a self, query: &'a TiQuery) -> BoxFuture<'a, TiResult> {
        Box::pin(async move {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            let mut row = TiResult::new(query, "Counting");
            row.status = 0;
            row.result = true;
            row.severity = Severity::Information;
            row
        })
    }
}

fn peak_concurrency(limit: RateLimit, cap: Option<usize>) -> usize {
    let peak = Arc::new(AtomicUsize::new(0));
    let mut ti = TiLookup::new();
    ti.add_provider(Box::new(Counting { limit, running: Arc::new(AtomicUsize::new(0)), peak: peak.clone() }));
    ti.set_max_concurrency(cap);
    let iocs: Vec<String> = (1..=40).map(|i| format!("8.8.{i}.1")).collect();
    assert_eq!(ti.lookup_iocs(&iocs, None).unwrap().len(), 40);
    peak.load(Ordering::SeqCst)
}

#[test]
fn requests_run_concurrently_within_the_provider_limit() {
    let peak = peak_concurrency(RateLimit { max_concurrent: 8, per_second: 0.0 }, None);
    assert!(peak > 1 && peak <= 8, "peak {peak}");
    assert_eq!(peak_concurrency(RateLimit { max_concurrent: 8, per_second: 0.0 }, Some(1)), 1);
    let capped = peak_concurrency(RateLimit { max_concurrent: 8, per_second: 0.0 }, Some(3));
    assert!((1..=3).contains(&capped), "peak {capped}");
}

/// A provider that records when each lookup starts.
struct Stamping {
    starts: Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
}

impl TiProvider for Stamping {
    fn name(&self) -> &str {
        "Stamping"
    }
    fn kind(&self) -> &str {
        "Stamping"
    }
    fn supported_types(&self) -> Vec<String> {
        vec!["ipv4".into()]
    }
    fn rate_limit(&self) -> RateLimit {
        RateLimit { max_concurrent: 10, per_second: 100.0 }
    }
    fn lookup<'a>(&'a self, query: &'a TiQuery) -> BoxFuture<'a, TiResult> {
        self.starts.lock().unwrap().push(std::time::Instant::now());
        Box::pin(async move { TiResult::new(query, "Stamping") })
    }
}

#[test]
fn request_starts_are_spaced_by_the_rate_limit() {
    let starts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut ti = TiLookup::new();
    ti.add_provider(Box::new(Stamping { starts: starts.clone() }));
    let iocs: Vec<String> = (1..=8).map(|i| format!("8.8.{i}.1")).collect();
    ti.lookup_iocs(&iocs, None).unwrap();
    let mut starts = starts.lock().unwrap().clone();
    starts.sort();
    assert_eq!(starts.len(), 8);
    // 100 requests a second: eight starts span at least 70 ms (scheduling slack allowed).
    let span = starts[7] - starts[0];
    assert!(span >= Duration::from_millis(60), "{span:?}");
}

#[test]
fn config_settings_set_base_url_and_limits() {
    let yaml = "TIProviders:\n  Abuse:\n    Args:\n      AuthKey: k-123456\n      BaseUrl: http://127.0.0.1:9\n    MaxConcurrent: 2\n    RequestsPerSecond: 5\n    Primary: False\n    Provider: AbuseIPDB\n";
    let config = MsticConfig::from_yaml_str(yaml, "inline.yaml").unwrap();
    let ti = TiLookup::from_config(&config).unwrap();
    assert_eq!(ti.provider_names(), vec!["Abuse"]);
    assert!(ti.primary_providers().is_empty());
    let bad = "TIProviders:\n  Abuse:\n    MaxConcurrent: lots\n    Provider: AbuseIPDB\n";
    let ti = TiLookup::from_config(&MsticConfig::from_yaml_str(bad, "bad.yaml").unwrap()).unwrap();
    assert!(ti.skipped_providers()[0].1.contains("'lots' is not a number"));
}

#[test]
fn tor_list_failure_is_a_row() {
    let server = LocalServer::start(|_| HttpResponse::text(503, "down")).unwrap();
    let options = ProviderOptions { name: "Tor".into(), base_url: Some(format!("{}/exit-addresses", server.url())), ..Default::default() };
    let mut ti = TiLookup::new();
    ti.add_provider(create_provider("Tor", &options).unwrap());
    let frame = ti.lookup_ioc("8.8.8.8", None).unwrap();
    assert_eq!(cell(&frame, 0, "Status"), "3");
    assert_eq!(cell(&frame, 0, "Details"), "HTTP 503: exit list not available");
}

#[test]
fn lookups_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<TiLookup>();
    shareable::<mstic_context::GeoIpLookup>();
    shareable::<mstic_context::IpStackLookup>();
    shareable::<mstic_context::RdapClient>();
    shareable::<DemoTiServer>();
}

#[test]
fn provider_status_lists_loaded_and_skipped() {
    let yaml = "TIProviders:\n  OTX:\n    Args:\n      AuthKey: k-1\n    Primary: True\n    Provider: OTX\n  RiskIQ:\n    Provider: RiskIQ\n";
    let ti = TiLookup::from_config(&MsticConfig::from_yaml_str(yaml, "inline.yaml").unwrap()).unwrap();
    let status = ti.provider_status().unwrap();
    assert_eq!(status.len(), 2);
    assert_eq!(cell(&status, 0, "Kind"), "OTX");
    assert_eq!(cell(&status, 0, "MaxConcurrent"), "20");
    assert_eq!(cell(&status, 1, "Loaded"), "false");
    assert!(cell(&status, 1, "Reason").starts_with("unknown TI provider kind 'RiskIQ'"));
}

#[test]
fn query_subtypes_reach_the_provider() {
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!({"count": 1, "passive_dns": [{"hostname": "a.example"}]}))).unwrap();
    let options = ProviderOptions { name: "OTX".into(), base_url: Some(server.url()), ..Default::default() };
    let mut ti = TiLookup::new();
    ti.add_provider(create_provider("OTX", &options).unwrap());
    let lookup = LookupOptions { query_subtype: Some("passive_dns".into()), ..Default::default() };
    let frame = ti.lookup_items(&[("8.8.8.8".into(), None)], &lookup).unwrap();
    assert_eq!(cell(&frame, 0, "QuerySubtype"), "passive_dns");
    assert_eq!(cell(&frame, 0, "Status"), "0");
    assert_eq!(server.requests()[0].path(), "/api/v1/indicators/IPv4/8.8.8.8/passive_dns");
}
