//! The OTRF / Mordor driver: catalogue, search, query names, dataset loading from local folders,
//! the cache and a real HTTP server on 127.0.0.1, and bad zips.

use mstic_core::paths::fixture;
use mstic_data::drivers::otrf::{OtrfCatalog, load_zip};
use mstic_data::drivers::{OtrfDriver, create_driver};
use mstic_data::{Driver, DriverSettings, QueryOptions};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const PROXYLOGON: &str = "atomic.windows.persistence.host.proxylogon_ssrf_rce_poc";
const DISCOVERY: &str = "atomic.windows.discovery.host.cmd_discover_iexplorer_version_registry";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mstic-data-otrf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn fixture_settings(save_folder: &std::path::Path) -> DriverSettings {
    DriverSettings::with_data_paths([fixture("otrf").unwrap(), fixture("msticpy/testdata/mordor").unwrap()])
        .set("save_folder", save_folder.display().to_string())
        .set("offline", "true")
}

#[test]
fn catalogue_reads_metadata_yaml_and_msticpy_cache() {
    let catalog = OtrfCatalog::load(&[fixture("otrf").unwrap(), fixture("msticpy/testdata/mordor").unwrap()]).expect("catalog");
    assert_eq!(catalog.len(), 96);
    let entry = catalog.get("SDWIN-210314014019").expect("proxylogon");
    assert_eq!(entry.title, "Exchange ProxyLogon SSRF RCE Vuln POC");
    assert_eq!(entry.techniques(), vec!["T1505.003"]);
    assert_eq!(entry.tactics(), vec!["TA0003", "TA0002"]);
    assert_eq!(entry.files[0].query_path, PROXYLOGON);
    assert!(catalog.by_technique("T1505").contains(&entry.id));
    assert!(catalog.by_technique("t1505.003").contains(&entry.id));
    assert!(catalog.by_tactic("Persistence").contains(&entry.id));
    assert!(catalog.by_tactic("TA0003").contains(&entry.id));
    let err = catalog.get("SDWIN-21031401401").expect_err("unknown id").to_string();
    assert!(err.contains("SDWIN-210314014019"), "{err}");
    let table = catalog.to_frame().expect("frame");
    assert_eq!(table.len(), 96);
}

#[test]
fn search_follows_msticpy_terms() {
    let catalog = OtrfCatalog::load(&[fixture("msticpy/testdata/mordor").unwrap()]).expect("catalog");
    assert_eq!(catalog.search("AWS").len(), 1);
    assert_eq!(catalog.search("Empire").len(), 39);
    assert_eq!(catalog.search("Empire+Power").len(), 18);
    assert_eq!(catalog.search("Empire, Windows").len(), 92);
    assert_eq!(catalog.search("Covenant").len(), 18);
}

#[test]
fn driver_queries_are_named_as_msticpy_names_them() {
    let save = temp_dir("queries");
    let mut driver = create_driver("Mordor", &fixture_settings(&save)).expect("driver");
    driver.connect().expect("connect");
    let queries = driver.driver_queries();
    assert_eq!(queries.len(), 133);
    let proxylogon = queries
        .iter()
        .find(|q| format!("{}.{}", q.family, q.name) == PROXYLOGON)
        .expect("proxylogon query");
    assert_eq!(proxylogon.family, "atomic");
    assert!(proxylogon.query.starts_with("https://raw.githubusercontent.com/OTRF/Security-Datasets/master/datasets/"));
    assert!(proxylogon.description.contains("Mordor ID: SDWIN-210314014019"), "{}", proxylogon.description);
    assert!(proxylogon.description.contains("Mitre Tactics: TA0003: Persistence, TA0002: Execution"));
    let aws = OtrfDriver::new(&fixture_settings(&save)).search_queries("AWS").expect("search");
    assert!(aws.iter().any(|hit| hit.starts_with("atomic.aws.collection")), "{aws:?}");
}

#[test]
fn loads_the_proxylogon_dataset_from_a_local_folder() {
    let save = temp_dir("local");
    let driver = OtrfDriver::new(&fixture_settings(&save));
    let events = driver.load_dataset(PROXYLOGON).expect("dataset");
    assert_eq!(events.len(), 10_487);
    let counts = events.count_by("EventID").expect("count");
    assert_eq!(counts.len(), 47);
    let top = counts.head(2);
    assert_eq!(top.column_strings("EventID").expect("ids"), vec![Some("10".into()), Some("4658".into())]);
    assert_eq!(top.column_strings("count").expect("counts"), vec![Some("3626".into()), Some("2398".into())]);
    // The download link and a zip path load the same data.
    let link = "https://raw.githubusercontent.com/OTRF/Security-Datasets/master/datasets/atomic/windows/persistence/host/proxylogon_ssrf_rce_poc.zip";
    assert_eq!(driver.query(link, &QueryOptions::default()).expect("by link").len(), 10_487);
    let by_path = fixture("otrf/cmd_discover_iexplorer_version_registry.zip").unwrap();
    assert_eq!(driver.query(&by_path.display().to_string(), &QueryOptions::default()).expect("by path").len(), 68);
}

#[test]
fn offline_without_a_copy_names_the_url_and_cache_path() {
    let save = temp_dir("offline");
    let driver = OtrfDriver::new(&DriverSettings::with_data_paths([fixture("msticpy/testdata/mordor").unwrap()])
        .set("save_folder", save.display().to_string())
        .set("offline", "true"));
    let err = driver.load_dataset(DISCOVERY).expect_err("offline").to_string();
    assert!(err.contains("cmd_discover_iexplorer_version_registry.zip"), "{err}");
    assert!(err.contains(&save.join("atomic-windows-discovery-host-cmd_discover_iexplorer_version_registry.zip").display().to_string()), "{err}");
    assert!(err.contains("offline"), "{err}");
}

/// Serves each route's body (path suffix → status and body; 404 otherwise) on 127.0.0.1; returns
/// the server's `http://127.0.0.1:port` address and the request counter.
fn serve_routes(routes: Vec<(String, &'static str, Vec<u8>)>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let request = String::from_utf8_lossy(&request);
            let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
            counter.fetch_add(1, Ordering::SeqCst);
            let found = routes.iter().find(|(suffix, _, _)| path.ends_with(suffix.as_str()));
            let (status, payload): (&str, &[u8]) = match found {
                Some((_, status, body)) => (status, body),
                None => ("404 Not Found", b"not found"),
            };
            let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", payload.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(payload);
        }
    });
    (address, hits)
}

/// Serves `body` for requests whose path ends with `suffix`; returns the datasets base URL.
fn serve_zip(suffix: &'static str, body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let (address, hits) = serve_routes(vec![(suffix.to_string(), "200 OK", body)]);
    (format!("{address}/datasets/"), hits)
}

/// A git-trees listing of `paths` (blobs) plus one folder entry, as GitHub's API answers.
fn tree_listing(paths: &[&str]) -> Vec<u8> {
    let mut tree = vec![serde_json::json!({"path": "datasets/atomic/_metadata", "mode": "040000", "type": "tree", "sha": "0"})];
    tree.extend(paths.iter().map(|p| serde_json::json!({"path": p, "mode": "100644", "type": "blob", "sha": "1", "size": 10})));
    serde_json::to_vec(&serde_json::json!({"sha": "master", "url": "", "tree": tree, "truncated": false})).unwrap()
}

#[test]
fn a_provider_without_settings_downloads_the_catalogue_once_then_reads_its_cache() {
    let metadata = ["SDWIN-200806115603.yaml", "SDWIN-201021232814.yaml", "SDWIN-210314014019.yaml"];
    let listed_zip = "datasets/atomic/windows/discovery/host/cmd_discover_iexplorer_version_registry.zip";
    let mut routes = catalogue_routes(&metadata, &[listed_zip]);
    let zip = std::fs::read(fixture("otrf/cmd_discover_iexplorer_version_registry.zip").unwrap()).unwrap();
    routes.push(("/datasets/atomic/windows/discovery/host/cmd_discover_iexplorer_version_registry.zip".into(), "200 OK", zip));
    let (address, hits) = serve_routes(routes);
    let save = temp_dir("catalogue-download");
    // The user's msticpyconfig.yaml points the driver at the server; the notebook writes one line.
    let config = mstic_core::config::MsticConfig::from_yaml_str(&format!(
        "DataProviders:\n  Mordor:\n    save_folder: {}\n    base_url: {address}/datasets/\n    tree_url: {address}/repos/OTRF/Security-Datasets/git/trees/master?recursive=1\n",
        save.display()
    ), "msticpyconfig.yaml")
    .expect("config");
    let mut qp = mstic_data::provider::QueryProvider::with_config("Mordor", &config, &[]).expect("provider");
    qp.connect().expect("connect downloads the catalogue");
    assert_eq!(hits.load(Ordering::SeqCst), 4, "the listing and three metadata files");
    assert!(save.join("mordor_cache.json").is_file());
    let names = qp.store().names();
    assert!(names.iter().any(|n| n.ends_with(PROXYLOGON)), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("lateral_movement.host.covenant_psremoting_command")), "{names:?}");
    let events = qp.query(DISCOVERY).run().expect("dataset");
    assert_eq!(events.len(), 68);
    assert_eq!(hits.load(Ordering::SeqCst), 5);
    // A second provider reads the saved catalogue: no more requests.
    let mut again = mstic_data::provider::QueryProvider::with_config("Mordor", &config, &[]).expect("provider");
    again.connect().expect("connect from the cache");
    assert_eq!(again.store().names().len(), names.len());
    assert_eq!(hits.load(Ordering::SeqCst), 5);
}

#[test]
fn a_refused_catalogue_listing_names_the_url_and_leaves_no_cache() {
    let body = br#"{"message": "API rate limit exceeded for 127.0.0.1."}"#.to_vec();
    let (address, _) = serve_routes(vec![("/trees/master?recursive=1".into(), "403 Forbidden", body)]);
    let save = temp_dir("catalogue-refused");
    let tree_url = format!("{address}/repos/OTRF/Security-Datasets/git/trees/master?recursive=1");
    let mut driver = OtrfDriver::new(&DriverSettings::default()
        .set("save_folder", save.display().to_string())
        .set("tree_url", tree_url.clone()));
    let err = driver.connect().expect_err("403").to_string();
    assert!(err.contains(&tree_url) && err.contains("403"), "{err}");
    assert!(!save.join("mordor_cache.json").exists());
}

#[test]
fn downloads_from_a_configurable_base_url_then_uses_the_cache() {
    let zip = std::fs::read(fixture("otrf/cmd_discover_iexplorer_version_registry.zip").unwrap()).expect("zip");
    let (base, hits) = serve_zip("/atomic/windows/discovery/host/cmd_discover_iexplorer_version_registry.zip", zip);
    let save = temp_dir("download");
    let settings = DriverSettings::with_data_paths([fixture("msticpy/testdata/mordor").unwrap()])
        .set("save_folder", save.display().to_string())
        .set("base_url", base.clone());
    let driver = OtrfDriver::new(&settings);
    let events = driver.load_dataset(DISCOVERY).expect("download");
    assert_eq!(events.len(), 68);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let cached = save.join("atomic-windows-discovery-host-cmd_discover_iexplorer_version_registry.zip");
    assert!(cached.is_file());
    // A new driver, offline, loads the cached copy.
    let offline = OtrfDriver::new(&settings.clone().set("offline", "true"));
    assert_eq!(offline.load_dataset(DISCOVERY).expect("cached").len(), 68);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // A dataset the server does not have: the error names the URL and the status.
    let err = driver.load_dataset(PROXYLOGON).expect_err("404").to_string();
    assert!(err.contains(&format!("{base}atomic/windows/persistence/host/proxylogon_ssrf_rce_poc.zip")), "{err}");
    assert!(err.contains("404"), "{err}");
}

#[test]
fn unreachable_server_gives_a_clear_error() {
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let save = temp_dir("unreachable");
    let driver = OtrfDriver::new(&DriverSettings::with_data_paths([fixture("msticpy/testdata/mordor").unwrap()])
        .set("save_folder", save.display().to_string())
        .set("base_url", format!("http://127.0.0.1:{port}/")));
    let err = driver.load_dataset(DISCOVERY).expect_err("refused").to_string();
    assert!(err.contains(&format!("http://127.0.0.1:{port}/atomic/windows/discovery")), "{err}");
    assert!(err.contains(&save.display().to_string()), "{err}");
    assert!(!save.join("atomic-windows-discovery-host-cmd_discover_iexplorer_version_registry.zip").exists());
}

fn write_zip(path: &std::path::Path, members: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).expect("create zip");
    let mut writer = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in members {
        writer.start_file(*name, options).expect("member");
        writer.write_all(data).expect("write member");
    }
    writer.finish().expect("finish zip");
}

#[test]
fn corrupt_and_unusable_zips_say_so() {
    let dir = temp_dir("bad-zips");
    let corrupt = dir.join("corrupt.zip");
    std::fs::write(&corrupt, b"PK\x03\x04 this is not really a zip").expect("write");
    let err = load_zip(&corrupt).expect_err("corrupt").to_string();
    assert!(err.contains("corrupt.zip") && err.contains("not a readable zip"), "{err}");

    let bad_json = dir.join("bad_json.zip");
    write_zip(&bad_json, &[("events.json", b"{\"EventID\": 1}\n{\"EventID\": 2\n")]);
    let err = load_zip(&bad_json).expect_err("bad member").to_string();
    assert!(err.contains("bad_json.zip!events.json") && err.contains("line 2"), "{err}");

    let capture = dir.join("network.zip");
    write_zip(&capture, &[("traffic.pcapng", b"\x0a\x0d\x0d\x0a")]);
    let err = load_zip(&capture).expect_err("no data").to_string();
    assert!(err.contains("traffic.pcapng") && err.contains("no JSON-lines or CSV data"), "{err}");

    let missing = load_zip(&dir.join("missing.zip")).expect_err("missing").to_string();
    assert!(missing.contains("missing.zip"), "{missing}");
}

#[test]
fn connect_without_metadata_explains_where_it_looked() {
    let empty = temp_dir("no-metadata");
    let settings = DriverSettings::with_data_paths([&empty]).set("save_folder", empty.display().to_string()).set("offline", "true");
    let mut driver = OtrfDriver::new(&settings);
    let err = driver.connect().expect_err("no metadata").to_string();
    assert!(err.contains("mordor_cache.json") && err.contains(&empty.display().to_string()), "{err}");
    assert!(err.contains("downloads are off"), "{err}");
}

#[test]
fn filtering_the_proxylogon_dataset_keeps_file_order_on_every_run() {
    let events = load_zip(&fixture("otrf/proxylogon_ssrf_rce_poc.zip").unwrap()).expect("dataset");
    assert!(events.batches().len() > 1, "the dataset should load as several batches, got {}", events.batches().len());
    // File order, read row by row: the "@timestamp" of each event 10 (process access).
    let expected: Vec<Option<String>> = events
        .rows()
        .filter(|row| row.get::<i64>("EventID").unwrap() == Some(10))
        .map(|row| row.get::<String>("@timestamp").unwrap())
        .collect();
    assert_eq!(expected.len(), 3626);
    for run in 0..20 {
        let filtered = events.sql("select * from t where EventID = 10").expect("filter");
        assert_eq!(filtered.values::<String>("@timestamp").unwrap(), expected, "run {run}");
        let head = filtered.head(5).values::<String>("@timestamp").unwrap();
        assert_eq!(head, expected[..5], "run {run}");
    }
}

/// Routes serving each of `metadata` (fixture files in `otrf/`, under `datasets/atomic/_metadata/`)
/// and a listing of them plus the `also_listed` paths.
fn catalogue_routes(metadata: &[&str], also_listed: &[&str]) -> Vec<(String, &'static str, Vec<u8>)> {
    let paths: Vec<String> = metadata.iter().map(|name| format!("datasets/atomic/_metadata/{name}")).collect();
    let mut routes: Vec<(String, &'static str, Vec<u8>)> = metadata
        .iter()
        .map(|name| (format!("/datasets/atomic/_metadata/{name}"), "200 OK", std::fs::read(fixture(&format!("otrf/{name}")).unwrap()).unwrap()))
        .collect();
    let mut listed: Vec<&str> = paths.iter().map(String::as_str).collect();
    listed.extend_from_slice(also_listed);
    routes.push(("/git/trees/master?recursive=1".into(), "200 OK", tree_listing(&listed)));
    routes
}

fn catalogue_driver(address: &str, save: &std::path::Path, extra: &[(&str, &str)]) -> OtrfDriver {
    let mut settings = DriverSettings::default()
        .set("save_folder", save.display().to_string())
        .set("base_url", format!("{address}/datasets/"))
        .set("tree_url", format!("{address}/repos/OTRF/Security-Datasets/git/trees/master?recursive=1"));
    for (name, value) in extra {
        settings = settings.set(*name, *value);
    }
    OtrfDriver::new(&settings)
}

fn age_catalogue(save: &std::path::Path, days: u64) {
    let file = std::fs::File::options().write(true).open(save.join("mordor_cache.json")).expect("cache file");
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400)).expect("set mtime");
}

#[test]
fn a_catalogue_older_than_thirty_days_is_downloaded_again_and_kept_when_that_fails() {
    let save = temp_dir("catalogue-age");
    let (first, first_hits) = serve_routes(catalogue_routes(&["SDWIN-200806115603.yaml"], &[]));
    let mut driver = catalogue_driver(&first, &save, &[]);
    driver.connect().expect("first download");
    assert_eq!(first_hits.load(Ordering::SeqCst), 2);
    let one = driver.driver_queries().len();
    assert!(one > 0);

    // 29 days old: used as it is.
    let (second, second_hits) = serve_routes(catalogue_routes(&["SDWIN-200806115603.yaml", "SDWIN-210314014019.yaml"], &[]));
    age_catalogue(&save, 29);
    let mut driver = catalogue_driver(&second, &save, &[]);
    driver.connect().expect("fresh enough");
    assert_eq!((second_hits.load(Ordering::SeqCst), driver.driver_queries().len()), (0, one));

    // 31 days old: downloaded again, and the new dataset appears.
    age_catalogue(&save, 31);
    let mut driver = catalogue_driver(&second, &save, &[]);
    driver.connect().expect("refreshed");
    assert_eq!(second_hits.load(Ordering::SeqCst), 3, "the listing and two metadata files");
    let two = driver.driver_queries().len();
    assert!(two > one, "{two} queries after the refresh, {one} before");

    // Old again, and the service refuses: the old catalogue stays in use and on disk.
    let (refusing, refused_hits) = serve_routes(vec![("/trees/master?recursive=1".into(), "500 Internal Server Error", b"down".to_vec())]);
    age_catalogue(&save, 40);
    let mut driver = catalogue_driver(&refusing, &save, &[]);
    driver.connect().expect("a failed refresh keeps the catalogue");
    assert_eq!((refused_hits.load(Ordering::SeqCst), driver.driver_queries().len()), (1, two));

    // `0` never refreshes by age; offline neither.
    for extra in [("catalogue_max_age_days", "0"), ("offline", "true")] {
        let mut driver = catalogue_driver(&refusing, &save, &[extra]);
        driver.connect().expect("no refresh");
        assert_eq!(driver.driver_queries().len(), two);
    }
    assert_eq!(refused_hits.load(Ordering::SeqCst), 1);

    let mut driver = catalogue_driver(&refusing, &save, &[("catalogue_max_age_days", "thirty")]);
    let err = driver.connect().expect_err("not a number").to_string();
    assert!(err.contains("catalogue_max_age_days") && err.contains("'thirty'"), "{err}");
}
