//! The shipped query library (`queries/` at the workspace root, compiled into `mstic-data`) and its
//! typed calls: every file loads without warnings and is read by some environment, every query
//! renders with its defaults and sample values for its required parameters in each environment
//! that reads it, per-family counts, the library needs no checkout or fixtures, users' files
//! override built-in queries with a note, an empty library is reported, and typed calls render
//! exactly what the string form renders.
//!
//! Run after adding or changing a query file:
//! `cargo test --workspace --exclude rust-mstic --test shipped_queries`.

use chrono::{DateTime, TimeZone, Utc};
use mstic_core::config::MsticConfig;
use mstic_core::timespan::TimeValue;
use mstic_data::provider::QueryProvider;
use mstic_data::provider::environment::{DataEnvironment, ENVIRONMENTS};
use mstic_data::template::{ParamType, ParamValue, QueryFile, RenderOptions, builtin, render_query, template_fields};
use mstic_queries::{QueryFamilies, TYPED_QUERY_NAMES, TypedQuery};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Queries per data family in the shipped library (a query in two families counts in both).
const FAMILY_COUNTS: &[(&str, usize)] = &[
    ("Alerts", 7), ("Authentication", 5), ("Azure", 48), ("AzureNetwork", 34), ("AzureSentinel", 11), ("Endpoint", 3),
    ("Heartbeat", 7), ("IdentityOnPrem", 7), ("LinuxAudit", 3), ("LinuxSyslog", 23), ("M365D", 70), ("M365DHunting", 20),
    ("MDATP", 26), ("MDE", 26), ("MDEHunting", 20), ("MSSentinel", 11), ("MultiDataSource", 5), ("Network", 27),
    ("Office365", 14), ("Sample", 13), ("SecurityAlert", 11), ("SecurityIncident", 12), ("SplunkDatamodel", 16),
    ("SplunkGeneral", 8), ("ThreatIntelligence", 14), ("Web", 1), ("WebServer", 4), ("WindowsSecurity", 51), ("audittrail", 1),
];

/// Environments with at least this many queries in the shipped library.
const MINIMUM_QUERIES: &[(&str, usize)] = &[("MSSentinel", 150), ("MDE", 60)];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 15, 10, 30, 45).unwrap()
}

/// The environments that read a library file: its folder is one of theirs and they accept its
/// `data_environments`.
fn readers(folder: &str, file: &QueryFile) -> Vec<&'static DataEnvironment> {
    ENVIRONMENTS.iter().filter(|e| e.query_folders.contains(&folder) && e.accepts_file(&file.environments)).collect()
}

fn library() -> Vec<(builtin::BuiltinFile, QueryFile)> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for file in builtin::files() {
        match file.parse() {
            Ok(parsed) => files.push((*file, parsed)),
            Err(e) => problems.push(e.to_string()),
        }
    }
    assert!(problems.is_empty(), "shipped query files that do not load:\n{}", problems.join("\n"));
    files
}

fn assert_builtin_library_in_use() {
    assert!(
        std::env::var_os("MSTIC_QUERIES").is_none(),
        "MSTIC_QUERIES is set: unset it to test the shipped library compiled into the crates"
    );
}

#[test]
fn every_shipped_file_loads_and_is_read_by_an_environment() {
    let files = library();
    assert!(!files.is_empty(), "the shipped library is empty: is queries/ at the workspace root?");
    let mut problems = Vec::new();
    for (file, parsed) in &files {
        let folder = file.folder();
        if !ENVIRONMENTS.iter().any(|e| e.query_folders.contains(&folder)) {
            problems.push(format!("{}: no data environment reads folder '{folder}'", file.path));
        } else if readers(folder, parsed).is_empty() {
            problems.push(format!(
                "{}: no environment reading folder '{folder}' accepts its data_environments {:?}",
                file.path, parsed.environments
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_environment_loads_the_library_without_warnings_or_overrides() {
    assert_builtin_library_in_use();
    for env in ENVIRONMENTS.iter().filter(|e| !e.query_folders.is_empty()) {
        let reads_library = builtin::files().iter().any(|f| env.query_folders.contains(&f.folder()));
        if !reads_library {
            continue;
        }
        let qp = QueryProvider::with_config(env.name, &MsticConfig::default(), &[]).unwrap();
        let warnings: Vec<&String> = qp.warnings().iter().filter(|w| !w.starts_with("no driver for")).collect();
        assert!(warnings.is_empty(), "{}: {warnings:?}", env.name);
        // Two library files defining one Family.name for the same environment is a mistake.
        assert!(qp.notes().is_empty(), "{}: {:?}", env.name, qp.notes());
    }
}

/// A sample value for a required parameter of type `kind`.
fn sample(kind: ParamType) -> ParamValue {
    match kind {
        ParamType::Str => ParamValue::Str("host with spaces".into()),
        ParamType::DateTime => ParamValue::Time(TimeValue::Aware(Utc.with_ymd_and_hms(2024, 3, 14, 8, 0, 0).unwrap().fixed_offset())),
        ParamType::List => ParamValue::List(vec![ParamValue::Str("alpha beta".into()), ParamValue::Int(42)]),
        ParamType::Int => ParamValue::Int(7),
        ParamType::Float => ParamValue::Float(2.5),
        ParamType::Raw => ParamValue::Str("| take 5".into()),
    }
}

#[test]
fn every_shipped_query_renders_with_defaults_and_sample_values() {
    let mut problems = Vec::new();
    let mut rendered = 0;
    for (file, parsed) in library() {
        for env in readers(file.folder(), &parsed) {
            let options = RenderOptions { style: env.style, language: env.language, now: Some(now()) };
            for query in &parsed.queries {
                let values: Vec<(String, ParamValue)> = query
                    .required_params()
                    .map(|p| match p.name.as_str() {
                        // A table name goes outside any literal, where only names may go.
                        "table" => (p.name.clone(), ParamValue::Str("Custom_CL".into())),
                        _ => (p.name.clone(), sample(p.param_type)),
                    })
                    .collect();
                let text = match render_query(query, &values, &options) {
                    Ok(text) => text,
                    Err(e) => {
                        problems.push(format!("{} ({}), query '{}': {e}", file.path, env.name, query.name));
                        continue;
                    }
                };
                rendered += 1;
                let used = template_fields(&query.query);
                for param in &query.params {
                    if text.contains(&format!("{{{}}}", param.name)) {
                        problems.push(format!("{} ({}), query '{}': '{{{}}}' left in the text", file.path, env.name, query.name, param.name));
                    }
                }
                for (name, value) in &values {
                    let def = query.param(name).unwrap();
                    let shown = match value {
                        ParamValue::Str(s) => s.as_str(),
                        ParamValue::List(_) => "alpha beta",
                        _ => continue,
                    };
                    if used.contains(name) && def.format.is_none() && !text.contains(shown) {
                        problems.push(format!("{} ({}), query '{}': the value of '{name}' is not in the text:\n{text}", file.path, env.name, query.name));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(rendered > 0);
}

#[test]
fn typed_calls_cover_exactly_the_shipped_queries() {
    let mut names: Vec<String> = library().iter().flat_map(|(_, f)| f.queries.iter().flat_map(|q| q.qualified_names())).collect();
    names.sort();
    names.dedup();
    let typed: Vec<String> = TYPED_QUERY_NAMES.iter().map(|n| n.to_string()).collect();
    assert_eq!(typed, names, "the typed calls are generated from the same files the provider loads");
}

#[test]
fn family_counts() {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for name in TYPED_QUERY_NAMES {
        let (family, _) = name.rsplit_once('.').unwrap();
        *counts.entry(family).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = FAMILY_COUNTS.iter().copied().collect();
    if counts != expected {
        let table: Vec<String> = counts.iter().map(|(f, n)| format!("(\"{f}\", {n})")).collect();
        panic!(
            "per-family query counts changed; if the library changed on purpose, set FAMILY_COUNTS to:\n&[{}]\nexpected {expected:?}",
            table.join(", ")
        );
    }
}

/// Re-runs one test of this binary in a child process with `env` changes, from an empty folder.
fn run_in_child(test: &str, env: &[(&str, Option<&str>)]) -> String {
    let dir = temp_dir("child");
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", test, "--nocapture", "--test-threads=1"]).current_dir(&dir).env("MSTIC_TEST_CHILD", "1");
    for (name, value) in env {
        match value {
            Some(v) => command.env(name, v),
            None => command.env_remove(name),
        };
    }
    let out = command.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{test} in a child process failed:\n{text}");
    text
}

#[test]
fn builtin_library_needs_no_checkout_or_fixtures() {
    if std::env::var_os("MSTIC_TEST_CHILD").is_some() {
        assert!(std::env::var_os("MSTIC_QUERIES").is_none());
        for (environment, minimum) in MINIMUM_QUERIES {
            let qp = QueryProvider::new(environment).unwrap();
            let count = qp.list_queries().len();
            println!("{environment}: {count} queries");
            assert!(count >= *minimum, "{environment} lists {count} queries, fewer than {minimum}: {:?}", qp.warnings());
        }
        return;
    }
    let home = temp_dir("home");
    let home = home.to_str().unwrap();
    let out = run_in_child(
        "builtin_library_needs_no_checkout_or_fixtures",
        &[("MSTIC_QUERIES", None), ("MSTICPYCONFIG", None), ("MSTIC_FIXTURES", Some("/nonexistent/fixtures")), ("HOME", Some(home))],
    );
    for (environment, _) in MINIMUM_QUERIES {
        assert!(out.contains(&format!("{environment}: ")), "{out}");
    }
}

fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mstic-shipped-{label}-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const OUR_LOGONS: &str = r#"metadata:
  version: 1
  description: Our own logon queries
  data_environments: [MSSentinel]
  data_families: [WindowsSecurity]
sources:
  list_host_logons:
    description: Logons on a host, our way
    args:
      query: 'SecurityEvent | where Computer == "{host_name}" | take 5'
    parameters:
      host_name:
        description: Host name
        type: str
"#;

fn write_override(dir: &Path) -> PathBuf {
    let file = dir.join("logons.yaml");
    std::fs::write(&file, OUR_LOGONS).unwrap();
    file
}

#[test]
fn users_files_override_builtin_queries_with_a_note() {
    assert_builtin_library_in_use();
    let builtin = QueryProvider::with_config("MSSentinel", &MsticConfig::default(), &[]).unwrap();
    let shipped = builtin.store().get("WindowsSecurity.list_host_logons").unwrap().file.clone();
    assert!(shipped.starts_with("queries/mssentinel"), "{}", shipped.display());
    let dir = temp_dir("override");
    let file = write_override(&dir);
    let expected =
        format!("WindowsSecurity.list_host_logons from {} overrides the built-in {}", file.display(), shipped.display());

    // A folder given by the caller (add_query_path), and QueryDefinitions: Custom.
    let mut added = QueryProvider::with_config("MSSentinel", &MsticConfig::default(), &[]).unwrap();
    assert_eq!(added.add_query_path(&dir).unwrap(), 0, "an override adds no new name");
    let config = MsticConfig::from_yaml_str(&format!("QueryDefinitions:\n  Custom:\n    - '{}'\n", dir.display()), "test config").unwrap();
    let custom = QueryProvider::with_config("MSSentinel", &config, &[]).unwrap();
    for qp in [&added, &custom] {
        assert_eq!(qp.notes(), vec![expected.clone()]);
        assert!(qp.summary_text().contains(&format!("note: {expected}")), "{}", qp.summary_text());
        assert!(qp.to_html().contains("overrides the built-in"));
        assert_eq!(qp.store().len(), builtin.store().len());
        // Both call forms run the user's query.
        let typed = qp.windows_security().list_host_logons().host_name("WS1").render().unwrap();
        assert_eq!(typed, "SecurityEvent | where Computer == \"WS1\" | take 5");
        assert_eq!(qp.query("WindowsSecurity.list_host_logons").param("host_name", "WS1").render().unwrap(), typed);
    }
    assert!(builtin.notes().is_empty());
}

#[test]
fn a_provider_without_queries_says_where_it_looked() {
    let empty = temp_dir("empty");
    let config = MsticConfig::from_yaml_str(&format!("QueryDefinitions:\n  Default: ['{}']\n", empty.display()), "test config").unwrap();
    let qp = QueryProvider::with_config("MSSentinel", &config, &[]).unwrap();
    assert!(qp.store().is_empty());
    let expected = format!(
        "no MSSentinel queries were found: looked in {} (not found), {} (not found).",
        empty.join("mssentinel").display(),
        empty.join("m365d").display()
    );
    assert!(qp.warnings().iter().any(|w| w.starts_with(&expected)), "{:?}", qp.warnings());
    assert!(qp.summary_text().contains("warning: no MSSentinel queries were found"), "{}", qp.summary_text());
    // Environments whose queries come from their driver on connect have nothing to report.
    assert!(QueryProvider::with_config("OSQueryLogs", &MsticConfig::default(), &[]).unwrap().warnings().is_empty());
}

#[test]
fn mstic_queries_names_a_folder_that_replaces_the_library() {
    if std::env::var_os("MSTIC_TEST_CHILD").is_some() {
        let dir = PathBuf::from(std::env::var_os("MSTIC_QUERIES").unwrap());
        let qp = QueryProvider::with_config("MSSentinel", &MsticConfig::default(), &[]).unwrap();
        assert_eq!(qp.list_queries().names(), vec!["WindowsSecurity.list_host_logons".to_string()]);
        assert_eq!(qp.store().get("WindowsSecurity.list_host_logons").unwrap().file, dir.join("mssentinel/logons.yaml"));
        let mde = QueryProvider::with_config("MDE", &MsticConfig::default(), &[]).unwrap();
        let expected = format!("no MDE queries were found: looked in MSTIC_QUERIES={} (not found)", dir.join("mde").display());
        assert!(mde.warnings().iter().any(|w| w.starts_with(&expected)), "{:?}", mde.warnings());
        println!("the folder replaced the library");
        return;
    }
    let dir = temp_dir("replacement");
    std::fs::create_dir_all(dir.join("mssentinel")).unwrap();
    write_override(&dir.join("mssentinel"));
    let out = run_in_child("mstic_queries_names_a_folder_that_replaces_the_library", &[("MSTIC_QUERIES", dir.to_str())]);
    assert!(out.contains("the folder replaced the library"), "{out}");
}

fn sentinel() -> QueryProvider {
    assert_builtin_library_in_use();
    let mut qp = QueryProvider::with_config("MSSentinel", &MsticConfig::default(), &[]).unwrap();
    qp.set_now(Some(now()));
    qp
}

#[test]
fn typed_calls_render_what_the_string_form_renders() {
    let qp = sentinel();
    let typed = qp.windows_security().list_host_logons().host_name("WS 1").start(-1).end(0).render().unwrap();
    let string = qp.query("WindowsSecurity.list_host_logons").param("host_name", "WS 1").start(-1).end(0).render().unwrap();
    assert_eq!(typed, string);
    assert!(typed.contains("WS 1") && typed.contains("2024-03-14T10:30:45"), "{typed}");
    // Defaults of the provider's time range, `param` for any name, and the same help.
    let typed = qp.windows_security().list_host_logons().host_name("WS1").param("table", "OtherTable").render().unwrap();
    let string = qp.query("WindowsSecurity.list_host_logons").param("host_name", "WS1").param("table", "OtherTable").render().unwrap();
    assert_eq!(typed, string);
    assert!(typed.contains("OtherTable"));
    assert_eq!(qp.windows_security().list_host_logons().help().unwrap(), qp.query_help("WindowsSecurity.list_host_logons").unwrap());
    // Defender: the same query through its two families, and the string form.
    let mut mde = QueryProvider::with_config("MDE", &MsticConfig::default(), &[]).unwrap();
    mde.set_now(Some(now()));
    let typed = mde.mde().host_alerts().host_name("WS1").start(-2).end(0).render().unwrap();
    assert_eq!(typed, mde.mdatp().host_alerts().host_name("WS1").start(-2).end(0).render().unwrap());
    assert_eq!(typed, mde.query("MDE.host_alerts").param("host_name", "WS1").start(-2).end(0).render().unwrap());
    assert!(typed.contains("WS1") && typed.contains("2024-03-13T10:30:45"), "{typed}");
}

#[test]
fn typed_list_and_integer_setters_render_like_the_string_form() {
    let qp = sentinel();
    let ips = vec!["10.0.0.1", "192.168.1.2"];
    let typed = qp.azure().list_aad_signins_for_ip().ip_address_list(ips.clone()).start(-1).end(0).render().unwrap();
    let string = qp.query("Azure.list_aad_signins_for_ip").param("ip_address_list", ips).start(-1).end(0).render().unwrap();
    assert_eq!(typed, string);
    assert!(typed.contains("'10.0.0.1', '192.168.1.2'"), "{typed}");
    // A comma-separated string is a list too, as in MSTICPy.
    let from_text = qp.azure().list_aad_signins_for_ip().ip_address_list("10.0.0.1, 192.168.1.2").start(-1).end(0).render().unwrap();
    assert_eq!(from_text, typed);
    let typed = qp.azure().list_aad_password_spray().min_accounts(7).render().unwrap();
    assert_eq!(typed, qp.query("Azure.list_aad_password_spray").param("min_accounts", 7).render().unwrap());
    assert!(typed.contains('7'), "{typed}");
}

#[test]
fn typed_calls_report_missing_required_parameters_at_run() {
    let qp = sentinel();
    let err = qp.windows_security().list_host_logons().start(-1).render().unwrap_err().to_string();
    let string = qp.query("WindowsSecurity.list_host_logons").start(-1).render().unwrap_err().to_string();
    assert_eq!(err, string);
    assert!(err.contains("required parameters were not set: 'host_name'"), "{err}");
    let err = qp.windows_security().list_host_logons().host_name("WS1").run().unwrap_err().to_string();
    assert!(err.contains("not connected"), "{err}");
}

#[test]
fn typed_calls_of_queries_missing_from_the_environment_name_the_closest() {
    // An environment without the query (OSQuery's queries come from its driver on connect).
    let qp = QueryProvider::with_config("OSQueryLogs", &MsticConfig::default(), &[]).unwrap();
    let err = qp.windows_security().list_host_logons().host_name("WS1").render().unwrap_err().to_string();
    assert!(err.starts_with("unknown query 'WindowsSecurity.list_host_logons'"), "{err}");
}
