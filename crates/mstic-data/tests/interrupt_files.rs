//! Interrupting the file drivers: LocalData, OSQuery and Velociraptor reads of large generated
//! files, and OTRF dataset downloads (from a slow real HTTP server on 127.0.0.1) and zip
//! extraction stop with `Error::Interrupted` soon after `interrupt::request()`, leave nothing
//! half-written in the cache, and work after `interrupt::clear()`.
//!
//! The interrupt flag is process-wide: these tests take one lock so they run one at a time, and
//! they live in their own test binary so no other test sees the flag.

use mstic_data::drivers::otrf::load_zip;
use mstic_data::drivers::{LocalDataDriver, OsQueryDriver, OtrfDriver, VelociraptorDriver};
use mstic_data::{Driver, DriverSettings, QueryOptions};
use mstic_demo::{HttpResponse, LocalServer, fixture};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use mstic_demo::interrupt_probe::{lock_interrupt_flag, interrupted_when, interrupted_after};

/// A fresh folder under the system temp folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("mstic-interrupt-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// The names of the files in the folder.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `lines` lines made by `line` to `path`.
fn write_lines(path: &Path, lines: usize, line: impl Fn(usize) -> String) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..lines {
        writeln!(file, "{}", line(i)).unwrap();
    }
    file.flush().unwrap();
}

/// One process event as a JSON line.
fn process_event(i: usize) -> String {
    format!(
        r#"{{"Pid":{i},"Ppid":{},"Name":"svchost-{}.exe","CommandLine":"C:\\Windows\\System32\\svchost.exe -k netsvcs -p -s Schedule {i}","CreateTime":"2024-05-01T10:{:02}:{:02}Z","Username":"NT AUTHORITY\\SYSTEM"}}"#,
        i / 3,
        i % 50,
        (i / 60) % 60,
        i % 60
    )
}

/// `read` interrupted part-way (a tenth into the time a full read takes) fails with
/// `Error::Interrupted`, sooner than the full read; before and after, it gives `rows` rows. The
/// time of a full read is returned.
fn assert_stops_partway(rows: usize, read: impl Fn() -> mstic_core::Result<mstic_core::Frame>) -> Duration {
    let started = Instant::now();
    assert_eq!(read().expect("a full read").len(), rows);
    let full = started.elapsed();
    let (result, stopped_in) = interrupted_after(full / 10, &read);
    let error = result.expect_err("the read was interrupted");
    assert!(error.is_interrupted(), "{error}");
    assert!(stopped_in < full, "stopped {stopped_in:?} after the interrupt; a full read takes {full:?}");
    assert_eq!(read().expect("the read works after clear()").len(), rows);
    full
}

#[test]
fn a_local_data_load_stops_and_is_not_cached_half_read() {
    let _serial = lock_interrupt_flag();
    let dir = TempDir::new("local");
    let rows = 300_000;
    write_lines(&dir.path().join("events.csv"), rows + 1, |i| {
        if i == 0 { "Pid,Name,CommandLine".to_string() } else { format!("{i},svchost-{}.exe,C:\\Windows\\System32\\svchost.exe -k netsvcs {i}", i % 50) }
    });
    // A new driver for each read: a driver keeps the files it has read.
    let full = assert_stops_partway(rows, || LocalDataDriver::from_paths([dir.path()]).query("events.csv", &QueryOptions::default()));
    let driver = LocalDataDriver::from_paths([dir.path()]);
    let (result, _) = interrupted_after(full / 10, || driver.query("events.csv", &QueryOptions::default()));
    assert!(result.expect_err("interrupted").is_interrupted());
    assert_eq!(driver.query("events.csv", &QueryOptions::default()).expect("read whole after clear()").len(), rows, "nothing half-read was kept");
    let counted = driver.query("select count(*) as n from events where Pid > 10", &QueryOptions::default()).unwrap();
    assert_eq!(counted.column_strings("n").unwrap(), [Some((rows - 10).to_string())]);
}

#[test]
fn an_osquery_log_read_stops() {
    let _serial = lock_interrupt_flag();
    let dir = TempDir::new("osquery");
    let rows = 150_000;
    write_lines(&dir.path().join("osqueryd.results.log"), rows, |i| {
        format!(
            r#"{{"name":"pack_osquery-custom-pack_processes","hostIdentifier":"host-{}","calendarTime":"Wed May  1 10:00:00 2024 UTC","unixTime":"{}","epoch":0,"counter":{i},"numerics":false,"decorations":{{"host_uuid":"4740D59F-699E-5B29-960B-979AAF9BBEEB"}},"columns":{{"pid":"{i}","name":"svchost.exe","cmdline":"svchost.exe -k netsvcs {i}"}},"action":"added"}}"#,
            i % 20,
            1_714_557_600 + i
        )
    });
    let settings = DriverSettings::with_data_paths([dir.path()]);
    assert_stops_partway(rows, || OsQueryDriver::new(&settings).query("processes", &QueryOptions::default()));
}

#[test]
fn a_velociraptor_artifact_read_stops() {
    let _serial = lock_interrupt_flag();
    let dir = TempDir::new("velociraptor");
    let rows = 200_000;
    write_lines(&dir.path().join("Windows.System.Pslist.json"), rows, process_event);
    let settings = DriverSettings::with_data_paths([dir.path()]);
    assert_stops_partway(rows, || VelociraptorDriver::new(&settings).query("Windows_System_Pslist", &QueryOptions::default()));
}

const DISCOVERY: &str = "atomic.windows.discovery.host.cmd_discover_iexplorer_version_registry";

#[test]
fn an_otrf_download_stops_and_leaves_nothing_in_the_cache() {
    let _serial = lock_interrupt_flag();
    let zip = std::fs::read(fixture("otrf/cmd_discover_iexplorer_version_registry.zip").unwrap()).unwrap();
    let slow = Arc::new(AtomicBool::new(true));
    let slow_answers = slow.clone();
    let server = LocalServer::start(move |_| {
        let answer = HttpResponse::bytes(200, "application/zip", zip.clone());
        if slow_answers.load(Ordering::SeqCst) { answer.with_delay(Duration::from_secs(60)) } else { answer }
    })
    .unwrap();
    let save = TempDir::new("otrf-cache");
    let settings = DriverSettings::with_data_paths([fixture("msticpy/testdata/mordor").unwrap()])
        .set("save_folder", save.path().display().to_string())
        .set("base_url", format!("{}/datasets/", server.url()));
    let driver = OtrfDriver::new(&settings);
    let (result, stopped_in) = interrupted_when(|| server.request_count() >= 1, || driver.load_dataset(DISCOVERY));
    let error = result.expect_err("the download was interrupted");
    assert!(error.is_interrupted(), "{error}");
    assert!(error.to_string().contains("cmd_discover_iexplorer_version_registry.zip"), "{error}");
    assert!(stopped_in < Duration::from_secs(15), "stopped {stopped_in:?} after the interrupt; the answer takes 60 s");
    assert!(save.files().is_empty(), "nothing cached: {:?}", save.files());

    slow.store(false, Ordering::SeqCst);
    assert_eq!(driver.load_dataset(DISCOVERY).expect("downloads after clear()").len(), 68);
    assert_eq!(save.files(), ["atomic-windows-discovery-host-cmd_discover_iexplorer_version_registry.zip"]);
}

#[test]
fn an_otrf_zip_extraction_stops() {
    let _serial = lock_interrupt_flag();
    let dir = TempDir::new("otrf-zip");
    let path = dir.path().join("big_dataset.zip");
    let rows = 200_000;
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for part in 0..2 {
        writer.start_file(format!("big_dataset_{part}.json"), options).unwrap();
        for i in 0..rows / 2 {
            writeln!(writer, "{}", process_event(part * rows / 2 + i)).unwrap();
        }
    }
    writer.finish().unwrap();
    assert_stops_partway(rows, || load_zip(&path));
}
