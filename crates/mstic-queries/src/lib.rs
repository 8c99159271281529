//! Typed calls of the shipped query library (`queries/` at the workspace root): one accessor per
//! data family on `QueryProvider`, one method per query, one typed setter per parameter, each
//! documented with the query's description, parameters and table — so completion lists them and
//! hover shows a query's help. Generated at build time (`build.rs`) from the same files the
//! provider has compiled in.
//!
//! ```no_run
//! use mstic_queries::{QueryFamilies, TypedQuery};
//! let qp = mstic_data::provider::QueryProvider::new("MSSentinel")?;
//! let text = qp.windows_security().list_host_logons().host_name("WS1").start(-1).end(0).render()?;
//! # Ok::<(), mstic_core::Error>(())
//! ```
//!
//! A typed call is a thin wrapper over the string form `qp.query("Family.name")`: it runs whatever
//! `Family.name` resolves to in the provider (a user's file that overrides a built-in query is
//! honoured), and a required parameter left unset is reported by `run()`/`render()` as in the
//! string form. A misspelt family, query or parameter is a compile error, and the compiler names
//! the closest method. Users' own query files loaded at run time are called with the string form.

use mstic_core::timespan::{TimeInput, TimeSpan};
use mstic_core::{Frame, Result};
use mstic_data::provider::{QueryCall, QueryHelp};
use mstic_data::remote::SplitCall;
use mstic_data::template::ParamValue;
use std::time::Duration;

/// What every typed query call can do besides its own parameter setters: the time range, any
/// parameter by name, driver options, and rendering or running the query. Each method is the
/// string form's ([`QueryCall`]) of the same name.
///
/// # Example
/// ```
/// use mstic_data::provider::QueryProvider;
/// use mstic_queries::{QueryFamilies, TypedQuery};
/// let qp = QueryProvider::new("LocalData")?;
/// let call = qp.windows_security().list_host_logons().param("host", "WS2").start("2024-05-01").end("2024-05-02");
/// assert!(call.help()?.params.iter().any(|p| p.name == "host_name"));
/// assert!(call.render()?.contains("lower('WS2')"));
/// assert_eq!(call.into_call().name(), "WindowsSecurity.list_host_logons");
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub trait TypedQuery<'a>: Sized {
    /// The string-form call this typed call wraps.
    fn into_call(self) -> QueryCall<'a>;

    #[doc(hidden)]
    fn as_call(&self) -> &QueryCall<'a>;

    #[doc(hidden)]
    fn from_call(call: QueryCall<'a>) -> Self;

    /// Sets parameter `name` (or an alias) to any value, as [`QueryCall::param`].
    fn param(self, name: &str, value: impl Into<ParamValue>) -> Self {
        Self::from_call(self.into_call().set(name, value.into()))
    }

    /// Sets the `start` parameter: a datetime, a date string, days from now (`-2`), or a
    /// relative spec (`"-1w@d"`). Unset, it is the provider's default time range.
    fn start(self, value: impl Into<TimeInput>) -> Self {
        Self::from_call(self.into_call().set_time("start", value.into()))
    }

    /// Sets the `end` parameter (same forms as `start`).
    fn end(self, value: impl Into<TimeInput>) -> Self {
        Self::from_call(self.into_call().set_time("end", value.into()))
    }

    /// Sets `start` and `end` from a [`TimeSpan`] (or `&TimeSpan`, or a `QueryTime` widget).
    fn time_range(self, span: impl Into<TimeSpan>) -> Self {
        Self::from_call(self.into_call().time_range(span))
    }

    /// Passes a driver option (e.g. `workspace`, `database`).
    fn option(self, name: &str, value: impl Into<String>) -> Self {
        Self::from_call(self.into_call().option(name, value.into()))
    }

    /// Gives up after `timeout` (drivers without time-outs ignore it).
    fn timeout(self, timeout: Duration) -> Self {
        Self::from_call(self.into_call().timeout(timeout))
    }

    /// The rendered query text, without running it.
    fn render(&self) -> Result<String> {
        self.as_call().render()
    }

    /// Prints the rendered query and returns it.
    fn print_query(&self) -> Result<String> {
        self.as_call().print_query()
    }

    /// Renders the query and runs it on the provider's driver.
    fn run(&self) -> Result<Frame> {
        self.as_call().run()
    }

    /// Runs the query as time chunks of `split_by` (`"1h"`, `"1D"`…), joined in time order.
    fn split_query_by(self, split_by: &str) -> SplitCall<'a> {
        self.into_call().split_query_by(split_by)
    }

    /// Help for this query as the provider has it: parameters with types, defaults, descriptions.
    fn help(&self) -> Result<QueryHelp> {
        self.as_call().help()
    }
}

/// Implements [`TypedQuery`] for a generated call type (a newtype over [`QueryCall`]). Like every
/// generated function, these are `#[inline]`: compiled where a cell uses them, not for every query.
macro_rules! typed_query {
    ($call:ident) => {
        impl<'a> $crate::TypedQuery<'a> for $call<'a> {
            #[inline]
            fn into_call(self) -> QueryCall<'a> {
                self.0
            }
            #[inline]
            fn as_call(&self) -> &QueryCall<'a> {
                &self.0
            }
            #[inline]
            fn from_call(call: QueryCall<'a>) -> Self {
                Self(call)
            }
        }
    };
}

#[rustfmt::skip]
mod generated;

pub use generated::{QueryFamilies, TYPED_QUERY_NAMES, families};
