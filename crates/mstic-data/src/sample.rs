//! Realistic, deterministic sample security data: Windows logons (4624/4625), process creation
//! (4688, hex PIDs, parents that exist), Sysmon network connections (event 3), Azure network
//! flows and Entra ID sign-ins over a time range, with suspicious activity seeded in (encoded
//! PowerShell, a burst of failed RDP logons, connections to a few public IPs and domains, a
//! password spray and an MFA-fatigue run). The same seed gives the same rows; sizes scale to
//! millions of rows.
//!
//! ```
//! let procs = mstic_data::sample::process_events(1_000, 42);
//! assert_eq!(procs.len(), 1_000);
//! ```

mod network;
mod processes;
mod rng;
mod sign_ins;

use chrono::{DateTime, Duration, TimeZone, Utc};
use mstic_core::{Error, Frame, Result};
use std::path::{Path, PathBuf};

pub use rng::SampleRng;
pub use sign_ins::{SIGN_IN_USERS, UPN_DOMAIN};

/// Host names of the sample estate (Windows workstations and servers).
pub const HOSTS: &[&str] = &["WKS-FIN-01", "WKS-FIN-02", "WKS-HR-07", "WKS-DEV-12", "SRV-FILE-01", "SRV-SQL-02", "SRV-WEB-03", "DC-01"];

/// Sample accounts (user name, SID suffix).
pub const ACCOUNTS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank", "grace", "svc_backup", "svc_sql", "administrator"];

/// The Windows domain of the sample estate.
pub const DOMAIN: &str = "CONTOSO";

/// Public addresses seeded into suspicious activity (encoded PowerShell downloads, RDP brute force).
pub const SUSPICIOUS_IPS: &[&str] = &["45.77.65.211", "185.141.63.120", "91.219.236.174"];

/// Domains seeded into suspicious activity.
pub const SUSPICIOUS_DOMAINS: &[&str] = &["cdn-update.example.net", "login-verify.example.org", "files.example.com"];

/// Settings of a sample: seed and time range. All generators are methods of this.
#[derive(Debug, Clone)]
pub struct SampleData {
    /// Random seed; the same seed gives the same rows.
    pub seed: u64,
    /// Start of the time range.
    pub start: DateTime<Utc>,
    /// End of the time range.
    pub end: DateTime<Utc>,
}

impl SampleData {
    /// A sample over one fixed day (2024-05-01 UTC), so every run gives identical data.
    pub fn new(seed: u64) -> Self {
        let start = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().unwrap_or_default();
        SampleData { seed, start, end: start + Duration::days(1) }
    }

    /// A sample over the last `days` days up to the start of the current UTC hour, so default
    /// query times (the last day) find data.
    pub fn recent(seed: u64, days: i64) -> Self {
        let now = Utc::now();
        let end = now - Duration::seconds(now.timestamp() % 3600);
        SampleData { seed, start: end - Duration::days(days.max(1)), end }
    }

    /// The same sample over another time range.
    pub fn over(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.start = start;
        self.end = end.max(start + Duration::seconds(1));
        self
    }

    /// `n` process-creation events (Security 4688).
    pub fn process_events(&self, n: usize) -> Frame {
        processes::process_events(self, n)
    }

    /// `n` logon events: mostly 4624 successes, with 4625 failures and a brute-force burst.
    pub fn logon_events(&self, n: usize) -> Frame {
        processes::logon_events(self, n)
    }

    /// `n` Sysmon network-connection events (event 3).
    pub fn network_events(&self, n: usize) -> Frame {
        network::network_events(self, n)
    }

    /// `n` Azure network-analytics flow records.
    pub fn network_flows(&self, n: usize) -> Frame {
        network::network_flows(self, n)
    }

    /// `n` Entra ID sign-ins in the shape of Sentinel's `SigninLogs` (dynamic columns as JSON
    /// text): everyday sign-ins of [`SIGN_IN_USERS`], and from 100 rows on a password spray over
    /// IMAP from `SUSPICIOUS_IPS[2]` that ends with erin's account signing in, six MFA denials
    /// of alice from `SUSPICIOUS_IPS[0]` and a device-code sign-in of dave.
    ///
    /// ```
    /// let sign_ins = mstic_data::sample::SampleData::new(1).sign_in_events(400);
    /// assert_eq!(sign_ins.len(), 400);
    /// let results = sign_ins.column_strings("ResultType")?;
    /// assert!(results.iter().any(|r| r.as_deref() == Some("50126")));
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn sign_in_events(&self, n: usize) -> Frame {
        sign_ins::sign_in_events(self, n)
    }

    /// The time of event `index` of `count`, spread evenly over the range with jitter.
    pub(crate) fn time_of(&self, index: usize, count: usize, rng: &mut SampleRng) -> i64 {
        let start = self.start.timestamp_nanos_opt().unwrap_or(0);
        let span = (self.end - self.start).num_nanoseconds().unwrap_or(86_400_000_000_000).max(1);
        let step = span / count.max(1) as i64;
        let jitter = if step > 1 { rng.below(step as u64) as i64 } else { 0 };
        start + step * index as i64 + jitter
    }
}

/// `n` process-creation events (4688) with seed `seed` over the fixed sample day.
pub fn process_events(n: usize, seed: u64) -> Frame {
    SampleData::new(seed).process_events(n)
}

/// `n` logon events (4624/4625) with seed `seed` over the fixed sample day.
pub fn logon_events(n: usize, seed: u64) -> Frame {
    SampleData::new(seed).logon_events(n)
}

/// `n` Sysmon network events with seed `seed` over the fixed sample day.
pub fn network_events(n: usize, seed: u64) -> Frame {
    SampleData::new(seed).network_events(n)
}

/// `n` Azure network flows with seed `seed` over the fixed sample day.
pub fn network_flows(n: usize, seed: u64) -> Frame {
    SampleData::new(seed).network_flows(n)
}

/// `n` Entra ID sign-ins with seed `seed` over the fixed sample day.
pub fn sign_in_events(n: usize, seed: u64) -> Frame {
    SampleData::new(seed).sign_in_events(n)
}

/// The files [`generate_dataset`] writes, with their row counts.
pub const DATASET_FILES: &[(&str, usize)] =
    &[("processes.csv", 5_000), ("logons.csv", 2_000), ("network_events.json", 3_000), ("network_flows.csv", 2_000)];

/// The query-template file [`generate_dataset`] writes beside the data.
pub const DATASET_QUERIES: &str = "sample_queries.yaml";

/// Writes a sample dataset into `dir` (created if needed): the files of [`DATASET_FILES`] over
/// the last two days (see [`SampleData::recent`]) and [`DATASET_QUERIES`], LocalData query
/// templates whose SQL filters by host, account, IP and time. Returns the written paths.
///
/// # Example
/// ```
/// use mstic_data::{Driver, QueryOptions, drivers::LocalDataDriver, sample};
/// let dir = std::env::temp_dir().join("mstic-doc-sample-dataset");
/// let written = sample::generate_dataset(&dir)?;
/// assert_eq!(written.len(), sample::DATASET_FILES.len() + 1);
/// let driver = LocalDataDriver::from_paths([&dir]);
/// let count = driver.query("select count(*) as n from logons", &QueryOptions::default())?;
/// assert_eq!(count.column_strings("n")?, vec![Some("2000".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn generate_dataset(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    generate_dataset_with(dir, &SampleData::recent(42, 2))
}

/// [`generate_dataset`] with explicit sample settings.
pub fn generate_dataset_with(dir: impl AsRef<Path>, sample: &SampleData) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, format!("cannot create the folder: {e}")))?;
    let mut written = Vec::new();
    for (name, rows) in DATASET_FILES {
        let path = dir.join(name);
        let frame = match *name {
            "processes.csv" => sample.process_events(*rows),
            "logons.csv" => sample.logon_events(*rows),
            "network_events.json" => sample.network_events(*rows),
            _ => sample.network_flows(*rows),
        };
        if name.ends_with(".json") { frame.write_json(&path)? } else { frame.write_csv(&path)? }
        written.push(path);
    }
    let queries = dir.join(DATASET_QUERIES);
    std::fs::write(&queries, SAMPLE_QUERIES).map_err(|e| Error::file(&queries, e))?;
    written.push(queries);
    Ok(written)
}

/// LocalData query templates over the generated dataset (MSTICPy's YAML schema, SQL text).
const SAMPLE_QUERIES: &str = include_str!("sample/sample_queries.yaml");
