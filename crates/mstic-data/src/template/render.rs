//! Rendering a template with MSTICPy's rules (`QuerySource.create_query`): defaults overlaid by
//! supplied values (aliases resolved), datetimes resolved and formatted, lists parsed and
//! formatted, `format:` templates applied, Python `str.format`, then blank lines collapsed.

use super::pyformat::{python_format, substitute_placeholders};
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
            FormatStyle::Sumologic => match value {
                TimeValue::Aware(t) => t.naive_local().format("%Y-%m-%dT%H:%M:%S").to_string(),
                TimeValue::Naive(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            },
            FormatStyle::Default | FormatStyle::Sentinel => value.isoformat(),
        }
    }

    /// A list as this style writes it.
    pub fn list(&self, items: &[ParamValue]) -> String {
        let quoted = |escape: bool| {
            items
                .iter()
                .map(|i| match i {
                    ParamValue::Str(s) if escape => format!("'{}'", s.replace('\'', "\\'")),
                    ParamValue::Str(s) => format!("'{s}'"),
                    other => other.python_str(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            FormatStyle::Splunk => items.iter().map(|i| format!("\"{}\"", i.python_str())).collect::<Vec<_>>().join(","),
            FormatStyle::Sentinel => quoted(true),
            FormatStyle::JsonPlaceholders => items.iter().map(ParamValue::python_str).collect::<Vec<_>>().join("\", \""),
            _ => quoted(false),
        }
    }
}

/// Rendering settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Value formatting for the data environment.
    pub style: FormatStyle,
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
    for (name, value) in values {
        let def = template.param(name).ok_or_else(|| {
            let mut valid: Vec<&str> = template.params.iter().map(|p| p.name.as_str()).collect();
            valid.extend(template.params.iter().flat_map(|p| p.aliases.iter().map(String::as_str)));
            Error::unknown("parameter", name, valid)
        })?;
        params.insert(&def.name, value.clone());
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
    for def in &template.params {
        let Some(value) = params.get_mut(def.name.as_str()) else { continue };
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
        *value = match (&def.format, &converted) {
            (Some(fmt), _) => {
                ParamValue::Str(python_format(fmt, std::slice::from_ref(&converted), &|_| None, &format!("format of parameter '{}'", def.name))?)
            }
            (None, ParamValue::Time(t)) => ParamValue::Str(options.style.datetime(t)),
            (None, ParamValue::List(items)) if def.param_type == ParamType::List => ParamValue::Str(options.style.list(items)),
            _ => converted,
        };
    }
    let text = if options.style == FormatStyle::JsonPlaceholders {
        substitute_placeholders(&template.query, &|name| params.get(name).map(ParamValue::python_str))
    } else {
        python_format(&template.query, &[], &|name| params.get(name).cloned(), &what)?
    };
    Ok(BLANK_LINES.replace_all(&text, "\n").into_owned())
}

/// MSTICPy's list parsing: a list as is, a comma-separated string split and trimmed, else one item.
fn parse_list(value: &ParamValue) -> Vec<ParamValue> {
    match value {
        ParamValue::List(items) => items.clone(),
        ParamValue::Str(s) if s.contains(',') => s.split(',').map(|i| ParamValue::Str(i.trim().to_string())).collect(),
        other => vec![other.clone()],
    }
}
