//! QueryProvider: environment names and aliases, query loading, list/search/help, the builder
//! call form, and running through a driver — on MSTICPy's own query files (set as the built-in
//! folder with `QueryDefinitions: Default`), so rendered text can be compared with MSTICPy's.

use chrono::{TimeZone, Utc};
use mstic_core::config::MsticConfig;
use mstic_core::paths::fixture;
use mstic_core::timespan::TimeSpan;
use mstic_core::{Frame, Result};
use mstic_data::provider::QueryProvider;
use mstic_data::{Driver, QueryOptions};

/// A driver that returns the query text it was given as a one-row frame.
struct EchoDriver {
    connected: bool,
}

impl Driver for EchoDriver {
    fn environment(&self) -> &str {
        "LocalData"
    }
    fn connect(&mut self) -> Result<()> {
        self.connected = true;
        Ok(())
    }
    fn is_connected(&self) -> bool {
        self.connected
    }
    fn query(&self, query: &str, _options: &QueryOptions) -> Result<Frame> {
        Frame::from_string_rows(&["query"], &[vec![Some(query)]])
    }
}

/// A config whose built-in query folder is MSTICPy's.
fn msticpy_library() -> MsticConfig {
    let folder = fixture("msticpy/queries").unwrap();
    MsticConfig::from_yaml_str(&format!("QueryDefinitions:\n  Default: ['{}']\n", folder.display()), "test config").unwrap()
}

fn sentinel() -> QueryProvider {
    let mut qp = QueryProvider::with_config("LogAnalytics", &msticpy_library(), &[]).unwrap();
    qp.set_now(Some(Utc.with_ymd_and_hms(2024, 3, 15, 10, 30, 45).unwrap()));
    qp
}

#[test]
fn aliases_resolve_and_builtin_queries_load() {
    let qp = sentinel();
    assert_eq!(qp.environment(), "MSSentinel");
    let names = qp.list_queries().names();
    assert!(names.contains(&"WindowsSecurity.list_host_logons".to_string()));
    assert!(names.len() > 100, "{}", names.len());
    assert!(qp.warnings().is_empty() && qp.notes().is_empty(), "{:?} {:?}", qp.warnings(), qp.notes());
    let err = QueryProvider::with_config("LogAnalytic", &MsticConfig::default(), &[]).unwrap_err().to_string();
    assert!(err.contains("did you mean") && err.contains("LogAnalytics"), "{err}");
}

#[test]
fn builder_renders_with_params_and_time_forms() {
    let qp = sentinel();
    let text = qp.query("WindowsSecurity.list_host_logons").param("host_name", "h1").start(-2).end(0).render().unwrap();
    assert!(text.contains("Computer has \"h1\""), "{text}");
    assert!(text.contains("datetime(2024-03-13T10:30:45+00:00)") && text.contains("datetime(2024-03-15T10:30:45+00:00)"), "{text}");
    let span = TimeSpan::new("2024-01-01", "2024-01-02").unwrap();
    let text = qp.query("list_host_logons").param("host_name", "h1").time_range(&span).render().unwrap();
    assert!(text.contains("datetime(2024-01-01T00:00:00+00:00)"), "{text}");
    // Missing start/end fall back to the provider's default range (now -1 day .. now +1 day).
    let text = qp.query("list_host_logons").param("host_name", "h1").render().unwrap();
    assert!(text.contains("datetime(2024-03-14T10:30:45+00:00)") && text.contains("datetime(2024-03-16T10:30:45+00:00)"), "{text}");
}

#[test]
fn unknown_names_list_the_closest() {
    let qp = sentinel();
    let err = qp.query("WindowsSecurity.list_host_logon").render().unwrap_err().to_string();
    assert!(err.starts_with("unknown query 'WindowsSecurity.list_host_logon'; did you mean: WindowsSecurity.list_host_logons"), "{err}");
    let err = qp.query("list_host_logons").param("hostname", "h1").render().unwrap_err().to_string();
    assert!(err.contains("did you mean: host_name"), "{err}");
    let err = qp.query("list_host_logons").start(-1).render().unwrap_err().to_string();
    assert!(err.contains("'host_name'"), "{err}");
    let err = qp.query("list_host_logons").param("host_name", "h1").run().unwrap_err().to_string();
    assert!(err.contains("MSSentinel provider is not connected") && err.contains("connect()"), "{err}");
}

#[test]
fn search_and_help() {
    let qp = sentinel();
    let found = qp.search("logon").names();
    assert!(found.contains(&"WindowsSecurity.list_host_logons".to_string()));
    assert!(qp.search("SecurityEvent").len() >= qp.search_table("SecurityEvent").len());
    assert!(qp.search("no-such-thing-anywhere").is_empty());
    let help = qp.query_help("WindowsSecurity.list_host_logons").unwrap();
    let host = help.params.iter().find(|p| p.name == "host_name").unwrap();
    assert!(host.required && host.param_type == "str" && host.description == "Name of host");
    let table = help.params.iter().find(|p| p.name == "table").unwrap();
    assert_eq!(table.default.as_deref(), Some("SecurityEvent"));
    assert!(help.to_string().contains("host_name: str\n    Name of host"));
    assert!(help.to_html().contains("<code>host_name</code>"));
    assert_eq!(qp.list_queries().to_frame().unwrap().len(), qp.list_queries().len());
}

#[test]
fn runs_through_any_driver() {
    let mut qp = QueryProvider::with_driver(Box::new(EchoDriver { connected: false }));
    assert_eq!(qp.environment(), "LocalData");
    let msticpy_local = fixture("msticpy/queries/localdata").unwrap();
    qp.add_query_path(&msticpy_local).unwrap();
    let err = qp.query("SecurityAlert.list_alerts").run().unwrap_err().to_string();
    assert!(err.contains("connect()"), "{err}");
    qp.connect().unwrap();
    let from_msticpy = qp.store().iter().filter(|(_, q)| q.file.starts_with(&msticpy_local)).count();
    assert_eq!(from_msticpy, 9, "MSTICPy's local data queries");
    let frame = qp.query("SecurityAlert.list_alerts").run().unwrap();
    assert_eq!(frame.column_strings("query").unwrap(), vec![Some("alerts_list.pkl".to_string())]);
    assert_eq!(qp.exec_query("raw text").unwrap().column_strings("query").unwrap()[0].as_deref(), Some("raw text"));
}
