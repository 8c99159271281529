//! Every KQL query of the shipped library (`queries/{mssentinel,mde,m365d}`) parses, once its
//! `{name}` placeholders are filled with the parameters' defaults or plausible sample values.
//!
//! The YAML files are read with a small reader for the subset they use (block mappings, plain and
//! quoted scalars, flow lists, `|` / `>` block scalars), so the crate needs no YAML dependency.

use std::fs;
use std::path::{Path, PathBuf};

use mstic_kql_syntax::parse;

/// A YAML node of the subset the query files use.
#[derive(Debug, Clone)]
enum Node {
    Scalar(String),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Node::Scalar(_) => None,
        }
    }

    fn entries(&self) -> &[(String, Node)] {
        match self {
            Node::Map(entries) => entries,
            Node::Scalar(_) => &[],
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar(text) => Some(text),
            Node::Map(_) => None,
        }
    }
}

/// Indentation of a line (spaces).
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether a line holds nothing but space or a comment.
fn is_blank(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// Reads the mapping whose keys sit at `level` spaces, starting at `lines[*at]`.
fn read_map(lines: &[&str], at: &mut usize, level: usize) -> Node {
    let mut entries = Vec::new();
    while *at < lines.len() {
        let line = lines[*at];
        if is_blank(line) {
            *at += 1;
            continue;
        }
        if indent(line) < level {
            break;
        }
        let trimmed = line.trim();
        let Some((key, value)) = trimmed.split_once(':') else {
            *at += 1;
            continue;
        };
        let key = key.trim().to_string();
        let value = value.trim();
        *at += 1;
        let node = if value.is_empty() {
            let child_level = next_indent(lines, *at);
            if child_level > level {
                read_map(lines, at, child_level)
            } else {
                Node::Map(Vec::new())
            }
        } else if let Some(style) =
            value.strip_prefix('|').map(|_| '|').or(value.strip_prefix('>').map(|_| '>'))
        {
            let keep_last_newline = !value.ends_with('-');
            Node::Scalar(read_block(lines, at, level, style, keep_last_newline))
        } else {
            skip_continuation(lines, at, level);
            Node::Scalar(unquote(value))
        };
        entries.push((key, node));
    }
    Node::Map(entries)
}

/// Indentation of the next non-blank line.
fn next_indent(lines: &[&str], at: usize) -> usize {
    lines[at..].iter().find(|l| !is_blank(l)).map_or(0, |l| indent(l))
}

/// Skips the continuation lines of a multi-line plain scalar.
fn skip_continuation(lines: &[&str], at: &mut usize, level: usize) {
    while *at < lines.len() && (lines[*at].trim().is_empty() || indent(lines[*at]) > level) {
        *at += 1;
    }
}

/// A `|` or `>` block scalar below a key at `level`.
fn read_block(
    lines: &[&str],
    at: &mut usize,
    level: usize,
    style: char,
    keep_last: bool,
) -> String {
    let mut body: Vec<&str> = Vec::new();
    let block_indent = next_indent(lines, *at);
    while *at < lines.len() {
        let line = lines[*at];
        if !line.trim().is_empty() && indent(line) <= level {
            break;
        }
        body.push(line.get(block_indent..).unwrap_or(""));
        *at += 1;
    }
    while body.last().is_some_and(|l| l.trim().is_empty()) {
        body.pop();
    }
    let separator = if style == '|' { "\n" } else { " " };
    let mut text = body.join(separator);
    if keep_last {
        text.push('\n');
    }
    text
}

/// A plain, `"double"` or `'single'` quoted scalar's value.
fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    value.to_string()
}

/// A parameter's type and default.
#[derive(Debug, Clone)]
struct Param {
    ty: String,
    default: Option<String>,
}

fn params_of(node: Option<&Node>) -> Vec<(String, Param)> {
    let Some(node) = node else { return Vec::new() };
    node.entries()
        .iter()
        .map(|(name, spec)| {
            let ty = spec.get("type").and_then(Node::text).unwrap_or("str").to_string();
            let default = spec.get("default").and_then(Node::text).map(str::to_string);
            (name.clone(), Param { ty, default })
        })
        .collect()
}

/// A list default (`[High, 'Medium', 3]`) as KQL items (`'High', 'Medium', 3`).
fn kql_list(text: &str) -> String {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split(',')
        .map(|item| unquote(item.trim()))
        .filter(|item| !item.is_empty())
        .map(|item| {
            if item.parse::<f64>().is_ok() {
                item
            } else {
                format!("'{}'", item.replace('\'', "\\'"))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value written for `{name}`, given the text before it.
fn value_for(param: Option<&Param>, before: &str) -> String {
    let ty = param.map_or("str", |p| p.ty.as_str());
    if let Some(default) = param.and_then(|p| p.default.as_ref()) {
        return if ty == "list" { kql_list(default) } else { default.clone() };
    }
    match ty {
        "datetime" if before.trim_end().ends_with("datetime(") => "2024-01-01T00:00:00Z".into(),
        "datetime" => "datetime(2024-01-01T00:00:00Z)".into(),
        "int" | "float" => "1".into(),
        "list" => "'a', 'b'".into(),
        "raw" => String::new(),
        _ => "x".into(),
    }
}

/// The template with every `{name}` replaced and `{{` / `}}` undoubled.
fn fill(template: &str, params: &[(String, Param)]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(close) = tail.find('}').filter(|_| tail.starts_with('{')) {
            let name = &tail[1..close];
            let param = params.iter().find(|(n, _)| n == name).map(|(_, p)| p);
            out.push_str(&value_for(param, &out));
            rest = &tail[close + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// One query of the library.
struct LibraryQuery {
    file: PathBuf,
    name: String,
    text: String,
}

fn load_queries(dir: &Path) -> Vec<LibraryQuery> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    let mut queries = Vec::new();
    for file in files {
        let content = fs::read_to_string(&file).expect("a query file");
        let lines: Vec<&str> = content.lines().collect();
        let root = read_map(&lines, &mut 0, 0);
        let defaults = params_of(root.get("defaults").and_then(|d| d.get("parameters")));
        for (name, source) in root.get("sources").map_or(&[][..], Node::entries) {
            let Some(template) =
                source.get("args").and_then(|a| a.get("query")).and_then(Node::text)
            else {
                continue;
            };
            let mut params = defaults.clone();
            for (pname, param) in params_of(source.get("parameters")) {
                params.retain(|(n, _)| *n != pname);
                params.push((pname, param));
            }
            queries.push(LibraryQuery {
                file: file.clone(),
                name: name.clone(),
                text: fill(template, &params),
            });
        }
    }
    queries
}

#[test]
fn every_library_query_parses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
    let mut total = 0;
    let mut failures = Vec::new();
    for folder in ["mssentinel", "mde", "m365d"] {
        for query in load_queries(&root.join(folder)) {
            total += 1;
            if let Err(error) = parse(&query.text) {
                let file = query
                    .file
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                failures.push(format!(
                    "{folder}/{file} {}:\n{}\n",
                    query.name,
                    error.render(&query.text)
                ));
            }
        }
    }
    println!("{} of {total} library queries parse", total - failures.len());
    for failure in &failures {
        println!("{failure}");
    }
    assert!(total >= 300, "only {total} queries found: the YAML reader missed some");
    assert!(failures.is_empty(), "{} of {total} queries do not parse", failures.len());
}

#[test]
fn the_yaml_reader_reads_block_scalars_and_defaults() {
    let text = "a:\n  query: |\n    T\n    | take {n}\n  parameters:\n    n:\n      type: int\n      default: 5\n    l:\n      type: list\n      default: [x, 'y z', 3]\n";
    let lines: Vec<&str> = text.lines().collect();
    let root = read_map(&lines, &mut 0, 0);
    let a = root.get("a").expect("a");
    assert_eq!(a.get("query").and_then(Node::text), Some("T\n| take {n}\n"));
    let params = params_of(a.get("parameters"));
    assert_eq!(
        fill("T | take {n} | where x in ({l}) | extend d = dynamic({{}})", &params),
        "T | take 5 | where x in ('x', 'y z', 3) | extend d = dynamic({})"
    );
}
