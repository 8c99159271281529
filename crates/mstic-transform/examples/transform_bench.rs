//! Timing runs for `bench/transform_bench.py`: one measurement per invocation, printed as a JSON
//! line with the seconds of the measured step and the process's peak resident memory.
//!
//! ```text
//! cargo run --release -p mstic-transform --example transform_bench -- ioc
//! cargo run --release -p mstic-transform --example transform_bench -- mde
//! cargo run --release -p mstic-transform --example transform_bench -- win4688 1000000
//! ```

use arrow::array::{ArrayRef, Int64Array, StringArray, TimestampNanosecondArray};
use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_transform::{ExtractOptions, IocExtractor, ProcSchema, build_process_tree, read_zipped_json_lines};
use std::sync::Arc;
use std::time::Instant;

/// Peak resident set size in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A deterministic Windows 4688 log: `events` process creations on 20 hosts, each child of a
/// recent process on its host at most 8 generations deep (as real session trees are), process ids
/// reused over time (hex, as in the real log).
fn generate_4688(events: usize) -> Frame {
    let mut state: u64 = 0x2545F4914F6CDD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let images = ["C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\System32\\conhost.exe", "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "C:\\Windows\\System32\\svchost.exe",
        "C:\\Program Files\\App\\agent.exe", "C:\\Windows\\System32\\whoami.exe", "C:\\Windows\\System32\\net.exe"];
    let hosts = 20usize;
    let mut recent: Vec<Vec<(String, &str, usize)>> = vec![Vec::new(); hosts];
    let (mut times, mut host_col, mut names, mut pids, mut ppids, mut parents, mut cmds) =
        (Vec::with_capacity(events), Vec::with_capacity(events), Vec::with_capacity(events), Vec::with_capacity(events),
         Vec::with_capacity(events), Vec::with_capacity(events), Vec::with_capacity(events));
    let start: i64 = 1_700_000_000_000_000_000;
    for i in 0..events {
        let host = (next() as usize) % hosts;
        let image = images[(next() as usize) % images.len()];
        let pid = format!("0x{:x}", 4 + 4 * ((next() as usize) % 16_384));
        let (ppid, parent_image, parent_depth) = match recent[host].len() {
            0 => ("0x4".to_string(), "System", 0),
            n => match recent[host][n - 1 - (next() as usize) % n.min(8)].clone() {
                (_, _, depth) if depth >= 8 => ("0x4".to_string(), "System", 0),
                parent => parent,
            },
        };
        times.push(start + i as i64 * 1_000_000 + (next() % 1000) as i64);
        host_col.push(format!("HOST{host:02}.contoso.com"));
        names.push(image.to_string());
        cmds.push(format!("{image} /c task {i}"));
        pids.push(pid.clone());
        ppids.push(ppid);
        parents.push(parent_image.to_string());
        recent[host].push((pid, image, parent_depth + 1));
        if recent[host].len() > 64 {
            recent[host].drain(..32);
        }
    }
    let text = |v: Vec<String>| Arc::new(StringArray::from(v)) as ArrayRef;
    Frame::from_columns(vec![
        ("TimeGenerated".into(), Arc::new(TimestampNanosecondArray::from(times).with_timezone("UTC")) as ArrayRef),
        ("Computer".into(), text(host_col)),
        ("EventID".into(), Arc::new(Int64Array::from(vec![4688; events])) as ArrayRef),
        ("NewProcessName".into(), text(names)),
        ("NewProcessId".into(), text(pids)),
        ("ProcessId".into(), text(ppids)),
        ("ParentProcessName".into(), text(parents)),
        ("CommandLine".into(), text(cmds)),
        ("SubjectLogonId".into(), text(vec!["0x3e7".to_string(); events])),
        ("TargetLogonId".into(), text(vec!["0x0".to_string(); events])),
    ])
    .expect("generated columns have equal length")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map(String::as_str).unwrap_or("ioc");
    match which {
        "ioc" => {
            let events = read_zipped_json_lines(fixture("otrf/proxylogon_ssrf_rce_poc.zip").expect("fixture folder (set MSTIC_FIXTURES)"), None).expect("proxylogon dataset");
            let extractor = IocExtractor::new();
            let started = Instant::now();
            let iocs = extractor.extract_frame(&events, &["Message"], &ExtractOptions::new()).expect("extraction");
            let seconds = started.elapsed().as_secs_f64();
            println!(
                r#"{{"bench": "ioc_extract", "rows": {}, "observables": {}, "seconds": {seconds:.4}, "peak_rss_mib": {:.1}}}"#,
                events.len(), iocs.len(), peak_rss_mib()
            );
        }
        "mde" => {
            let events = Frame::read_csv(fixture("msticpy/testdata/mde_proc_cs1.csv").expect("fixture folder (set MSTIC_FIXTURES)")).expect("mde_proc_cs1.csv");
            // A build takes milliseconds: the best of 20 in one process (the MSTICPy side takes its best of 3).
            let mut seconds = f64::MAX;
            let mut tree = None;
            for _ in 0..20 {
                let started = Instant::now();
                tree = Some(build_process_tree(&events, Some(&ProcSchema::mde_internal())).expect("tree"));
                seconds = seconds.min(started.elapsed().as_secs_f64());
            }
            let tree = tree.expect("built at least once");
            println!(
                r#"{{"bench": "proc_tree_mde", "rows": {}, "processes": {}, "seconds": {seconds:.4}, "peak_rss_mib": {:.1}}}"#,
                events.len(), tree.len(), peak_rss_mib()
            );
        }
        "win4688" => {
            let events: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
            let frame = generate_4688(events);
            let rss_before = peak_rss_mib();
            let started = Instant::now();
            let tree = build_process_tree(&frame, None).expect("tree");
            let seconds = started.elapsed().as_secs_f64();
            let summary = tree.summary();
            println!(
                r#"{{"bench": "proc_tree_4688", "rows": {events}, "processes": {}, "roots": {}, "depth": {}, "seconds": {seconds:.4}, "peak_rss_mib": {:.1}, "rss_after_generation_mib": {rss_before:.1}}}"#,
                summary.processes, summary.root_processes, summary.largest_tree_depth, peak_rss_mib()
            );
        }
        other => {
            eprintln!("unknown benchmark '{other}' (use ioc, mde or win4688 N)");
            std::process::exit(2);
        }
    }
}
