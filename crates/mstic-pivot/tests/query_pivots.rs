//! Data-query pivots: generated from MSTICPy's Microsoft Sentinel query files with MSTICPy's
//! parameter → entity map and naming rule, and run through LocalData on MSTICPy's test data.

// Entities are passed by reference on purpose: that is how notebook cells keep using them.
#![allow(clippy::needless_borrows_for_generic_args)]

use mstic_core::Frame;
use mstic_core::config::MsticConfig;
use mstic_core::paths::fixture;
use mstic_data::DriverSettings;
use mstic_data::provider::QueryProvider;
use mstic_pivot::*;

fn strings(frame: &Frame, column: &str) -> Vec<String> {
    frame.column_strings(column).unwrap().into_iter().map(Option::unwrap_or_default).collect()
}

fn function_names(pivots: &Pivots, entity: &str, container: &str) -> Vec<String> {
    let list = pivots.list(entity).unwrap();
    strings(&list, "container").into_iter().zip(strings(&list, "function")).filter(|(c, _)| c == container).map(|(_, f)| f).collect()
}

fn sentinel_pivots() -> Pivots {
    let pivots = Pivots::new();
    let query_dir = fixture("msticpy/queries").unwrap();
    let config = MsticConfig::from_yaml_str(
        &format!("QueryDefinitions:\n  Default: ['{}']\n", query_dir.display()),
        "test config",
    )
    .unwrap();
    let provider = QueryProvider::with_config("MSSentinel", &config, &[]).unwrap();
    assert!(provider.store().len() > 70, "{} queries", provider.store().len());
    let added = pivots.add_query_provider(provider).unwrap();
    assert!(added > 100, "{added} pivots");
    pivots
}

#[test]
fn sentinel_queries_attach_to_entities_by_parameter_with_msticpy_names() {
    let pivots = sentinel_pivots();
    let account = function_names(&pivots, "Account", "MSSentinel");
    let expected = [
        "aad_signins", "azure_activity", "o365_activity", "sec_alerts", "sent_bookmarks", "syslog_logon_failures", "syslog_logons",
        "syslog_squid_activity", "syslog_sudo_activity", "wevt_get_process_tree", "wevt_logon_attempts", "wevt_logon_failures",
        "wevt_logon_session", "wevt_logons", "wevt_parent_process", "wevt_process_session",
    ];
    for name in expected {
        assert!(account.contains(&name.to_string()), "{name} in {account:?}");
    }
    // The M365D queries loaded for Sentinel: a table without a short name prefixes with its
    // name; a query without a `table` parameter keeps its bare name.
    assert!(account.contains(&"IdentityLogonEvents_logons_for_account".to_string()), "{account:?}");
    assert!(account.contains(&"user_logons".to_string()), "{account:?}");
    // MSTICPy's own lower bounds for its Sentinel queries (test_pivot_data_queries_create.py).
    for (entity, at_least) in [("Host", 25), ("IpAddress", 12), ("Process", 7), ("Url", 2), ("Dns", 2), ("AzureResource", 2)] {
        let n = function_names(&pivots, entity, "MSSentinel").len();
        assert!(n >= at_least, "{entity}: {n} < {at_least}");
    }
    let dns = function_names(&pivots, "Dns", "MSSentinel");
    assert!(dns.contains(&"dns_queries".to_string()), "short_name with the DnsEvents prefix: {dns:?}");
    let host = function_names(&pivots, "Host", "MSSentinel");
    assert!(host.contains(&"heartbeat".to_string()), "Heartbeat has no prefix: {host:?}");
    assert!(host.contains(&"CommonSecurityLog_ips_csl".to_string()), "other tables prefix with their name: {host:?}");
    let logons = pivots.get("Host", "MSSentinel.wevt_logons").unwrap();
    assert_eq!((logons.attribute.as_str(), logons.input_column.as_str()), ("fqdn", "host_name"));
    let ip = pivots.get("IpAddress", "MSSentinel.az_nsg_net_flows").unwrap();
    assert_eq!(ip.input_column, "ip_address_list");
    // No driver for Sentinel here: the call reaches the provider, which says so.
    let err = logons.call(&Host::new("msticalertswin1")).unwrap_err().to_string();
    assert!(err.contains("MSSentinel"), "{err}");
}

const PIVOT_QUERIES: &str = r#"
metadata:
  version: 1
  description: Pivot test queries over MSTICPy's test data
  data_environments: [LocalData]
  data_families: [PivotTest]
defaults:
  parameters:
    start: {description: Query start time, type: datetime}
    end: {description: Query end time, type: datetime}
sources:
  logons_for_account:
    description: Logons of an account
    args:
      query: "select TargetUserName, LogonType, IpAddress from host_logons where TargetUserName = '{account_name}' order by TargetLogonId"
    parameters:
      account_name: {description: Account, type: str}
  flows_for_ips:
    description: Flows with these external IPs
    args:
      query: "select AllExtIPs, VMName, L7Protocol from az_net_flows where AllExtIPs in ({ip_address_list}) order by AllExtIPs"
    parameters:
      ip_address_list: {description: IP addresses, type: list}
"#;

fn local_pivots() -> Pivots {
    let dir = std::env::temp_dir().join(format!("mstic-pivot-queries-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pivot_test_queries.yaml");
    std::fs::write(&file, PIVOT_QUERIES).unwrap();
    let driver = mstic_data::create_driver("LocalData", &DriverSettings::with_data_paths([fixture("msticpy/testdata").unwrap()])).unwrap();
    let mut provider = QueryProvider::with_driver(driver);
    provider.add_query_path(&file).unwrap();
    provider.connect().unwrap();
    let pivots = Pivots::new();
    pivots.add_query_provider(provider).unwrap();
    pivots
}

#[test]
fn query_pivots_run_per_value_and_join_by_input_row() {
    let pivots = local_pivots();
    let by_account = Account::pivots_in(&pivots).container("LocalData");
    assert!(by_account.names().contains(&"logons_for_account".to_string()));
    let admin = by_account.call("logons_for_account", &Account::new("MSTICAlertsWin1\\MSTICAdmin")).unwrap();
    assert_eq!(strings(&admin, "TargetUserName"), vec!["MSTICAdmin", "MSTICAdmin"]);
    let accounts = Frame::from_string_rows(&["user"], &[vec![Some("adm1nistrator")], vec![Some("nobody")], vec![Some("MSTICAdmin")]]).unwrap();
    let plain = by_account.call("logons_for_account", (&accounts, "user")).unwrap();
    assert_eq!(strings(&plain, "src_row_index"), vec!["0", "2", "2"]);
    let joined = by_account.call("logons_for_account", PivotInput::column(&accounts, "user").join("left")).unwrap();
    assert_eq!(strings(&joined, "user"), vec!["adm1nistrator", "nobody", "MSTICAdmin", "MSTICAdmin"]);
    assert_eq!(joined.column_strings("TargetUserName").unwrap()[1], None);
    assert!(!joined.has_column("src_row_index"));
    let inner = by_account.call("logons_for_account", PivotInput::column(&accounts, "user").join("inner")).unwrap();
    assert_eq!(inner.len(), 3);
    // A column of nulls runs no query; a left join keeps the input rows.
    let nulls = Frame::from_string_rows(&["user"], &[vec![None], vec![None]]).unwrap();
    let kept = by_account.call("logons_for_account", PivotInput::column(&nulls, "user").join("left")).unwrap();
    assert_eq!((kept.len(), kept.columns()), (2, vec!["user".to_string()]));
}

#[test]
fn list_parameters_take_all_values_in_one_query() {
    let pivots = local_pivots();
    let flows = pivots.get("IpAddress", "LocalData.flows_for_ips").unwrap();
    let ips = vec!["65.55.44.109", "13.71.172.128", "10.0.0.99"];
    let result = flows.call(ips.clone()).unwrap();
    let found: std::collections::BTreeSet<String> = strings(&result, "AllExtIPs").into_iter().collect();
    assert_eq!(found.into_iter().collect::<Vec<_>>(), vec!["13.71.172.128", "65.55.44.109"]);
    let input = Frame::from_string_rows(&["ip"], &ips.iter().map(|i| vec![Some(*i)]).collect::<Vec<_>>()).unwrap();
    let joined = flows.call(PivotInput::column(&input, "ip").join_on("ip", "AllExtIPs").join("left")).unwrap();
    let unmatched: Vec<String> = strings(&joined, "ip").into_iter().zip(joined.column_strings("VMName").unwrap()).filter(|(_, v)| v.is_none()).map(|(ip, _)| ip).collect();
    assert_eq!(unmatched, vec!["10.0.0.99"]);
}
