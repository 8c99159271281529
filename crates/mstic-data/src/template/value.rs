//! Parameter values: what `.param(name, value)` accepts (text, numbers, datetimes, lists) and what
//! YAML defaults hold, with Python's `str()` rendering used by `str.format`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use mstic_core::timespan::{TimeInput, TimeValue};
use serde_yaml_ng::Value;

/// A query parameter value: what `.param(name, value)` takes, written into query text as
/// Python's `str()` would write it.
///
/// # Example
/// ```
/// use mstic_data::template::ParamValue;
/// assert_eq!(ParamValue::from(true).python_str(), "True");
/// assert_eq!(ParamValue::from(2.0).python_str(), "2.0");
/// assert_eq!(ParamValue::from(vec!["a", "b"]).python_str(), "['a', 'b']");
/// assert_eq!(ParamValue::from(7).type_name(), "int");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// No value (a YAML `null` default): the parameter must be supplied.
    Null,
    /// Text.
    Str(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean (Python renders `True`/`False`).
    Bool(bool),
    /// A point in time (already resolved).
    Time(TimeValue),
    /// A list of values.
    List(Vec<ParamValue>),
}

impl ParamValue {
    /// The value as Python's `str()` shows it (`True`, `1.0`, `['a', 'b']`, `2024-01-01 00:00:00+00:00`).
    pub fn python_str(&self) -> String {
        match self {
            ParamValue::Null => "None".to_string(),
            ParamValue::Str(s) => s.clone(),
            ParamValue::Int(i) => i.to_string(),
            ParamValue::Float(f) => python_float(*f),
            ParamValue::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            ParamValue::Time(t) => t.isoformat().replacen('T', " ", 1).trim_end_matches('Z').to_string(),
            ParamValue::List(items) => format!("[{}]", items.iter().map(ParamValue::python_repr).collect::<Vec<_>>().join(", ")),
        }
    }

    /// Python's `repr()` (strings quoted).
    pub fn python_repr(&self) -> String {
        match self {
            ParamValue::Str(s) if s.contains('\'') && !s.contains('"') => format!("\"{s}\""),
            ParamValue::Str(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            other => other.python_str(),
        }
    }

    /// A YAML default converted to a value.
    pub fn from_yaml(value: &Value) -> ParamValue {
        match value {
            Value::Null => ParamValue::Null,
            Value::Bool(b) => ParamValue::Bool(*b),
            Value::Number(n) => n.as_i64().map(ParamValue::Int).unwrap_or_else(|| ParamValue::Float(n.as_f64().unwrap_or(0.0))),
            Value::String(s) => ParamValue::Str(s.clone()),
            Value::Sequence(items) => ParamValue::List(items.iter().map(ParamValue::from_yaml).collect()),
            Value::Mapping(_) => ParamValue::Str(serde_yaml_ng::to_string(value).unwrap_or_default()),
            Value::Tagged(tagged) => ParamValue::from_yaml(&tagged.value),
        }
    }

    /// The value as a time input (numbers are days from now; text is parsed).
    pub fn to_time_input(&self) -> Option<TimeInput> {
        match self {
            ParamValue::Str(s) => Some(TimeInput::Text(s.clone())),
            ParamValue::Int(i) => Some(TimeInput::Days(*i as f64)),
            ParamValue::Float(f) => Some(TimeInput::Days(*f)),
            ParamValue::Time(t) => Some(TimeInput::Time(*t)),
            _ => None,
        }
    }

    /// A short type name for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            ParamValue::Null => "null",
            ParamValue::Str(_) => "str",
            ParamValue::Int(_) => "int",
            ParamValue::Float(_) => "float",
            ParamValue::Bool(_) => "bool",
            ParamValue::Time(_) => "datetime",
            ParamValue::List(_) => "list",
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.python_str())
    }
}

/// A float as Python's `repr` writes it (`1.0`, `0.5`, `1e+16`).
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else if f.abs() >= 1e16 || f.abs() < 1e-4 {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{:0>2}", e),
            Some((m, e)) => format!("{m}e-{:0>2}", &e[1..]),
            None => s,
        }
    } else {
        format!("{f}")
    }
}

macro_rules! from_via {
    ($($t:ty => $body:expr),* $(,)?) => {
        $(impl From<$t> for ParamValue {
            fn from(v: $t) -> Self { let f: fn($t) -> ParamValue = $body; f(v) }
        })*
    };
}

from_via! {
    &str => |v| ParamValue::Str(v.to_string()),
    String => ParamValue::Str,
    &String => |v| ParamValue::Str(v.clone()),
    i64 => ParamValue::Int,
    i32 => |v| ParamValue::Int(v.into()),
    u32 => |v| ParamValue::Int(v.into()),
    usize => |v| ParamValue::Int(v as i64),
    f64 => ParamValue::Float,
    f32 => |v| ParamValue::Float(v.into()),
    bool => ParamValue::Bool,
    TimeValue => ParamValue::Time,
    DateTime<Utc> => |v| ParamValue::Time(TimeValue::Aware(v.fixed_offset())),
    DateTime<FixedOffset> => |v| ParamValue::Time(TimeValue::Aware(v)),
    NaiveDateTime => |v| ParamValue::Time(TimeValue::Naive(v)),
    NaiveDate => |v| ParamValue::Time(TimeValue::Naive(v.and_hms_opt(0, 0, 0).unwrap_or_default())),
}

impl<T: Into<ParamValue>> From<Vec<T>> for ParamValue {
    fn from(items: Vec<T>) -> Self {
        ParamValue::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<ParamValue> + Clone> From<&[T]> for ParamValue {
    fn from(items: &[T]) -> Self {
        ParamValue::List(items.iter().cloned().map(Into::into).collect())
    }
}

impl<T: Into<ParamValue>, const N: usize> From<[T; N]> for ParamValue {
    fn from(items: [T; N]) -> Self {
        ParamValue::List(items.into_iter().map(Into::into).collect())
    }
}

/// A value for a `list` parameter: a list (`vec!["a", "b"]`, `["a", "b"]`, `&names[..]`, items of
/// mixed kinds as `ParamValue`s) or a comma-separated string (`"a, b"`), as MSTICPy accepts.
/// The typed query calls take `impl Into<ListParam>` for list parameters.
///
/// # Example
/// ```
/// use mstic_data::template::{ListParam, ParamValue};
/// let hosts: ListParam = vec!["ws1", "ws2"].into();
/// assert_eq!(ParamValue::from(hosts).python_str(), "['ws1', 'ws2']");
/// let text: ListParam = "ws1, ws2".into();
/// assert_eq!(text.0, ParamValue::Str("ws1, ws2".to_string()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ListParam(pub ParamValue);

impl From<ListParam> for ParamValue {
    fn from(list: ListParam) -> Self {
        list.0
    }
}

impl From<&str> for ListParam {
    fn from(text: &str) -> Self {
        ListParam(ParamValue::Str(text.to_string()))
    }
}

impl From<String> for ListParam {
    fn from(text: String) -> Self {
        ListParam(ParamValue::Str(text))
    }
}

impl<T: Into<ParamValue>> From<Vec<T>> for ListParam {
    fn from(items: Vec<T>) -> Self {
        ListParam(items.into())
    }
}

impl<T: Into<ParamValue> + Clone> From<&[T]> for ListParam {
    fn from(items: &[T]) -> Self {
        ListParam(items.into())
    }
}

impl<T: Into<ParamValue>, const N: usize> From<[T; N]> for ListParam {
    fn from(items: [T; N]) -> Self {
        ListParam(items.into())
    }
}

impl<T: Into<ParamValue> + Clone> From<&Vec<T>> for ListParam {
    fn from(items: &Vec<T>) -> Self {
        ListParam(items.as_slice().into())
    }
}
