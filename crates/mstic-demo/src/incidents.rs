//! A hand-made Sentinel incident for doctests, tests and examples of the incident views, graph
//! and triage, so they need no service.

use chrono::{DateTime, Utc};
use mstic_pivot::entity::{Entity, EntityKind};
use mstic_triage::model::{Alert, Comment, Incident, IncidentStatus, Owner, Severity};

/// A small incident: number 42, two alerts (a logon and a credential theft tool), a host, an
/// account and an IP address, one comment.
///
/// # Example
/// ```
/// let incident = mstic_demo::incidents::example_incident();
/// assert_eq!((incident.number, incident.alerts.len(), incident.entities.len()), (Some(42), 2, 3));
/// ```
pub fn example_incident() -> Incident {
    let time = |text: &str| DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).ok();
    let host = Entity::from_value(EntityKind::Host, "ws1").with("OSFamily", "Windows");
    let account = Entity::from_value(EntityKind::Account, "ann").with("NTDomain", "CONTOSO");
    let ip = Entity::from_value(EntityKind::IpAddress, "203.0.113.7");
    let mut logon = Alert::new("alert-1", "Suspicious logon", Severity::Medium);
    logon.product_name = Some("Azure Sentinel".into());
    logon.start = time("2024-05-01T10:00:00Z");
    logon.entities = vec![host.clone(), account.clone()];
    let mut mimikatz = Alert::new("alert-2", "Credential theft tool", Severity::High);
    mimikatz.product_name = Some("Microsoft Defender for Endpoint".into());
    mimikatz.start = time("2024-05-01T10:05:00Z");
    mimikatz.entities = vec![host.clone()];
    let mut incident = Incident::new("0001", "Credential theft on ws1", Severity::High, IncidentStatus::Active);
    incident.id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w/providers/Microsoft.SecurityInsights/incidents/0001".into();
    incident.number = Some(42);
    incident.description = Some("Logon then a credential theft tool".into());
    incident.owner = Some(Owner { assigned_to: Some("Ann Analyst".into()), ..Owner::default() });
    incident.labels = vec!["triage".into()];
    incident.created = time("2024-05-01T10:10:00Z");
    incident.first_activity = time("2024-05-01T10:00:00Z");
    incident.last_activity = time("2024-05-01T10:05:00Z");
    incident.last_modified = time("2024-05-01T10:20:00Z");
    incident.url = Some("https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/0001".into());
    incident.tactics = vec!["CredentialAccess".into()];
    incident.product_names = vec!["Azure Sentinel".into(), "Microsoft Defender for Endpoint".into()];
    incident.alert_count = Some(2);
    incident.comment_count = Some(1);
    incident.alerts = vec![logon, mimikatz];
    incident.entities = vec![host, account, ip];
    incident.comments = vec![Comment { name: "c1".into(), message: "Looking at ws1".into(), author: Some("Ann Analyst".into()), created: time("2024-05-01T10:30:00Z") }];
    incident
}
