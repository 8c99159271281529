//! The incident triage data model: incidents, alerts, comments, with their severities and
//! statuses as Sentinel names them. Filled from Azure Resource Manager responses
//! ([`crate::sentinel`]) and from `SecurityAlert` rows ([`crate::alerts`]).

use chrono::{DateTime, Utc};
use mstic_pivot::entity::Entity;
use serde_json::{Map, Value};
use std::fmt;

/// How severe Sentinel rates an incident or alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `High`.
    High,
    /// `Medium`.
    Medium,
    /// `Low`.
    Low,
    /// `Informational`.
    Informational,
    /// Missing or a value Sentinel does not document.
    Unknown,
}

impl Severity {
    /// Parses Sentinel's names, ignoring case (`high`, `Medium`…); anything else is `Unknown`.
    ///
    /// # Example
    /// ```
    /// use mstic_triage::model::Severity;
    /// assert_eq!(Severity::parse("HIGH"), Severity::High);
    /// assert_eq!(Severity::parse("severe"), Severity::Unknown);
    /// ```
    pub fn parse(text: &str) -> Severity {
        match text.trim().to_ascii_lowercase().as_str() {
            "high" => Severity::High,
            "medium" => Severity::Medium,
            "low" => Severity::Low,
            "informational" | "info" => Severity::Informational,
            _ => Severity::Unknown,
        }
    }

    /// Sentinel's name (`High`…; `Unknown` for unknown).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
            Severity::Informational => "Informational",
            Severity::Unknown => "Unknown",
        }
    }

    /// The colour the portal shows the severity in (CSS hex).
    pub fn colour(self) -> &'static str {
        match self {
            Severity::High => "#d13438",
            Severity::Medium => "#ff8c00",
            Severity::Low => "#fce100",
            Severity::Informational => "#8a8886",
            Severity::Unknown => "#c8c6c4",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status of an incident (`New`, `Active`, `Closed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentStatus {
    /// Not yet looked at.
    New,
    /// Being investigated.
    Active,
    /// Closed, with a classification.
    Closed,
}

impl IncidentStatus {
    /// Parses Sentinel's names ignoring case; anything else is an error naming the valid ones.
    ///
    /// # Example
    /// ```
    /// use mstic_triage::model::IncidentStatus;
    /// assert_eq!(IncidentStatus::parse("active")?, IncidentStatus::Active);
    /// assert!(IncidentStatus::parse("done").is_err());
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn parse(text: &str) -> mstic_core::Result<IncidentStatus> {
        match text.trim().to_ascii_lowercase().as_str() {
            "new" => Ok(IncidentStatus::New),
            "active" => Ok(IncidentStatus::Active),
            "closed" => Ok(IncidentStatus::Closed),
            _ => Err(mstic_core::Error::invalid("incident status", format!("'{text}' is not one of New, Active, Closed"))),
        }
    }

    /// Sentinel's name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::New => "New",
            IncidentStatus::Active => "Active",
            IncidentStatus::Closed => "Closed",
        }
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who an incident is assigned to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Owner {
    /// Azure AD object id.
    pub object_id: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Display name (`assignedTo`).
    pub assigned_to: Option<String>,
    /// User principal name.
    pub user_principal_name: Option<String>,
}

impl Owner {
    /// The best name to show: display name, UPN, e-mail or object id.
    pub fn display_name(&self) -> Option<&str> {
        [&self.assigned_to, &self.user_principal_name, &self.email, &self.object_id].into_iter().find_map(|v| v.as_deref())
    }
}

/// A comment on an incident.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comment {
    /// The comment's ARM resource name (its id within the incident).
    pub name: String,
    /// The text.
    pub message: String,
    /// Who wrote it, when known.
    pub author: Option<String>,
    /// When it was written.
    pub created: Option<DateTime<Utc>>,
}

/// A security alert: from an incident (ARM) or a `SecurityAlert` row, with its entities.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// `SystemAlertId`: the alert's id in Sentinel.
    pub system_alert_id: String,
    /// `AlertName` / `alertDisplayName`.
    pub name: String,
    /// `AlertType`.
    pub alert_type: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `AlertSeverity`.
    pub severity: Severity,
    /// `Status` (`New`, `Resolved`…) as given.
    pub status: Option<String>,
    /// `ProductName` (e.g. `Azure Security Center`).
    pub product_name: Option<String>,
    /// `VendorName`.
    pub vendor_name: Option<String>,
    /// `ProviderName`.
    pub provider_name: Option<String>,
    /// `VendorOriginalId` / `providerAlertId`.
    pub provider_alert_id: Option<String>,
    /// `TimeGenerated`.
    pub time_generated: Option<DateTime<Utc>>,
    /// `StartTime` (UTC).
    pub start: Option<DateTime<Utc>>,
    /// `EndTime` (UTC).
    pub end: Option<DateTime<Utc>>,
    /// `CompromisedEntity`.
    pub compromised_entity: Option<String>,
    /// MITRE ATT&CK tactics.
    pub tactics: Vec<String>,
    /// MITRE ATT&CK techniques.
    pub techniques: Vec<String>,
    /// `RemediationSteps`, one per item.
    pub remediation_steps: Vec<String>,
    /// `AlertLink`: the alert in its product's portal.
    pub link: Option<String>,
    /// The alert's entities (`$ref` links resolved).
    pub entities: Vec<Entity>,
    /// `ExtendedProperties`, parsed from its JSON text.
    pub extended_properties: Map<String, Value>,
}

impl Alert {
    /// An alert with only its id, name and severity set.
    pub fn new(system_alert_id: &str, name: &str, severity: Severity) -> Alert {
        Alert {
            system_alert_id: system_alert_id.to_string(),
            name: name.to_string(),
            alert_type: None,
            description: None,
            severity,
            status: None,
            product_name: None,
            vendor_name: None,
            provider_name: None,
            provider_alert_id: None,
            time_generated: None,
            start: None,
            end: None,
            compromised_entity: None,
            tactics: Vec::new(),
            techniques: Vec::new(),
            remediation_steps: Vec::new(),
            link: None,
            entities: Vec::new(),
            extended_properties: Map::new(),
        }
    }
}

/// A Sentinel incident with, once fetched, its alerts, entities and comments.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// The full ARM resource id.
    pub id: String,
    /// The ARM resource name: the incident's GUID.
    pub name: String,
    /// The number shown in the portal (`incidentNumber`).
    pub number: Option<i64>,
    /// `title`.
    pub title: String,
    /// `description`.
    pub description: Option<String>,
    /// `severity`.
    pub severity: Severity,
    /// `status`.
    pub status: IncidentStatus,
    /// `classification` of a closed incident (`TruePositive`, `FalsePositive`, `BenignPositive`, `Undetermined`).
    pub classification: Option<String>,
    /// `classificationReason`.
    pub classification_reason: Option<String>,
    /// `classificationComment`.
    pub classification_comment: Option<String>,
    /// `owner`.
    pub owner: Option<Owner>,
    /// `labels` (their `labelName`s).
    pub labels: Vec<String>,
    /// `createdTimeUtc`.
    pub created: Option<DateTime<Utc>>,
    /// `firstActivityTimeUtc`.
    pub first_activity: Option<DateTime<Utc>>,
    /// `lastActivityTimeUtc`.
    pub last_activity: Option<DateTime<Utc>>,
    /// `lastModifiedTimeUtc`.
    pub last_modified: Option<DateTime<Utc>>,
    /// `incidentUrl`: the incident in the Azure portal.
    pub url: Option<String>,
    /// `additionalData.tactics`.
    pub tactics: Vec<String>,
    /// `additionalData.alertProductNames`.
    pub product_names: Vec<String>,
    /// `additionalData.alertsCount`.
    pub alert_count: Option<i64>,
    /// `additionalData.commentsCount`.
    pub comment_count: Option<i64>,
    /// The resource's `etag`, sent back on updates.
    pub etag: Option<String>,
    /// The incident's alerts (empty until fetched).
    pub alerts: Vec<Alert>,
    /// The incident's entities (empty until fetched).
    pub entities: Vec<Entity>,
    /// The incident's comments (empty until fetched).
    pub comments: Vec<Comment>,
}

impl Incident {
    /// An incident with only its name (GUID), title, severity and status set; the rest empty.
    ///
    /// # Example
    /// ```
    /// use mstic_triage::model::{Incident, IncidentStatus, Severity};
    /// let incident = Incident::new("b2f4", "Suspicious sign-ins", Severity::Medium, IncidentStatus::New);
    /// assert!(incident.entities.is_empty() && incident.number.is_none());
    /// ```
    pub fn new(name: &str, title: &str, severity: Severity, status: IncidentStatus) -> Incident {
        Incident {
            id: String::new(),
            name: name.to_string(),
            number: None,
            title: title.to_string(),
            description: None,
            severity,
            status,
            classification: None,
            classification_reason: None,
            classification_comment: None,
            owner: None,
            labels: Vec::new(),
            created: None,
            first_activity: None,
            last_activity: None,
            last_modified: None,
            url: None,
            tactics: Vec::new(),
            product_names: Vec::new(),
            alert_count: None,
            comment_count: None,
            etag: None,
            alerts: Vec::new(),
            entities: Vec::new(),
            comments: Vec::new(),
        }
    }
}
