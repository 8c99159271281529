//! The shipped Sentinel, Defender and M365D query templates run locally: every template of
//! `queries/mssentinel`, `queries/mde` and `queries/m365d` is rendered by mstic-data's own
//! renderer (through a `QueryProvider` on the local KQL driver), parsed, and run over the
//! Sentinel/Defender tables built from the fixtures (`MSTIC_FIXTURES`: OTRF datasets and
//! MSTICPy's CSV exports) and the generated sample data. A report of what runs and why the rest
//! does not is printed; real answers are checked against counts made here in plain Rust.

use mstic_core::Frame;
use mstic_data::provider::QueryProvider;
use mstic_data::template::{ParamType, ParamValue, QueryTemplate};
use mstic_kql::KqlSession;
use mstic_kql::driver::KqlLocalDriver;
use mstic_kql::tables::LocalTables;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The fixture folder; a missing one fails the test (never a skip).
fn fixtures() -> PathBuf {
    let dir = std::env::var_os("MSTIC_FIXTURES").map(PathBuf::from).unwrap_or_else(|| panic!("MSTIC_FIXTURES is not set: it must name the shared fixture folder"));
    assert!(dir.is_dir(), "MSTIC_FIXTURES={} is not a folder", dir.display());
    dir
}

/// The OTRF dataset zips used.
const OTRF_DATASETS: &[&str] = &["proxylogon_ssrf_rce_poc.zip", "covenant_psremoting_command.zip", "cmd_discover_iexplorer_version_registry.zip"];

/// MSTICPy's CSV exports of Sentinel and Defender tables used.
const CSV_EXPORTS: &[&str] = &["host_logons.csv", "processes_on_host.csv", "syslog_data.csv", "mde_proc_pub.csv"];

/// The tables built once from all the fixture data and the sample.
fn local_tables() -> &'static LocalTables {
    static TABLES: OnceLock<LocalTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let root = fixtures();
        let mut tables = LocalTables::new();
        for name in OTRF_DATASETS {
            let fed = tables.add_file(root.join("otrf").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(fed.contains(&"SecurityEvent".to_string()) && fed.contains(&"Event".to_string()), "{name} fed {fed:?}");
        }
        for name in CSV_EXPORTS {
            tables.add_file(root.join("msticpy/testdata").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        tables.add_sample(&mstic_data::sample::SampleData::new(42), 2_000).expect("sample data");
        tables
    })
}

fn provider(environment: &str) -> QueryProvider {
    let mut session = KqlSession::new();
    local_tables().register(&mut session).expect("tables registered");
    let mut qp = QueryProvider::with_driver(Box::new(KqlLocalDriver::for_environment(environment, session)));
    qp.connect().expect("connect");
    qp
}

/// A test value for a required parameter, by name and type.
fn test_value(name: &str, kind: ParamType) -> ParamValue {
    match kind {
        ParamType::DateTime => ParamValue::Str(if name.contains("end") { "2024-12-31" } else { "2019-01-01" }.into()),
        ParamType::Int => ParamValue::Int(if name.starts_with("min") { 1 } else { 10 }),
        ParamType::Float => ParamValue::Float(1.0),
        ParamType::List if name.contains("event") => ParamValue::List(vec![ParamValue::Int(4624), ParamValue::Int(4688)]),
        ParamType::List => ParamValue::List(vec![ParamValue::Str(list_item(name).into())]),
        ParamType::Raw => ParamValue::Str(String::new()),
        ParamType::Str => ParamValue::Str(
            match name {
                "table" => "SecurityEvent",
                "host_name" | "host" => "MXS01",
                "account_name" | "user" | "account" => "wardog",
                "ip_address" => "10.0.6.5",
                "file_hash" => "8d2f3e1c0b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4",
                "process_name" | "file_name" => "cmd.exe",
                "logon_session_id" => "0x3e7",
                "url" => "http://example.com/x",
                "domain" => "example.com",
                _ => "x",
            }
            .into(),
        ),
    }
}

fn list_item(name: &str) -> &'static str {
    if name.contains("ip") { "10.0.6.5" } else { "x" }
}

/// Why a template failed, for the report: the kind of failure and the name it is about.
fn cause(message: &str) -> String {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        [
            (r"unknown table `([^`]+)`", "unknown table"),
            (r"unknown column `([^`]+)`", "unknown column"),
            (r"aggregation `([^`]+)` is not supported", "unsupported aggregation"),
            (r"function `([^`]+)` is not supported", "unsupported function"),
            (r"`([^`]+)` is not supported by local KQL", "unsupported operator"),
            (r"unknown function `([^`]+)`", "unknown function"),
        ]
        .into_iter()
        .map(|(pattern, kind)| (Regex::new(pattern).expect("pattern"), kind))
        .collect()
    });
    for (pattern, kind) in patterns {
        if let Some(name) = pattern.captures(message).and_then(|c| c.get(1)) {
            return format!("{kind}: {}", name.as_str());
        }
    }
    let line = message.lines().find(|l| !l.trim().is_empty()).unwrap_or(message);
    let line: String = line.chars().take(140).collect();
    format!("other: {line}")
}

/// One template's outcome.
enum Outcome {
    RenderFailed(String),
    ParseFailed(String),
    Panicked(String),
    Failed(String),
    Ran(usize),
}

fn run_template(qp: &QueryProvider, name: &str, template: &QueryTemplate) -> Outcome {
    let mut call = qp.query(name);
    if template.param("start").is_some() {
        call = call.start("2019-01-01");
    }
    if template.param("end").is_some() {
        call = call.end("2024-12-31");
    }
    for param in template.params.iter().filter(|p| p.is_required() && p.name != "start" && p.name != "end") {
        call = call.set(&param.name, test_value(&param.name, param.param_type));
    }
    let text = match call.render() {
        Ok(text) => text,
        Err(e) => return Outcome::RenderFailed(e.to_string()),
    };
    if let Err(e) = mstic_kql_syntax::parse(&text) {
        return Outcome::ParseFailed(e.render(&text));
    }
    match catch_unwind(AssertUnwindSafe(|| call.run())) {
        Err(panic) => Outcome::Panicked(
            panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default(),
        ),
        Ok(Err(e)) => Outcome::Failed(e.to_string()),
        Ok(Ok(frame)) => Outcome::Ran(frame.len()),
    }
}

/// The number of templates that must plan and execute (what this front end reaches now).
const EXECUTE_FLOOR: usize = 155;

#[test]
fn every_template_renders_parses_and_runs_or_fails_with_a_named_cause() {
    let mut seen = BTreeSet::new();
    let (mut total, mut rendered, mut parsed, mut executed, mut with_rows) = (0, 0, 0, 0, 0);
    let mut causes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut parse_failures = Vec::new();
    let mut panics = Vec::new();
    let mut render_failures = Vec::new();
    for environment in ["MSSentinel", "MDE"] {
        let qp = provider(environment);
        let mut templates: Vec<(String, std::sync::Arc<QueryTemplate>)> = Vec::new();
        for name in qp.store().names() {
            let template = qp.store().get(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
            let key = (template.file.clone(), template.name.clone());
            if seen.insert(key) {
                templates.push((name, template));
            }
        }
        for (name, template) in templates {
            total += 1;
            let label = format!("{} {name}", template.file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
            match run_template(&qp, &name, &template) {
                Outcome::RenderFailed(e) => render_failures.push(format!("{label}: {e}")),
                Outcome::ParseFailed(e) => {
                    rendered += 1;
                    parse_failures.push(format!("{label}:\n{e}"));
                }
                Outcome::Panicked(e) => {
                    rendered += 1;
                    parsed += 1;
                    panics.push(format!("{label}: {e}"));
                }
                Outcome::Failed(e) => {
                    rendered += 1;
                    parsed += 1;
                    causes.entry(cause(&e)).or_default().push(label);
                }
                Outcome::Ran(rows) => {
                    rendered += 1;
                    parsed += 1;
                    executed += 1;
                    if rows > 0 {
                        with_rows += 1;
                    }
                }
            }
        }
    }
    println!("\n== Template report: {total} templates, {rendered} render, {parsed} parse, {executed} plan and execute ({with_rows} return rows on the fixture data)");
    let mut grouped: BTreeMap<&str, Vec<(&String, &Vec<String>)>> = BTreeMap::new();
    for (cause, templates) in &causes {
        grouped.entry(cause.split(':').next().unwrap_or("other")).or_default().push((cause, templates));
    }
    for (kind, entries) in &grouped {
        let count: usize = entries.iter().map(|(_, t)| t.len()).sum();
        println!("-- {kind}: {count} templates");
        let mut entries = entries.clone();
        entries.sort_by_key(|(_, t)| std::cmp::Reverse(t.len()));
        for (cause, templates) in entries {
            let shown: Vec<&str> = templates.iter().take(3).map(String::as_str).collect();
            println!("   {:>3}  {cause}   e.g. {}", templates.len(), shown.join("; "));
        }
    }
    for failure in render_failures.iter().chain(&parse_failures).chain(&panics) {
        println!("!! {failure}");
    }
    assert!(total >= 300, "only {total} templates were loaded");
    assert!(render_failures.is_empty(), "{} templates do not render", render_failures.len());
    assert!(parse_failures.is_empty(), "{} rendered templates do not parse", parse_failures.len());
    assert!(panics.is_empty(), "{} templates panicked", panics.len());
    assert!(executed >= EXECUTE_FLOOR, "only {executed} templates execute (floor {EXECUTE_FLOOR})");
}

/// `column` of `frame` as text.
fn strings(frame: &Frame, column: &str) -> Vec<String> {
    frame.column_strings(column).unwrap_or_else(|e| panic!("{column}: {e}")).into_iter().map(Option::unwrap_or_default).collect()
}

fn read_otrf(name: &str) -> Frame {
    mstic_data::drivers::otrf::load_zip(&fixtures().join("otrf").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn read_export(name: &str) -> Frame {
    Frame::read_csv(fixtures().join("msticpy/testdata").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The `EventID` of every row of an OTRF or export frame, as text (whatever the column type).
fn event_ids(frame: &Frame) -> Vec<String> {
    strings(frame, "EventID")
}

#[test]
fn host_logons_on_otrf_security_events_match_a_plain_count() {
    let events = read_otrf("proxylogon_ssrf_rce_poc.zip");
    let hosts = strings(&events, "Hostname");
    let channels = strings(&events, "Channel");
    let expected = event_ids(&events)
        .iter()
        .zip(&hosts)
        .zip(&channels)
        .filter(|((id, host), channel)| *id == "4624" && host.to_lowercase().starts_with("mxs01.") && *channel == "Security")
        .count();
    assert_eq!(expected, 21, "the dataset's own count");
    let qp = provider("MSSentinel");
    let logons = qp.query("WindowsSecurity.list_host_logons").param("host_name", "MXS01").start("2021-03-01").end("2021-04-01").run().expect("list_host_logons");
    assert_eq!(logons.len(), expected);
    assert!(strings(&logons, "Computer").iter().all(|c| c == "MXS01.azsentinel.local"));
    assert!(strings(&logons, "Activity").iter().all(|a| a == "4624 - An account was successfully logged on."));
}

#[test]
fn host_logons_on_the_csv_export_match_a_plain_count() {
    let export = read_export("host_logons.csv");
    let ids = event_ids(&export);
    let computers = strings(&export, "Computer");
    let expected = ids.iter().zip(&computers).filter(|(id, host)| *id == "4624" && host.as_str() == "MSTICAlertsWin1").count();
    assert!(expected > 0);
    let qp = provider("MSSentinel");
    let logons = qp.query("WindowsSecurity.list_host_logons").param("host_name", "MSTICAlertsWin1").start("2019-01-01").end("2019-02-01").run().expect("list_host_logons");
    assert_eq!(logons.len(), expected);
    let accounts: BTreeSet<String> = strings(&logons, "TargetUserName").into_iter().collect();
    let expected_accounts: BTreeSet<String> = strings(&export, "TargetUserName")
        .into_iter()
        .zip(&ids)
        .filter(|(_, id)| *id == "4624")
        .map(|(account, _)| account)
        .collect();
    assert_eq!(accounts, expected_accounts);
}

#[test]
fn host_processes_on_the_csv_export_match_a_plain_count() {
    let export = read_export("processes_on_host.csv");
    let expected = event_ids(&export).iter().zip(strings(&export, "Computer")).filter(|(id, host)| *id == "4688" && host == "MSTICAlertsWin1").count();
    assert!(expected > 300, "{expected}");
    let qp = provider("MSSentinel");
    let processes = qp.query("WindowsSecurity.list_host_processes").param("host_name", "MSTICAlertsWin1").start("2019-01-01").end("2019-02-01").run().expect("list_host_processes");
    assert_eq!(processes.len(), expected);
}

#[test]
fn syslog_for_a_host_matches_a_plain_count() {
    let export = read_export("syslog_data.csv");
    let expected = strings(&export, "Computer").iter().filter(|host| host.as_str() == "squid-uk-02").count();
    assert!(expected > 0);
    let qp = provider("MSSentinel");
    let name = qp.store().names().into_iter().find(|n| n.ends_with(".all_syslog")).expect("an all_syslog query");
    let rows = qp.query(&name).param("host_name", "squid-uk-02").start("2019-07-01").end("2019-08-01").run().expect("all_syslog");
    assert_eq!(rows.len(), expected);
}

#[test]
fn defender_processes_from_sysmon_match_a_plain_count() {
    let events = read_otrf("proxylogon_ssrf_rce_poc.zip");
    let expected = event_ids(&events)
        .iter()
        .zip(strings(&events, "Channel"))
        .filter(|(id, channel)| *id == "1" && channel == "Microsoft-Windows-Sysmon/Operational")
        .count();
    assert_eq!(expected, 13);
    let qp = provider("MDE");
    let name = qp.store().names().into_iter().find(|n| n.ends_with(".list_host_processes")).expect("an MDE host process query");
    let rows = qp.query(&name).param("host_name", "MXS01").start("2021-03-01").end("2021-04-01").run().expect("MDE list_host_processes");
    // The Sysmon event 1 rows plus the dataset's Security 4688 rows on the same host.
    let security_4688 = event_ids(&events).iter().zip(strings(&events, "Hostname")).filter(|(id, host)| *id == "4688" && host.starts_with("MXS01")).count();
    assert_eq!(rows.len(), expected + security_4688);
}

#[test]
fn defender_connections_from_sysmon_match_a_plain_count() {
    let events = read_otrf("proxylogon_ssrf_rce_poc.zip");
    let network: Vec<(String, String)> = event_ids(&events)
        .into_iter()
        .zip(strings(&events, "Channel"))
        .zip(strings(&events, "Initiated"))
        .filter(|((id, channel), _)| id == "3" && channel == "Microsoft-Windows-Sysmon/Operational")
        .map(|((_, channel), initiated)| (channel, initiated))
        .collect();
    assert_eq!(network.len(), 117, "the dataset's own count");
    let inbound = network.iter().filter(|(_, initiated)| initiated == "false").count();
    let qp = provider("MDE");
    let name = qp.store().names().into_iter().find(|n| n.ends_with(".host_connections")).expect("an MDE host_connections query");
    let rows = qp.query(&name).param("host_name", "MXS01").start("2021-03-01").end("2021-04-01").run().expect("MDE host_connections");
    assert_eq!(rows.len(), network.len());
    let accepted = strings(&rows, "ActionType").iter().filter(|a| *a == "InboundConnectionAccepted").count();
    assert_eq!(accepted, inbound);
    assert!(strings(&rows, "DeviceName").iter().all(|d| d == "mxs01.azsentinel.local"));
}
