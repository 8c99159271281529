//! Rendering a template with MSTICPy's rules (`QuerySource.create_query`): defaults overlaid by
//! supplied values (aliases resolved), datetimes resolved and formatted, lists parsed and
//! formatted, `format:` templates applied, Python `str.format`, then blank lines collapsed.
//! Unlike MSTICPy, every text value is escaped for the literal it lands in (see [`super::escape`]).

use super::escape::{LiteralStyle, Placement, QueryLanguage, escape_for, is_bare_token, placements};
use super::pyformat::{field_name, format_value, python_format, split_fields, split_placeholders};
use super::{ParamType, ParamValue, QueryTemplate};
use chrono::{DateTime, Utc};
use mstic_core::timespan::{TimeValue, resolve_time_at};
use mstic_core::{Error, Result};
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// How datetime and list values are written into query text (MSTICPy's driver formatters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatStyle {
    /// MSTICPy's defaults: `isoformat('T')` (`Z` appended to naive times); lists as `'a', 'b', 3`.
    #[default]
    Default,
    /// Sentinel / Log Analytics: defaults, with `'` in list items written `\'`.
    Sentinel,
    /// Splunk and Elastic: `"YYYY-MM-DD HH:MM:SS.ffffff"` in UTC, quoted — always six fraction
    /// digits and no offset, so the `timeformat` `%Y-%m-%d %H:%M:%S.%6N` of our Splunk queries
    /// parses every value (Python's `isoformat(' ')` drops a zero fraction and appends `+00:00`);
    /// lists as `"a","b"`.
    Splunk,
    /// Sumo Logic: `YYYY-MM-DDTHH:MM:SS` (no fraction, no zone).
    Sumologic,
    /// OpenObserve: the datetime as Python's `str()` (`2024-01-01 00:00:00+00:00`).
    PythonStr,
    /// Cybereason's JSON templates: `{name}` placeholders replaced in place (other braces kept),
    /// datetimes as epoch milliseconds, list items joined by `", "` inside the template's quotes.
    JsonPlaceholders,
}

impl FormatStyle {
    /// A datetime as this style writes it.
    pub fn datetime(&self, value: &TimeValue) -> String {
        let python_str = || ParamValue::Time(*value).python_str();
        match self {
            FormatStyle::Splunk => format!("\"{}\"", value.space_separated()),
            FormatStyle::PythonStr => python_str(),
            FormatStyle::JsonPlaceholders => value.to_utc().timestamp_millis().to_string(),
            FormatStyle::Sumologic => value.wall_clock().format("%Y-%m-%dT%H:%M:%S").to_string(),
            FormatStyle::Default | FormatStyle::Sentinel => value.isoformat(),
        }
    }

    /// The quote this style writes around list items that land outside a literal.
    fn list_quote(&self) -> char {
        match self {
            FormatStyle::Splunk | FormatStyle::JsonPlaceholders => '"',
            _ => '\'',
        }
    }

    /// What separates list items.
    fn list_separator(&self) -> &'static str {
        match self {
            FormatStyle::Splunk => ",",
            _ => ", ",
        }
    }

    /// A list as this style writes it at `placement` of a `language` query: text items quoted
    /// and escaped (Splunk quotes every item); inside a literal, items are escaped for it and
    /// joined by closing and reopening its quote (`a", "b` in `"{ids}"`).
    pub fn list(&self, items: &[ParamValue], language: QueryLanguage, placement: Placement, param: &str, what: &str) -> Result<String> {
        let escape = |text: &str, placement| escape_for(language, placement, text, param, what);
        let written: Vec<String> = match placement {
            Placement::Quoted { quote, .. } => {
                let escaped = items.iter().map(|i| escape(&i.python_str(), placement)).collect::<Result<Vec<_>>>()?;
                return Ok(escaped.join(&format!("{quote}{}{quote}", self.list_separator())));
            }
            _ => {
                let quote = self.list_quote();
                let literal = Placement::Quoted { quote, style: literal_style(language, quote) };
                items
                    .iter()
                    .map(|item| match item {
                        ParamValue::Str(text) => Ok(format!("{quote}{}{quote}", escape(text, literal)?)),
                        other if *self == FormatStyle::Splunk => Ok(format!("{quote}{}{quote}", escape(&other.python_str(), literal)?)),
                        other => Ok(other.python_str()),
                    })
                    .collect::<Result<_>>()?
            }
        };
        let text = written.join(self.list_separator());
        match placement {
            Placement::LineComment | Placement::BlockComment => escape(&text, placement),
            _ => Ok(text),
        }
    }
}

/// How `language` escapes a literal opened by `quote` in code.
fn literal_style(language: QueryLanguage, quote: char) -> LiteralStyle {
    match language {
        QueryLanguage::Sql | QueryLanguage::OData => LiteralStyle::Doubled,
        _ if quote == '`' => LiteralStyle::Fenced,
        _ => LiteralStyle::Backslash,
    }
}

/// Rendering settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Value formatting for the data environment.
    pub style: FormatStyle,
    /// The templates' query language, which decides how values are escaped.
    pub language: QueryLanguage,
    /// "Now" for relative times (default: the current time).
    pub now: Option<DateTime<Utc>>,
}

static BLANK_LINES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n\s*\n").expect("valid regex"));

/// Renders `template` with `values` (names or aliases). Unknown names give an error listing the
/// closest parameter names; a missing required parameter is named with its type and description.
pub fn render_query(template: &QueryTemplate, values: &[(String, ParamValue)], options: &RenderOptions) -> Result<String> {
    let what = format!("query '{}'", template.name);
    let mut params: BTreeMap<&str, ParamValue> = BTreeMap::new();
    for def in &template.params {
        params.insert(&def.name, def.default.clone().unwrap_or(ParamValue::Null));
    }
    // Values the caller supplied; defaults are the template author's query text.
    let mut supplied: Vec<&str> = Vec::new();
    for (name, value) in values {
        let def = template.param(name).ok_or_else(|| {
            let mut valid: Vec<&str> = template.params.iter().map(|p| p.name.as_str()).collect();
            valid.extend(template.params.iter().flat_map(|p| p.aliases.iter().map(String::as_str)));
            Error::unknown("parameter", name, valid)
        })?;
        params.insert(&def.name, value.clone());
        supplied.push(&def.name);
    }
    let missing: Vec<String> = template
        .params
        .iter()
        .filter(|p| matches!(params.get(p.name.as_str()), Some(ParamValue::Null) | None))
        .map(|p| format!("'{}' ({}: {})", p.name, p.param_type, p.description))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(what, format!("required parameters were not set: {}", missing.join(", "))));
    }
    let now = options.now.unwrap_or_else(Utc::now);
    let mut substitutions: BTreeMap<&str, Substitution> = BTreeMap::new();
    for def in &template.params {
        let Some(value) = params.get(def.name.as_str()) else { continue };
        let context = |e: Error| Error::invalid(format!("{what}, parameter '{}'", def.name), e.to_string());
        let converted = match def.param_type {
            ParamType::DateTime => {
                let input = value.to_time_input().ok_or_else(|| {
                    Error::invalid(
                        format!("{what}, parameter '{}'", def.name),
                        format!("a {} value is not a time", value.type_name()),
                    )
                })?;
                ParamValue::Time(resolve_time_at(input, now).map_err(context)?)
            }
            ParamType::List => ParamValue::List(parse_list(value)),
            _ => value.clone(),
        };
        let substitution = match (&def.format, &converted) {
            (Some(fmt), _) => {
                let formatted = python_format(fmt, std::slice::from_ref(&converted), &|_| None, &format!("format of parameter '{}'", def.name))?;
                // The format's own quotes are the author's; a value made only of names and
                // numbers cannot leave them, anything else is escaped where it lands.
                match all_text_bare(&converted) {
                    true => Substitution::Ready(ParamValue::Str(formatted)),
                    false => Substitution::Text(formatted),
                }
            }
            (None, ParamValue::Time(t)) => Substitution::Ready(ParamValue::Str(options.style.datetime(t))),
            (None, _) if def.is_raw() || !supplied.contains(&def.name.as_str()) && def.param_type != ParamType::List => {
                Substitution::Ready(converted)
            }
            (None, ParamValue::List(items)) if def.param_type == ParamType::List => Substitution::List(items.clone()),
            (None, ParamValue::Str(_) | ParamValue::List(_)) => Substitution::Text(converted.python_str()),
            (None, _) => Substitution::Ready(converted),
        };
        substitutions.insert(&def.name, substitution);
    }
    let json = options.style == FormatStyle::JsonPlaceholders;
    let (texts, fields) = if json {
        split_placeholders(&template.query, &|name| substitutions.contains_key(name))
    } else {
        split_fields(&template.query, &what)?
    };
    let places = placements(&texts.iter().map(String::as_str).collect::<Vec<_>>(), options.language);
    // Escaped values are held out of the blank-line collapse (it would change a value's own
    // blank lines); each is written as a marker, put back after it.
    let mut text = texts[0].clone();
    let mut held: Vec<String> = Vec::new();
    for ((field, placement), after) in fields.iter().zip(places).zip(&texts[1..]) {
        let name = field_name(field);
        let (value, escaped) = match substitutions.get(name) {
            None => (None, false),
            Some(Substitution::Ready(value)) => (Some(value.clone()), false),
            Some(Substitution::Text(raw)) => (Some(ParamValue::Str(escape_for(options.language, placement, raw, name, &what)?)), true),
            Some(Substitution::List(items)) => {
                (Some(ParamValue::Str(options.style.list(items, options.language, placement, name, &what)?)), true)
            }
        };
        let written = match (json, value) {
            (true, Some(value)) => value.python_str(),
            (_, value) => format_value(field, value, &what)?,
        };
        if escaped {
            text.push_str(&format!("{HELD_OPEN}{}{HELD_CLOSE}", held.len()));
            held.push(written);
        } else {
            text.push_str(&written);
        }
        text.push_str(after);
    }
    // A marker that is not ours (in the template or a value written as is) would be taken for one.
    if text.matches([HELD_OPEN, HELD_CLOSE]).count() != 2 * held.len() {
        return Err(Error::invalid(what, "the query text contains U+FDD0 or U+FDD1, noncharacters that rendering reserves"));
    }
    let collapsed = BLANK_LINES.replace_all(&text, "\n");
    Ok(HELD.replace_all(&collapsed, |caps: &regex::Captures| held[caps[1].parse::<usize>().expect("a marker's index")].clone()).into_owned())
}

/// Markers of held values: Unicode noncharacters, which query text does not contain.
const HELD_OPEN: char = '\u{FDD0}';
const HELD_CLOSE: char = '\u{FDD1}';
static HELD: LazyLock<Regex> = LazyLock::new(|| Regex::new("\u{FDD0}([0-9]+)\u{FDD1}").expect("valid regex"));

/// A parameter's value ready for the query text.
enum Substitution {
    /// Written as it is: numbers, booleans, formatted times, `raw` parameters and defaults (the
    /// template author's own text, e.g. MSTICPy's `query_project: "| project …"`).
    Ready(ParamValue),
    /// Text from the caller (or the data): escaped for the place it lands in.
    Text(String),
    /// List items, quoted and escaped for the place the list lands in.
    List(Vec<ParamValue>),
}

/// Whether every text in `value` is a plain name or number (see [`is_bare_token`]).
fn all_text_bare(value: &ParamValue) -> bool {
    match value {
        ParamValue::Str(text) => is_bare_token(text),
        ParamValue::List(items) => items.iter().all(all_text_bare),
        _ => true,
    }
}

/// MSTICPy's list parsing: a list as is, a comma-separated string split and trimmed, else one item.
fn parse_list(value: &ParamValue) -> Vec<ParamValue> {
    match value {
        ParamValue::List(items) => items.clone(),
        ParamValue::Str(s) if s.contains(',') => s.split(',').map(|i| ParamValue::Str(i.trim().to_string())).collect(),
        other => vec![other.clone()],
    }
}
