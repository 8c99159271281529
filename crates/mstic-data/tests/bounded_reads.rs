//! Hostile sizes stay bounded: a remote service's answer, an OTRF download and a dataset member
//! that inflates far beyond its compressed size each stop at their cap (set small per call here)
//! with an error naming the URL or member and the cap.

use mstic_core::limits::ReadLimits;
use mstic_data::drivers::otrf::dataset::{download_with_limits, load_zip_with_limits};
use mstic_data::remote::http::{Authorization, Method, RetryPolicy, ServiceClient, ServiceRequest};
use mstic_demo::{HttpResponse, LocalServer};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mstic-data-bounded-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SMALL: ReadLimits = ReadLimits { max_response_bytes: 1024, max_download_bytes: 4096, max_decompressed_bytes: 65_536 };

#[test]
fn service_answer_past_the_response_cap_names_url_and_cap() {
    let answer = format!("{{\"tables\": [\"{}\"]}}", "x".repeat(5000));
    let served = answer.clone();
    let server = LocalServer::start(move |_| HttpResponse::json(200, served.clone())).unwrap();
    let client = ServiceClient::new("Log Analytics", Authorization::None, RetryPolicy::default(), Duration::from_secs(10))
        .unwrap()
        .with_read_limits(SMALL);
    let url = format!("{}/v1/workspaces/w1/query", server.url());
    let request = ServiceRequest {
        method: Method::Post,
        url: format!("{url}?timespan=P1D"),
        body: Some(("application/json", b"{}".to_vec())),
        headers: Vec::new(),
        timeout: None,
        context: "workspace w1".into(),
    };
    let error = mstic_core::runtime::block_on(client.send(&request)).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "Log Analytics: workspace w1: {url} is larger than the response cap of 1024 bytes (1 KiB); \
             set MSTIC_MAX_RESPONSE_BYTES to raise it"
        )
    );
    let generous = ServiceClient::new("Log Analytics", Authorization::None, RetryPolicy::default(), Duration::from_secs(10)).unwrap();
    assert_eq!(mstic_core::runtime::block_on(generous.send(&request)).unwrap(), answer.into_bytes());
}

#[test]
fn dataset_download_past_the_download_cap_names_url_and_cap_and_leaves_nothing() {
    let server = LocalServer::start(|_| HttpResponse::bytes(200, "application/zip", vec![7u8; 10_000])).unwrap();
    let url = format!("{}/datasets/big.zip", server.url());
    let target = scratch("download").join("big.zip");
    let error = download_with_limits(&url, &target, SMALL).unwrap_err().to_string();
    assert_eq!(
        error,
        format!("OTRF download: {url} is larger than the download cap of 4096 bytes (4 KiB); set MSTIC_MAX_DOWNLOAD_BYTES to raise it")
    );
    assert!(!target.exists() && !target.with_extension("part").exists());
    download_with_limits(&url, &target, ReadLimits::default()).unwrap();
    assert_eq!(std::fs::read(&target).unwrap().len(), 10_000);
}

#[test]
fn dataset_member_inflating_past_the_decompressed_cap_names_member_and_cap() {
    // 8 MiB of zeros deflate to a few KiB: a small zip bomb.
    let path = scratch("bomb").join("bomb.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    writer.start_file("events.json", options).unwrap();
    writer.write_all(&vec![0u8; 8 << 20]).unwrap();
    writer.finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 64 * 1024, "the member compresses well");
    let error = load_zip_with_limits(&path, SMALL).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "{}!events.json is larger than the decompressed-size cap of 65536 bytes (64 KiB); set MSTIC_MAX_DECOMPRESSED_BYTES to raise it",
            path.display()
        )
    );
}
