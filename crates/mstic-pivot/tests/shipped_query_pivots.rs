//! The shipped query library (`queries/`) gives entities the data-query pivots MSTICPy users call
//! by name: the same functions MSTICPy builds from its own Sentinel queries, with MSTICPy's
//! parameter → entity map and naming rule, from our library alone (no fixture folder).

use mstic_core::config::MsticConfig;
use mstic_data::provider::QueryProvider;
use mstic_pivot::*;

fn function_names(pivots: &Pivots, entity: &str) -> Vec<String> {
    let list = pivots.list(entity).unwrap();
    let containers = list.column_strings("container").unwrap();
    let functions = list.column_strings("function").unwrap();
    containers
        .into_iter()
        .zip(functions)
        .filter(|(c, _)| c.as_deref() == Some("MSSentinel"))
        .filter_map(|(_, f)| f)
        .collect()
}

#[test]
fn the_shipped_sentinel_library_gives_entities_msticpys_query_pivots() {
    let config = MsticConfig::from_yaml_str("{}", "empty config").unwrap();
    let provider = QueryProvider::with_config("MSSentinel", &config, &[]).unwrap();
    assert!(provider.store().len() >= 150, "{} queries", provider.store().len());
    let pivots = Pivots::new();
    pivots.add_query_provider(provider).unwrap();
    let account = function_names(&pivots, "Account");
    for name in [
        "aad_signins", "azure_activity", "o365_activity", "sec_alerts", "sent_bookmarks", "syslog_logon_failures", "syslog_logons",
        "syslog_sudo_activity", "wevt_get_process_tree", "wevt_logon_attempts", "wevt_logon_failures", "wevt_logon_session",
        "wevt_logons", "wevt_parent_process", "wevt_process_session",
    ] {
        assert!(account.contains(&name.to_string()), "Account.MSSentinel.{name} missing from {account:?}");
    }
    let host = function_names(&pivots, "Host");
    for name in ["wevt_logons", "wevt_logon_failures", "wevt_processes", "wevt_all_events", "heartbeat", "syslog_logons", "sec_alerts", "az_nsg_net_flows", "sent_bookmarks"] {
        assert!(host.contains(&name.to_string()), "Host.MSSentinel.{name} missing from {host:?}");
    }
    let ip = function_names(&pivots, "IpAddress");
    assert!(ip.iter().any(|n| n.starts_with("ti_")), "threat-intel lookups by IP keep MSTICPy's `ti_` prefix: {ip:?}");
    assert!(ip.iter().any(|n| n.starts_with("az_nsg_")), "{ip:?}");
    // MSTICPy's own lower bounds for its Sentinel queries (test_pivot_data_queries_create.py).
    for (entity, at_least) in [("Host", 25), ("IpAddress", 12), ("Process", 7), ("Url", 2), ("Dns", 2), ("AzureResource", 2)] {
        let n = function_names(&pivots, entity).len();
        assert!(n >= at_least, "{entity}: {n} < {at_least}");
    }
    let logons = pivots.get("Host", "MSSentinel.wevt_logons").unwrap();
    assert_eq!((logons.attribute.as_str(), logons.input_column.as_str()), ("fqdn", "host_name"));
}
