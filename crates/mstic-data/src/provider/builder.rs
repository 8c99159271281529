//! The call form of a query in a notebook cell:
//! `qp.query("WindowsSecurity.list_host_logons").param("host_name", "h1").start(-2).end(0).run()?`.
//! Errors (unknown query or parameter, bad value) surface at `run`/`render`, so the chain reads
//! straight through.

use super::QueryProvider;
use super::help::QueryHelp;
use crate::QueryOptions;
use crate::remote::{SplitCall, SplitQuery};
use crate::template::{ParamValue, QueryTemplate, RenderOptions, render_query};
use mstic_core::timespan::{TimeInput, TimeSpan};
use mstic_core::{Frame, Result};
use std::sync::Arc;
use std::time::Duration;

/// A query call being built: parameters, time range and driver options.
///
/// # Example
/// ```
/// use mstic_data::provider::QueryProvider;
/// let qp = QueryProvider::new("LocalData")?;
/// let call = qp.query("WindowsSecurity.list_host_logons").param("host", "WS1").start("2024-05-01").end("2024-05-02");
/// assert_eq!(call.name(), "WindowsSecurity.list_host_logons");
/// let text = call.render()?;
/// assert!(text.contains("from host_logons") && text.contains("lower('WS1')"));
/// assert!(qp.query("WindowsSecurity.no_such_query").render().is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct QueryCall<'a> {
    provider: &'a QueryProvider,
    name: String,
    template: Result<Arc<QueryTemplate>>,
    values: Vec<(String, ParamValue)>,
    options: QueryOptions,
}

impl<'a> QueryCall<'a> {
    pub(crate) fn new(provider: &'a QueryProvider, name: &str) -> Self {
        QueryCall { provider, name: name.to_string(), template: provider.store.get(name), values: Vec::new(), options: QueryOptions::default() }
    }

    /// The query name this call was started with (`Family.query`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets parameter `name` (or one of its aliases). Takes text, integers, floats, datetimes,
    /// and lists (`vec!["a", "b"]`).
    pub fn param(self, name: &str, value: impl Into<ParamValue>) -> Self {
        self.set(name, value.into())
    }

    /// Sets parameter `name` to `value` (the non-generic form of [`QueryCall::param`]).
    pub fn set(mut self, name: &str, value: ParamValue) -> Self {
        self.values.retain(|(n, _)| n != name);
        self.values.push((name.to_string(), value));
        self
    }

    /// Sets datetime parameter `name` from any time form [`QueryCall::start`] accepts.
    pub fn set_time(self, name: &str, value: TimeInput) -> Self {
        self.set(name, time_param(value))
    }

    /// Sets the `start` parameter: a datetime, a date string, days from now (`-2`), or a
    /// relative spec (`"-1w@d"`).
    pub fn start(self, value: impl Into<TimeInput>) -> Self {
        self.set_time("start", value.into())
    }

    /// Sets the `end` parameter (same forms as [`QueryCall::start`]).
    pub fn end(self, value: impl Into<TimeInput>) -> Self {
        self.set_time("end", value.into())
    }

    /// Sets `start` and `end` from a [`TimeSpan`] (or `&TimeSpan`, or a `QueryTime` widget).
    pub fn time_range(self, span: impl Into<TimeSpan>) -> Self {
        let span = span.into();
        self.start(span.start()).end(span.end())
    }

    /// Passes a driver option (e.g. `workspace`, `database`).
    pub fn option(mut self, name: &str, value: impl Into<String>) -> Self {
        self.options.settings.insert(name.to_string(), value.into());
        self
    }

    /// Gives up after `timeout` (drivers without time-outs ignore it).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// The rendered query text, without running it.
    pub fn render(&self) -> Result<String> {
        let template = self.template.as_ref().map_err(clone_error)?;
        let mut values = self.values.clone();
        let (default_start, default_end, now) = self.provider.defaults();
        for (name, default) in [("start", default_start), ("end", default_end)] {
            let given = values.iter().any(|(n, _)| template.param(n).is_some_and(|p| p.name == name));
            if !given && template.param(name).is_some_and(|p| p.is_required() && p.name == name) {
                values.push((name.to_string(), time_param(default.clone())));
            }
        }
        render_query(template, &values, &RenderOptions { style: self.provider.environment.style, language: self.provider.environment.language, now })
    }

    /// Prints the rendered query (MSTICPy's `print_query`) and returns it.
    pub fn print_query(&self) -> Result<String> {
        let text = self.render()?;
        println!("{text}");
        Ok(text)
    }

    /// Renders the query and runs it on the provider's driver.
    pub fn run(&self) -> Result<Frame> {
        let text = self.render()?;
        let mut options = self.options.clone();
        if let Ok(template) = &self.template {
            options.source = Some(template.source());
        }
        self.provider.exec_with_options(&text, &options)
    }

    /// Runs this call as time chunks of `split_by` (`"1h"`, `"30min"`, `"1D"`…), in parallel,
    /// joined in time order (MSTICPy's `split_query_by` argument); the parameters, time range and
    /// options set so far carry over. See [`SplitCall`].
    pub fn split_query_by(self, split_by: &str) -> SplitCall<'a> {
        let mut split = self.provider.split_query(&self.name, split_by);
        for (name, value) in self.values {
            split = match name.as_str() {
                "start" => split.start(time_input(value)),
                "end" => split.end(time_input(value)),
                _ => split.param(&name, value),
            };
        }
        for (name, value) in self.options.settings {
            split = split.option(&name, value);
        }
        if let Some(timeout) = self.options.timeout {
            split = split.timeout(timeout);
        }
        split.fail_on_partial(self.options.fail_on_partial)
    }

    /// Help for this query: parameters with types, defaults and descriptions.
    pub fn help(&self) -> Result<QueryHelp> {
        let template = self.template.as_ref().map_err(clone_error)?;
        Ok(QueryHelp::new(template, self.provider.environment()))
    }
}

fn time_param(input: TimeInput) -> ParamValue {
    match input {
        TimeInput::Time(t) => ParamValue::Time(t),
        TimeInput::Days(d) => ParamValue::Float(d),
        TimeInput::Text(s) => ParamValue::Str(s),
    }
}

/// The time a `start`/`end` value stands for (the inverse of [`time_param`]).
fn time_input(value: ParamValue) -> TimeInput {
    match value {
        ParamValue::Time(t) => TimeInput::Time(t),
        ParamValue::Float(days) => TimeInput::Days(days),
        ParamValue::Int(days) => TimeInput::Days(days as f64),
        ParamValue::Str(text) => TimeInput::Text(text),
        other => TimeInput::Text(other.to_string()),
    }
}

/// Errors are not `Clone`; the stored lookup error is re-created with the same text and kind.
fn clone_error(e: &mstic_core::Error) -> mstic_core::Error {
    match e {
        mstic_core::Error::Unknown { kind, name, suggestions } => {
            mstic_core::Error::Unknown { kind, name: name.clone(), suggestions: suggestions.clone() }
        }
        other => mstic_core::Error::Other(other.to_string()),
    }
}
