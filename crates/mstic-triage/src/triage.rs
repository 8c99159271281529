//! Triage of one incident in one call: its entities are sorted into checks — threat-intel lookups
//! for public IP addresses, file hashes, URLs and domains; logons and processes for hosts;
//! sign-ins for accounts — which run with a progress bar and give one [`Frame`] each, plus a
//! summary table with the worst verdicts first.
//!
//! A check that fails does not stop the others: it appears in the summary with the verdict
//! `error` and its message (and in [`TriageReport::errors`]), so nothing is silently missing. An
//! interrupt of the cell stops the triage with `Error::Interrupted`.

use crate::model::Incident;
use chrono::{DateTime, Duration, Utc};
use mstic_context::ti::{LookupOptions, TiLookup};
use mstic_context::{IpType, ip_type};
use mstic_core::progress::Progress;
use mstic_core::{Error, Frame, MimeBundle, Result};
use mstic_data::provider::QueryProvider;
use mstic_pivot::entity::{Entity, EntityKind};

/// The verdict of a check, from worst to best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// A threat-intel provider rates the item high.
    High,
    /// A provider rates the item suspicious.
    Warning,
    /// The check failed; the finding says why.
    Error,
    /// Context only: counts of logons, processes, sign-ins; clean lookups.
    Information,
    /// Not checked (e.g. a private address is not sent to threat intel).
    Skipped,
}

impl Verdict {
    /// The verdict's name in the summary (`high`, `warning`, `error`, `information`, `skipped`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::High => "high",
            Verdict::Warning => "warning",
            Verdict::Error => "error",
            Verdict::Information => "information",
            Verdict::Skipped => "skipped",
        }
    }

    fn from_ti_severity(severity: &str) -> Verdict {
        match severity {
            "high" => Verdict::High,
            "warning" => Verdict::Warning,
            _ => Verdict::Information,
        }
    }
}

/// One row of the triage summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The entity's main value (an address, a host name…).
    pub entity: String,
    /// Its kind (`IpAddress`, `Host`…).
    pub kind: EntityKind,
    /// The check (`threat intel`, `logons`, `processes`, `sign-ins`).
    pub check: String,
    /// How bad it looks.
    pub verdict: Verdict,
    /// What was found, in a few words.
    pub finding: String,
}

/// The result of one check: what ran, on what, and its rows.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The check's name, e.g. `logons on soc-vm01`, `threat intel`.
    pub name: String,
    /// The rows it returned.
    pub frame: Frame,
}

/// What [`Triage::run`] found.
#[derive(Debug, Clone)]
pub struct TriageReport {
    /// The incident's number and title.
    pub incident: String,
    /// One row per entity and check, worst verdict first.
    pub findings: Vec<Finding>,
    /// The rows of every check that ran.
    pub results: Vec<CheckResult>,
    /// Checks that failed, with their messages (also in `findings`, verdict `error`).
    pub errors: Vec<(String, String)>,
}

impl TriageReport {
    /// The findings as a table: `Entity`, `Kind`, `Check`, `Verdict`, `Finding`.
    pub fn summary(&self) -> Result<Frame> {
        let rows: Vec<[String; 5]> = self
            .findings
            .iter()
            .map(|f| [f.entity.clone(), f.kind.name().to_string(), f.check.clone(), f.verdict.as_str().to_string(), f.finding.clone()])
            .collect();
        let rows: Vec<Vec<Option<&str>>> = rows.iter().map(|r| r.iter().map(|v| Some(v.as_str())).collect()).collect();
        Frame::from_string_rows(&["Entity", "Kind", "Check", "Verdict", "Finding"], &rows)
    }

    /// The rows of the check named `name` (e.g. `threat intel`, `logons on soc-vm01`).
    pub fn result(&self, name: &str) -> Result<&Frame> {
        self.results.iter().find(|r| r.name == name).map(|r| &r.frame).ok_or_else(|| {
            Error::unknown("triage check", name, self.results.iter().map(|r| r.name.as_str()))
        })
    }

    /// The findings whose verdict is `High` or `Warning`.
    pub fn suspicious(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.verdict <= Verdict::Warning)
    }

    /// The report as a notebook display: the summary table and the size of every check's result.
    pub fn to_mime_bundle(&self) -> Result<MimeBundle> {
        let summary = self.summary()?.mime_bundle();
        let checks: Vec<String> = self.results.iter().map(|r| format!("{} ({} rows)", r.name, r.frame.len())).collect();
        let heading = format!("Triage of {}: {} suspicious finding(s)", self.incident, self.suspicious().count());
        let html = format!(
            "<h4>{}</h4>{}<p>Checks: {}</p>",
            mstic_core::display::escape_html(&heading),
            summary.data.get("text/html").and_then(|v| v.as_str()).unwrap_or_default(),
            mstic_core::display::escape_html(&checks.join(", "))
        );
        let plain = format!("{heading}\n{}\nChecks: {}", summary.plain_text().unwrap_or_default(), checks.join(", "));
        Ok(MimeBundle::new().with_text("text/html", html).with_text("text/plain", plain))
    }

    /// Shows the report as a cell's result.
    pub fn evcxr_display(&self) {
        match self.to_mime_bundle() {
            Ok(bundle) => bundle.emit_as_result(),
            Err(e) => mstic_core::plain_display::show_plain(&format!("triage report: {e}")),
        }
    }
}

/// Triage of one incident: choose the sources, then [`run`](Triage::run).
///
/// # Example
/// ```
/// use mstic_triage::model::{Incident, IncidentStatus, Severity};
/// use mstic_triage::triage::{Triage, Verdict};
/// use mstic_pivot::entity::{Entity, EntityKind};
/// let mut incident = Incident::new("b2f4", "Example incident", Severity::High, IncidentStatus::New);
/// incident.entities = vec![Entity::from_value(EntityKind::IpAddress, "10.1.0.4")];
/// // With no threat intel and no query provider, there is nothing to look the entities up in:
/// let report = Triage::new(&incident).run()?;
/// assert_eq!(report.findings[0].verdict, Verdict::Skipped);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct Triage<'a> {
    incident: &'a Incident,
    ti: Option<&'a TiLookup>,
    queries: Option<&'a QueryProvider>,
    margin: Duration,
    show_progress: bool,
}

/// The entities of one check.
struct Planned<'a> {
    check: &'static str,
    entity: String,
    kind: EntityKind,
    run: Box<dyn Fn() -> Result<Frame> + 'a>,
    summarise: fn(&Frame) -> String,
}

impl<'a> Triage<'a> {
    /// Triage of `incident` (with its entities fetched), with no sources yet, a margin of one
    /// hour around its activity, and a progress bar.
    pub fn new(incident: &'a Incident) -> Triage<'a> {
        Triage { incident, ti: None, queries: None, margin: Duration::hours(1), show_progress: true }
    }

    /// Looks IP addresses, hashes, URLs and domains up with `ti`'s primary providers.
    pub fn ti(mut self, ti: &'a TiLookup) -> Self {
        self.ti = Some(ti);
        self
    }

    /// Runs host and account queries (`WindowsSecurity.list_host_logons`,
    /// `WindowsSecurity.list_host_processes`, `Azure.list_aad_signins_for_account`) with `provider`.
    pub fn queries(mut self, provider: &'a QueryProvider) -> Self {
        self.queries = Some(provider);
        self
    }

    /// How far before the incident's first and after its last activity the queries look.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Whether a progress bar is shown (default: yes).
    pub fn show_progress(mut self, show: bool) -> Self {
        self.show_progress = show;
        self
    }

    /// The query time range: the incident's activity (or creation time, or the last day) widened
    /// by the margin.
    pub fn time_range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let incident = self.incident;
        let end = incident.last_activity.or(incident.last_modified).or(incident.created).unwrap_or_else(Utc::now);
        let start = incident.first_activity.or(incident.created).unwrap_or(end - Duration::days(1));
        (start.min(end) - self.margin, end + self.margin)
    }

    /// Runs every check and gathers the findings.
    pub fn run(&self) -> Result<TriageReport> {
        let mut report = TriageReport {
            incident: incident_label(self.incident),
            findings: Vec::new(),
            results: Vec::new(),
            errors: Vec::new(),
        };
        let (ti_items, skipped) = self.ti_items();
        report.findings.extend(skipped);
        let planned = self.planned_queries(&mut report);
        let ti_steps = usize::from(self.ti.is_some() && !ti_items.is_empty());
        let progress = Progress::start("Triage", planned.len() + ti_steps, self.show_progress);
        if ti_steps == 1 {
            self.run_ti(&ti_items, &mut report).inspect_err(|_| progress.interrupted())?;
            progress.advance();
        } else if !ti_items.is_empty() {
            report.findings.extend(ti_items.iter().map(|(value, kind)| not_checked(value, *kind, "threat intel", "no threat-intel lookup given (Triage::ti)")));
        }
        for step in planned {
            let name = format!("{} on {}", step.check, step.entity);
            match (step.run)() {
                Ok(frame) => {
                    report.findings.push(Finding {
                        entity: step.entity.clone(),
                        kind: step.kind,
                        check: step.check.to_string(),
                        verdict: Verdict::Information,
                        finding: (step.summarise)(&frame),
                    });
                    report.results.push(CheckResult { name, frame });
                }
                Err(e) if e.is_interrupted() => {
                    progress.interrupted();
                    return Err(e);
                }
                Err(e) => report.failed(&step.entity, step.kind, step.check, &name, &e),
            }
            progress.advance();
        }
        progress.finish();
        report.findings.sort_by_key(|f| f.verdict);
        Ok(report)
    }

    /// The values to look up in threat intel, and findings for those that are not sent.
    fn ti_items(&self) -> (Vec<(String, EntityKind)>, Vec<Finding>) {
        let mut items: Vec<(String, EntityKind)> = Vec::new();
        let mut skipped = Vec::new();
        for entity in &self.incident.entities {
            for value in ti_values(entity) {
                if entity.kind() == EntityKind::IpAddress && ip_type(&value) != IpType::Public {
                    let reason = format!("{} address: not sent to threat intel", ip_type(&value).as_str());
                    skipped.push(not_checked(&value, entity.kind(), "threat intel", &reason));
                } else if !items.iter().any(|(v, _)| *v == value) {
                    items.push((value, entity.kind()));
                }
            }
        }
        (items, skipped)
    }

    /// One lookup of every item; a finding per item with its worst rating.
    fn run_ti(&self, items: &[(String, EntityKind)], report: &mut TriageReport) -> Result<()> {
        let Some(ti) = self.ti else { return Ok(()) };
        let request: Vec<(String, Option<String>)> = items.iter().map(|(value, _)| (value.clone(), None)).collect();
        let frame = match ti.lookup_items(&request, &LookupOptions::default()) {
            Ok(frame) => frame,
            Err(e) if e.is_interrupted() => return Err(e),
            Err(e) => {
                for (value, kind) in items {
                    report.failed(value, *kind, "threat intel", "threat intel", &e);
                }
                return Ok(());
            }
        };
        let rows = ti_rows(&frame)?;
        for (value, kind) in items {
            let mine: Vec<&(String, String, String)> = rows.iter().filter(|(ioc, _, _)| ioc == value).collect();
            let verdict = mine.iter().map(|(_, _, severity)| Verdict::from_ti_severity(severity)).min().unwrap_or(Verdict::Information);
            let flagged: Vec<&str> = mine
                .iter()
                .filter(|(_, _, severity)| Verdict::from_ti_severity(severity) <= Verdict::Warning)
                .map(|(_, provider, _)| provider.as_str())
                .collect();
            let finding = match (mine.len(), flagged.is_empty()) {
                (0, _) => "no provider answered for this type".to_string(),
                (n, true) => format!("{n} provider(s), none rates it malicious"),
                (n, false) => format!("rated {} by {} of {n} provider(s)", verdict.as_str(), flagged.join(", ")),
            };
            report.findings.push(Finding { entity: value.clone(), kind: *kind, check: "threat intel".into(), verdict, finding });
        }
        report.results.push(CheckResult { name: "threat intel".into(), frame });
        Ok(())
    }

    /// The host and account queries to run (or findings saying why they are not run).
    fn planned_queries(&self, report: &mut TriageReport) -> Vec<Planned<'a>> {
        let (start, end) = self.time_range();
        let mut planned = Vec::new();
        let mut seen: Vec<(EntityKind, String)> = Vec::new();
        for entity in &self.incident.entities {
            let (kind, checks) = match entity.kind() {
                EntityKind::Host => (EntityKind::Host, HOST_CHECKS),
                EntityKind::Account => (EntityKind::Account, ACCOUNT_CHECKS),
                _ => continue,
            };
            let Some(name) = query_value(entity) else { continue };
            if seen.contains(&(kind, name.clone())) {
                continue;
            }
            seen.push((kind, name.clone()));
            for &(check, query, parameter, summarise) in checks {
                let Some(provider) = self.queries else {
                    report.findings.push(not_checked(&name, kind, check, "no query provider given (Triage::queries)"));
                    continue;
                };
                let value = name.clone();
                planned.push(Planned {
                    check,
                    entity: name.clone(),
                    kind,
                    run: Box::new(move || provider.query(query).param(parameter, value.as_str()).start(start).end(end).run()),
                    summarise,
                });
            }
        }
        planned
    }
}

/// A check on hosts or accounts: its name, the query, the parameter given the entity's value,
/// and how its rows are summarised.
type QueryCheck = (&'static str, &'static str, &'static str, fn(&Frame) -> String);

const HOST_CHECKS: &[QueryCheck] = &[
    ("logons", "WindowsSecurity.list_host_logons", "host_name", |f| count_with_distinct(f, "logon(s)", "TargetUserName", "account(s)")),
    ("processes", "WindowsSecurity.list_host_processes", "host_name", |f| count_with_distinct(f, "process(es)", "NewProcessName", "program(s)")),
];

const ACCOUNT_CHECKS: &[QueryCheck] = &[(
    "sign-ins",
    "Azure.list_aad_signins_for_account",
    "account_name",
    |f| count_with_distinct(f, "sign-in(s)", "IPAddress", "address(es)"),
)];

/// `12 logon(s), 3 account(s)`; the second part only when the column is there.
fn count_with_distinct(frame: &Frame, rows: &str, column: &str, values: &str) -> String {
    let distinct = frame.column_strings(column).ok().map(|cells| {
        let mut seen: Vec<String> = cells.into_iter().flatten().filter(|v| !v.is_empty()).collect();
        seen.sort();
        seen.dedup();
        seen.len()
    });
    match distinct {
        Some(n) => format!("{} {rows}, {n} {values}", frame.len()),
        None => format!("{} {rows}", frame.len()),
    }
}

impl TriageReport {
    fn failed(&mut self, entity: &str, kind: EntityKind, check: &str, name: &str, error: &Error) {
        self.findings.push(Finding {
            entity: entity.to_string(),
            kind,
            check: check.to_string(),
            verdict: Verdict::Error,
            finding: error.to_string(),
        });
        if !self.errors.iter().any(|(n, _)| n == name) {
            self.errors.push((name.to_string(), error.to_string()));
        }
    }
}

fn not_checked(value: &str, kind: EntityKind, check: &str, reason: &str) -> Finding {
    Finding { entity: value.to_string(), kind, check: check.to_string(), verdict: Verdict::Skipped, finding: reason.to_string() }
}

/// `#3177 Title`, or the title alone.
fn incident_label(incident: &Incident) -> String {
    match incident.number {
        Some(number) => format!("incident {number} ({})", incident.title),
        None => format!("incident '{}'", incident.title),
    }
}

/// The values of `entity` that threat intel can rate.
fn ti_values(entity: &Entity) -> Vec<String> {
    let names: &[&str] = match entity.kind() {
        EntityKind::IpAddress => &["Address"],
        EntityKind::FileHash => &["Value"],
        EntityKind::File => &["Sha256", "Sha1", "Md5"],
        EntityKind::Url => &["Url"],
        EntityKind::Dns => &["DomainName"],
        _ => &[],
    };
    names.iter().filter_map(|name| entity.get_str(name)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
}

/// The value a host or account query takes: the host name; the account's UPN when it has a UPN
/// suffix, else its name.
fn query_value(entity: &Entity) -> Option<String> {
    match entity.kind() {
        EntityKind::Host => entity.get_str("HostName").or_else(|| entity.get_str("NetBiosName")),
        EntityKind::Account => {
            let name = entity.get_str("Name")?;
            Some(match entity.get_str("UPNSuffix") {
                Some(suffix) if !suffix.is_empty() && !name.contains('@') => format!("{name}@{suffix}"),
                _ => name,
            })
        }
        _ => None,
    }
    .filter(|v| !v.trim().is_empty())
}

/// `(Ioc, Provider, Severity)` of each lookup result row.
fn ti_rows(frame: &Frame) -> Result<Vec<(String, String, String)>> {
    frame
        .rows()
        .map(|row| {
            Ok((
                row.get::<String>("Ioc")?.unwrap_or_default(),
                row.get::<String>("Provider")?.unwrap_or_default(),
                row.get::<String>("Severity")?.unwrap_or_default(),
            ))
        })
        .collect()
}
