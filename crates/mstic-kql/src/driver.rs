//! A `mstic_data` [`Driver`] that runs KQL locally: the Sentinel, Defender and M365D query
//! templates render as usual and run on a [`KqlSession`] — typically one holding the tables of
//! [`crate::tables`] built from OTRF datasets, CSV exports or sample data.
//!
//! `QueryProvider::with_driver` picks the templates by the driver's environment: `MSSentinel`
//! (the default) loads `queries/mssentinel` and `queries/m365d`, `MDE` loads `queries/mde` and
//! `queries/m365d`.
//!
//! ```
//! use mstic_data::provider::QueryProvider;
//! use mstic_kql::KqlSession;
//! use mstic_kql::driver::KqlLocalDriver;
//! use mstic_kql::tables::LocalTables;
//! let mut tables = LocalTables::new();
//! tables.add_sample(&mstic_data::sample::SampleData::new(42), 500)?;
//! let mut session = KqlSession::new();
//! tables.register(&mut session)?;
//! let mut qp = QueryProvider::with_driver(Box::new(KqlLocalDriver::new(session)));
//! qp.connect()?;
//! let logons = qp
//!     .query("WindowsSecurity.list_host_logons")
//!     .param("host_name", "WKS-FIN-01")
//!     .start("2024-05-01")
//!     .end("2024-05-02")
//!     .run()?;
//! assert!(logons.len() > 0);
//! assert!(logons.column_strings("Computer")?.iter().all(|c| c.as_deref() == Some("WKS-FIN-01")));
//! # Ok::<(), mstic_core::Error>(())
//! ```

use crate::KqlSession;
use mstic_core::{Error, Frame, Result};
use mstic_data::{Capabilities, Driver, QueryOptions};
use std::collections::BTreeMap;

/// Runs rendered KQL on a local [`KqlSession`], as the data environment it is created for.
pub struct KqlLocalDriver {
    environment: String,
    session: KqlSession,
    connected: bool,
}

impl KqlLocalDriver {
    /// A driver for the `MSSentinel` environment over `session`'s tables.
    pub fn new(session: KqlSession) -> Self {
        Self::for_environment("MSSentinel", session)
    }

    /// A driver that presents itself as `environment` (`MSSentinel`, `MDE`, `M365D`, `Kusto`…),
    /// so a `QueryProvider` built on it loads that environment's templates. An unknown name
    /// gives a provider with no built-in queries.
    pub fn for_environment(environment: &str, session: KqlSession) -> Self {
        KqlLocalDriver { environment: environment.to_string(), session, connected: false }
    }

    /// The session queries run in (to register more tables, or to query it directly).
    pub fn session(&self) -> &KqlSession {
        &self.session
    }

    /// The session, to register more tables.
    pub fn session_mut(&mut self) -> &mut KqlSession {
        &mut self.session
    }
}

impl Driver for KqlLocalDriver {
    fn environment(&self) -> &str {
        &self.environment
    }

    /// Nothing to open; fails when the session has no table, naming the driver's environment.
    fn connect(&mut self) -> Result<()> {
        if self.session.tables().is_empty() {
            return Err(Error::Config(format!(
                "the local KQL driver for {} has no tables: register frames in its KqlSession (see mstic_kql::tables) before connecting",
                self.environment
            )));
        }
        self.connected = true;
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn query(&self, query: &str, _options: &QueryOptions) -> Result<Frame> {
        self.session.query(query)
    }

    /// Each registered table's columns with their Kusto types.
    fn schema(&self) -> Result<BTreeMap<String, Vec<(String, String)>>> {
        Ok(self
            .session
            .tables
            .iter()
            .map(|(name, table)| {
                let columns = table
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| (f.name().clone(), crate::sources::kusto_type_name(f.data_type()).to_string()))
                    .collect();
                (name.clone(), columns)
            })
            .collect())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { remote: false, parallel_queries: false, local_sql: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_needs_tables_and_schema_names_kusto_types() {
        let mut empty = KqlLocalDriver::new(KqlSession::new());
        let error = empty.connect().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("MSSentinel") && error.contains("no tables"), "{error}");
        let mut session = KqlSession::new();
        crate::tables::LocalTables::new().register(&mut session).expect("tables");
        let mut driver = KqlLocalDriver::for_environment("MDE", session);
        driver.connect().expect("connect");
        assert!(driver.is_connected());
        assert_eq!(driver.environment(), "MDE");
        let schema = driver.schema().expect("schema");
        let process = schema.get("DeviceProcessEvents").expect("DeviceProcessEvents");
        assert!(process.contains(&("ProcessId".to_string(), "long".to_string())));
        assert!(process.contains(&("Timestamp".to_string(), "datetime".to_string())));
        let count = driver.query("DeviceProcessEvents | count", &QueryOptions::default()).expect("query");
        assert_eq!(count.value::<i64>(0, "Count").expect("Count"), Some(0));
    }
}
