//! Fuzzing the query-template loader and renderer: the shipped query files under `queries/`,
//! mutated as text and as YAML trees, random bytes on disk, and every template rendered with
//! random values of every kind. Each call returns, and an error has a message — never a panic.

#[path = "../../../tests/fuzz_config.rs"]
mod fuzz_config;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use fuzz_config::{fuzz_config, ok_or_message};
use mstic_core::timespan::TimeValue;
use mstic_data::template::{FormatStyle, ParamValue, QueryFile, QueryLanguage, QueryTemplate, RenderOptions, load_query_file, parse_query_file, render_query};
use proptest::prelude::*;
use serde_yaml_ng::{Mapping, Value};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The shipped query files: (path, text).
static SEEDS: LazyLock<Vec<(PathBuf, String)>> = LazyLock::new(|| {
    let mut files = Vec::new();
    let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push((path.clone(), std::fs::read_to_string(&path).expect("query file reads")));
            }
        }
    }
    files.sort();
    assert!(files.len() > 20, "the shipped query files were not found: {files:?}");
    files
});

/// The templates of every shipped file that loads.
static TEMPLATES: LazyLock<Vec<QueryTemplate>> = LazyLock::new(|| {
    let templates: Vec<QueryTemplate> =
        SEEDS.iter().filter_map(|(path, text)| parse_query_file(text, path).ok()).flat_map(|f| f.queries).collect();
    assert!(templates.len() > 50, "only {} shipped templates load", templates.len());
    templates
});

/// Text fragments that stress YAML, the schema checks and Python format strings.
const FRAGMENTS: &[&str] = &[
    "{", "}", "{{", "}}", "{x}", "{0}", "{:>10}", "{table!r}", "{start:%Y}", "{end.year}", "{[0]}", "$<macro>$", "$", "%", "!!binary AAAA",
    "!!str", "!custom", "&anchor", "*anchor", "<<: *anchor", "- ", ": ", "? ", "\t", "\"", "'", "|", ">-", "#", "---", "...", "null", "~",
    "[", "]", "{}", "[]", "\n", "\n  ", "\u{feff}", "\u{0}", "é", "𝔘", "\u{202e}", "type: datetime", "type: list", "type: int", "default: ",
    "parameters:", "sources:", "metadata:", "query_macros:", "args:", "query: ", "aliases: [a, b]", "format: '{}'", "1e999", "-0",
    "99999999999999999999999",
];

/// One text mutation.
#[derive(Debug, Clone)]
enum Edit {
    Insert { at: usize, text: String },
    Delete { at: usize, len: usize },
    DuplicateLine { at: usize },
    DropLine { at: usize },
    Truncate { at: usize },
}

fn text_edit() -> impl Strategy<Value = Edit> {
    let fragment = prop_oneof![prop::sample::select(FRAGMENTS).prop_map(str::to_string), ".{1,8}"];
    prop_oneof![
        (any::<usize>(), fragment).prop_map(|(at, text)| Edit::Insert { at, text }),
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        any::<usize>().prop_map(|at| Edit::DuplicateLine { at }),
        any::<usize>().prop_map(|at| Edit::DropLine { at }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
    ]
}

/// The byte offset of the `at`-th character boundary (modulo the count).
fn boundary(text: &str, at: usize) -> usize {
    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    boundaries[at % boundaries.len()]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let line = |at: usize| at % lines.len().max(1);
    match edit {
        Edit::Insert { at, text: fragment } => {
            let at = boundary(text, *at);
            format!("{}{fragment}{}", &text[..at], &text[at..])
        }
        Edit::Delete { at, len } => {
            let start = boundary(text, *at);
            let end = text[start..].char_indices().nth(*len).map_or(text.len(), |(i, _)| start + i);
            format!("{}{}", &text[..start], &text[end..])
        }
        Edit::DuplicateLine { at } if !lines.is_empty() => {
            let at = line(*at);
            lines.insert(at, lines[at]);
            lines.concat()
        }
        Edit::DropLine { at } if !lines.is_empty() => {
            lines.remove(line(*at));
            lines.concat()
        }
        Edit::Truncate { at } => text[..boundary(text, *at)].to_string(),
        _ => text.to_string(),
    }
}

/// Random YAML values, nested, with wrong types and extreme numbers.
fn yaml_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>().prop_map(|n| Value::Number(n.into())),
        prop::sample::select(FRAGMENTS).prop_map(|s| Value::String(s.to_string())),
        ".{0,20}".prop_map(Value::String),
        prop::sample::select(vec!["str", "datetime", "int", "float", "list", "raw", "bool"]).prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            prop::collection::vec((".{0,10}", inner), 0..4)
                .prop_map(|pairs| Value::Mapping(pairs.into_iter().map(|(k, v)| (Value::String(k), v)).collect::<Mapping>())),
        ]
    })
}

/// Replaces the `target`-th node (depth-first, modulo the count) of `root` with `replacement`,
/// or adds it under a new key of the mapping reached.
fn replace_node(root: &mut Value, target: usize, replacement: Value, add: bool) {
    fn count(value: &Value) -> usize {
        1 + match value {
            Value::Sequence(items) => items.iter().map(count).sum(),
            Value::Mapping(map) => map.values().map(count).sum(),
            _ => 0,
        }
    }
    fn visit(value: &mut Value, target: &mut usize, replacement: &mut Option<Value>, add: bool) {
        if *target == 0 {
            let new = replacement.take().expect("replaced once");
            match value {
                Value::Mapping(map) if add => {
                    map.insert(Value::String("fuzz_key".into()), new);
                }
                _ => *value = new,
            }
            return;
        }
        *target -= 1;
        let children: Vec<&mut Value> = match value {
            Value::Sequence(items) => items.iter_mut().collect(),
            Value::Mapping(map) => map.values_mut().collect(),
            _ => Vec::new(),
        };
        for child in children {
            if replacement.is_none() {
                return;
            }
            visit(child, target, replacement, add);
        }
    }
    let mut target = target % count(root);
    visit(root, &mut target, &mut Some(replacement), add);
}

/// Times from year 1 to 9999, and chrono's extremes, with any offset.
fn time_value() -> impl Strategy<Value = TimeValue> {
    let instant = prop_oneof![
        (-62_135_596_800i64..253_402_300_799).prop_map(|s| Utc.timestamp_opt(s, 0).single().expect("in range")),
        prop::sample::select(vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC]),
    ];
    (instant, -86_399i32..86_400, any::<bool>()).prop_map(|(t, offset, naive)| match FixedOffset::east_opt(offset) {
        Some(zone) if !naive => TimeValue::Aware(t.with_timezone(&zone)),
        _ => TimeValue::Naive(t.naive_utc()),
    })
}

/// Parameter values of every kind, lists nested.
fn param_value() -> impl Strategy<Value = ParamValue> {
    let text = prop_oneof![prop::sample::select(FRAGMENTS).prop_map(str::to_string), ".{0,24}", "-?[0-9]{1,3}[dhmswy]?(@[dhm])?"];
    let leaf = prop_oneof![
        Just(ParamValue::Null),
        text.prop_map(ParamValue::Str),
        any::<i64>().prop_map(ParamValue::Int),
        any::<f64>().prop_map(ParamValue::Float),
        any::<bool>().prop_map(ParamValue::Bool),
        time_value().prop_map(ParamValue::Time),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| prop::collection::vec(inner, 0..4).prop_map(ParamValue::List))
}

/// A value style and a query language (any pairing, matching or not).
fn format_style() -> impl Strategy<Value = (FormatStyle, QueryLanguage)> {
    let language = prop::sample::select(vec![
        QueryLanguage::Kql,
        QueryLanguage::Spl,
        QueryLanguage::Sql,
        QueryLanguage::Json,
        QueryLanguage::OData,
        QueryLanguage::Opaque,
    ]);
    let style = prop::sample::select(vec![
        FormatStyle::Default,
        FormatStyle::Sentinel,
        FormatStyle::Splunk,
        FormatStyle::Sumologic,
        FormatStyle::PythonStr,
        FormatStyle::JsonPlaceholders,
    ]);
    (style, language)
}

/// Renders `template` with values for some of its parameters (by name or alias) and, at times,
/// an unknown name.
fn render_with(
    template: &QueryTemplate,
    values: Vec<(usize, ParamValue)>,
    unknown: Option<String>,
    (style, language): (FormatStyle, QueryLanguage),
    now: i64,
) -> Result<(), TestCaseError> {
    let mut named: Vec<(String, ParamValue)> = Vec::new();
    for (pick, value) in values {
        if template.params.is_empty() {
            break;
        }
        let def = &template.params[pick % template.params.len()];
        let name = def.aliases.get(pick / template.params.len() % (def.aliases.len() + 1)).unwrap_or(&def.name);
        named.push((name.clone(), value));
    }
    named.extend(unknown.map(|name| (name, ParamValue::Str("x".into()))));
    let options = RenderOptions { style, language, now: Utc.timestamp_opt(now, 0).single() };
    ok_or_message(render_query(template, &named, &options))?;
    Ok(())
}

fn seed_file() -> impl Strategy<Value = usize> {
    0..SEEDS.len()
}

proptest! {
    #![proptest_config(fuzz_config(300))]

    #[test]
    fn mutated_query_text_loads_or_fails(seed in seed_file(), edits in prop::collection::vec(text_edit(), 1..6)) {
        let (path, text) = &SEEDS[seed];
        let text = edits.iter().fold(text.clone(), |text, edit| apply(&text, edit));
        ok_or_message(parse_query_file(&text, path))?;
    }

    #[test]
    fn mutated_query_trees_load_or_fail(
        seed in seed_file(),
        changes in prop::collection::vec((any::<usize>(), yaml_value(), any::<bool>()), 1..4),
    ) {
        let (path, text) = &SEEDS[seed];
        let mut root: Value = serde_yaml_ng::from_str(text).expect("shipped files are YAML");
        for (target, replacement, add) in changes {
            replace_node(&mut root, target, replacement, add);
        }
        let text = serde_yaml_ng::to_string(&root).expect("a YAML tree serialises");
        if let Some(file) = ok_or_message(parse_query_file(&text, path))? {
            check_loaded(&file)?;
        }
    }

    #[test]
    fn random_text_loads_or_fails(text in prop_oneof![".{0,200}", prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|f| f.concat())]) {
        ok_or_message(parse_query_file(&text, Path::new("random.yaml")))?;
    }

    #[test]
    fn random_bytes_on_disk_load_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..300), seed in seed_file(), keep in any::<usize>()) {
        // Random bytes (mostly not UTF-8), or the start of a shipped file.
        let seed_bytes = SEEDS[seed].1.as_bytes();
        let bytes = if keep % 2 == 0 { bytes } else { [&seed_bytes[..keep % seed_bytes.len()], &bytes].concat() };
        let path = std::env::temp_dir().join(format!("mstic-fuzz-templates-{}.yaml", std::process::id()));
        std::fs::write(&path, &bytes).expect("temporary file writes");
        let outcome = load_query_file(&path);
        std::fs::remove_file(&path).expect("temporary file is removed");
        if let Err(e) = &outcome {
            prop_assert!(e.to_string().contains("mstic-fuzz-templates"), "the error names the file: {e}");
        }
    }

    #[test]
    fn templates_render_any_values_or_fail(
        template in 0usize..1 << 16,
        values in prop::collection::vec((any::<usize>(), param_value()), 0..6),
        unknown in prop::option::weighted(0.1, "[a-z_]{1,12}"),
        style in format_style(),
        now in -62_135_596_800i64..253_402_300_799,
    ) {
        render_with(&TEMPLATES[template % TEMPLATES.len()], values, unknown, style, now)?;
    }

    #[test]
    fn mutated_templates_render_or_fail(
        seed in seed_file(),
        edits in prop::collection::vec(text_edit(), 1..4),
        values in prop::collection::vec((any::<usize>(), param_value()), 0..6),
        style in format_style(),
    ) {
        let (path, text) = &SEEDS[seed];
        let text = edits.iter().fold(text.clone(), |text, edit| apply(&text, edit));
        if let Ok(file) = parse_query_file(&text, path) {
            for template in &file.queries {
                render_with(template, values.clone(), None, style, 1_700_000_000)?;
            }
        }
    }
}

/// A file that loaded has what the loader promises: named queries with their file's environments.
fn check_loaded(file: &QueryFile) -> Result<(), TestCaseError> {
    for query in &file.queries {
        prop_assert_eq!(&query.environments, &file.environments);
    }
    Ok(())
}

// Regressions: inputs the harness found.

/// A one-query file whose query shows the datetime parameter `start`.
const TIME_QUERY: &str = "metadata:
  version: 1
  description: One time parameter
  data_environments: [SumoLogic]
  data_families: [Fuzz]
sources:
  by_time:
    description: Rows after a time
    args:
      query: 'time > {start}'
    parameters:
      start:
        description: Start time
        type: datetime
";

#[test]
fn every_style_renders_a_time_whose_local_clock_is_out_of_range() {
    let file = parse_query_file(TIME_QUERY, Path::new("time.yaml")).unwrap();
    let east = FixedOffset::east_opt(1).unwrap();
    let last = ParamValue::Time(TimeValue::Aware(DateTime::<Utc>::MAX_UTC.with_timezone(&east)));
    for style in [FormatStyle::Default, FormatStyle::Splunk, FormatStyle::Sumologic, FormatStyle::PythonStr, FormatStyle::JsonPlaceholders] {
        let options = RenderOptions { style, ..RenderOptions::default() };
        let text = render_query(&file.queries[0], &[("start".into(), last.clone())], &options).unwrap();
        assert!(text.contains("262142") || text.contains("8210266876799999"), "{style:?}: {text}");
    }
}
