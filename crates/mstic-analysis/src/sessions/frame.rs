//! Scoring a frame of sessions (MSTICPy `score_sessions(data, session_column, window_length)`):
//! the columns passed choose the session kind — a list of commands alone, or with a parallel
//! list of parameter sets or parameter values.

use super::{Cmd, MarkovModel, SessionKind};
use crate::columns;
use arrow::array::{ArrayRef, Float64Array};
use mstic_core::{Error, Frame, Result};
use serde_json::Value;
use std::sync::Arc;

/// Scores sessions held in a frame, one session per row (e.g. from [`crate::sessionize()`]).
/// Start from the command list column, optionally add a parallel list column of parameters,
/// then [`score`](SessionScorer::score). Defaults: commands only, windows of 3, no geometric
/// mean.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{SessionOptions, SessionScorer, sessionize};
/// # use mstic_core::Frame;
/// let events = Frame::from_string_rows(
///     &["UserId", "TimeGenerated", "Operation", "Parameters"],
///     &[
///         vec![Some("alice"), Some("2024-01-01T10:00:00Z"), Some("Set-User"), Some("Identity")],
///         vec![Some("alice"), Some("2024-01-01T10:01:00Z"), Some("Set-User"), Some("Identity")],
///         vec![Some("bob"), Some("2024-01-01T10:00:00Z"), Some("Set-User"), Some("Identity")],
///         vec![Some("bob"), Some("2024-01-01T10:01:00Z"), Some("New-InboxRule"), Some("Name, ForwardTo")],
///     ],
/// )?;
/// let options = SessionOptions::default()
///     .user_columns(&["UserId"])
///     .event_columns(&["Operation", "Parameters"]);
/// let sessions = sessionize(&events, &options)?;
/// let scored = SessionScorer::new("Operation_list")
///     .param_sets("Parameters_list")
///     .window_length(2)
///     .score(&sessions)?;
/// let likelihoods: Vec<f64> = scored.to_vec("rarest_window2_likelihood")?;
/// assert_eq!(likelihoods.len(), 2);
/// assert!(likelihoods[1] < likelihoods[0], "bob's inbox rule is the rarer session");
/// # Ok::<(), mstic_core::Error>(())
/// ```
///
/// Each parameter item is text: a JSON array of `{"Name": …, "Value": …}` objects (Office and
/// Exchange audit logs), a JSON object `{name: value}`, a JSON array of names, or names separated
/// by commas.
#[derive(Debug, Clone)]
pub struct SessionScorer {
    commands: String,
    params: Option<String>,
    kind: SessionKind,
    window_length: usize,
    use_geo_mean: bool,
}

impl SessionScorer {
    /// Commands-only scoring of the list column `command_column`, windows of 3, no geometric
    /// mean.
    pub fn new(command_column: &str) -> SessionScorer {
        SessionScorer {
            commands: command_column.to_string(),
            params: None,
            kind: SessionKind::Commands,
            window_length: 3,
            use_geo_mean: false,
        }
    }

    /// Model each command's set of parameter names, read from the list column `params_column`.
    pub fn param_sets(mut self, params_column: &str) -> SessionScorer {
        self.params = Some(params_column.to_string());
        self.kind = SessionKind::ParamSets;
        self
    }

    /// Model each command's parameter names and values, read from the list column
    /// `params_column`.
    pub fn param_values(mut self, params_column: &str) -> SessionScorer {
        self.params = Some(params_column.to_string());
        self.kind = SessionKind::ParamValues;
        self
    }

    /// The sliding window length (MSTICPy's `window_length`; 2 or more is usual).
    pub fn window_length(mut self, window_length: usize) -> SessionScorer {
        self.window_length = window_length;
        self
    }

    /// Raise each window likelihood to `1 / window_length` (MSTICPy `use_geo_mean`).
    pub fn use_geo_mean(mut self, use_geo_mean: bool) -> SessionScorer {
        self.use_geo_mean = use_geo_mean;
        self
    }

    /// The session kind chosen by the columns given.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// The sessions of `data` as model elements.
    pub fn sessions(&self, data: &Frame) -> Result<Vec<Vec<Cmd>>> {
        let commands = columns::string_lists(data, &self.commands)?;
        let Some(params_column) = &self.params else {
            return Ok(commands
                .into_iter()
                .map(|s| {
                    s.into_iter()
                        .map(|c| Cmd::new(c.unwrap_or_default()))
                        .collect()
                })
                .collect());
        };
        let params = columns::string_lists(data, params_column)?;
        let mut sessions = Vec::with_capacity(commands.len());
        for (row, (names, params)) in commands.into_iter().zip(params).enumerate() {
            if names.len() != params.len() {
                return Err(Error::invalid(
                    format!("column '{params_column}' row {row}"),
                    format!(
                        "has {} items but '{}' has {} commands",
                        params.len(),
                        self.commands,
                        names.len()
                    ),
                ));
            }
            let mut session = Vec::with_capacity(names.len());
            for (name, text) in names.into_iter().zip(params) {
                let mut parsed = parse_params(text.as_deref()).map_err(|message| {
                    Error::invalid(format!("column '{params_column}' row {row}"), message)
                })?;
                if self.kind == SessionKind::ParamSets {
                    parsed.iter_mut().for_each(|(_, value)| *value = None);
                }
                session.push(Cmd {
                    name: name.unwrap_or_default(),
                    params: parsed,
                });
            }
            sessions.push(session);
        }
        Ok(sessions)
    }

    /// Trains the model on every session of `data` and returns `data` with
    /// `rarest_window{N}_likelihood` (NaN-free: null when the session plus `##END##` is shorter
    /// than the window) and `rarest_window{N}` (the window's commands; for the parameter kinds
    /// in MSTICPy's `Cmd(name=…, params=…)` form).
    pub fn score(&self, data: &Frame) -> Result<Frame> {
        if self.window_length == 0 {
            return Err(Error::invalid(
                "window_length",
                "must be at least 1 (2 or more is usual)",
            ));
        }
        let sessions = self.sessions(data)?;
        let model = MarkovModel::train_sessions(&sessions, self.kind);
        let scored =
            super::rarest_windows(&model, &sessions, self.window_length, self.use_geo_mean)?;
        let mut out: Vec<(String, ArrayRef)> = Vec::new();
        for column in data.columns() {
            out.push((column.clone(), data.column(&column)?));
        }
        let likelihoods: Float64Array = scored
            .iter()
            .map(|r| Some(r.likelihood).filter(|l| !l.is_nan()))
            .collect();
        let n = self.window_length;
        out.push((
            format!("rarest_window{n}_likelihood"),
            Arc::new(likelihoods),
        ));
        let windows: Vec<Vec<String>> = scored
            .into_iter()
            .map(|r| {
                r.window
                    .iter()
                    .map(|c| match self.kind {
                        SessionKind::Commands => c.name.clone(),
                        _ => c.to_string(),
                    })
                    .collect()
            })
            .collect();
        out.push((format!("rarest_window{n}"), columns::list_column(&windows)));
        Frame::from_columns(out)
    }
}

/// MSTICPy `score_sessions` on a frame of command lists: trains the commands-only model on
/// `session_column` (such as `Operation_list` from [`crate::sessionize()`]) and adds
/// `rarest_window{N}_likelihood` and `rarest_window{N}` for windows of `window_length` — the
/// same as `SessionScorer::new(session_column).window_length(window_length).score(data)`.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{SessionOptions, SessionScorer, score_sessions_frame, sessionize};
/// # use mstic_core::Frame;
/// let events = Frame::from_string_rows(
///     &["UserId", "TimeGenerated", "Operation"],
///     &[
///         vec![Some("alice"), Some("2024-01-01T10:00:00Z"), Some("Set-User")],
///         vec![Some("alice"), Some("2024-01-01T10:01:00Z"), Some("Set-Mailbox")],
///     ],
/// )?;
/// let options = SessionOptions::default().user_columns(&["UserId"]).event_columns(&["Operation"]);
/// let sessions = sessionize(&events, &options)?;
/// #[allow(deprecated)]
/// let old = score_sessions_frame(&sessions, "Operation_list", 3)?;
/// let new = SessionScorer::new("Operation_list").window_length(3).score(&sessions)?;
/// assert_eq!(old.to_batch()?, new.to_batch()?);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[deprecated(note = "use SessionScorer::new(session_column).window_length(n).score(&data)")]
pub fn score_sessions_frame(
    data: &Frame,
    session_column: &str,
    window_length: usize,
) -> Result<Frame> {
    SessionScorer::new(session_column)
        .window_length(window_length)
        .score(data)
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// One command's parameters from text (see [`SessionScorer`]); a name given twice keeps its
/// first position and its last value, like a Python dict.
fn parse_params(text: Option<&str>) -> std::result::Result<Vec<(String, Option<String>)>, String> {
    let text = text.unwrap_or("").trim();
    let mut params: Vec<(String, Option<String>)> = Vec::new();
    let mut add =
        |name: String, value: Option<String>| match params.iter_mut().find(|(n, _)| *n == name) {
            Some(existing) => existing.1 = value,
            None => params.push((name, value)),
        };
    if text.is_empty() {
        return Ok(Vec::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(name) => add(name, None),
                    Value::Object(map) => {
                        let field = |key: &str| {
                            map.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                                .map(|(_, v)| v)
                        };
                        let Some(name) = field("name").and_then(value_text) else {
                            return Err(format!(
                                "parameter object without a \"Name\": {}",
                                Value::Object(map.clone())
                            ));
                        };
                        add(name, field("value").and_then(value_text));
                    }
                    other => return Err(format!("unexpected parameter item {other}")),
                }
            }
        }
        Ok(Value::Object(map)) => {
            for (name, value) in map {
                add(name, value_text(&value));
            }
        }
        Ok(Value::Null) => {}
        _ => {
            for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                add(name.to_string(), None);
            }
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::parse_params;

    #[test]
    fn parameter_text_forms() {
        let exchange = r#"[{"Name": "Identity", "Value": "bob"}, {"Name": "Force", "Value": ""}]"#;
        assert_eq!(
            parse_params(Some(exchange)).unwrap(),
            vec![
                ("Identity".to_string(), Some("bob".to_string())),
                ("Force".to_string(), Some(String::new()))
            ]
        );
        let object = parse_params(Some(r#"{"Identity": "bob", "Count": 3}"#)).unwrap();
        assert!(object.contains(&("Count".to_string(), Some("3".to_string()))));
        let names = parse_params(Some(r#"["Identity", "Force", "Identity"]"#)).unwrap();
        assert_eq!(names.len(), 2);
        assert_eq!(parse_params(Some("Identity, Force")).unwrap().len(), 2);
        assert!(parse_params(None).unwrap().is_empty());
        assert!(parse_params(Some(r#"[{"Value": 1}]"#)).is_err());
    }
}
