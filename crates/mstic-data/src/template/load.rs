//! Reads a query YAML file and validates it against MSTICPy's schema (`.schemas/queries.json`
//! plus the loader's own checks); every error names the file, line, query and field.

use super::pyformat::template_fields;
use super::{ParamDef, ParamType, ParamValue, QueryFile, QueryTemplate};
use mstic_core::{Error, Result};
use regex::Regex;
use serde_yaml_ng::{Mapping, Value};
use std::path::Path;
use std::sync::LazyLock;

const FILE_METADATA_KEYS: [&str; 10] =
    ["version", "description", "data_environments", "data_families", "tags", "aliases", "cluster", "clusters", "cluster_groups", "database"];
const PARAM_KEYS: [&str; 5] = ["description", "type", "default", "aliases", "format"];
const SOURCE_KEYS: [&str; 5] = ["description", "metadata", "parameters", "args", "query_macros"];

/// Loads and validates one query file.
pub fn load_query_file(path: impl AsRef<Path>) -> Result<QueryFile> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
    parse_query_file(&text, path)
}

/// Parses and validates query YAML text; `path` names it in errors.
pub fn parse_query_file(text: &str, path: &Path) -> Result<QueryFile> {
    let root: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: e.location().map(|l| l.line()),
        message: e.to_string(),
    })?;
    let query_names = match root.get("sources") {
        Some(Value::Mapping(m)) => m.keys().map(key_text).collect(),
        _ => Vec::new(),
    };
    let ctx = Ctx { text, path, query_names };
    let root = root.as_mapping().ok_or_else(|| ctx.err(None, &[], "the file must be a mapping with 'metadata' and 'sources'"))?;
    let metadata = get(root, "metadata").ok_or_else(|| ctx.err(None, &["metadata"], "required section is missing"))?;
    let metadata = metadata.as_mapping().ok_or_else(|| ctx.err(None, &["metadata"], "must be a mapping"))?;
    check_file_metadata(&ctx, metadata)?;
    let environments = string_list(get(metadata, "data_environments"));
    let families = string_list(get(metadata, "data_families"));

    let defaults = match get(root, "defaults") {
        None | Some(Value::Null) => Mapping::new(),
        Some(Value::Mapping(m)) => m.clone(),
        Some(_) => return Err(ctx.err(None, &["defaults"], "must be a mapping")),
    };
    let default_params = parse_params(&ctx, None, &["defaults", "parameters"], get(&defaults, "parameters"))?;
    let default_meta = get(&defaults, "metadata").cloned().unwrap_or(Value::Null);

    let sources = match get(root, "sources") {
        Some(Value::Mapping(m)) if !m.is_empty() => m,
        Some(Value::Mapping(_)) => return Err(ctx.err(None, &["sources"], "must define at least one query")),
        Some(_) => return Err(ctx.err(None, &["sources"], "must be a mapping of query names to queries")),
        None => return Err(ctx.err(None, &["sources"], "required section is missing")),
    };
    let mut queries = Vec::with_capacity(sources.len());
    for (key, source) in sources {
        let name = key_text(key);
        let query = parse_source(&ctx, &name, source, &default_params, &default_meta, metadata)?;
        queries.push(QueryTemplate { environments: environments.clone(), file: path.to_path_buf(), ..query });
    }
    Ok(QueryFile {
        path: path.to_path_buf(),
        description: get(metadata, "description").and_then(Value::as_str).unwrap_or_default().to_string(),
        environments,
        families,
        queries,
    })
}

struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
    /// Every query of the file, named in errors about shared sections.
    query_names: Vec<String>,
}

impl Ctx<'_> {
    /// An error naming the query (if any), the dotted field and the line where it is.
    fn err(&self, query: Option<&str>, field: &[&str], problem: &str) -> Error {
        let mut keys: Vec<&str> = Vec::new();
        if let Some(q) = query {
            keys.extend(["sources", q]);
        }
        keys.extend(field.iter().copied());
        let field_text = field.join(".");
        let message = match (query, field_text.is_empty()) {
            (Some(q), false) => format!("query '{q}', field '{field_text}': {problem}"),
            (Some(q), true) => format!("query '{q}': {problem}"),
            (None, false) => format!("field '{field_text}': {problem}"),
            (None, true) => problem.to_string(),
        };
        let message = match (query, self.query_names.is_empty()) {
            (None, false) => format!("{message} (shared by queries: {})", self.query_names.join(", ")),
            _ => message,
        };
        Error::Parse { path: self.path.to_path_buf(), line: find_line(self.text, &keys), message }
    }
}

/// The 1-based line of the deepest key of `keys` found in order (indentation-blind, best effort).
fn find_line(text: &str, keys: &[&str]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut found = None;
    for key in keys {
        let prefixes = [format!("{key}:"), format!("'{key}':"), format!("\"{key}\":"), format!("- {key}:")];
        match (from..lines.len()).find(|&i| prefixes.iter().any(|p| lines[i].trim_start().starts_with(p.as_str()))) {
            Some(i) => {
                found = Some(i + 1);
                from = i + 1;
            }
            None => break,
        }
    }
    found
}

fn check_file_metadata(ctx: &Ctx, metadata: &Mapping) -> Result<()> {
    for key in metadata.keys().map(key_text) {
        if !FILE_METADATA_KEYS.contains(&key.as_str()) {
            return Err(ctx.err(None, &["metadata", &key], &format!("unknown metadata field; expected one of {}", FILE_METADATA_KEYS.join(", "))));
        }
    }
    match get(metadata, "version") {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        Some(other) => return Err(ctx.err(None, &["metadata", "version"], &format!("must be an integer, not {}", describe(other)))),
        None => return Err(ctx.err(None, &["metadata", "version"], "required field is missing")),
    }
    check_description(ctx, None, &["metadata", "description"], get(metadata, "description"))?;
    for list in ["data_environments", "data_families"] {
        match get(metadata, list) {
            Some(Value::Sequence(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {}
            Some(Value::Sequence(items)) if items.is_empty() => return Err(ctx.err(None, &["metadata", list], "must not be empty")),
            Some(other) => return Err(ctx.err(None, &["metadata", list], &format!("must be a list of names, not {}", describe(other)))),
            None => return Err(ctx.err(None, &["metadata", list], "required field is missing")),
        }
    }
    Ok(())
}

fn check_description(ctx: &Ctx, query: Option<&str>, field: &[&str], value: Option<&Value>) -> Result<String> {
    match value {
        Some(Value::String(s)) if (5..=1024).contains(&s.chars().count()) => Ok(s.clone()),
        Some(Value::String(s)) => {
            Err(ctx.err(query, field, &format!("must be 5 to 1024 characters long (it has {})", s.chars().count())))
        }
        Some(other) => Err(ctx.err(query, field, &format!("must be text, not {}", describe(other)))),
        None => Err(ctx.err(query, field, "required field is missing")),
    }
}

fn parse_params(ctx: &Ctx, query: Option<&str>, base: &[&str], node: Option<&Value>) -> Result<Vec<ParamDef>> {
    let map = match node {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Mapping(m)) => m,
        Some(other) => return Err(ctx.err(query, base, &format!("must be a mapping of parameters, not {}", describe(other)))),
    };
    let mut params = Vec::with_capacity(map.len());
    for (key, def) in map {
        let name = key_text(key);
        let field = |leaf: &str| -> Vec<String> {
            let mut f: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            f.push(name.clone());
            if !leaf.is_empty() {
                f.push(leaf.to_string());
            }
            f
        };
        let err = |leaf: &str, problem: &str| {
            let f = field(leaf);
            ctx.err(query, &f.iter().map(String::as_str).collect::<Vec<_>>(), problem)
        };
        let def = def.as_mapping().ok_or_else(|| err("", "a parameter must be a mapping with description and type"))?;
        if let Some(extra) = def.keys().map(key_text).find(|k| !PARAM_KEYS.contains(&k.as_str())) {
            return Err(err(&extra, &format!("unknown parameter field; expected one of {}", PARAM_KEYS.join(", "))));
        }
        let f = field("description");
        let description = check_description(ctx, query, &f.iter().map(String::as_str).collect::<Vec<_>>(), get(def, "description"))?;
        let param_type = match get(def, "type") {
            Some(Value::String(t)) => ParamType::parse(t)
                .ok_or_else(|| err("type", &format!("'{t}' is not a parameter type; expected one of {}", ParamType::NAMES.join(", "))))?,
            Some(other) => return Err(err("type", &format!("must be a type name, not {}", describe(other)))),
            None => return Err(err("type", "required field is missing")),
        };
        let default = match get(def, "default") {
            None => None,
            Some(Value::Null) => return Err(err("default", "is empty; give a value (\"\" for an empty string) or remove it")),
            Some(Value::Mapping(_)) => return Err(err("default", "must be text, a number or a list")),
            Some(value) => Some(ParamValue::from_yaml(value)),
        };
        let aliases = match get(def, "aliases") {
            None => Vec::new(),
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Sequence(items)) if items.iter().all(Value::is_string) => string_list(Some(&Value::Sequence(items.clone()))),
            Some(other) => return Err(err("aliases", &format!("must be a name or a list of names, not {}", describe(other)))),
        };
        let format = match get(def, "format") {
            None | Some(Value::Null) => None,
            Some(Value::String(f)) => Some(f.clone()),
            Some(other) => return Err(err("format", &format!("must be a format string, not {}", describe(other)))),
        };
        params.push(ParamDef { name, param_type, description, default, aliases, format });
    }
    Ok(params)
}

static MACRO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$<([^>]+)>\$?").expect("valid regex"));
static BLANK_RUNS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n{2,}").expect("valid regex"));

fn parse_source(
    ctx: &Ctx,
    name: &str,
    source: &Value,
    default_params: &[ParamDef],
    default_meta: &Value,
    file_meta: &Mapping,
) -> Result<QueryTemplate> {
    let q = Some(name);
    let source = source.as_mapping().ok_or_else(|| ctx.err(q, &[], "a query must be a mapping with description and args"))?;
    if let Some(extra) = source.keys().map(key_text).find(|k| !SOURCE_KEYS.contains(&k.as_str())) {
        return Err(ctx.err(q, &[&extra], &format!("unknown query field; expected one of {}", SOURCE_KEYS.join(", "))));
    }
    let description = check_description(ctx, q, &["description"], get(source, "description"))?;
    let args = get(source, "args").and_then(Value::as_mapping).ok_or_else(|| ctx.err(q, &["args"], "required mapping with 'query' is missing"))?;
    let mut query = match get(args, "query") {
        Some(Value::String(text)) => text.clone(),
        Some(other) => return Err(ctx.err(q, &["args", "query"], &format!("must be text, not {}", describe(other)))),
        None => return Err(ctx.err(q, &["args", "query"], "required field is missing")),
    };
    let uri = get(args, "uri").and_then(Value::as_str).map(str::to_string);

    let mut macros = Vec::new();
    match get(source, "query_macros") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(m)) => {
            for (key, def) in m {
                let macro_name = key_text(key);
                let def = def.as_mapping().ok_or_else(|| ctx.err(q, &["query_macros", &macro_name], "must be a mapping with description and value"))?;
                check_description(ctx, q, &["query_macros", &macro_name, "description"], get(def, "description"))?;
                let value = get(def, "value").and_then(Value::as_str).ok_or_else(|| ctx.err(q, &["query_macros", &macro_name, "value"], "required text is missing"))?;
                macros.push((macro_name, value.to_string()));
            }
        }
        Some(_) => return Err(ctx.err(q, &["query_macros"], "must be a mapping of macro names")),
    }
    if MACRO.is_match(&query) {
        let keys: Vec<String> = MACRO.captures_iter(&query).map(|c| c[1].to_string()).collect();
        for key in keys {
            let value = macros.iter().find(|(n, _)| *n == key).map(|(_, v)| v.as_str()).unwrap_or("");
            query = query.replace(&format!("$<{key}>$"), value);
        }
        query = BLANK_RUNS.replace_all(&query, "\n").into_owned();
    }

    let own_params = parse_params(ctx, q, &["parameters"], get(source, "parameters"))?;
    let mut params: Vec<ParamDef> = default_params.to_vec();
    for param in own_params {
        match params.iter_mut().find(|p| p.name == param.name) {
            Some(existing) => *existing = param,
            None => params.push(param),
        }
    }

    let mut metadata = Mapping::new();
    for layer in [Some(&Value::Mapping(file_meta.clone())), Some(default_meta), get(source, "metadata")].into_iter().flatten() {
        if let Value::Mapping(m) = layer {
            for (k, v) in m {
                metadata.insert(k.clone(), v.clone());
            }
        }
    }
    let families = string_list(metadata.get("data_families"));

    // MSTICPy's validation: every {field} of the query must be a defined parameter with a type.
    let missing: Vec<String> =
        template_fields(&query).into_iter().filter(|f| !params.iter().any(|p| &p.name == f)).collect();
    if !missing.is_empty() {
        return Err(ctx.err(q, &["args", "query"], &format!("uses parameters with no definition in 'parameters' or 'defaults': {}", missing.join(", "))));
    }
    Ok(QueryTemplate {
        name: name.to_string(),
        description,
        families,
        environments: Vec::new(),
        query,
        params,
        metadata: Value::Mapping(metadata),
        uri,
        file: Default::default(),
    })
}

fn get<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.get(key)
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other).unwrap_or_default().trim().to_string(),
    }
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().map(key_text).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "empty".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("text \"{}\"", s.chars().take(40).collect::<String>()),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}
