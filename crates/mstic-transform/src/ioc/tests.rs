//! MSTICPy's extractor conformance cases (`tests/transform/test_ioc_extractor.py`).

use super::*;
use mstic_core::Frame;

const CASES: [(&str, &str); 17] = [
    ("ipv4_test", r"c:\one\path\or\another\myprocess -ip4:206.123.1.123"),
    (
        "ipv6_test",
        "c:\\one\\path\\or\\another\\myprocess -ip6:(2001:0db8:85a3:0000:0000:8a2e:0370:7334,\n    2001:db8:85a3:0:0:8a2e:370:7334,2001:db8:85a3::8a2e:370:7334,::ffff:192.0.2.128)",
    ),
    (
        "url_test",
        "c:\\one\\path\\or\\another\\myprocess /url:https://some.domain.it/thepath?qry1=abc&qry2=xyz\n        /url:https://myuser@some.domain.es:88/thepath?qry1=abc&qry2=xyz\"<some other trailing stuff",
    ),
    ("windows_path_test", r#"c:\one\path\or\another\myprocess -file:"..\another\file" -file:"\\uncpath\file""#),
    ("linux_path_test", r"/bin/bash --file:./bish --file:/bin/bash --file:../../bosh"),
    (
        "md5_hash_test",
        "00236a2ae558018ed13b5222ef1bd987hash -something-hash=00236a2ae558018ed13b5222ef1bd988hash -something -hash=00236a2ae558018ed13b5222ef1bd989",
    ),
    (
        "sha1_hash_test",
        "00236a2ae558018ed13b5222ef1bd98700000001hash -something -hash=00236a2ae558018ed13b5222ef1bd98700000002hash -something -hash=00236a2ae558018ed13b5222ef1bd98700000003",
    ),
    (
        "sha256_hash_test",
        "00236a2ae558018ed13b5222ef1bd98700000001424246789042424678901234hash -something -hash=00236a2ae558018ed13b5222ef1bd98700000001424246789042424678901235hash -something\n-hash=00236a2ae558018ed13b5222ef1bd98700000001424246789042424678901236",
    ),
    ("url2_test", "curl 'https://www.virustotal.com/en/ip-address/90.156.201.27/information/'"),
    ("domain1_test", "some text with a domain.like.uk in it"),
    ("domain_neg_test", "some text with a bad domain.like.iandom in it"),
    ("domain_short_test", "some text with a microsoft.com in it"),
    ("domain_ycombinator_test", "some text with a news.ycombinator.com in it"),
    ("email1_test", "some text with user@microsoft.com in it"),
    ("email2_test", "some text with User <user@microsoft.com> in it"),
    ("email3_test", "some text with user@microsoft.com (User XYZ)> in it"),
    ("email4_test", "some text with user@abc.def.net> in it"),
];

fn case(name: &str) -> &'static str {
    CASES.iter().find(|(n, _)| *n == format!("{name}_test")).map(|(_, t)| *t).unwrap()
}

fn count(results: &IocResults, ioc_type: &str) -> usize {
    results.get(ioc_type).map_or(0, |s| s.len())
}

fn check(name: &str, expected: &[(&str, usize)]) {
    let results = IocExtractor::new().extract_with(case(name), &ExtractOptions::new().include_paths(true)).unwrap();
    for (ioc_type, n) in expected {
        assert_eq!(count(&results, ioc_type), *n, "{name}: {ioc_type} in {results:?}");
    }
}

#[test]
fn single_cases_match_msticpy_counts() {
    check("ipv4", &[("ipv4", 1)]);
    check("ipv6", &[("ipv6", 3)]);
    check("url", &[("url", 2), ("dns", 2), ("ipv4", 0)]);
    check("url2", &[("url", 1), ("dns", 1), ("ipv4", 1)]);
    check("windows_path", &[("windows_path", 3)]);
    check("linux_path", &[("linux_path", 3)]);
    check("md5_hash", &[("md5_hash", 3)]);
    check("sha1_hash", &[("sha1_hash", 3)]);
    check("sha256_hash", &[("sha256_hash", 3)]);
    check("domain1", &[("dns", 1)]);
    check("domain_neg", &[("dns", 0)]);
    check("domain_short", &[("dns", 1)]);
    check("domain_ycombinator", &[("dns", 1)]);
    for email in ["email1", "email2", "email3", "email4"] {
        check(email, &[("email", 1)]);
    }
}

#[test]
fn url_observables_and_hosts() {
    let results = IocExtractor::new().extract(case("url2"));
    assert!(results["ipv4"].contains("90.156.201.27"));
    assert!(results["dns"].contains("www.virustotal.com"));
    let url_case = IocExtractor::new().extract(case("url"));
    assert!(url_case["dns"].contains("some.domain.it") && url_case["dns"].contains("some.domain.es"));
}

fn cases_frame() -> Frame {
    let rows: Vec<Vec<Option<&str>>> = CASES.iter().map(|(_, t)| vec![Some(*t)]).collect();
    Frame::from_string_rows(&["input"], &rows).unwrap()
}

fn frame_counts(result: &Frame) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for t in result.column_strings("IoCType").unwrap().into_iter().flatten() {
        *counts.entry(t).or_insert(0) += 1;
    }
    counts
}

fn assert_counts(result: &Frame, expected: &[(&str, usize)]) {
    let counts = frame_counts(result);
    assert!(!result.is_empty());
    for (t, n) in expected {
        assert_eq!(counts.get(*t).copied().unwrap_or(0), *n, "{t}: {counts:?}");
    }
}

#[test]
fn frame_totals_with_include_paths() {
    let result = IocExtractor::new()
        .extract_frame(&cases_frame(), &["input"], &ExtractOptions::new().include_paths(true))
        .unwrap();
    assert_eq!(result.columns(), vec!["IoCType", "Observable", "SourceIndex", "Input"]);
    assert_counts(
        &result,
        &[("ipv4", 3), ("ipv6", 3), ("url", 3), ("windows_path", 6), ("linux_path", 0), ("md5_hash", 3), ("sha1_hash", 3), ("sha256_hash", 3)],
    );
}

#[test]
fn frame_totals_with_explicit_types() {
    let types = ["ipv4", "ipv6", "url", "linux_path", "md5_hash", "sha1_hash", "sha256_hash"];
    let result = IocExtractor::new()
        .extract_frame(&cases_frame(), &["input"], &ExtractOptions::new().include_paths(true).types(&types))
        .unwrap();
    assert_counts(
        &result,
        &[("ipv4", 3), ("ipv6", 3), ("url", 3), ("windows_path", 0), ("linux_path", 8), ("md5_hash", 3), ("sha1_hash", 3), ("sha256_hash", 3)],
    );
    let result = IocExtractor::new()
        .extract_frame(&cases_frame(), &["input"], &ExtractOptions::new().types(&["ipv4", "url", "md5_hash"]))
        .unwrap();
    assert_counts(
        &result,
        &[("ipv4", 3), ("ipv6", 0), ("url", 3), ("windows_path", 0), ("linux_path", 0), ("md5_hash", 3), ("sha1_hash", 0), ("sha256_hash", 0)],
    );
}

const DEFANGED: [(&str, &str, bool); 22] = [
    ("ipv4", r"c:\one\path\or\another\myprocess -ip4:206[.]123.1.123", true),
    ("ipv4", r"c:\one\path\or\another\myprocess -ip4:206[.]123[.]1[.]123", true),
    ("ipv4", r"c:\one\path\or\another\myprocess -ip4:206.123[.]1[.]123", true),
    ("ipv4", r"c:\one\path\or\another\myprocess -ip4:206.123[.]1[.]com", false),
    ("url", "curl 'hXXps://www.virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'ftp://www[.]virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'ftp://www[.]virustotal[.]com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'sftp://www[.]virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'ftps://www[.]virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'fXp://www[.]virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'sfXp://www.virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'fXps://www[.]virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'file://www[.]virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'telnet://www[.]virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("url", "curl 'telnet://www[.]virustotal.com/en/ip-address/90.156.201.27/information/'", true),
    ("dns", "some text with a domain[.]like.uk in it", true),
    ("dns", "some text with a domain.like[.]uk in it", true),
    ("dns", "some text with a domain[.]like[.]uk in it", true),
    ("email", "some text with a user@domain[.]like.uk in it", true),
    ("email", "some text with a user@domain[.]like.uk in it", true),
    ("email", "some text with a user[AT]domain[.]like.uk in it", true),
    ("email", "some text with a user@domain.like.uk in it", true),
];

#[test]
fn defanged_cases() {
    let extractor = IocExtractor::new();
    for (ioc_type, text, expected) in DEFANGED {
        let results = extractor.extract(text);
        assert_eq!(count(&results, ioc_type) > 0, expected, "{ioc_type} in {text}: {results:?}");
    }
    assert!(extractor.extract(DEFANGED[0].1)["ipv4"].contains("206[.]123.1.123"));
}

#[test]
fn defanged_ipv4_not_found_without_defang() {
    let extractor = IocExtractor::with_defanged(false);
    for (_, text, _) in DEFANGED.iter().filter(|(t, _, _)| *t == "ipv4") {
        assert_eq!(count(&extractor.extract(text), "ipv4"), 0, "{text}");
    }
}

#[test]
fn ignore_tlds_accepts_unknown_suffix() {
    let options = ExtractOptions::new().ignore_tlds(true);
    let results = IocExtractor::new().extract_with(case("domain_neg"), &options).unwrap();
    assert!(results["dns"].contains("domain.like.iandom"));
}

#[test]
fn validate_and_get_ioc_type() {
    let x = IocExtractor::new();
    assert!(x.validate("206.123.1.123", "ipv4", false).unwrap());
    assert!(!x.validate("206.123.1.123 x", "ipv4", false).unwrap());
    assert!(x.validate("news.ycombinator.com", "hostname", false).unwrap());
    assert!(!x.validate("domain.like.iandom", "dns", false).unwrap());
    assert!(x.validate("domain.like.iandom", "dns", true).unwrap());
    assert!(x.validate("00236a2ae558018ed13b5222ef1bd987", "file_hash", false).unwrap());
    assert!(x.validate("2001:db8:85a3::8a2e:370:7334", "ipv6", false).unwrap());
    assert!(x.validate("ipv4x", "nosuchtype", false).is_err());
    assert_eq!(x.get_ioc_type("90.156.201.27"), "ipv4");
    assert_eq!(x.get_ioc_type("www.microsoft.com"), "dns");
    assert_eq!(x.get_ioc_type("https://www.microsoft.com/x"), "url");
    assert_eq!(x.get_ioc_type("00236a2ae558018ed13b5222ef1bd98700000001"), "sha1_hash");
    assert_eq!(x.get_ioc_type("not an ioc"), "unknown");
}

#[test]
fn custom_types_belong_to_one_extractor() {
    let mut custom = IocExtractor::new();
    custom.add_ioc_type("cve", r"CVE-\d{4}-\d{4,7}", 0, None).unwrap();
    let text = "exploits CVE-2021-26855 on exchange.contoso.com";
    assert!(custom.extract(text)["cve"].contains("CVE-2021-26855"));
    assert!(!IocExtractor::new().extract(text).contains_key("cve"));
    assert!(custom.add_ioc_type("bad", "(", 0, None).is_err());
    assert!(custom.add_ioc_type("grp", r"x(?P<a>\d)", 0, Some("b")).is_err());
}

#[test]
fn percent_encoded_urls_are_rescanned() {
    let text = "GET http://%65vil.contoso.com/payload";
    let results = IocExtractor::new().extract(text);
    assert!(results["url"].contains("http://evil.contoso.com/payload"), "{results:?}");
    assert!(results["dns"].contains("evil.contoso.com"), "{results:?}");
}

#[test]
fn refang_results_when_not_defanged() {
    let results = IocExtractor::with_defanged(false).extract("see https://www.microsoft.com/a and 10.1.2.3");
    assert!(results["url"].contains("https://www.microsoft.com/a"));
    assert_eq!(refang("hXXp://bad[.]example[.]com"), "http://bad.example.com");
    assert_eq!(defang("10.1.2.3"), "10[.]1[.]2[.]3");
}

#[test]
fn unknown_type_names_suggest_close_ones() {
    let err = IocExtractor::new().extract_with("x", &ExtractOptions::new().types(&["ipv"])).unwrap_err();
    assert!(err.to_string().contains("ipv4"), "{err}");
    let err = IocExtractor::new().extract_frame(&cases_frame(), &["inptu"], &ExtractOptions::new()).unwrap_err();
    assert!(err.to_string().contains("input"), "{err}");
}

/// A Sysmon image-load line from the OTRF proxylogon dataset: `System.Web` is a .NET namespace.
const DOTNET_NAMESPACE: &str =
    r"ImageLoaded: C:\Windows\Microsoft.NET\assembly\GAC_64\System.Web\v4.0_4.0.0.0__b03f5f7f11d50a3a\System.Web.dll";
/// An IIS error line from the same dataset: two URLs, the second inside parentheses.
const TWO_URLS: &str = "Request for URL 'https://mxs01:444/ecp/about.aspx?a=]:444/ecp/tpy.js(https://localhost/ecp/tpy.js)' failed";

fn set(values: &[&str]) -> std::collections::BTreeSet<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn dotnet_namespace_is_not_a_domain() {
    let results = IocExtractor::new().extract(DOTNET_NAMESPACE);
    assert_eq!(results["dns"], set(&["Microsoft.NET"]), "`.net` is a real top-level domain, `.web` is not accepted");
    assert!(!IocExtractor::new().validate("System.Web", "dns", false).unwrap());
    assert!(IocExtractor::new().validate("System.Web", "dns", true).unwrap(), "ignore_tlds still accepts it");
    // Known suffixes, upper case included, still pass; the list's default rule does not.
    assert!(IocExtractor::new().validate("WWW.MICROSOFT.COM", "dns", false).unwrap());
    assert!(!IocExtractor::new().validate("host.corp", "dns", false).unwrap());
}

#[test]
fn url_hosts_become_dns_as_msticpy_rescans_them() {
    // MSTICPy re-scans each decoded URL from where the previous URL of the text ended: the first
    // URL's host (`mxs01`) is a dns IoC, the second's (`localhost`) is not; both URLs are url IoCs.
    let results = IocExtractor::new().extract(TWO_URLS);
    assert_eq!(results["url"], set(&["https://mxs01:444/ecp/about.aspx?a=", "https://localhost/ecp/tpy.js)'"]));
    assert_eq!(results["dns"], set(&["mxs01"]));
    // A URL alone in its text is re-scanned whole, so its host is a dns IoC, as in MSTICPy.
    let alone = IocExtractor::new().extract("(http://localhost:8080/x)");
    assert_eq!(alone["url"], set(&["http://localhost:8080/x)"]));
    assert_eq!(alone["dns"], set(&["localhost"]));
}

#[test]
fn proxylogon_messages_give_msticpys_dns_values() {
    let path = mstic_core::paths::fixture("otrf/proxylogon_ssrf_rce_poc.zip").expect("fixture folder (set MSTIC_FIXTURES)");
    let events = crate::read_zipped_json_lines(path, None).unwrap();
    let result = IocExtractor::new().extract_frame(&events, &["Message"], &ExtractOptions::new()).unwrap();
    let types = result.column_strings("IoCType").unwrap();
    let observables = result.column_strings("Observable").unwrap();
    let dns: std::collections::HashSet<String> =
        types.iter().zip(&observables).filter(|(t, _)| t.as_deref() == Some("dns")).filter_map(|(_, o)| o.clone()).collect();
    for absent in ["System.Web", "localhost"] {
        assert!(!dns.contains(absent), "{absent} is not a dns IoC in MSTICPy's results");
    }
    for present in ["mxs01", "mxs01.azsentinel.local", "www.openssl.org"] {
        assert!(dns.contains(present), "{present} (a URL host) is a dns IoC in MSTICPy's results");
    }
}
