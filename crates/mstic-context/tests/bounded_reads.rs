//! Hostile sizes stay bounded against real servers on 127.0.0.1: threat-intel answers, the Tor
//! list, RDAP and whois answers, IPStack and the MaxMind download stop at their cap (set small per
//! client here) with an error naming the URL or member and the cap, and keep keys out of it; the
//! threat-intel cache stays at its capacity, evicting the least recently used result.

mod support;

use mstic_context::ti::providers::{OTX, TorExitNodes};
use mstic_context::ti::{DEFAULT_CACHE_CAPACITY, HttpTiProvider, LookupStatus, TiProvider, TiQuery, TiResult};
use mstic_context::geoip_download::MaxMindDownload;
use mstic_context::{IpStackLookup, RdapClient, TiLookup};
use mstic_core::limits::ReadLimits;
use mstic_demo::{HttpResponse, LocalServer};
use serde_json::json;
use std::io::{Read, Write};
use support::tar_gz;

const SMALL: ReadLimits = ReadLimits { max_response_bytes: 1024, max_download_bytes: 4096, max_decompressed_bytes: 100_000 };

/// An OTX answer past the response cap of [`SMALL`] (valid JSON: only its size is wrong).
fn big_json() -> HttpResponse {
    HttpResponse::json(200, &json!({"pulse_info": {"count": 1, "pulses": ["x".repeat(5000)]}}))
}

/// The message a capped read gives for `source` past the response cap of [`SMALL`].
fn over_response_cap(source: &str) -> String {
    format!("{source} is larger than the response cap of 1024 bytes (1 KiB); set MSTIC_MAX_RESPONSE_BYTES to raise it")
}

fn query(ioc: &str) -> TiQuery {
    TiQuery { ioc: ioc.into(), ioc_type: "ipv4".into(), safe_ioc: ioc.into(), query_subtype: None }
}

fn look_up(provider: &dyn TiProvider, ioc: &str) -> TiResult {
    let query = query(ioc);
    mstic_core::runtime::block_on(provider.lookup(&query))
}

#[test]
fn ti_answer_past_the_cap_is_a_failed_row_naming_url_and_cap_without_the_key() {
    let server = LocalServer::start(|_| big_json()).unwrap();
    let provider = HttpTiProvider::new(OTX, "OTX").with_base_url(&server.url()).with_auth_key("otx-secret-key").with_read_limits(SMALL);
    let row = look_up(&provider, "185.92.220.35");
    assert_eq!(row.status, LookupStatus::QueryFailed.code());
    assert!(row.reference.starts_with(&server.url()), "{}", row.reference);
    assert_eq!(row.details, json!(over_response_cap(&row.reference)));
    assert!(!row.details.to_string().contains("otx-secret-key"));
    let generous = HttpTiProvider::new(OTX, "OTX").with_base_url(&server.url()).with_auth_key("otx-secret-key");
    assert_eq!(look_up(&generous, "185.92.220.35").status, LookupStatus::Ok.code());
}

#[test]
fn tor_list_past_the_cap_names_the_list_url() {
    let server = LocalServer::start(|_| HttpResponse::text(200, &"ExitNode 0011\nExitAddress 1.2.3.4 2024-01-01 00:00:00\n".repeat(100))).unwrap();
    let url = format!("{}/exit-addresses", server.url());
    let tor = TorExitNodes::new("Tor", Some(&url)).with_read_limits(SMALL);
    let row = look_up(&tor, "1.2.3.4");
    assert_eq!((row.status, row.details), (LookupStatus::QueryFailed.code(), json!(over_response_cap(&url))));
    let generous = TorExitNodes::new("Tor", Some(&url));
    assert_eq!(look_up(&generous, "1.2.3.4").severity.as_str(), "warning");
}

#[test]
fn rdap_answer_past_the_cap_names_the_url() {
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!({"services": [], "padding": "x".repeat(5000)}))).unwrap();
    let v4 = format!("{}/v4.json", server.url());
    let client = RdapClient::new().with_asn_server(None).with_bootstrap_urls(&v4, &format!("{}/v6.json", server.url())).with_read_limits(SMALL);
    let error = client.lookup("8.8.8.8").unwrap_err().to_string();
    assert_eq!(error, format!("RDAP {v4}: {}", over_response_cap(&v4)));
}

#[test]
fn whois_answer_past_the_cap_names_the_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 256];
            let _ = stream.read(&mut request);
            let _ = stream.write_all("AS | IP | BGP Prefix | CC | Registry | Allocated | AS Name\n".repeat(200).as_bytes());
        }
    });
    let client = RdapClient::new().with_asn_server(Some(&server)).with_read_limits(SMALL);
    let error = client.asn_lookup("8.8.8.8").unwrap_err().to_string();
    assert_eq!(error, format!("whois {server}: {}", over_response_cap(&format!("the whois answer of {server}"))));
}

#[test]
fn ipstack_answer_past_the_cap_names_the_endpoint_without_the_key() {
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!([{"ip": "8.8.8.8", "padding": "x".repeat(5000)}]))).unwrap();
    let lookup = IpStackLookup::new("ipstack-secret-key").with_base_url(&server.url()).with_read_limits(SMALL);
    let error = lookup.lookup("8.8.8.8").unwrap_err().to_string();
    assert_eq!(error, format!("IPStack: {}", over_response_cap(&format!("{}/8.8.8.8", server.url()))));
    assert!(!error.contains("ipstack-secret-key"));
}

/// A MaxMind download server answering every request with `archive`, and a target folder.
fn maxmind(archive: Vec<u8>, name: &str) -> (LocalServer, MaxMindDownload, std::path::PathBuf) {
    let server = LocalServer::start(move |_| HttpResponse::bytes(200, "application/gzip", archive.clone())).unwrap();
    let download = MaxMindDownload { account_id: "123".into(), license_key: "maxmind-secret".into(), base_url: server.url() };
    let folder = std::env::temp_dir().join(format!("mstic-context-bounded-{}-{name}", std::process::id()));
    (server, download, folder)
}

#[test]
fn maxmind_archive_past_the_download_cap_names_the_url_and_writes_nothing() {
    // xorshift noise does not compress, so the archive stays larger than the 4 KiB cap.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let noise: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let (server, download, folder) = maxmind(tar_gz("GeoLite2-City_1/GeoLite2-City.mmdb", &noise), "download");
    let error = download.fetch_with_limits("GeoLite2-City", &folder, SMALL).unwrap_err().to_string();
    let url = format!("{}/GeoLite2-City/download?suffix=tar.gz", server.url());
    assert_eq!(
        error,
        format!("MaxMind download of GeoLite2-City: {url} is larger than the download cap of 4096 bytes (4 KiB); set MSTIC_MAX_DOWNLOAD_BYTES to raise it")
    );
    assert!(!error.contains("maxmind-secret"));
    assert!(!folder.join("GeoLite2-City.mmdb").exists());
}

#[test]
fn maxmind_member_inflating_past_the_decompressed_cap_names_url_and_member() {
    let (server, download, folder) = maxmind(tar_gz("GeoLite2-City_1/GeoLite2-City.mmdb", &vec![0u8; 1 << 20]), "member");
    let limits = ReadLimits { max_download_bytes: 1 << 20, ..SMALL };
    let error = download.fetch_with_limits("GeoLite2-City", &folder, limits).unwrap_err().to_string();
    let url = format!("{}/GeoLite2-City/download?suffix=tar.gz", server.url());
    assert_eq!(
        error,
        format!(
            "MaxMind download of GeoLite2-City: archive: {url}!GeoLite2-City.mmdb is larger than the decompressed-size cap of \
             100000 bytes (97.7 KiB); set MSTIC_MAX_DECOMPRESSED_BYTES to raise it"
        )
    );
    assert!(!folder.join("GeoLite2-City.mmdb").exists());
    let written = download.fetch_with_limits("GeoLite2-City", &folder, ReadLimits::default()).unwrap();
    assert_eq!(std::fs::read(&written).unwrap().len(), 1 << 20);
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn ti_cache_stays_at_capacity_and_evicts_the_least_recently_used_result() {
    let server = LocalServer::start(|_| HttpResponse::json(200, &json!({"pulse_info": {"count": 0, "pulses": []}}))).unwrap();
    let mut ti = TiLookup::new();
    ti.add_provider(Box::new(HttpTiProvider::new(OTX, "OTX").with_base_url(&server.url()).with_auth_key("k3y")));
    assert_eq!(ti.cache_capacity(), DEFAULT_CACHE_CAPACITY);
    ti.set_cache_capacity(2);
    let ask = |ioc: &str| {
        ti.lookup_ioc(ioc, None).unwrap();
        server.request_count()
    };
    assert_eq!(ask("185.92.220.35"), 1);
    assert_eq!(ask("185.92.220.36"), 2);
    assert_eq!(ask("185.92.220.35"), 2, "served from the cache, which makes it the most recently used");
    assert_eq!(ask("185.92.220.37"), 3, "a third result evicts 185.92.220.36, the least recently used");
    assert_eq!(ti.cache_len(), 2);
    assert_eq!(ask("185.92.220.35"), 3, "still cached");
    assert_eq!(ask("185.92.220.37"), 3, "still cached");
    assert_eq!(ask("185.92.220.36"), 4, "evicted, so asked again");
    assert_eq!(ti.cache_len(), 2);
    ti.set_cache_capacity(1);
    assert_eq!(ti.cache_len(), 1);
    assert_eq!(ask("185.92.220.36"), 4, "the most recently used result is the one kept");
}
