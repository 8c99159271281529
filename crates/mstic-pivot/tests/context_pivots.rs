//! Context pivots: `ip_type` in every call form with MSTICPy's fixed inputs and merges, GeoLite2
//! `geoloc` on the MaxMind test databases, and `ti`/`whois` against the demo services on 127.0.0.1.

// Entities are passed by reference on purpose: that is how notebook cells keep using them.
#![allow(clippy::needless_borrows_for_generic_args)]

use mstic_context::GeoIpLookup;
use mstic_demo::DemoTiServer;
use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_pivot::*;

const IP_LIST: [(&str, &str); 4] =
    [("104.211.30.1", "Public"), ("104.211.30.2", "Public"), ("192.168.0.1", "Private"), ("127.0.0.1", "Loopback")];

fn strings(frame: &Frame, column: &str) -> Vec<String> {
    frame.column_strings(column).unwrap().into_iter().map(Option::unwrap_or_default).collect()
}

fn input_frame() -> Frame {
    let rows: Vec<Vec<Option<&str>>> = [("0", IP_LIST[0].0), ("1", IP_LIST[1].0), ("2", IP_LIST[2].0), ("3", IP_LIST[3].0)]
        .iter()
        .map(|(i, ip)| vec![Some(*i), Some(*ip), Some("test1"), Some("test2")])
        .collect();
    Frame::from_string_rows(&["idx", "ip", "extra_col1", "extra_col2"], &rows).unwrap()
}

#[test]
fn ip_type_value_list_entity_and_column() {
    let pivots = Pivots::new();
    let util = IpAddress::pivots_in(&pivots).container("util");
    let one = util.call("ip_type", "104.211.30.1").unwrap();
    assert_eq!((strings(&one, "ip"), strings(&one, "result")), (vec!["104.211.30.1".into()], vec!["Public".to_string()]));
    let all = util.call("ip_type", IP_LIST.map(|(ip, _)| ip)).unwrap();
    assert_eq!(strings(&all, "result"), IP_LIST.map(|(_, t)| t.to_string()).to_vec());
    let entity = util.call("ip_type", &IpAddress::new("127.0.0.1")).unwrap();
    assert_eq!(strings(&entity, "result"), vec!["Loopback"]);
    let shortcut = pivots.call("ip", "ip_type", (&input_frame(), "ip")).unwrap();
    assert_eq!(strings(&shortcut, "ip"), IP_LIST.map(|(ip, _)| ip.to_string()).to_vec());
    assert_eq!(strings(&shortcut, "result"), IP_LIST.map(|(_, t)| t.to_string()).to_vec());
    assert_eq!(strings(&shortcut, "src_row_index"), vec!["0", "1", "2", "3"]);
}

#[test]
fn ip_type_merges_back_onto_the_input() {
    let pivots = Pivots::new();
    let ip_type = pivots.get("IpAddress", "util.ip_type").unwrap();
    let input = input_frame();
    let plain = ip_type.call((&input, "ip")).unwrap();
    for how in [PivotJoin::Left, PivotJoin::Inner, PivotJoin::Right, PivotJoin::Outer] {
        let merged = ip_type.call(PivotInput::column(&input, "ip").join(how)).unwrap();
        // Input columns plus result columns, minus the shared key and src_row_index.
        assert_eq!(merged.columns(), vec!["idx", "ip", "extra_col1", "extra_col2", "result"], "{how:?}");
        assert!(merged.num_columns() <= plain.num_columns() + input.num_columns());
        assert_eq!(strings(&merged, "ip"), IP_LIST.map(|(ip, _)| ip.to_string()).to_vec(), "{how:?}");
        assert_eq!(strings(&merged, "result"), IP_LIST.map(|(_, t)| t.to_string()).to_vec(), "{how:?}");
        assert_eq!(strings(&merged, "extra_col2"), vec!["test2"; 4]);
    }
    // Repeated values: one output row per input row, in input order.
    let repeated = Frame::from_string_rows(&["ip"], &[vec![Some("10.1.1.1")], vec![Some("8.8.8.8")], vec![Some("10.1.1.1")]]).unwrap();
    let merged = ip_type.call(PivotInput::column(&repeated, "ip").join("left")).unwrap();
    assert_eq!(strings(&merged, "ip"), vec!["10.1.1.1", "8.8.8.8", "10.1.1.1"]);
    assert_eq!(strings(&merged, "result"), vec!["Private", "Public", "Private"]);
}

#[test]
fn geoloc_uses_the_geolite_test_databases() {
    let pivots = Pivots::new();
    let geo = GeoIpLookup::open(&fixture("maxmind/GeoLite2-City-Test.mmdb").unwrap(), Some(&fixture("maxmind/GeoLite2-ASN-Test.mmdb").unwrap())).unwrap();
    pivots.add_geoip(geo);
    let one = pivots.call("IpAddress", "geoloc", &IpAddress::new("81.2.69.142")).unwrap();
    assert_eq!(strings(&one, "CountryCode"), vec!["GB"]);
    assert_eq!(strings(&one, "City"), vec!["London"]);
    let input = Frame::from_string_rows(&["SrcIP"], &[vec![Some("81.2.69.142")], vec![Some("10.0.0.1")], vec![Some("81.2.69.142")]]).unwrap();
    let joined = pivots.call("IpAddress", "util.geoloc", PivotInput::column(&input, "SrcIP").join("left")).unwrap();
    assert_eq!(strings(&joined, "SrcIP"), vec!["81.2.69.142", "10.0.0.1", "81.2.69.142"]);
    assert_eq!(strings(&joined, "CountryCode"), vec!["GB", "", "GB"]);
    assert!(joined.has_column("IpAddress"), "left_on and right_on differ, so both key columns stay");
}

#[test]
fn ti_pivots_look_up_through_the_demo_providers() {
    let demo = DemoTiServer::start().unwrap();
    let pivots = Pivots::new();
    pivots.add_ti(demo.ti_lookup().unwrap());
    let listed = strings(&pivots.list("IpAddress").unwrap(), "function");
    assert!(listed.contains(&"lookup_ip".to_string()));
    let one = pivots.call("IpAddress", "tilookup_ip", "185.220.101.7").unwrap();
    assert_eq!(one.columns()[..5], ["Ioc", "IocType", "SafeIoc", "QuerySubtype", "Provider"]);
    let providers = strings(&one, "Provider");
    assert!(providers.iter().any(|p| p.contains("Tor")), "{providers:?}");
    assert!(strings(&one, "Ioc").iter().all(|i| i == "185.220.101.7"));
    let input = Frame::from_string_rows(&["ip", "host"], &[vec![Some("185.220.101.7"), Some("a")], vec![Some("104.211.30.1"), Some("b")]]).unwrap();
    let joined = IpAddress::ti_in(&pivots).lookup_ip(PivotInput::column(&input, "ip").join("inner")).unwrap();
    let hosts: std::collections::BTreeSet<String> = strings(&joined, "host").into_iter().collect();
    assert_eq!(hosts.into_iter().collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(joined.len(), one.len() * 2);
    let dns = Dns::ti_in(&pivots).lookup_dns("www.contoso.com").unwrap();
    assert!(strings(&dns, "IocType").iter().all(|t| t == "dns"), "{dns}");
}

#[test]
fn dns_pivots_use_the_system_resolver() {
    let pivots = Pivots::new();
    let resolved = Dns::util_in(&pivots).dns_resolve("localhost").unwrap();
    assert!(strings(&resolved, "response").iter().any(|r| r == "127.0.0.1" || r == "::1"), "{resolved}");
    let resolvable = pivots.call("Dns", "dns_is_resolvable", vec!["localhost", "no-such-host.invalid"]).unwrap();
    assert_eq!(strings(&resolvable, "result"), vec!["True", "False"]);
    let reverse = IpAddress::util_in(&pivots).ip_rev_resolve("127.0.0.1").unwrap();
    assert_eq!(strings(&reverse, "qname"), vec!["1.0.0.127.in-addr.arpa"]);
}

#[test]
fn whois_uses_the_configured_rdap_service() {
    let demo = DemoTiServer::start().unwrap();
    let pivots = Pivots::new();
    pivots.add_whois(demo.rdap_client());
    let result = IpAddress::util_in(&pivots).whois("104.211.30.1").unwrap();
    assert_eq!(strings(&result, "query"), vec!["104.211.30.1"]);
    assert!(result.has_column("asn_description") && result.has_column("nets"));
}
