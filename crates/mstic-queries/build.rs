//! Generates the typed query calls from the shipped query library (`queries/**/*.yaml` at the
//! workspace root): one accessor per data family on `QueryProvider` (the `QueryFamilies` trait),
//! one method per query on the family's type, one typed setter per parameter on the query's type,
//! each with a doc comment carrying the query's description, parameters and table.
//!
//! The code is written to `src/generated.rs` (not only `OUT_DIR`) because the notebook kernel's
//! rust-analyzer reads crate sources without running build scripts: completion and hover only see
//! generated items that live beside the crate's sources. The file is rewritten only when its text
//! changes. A file that cannot be read as a query file becomes a `compile_error!` naming it.

use serde_yaml_ng::{Mapping, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "../mstic-data/build_support/query_library.rs"]
mod query_library;
use query_library::{library_dir, library_files, write_if_changed};

fn main() {
    let library = library_dir();
    let mut families: BTreeMap<String, BTreeMap<String, Query>> = BTreeMap::new();
    let mut errors = Vec::new();
    for (file, name) in library_files(&library) {
        match read_file(&file, &name) {
            Ok(queries) => {
                for query in queries {
                    for family in &query.families {
                        let entry = families.entry(family.clone()).or_default();
                        match entry.get_mut(&query.name) {
                            Some(existing) => existing.merge(&query),
                            None => {
                                entry.insert(query.name.clone(), query.clone());
                            }
                        }
                    }
                }
            }
            Err(message) => errors.push(format!("{name}: {message}")),
        }
    }
    let code = generate(&families, &errors);
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    write_if_changed(&manifest.join("src/generated.rs"), &code);
}

/// The default shown for a parameter whose definitions disagree.
const VARIES: &str = "\u{0}varies";

/// One query as the typed calls describe it (merged over the files that define it).
#[derive(Clone)]
struct Query {
    name: String,
    families: Vec<String>,
    description: String,
    /// Each definition: its file, `data_environments` and `table` default.
    sources: Vec<Source>,
    params: Vec<Param>,
}

#[derive(Clone, Debug)]
struct Source {
    file: String,
    environments: Vec<String>,
    table: Option<String>,
}

#[derive(Clone)]
struct Param {
    name: String,
    kind: String,
    description: String,
    default: Option<String>,
    /// The files whose definition of the query has this parameter.
    files: Vec<String>,
}

impl Query {
    /// Adds another file's definition: its parameters join the list (a parameter defined with
    /// two types takes any value).
    fn merge(&mut self, other: &Query) {
        self.sources.extend(other.sources.iter().cloned());
        for param in &other.params {
            match self.params.iter_mut().find(|p| p.name == param.name) {
                Some(existing) => {
                    existing.files.extend(param.files.iter().cloned());
                    if existing.kind != param.kind {
                        existing.kind = "any".to_string();
                    }
                    if existing.default != param.default {
                        existing.default = Some(VARIES.to_string());
                    }
                }
                None => self.params.push(param.clone()),
            }
        }
    }
}

/// The queries of one file, with MSTICPy's layering: parameters from `defaults` overridden by the
/// query's own, families from the query's, the defaults' or the file's metadata.
fn read_file(path: &Path, name: &str) -> Result<Vec<Query>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let root: Value = serde_yaml_ng::from_str(&text).map_err(|e| e.to_string())?;
    let root = root.as_mapping().ok_or("the file must be a mapping with 'metadata' and 'sources'")?;
    let metadata = mapping(root, "metadata").ok_or("'metadata' must be a mapping")?;
    let environments = strings(metadata.get("data_environments"));
    let defaults = mapping(root, "defaults");
    let default_meta = defaults.and_then(|d| mapping(d, "metadata"));
    let default_params = params(defaults.and_then(|d| d.get("parameters"))).map_err(|e| format!("defaults.parameters: {e}"))?;
    let sources = mapping(root, "sources").ok_or("'sources' must be a mapping of query names")?;
    let mut queries = Vec::new();
    for (key, source) in sources {
        let query_name = key.as_str().ok_or("query names must be text")?.to_string();
        let source = source.as_mapping().ok_or(format!("query '{query_name}' must be a mapping"))?;
        let description = source.get("description").and_then(Value::as_str).unwrap_or_default().trim().to_string();
        let mut all = default_params.clone();
        for param in params(source.get("parameters")).map_err(|e| format!("query '{query_name}', parameters: {e}"))? {
            match all.iter_mut().find(|p| p.name == param.name) {
                Some(existing) => *existing = param,
                None => all.push(param),
            }
        }
        let families = [mapping(source, "metadata"), default_meta, Some(metadata)]
            .into_iter()
            .flatten()
            .find_map(|m| m.get("data_families"))
            .map(|f| strings(Some(f)))
            .unwrap_or_default();
        if families.is_empty() {
            return Err(format!("query '{query_name}' has no data_families"));
        }
        for param in &mut all {
            param.files = vec![name.to_string()];
        }
        let table = all.iter().find(|p| p.name == "table").and_then(|p| p.default.clone());
        queries.push(Query {
            name: query_name,
            families,
            description,
            sources: vec![Source { file: name.to_string(), environments: environments.clone(), table }],
            params: all,
        });
    }
    Ok(queries)
}

fn mapping<'a>(map: &'a Mapping, key: &str) -> Option<&'a Mapping> {
    map.get(key).and_then(Value::as_mapping)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn params(node: Option<&Value>) -> Result<Vec<Param>, String> {
    let Some(Value::Mapping(map)) = node else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (key, def) in map {
        let name = key.as_str().ok_or("parameter names must be text")?.to_string();
        let def = def.as_mapping().ok_or(format!("parameter '{name}' must be a mapping"))?;
        let kind = def.get("type").and_then(Value::as_str).ok_or(format!("parameter '{name}' has no type"))?.to_string();
        if !["str", "datetime", "int", "float", "list", "raw"].contains(&kind.as_str()) {
            return Err(format!("parameter '{name}': '{kind}' is not a parameter type"));
        }
        let description = def.get("description").and_then(Value::as_str).unwrap_or_default().trim().to_string();
        let default = def.get("default").map(show_value);
        out.push(Param { name, kind, description, default, files: Vec::new() });
    }
    Ok(out)
}

fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Sequence(items) => format!("[{}]", items.iter().map(show_value).collect::<Vec<_>>().join(", ")),
        Value::Null => "null".to_string(),
        other => serde_yaml_ng::to_string(other).unwrap_or_default().trim().to_string(),
    }
}

// ---- naming ----

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static", "struct", "trait", "true",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];
/// Names that cannot be raw identifiers.
const RESERVED: &[&str] = &["self", "Self", "super", "crate", "_"];
/// `QueryProvider` methods a family accessor must not shadow.
const PROVIDER_METHODS: &[&str] = &[
    "new", "with_query_paths", "with_config", "with_driver", "add_query_path", "add_query", "connect", "connected", "environment",
    "data_environment", "settings", "warnings", "notes", "store", "query", "exec_query", "schema", "set_default_time", "set_now",
    "list_queries", "list_queries_matching", "search", "search_table", "query_help", "to_html", "evcxr_display", "summary_text",
    "split_query",
];
/// `TypedQuery` methods a parameter setter must not shadow (`start`/`end` are set through them).
const CALL_METHODS: &[&str] = &[
    "param", "start", "end", "time_range", "option", "timeout", "render", "print_query", "run", "split_query_by", "help",
    "into_call", "as_call", "from_call",
];

/// `WindowsSecurity` → `windows_security`, `M365DHunting` → `m365d_hunting`, `Alerts.type1` →
/// `alerts_type1`.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = if i > 0 { Some(chars[i - 1]) } else { None };
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() => true,
                Some(p) if p.is_ascii_alphanumeric() => next_lower,
                _ => false,
            };
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push('_');
        }
    }
    let mut collapsed = String::new();
    for part in out.split('_').filter(|p| !p.is_empty()) {
        if !collapsed.is_empty() {
            collapsed.push('_');
        }
        collapsed.push_str(part);
    }
    if collapsed.is_empty() || collapsed.starts_with(|c: char| c.is_ascii_digit()) {
        collapsed.insert_str(0, "q_");
    }
    collapsed
}

/// `list_host_logons` → `ListHostLogons`.
fn camel(name: &str) -> String {
    snake(name)
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|f| f.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// An identifier for `name`: raw for keywords, suffixed for names that cannot be raw.
fn ident(name: &str) -> String {
    if RESERVED.contains(&name) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// `name`, or `name_2`, `name_3`… if taken.
fn unique(name: String, taken: &mut Vec<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

// ---- code ----

fn generate(families: &BTreeMap<String, BTreeMap<String, Query>>, errors: &[String]) -> String {
    let mut code = String::from(
        "// Generated by crates/mstic-queries/build.rs from queries/**/*.yaml: do not edit.\n\
         use mstic_data::provider::{QueryCall, QueryProvider};\n\
         #[allow(unused_imports)]\n\
         use mstic_data::template::{ListParam, ParamValue};\n\
         #[allow(unused_imports)]\n\
         use mstic_core::timespan::TimeInput;\n\n",
    );
    for error in errors {
        let _ = writeln!(code, "compile_error!({:?});", format!("the shipped query library has a file that cannot be read: {error}"));
    }
    let mut names = Vec::new();
    let mut accessor_names = Vec::new();
    let mut trait_items = String::new();
    let mut impl_items = String::new();
    let mut modules = String::new();
    // A query in several families (same file, same definition) has one call type, defined in the
    // first family's module: `(files, query name)` → `super::module::Type`.
    let mut shared: BTreeMap<String, String> = BTreeMap::new();
    for (family, queries) in families {
        let mut accessor = snake(family);
        if PROVIDER_METHODS.contains(&accessor.as_str()) {
            accessor.push_str("_queries");
        }
        let accessor = unique(accessor, &mut accessor_names);
        let module = ident(&accessor);
        let family_type = format!("{}Queries", camel(family));
        let doc = family_doc(family, queries);
        let _ = writeln!(trait_items, "{doc}    fn {module}(&self) -> families::{module}::{family_type}<'_>;");
        // Hover on a call shows the trait method's documentation; the impl repeats none of it.
        let _ = writeln!(impl_items, "    #[inline]\n    fn {module}(&self) -> families::{module}::{family_type}<'_> {{ families::{module}::{family_type}(self) }}");
        let _ = writeln!(modules, "    /// The queries of data family `{family}` and their typed calls.\n    pub mod {module} {{\n        use super::super::*;\n");
        let _ = writeln!(
            modules,
            "        /// The queries of data family `{family}`: one method per query, each starting a typed call.\n        \
             #[derive(Clone, Copy)]\n        pub struct {family_type}<'a>(pub(crate) &'a QueryProvider);\n"
        );
        let mut methods = String::new();
        let mut types = String::new();
        let mut method_names = Vec::new();
        let mut type_names = vec![family_type.clone()];
        for query in queries.values() {
            names.push(format!("{family}.{}", query.name));
            let method = ident(&unique(snake(&query.name), &mut method_names));
            let full = format!("{family}.{}", query.name);
            let key = format!("{:?} {}", query.sources, query.name);
            let docs = doc_lines(&query_doc(family, &accessor, &method, query), "        ");
            if let Some(path) = shared.get(&key) {
                let _ = writeln!(
                    methods,
                    "{docs}        #[inline]\n        pub fn {method}(self) -> {path}<'a> {{ {path}(self.0.query({full:?})) }}"
                );
                continue;
            }
            let call_type = unique(camel(&query.name), &mut type_names);
            shared.insert(key, format!("super::{module}::{call_type}"));
            let _ = writeln!(
                methods,
                "{docs}        #[inline]\n        pub fn {method}(self) -> {call_type}<'a> {{ {call_type}(self.0.query({full:?})) }}"
            );
            let _ = writeln!(
                types,
                "        #[doc = {:?}]\n        pub struct {call_type}<'a>(pub(crate) QueryCall<'a>);\n        typed_query!({call_type});\n",
                format!("A call of `{full}` (and of the same query in its other families): set its parameters, then `.run()?`, `.render()?` or `.print_query()?`.")
            );
            let setters = setters(query);
            if !setters.is_empty() {
                let _ = writeln!(types, "        impl<'a> {call_type}<'a> {{\n{setters}        }}\n");
            }
        }
        let _ = writeln!(modules, "        impl<'a> {family_type}<'a> {{\n{methods}        }}\n\n{types}    }}\n");
    }
    let _ = writeln!(
        code,
        "/// Typed calls of the shipped query library: one method per data family, e.g.\n\
         /// `qp.windows_security().list_host_logons().host_name(\"WS1\").start(-1).run()?`. In scope with\n\
         /// `use mstic::prelude::*;`. A family's queries run in the environments whose library holds them;\n\
         /// the call resolves `Family.name` in the provider, so users' own files that override a\n\
         /// built-in query are honoured.\n\
         ///\n\
         /// # Example\n\
         /// ```\n\
         /// use mstic_data::provider::QueryProvider;\n\
         /// use mstic_queries::{{QueryFamilies, TypedQuery}};\n\
         /// let qp = QueryProvider::new(\"LocalData\")?;\n\
         /// let logons = qp.windows_security().list_host_logons().host_name(\"WS1\").start(\"2024-05-01\").end(\"2024-05-02\");\n\
         /// assert!(logons.render()?.contains(\"lower('WS1')\"));\n\
         /// # Ok::<(), mstic_core::Error>(())\n\
         /// ```\n\
         pub trait QueryFamilies {{\n{trait_items}}}\n\n\
         impl QueryFamilies for QueryProvider {{\n{impl_items}}}\n\n\
         /// One module per data family: the family's query list type and one call type per query.\n\
         pub mod families {{\n{modules}}}\n\n\
         /// Every `Family.name` that has a typed call, sorted.\n\
         pub const TYPED_QUERY_NAMES: &[&str] = &[{}];",
        names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
    );
    code
}

fn family_doc(family: &str, queries: &BTreeMap<String, Query>) -> String {
    let mut environments: Vec<&str> =
        queries.values().flat_map(|q| q.sources.iter().flat_map(|s| s.environments.iter().map(String::as_str))).collect();
    environments.sort();
    environments.dedup();
    let mut text = format!("The `{family}` queries ({}): start a typed call with one of\n", environments.join(", "));
    for query in queries.values() {
        let _ = writeln!(text, "- `{}`: {}", snake(&query.name), first_sentence(&query.description));
    }
    doc_lines(&text, "    ")
}

fn query_doc(family: &str, accessor: &str, method: &str, query: &Query) -> String {
    let mut text = format!("{}\n\n`{family}.{}`", query.description, query.name);
    for source in &query.sources {
        let _ = write!(text, " — {} (`{}`)", source.environments.join(", "), source.file);
    }
    text.push('\n');
    let tables: Vec<String> = query
        .sources
        .iter()
        .filter_map(|s| s.table.as_ref().map(|t| (t, s)))
        .map(|(t, s)| if query.sources.len() > 1 { format!("`{}` ({})", code_text(t), s.environments.join(", ")) } else { format!("`{}`", code_text(t)) })
        .collect();
    if !tables.is_empty() {
        let _ = writeln!(text, "\nTable: {}", tables.join("; "));
    }
    text.push_str("\nParameters:\n");
    for param in &query.params {
        let _ = writeln!(text, "- {}", param_line(param, query));
    }
    let mut example = format!("qp.{accessor}().{method}()");
    for param in query.params.iter().filter(|p| p.default.is_none() && p.name != "start" && p.name != "end") {
        let value = match param.kind.as_str() {
            "int" => "1".to_string(),
            "float" => "1.0".to_string(),
            "list" => "vec![\"…\"]".to_string(),
            "datetime" => "-1".to_string(),
            _ => "\"…\"".to_string(),
        };
        let _ = write!(example, ".{}({value})", setter_name(&param.name).unwrap_or_else(|| param.name.clone()));
    }
    if query.params.iter().any(|p| p.name == "start") {
        example.push_str(".start(-1).end(0)");
    }
    let _ = write!(text, "\nExample: `{example}.run()?`");
    text
}

fn param_line(param: &Param, query: &Query) -> String {
    let state = match (&param.default, param.name.as_str()) {
        (None, "start" | "end") => "required; the provider's time range when not set".to_string(),
        (None, _) => "required".to_string(),
        (Some(d), _) if d == VARIES => "default depends on the environment".to_string(),
        (Some(d), _) if d.is_empty() => "default empty".to_string(),
        (Some(d), _) => format!("default `{}`", code_text(d)),
    };
    let only = if param.files.len() < query.sources.len() {
        let environments: Vec<&str> = query
            .sources
            .iter()
            .filter(|s| param.files.contains(&s.file))
            .flat_map(|s| s.environments.first().map(String::as_str))
            .collect();
        format!(" (only in {})", environments.join(", "))
    } else {
        String::new()
    };
    format!("`{}` ({}, {state}): {}{only}", param.name, param.kind, param.description)
}

/// A value shortened to one line for a doc comment code span.
fn code_text(value: &str) -> String {
    let one_line: String = value.split_whitespace().collect::<Vec<_>>().join(" ").replace('`', "'");
    if one_line.chars().count() > 60 { format!("{}…", one_line.chars().take(60).collect::<String>()) } else { one_line }
}

/// A description on one line, cut at a word boundary past 110 characters.
fn first_sentence(text: &str) -> String {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if line.chars().count() + word.chars().count() > 110 {
            line.push_str(" …");
            break;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    line
}

/// The setter name for a parameter; `None` for `start`/`end` (set with `.start(…)`/`.end(…)`).
fn setter_name(param: &str) -> Option<String> {
    if param == "start" || param == "end" {
        return None;
    }
    let mut name = snake(param);
    if CALL_METHODS.contains(&name.as_str()) {
        name.push_str("_param");
    }
    Some(ident(&name))
}

fn setters(query: &Query) -> String {
    let mut code = String::new();
    let mut taken: Vec<String> = Vec::new();
    for param in &query.params {
        let Some(name) = setter_name(&param.name) else { continue };
        let name = unique(name, &mut taken);
        let (arg, value) = match param.kind.as_str() {
            "str" | "raw" => ("impl Into<String>", "ParamValue::Str(value.into())"),
            "int" => ("impl Into<i64>", "ParamValue::Int(value.into())"),
            "float" => ("impl Into<f64>", "ParamValue::Float(value.into())"),
            "list" => ("impl Into<ListParam>", "value.into().into()"),
            "datetime" => ("impl Into<TimeInput>", ""),
            _ => ("impl Into<ParamValue>", "value.into()"),
        };
        let body = if param.kind == "datetime" {
            format!("Self(self.0.set_time({:?}, value.into()))", param.name)
        } else {
            format!("Self(self.0.set({:?}, {value}))", param.name)
        };
        let forms = match param.kind.as_str() {
            "datetime" => "\n\nTakes what `.start(…)` takes: a datetime, a date string, days from now (`-2`) or a relative spec (`\"-1w@d\"`).",
            "list" => "\n\nTakes a list (`vec![\"a\", \"b\"]`, `[1, 2]`) or a comma-separated string.",
            "raw" => "\n\nQuery text, written into the query as it is (not escaped): never fill it from data.",
            _ => "",
        };
        let _ = writeln!(
            code,
            "{}            #[inline]\n            pub fn {name}(self, value: {arg}) -> Self {{ {body} }}",
            doc_lines(&format!("Sets {}{forms}", param_line(param, query)), "            ")
        );
    }
    code
}

/// `#[doc = "…"]` attributes, one per line of `text`.
fn doc_lines(text: &str, indent: &str) -> String {
    text.lines().map(|line| format!("{indent}#[doc = {:?}]\n", format!(" {line}"))).collect()
}

