//! Sysmon network-connection events (event 3) and Azure network-analytics flows.

use super::processes::host_ip;
use super::rng::SampleRng;
use super::{ACCOUNTS, DOMAIN, HOSTS, SUSPICIOUS_DOMAINS, SUSPICIOUS_IPS, SampleData};
use arrow::array::{ArrayRef, Int64Builder, StringBuilder, TimestampNanosecondBuilder};
use mstic_core::Frame;
use std::sync::Arc;

/// Ordinary destinations: (address, host name, port, process image, weight).
const DESTINATIONS: &[(&str, &str, i64, &str, u32)] = &[
    ("13.107.42.14", "outlook.office365.com", 443, "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", 20),
    ("142.250.74.110", "www.google.com", 443, "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", 30),
    ("140.82.112.3", "github.com", 443, "C:\\Program Files\\Git\\mingw64\\bin\\git-remote-https.exe", 6),
    ("52.113.194.132", "teams.microsoft.com", 443, "C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe", 12),
    ("10.0.1.14", "SRV-FILE-01", 445, "System", 14),
    ("10.0.1.15", "SRV-SQL-02", 1433, "C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\SQLCMD.EXE", 6),
    ("10.0.1.17", "DC-01", 389, "C:\\Windows\\System32\\lsass.exe", 10),
    ("10.0.1.17", "DC-01", 53, "C:\\Windows\\System32\\svchost.exe", 12),
];

pub(super) fn network_events(sample: &SampleData, n: usize) -> Frame {
    let mut rng = SampleRng::new(sample.seed, 3);
    let mut time = TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut ints: Vec<Int64Builder> = (0..4).map(|_| Int64Builder::with_capacity(n)).collect();
    let names = ["Computer", "Image", "User", "Protocol", "Initiated", "SourceIp", "DestinationIp", "DestinationHostname"];
    let mut text: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::with_capacity(n, n * 16)).collect();
    for index in 0..n {
        let host = rng.below(HOSTS.len() as u64) as usize;
        let user = ACCOUNTS[host % 7];
        let (ip, name, port, image) = if index == n / 2 || rng.chance(0.003) {
            let ip = *rng.pick(SUSPICIOUS_IPS);
            let name = if rng.chance(0.5) { *rng.pick(SUSPICIOUS_DOMAINS) } else { "-" };
            (ip, name, *rng.pick(&[80, 443, 4444]), "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
        } else {
            let total: u64 = DESTINATIONS.iter().map(|d| d.4 as u64).sum();
            let mut roll = rng.below(total);
            let chosen = DESTINATIONS.iter().find(|d| {
                let hit = roll < d.4 as u64;
                roll = roll.saturating_sub(d.4 as u64);
                hit
            });
            let d = chosen.unwrap_or(&DESTINATIONS[0]);
            (d.0, d.1, d.2, d.3)
        };
        let image = image.replace("{user}", user);
        let system = image == "System" || image.ends_with("lsass.exe") || image.ends_with("svchost.exe");
        let account = if system { "NT AUTHORITY\\SYSTEM".to_string() } else { format!("{DOMAIN}\\{user}") };
        time.append_value(sample.time_of(index, n, &mut rng));
        ints[0].append_value(3);
        ints[1].append_value(4 * (100 + rng.below(4000)) as i64);
        ints[2].append_value(49152 + rng.below(16000) as i64);
        ints[3].append_value(port);
        let protocol = if port == 53 { "udp" } else { "tcp" };
        let source = host_ip(host);
        let values = [HOSTS[host], image.as_str(), account.as_str(), protocol, "true", source.as_str(), ip, name];
        for (builder, value) in text.iter_mut().zip(values) {
            builder.append_value(value);
        }
    }
    let mut arrays: Vec<(String, ArrayRef)> = vec![("TimeGenerated".into(), Arc::new(time.finish()))];
    let mut ints = ints.into_iter();
    let mut next_int = || Arc::new(ints.next().map(|mut b| b.finish()).unwrap_or_else(|| unreachable!())) as ArrayRef;
    arrays.push(("EventID".into(), next_int()));
    let mut text = text.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef);
    for name in &names[..3] {
        arrays.push((name.to_string(), text.next().unwrap_or_else(|| unreachable!())));
    }
    arrays.push(("ProcessId".into(), next_int()));
    for name in &names[3..] {
        arrays.push((name.to_string(), text.next().unwrap_or_else(|| unreachable!())));
    }
    arrays.push(("SourcePort".into(), next_int()));
    arrays.push(("DestinationPort".into(), next_int()));
    Frame::from_columns(arrays).unwrap_or_else(|e| unreachable!("sample columns have equal lengths: {e}"))
}

/// Flow kinds: (external address, L7 protocol, port, direction, weight).
const FLOWS: &[(&str, &str, i64, &str, u32)] = &[
    ("13.107.42.14", "https", 443, "O", 30),
    ("142.250.74.110", "https", 443, "O", 20),
    ("20.190.151.7", "https", 443, "O", 15),
    ("168.63.129.16", "dns", 53, "O", 20),
    ("40.79.150.120", "https", 443, "I", 8),
    ("", "ssh", 22, "I", 4),
    ("", "rdp", 3389, "I", 3),
];

pub(super) fn network_flows(sample: &SampleData, n: usize) -> Frame {
    let mut rng = SampleRng::new(sample.seed, 17);
    let mut times: Vec<TimestampNanosecondBuilder> =
        (0..3).map(|_| TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC")).collect();
    let int_names = ["DestPort", "AllowedOutFlows", "AllowedInFlows", "DeniedInFlows", "DeniedOutFlows", "TotalAllowedFlows"];
    let mut ints: Vec<Int64Builder> = int_names.iter().map(|_| Int64Builder::with_capacity(n)).collect();
    let text_names = ["FlowType", "VMName", "VMIPAddress", "SrcIP", "DestIP", "L4Protocol", "L7Protocol", "FlowDirection", "AllExtIPs"];
    let mut text: Vec<StringBuilder> = text_names.iter().map(|_| StringBuilder::with_capacity(n, n * 12)).collect();
    let servers: Vec<usize> = (0..HOSTS.len()).filter(|h| !HOSTS[*h].starts_with("WKS")).collect();
    for index in 0..n {
        let host = *rng.pick(&servers);
        let suspicious = index == n / 2 || rng.chance(0.004);
        let (mut ext, l7, port, direction) = if suspicious {
            let inbound = rng.chance(0.5);
            let ip = if inbound { SUSPICIOUS_IPS[1] } else { *rng.pick(SUSPICIOUS_IPS) };
            (ip.to_string(), if inbound { "rdp" } else { "https" }, if inbound { 3389 } else { 443 }, if inbound { "I" } else { "O" })
        } else {
            let total: u64 = FLOWS.iter().map(|f| f.4 as u64).sum();
            let mut roll = rng.below(total);
            let f = FLOWS.iter().find(|f| {
                let hit = roll < f.4 as u64;
                roll = roll.saturating_sub(f.4 as u64);
                hit
            });
            let f = f.unwrap_or(&FLOWS[0]);
            (f.0.to_string(), f.1, f.2, f.3)
        };
        if ext.is_empty() {
            ext = host_ip(rng.below(4) as usize);
        }
        let vm_ip = host_ip(host);
        let (src, dest) = if direction == "O" { (vm_ip.clone(), ext.clone()) } else { (ext.clone(), vm_ip.clone()) };
        let internal = ext.starts_with("10.");
        let flow_type = if internal { "IntraVNet" } else if suspicious { "ExternalPublic" } else { "AzurePublic" };
        let start = sample.time_of(index, n, &mut rng);
        let end = start + (1 + rng.below(600)) as i64 * 1_000_000_000;
        times[0].append_value(end + 60_000_000_000);
        times[1].append_value(start);
        times[2].append_value(end);
        let flows = 1 + rng.below(if suspicious { 40 } else { 12 }) as i64;
        let denied_in = if direction == "I" && port == 3389 && !suspicious { flows } else { 0 };
        let allowed_out = if direction == "O" { flows } else { 0 };
        let allowed_in = if direction == "I" { flows - denied_in } else { 0 };
        for (builder, value) in ints.iter_mut().zip([port, allowed_out, allowed_in, denied_in, 0, allowed_in + allowed_out]) {
            builder.append_value(value);
        }
        let vm = HOSTS[host].to_ascii_lowercase();
        let protocol = if port == 53 { "U" } else { "T" };
        let all_ext = if internal { "" } else { ext.as_str() };
        let values = [flow_type, vm.as_str(), vm_ip.as_str(), src.as_str(), dest.as_str(), protocol, l7, direction, all_ext];
        for (builder, value) in text.iter_mut().zip(values) {
            builder.append_value(value);
        }
    }
    let mut arrays: Vec<(String, ArrayRef)> = Vec::new();
    for (name, mut builder) in ["TimeGenerated", "FlowStartTime", "FlowEndTime"].iter().zip(times) {
        arrays.push((name.to_string(), Arc::new(builder.finish())));
    }
    for (name, mut builder) in text_names.iter().zip(text) {
        arrays.push((name.to_string(), Arc::new(builder.finish())));
    }
    for (name, mut builder) in int_names.iter().zip(ints) {
        arrays.push((name.to_string(), Arc::new(builder.finish())));
    }
    Frame::from_columns(arrays).unwrap_or_else(|e| unreachable!("sample columns have equal lengths: {e}"))
}
