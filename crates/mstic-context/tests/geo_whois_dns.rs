//! GeoLite2 test databases, IPStack, whois over RDAP (with a local ASN whois server and RDAP
//! server) and system DNS resolution.

mod support;

use mstic_demo::{DemoTiServer, HttpResponse, LocalServer};
use mstic_context::{GeoIpLookup, IpStackLookup, RdapClient, dns_resolve, dns_reverse};
use mstic_core::config::MsticConfig;
use mstic_core::paths::fixture;
use serde_json::json;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::{cell, tar_gz};

fn geo() -> GeoIpLookup {
    GeoIpLookup::open(&fixture("maxmind/GeoLite2-City-Test.mmdb").unwrap(), Some(&fixture("maxmind/GeoLite2-ASN-Test.mmdb").unwrap())).unwrap()
}

#[test]
fn geolite_known_answers() {
    let geo = geo();
    let london = geo.lookup("81.2.69.142").unwrap();
    assert_eq!(london.country_code.as_deref(), Some("GB"));
    assert_eq!(london.country_name.as_deref(), Some("United Kingdom"));
    assert_eq!(london.state.as_deref(), Some("England"));
    assert_eq!(london.city.as_deref(), Some("London"));
    assert_eq!(london.latitude, Some(51.5142));
    assert_eq!(london.longitude, Some(-0.0931));
    let cases = [("89.160.20.128", "SE", "Linköping"), ("216.160.83.56", "US", "Milton"), ("175.16.199.0", "CN", "Changchun")];
    for (ip, country, city) in cases {
        let record = geo.lookup(ip).unwrap();
        assert_eq!((record.country_code.as_deref(), record.city.as_deref()), (Some(country), Some(city)), "{ip}");
    }
}

#[test]
fn geolite_asn_and_placeholders() {
    let geo = geo();
    let telstra = geo.lookup("1.128.0.0").unwrap();
    assert_eq!(telstra.asn, Some(1221));
    assert_eq!(telstra.asn_org.as_deref(), Some("Telstra Pty Ltd"));
    let private = geo.lookup("192.168.0.1").unwrap();
    assert_eq!(private.country_name.as_deref(), Some("Private address"));
    assert_eq!(private.city, None);
    assert!(geo.lookup("not-an-ip").unwrap_err().to_string().contains("'not-an-ip' is not an IP address"));
    let missing = GeoIpLookup::open(std::path::Path::new("/nonexistent/GeoLite2-City.mmdb"), None).unwrap_err();
    assert!(missing.to_string().starts_with("/nonexistent/GeoLite2-City.mmdb: cannot open GeoIP database"));
}

#[test]
fn geolite_frame() {
    let ips: Vec<String> = vec!["81.2.69.142".into(), "127.0.0.1".into(), "bogus".into()];
    let frame = geo().lookup_frame(&ips).unwrap();
    assert_eq!(
        frame.columns(),
        vec!["IpAddress", "CountryCode", "CountryOrRegionName", "State", "City", "Longitude", "Latitude", "Asn", "AsnOrg"]
    );
    assert_eq!(cell(&frame, 0, "City"), "London");
    assert_eq!(cell(&frame, 1, "CountryOrRegionName"), "Loopback address");
    assert_eq!(cell(&frame, 2, "IpAddress"), "bogus");
    assert_eq!(cell(&frame, 2, "CountryCode"), "");
}

#[test]
fn geolite_from_config_folder() {
    let folder = std::env::temp_dir().join(format!("mstic-geo-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let link = folder.join("GeoLite2-City.mmdb");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(fixture("maxmind/GeoLite2-City-Test.mmdb").unwrap(), &link).unwrap();
    let yaml = format!("OtherProviders:\n  GeoIPLite:\n    Args:\n      DBFolder: {}\n    Provider: GeoLiteLookup\n", folder.display());
    let geo = GeoIpLookup::from_config(&MsticConfig::from_yaml_str(&yaml, "inline.yaml").unwrap()).unwrap();
    assert_eq!(geo.lookup("81.2.69.142").unwrap().city.as_deref(), Some("London"));
    let empty = std::env::temp_dir().join(format!("mstic-geo-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let yaml = format!("OtherProviders:\n  GeoIPLite:\n    Args:\n      DBFolder: {}\n", empty.display());
    let error = GeoIpLookup::from_config(&MsticConfig::from_yaml_str(&yaml, "inline.yaml").unwrap()).unwrap_err();
    assert!(error.to_string().contains("GeoLite2 City database not found"));
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn ipstack_single_many_and_errors() {
    let demo = DemoTiServer::start().unwrap();
    let ipstack = IpStackLookup::from_config(&demo.config()).unwrap();
    let one = ipstack.lookup("8.8.8.8").unwrap();
    assert_eq!((one.country_code.as_deref(), one.city.as_deref()), (Some("US"), Some("Ashburn")));
    let frame = ipstack.lookup_frame(&["8.8.8.8".to_string(), "1.1.1.1".to_string()]).unwrap();
    assert_eq!(frame.len(), 2);
    assert_eq!(cell(&frame, 1, "IpAddress"), "1.1.1.1");
    let refusing = LocalServer::start(|r| {
        let key = r.query_param("access_key").unwrap_or_default();
        HttpResponse::json(200, &json!({"success": false, "error": {"code": 101, "type": "invalid_access_key", "info": format!("bad key {key}")}}))
    })
    .unwrap();
    let error = IpStackLookup::new("my-secret-key").with_base_url(&refusing.url()).lookup("8.8.8.8").unwrap_err().to_string();
    assert_eq!(error, "IPStack: bad key ********");
    assert!(!format!("{:?}", IpStackLookup::new("my-secret-key")).contains("my-secret"));
}

/// A one-shot-per-connection TCP server answering like whois.cymru.com.
fn cymru_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 256];
            let n = stream.read(&mut buf).unwrap_or(0);
            let query = String::from_utf8_lossy(&buf[..n]).to_string();
            let ip = query.trim().trim_start_matches("-v").trim().to_string();
            let answer = format!(
                "AS      | IP               | BGP Prefix          | CC | Registry | Allocated  | AS Name\n\
                 8075    | {ip:<16} | 104.208.0.0/13      | US | ripencc  | 2015-09-23 | MICROSOFT-CORP-MSN-AS-BLOCK, US\n"
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    addr
}

#[test]
fn whois_via_asn_registry_with_up_links_and_429_backoff() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let rdap = LocalServer::start(move |request| {
        let host = request.header("host").unwrap_or_default().to_string();
        if request.path() == "/ripe/ip/104.211.30.1" {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                return HttpResponse::json(429, &json!({"errorCode": 429}));
            }
            return HttpResponse::json(200, &json!({
                "handle": "104.208.0.0 - 104.215.255.255", "name": "MSFT", "startAddress": "104.208.0.0", "endAddress": "104.215.255.255",
                "country": "US", "cidr0_cidrs": [{"v4prefix": "104.208.0.0", "length": 13}],
                "events": [{"eventAction": "registration", "eventDate": "2014-06-04T00:00:00Z"}, {"eventAction": "last changed", "eventDate": "2021-12-14T00:00:00Z"}],
                "entities": [{"vcardArray": ["vcard", [["adr", {"label": "One Microsoft Way\nRedmond"}, "text", []], ["email", {}, "text", "abuse@microsoft.com"]]]}],
                "links": [{"rel": "self", "href": "x"}, {"rel": "up", "href": format!("http://{host}/ripe/ip/104.0.0.0/6")}]
            }));
        }
        if request.path() == "/ripe/ip/104.0.0.0/6" {
            return HttpResponse::json(200, &json!({"handle": "NET-104-0-0-0-0", "name": "NET104", "startAddress": "104.0.0.0", "endAddress": "107.255.255.255", "events": [], "entities": [], "links": []}));
        }
        HttpResponse::json(404, &json!({"errorCode": 404}))
    })
    .unwrap();
    let client = RdapClient::new()
        .with_asn_server(Some(&cymru_server()))
        .with_registry_url("ripencc", &format!("{}/ripe/ip/", rdap.url()))
        .with_retry(3, Duration::from_millis(20));
    let frame = client.whois_frame(&["104.211.30.1".to_string(), "192.168.0.1".to_string()]).unwrap();
    assert_eq!(cell(&frame, 0, "asn"), "8075");
    assert_eq!(cell(&frame, 0, "asn_registry"), "ripencc");
    assert_eq!(cell(&frame, 0, "asn_cidr"), "104.208.0.0/13");
    assert_eq!(cell(&frame, 0, "asn_description"), "MICROSOFT-CORP-MSN-AS-BLOCK, US");
    let nets: serde_json::Value = serde_json::from_str(&cell(&frame, 0, "nets")).unwrap();
    assert_eq!(nets[0]["cidr"], "104.208.0.0/13");
    assert_eq!(nets[0]["name"], "MSFT");
    assert_eq!(nets[0]["address"], "One Microsoft Way\nRedmond");
    assert_eq!(nets[0]["emails"], json!(["abuse@microsoft.com"]));
    assert_eq!(nets[0]["created"], "2014-06-04T00:00:00Z");
    assert_eq!(nets[1]["name"], "NET104");
    assert_eq!(nets[1]["cidr"], "No network data retrieved.");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one 429, then the answer");
    assert_eq!(cell(&frame, 1, "asn_description"), "No ASN Information for IP type: Private");
}

#[test]
fn whois_bootstrap_fallback_and_persistent_429() {
    let demo = DemoTiServer::start().unwrap();
    let record = demo.rdap_client().lookup("104.211.30.1").unwrap();
    assert!(record.asn.is_none());
    assert_eq!(record.nets.len(), 2);
    assert_eq!(record.nets[0]["name"], "DEMO-NET");
    assert_eq!(record.nets[1]["name"], "DEMO-PARENT");
    let busy = LocalServer::start(|_| HttpResponse::json(429, &json!({}))).unwrap();
    let client = RdapClient::new()
        .with_asn_server(None)
        .with_bootstrap_urls(&format!("{}/v4.json", busy.url()), &format!("{}/v6.json", busy.url()))
        .with_retry(2, Duration::from_millis(10));
    let error = client.lookup("8.8.8.8").unwrap_err().to_string();
    assert!(error.ends_with("HTTP 429"), "{error}");
    assert_eq!(busy.request_count(), 3);
}

#[test]
fn dns_forward_and_reverse_with_the_system_resolver() {
    let frame = dns_resolve("localhost").unwrap();
    assert_eq!(frame.columns(), vec!["qname", "rdtype", "response"]);
    let answers: Vec<String> = (0..frame.len()).map(|i| cell(&frame, i, "response")).collect();
    assert!(answers.iter().any(|a| a == "127.0.0.1" || a == "::1"), "{answers:?}");
    let reverse = dns_reverse("127.0.0.1").unwrap();
    assert_eq!(cell(&reverse, 0, "qname"), "1.0.0.127.in-addr.arpa");
    assert_eq!(cell(&reverse, 0, "rdtype"), "PTR");
    assert!(cell(&reverse, 0, "response").starts_with("localhost"), "{}", cell(&reverse, 0, "response"));
    assert!(dns_reverse("nope").is_err());
    assert!(dns_resolve(" ").is_err());
}

#[test]
fn geolite_download_when_missing() {
    let archive = tar_gz("GeoLite2-City_20240501/GeoLite2-City.mmdb", &std::fs::read(fixture("maxmind/GeoLite2-City-Test.mmdb").unwrap()).unwrap());
    let server = LocalServer::start(move |r| {
        if r.path() == "/GeoLite2-City/download" && r.header("authorization").is_some() {
            HttpResponse::bytes(200, "application/gzip", archive.clone())
        } else {
            HttpResponse::json(401, &json!({"error": "unauthorized"}))
        }
    })
    .unwrap();
    let folder = std::env::temp_dir().join(format!("mstic-geo-dl-{}", std::process::id()));
    let yaml = format!(
        "OtherProviders:\n  GeoIPLite:\n    Args:\n      AccountID: \"12345\"\n      AuthKey: licence-secret\n      DBFolder: {}\n      BaseUrl: {}\n",
        folder.display(),
        server.url()
    );
    let geo = GeoIpLookup::from_config(&MsticConfig::from_yaml_str(&yaml, "inline.yaml").unwrap()).unwrap();
    assert_eq!(geo.lookup("81.2.69.142").unwrap().city.as_deref(), Some("London"));
    assert!(folder.join("GeoLite2-City.mmdb").is_file());
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode("12345:licence-secret");
    assert_eq!(server.requests()[0].header("authorization"), Some(format!("Basic {expected}").as_str()));
    // A fresh file is not downloaded again.
    GeoIpLookup::from_config(&MsticConfig::from_yaml_str(&yaml, "inline.yaml").unwrap()).unwrap();
    assert_eq!(server.request_count(), 1);
    std::fs::remove_dir_all(&folder).unwrap();

    let refused = LocalServer::start(|_| HttpResponse::json(401, &json!({}))).unwrap();
    let yaml = format!(
        "OtherProviders:\n  GeoIPLite:\n    Args:\n      AccountID: \"1\"\n      AuthKey: licence-secret\n      DBFolder: {}\n      BaseUrl: {}\n",
        folder.display(),
        refused.url()
    );
    let error = GeoIpLookup::from_config(&MsticConfig::from_yaml_str(&yaml, "inline.yaml").unwrap()).unwrap_err().to_string();
    assert!(error.contains("HTTP 401"), "{error}");
    assert!(!error.contains("licence-secret"));
}
