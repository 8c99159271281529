//! Hostile values stay data: every value a caller or a data column substitutes into a query lands
//! as one intact literal of the query's language, whatever quotes, backslashes, line breaks,
//! pipes, semicolons or keywords it holds - or the render fails naming the parameter. Each case
//! decodes the rendered literal independently and compares it with the value, and checks the
//! template text after it is untouched.

#[path = "../../../tests/fuzz_config.rs"]
#[allow(dead_code)] // this harness checks values itself and needs only the settings
mod fuzz_config;

use mstic_data::provider::QueryProvider;
use mstic_data::template::{FormatStyle, ParamDef, ParamType, ParamValue, QueryLanguage, QueryTemplate, RenderOptions, render_query};
use mstic_core::config::MsticConfig;

/// Values an attacker can put in a host name, a command line or a mail subject.
const HOSTILE: &[&str] = &[
    "o'brien",
    "say \"hi\"",
    r"C:\Windows\System32\",
    r"\'",
    "''",
    "line1\nline2",
    "a | take 1",
    "x; drop table t",
    "' or 1==1 //",
    "\" | search index=* | eval x=\"",
    "union *",
    "@'",
    "trailing\\",
    "tab\there",
];

fn template(query: &str, param_type: ParamType) -> QueryTemplate {
    QueryTemplate {
        name: "hostile".into(),
        description: String::new(),
        families: vec![],
        environments: vec![],
        query: query.into(),
        params: vec![ParamDef {
            name: "value".into(),
            param_type,
            description: "a value".into(),
            default: None,
            aliases: vec![],
            format: None,
        }],
        metadata: serde_yaml_ng::Value::Null,
        uri: None,
        file: Default::default(),
    }
}

fn render(query: &str, style: FormatStyle, language: QueryLanguage, value: ParamValue, param_type: ParamType) -> mstic_core::Result<String> {
    render_query(&template(query, param_type), &[("value".into(), value)], &RenderOptions { style, language, now: None })
}

/// How a literal escapes (as the service's documentation says), for the independent decoder.
#[derive(Clone, Copy, Debug)]
enum Escapes {
    /// `\\`, `\n`, `\r`, `\t` and backslash-quote.
    Backslash,
    /// The quote written twice; nothing else is special.
    Doubled,
}

/// Reads one literal from `text`, which starts just after its opening `quote`; returns the
/// decoded content and what follows the closing quote.
fn decode(text: &str, quote: char, escapes: Escapes) -> (String, &str) {
    let mut content = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (escapes, c) {
            (Escapes::Backslash, '\\') => match chars.next() {
                Some((_, 'n')) => content.push('\n'),
                Some((_, 'r')) => content.push('\r'),
                Some((_, 't')) => content.push('\t'),
                Some((_, other)) => content.push(other),
                None => panic!("literal ends in a lone backslash: {text:?}"),
            },
            (Escapes::Doubled, _) if c == quote && matches!(chars.peek(), Some((_, next)) if *next == quote) => {
                chars.next();
                content.push(quote);
            }
            _ if c == quote => return (content, &text[i + c.len_utf8()..]),
            _ => content.push(c),
        }
    }
    panic!("literal not closed: {text:?}")
}

/// One literal context of one language: the template around the value and how to read it back.
struct Case {
    language: QueryLanguage,
    style: FormatStyle,
    before: &'static str,
    quote: char,
    escapes: Escapes,
    after: &'static str,
    /// Characters this literal cannot hold (the render must refuse values with them).
    refuses: &'static [char],
}

const CASES: &[Case] = &[
    Case { language: QueryLanguage::Kql, style: FormatStyle::Sentinel, before: "T | where A == '", quote: '\'', escapes: Escapes::Backslash, after: "' | take 1", refuses: &[] },
    Case { language: QueryLanguage::Kql, style: FormatStyle::Default, before: "T | where A has \"", quote: '"', escapes: Escapes::Backslash, after: "\" | take 1", refuses: &[] },
    Case { language: QueryLanguage::Kql, style: FormatStyle::Sentinel, before: "T | where A startswith @'", quote: '\'', escapes: Escapes::Doubled, after: "' | take 1", refuses: &['\n', '\r'] },
    Case { language: QueryLanguage::Kql, style: FormatStyle::Sentinel, before: "T | where A == @\"", quote: '"', escapes: Escapes::Doubled, after: "\" | take 1", refuses: &['\n', '\r'] },
    Case { language: QueryLanguage::Spl, style: FormatStyle::Splunk, before: "search index=main host=\"", quote: '"', escapes: Escapes::Backslash, after: "\" | head 1", refuses: &['\n', '\r'] },
    Case { language: QueryLanguage::Sql, style: FormatStyle::Default, before: "select * from t where a = '", quote: '\'', escapes: Escapes::Doubled, after: "' limit 1", refuses: &[] },
    Case { language: QueryLanguage::Sql, style: FormatStyle::Default, before: "select \"", quote: '"', escapes: Escapes::Doubled, after: "\" from t", refuses: &[] },
    Case { language: QueryLanguage::OData, style: FormatStyle::Default, before: "/alerts?$filter=title eq '", quote: '\'', escapes: Escapes::Doubled, after: "' and x eq 1", refuses: &[] },
];

/// Renders `value` into `case`'s literal: `Ok(true)` when it decodes back to itself with the rest
/// of the template intact, `Ok(false)` when the render refused it naming the parameter (which it
/// must do exactly for the characters the literal cannot hold), else a description of the fault.
fn round_trip(case: &Case, value: &str) -> Result<bool, String> {
    let query = format!("{}{{value}}{}", case.before.replace('{', "{{"), case.after);
    let rendered = render(&query, case.style, case.language, ParamValue::Str(value.to_string()), ParamType::Str);
    let refusable = value.contains(case.refuses) || value.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    let text = match rendered {
        Err(e) if refusable && e.to_string().contains("parameter 'value'") => return Ok(false),
        Err(e) => return Err(format!("{value:?} in {query:?}: {e}")),
        Ok(text) => text,
    };
    let body = text.strip_prefix(case.before).ok_or(format!("prefix changed: {text:?}"))?;
    let (content, rest) = decode(body, case.quote, case.escapes);
    let after_quote = case.after.strip_prefix(case.quote).expect("the case's text after the value starts with its quote");
    match (content == value, rest == after_quote) {
        (true, true) => Ok(true),
        _ => Err(format!("{:?}: {value:?} rendered as {text:?}", case.language)),
    }
}

#[test]
fn scalar_values_land_as_one_intact_literal_in_every_language() {
    let mut checked = 0;
    for case in CASES {
        for value in HOSTILE {
            let kept = round_trip(case, value).unwrap_or_else(|fault| panic!("{fault}"));
            assert_eq!(kept, !value.contains(case.refuses), "{value:?} in {:?}", case.before);
            checked += usize::from(kept);
        }
    }
    assert_eq!(checked, CASES.len() * HOSTILE.len() - 3 * HOSTILE.iter().filter(|v| v.contains('\n')).count());
}

proptest::proptest! {
    #![proptest_config(fuzz_config::fuzz_config(300))]

    /// Any text at all - quotes, backslashes, control characters, any script - lands intact or
    /// is refused by name, in every literal of every language.
    #[test]
    fn any_text_lands_intact_or_is_refused(value in "(\\PC|['\"\\\\\n\r\t|;@`\\x00-\\x08])*") {
        for case in CASES {
            proptest::prop_assert!(round_trip(case, &value).is_ok(), "{}", round_trip(case, &value).unwrap_err());
        }
    }
}

#[test]
fn list_items_are_quoted_and_escaped_for_each_language() {
    let items: Vec<ParamValue> = HOSTILE.iter().filter(|v| !v.contains('\n')).map(|v| ParamValue::Str(v.to_string())).collect();
    let expected: Vec<&str> = HOSTILE.iter().copied().filter(|v| !v.contains('\n')).collect();
    for (style, language, quote, separator, escapes) in [
        (FormatStyle::Sentinel, QueryLanguage::Kql, '\'', ", ", Escapes::Backslash),
        (FormatStyle::Default, QueryLanguage::Kql, '\'', ", ", Escapes::Backslash),
        (FormatStyle::Splunk, QueryLanguage::Spl, '"', ",", Escapes::Backslash),
        (FormatStyle::Default, QueryLanguage::Sql, '\'', ", ", Escapes::Doubled),
    ] {
        let text = render("T | where A in ({value}) | take 1", style, language, ParamValue::List(items.clone()), ParamType::List).unwrap();
        let mut rest = text.strip_prefix("T | where A in (").unwrap();
        let mut decoded = Vec::new();
        loop {
            rest = rest.strip_prefix(quote).unwrap_or_else(|| panic!("{language:?}: item not quoted in {text:?}"));
            let (item, after) = decode(rest, quote, escapes);
            decoded.push(item);
            match after.strip_prefix(separator) {
                Some(next) => rest = next,
                None => {
                    assert_eq!(after, ") | take 1", "{language:?}: {text:?}");
                    break;
                }
            }
        }
        assert_eq!(decoded, expected, "{language:?}");
    }
}

#[test]
fn json_bodies_stay_valid_json_with_the_values_as_strings() {
    // Cybereason-style templates: `{name}` placeholders inside the body's own quotes.
    let body = r#"{"filters": [{"facetName": "elementDisplayName", "values": ["{value}"]}], "note": "{value}"}"#;
    for value in HOSTILE {
        let text = render(body, FormatStyle::JsonPlaceholders, QueryLanguage::Json, ParamValue::Str(value.to_string()), ParamType::Str).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{value:?}: {e} in {text}"));
        assert_eq!(parsed["note"], *value);
        assert_eq!(parsed["filters"][0]["values"], serde_json::json!([value]));
    }
    let list = ParamValue::List(vec!["a\"b".into(), "c\\d".into()]);
    let body = r#"{"values": ["{value}"]}"#;
    let text = render(body, FormatStyle::JsonPlaceholders, QueryLanguage::Json, list, ParamType::List).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["values"], serde_json::json!(["a\"b", "c\\d"]));
}

#[test]
fn outside_a_literal_only_names_and_numbers_go_and_raw_parameters_are_written_as_they_are() {
    let query = "{value} | where TimeGenerated > ago(1d)";
    assert_eq!(render(query, FormatStyle::Sentinel, QueryLanguage::Kql, "SecurityEvent".into(), ParamType::Str).unwrap(), "SecurityEvent | where TimeGenerated > ago(1d)");
    for value in ["SecurityEvent | take 1", "T; drop", "T\n| union *", "T //"] {
        let err = render(query, FormatStyle::Sentinel, QueryLanguage::Kql, value.into(), ParamType::Str).unwrap_err().to_string();
        assert!(err.contains("query 'hostile', parameter 'value'") && err.contains("outside a string literal") && err.contains("type: raw"), "{err}");
    }
    // Numbers are written as numbers whatever the declared type; text in an int slot is checked.
    assert_eq!(render("T | take {value}", FormatStyle::Sentinel, QueryLanguage::Kql, 10.into(), ParamType::Int).unwrap(), "T | take 10");
    assert!(render("T | take {value}", FormatStyle::Sentinel, QueryLanguage::Kql, "10 | union *".into(), ParamType::Int).is_err());
    // `raw` is for query text on purpose.
    let raw = render("T {value}", FormatStyle::Sentinel, QueryLanguage::Kql, "| where A == 'x' | take 5".into(), ParamType::Raw).unwrap();
    assert_eq!(raw, "T | where A == 'x' | take 5");
    // A comment ends at the line end: a value with a line break would start a new clause.
    let commented = "T // host {value}\n| take 1";
    assert_eq!(render(commented, FormatStyle::Sentinel, QueryLanguage::Kql, "h'1".into(), ParamType::Str).unwrap(), "T // host h'1\n| take 1");
    assert!(render(commented, FormatStyle::Sentinel, QueryLanguage::Kql, "h\n| union *".into(), ParamType::Str).is_err());
}

#[test]
fn apostrophes_in_comments_and_doubled_quotes_do_not_confuse_where_a_value_lands() {
    // An apostrophe in a KQL comment does not open a literal; `''` inside SQL text does not close one.
    let kql = "// the user's logons\nT | where A == '{value}'";
    let text = render(kql, FormatStyle::Sentinel, QueryLanguage::Kql, "x' or '1'=='1".into(), ParamType::Str).unwrap();
    assert_eq!(text, r"// the user's logons
T | where A == 'x\' or \'1\'==\'1'");
    let sql = "select * from t where a = 'it''s' and b = '{value}'";
    let text = render(sql, FormatStyle::Default, QueryLanguage::Sql, "x' or '1'='1".into(), ParamType::Str).unwrap();
    assert_eq!(text, "select * from t where a = 'it''s' and b = 'x'' or ''1''=''1'");
    let verbatim = r"T | where P startswith @'C:\' and A == '{value}'";
    let text = render(verbatim, FormatStyle::Sentinel, QueryLanguage::Kql, r"a\'b".into(), ParamType::Str).unwrap();
    assert_eq!(text, r"T | where P startswith @'C:\' and A == 'a\\\'b'");
}

#[test]
fn shipped_queries_escape_through_the_provider() {
    let config = MsticConfig::default();
    let sentinel = QueryProvider::with_config("MSSentinel", &config, &[]).unwrap();
    let text = sentinel
        .query("WindowsSecurity.list_host_logons")
        .param("host_name", "ws1\" or true | union *")
        .start(-1)
        .print_query()
        .unwrap();
    assert!(text.contains(r#""ws1\" or true | union *""#), "{text}");
    let splunk = QueryProvider::with_config("Splunk", &config, &[]).unwrap();
    let name = splunk.store().names().into_iter().find(|n| n.ends_with("list_logons_for_host")).expect("a Splunk host logon query");
    let text = splunk.query(&name).param("host_name", "h\" OR index=*").start(-1).print_query().unwrap();
    assert!(text.contains(r#""h\" OR index=*""#), "{text}");
}

#[test]
fn a_value_keeps_its_own_blank_lines_when_the_template_collapses_them() {
    // Found by the property above: MSTICPy's blank-line collapse ran over the values too.
    let query = "select * from t\n\n   \nwhere a = '{value}'";
    let text = render(query, FormatStyle::Default, QueryLanguage::Sql, "one\n\n\ntwo".into(), ParamType::Str).unwrap();
    assert_eq!(text, "select * from t\nwhere a = 'one\n\n\ntwo'");
}

#[test]
fn the_markers_that_hold_values_cannot_be_forged() {
    let marker = "\u{FDD0}0\u{FDD1}";
    // An escaped value is held whole, markers and all.
    let text = render("select * from t where a = '{value}'", FormatStyle::Default, QueryLanguage::Sql, format!("x{marker}").into(), ParamType::Str).unwrap();
    assert_eq!(text, format!("select * from t where a = 'x{marker}'"));
    // Text written as is cannot pose as a held value (this once panicked on a missing index).
    for forged in [marker.to_string(), "\u{FDD0}7\u{FDD1}".to_string()] {
        let err = render("select * from t {value}", FormatStyle::Default, QueryLanguage::Sql, forged.into(), ParamType::Raw).unwrap_err().to_string();
        assert!(err.contains("U+FDD0"), "{err}");
    }
}
