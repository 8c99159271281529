//! Interrupting transforms over large generated frames: IoC extraction (rows scanned on all
//! cores), base64 unpacking and process-tree building stop with `Error::Interrupted` soon after
//! `interrupt::request()`, and give their full result after `interrupt::clear()`.
//!
//! The interrupt flag is process-wide: these tests take one lock so they run one at a time, and
//! they live in their own test binary so no other test sees the flag.

use arrow::array::{ArrayRef, Int64Array, StringArray, TimestampNanosecondArray};
use mstic_core::Frame;
use mstic_transform::{ExtractOptions, IocExtractor, UnpackOptions, build_process_tree, unpack_frame};
use std::sync::Arc;
use std::time::Instant;
use mstic_demo::interrupt_probe::{lock_interrupt_flag, interrupted_after};

/// `work` interrupted part-way (a tenth into the time a full run takes) fails with
/// `Error::Interrupted` naming `what`, sooner than the full run; after `clear()` it gives the
/// full result again. Both full results are returned.
fn assert_stops<T>(what: &str, work: impl Fn() -> mstic_core::Result<T>) -> (T, T) {
    let started = Instant::now();
    let full = work().expect("a full run");
    let full_run = started.elapsed();
    let (result, stopped_in) = interrupted_after(full_run / 10, &work);
    let error = result.err().expect("the work was interrupted");
    assert_eq!(error.to_string(), format!("interrupted: {what} was stopped"));
    assert!(stopped_in < full_run, "stopped {stopped_in:?} after the interrupt; a full run takes {full_run:?}");
    let again = work().expect("the work runs after clear()");
    (full, again)
}

fn text_frame(column: &str, rows: usize, line: impl Fn(usize) -> String) -> Frame {
    let values: ArrayRef = Arc::new(StringArray::from_iter_values((0..rows).map(line)));
    Frame::from_columns(vec![(column.to_string(), values)]).unwrap()
}

#[test]
fn ioc_extraction_over_a_large_frame_stops() {
    let _serial = lock_interrupt_flag();
    let rows = 150_000;
    let frame = text_frame("Message", rows, |i| {
        format!(
            "Connection from 185.92.{}.{} to http://update{i}.contoso-cdn.com/files/{i}.bin by user{}@contoso.com, sha256 {:064x}",
            (i / 250) % 250,
            i % 250,
            i % 97,
            i
        )
    });
    let extractor = IocExtractor::new();
    let (first, found) = assert_stops("the IoC extraction", || extractor.extract_frame(&frame, &["Message"], &ExtractOptions::new()));
    assert_eq!(first.to_batch().unwrap(), found.to_batch().unwrap());
    let types = found.column_strings("IoCType").unwrap();
    assert_eq!(types.iter().filter(|t| t.as_deref() == Some("ipv4")).count(), rows);
    assert_eq!(types.iter().filter(|t| t.as_deref() == Some("url")).count(), rows);
}

#[test]
fn base64_unpacking_over_a_large_frame_stops() {
    let _serial = lock_interrupt_flag();
    let rows = 60_000;
    // "powershell -enc" payloads: base64 of `Write-Host 'task N'` repeated.
    use base64::Engine;
    let frame = text_frame("CommandLine", rows, |i| {
        let payload = base64::engine::general_purpose::STANDARD.encode(format!("Write-Host 'task {i}'; Start-Sleep -Seconds {}", i % 30));
        format!("powershell.exe -nop -enc {payload}")
    });
    let (first, unpacked) = assert_stops("unpacking base64", || unpack_frame(&frame, "CommandLine", &UnpackOptions::default()));
    assert_eq!(first.to_batch().unwrap(), unpacked.to_batch().unwrap());
    assert_eq!(unpacked.len(), rows);
    let decoded = unpacked.column_strings("decoded_string").unwrap();
    assert_eq!(decoded[7].as_deref(), Some("Write-Host 'task 7'; Start-Sleep -Seconds 7"));
}

/// A Windows 4688 log of `events` process creations on 20 hosts, in chains of eight.
fn process_events(events: usize) -> Frame {
    let start: i64 = 1_700_000_000_000_000_000;
    let images = ["C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\explorer.exe", "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\System32\\whoami.exe"];
    let pid = |i: usize| format!("0x{:x}", 8 + 4 * i);
    // Every eighth process of a host starts from System, the others from the host's previous one.
    let parent = |i: usize| if (i / 20).is_multiple_of(8) { None } else { Some(i - 20) };
    let text = |values: Vec<String>| Arc::new(StringArray::from(values)) as ArrayRef;
    Frame::from_columns(vec![
        ("TimeGenerated".into(), Arc::new(TimestampNanosecondArray::from_iter_values((0..events).map(|i| start + i as i64 * 1_000_000)).with_timezone("UTC")) as ArrayRef),
        ("Computer".into(), text((0..events).map(|i| format!("HOST{:02}.contoso.com", i % 20)).collect())),
        ("EventID".into(), Arc::new(Int64Array::from(vec![4688; events])) as ArrayRef),
        ("NewProcessName".into(), text((0..events).map(|i| images[i % images.len()].to_string()).collect())),
        ("NewProcessId".into(), text((0..events).map(pid).collect())),
        ("ProcessId".into(), text((0..events).map(|i| parent(i).map_or_else(|| "0x4".to_string(), pid)).collect())),
        ("ParentProcessName".into(), text((0..events).map(|i| parent(i).map_or("System", |p| images[p % images.len()]).to_string()).collect())),
        ("CommandLine".into(), text((0..events).map(|i| format!("{} /c task {i}", images[i % images.len()])).collect())),
        ("SubjectLogonId".into(), text(vec!["0x3e7".to_string(); events])),
        ("TargetLogonId".into(), text(vec!["0x0".to_string(); events])),
    ])
    .unwrap()
}

#[test]
fn process_tree_building_over_a_large_log_stops() {
    let _serial = lock_interrupt_flag();
    let events = process_events(600_000);
    let (first, tree) = assert_stops("building the process tree", || build_process_tree(&events, None));
    assert_eq!(first.frame().to_batch().unwrap(), tree.frame().to_batch().unwrap());
    assert_eq!(tree.schema().name, "windows_4688");
    let summary = tree.summary();
    assert_eq!(summary.processes, 600_000 + 1, "every event and the inferred System parent");
    assert_eq!(summary.root_processes, 1);
    assert_eq!(summary.leaf_processes, 600_000 / 8, "the last process of each chain of eight");
    assert_eq!(summary.largest_tree_depth, 9);
}
