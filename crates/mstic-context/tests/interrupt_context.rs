//! Interrupting context lookups: concurrent threat-intel lookups against a slow provider on
//! 127.0.0.1 (requests in flight aborted, whole answers kept in the cache, the notebook progress
//! bar ending as "interrupted"), a GeoLite2 download, RDAP whois and DNS stop with
//! `Error::Interrupted` soon after `interrupt::request()`, and the same calls work after
//! `interrupt::clear()`.
//!
//! The interrupt flag is process-wide: these tests take one lock so they run one at a time, and
//! they live in their own test binary so no other test sees the flag.

use mstic_context::geoip_download::MaxMindDownload;
use mstic_context::ti::{ProviderOptions, RateLimit, create_provider};
use mstic_context::whois::RdapClient;
use mstic_context::{LookupOptions, TiLookup, dns};
use mstic_core::interrupt;
use mstic_demo::{HttpRequest, HttpResponse, LocalServer};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use mstic_demo::interrupt_probe::{lock_interrupt_flag, interrupted_when};

/// The answer delay of the slow services: far longer than any test waits.
const SLOW: Duration = Duration::from_secs(60);
/// How soon an interrupted call must return (a slow CI machine included).
const PROMPT: Duration = Duration::from_secs(15);

fn assert_interrupted<T: std::fmt::Debug>(result: mstic_core::Result<T>, stopped_in: Duration, what: &str) {
    let error = result.expect_err("the call was interrupted");
    assert!(error.is_interrupted(), "{what}: {error}");
    assert!(stopped_in < PROMPT, "{what} stopped {stopped_in:?} after the interrupt; its answer takes {SLOW:?}");
}

/// Addresses the slow OTX stand-in answers at once.
const QUICK: [&str; 4] = ["185.92.220.1", "185.92.220.2", "185.92.220.3", "185.92.220.4"];

/// An OTX stand-in: the [`QUICK`] addresses answer at once, others only after [`SLOW`] while
/// `slow` is set.
fn otx_server(slow: Arc<AtomicBool>) -> LocalServer {
    LocalServer::start(move |request: &HttpRequest| {
        let answer = HttpResponse::json(200, json!({"pulse_info": {"count": 1, "pulses": [{"name": "demo pulse", "tags": ["c2"], "references": []}]}}));
        let quick = QUICK.iter().any(|ip| request.target.contains(&format!("/{ip}/")));
        if quick || !slow.load(Ordering::SeqCst) { answer } else { answer.with_delay(SLOW) }
    })
    .unwrap()
}

fn otx_lookup(server: &LocalServer) -> TiLookup {
    let options = ProviderOptions {
        name: "OTX".into(),
        base_url: Some(server.url()),
        rate_limit: Some(RateLimit { max_concurrent: 8, per_second: 0.0 }),
        ..Default::default()
    };
    let mut ti = TiLookup::new();
    ti.add_provider(create_provider("OTX", &options).unwrap());
    ti
}

/// Four quick addresses and 36 slow ones.
fn addresses() -> Vec<String> {
    QUICK.iter().map(|ip| ip.to_string()).chain((1..=36).map(|i| format!("185.220.101.{i}"))).collect()
}

#[test]
fn ti_lookups_stop_abort_their_requests_and_keep_whole_answers_cached() {
    let _serial = lock_interrupt_flag();
    let slow = Arc::new(AtomicBool::new(true));
    let server = otx_server(slow.clone());
    let ti = otx_lookup(&server);
    let quick: Vec<String> = QUICK.iter().map(|ip| ip.to_string()).collect();
    assert_eq!(ti.lookup_iocs(&quick, None).unwrap().len(), QUICK.len());
    assert_eq!(ti.cache_len(), QUICK.len());

    // The quick addresses come from the cache; of the 36 slow ones, 8 (the provider's
    // concurrency) are asked at once and the others wait for a free slot.
    let iocs = addresses();
    let (result, stopped_in) = interrupted_when(|| server.request_count() >= QUICK.len() + 8, || ti.lookup_iocs(&iocs, None));
    assert_interrupted(result, stopped_in, "the TI lookups");
    assert_eq!(ti.cache_len(), QUICK.len(), "nothing half-answered is cached");

    // The aborted lookups send nothing more: the 28 waiting addresses are never asked.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.request_count(), QUICK.len() + 8);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(server.request_count(), QUICK.len() + 8, "no lookup task is left running");

    slow.store(false, Ordering::SeqCst);
    let frame = ti.lookup_iocs(&iocs, None).expect("the lookups run after clear()");
    assert_eq!(frame.len(), iocs.len());
    assert_eq!(server.request_count(), QUICK.len() + 8 + 36, "the cached answers are reused");
}

/// Text of the last display update whose plain text starts with `label`, from kernel display
/// messages on stdout.
fn last_progress_text(stdout: &str, label: &str) -> Option<String> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix(mstic_core::display::MESSAGE_MARKER))
        .filter_map(|message| serde_json::from_str::<serde_json::Value>(message).ok())
        .filter_map(|message| message["data"]["text/plain"].as_str().map(str::to_string))
        .rfind(|text| text.starts_with(label))
}

#[test]
fn the_progress_bar_of_interrupted_lookups_says_interrupted() {
    let _serial = lock_interrupt_flag();
    // The lookups run in a child process that believes it runs in the kernel, so its progress
    // display messages can be read from its stdout.
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "interrupted_lookups_in_a_kernel_process", "--nocapture", "--test-threads=1"])
        .env("MSTIC_KERNEL", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let last = last_progress_text(&stdout, "TI lookups: ").unwrap_or_else(|| panic!("no progress display in:\n{stdout}"));
    assert!(last.contains("/40 \u{2014} interrupted after "), "the bar ends as interrupted: {last}");
    assert!(!last.starts_with("TI lookups: 40/40"), "{last}");
}

/// Run by [`the_progress_bar_of_interrupted_lookups_says_interrupted`] in a child process.
#[test]
#[ignore = "run in a child process by the_progress_bar_of_interrupted_lookups_says_interrupted"]
fn interrupted_lookups_in_a_kernel_process() {
    let _serial = lock_interrupt_flag();
    assert!(mstic_core::display::in_kernel(), "started with MSTIC_KERNEL set");
    let server = otx_server(Arc::new(AtomicBool::new(true)));
    let ti = otx_lookup(&server);
    let options = LookupOptions { progress: true, ..Default::default() };
    let items: Vec<(String, Option<String>)> = addresses().into_iter().map(|ip| (ip, None)).collect();
    let (result, _) = interrupted_when(|| server.request_count() >= 8, || ti.lookup_items(&items, &options));
    assert!(result.unwrap_err().is_interrupted());
}

/// A `.tar.gz` holding `name` with `bytes`, as MaxMind serves its databases.
fn tar_gz(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, format!("GeoLite2-City_20240501/{name}"), bytes).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

/// A fresh folder under the system temp folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("mstic-interrupt-context-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// The names of the files in the folder (none when it does not exist).
    fn files(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.0) else { return Vec::new() };
        let mut names: Vec<String> = entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_geolite_download_stops_and_writes_nothing() {
    let _serial = lock_interrupt_flag();
    let database = b"demo GeoLite2 City database bytes".to_vec();
    let archive = tar_gz("GeoLite2-City.mmdb", &database);
    let slow = Arc::new(AtomicBool::new(true));
    let slow_answers = slow.clone();
    let server = LocalServer::start(move |_| {
        let answer = HttpResponse::bytes(200, "application/gzip", archive.clone());
        if slow_answers.load(Ordering::SeqCst) { answer.with_delay(SLOW) } else { answer }
    })
    .unwrap();
    let folder = TempDir::new("geolite");
    let download = MaxMindDownload { account_id: "123456".into(), license_key: "demo-license-key".into(), base_url: server.url() };
    let (result, stopped_in) = interrupted_when(|| server.request_count() >= 1, || download.fetch("GeoLite2-City", folder.path()));
    assert_interrupted(result, stopped_in, "the GeoLite2 download");
    assert!(folder.files().is_empty(), "nothing written: {:?}", folder.files());

    slow.store(false, Ordering::SeqCst);
    let path = download.fetch("GeoLite2-City", folder.path()).expect("the download works after clear()");
    assert_eq!(std::fs::read(&path).unwrap(), database);
    assert_eq!(folder.files(), ["GeoLite2-City.mmdb"]);
}

#[test]
fn rdap_whois_stops_for_one_address_and_for_a_list() {
    let _serial = lock_interrupt_flag();
    let slow = Arc::new(AtomicBool::new(true));
    let slow_answers = slow.clone();
    let server = LocalServer::start(move |request: &HttpRequest| {
        let base = format!("http://{}", request.header("host").unwrap_or("127.0.0.1"));
        let answer = if request.path().ends_with("ipv4.json") {
            HttpResponse::json(200, json!({"version": "1.0", "services": [[["8.0.0.0/8"], [format!("{base}/registry/")]]]}))
        } else {
            HttpResponse::json(200, json!({"objectClassName": "ip network", "handle": "NET-8-8-8-0-1", "name": "GOGL",
                "startAddress": "8.8.8.0", "endAddress": "8.8.8.255", "cidr0_cidrs": [{"v4prefix": "8.8.8.0", "length": 24}], "links": []}))
        };
        if slow_answers.load(Ordering::SeqCst) { answer.with_delay(SLOW) } else { answer }
    })
    .unwrap();
    let url = server.url();
    let client = RdapClient::new().with_asn_server(None).with_bootstrap_urls(&format!("{url}/ipv4.json"), &format!("{url}/ipv6.json"));
    let (result, stopped_in) = interrupted_when(|| server.request_count() >= 1, || client.lookup("8.8.8.8"));
    assert_interrupted(result, stopped_in, "the whois lookup");
    // A list stops as a whole rather than giving a row per address with the interruption as its note.
    let ips: Vec<String> = (1..=20).map(|i| format!("8.8.8.{i}")).collect();
    let (result, stopped_in) = interrupted_when(|| server.request_count() >= 2, || client.whois_frame(&ips));
    assert_interrupted(result, stopped_in, "the whois lookups");

    slow.store(false, Ordering::SeqCst);
    let record = client.lookup("8.8.8.8").expect("whois works after clear()");
    assert_eq!(record.nets.len(), 1);
    assert_eq!(record.nets[0]["handle"], "NET-8-8-8-0-1");
    assert_eq!(client.whois_frame(&ips[..2]).unwrap().len(), 2);
}

#[test]
fn dns_lookups_asked_to_stop_do_not_start() {
    let _serial = lock_interrupt_flag();
    interrupt::request();
    let forward = dns::dns_resolve("localhost").expect_err("interrupted");
    assert_eq!(forward.to_string(), "interrupted: resolving localhost was stopped");
    let reverse = dns::dns_reverse("127.0.0.1").expect_err("interrupted");
    assert_eq!(reverse.to_string(), "interrupted: the reverse lookup of 127.0.0.1 was stopped");
    interrupt::clear();
    let resolved = dns::dns_resolve("localhost").expect("resolves after clear()");
    let answers = resolved.column_strings("response").unwrap();
    assert!(answers.iter().flatten().any(|a| a == "127.0.0.1" || a == "::1"), "{answers:?}");
    assert_eq!(dns::dns_reverse("127.0.0.1").unwrap().len(), 1);
}
