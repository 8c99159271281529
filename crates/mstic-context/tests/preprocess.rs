//! Pre-lookup checks with MSTICPy's messages (`tests/context/test_tiproviders.py::_OBS_TYPES`).

use mstic_context::ti::preprocess::{entropy, infer_ioc_type};
use mstic_context::ti::{clean_url, preprocess_observable};

#[test]
fn msticpy_observable_table() {
    let a32 = "A".repeat(32);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("ipv4", "127.0.0.1", "IP address is not global"),
        ("ipv4", "not an ip address", "Observable does not match expected pattern for ipv4"),
        ("ipv4", "185.92.220.35", "ok"),
        ("ipv4", "185[.]92[.]220[.]35", "ok"),
        ("ipv6", "185.92.220.35", "Observable does not match expected pattern for ipv6"),
        ("ipv4", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "Observable does not match expected pattern for ipv4"),
        ("ipv6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IP address is not global"),
        ("ipv6", "2345:0425:2CA1:0000:0000:0567:5673:23b5", "ok"),
        ("dns", "www.python.com", "ok"),
        ("dns", "www[.]python[.]com", "ok"),
        ("dns", "localhost", "Observable does not match expected pattern for dns"),
        ("dns", "185.92.220.35", "Observable does not match expected pattern for dns"),
        ("md5_hash", "AAAAAAAAAAAAAAAA", "Observable does not match expected pattern for md5_hash"),
        ("md5_hash", &a32, "String has too low an entropy to be a hash"),
        ("md5_hash", "A123008438B9C391A123008438B9C391", "ok"),
        ("other_type", "A123008438B9C391", "ok"),
        ("url", "https://www.python.com", "ok"),
        ("url", "https://www[.]python[.]com", "ok"),
        ("url", "hXXps://www[.]python[.]com", "ok"),
    ];
    for (ioc_type, observable, expected) in cases {
        let result = preprocess_observable(observable, ioc_type);
        assert_eq!(result.status, expected, "{ioc_type} {observable}");
        assert_eq!(result.observable.is_some(), expected == "ok", "{ioc_type} {observable}");
    }
}

#[test]
fn refanged_values_are_what_providers_get() {
    assert_eq!(preprocess_observable("185[.]92[.]220[.]35", "ipv4").observable.as_deref(), Some("185.92.220.35"));
    assert_eq!(preprocess_observable("hXXps://www[.]python[.]com", "url").observable.as_deref(), Some("https://www.python.com"));
}

#[test]
fn url_checks() {
    assert_eq!(preprocess_observable("http://192.168.1.1/x", "url").status, "Host part of URL is a private IP address");
    assert_eq!(preprocess_observable("http://127.0.0.1/x", "url").status, "Host part of URL is a private IP address");
    assert_eq!(
        clean_url("https://me@www.microsoft.com:443/test1?testparam=x").as_deref(),
        Some("https://me@www.microsoft.com:443/test1")
    );
    assert_eq!(clean_url("https://www.microsoft.com").as_deref(), Some("https://www.microsoft.com"));
    assert_eq!(clean_url("no url here"), None);
}

#[test]
fn entropy_and_type_inference() {
    assert!(entropy(&"A".repeat(32)) < 0.001);
    assert!((entropy("ab") - 1.0).abs() < 1e-9);
    assert_eq!(infer_ioc_type("185.92.220.35"), "ipv4");
    assert_eq!(infer_ioc_type("2345:425:2ca1::567:5673:23b5"), "ipv6");
    assert_eq!(infer_ioc_type("www.python.com"), "dns");
    assert_eq!(infer_ioc_type("https://www.python.com/path"), "url");
    assert_eq!(infer_ioc_type("A123008438B9C391A123008438B9C391"), "md5_hash");
    assert_eq!(infer_ioc_type("185[.]92[.]220[.]35"), "ipv4");
}
