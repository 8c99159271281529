//! The shipped LocalData query library (`queries/localdata/`) run through a `QueryProvider` on real
//! files: MSTICPy's test data (host logons, processes, alerts, Azure flows) under MSTICPy's query
//! names, and the generated sample dataset under the `Sample` family. Every query's SQL runs on
//! DataFusion and really filters by host, account, address and time.

use chrono::{Duration, TimeZone, Utc};
use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_data::drivers::LocalDataDriver;
use mstic_data::provider::QueryProvider;
use mstic_data::sample::{self, SUSPICIOUS_DOMAINS, SUSPICIOUS_IPS, SampleData};
use mstic_data::{Driver, QueryOptions};
use std::path::PathBuf;

/// A provider with the shipped LocalData queries over the given files or folders.
fn provider(paths: Vec<PathBuf>) -> QueryProvider {
    let qp = QueryProvider::with_driver(Box::new(LocalDataDriver::from_paths(paths)));
    assert!(qp.warnings().is_empty(), "shipped queries load without warnings: {:?}", qp.warnings());
    qp
}

fn testdata(name: &str) -> PathBuf {
    fixture(&format!("msticpy/testdata/{name}")).expect("MSTICPy test data (set MSTIC_FIXTURES)")
}

fn strings(frame: &Frame, column: &str) -> Vec<String> {
    frame.column_strings(column).unwrap().into_iter().map(Option::unwrap_or_default).collect()
}

#[test]
fn windows_security_logons_filter_by_host_and_time() {
    let qp = provider(vec![testdata("host_logons.csv")]);
    let logons = |host: &str, start: &str, end: &str| {
        qp.query("WindowsSecurity.list_host_logons").param("host_name", host).start(start).end(end).run().unwrap()
    };
    // All 14 rows are 4624 logons on MSTICAlertsWin1 between 01:42 and 05:15 on 2019-01-15.
    let all = logons("msticalertswin1", "2019-01-15 00:00:00", "2019-01-16 00:00:00");
    assert_eq!(all.len(), 14);
    assert!(strings(&all, "Computer").iter().all(|c| c == "MSTICAlertsWin1"));
    // The FQDN's first label matches too, and the time range cuts: 5 logons from 05:00.
    assert_eq!(logons("MSTICAlertsWin1", "2019-01-15 05:00:00", "2019-01-15 06:00:00").len(), 5);
    assert_eq!(logons("MSTICAlertsWin1", "2019-01-15 03:00:00", "2019-01-15 03:30:00").len(), 4);
    assert_eq!(logons("OtherHost", "2019-01-15 00:00:00", "2019-01-16 00:00:00").len(), 0);
    // An alias of the host parameter, as in MSTICPy.
    let aliased = qp.query("WindowsSecurity.list_host_logons").param("host", "MSTICAlertsWin1");
    assert_eq!(aliased.start("2019-01-15").end("2019-01-16").run().unwrap().len(), 14);
}

#[test]
fn process_tree_follows_parent_ids_and_pid_reuse() {
    let qp = provider(vec![testdata("processes_on_host.csv")]);
    let call = |pid: &str, name: &str| {
        qp.query("WindowsSecurity.get_process_tree")
            .param("host_name", "MSTICAlertsWin1")
            .param("process_id", pid)
            .param("process_name", name)
            .start("2019-01-15 00:00:00")
            .end("2019-01-16 00:00:00")
            .run()
            .unwrap()
    };
    // 0x1490 is used twice: net.exe (child of cmd.exe 0xbc8) and later an ASMHost.exe. Narrowed
    // to net.exe, the tree is cmd.exe -> net.exe -> net1.exe; the later ASMHost child is not in it.
    let tree = call("0x1490", "net.exe");
    assert_eq!(strings(&tree, "Level"), ["-1", "0", "1"]);
    assert_eq!(strings(&tree, "NodeRole"), ["ancestor", "source", "descendant"]);
    assert_eq!(strings(&tree, "NewProcessId"), ["0xbc8", "0x1490", "0x1464"]);
    assert!(strings(&tree, "NewProcessName")[2].ends_with("net1.exe"));
    // Both uses of the ID: two sources, one child each, one parent (0x888 is not in the file).
    let both = call("0x1490", "");
    assert_eq!(strings(&both, "Level"), ["-1", "0", "0", "1", "1"]);
    // cmd.exe 0xbc8: 116 children, 41 grandchildren and 4 great-grandchildren.
    let levels = strings(&call("0xBC8", ""), "Level");
    let count = |level: &str| levels.iter().filter(|l| *l == level).count();
    assert_eq!((levels.len(), count("0"), count("1"), count("2"), count("3")), (162, 1, 116, 41, 4));
}

#[test]
fn host_processes_and_events_use_their_conventional_tables() {
    let qp = provider(vec![testdata("processes_on_host.csv"), testdata("host_logons.csv")]);
    let procs = qp
        .query("WindowsSecurity.list_host_processes")
        .param("host_name", "MSTICAlertsWin1")
        .start("2019-01-15 05:20:00")
        .end("2019-01-15 05:25:00")
        .run()
        .unwrap();
    let expected = LocalDataDriver::from_paths([testdata("processes_on_host.csv")])
        .query(
            "select count(*) as n from processes_on_host \
             where TimeGenerated >= '2019-01-15T05:20:00' and TimeGenerated <= '2019-01-15T05:25:00'",
            &QueryOptions::default(),
        )
        .unwrap();
    assert_eq!(procs.len().to_string(), strings(&expected, "n")[0]);
    assert!(procs.len() > 10 && procs.len() < 363, "{}", procs.len());
    // list_host_events reads all_events_df by default; the table parameter points it elsewhere.
    let err = qp.query("WindowsSecurity.list_host_events").param("host_name", "h").start(-1).end(0).run().unwrap_err();
    assert!(err.to_string().contains("all_events_df"), "{err}");
    let events = qp
        .query("WindowsSecurity.list_host_events")
        .param("host_name", "MSTICAlertsWin1")
        .param("table", "host_logons")
        .start("2019-01-15")
        .end("2019-01-16")
        .run()
        .unwrap();
    assert_eq!(events.len(), 14);
}

#[test]
fn alerts_and_azure_flows_filter_real_files() {
    let alerts_csv = fixture("msticpy/notebook-data/alertlist.csv").expect("MSTICPy notebook data");
    let qp = provider(vec![alerts_csv, testdata("az_net_flows.csv")]);
    // 21 of the 189 alerts were generated on 2019-01-12.
    let alerts =
        qp.query("SecurityAlert.list_alerts").param("table", "alertlist").start("2019-01-12 00:00:00").end("2019-01-13 00:00:00").run().unwrap();
    let times = strings(&alerts, "TimeGenerated");
    assert_eq!(times.len(), 21);
    assert!(times.iter().all(|t| t.starts_with("2019-01-12")), "{times:?}");
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");

    let flows = |name: &str| qp.query(name).param("table", "az_net_flows").start("2019-02-12 00:00:00").end("2019-02-15 00:00:00");
    let by_ip = flows("Network.list_azure_network_flows_by_ip").param("ip_address_list", vec!["65.55.44.109"]).run().unwrap();
    assert!(!by_ip.is_empty());
    assert!(strings(&by_ip, "AllExtIPs").iter().all(|ip| ip == "65.55.44.109"));
    let by_host = flows("Network.list_azure_network_flows_by_host").param("host_name", "MSTICAlertsWin1").run().unwrap();
    assert!(by_host.len() > by_ip.len());
    assert!(strings(&by_host, "VMName").iter().all(|vm| vm == "msticalertswin1"));
}

#[test]
fn signins_read_the_aad_logons_table() {
    let dir = tempdir("signins");
    std::fs::write(
        dir.join("aad_logons.csv"),
        "TimeGenerated,UserPrincipalName,IPAddress,Location\n\
         2024-05-01T08:00:00Z,alice@contoso.com,203.0.113.5,GB\n\
         2024-05-01T09:30:00Z,bob@contoso.com,198.51.100.7,US\n\
         2024-05-02T10:00:00Z,alice@contoso.com,203.0.113.5,GB\n",
    )
    .unwrap();
    let qp = provider(vec![dir.clone()]);
    let signins = qp.query("Azure.list_all_signins_geo").start("2024-05-01").end("2024-05-01 23:59:59").run().unwrap();
    assert_eq!(strings(&signins, "UserPrincipalName"), ["alice@contoso.com", "bob@contoso.com"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sample_dataset_queries_find_the_seeded_activity() {
    let dir = tempdir("sample");
    let data = SampleData::new(42);
    sample::generate_dataset_with(&dir, &data).unwrap();
    let qp = provider(vec![dir.clone()]);
    let (start, end) = (data.start, data.end);
    let run = |name: &str, params: &[(&str, &str)]| {
        let mut call = qp.query(name).start(start).end(end);
        for (param, value) in params {
            call = call.param(param, *value);
        }
        call.run().unwrap_or_else(|e| panic!("{name}: {e}"))
    };

    // The brute-force burst against the web server comes from the second suspicious address and
    // ends in a success.
    let sources = run("Sample.list_failed_logon_sources", &[]);
    assert_eq!(strings(&sources, "IpAddress")[0], SUSPICIOUS_IPS[1]);
    assert!(strings(&sources, "Successes")[0].parse::<i64>().unwrap() >= 1);
    let failures = strings(&sources, "Failures")[0].parse::<usize>().unwrap();
    let failed_logons = run("Sample.list_logon_failures", &[]);
    assert!(failures >= 5 && failures <= failed_logons.len(), "{failures} of {}", failed_logons.len());

    let procs = run("Sample.list_host_processes", &[("host_name", "wks-fin-01")]);
    assert!(!procs.is_empty() && procs.len() < 5_000 / 4, "{}", procs.len());
    assert!(strings(&procs, "Computer").iter().all(|h| h == "WKS-FIN-01"));
    // Half the day holds roughly half the host's processes.
    let half = qp.query("Sample.list_host_processes").param("host_name", "WKS-FIN-01").start(start).end(start + Duration::hours(12)).run().unwrap();
    assert!(half.len() < procs.len() && half.len() > procs.len() / 4, "{} of {}", half.len(), procs.len());

    let encoded = run("Sample.list_encoded_powershell", &[]);
    assert!(!encoded.is_empty());
    assert!(strings(&encoded, "CommandLine").iter().all(|c| c.to_lowercase().contains(" -e")), "{encoded:?}");

    // A process with children: its tree holds the source, its children and its parent chain.
    let parent = LocalDataDriver::from_paths([&dir])
        .query(
            "select p.Computer, p.NewProcessId, count(*) as children from processes p \
             join processes c on c.Computer = p.Computer and c.ProcessId = p.NewProcessId and c.TimeGenerated >= p.TimeGenerated \
             group by p.Computer, p.NewProcessId having count(distinct p.TimeGenerated) = 1 order by children desc, p.NewProcessId limit 1",
            &QueryOptions::default(),
        )
        .unwrap();
    let (host, pid) = (strings(&parent, "Computer")[0].clone(), strings(&parent, "NewProcessId")[0].clone());
    let tree = run("Sample.get_process_tree", &[("host_name", &host), ("process_id", &pid)]);
    let roles = strings(&tree, "NodeRole");
    assert_eq!(roles.iter().filter(|r| *r == "source").count(), 1, "{roles:?}");
    assert!(roles.iter().any(|r| r == "descendant"), "{roles:?}");
    assert!(strings(&tree, "Computer").iter().all(|h| *h == host));

    let by_domain = run("Sample.list_connections_by_domain", &[("domain", SUSPICIOUS_DOMAINS[0])]);
    assert!(!by_domain.is_empty());
    assert!(strings(&by_domain, "DestinationHostname").iter().all(|d| d == SUSPICIOUS_DOMAINS[0]));
    let by_ip = qp.query("Sample.list_connections_by_ip").param("ip_address_list", SUSPICIOUS_IPS.to_vec()).start(start).end(end).run().unwrap();
    assert!(!by_ip.is_empty());
    assert!(strings(&by_ip, "DestinationIp").iter().all(|ip| SUSPICIOUS_IPS.contains(&ip.as_str())));
    let flows = qp.query("Sample.list_network_flows_by_ip").param("ip_address_list", vec![SUSPICIOUS_IPS[1]]).start(start).end(end).run().unwrap();
    assert!(!flows.is_empty());
    assert!(strings(&flows, "SrcIP").iter().zip(strings(&flows, "DestIP")).all(|(s, d)| s == SUSPICIOUS_IPS[1] || d == SUSPICIOUS_IPS[1]));
    let vm_flows = run("Sample.list_network_flows_by_host", &[("host_name", "SRV-WEB-03")]);
    assert!(!vm_flows.is_empty() && strings(&vm_flows, "VMName").iter().all(|vm| vm == "srv-web-03"));

    // Every other Sample query runs and filters to its entity.
    let alice = run("Sample.list_logons_by_account", &[("account_name", "Alice")]);
    assert!(!alice.is_empty() && strings(&alice, "TargetUserName").iter().all(|u| u == "alice"));
    let web_logons = run("Sample.list_host_logons", &[("host_name", "SRV-WEB-03")]);
    assert!(!web_logons.is_empty() && strings(&web_logons, "EventID").iter().all(|e| e == "4624"));
    let by_text = run("Sample.list_processes_by_command_line", &[("command_line", "-ENC")]);
    assert_eq!(by_text.len(), encoded.len());
    let connections = run("Sample.list_host_connections", &[("host_name", "WKS-DEV-12")]);
    assert!(!connections.is_empty() && strings(&connections, "Computer").iter().all(|h| h == "WKS-DEV-12"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_shipped_localdata_query_is_listed() {
    let qp = provider(vec![tempdir("empty")]);
    let names = qp.list_queries().names();
    for name in [
        "SecurityAlert.list_alerts",
        "WindowsSecurity.list_host_logons",
        "WindowsSecurity.list_host_processes",
        "WindowsSecurity.list_host_logon_failures",
        "WindowsSecurity.list_host_events",
        "WindowsSecurity.get_process_tree",
        "Network.list_azure_network_flows_by_ip",
        "Network.list_azure_network_flows_by_host",
        "Azure.list_all_signins_geo",
    ] {
        assert!(names.contains(&name.to_string()), "{name} missing from {names:?}");
    }
    assert_eq!(names.iter().filter(|n| n.starts_with("Sample.")).count(), 13);
    // A time range with a fixed "now" renders into the SQL as ISO text.
    let start = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    let text = qp.query("Sample.list_logon_failures").start(start).end(start + Duration::days(1)).render().unwrap();
    assert!(text.contains("TimeGenerated >= '2024-05-01T00:00:00+00:00' and TimeGenerated <= '2024-05-02T00:00:00+00:00'"), "{text}");
}

/// A fresh folder under the system temp folder for one test.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mstic-shipped-localdata-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn one_line_provider_with_settings_in_code_runs_the_shipped_queries() {
    let dir = tempdir("one-line");
    let data = SampleData::new(7);
    sample::generate_dataset_with(&dir, &data).unwrap();
    let settings = mstic_data::DriverSettings::with_data_paths([&dir]).set("some_option", "on");
    let qp = QueryProvider::with_settings("localdata", settings).expect("provider");
    assert_eq!(qp.environment(), "LocalData");
    assert_eq!(qp.settings().data_paths, vec![dir.clone()]);
    assert_eq!(qp.settings().option("some_option"), Some("on"));
    let failures = qp.query("Sample.list_logon_failures").start(data.start).end(data.end).run().unwrap();
    assert!(failures.len() >= 5, "{} failed logons", failures.len());
}
