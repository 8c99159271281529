//! Pivot call forms (value, list, entity, Frame + column) and the four joins, with MSTICPy's
//! fixed inputs (`tests/init/pivot/test_pivot_input_types.py`).

// Entities are passed by reference on purpose: that is how notebook cells keep using them.
#![allow(clippy::needless_borrows_for_generic_args)]

use mstic_core::Frame;
use mstic_pivot::join::join_frames;
use mstic_pivot::*;

const B64: [(&str, &str); 3] = [
    ("VGhpcyBpcyBhIHRlc3Qgb2YgYmFzZTY0IGVuY29kZWQgc3RyaW5n", "This is a test of base64 encoded string"),
    (
        "QSBLdXN0byBxdWVyeSBpcyBhIHJlYWQtb25seSByZXF1ZXN0IHRvIHByb2Nlc3MgZGF0YSBhbmQgcmV0dXJuIHJlc3VsdHMu",
        "A Kusto query is a read-only request to process data and return results.",
    ),
    (
        "VGhpcyBpcyBhbiBlbWJlZGRlZCBCNjQgVkdocGN5QnBjeUJoSUhSbGMzUWdiMllnWW1GelpUWTBJR1Z1WTI5a1pXUWdjM1J5YVc1bg==",
        "This is an embedded B64 VGhpcyBpcyBhIHRlc3Qgb2YgYmFzZTY0IGVuY29kZWQgc3RyaW5n",
    ),
];

const URL1: &str = "https://www.contoso.com/path?p1=test&p2=10.2.4.5&hash=00236a2ae558018ed13b5222ef1bd987";

fn strings(frame: &Frame, column: &str) -> Vec<String> {
    frame.column_strings(column).unwrap().into_iter().map(Option::unwrap_or_default).collect()
}

/// The values of `value_col` in rows where `key_col` equals `key`.
fn values_for(frame: &Frame, key_col: &str, key: &str, value_col: &str) -> Vec<String> {
    strings(frame, key_col).into_iter().zip(strings(frame, value_col)).filter(|(k, _)| k == key).map(|(_, v)| v).collect()
}

#[test]
fn b64decode_on_value_list_entity_and_column() {
    let _pivots = Pivots::new();
    let single = Process::util().b64decode(B64[0].0).unwrap();
    assert_eq!(values_for(&single, "original_string", B64[0].0, "decoded_string"), vec![B64[0].1]);

    let keys: Vec<&str> = B64.iter().map(|(k, _)| *k).collect();
    let listed = Process::util().b64decode(keys.clone()).unwrap();
    let by_entity = Process::util().b64decode(&Process::new(B64[1].0)).unwrap();
    assert_eq!(values_for(&by_entity, "original_string", B64[1].0, "decoded_string"), vec![B64[1].1]);
    let frame = Frame::from_string_rows(&["cmdline"], &keys.iter().map(|k| vec![Some(*k)]).collect::<Vec<_>>()).unwrap();
    let by_column = Process::util().b64decode((&frame, "cmdline")).unwrap();
    for result in [&listed, &by_column] {
        for (encoded, decoded) in B64 {
            assert!(values_for(result, "original_string", encoded, "decoded_string").contains(&decoded.to_string()), "{encoded}");
        }
    }
    // The nested string decodes twice: the outer item and the embedded one.
    assert!(strings(&by_column, "decoded_string").contains(&B64[0].1.to_string()));
}

#[test]
fn extract_iocs_on_value_and_string_lookup() {
    let _pivots = Pivots::new();
    let result = Url::util().extract_iocs(URL1).unwrap();
    let observables = values_for(&result, "Input", URL1, "Observable");
    for expected in ["www.contoso.com", URL1, "10.2.4.5", "00236a2ae558018ed13b5222ef1bd987"] {
        assert!(observables.contains(&expected.to_string()), "{expected} in {observables:?}");
    }
    let by_name = pivot("Url", "util.extract_iocs").unwrap().call(URL1).unwrap();
    assert_eq!(by_name.len(), result.len());
}

#[test]
fn joins_keep_input_rows_as_pandas_merge() {
    let _pivots = Pivots::new();
    let input = Frame::from_string_rows(
        &["idx", "cmdline", "extra_col1"],
        &[
            vec![Some("0"), Some("connect to 10.2.4.5 now"), Some("test1")],
            vec![Some("1"), Some("nothing to see"), Some("test1")],
            vec![Some("2"), Some("see https://www.contoso.com/x"), Some("test1")],
        ],
    )
    .unwrap();
    let run = |how: &str| Url::util().extract_iocs(PivotInput::column(&input, "cmdline").join(how)).unwrap();
    let inner = run("inner");
    assert_eq!(strings(&inner, "idx"), vec!["0", "2", "2"]);
    assert_eq!(strings(&inner, "Observable"), vec!["10.2.4.5", "www.contoso.com", "https://www.contoso.com/x"]);
    assert!(inner.has_column("extra_col1") && inner.has_column("Input") && !inner.has_column("src_row_index"));
    let left = run("left");
    assert_eq!(strings(&left, "idx"), vec!["0", "1", "2", "2"]);
    assert_eq!(left.column_strings("IoCType").unwrap()[1], None);
    let right = run("right");
    assert_eq!(strings(&right, "Observable"), vec!["10.2.4.5", "www.contoso.com", "https://www.contoso.com/x"]);
    let outer = run("outer");
    assert_eq!(outer.len(), 4);
}

#[test]
fn join_kinds_on_fixed_frames() {
    let input = Frame::from_string_rows(&["ip", "host"], &[vec![Some("1.1.1.1"), Some("a")], vec![Some("2.2.2.2"), Some("b")], vec![Some("3.3.3.3"), Some("c")]]).unwrap();
    let result = Frame::from_string_rows(
        &["ip", "host", "country"],
        &[vec![Some("2.2.2.2"), Some("x"), Some("GB")], vec![Some("3.3.3.3"), Some("y"), Some("US")], vec![Some("4.4.4.4"), Some("z"), Some("SE")]],
    )
    .unwrap();
    let join = |how| join_frames(&input, &result, "ip", "ip", how, false).unwrap();
    let inner = join(PivotJoin::Inner);
    assert_eq!(inner.columns(), vec!["ip", "host_src", "host_res", "country"]);
    assert_eq!(strings(&inner, "ip"), vec!["2.2.2.2", "3.3.3.3"]);
    assert_eq!(strings(&inner, "country"), vec!["GB", "US"]);
    let left = join(PivotJoin::Left);
    assert_eq!(strings(&left, "ip"), vec!["1.1.1.1", "2.2.2.2", "3.3.3.3"]);
    assert_eq!(left.column_strings("country").unwrap(), vec![None, Some("GB".into()), Some("US".into())]);
    let right = join(PivotJoin::Right);
    assert_eq!(strings(&right, "ip"), vec!["2.2.2.2", "3.3.3.3", "4.4.4.4"]);
    assert_eq!(right.column_strings("host_src").unwrap(), vec![Some("b".into()), Some("c".into()), None]);
    let outer = join(PivotJoin::Outer);
    assert_eq!(strings(&outer, "ip"), vec!["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]);
    assert_eq!(strings(&outer, "host_res"), vec!["", "x", "y", "z"]);
    // Case-insensitive keys.
    let upper = Frame::from_string_rows(&["name"], &[vec![Some("WWW.CONTOSO.COM")]]).unwrap();
    let lower = Frame::from_string_rows(&["domain", "n"], &[vec![Some("www.contoso.com"), Some("1")]]).unwrap();
    assert_eq!(join_frames(&upper, &lower, "name", "domain", PivotJoin::Inner, false).unwrap().len(), 0);
    assert_eq!(join_frames(&upper, &lower, "name", "domain", PivotJoin::Inner, true).unwrap().len(), 1);
}

#[test]
fn url_and_dns_components() {
    let pivots = Pivots::new();
    let parts = Url::util().url_components("https://user@www.contoso.com:8443/a/b;p?q=1#frag").unwrap();
    let get = |c: &str| strings(&parts, c)[0].clone();
    assert_eq!(
        (get("url"), get("scheme"), get("netloc"), get("path"), get("params"), get("query"), get("fragment"), get("host")),
        (
            "https://user@www.contoso.com:8443/a/b;p?q=1#frag".to_string(),
            "https".into(),
            "user@www.contoso.com:8443".into(),
            "/a/b".into(),
            "p".into(),
            "q=1".into(),
            "frag".into(),
            "www.contoso.com".into()
        )
    );
    let dns = pivots.call("Dns", "util.dns_components", vec!["www.contoso.co.uk", "contoso.com"]).unwrap();
    assert_eq!(strings(&dns, "domain"), vec!["www.contoso.co.uk", "contoso.com"]);
    assert_eq!(strings(&dns, "subdomain"), vec!["www", ""]);
    assert_eq!(strings(&dns, "suffix"), vec!["co.uk", "com"]);
    assert_eq!(strings(&dns, "registered_domain"), vec!["contoso.co.uk", "contoso.com"]);
    // An entity supplies its mapped attribute (Url.host for Url.util.dns_components).
    let from_url = Url::util().dns_components(&Url::new("https://mail.contoso.com/x")).unwrap();
    assert_eq!(strings(&from_url, "domain"), vec!["mail.contoso.com"]);
    // A list of entities: each supplies its attribute (Host.fqdn).
    let hosts = vec![Host::new("web1.contoso.com"), Host::empty().with("HostName", "db1").with("DnsDomain", "contoso.co.uk")];
    let from_hosts = Host::util_in(&pivots).dns_components(hosts).unwrap();
    assert_eq!(strings(&from_hosts, "domain"), vec!["web1.contoso.com", "db1.contoso.co.uk"]);
    assert_eq!(strings(&from_hosts, "registered_domain"), vec!["contoso.com", "contoso.co.uk"]);
    let tld = Dns::util_in(&pivots).dns_validate_tld(vec!["www.contoso.com", "host.corp.notatld", "localhost"]).unwrap();
    assert_eq!(strings(&tld, "result"), vec!["True", "False", "False"]);
}

#[test]
fn pivots_are_listed_and_unknown_names_suggest() {
    let pivots = Pivots::new();
    let listed = pivots.list("Url").unwrap();
    let names = strings(&listed, "function");
    for name in ["b64decode", "dns_components", "extract_iocs", "url_components"] {
        assert!(names.contains(&name.to_string()), "{name}");
    }
    assert!(Url::pivots().containers().contains(&"util".to_string()));
    assert_eq!(Url::util().names(), names);
    let err = pivots.get("Url", "util.url_component").unwrap_err().to_string();
    assert!(err.contains("did you mean: Url.util.url_components"), "{err}");
    let err = Process::new("x").pivot("util.whois").unwrap_err().to_string();
    assert!(err.contains("unknown pivot function 'Process.util.whois'"), "{err}");
}

#[test]
fn custom_value_functions_and_shortcuts() {
    let pivots = Pivots::new();
    pivots.add_value_function(EntityKind::Account, "custom", "name_length", "Name", |name| {
        Ok(vec![("length".to_string(), Some(name.chars().count().to_string()))])
    });
    pivots.make_shortcut(EntityKind::Account, "custom.name_length", "name_len").unwrap();
    let result = Account::pivots_in(&pivots).call("name_len", &Account::new("CONTOSO\\ian")).unwrap();
    assert_eq!(strings(&result, "length"), vec!["3"]);
    assert_eq!(strings(&result, "value"), vec!["ian"]);
}
