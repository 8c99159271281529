//! The sample data generator: determinism, realistic relations (parents exist, encoded
//! PowerShell decodes), and a generated dataset that LocalData queries with SQL.

use base64::Engine;
use mstic_data::drivers::LocalDataDriver;
use mstic_data::sample::{self, SampleData};
use mstic_data::{Driver, QueryOptions};
use std::collections::{HashMap, HashSet};

#[test]
fn same_seed_same_rows_other_seed_other_rows() {
    let a = sample::process_events(2_000, 1);
    let b = sample::process_events(2_000, 1);
    let c = sample::process_events(2_000, 2);
    assert_eq!(a.column_strings("CommandLine").unwrap(), b.column_strings("CommandLine").unwrap());
    assert_ne!(a.column_strings("CommandLine").unwrap(), c.column_strings("CommandLine").unwrap());
    assert_eq!(a.len(), 2_000);
}

#[test]
fn every_parent_process_was_created_earlier_on_its_host() {
    let procs = sample::process_events(20_000, 42);
    let hosts = procs.column_strings("Computer").unwrap();
    let new_pids = procs.column_strings("NewProcessId").unwrap();
    let parents = procs.column_strings("ProcessId").unwrap();
    let parent_names = procs.column_strings("ParentProcessName").unwrap();
    let mut seen: HashMap<String, HashSet<String>> = HashMap::new();
    for i in 0..procs.len() {
        let host = hosts[i].clone().unwrap();
        let parent = parents[i].clone().unwrap();
        assert!(parent.starts_with("0x") && new_pids[i].as_ref().unwrap().starts_with("0x"));
        if parent_names[i].as_deref() != Some("System") {
            assert!(seen.get(&host).is_some_and(|s| s.contains(&parent)), "row {i}: parent {parent} not created before on {host}");
        }
        seen.entry(host).or_default().insert(new_pids[i].clone().unwrap());
    }
}

#[test]
fn suspicious_activity_is_seeded() {
    let procs = sample::process_events(10_000, 42);
    let lines: Vec<String> = procs.column_strings("CommandLine").unwrap().into_iter().flatten().collect();
    let encoded: Vec<&String> = lines.iter().filter(|l| l.contains(" -enc ") || l.contains("-EncodedCommand ")).collect();
    assert!(!encoded.is_empty());
    let b64 = encoded[0].rsplit(' ').next().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    let utf16: Vec<u16> = bytes.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let script = String::from_utf16(&utf16).expect("utf-16");
    assert!(sample::SUSPICIOUS_IPS.iter().chain(sample::SUSPICIOUS_DOMAINS).any(|ioc| script.contains(ioc)), "{script}");

    let logons = sample::logon_events(5_000, 42);
    let failed = logons.sql("select count(*) as n from t where EventID = 4625 and IpAddress = '185.141.63.120'").unwrap();
    let n: usize = failed.column_strings("n").unwrap()[0].as_ref().unwrap().parse().unwrap();
    assert!(n >= 50, "brute force failures: {n}");
    let flows = sample::network_flows(3_000, 42);
    assert!(flows.column_strings("AllExtIPs").unwrap().iter().flatten().any(|ip| sample::SUSPICIOUS_IPS.contains(&ip.as_str())));
    let net = sample::network_events(3_000, 42);
    assert_eq!(net.count_by("EventID").unwrap().len(), 1);
}

#[test]
fn time_range_is_respected() {
    let data = SampleData::new(5);
    let frame = data.network_flows(1_000);
    let range = frame.sql("select min(FlowStartTime) as lo, max(FlowStartTime) as hi from t").unwrap();
    let lo = range.column_strings("lo").unwrap()[0].clone().unwrap();
    let hi = range.column_strings("hi").unwrap()[0].clone().unwrap();
    assert!(lo.starts_with("2024-05-01") && hi.starts_with("2024-05-01"), "{lo} .. {hi}");
}

#[test]
fn generated_dataset_is_queryable_with_sql() {
    let dir = std::env::temp_dir().join(format!("mstic-sample-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let written = sample::generate_dataset_with(&dir, &SampleData::new(42)).expect("dataset");
    assert_eq!(written.len(), sample::DATASET_FILES.len() + 1);
    let driver = LocalDataDriver::from_paths([&dir]);
    let options = QueryOptions::default();
    assert_eq!(driver.query("processes.csv", &options).unwrap().len(), 5_000);
    assert_eq!(driver.query("network_events.json", &options).unwrap().len(), 3_000);
    let on_host = driver
        .query(
            "select * from processes where Computer = 'WKS-FIN-01' \
             and TimeGenerated >= '2024-05-01T06:00:00Z' and TimeGenerated <= '2024-05-01T12:00:00Z'",
            &options,
        )
        .unwrap();
    assert!(!on_host.is_empty() && on_host.len() < 5_000 / 8);
    assert!(on_host.column_strings("Computer").unwrap().iter().all(|h| h.as_deref() == Some("WKS-FIN-01")));
    let tables = driver.schema().unwrap();
    assert_eq!(tables.keys().cloned().collect::<Vec<_>>(), vec!["logons", "network_events", "network_flows", "processes"]);
}

#[test]
fn scales_to_large_row_counts() {
    let frame = sample::process_events(200_000, 9);
    assert_eq!(frame.len(), 200_000);
}
