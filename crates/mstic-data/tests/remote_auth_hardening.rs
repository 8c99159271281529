//! Hardening around the remote drivers: a POST that creates server-side work (a Splunk search
//! job) is not sent again after the connection failed, while a GET is; turning off TLS
//! verification (Splunk `verify: false`) warns once; settings and options hide secret-like values.

mod remote_auth_support;

use mstic_core::azure::AuthSettings;
use mstic_data::remote::settings::Options;
use mstic_data::remote::{GraphDriver, SplunkDriver};
use mstic_data::{Driver, DriverSettings, QueryOptions};
use remote_auth_support::*;
use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A server that reads each request and closes the connection without answering; counts them.
fn hanging_up_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut buffer = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buffer[..n]),
                }
            }
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
}

#[test]
fn a_search_job_post_is_not_sent_again_after_the_connection_failed() {
    let (url, count) = hanging_up_server();
    let settings = DriverSettings::default()
        .set("base_url", url.clone())
        .set("username", "admin")
        .set("password", "splunk-password-secret")
        .set("mode", "job")
        .set("retry_backoff_ms", "10");
    let mut splunk = SplunkDriver::new("Splunk", &settings);
    splunk.connect().unwrap();
    let err = splunk.query("index=web", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("creating a search job") && err.contains("after 1 attempt"), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 1, "the job-creating POST reached the server once");
    assert_no_secrets(&format!("{err} {splunk:?}"), &["splunk-password-secret"]);

    // A GET has no such effect: it is retried (three retries by default).
    let (url, count) = hanging_up_server();
    let graph_settings = DriverSettings::default().set("graph_endpoint", url).set("access_token", "at-static-graph").set("retry_backoff_ms", "10");
    let mut graph = GraphDriver::with_config("MSGraph", &graph_settings, mstic_core::config::MsticConfig::default());
    graph.connect().unwrap();
    assert!(graph.query("security/alerts_v2", &QueryOptions::default()).is_err());
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[test]
fn turning_off_tls_verification_warns_once_per_server() {
    if let Some(output) = run_in_child("turning_off_tls_verification_warns_once_per_server", &[]) {
        let warnings: Vec<&str> = output.lines().filter(|l| l.contains("TLS certificate verification is off")).collect();
        assert_eq!(warnings.len(), 2, "one warning per server:\n{output}");
        assert!(warnings[0].contains("https://splunk-a.example.com:8089") && warnings[1].contains("https://splunk-b.example.com:8089"), "{output}");
        assert_no_secrets(&output, &["splunk-password-secret"]);
        return;
    }
    for host in ["splunk-a.example.com", "splunk-a.example.com", "splunk-b.example.com"] {
        let settings = DriverSettings::default().set("host", host).set("username", "admin").set("password", "splunk-password-secret").set("verify", "False");
        SplunkDriver::new("Splunk", &settings).connect().unwrap();
    }
    // Verification on: no warning.
    let settings = DriverSettings::default().set("host", "splunk-c.example.com").set("username", "admin").set("password", "p");
    SplunkDriver::new("Splunk", &settings).connect().unwrap();
}

#[test]
fn settings_and_options_hide_secret_like_values() {
    let mut settings = DriverSettings::default();
    for (key, value) in [
        ("ClientSecret", "v-client-secret"),
        ("password", "v-password"),
        ("bearer_token", "v-bearer"),
        ("AuthKey", "v-auth-key"),
        ("certificate_path", "v-certificate"),
        ("workspace", "Default"),
    ] {
        settings = settings.set(key, value);
    }
    let shown = format!("{settings:?}");
    assert!(shown.contains("\"workspace\": \"Default\""), "{shown}");
    assert_no_secrets(&shown, &["v-client-secret", "v-password", "v-bearer", "v-auth-key", "v-certificate"]);

    let mut query = QueryOptions::default();
    query.settings.insert("api_token".into(), "v-query-token".into());
    query.settings.insert("database".into(), "Security".into());
    let shown = format!("{query:?}");
    assert!(shown.contains("Security"), "{shown}");
    assert_no_secrets(&shown, &["v-query-token"]);

    let mut options = Options::default();
    options.add(&settings.options);
    assert_no_secrets(&format!("{options:?}"), &["v-client-secret", "v-password", "v-bearer", "v-auth-key"]);
    let auth = AuthSettings::from_lookup(&|names| options.get(names).map(str::to_string)).unwrap();
    assert_no_secrets(&format!("{auth:?}"), &["v-client-secret"]);
    assert_eq!(auth.client_secret.map(|s| s.expose().to_string()).as_deref(), Some("v-client-secret"));
}
