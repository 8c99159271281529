//! Rich notebook views of incidents and alerts: `text/html` (severity badge, details, alerts,
//! entities grouped by kind, comments) and a short `text/plain` summary.
//!
//! Alert and incident text comes from outside (attackers can choose host names, command lines and
//! even alert titles), so every value is HTML-escaped and only `https://` URLs become links.

use crate::alerts::entities_by_kind;
use crate::model::{Alert, Comment, Incident, Severity};
use chrono::{DateTime, Utc};
use mstic_core::MimeBundle;
use mstic_core::display::escape_html;
use mstic_pivot::entity::{Entity, EntityKind};
use serde_json::{Map, Value};
use std::fmt::{self, Write as _};
use std::ops::Deref;

/// Rows shown per table before the rest is summarised as "… N more".
const MAX_ROWS: usize = 50;
/// Property columns shown per entity kind.
const MAX_ENTITY_COLUMNS: usize = 6;

const STYLE: &str = "<style>.mstic-triage{font-family:sans-serif;font-size:13px}\
.mstic-triage table{border-collapse:collapse;font-size:12px;margin:4px 0 10px 0}\
.mstic-triage td,.mstic-triage th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}\
.mstic-triage th{background:#f3f2f1}\
.mstic-triage .sev{border-radius:3px;padding:1px 6px;font-weight:bold;font-size:11px}\
.mstic-triage h3,.mstic-triage h4{margin:6px 0 4px 0}</style>";

/// Gives a type with `to_html` and `Display` its notebook display: `mime_bundle` (`text/html` and
/// `text/plain`), `evcxr_display` (the cell's result) and `display` (an output now).
macro_rules! html_and_text_display {
    ($type:ty, $what:literal) => {
        impl $type {
            #[doc = concat!("The ", $what, "'s display bundle: `text/html` and `text/plain`.")]
            pub fn mime_bundle(&self) -> MimeBundle {
                MimeBundle::new().with_text("text/html", self.to_html()).with_text("text/plain", self.to_string())
            }

            #[doc = concat!("Shows the ", $what, " as the cell's result (called by evcxr for a cell's final value).")]
            pub fn evcxr_display(&self) {
                self.mime_bundle().emit_as_result();
            }

            #[doc = concat!("Shows the ", $what, " now, as its own output.")]
            pub fn display(&self) {
                self.mime_bundle().display();
            }
        }
    };
}

html_and_text_display!(Incident, "incident");
html_and_text_display!(Alert, "alert");
html_and_text_display!(IncidentList, "list");

/// A time as shown in views: `2024-05-01 10:00:00 UTC`.
fn time_text(time: Option<DateTime<Utc>>) -> Option<String> {
    time.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// The severity as a coloured badge (`Severity::colour`, with readable text on light colours).
pub fn severity_badge(severity: Severity) -> String {
    let text_colour = match severity {
        Severity::Low | Severity::Unknown => "#201f1e",
        _ => "#ffffff",
    };
    format!("<span class=\"sev\" style=\"background:{};color:{text_colour}\">{}</span>", severity.colour(), severity.as_str())
}

/// A link when `url` is an `https://` URL, otherwise the text of `url`; both escaped.
fn link(url: &str, text: &str) -> String {
    if url.trim_start().to_ascii_lowercase().starts_with("https://") {
        format!("<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>", escape_html(url.trim()), escape_html(text))
    } else {
        escape_html(url)
    }
}

/// Key–value rows of a details table; rows with no value are left out. Values are HTML already.
struct Details(Vec<(&'static str, String)>);

impl Details {
    fn new() -> Details {
        Details(Vec::new())
    }

    /// A row with escaped text.
    fn text(mut self, key: &'static str, value: Option<impl AsRef<str>>) -> Details {
        let value: Option<&str> = value.as_ref().map(|v| v.as_ref());
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            self.0.push((key, escape_html(v)));
        }
        self
    }

    /// A row with a list joined by commas.
    fn list(self, key: &'static str, values: &[String]) -> Details {
        self.text(key, (!values.is_empty()).then(|| values.join(", ")))
    }

    /// A row with HTML made here.
    fn html(mut self, key: &'static str, html: Option<String>) -> Details {
        if let Some(h) = html {
            self.0.push((key, h));
        }
        self
    }

    fn render(&self) -> String {
        let rows: String = self.0.iter().map(|(k, v)| format!("<tr><th>{}</th><td>{v}</td></tr>", escape_html(k))).collect();
        format!("<table>{rows}</table>")
    }
}

/// A table with a header row; cells are HTML already. Rows past [`MAX_ROWS`] are counted, not shown.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut html = String::from("<table><tr>");
    for h in headers {
        let _ = write!(html, "<th>{}</th>", escape_html(h));
    }
    html.push_str("</tr>");
    for row in rows.iter().take(MAX_ROWS) {
        html.push_str("<tr>");
        for cell in row {
            let _ = write!(html, "<td>{cell}</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    if rows.len() > MAX_ROWS {
        let _ = write!(html, "<div>… {} more</div>", rows.len() - MAX_ROWS);
    }
    html
}

/// A JSON value as text: strings as they are, nested entities by their main value.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Object(_) => mstic_pivot::entity::entity_from_json(value)
            .ok()
            .and_then(|e| e.main_value().map(|v| format!("{}: {v}", e.kind())))
            .unwrap_or_else(|| value.to_string()),
        other => other.to_string(),
    }
}

/// The property columns of one kind's table: the kind's main properties any entity has (all
/// properties for unknown kinds), at most [`MAX_ENTITY_COLUMNS`].
fn entity_columns(kind: EntityKind, entities: &[&Entity]) -> Vec<String> {
    let has = |p: &str| entities.iter().any(|e| e.properties().contains_key(p));
    let mut columns: Vec<String> = kind.property_names().iter().filter(|p| has(p)).map(|p| p.to_string()).collect();
    if columns.is_empty() {
        let mut names: Vec<String> = entities.iter().flat_map(|e| e.properties().keys().cloned()).collect();
        names.sort();
        names.dedup();
        columns = names;
    }
    columns.truncate(MAX_ENTITY_COLUMNS);
    columns
}

/// One small table per entity kind, each headed by the kind and its count.
fn entities_html(entities: &[Entity]) -> String {
    if entities.is_empty() {
        return String::new();
    }
    let mut html = format!("<h4>Entities ({})</h4>", entities.len());
    for (kind, group) in entities_by_kind(entities) {
        let columns = entity_columns(kind, &group);
        let rows = group
            .iter()
            .map(|e| columns.iter().map(|c| escape_html(&e.properties().get(c).map(value_text).unwrap_or_default())).collect())
            .collect();
        let headers: Vec<&str> = columns.iter().map(String::as_str).collect();
        let _ = write!(html, "<div><b>{}</b> ({})</div>{}", escape_html(kind.name()), group.len(), table(&headers, rows));
    }
    html
}

/// `Host 2, Account 1`: how many entities of each kind.
fn entity_counts(entities: &[Entity]) -> String {
    entities_by_kind(entities).iter().map(|(k, g)| format!("{k} {}", g.len())).collect::<Vec<_>>().join(", ")
}

fn alert_time(alert: &Alert) -> Option<DateTime<Utc>> {
    alert.start.or(alert.time_generated)
}

fn alerts_table(alerts: &[Alert]) -> String {
    let rows = alerts
        .iter()
        .map(|a| {
            vec![
                escape_html(&time_text(alert_time(a)).unwrap_or_default()),
                escape_html(&a.name),
                severity_badge(a.severity),
                escape_html(a.product_name.as_deref().unwrap_or_default()),
            ]
        })
        .collect();
    format!("<h4>Alerts ({})</h4>{}", alerts.len(), table(&["Time", "Name", "Severity", "Product"], rows))
}

fn comments_html(comments: &[Comment]) -> String {
    if comments.is_empty() {
        return String::new();
    }
    let rows = comments
        .iter()
        .map(|c| {
            vec![
                escape_html(&time_text(c.created).unwrap_or_default()),
                escape_html(c.author.as_deref().unwrap_or_default()),
                escape_html(&c.message),
            ]
        })
        .collect();
    format!("<h4>Comments ({})</h4>{}", comments.len(), table(&["Time", "Author", "Comment"], rows))
}

fn extended_properties_html(properties: &Map<String, Value>) -> String {
    if properties.is_empty() {
        return String::new();
    }
    let rows = properties.iter().map(|(k, v)| vec![escape_html(k), escape_html(&value_text(v))]).collect();
    format!("<h4>Extended properties</h4>{}", table(&["Property", "Value"], rows))
}

fn paragraph(title: &str, text: Option<&str>) -> String {
    match text.filter(|t| !t.trim().is_empty()) {
        Some(t) => format!("<h4>{}</h4><div style=\"white-space:pre-wrap\">{}</div>", escape_html(title), escape_html(t)),
        None => String::new(),
    }
}

/// `Incident 42: title` (or just the title when it has no number).
fn incident_heading(incident: &Incident) -> String {
    match incident.number {
        Some(n) => format!("Incident {n}: {}", incident.title),
        None => format!("Incident: {}", incident.title),
    }
}

impl Incident {
    /// The incident as HTML: heading with severity badge, details, alerts, entities by kind and
    /// comments.
    ///
    /// # Example
    /// ```
    /// use mstic_triage::model::{Incident, IncidentStatus, Severity};
    /// # let mut incident = mstic_demo::incidents::example_incident();
    /// incident.title = "<script>alert(1)</script>".into();
    /// let html = incident.to_html();
    /// assert!(html.contains("&lt;script&gt;") && !html.contains("<script"));
    /// ```
    pub fn to_html(&self) -> String {
        let classification = self.classification.as_ref().map(|c| {
            let mut text = c.clone();
            if let Some(reason) = &self.classification_reason {
                text.push_str(&format!(" ({reason})"));
            }
            if let Some(comment) = &self.classification_comment {
                text.push_str(&format!(": {comment}"));
            }
            text
        });
        let details = Details::new()
            .text("Status", Some(self.status.as_str()))
            .text("Classification", classification)
            .text("Owner", self.owner.as_ref().and_then(|o| o.display_name()))
            .list("Labels", &self.labels)
            .text("Created", time_text(self.created))
            .text("First activity", time_text(self.first_activity))
            .text("Last activity", time_text(self.last_activity))
            .text("Last modified", time_text(self.last_modified))
            .list("Tactics", &self.tactics)
            .list("Products", &self.product_names)
            .text("Alerts", self.alert_count.map(|n| n.to_string()))
            .text("Comments", self.comment_count.map(|n| n.to_string()))
            .html("Portal", self.url.as_ref().map(|u| link(u, "Open in the Azure portal")));
        let alerts = if self.alerts.is_empty() { String::new() } else { alerts_table(&self.alerts) };
        format!(
            "<div class=\"mstic-triage mstic-incident\">{STYLE}<h3>{} {}</h3>{}{}{alerts}{}{}</div>",
            escape_html(&incident_heading(self)),
            severity_badge(self.severity),
            details.render(),
            paragraph("Description", self.description.as_deref()),
            entities_html(&self.entities),
            comments_html(&self.comments),
        )
    }
}

impl fmt::Display for Incident {
    /// A short summary: heading, severity, status, owner, times, alerts and entity counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{} severity, {}]", incident_heading(self), self.severity, self.status)?;
        if let Some(owner) = self.owner.as_ref().and_then(|o| o.display_name()) {
            write!(f, "\nOwner: {owner}")?;
        }
        if let Some(c) = &self.classification {
            write!(f, "\nClassification: {c}")?;
        }
        if let (Some(first), Some(last)) = (time_text(self.first_activity), time_text(self.last_activity)) {
            write!(f, "\nActivity: {first} to {last}")?;
        }
        if !self.tactics.is_empty() {
            write!(f, "\nTactics: {}", self.tactics.join(", "))?;
        }
        if !self.alerts.is_empty() {
            write!(f, "\nAlerts ({}):", self.alerts.len())?;
            for a in self.alerts.iter().take(10) {
                write!(f, "\n  {} {} [{}]", time_text(alert_time(a)).unwrap_or_default(), a.name, a.severity)?;
            }
            if self.alerts.len() > 10 {
                write!(f, "\n  … {} more", self.alerts.len() - 10)?;
            }
        }
        if !self.entities.is_empty() {
            write!(f, "\nEntities: {}", entity_counts(&self.entities))?;
        }
        if let Some(url) = &self.url {
            write!(f, "\n{url}")?;
        }
        Ok(())
    }
}

impl Alert {
    /// The alert as HTML: name with severity badge, details, description, remediation steps,
    /// entities by kind and extended properties.
    ///
    /// # Example
    /// ```
    /// use mstic_triage::model::{Alert, Severity};
    /// let mut alert = Alert::new("a1", "Mimikatz <b>found</b>", Severity::High);
    /// alert.link = Some("javascript:alert(1)".into());
    /// let html = alert.to_html();
    /// assert!(html.contains("Mimikatz &lt;b&gt;found&lt;/b&gt;"));
    /// assert!(html.contains("#d13438")); // the High badge
    /// assert!(!html.contains("href=\"javascript")); // only https:// URLs become links
    /// ```
    pub fn to_html(&self) -> String {
        let details = Details::new()
            .text("Status", self.status.as_deref())
            .text("Product", self.product_name.as_deref())
            .text("Vendor", self.vendor_name.as_deref())
            .text("Provider", self.provider_name.as_deref())
            .text("Alert type", self.alert_type.as_deref())
            .text("Time generated", time_text(self.time_generated))
            .text("Start", time_text(self.start))
            .text("End", time_text(self.end))
            .text("Compromised entity", self.compromised_entity.as_deref())
            .list("Tactics", &self.tactics)
            .list("Techniques", &self.techniques)
            .text("System alert id", Some(&self.system_alert_id))
            .text("Provider alert id", self.provider_alert_id.as_deref())
            .html("Link", self.link.as_ref().map(|u| link(u, "Open in the product's portal")));
        let remediation = if self.remediation_steps.is_empty() {
            String::new()
        } else {
            let steps: String = self.remediation_steps.iter().map(|s| format!("<li>{}</li>", escape_html(s))).collect();
            format!("<h4>Remediation steps</h4><ol>{steps}</ol>")
        };
        format!(
            "<div class=\"mstic-triage mstic-alert\">{STYLE}<h3>{} {}</h3>{}{}{remediation}{}{}</div>",
            escape_html(&self.name),
            severity_badge(self.severity),
            details.render(),
            paragraph("Description", self.description.as_deref()),
            entities_html(&self.entities),
            extended_properties_html(&self.extended_properties),
        )
    }
}

impl fmt::Display for Alert {
    /// A short summary: name, severity, status, product, time, compromised entity, tactics, entities.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Alert: {} [{} severity", self.name, self.severity)?;
        if let Some(status) = &self.status {
            write!(f, ", {status}")?;
        }
        f.write_str("]")?;
        if let Some(product) = &self.product_name {
            write!(f, "\nProduct: {product}")?;
        }
        if let Some(time) = time_text(alert_time(self)) {
            write!(f, "\nTime: {time}")?;
        }
        if let Some(entity) = &self.compromised_entity {
            write!(f, "\nCompromised entity: {entity}")?;
        }
        if !self.tactics.is_empty() {
            write!(f, "\nTactics: {}", self.tactics.join(", "))?;
        }
        if !self.entities.is_empty() {
            write!(f, "\nEntities: {}", entity_counts(&self.entities))?;
        }
        Ok(())
    }
}

/// A list of incidents that shows itself as one table (number, title, severity, status, owner,
/// created, alerts, portal link). Dereferences to the incidents.
///
/// # Example
/// ```
/// use mstic_triage::display::IncidentList;
/// # let incident = mstic_demo::incidents::example_incident();
/// let list = IncidentList::from(vec![incident]);
/// assert_eq!(list.len(), 1);
/// assert!(list.to_string().contains("1 incident"));
/// assert!(list.to_html().contains("<table>"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentList(pub Vec<Incident>);

impl From<Vec<Incident>> for IncidentList {
    fn from(incidents: Vec<Incident>) -> Self {
        IncidentList(incidents)
    }
}

impl Deref for IncidentList {
    type Target = Vec<Incident>;
    fn deref(&self) -> &Vec<Incident> {
        &self.0
    }
}

impl IncidentList {
    /// The incidents as one HTML table.
    pub fn to_html(&self) -> String {
        let rows = self
            .0
            .iter()
            .map(|i| {
                vec![
                    escape_html(&i.number.map(|n| n.to_string()).unwrap_or_default()),
                    match &i.url {
                        Some(url) if url.starts_with("https://") => link(url, &i.title),
                        _ => escape_html(&i.title),
                    },
                    severity_badge(i.severity),
                    escape_html(i.status.as_str()),
                    escape_html(i.owner.as_ref().and_then(|o| o.display_name()).unwrap_or_default()),
                    escape_html(&time_text(i.created).unwrap_or_default()),
                    escape_html(&i.alert_count.or(Some(i.alerts.len() as i64).filter(|n| *n > 0)).map(|n| n.to_string()).unwrap_or_default()),
                ]
            })
            .collect();
        format!(
            "<div class=\"mstic-triage mstic-incidents\">{STYLE}<h3>{}</h3>{}</div>",
            escape_html(&self.heading()),
            table(&["Number", "Title", "Severity", "Status", "Owner", "Created", "Alerts"], rows)
        )
    }

    fn heading(&self) -> String {
        format!("{} incident{}", self.0.len(), if self.0.len() == 1 { "" } else { "s" })
    }
}

impl fmt::Display for IncidentList {
    /// One line per incident: number, severity, status and title.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.heading())?;
        for i in self.0.iter().take(MAX_ROWS) {
            let number = i.number.map(|n| format!("#{n} ")).unwrap_or_default();
            write!(f, "\n  {number}[{}, {}] {}", i.severity, i.status, i.title)?;
        }
        if self.0.len() > MAX_ROWS {
            write!(f, "\n  … {} more", self.0.len() - MAX_ROWS)?;
        }
        Ok(())
    }
}
