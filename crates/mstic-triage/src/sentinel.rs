//! The Microsoft Sentinel management API (Azure Resource Manager, `Microsoft.SecurityInsights`):
//! incidents with their alerts, entities and comments; incident updates and new comments;
//! hunting bookmarks; analytic rules; watchlists.
//!
//! The workspace comes from `AzureSentinel.Workspaces.<name>` in `msticpyconfig.yaml`
//! (`SubscriptionId`, `ResourceGroup`, `WorkspaceName`, `TenantId`); sign-in uses the same
//! credentials as the Sentinel query driver (the workspace's `Args`, then the `Azure` section).
//! Calls go to `{resource_manager_endpoint}/subscriptions/{sub}/resourceGroups/{rg}/providers/
//! Microsoft.OperationalInsights/workspaces/{ws}/providers/Microsoft.SecurityInsights/…` with
//! api-version `2024-03-01` (setting `sentinel_api_version`).
//!
//! ```no_run
//! use mstic_triage::sentinel::{IncidentFilter, SentinelApi};
//! use mstic_triage::model::{IncidentStatus, Severity};
//! let sentinel = SentinelApi::new("Default")?;
//! let open = sentinel.incidents_frame(&IncidentFilter::default().status(IncidentStatus::New).severity(Severity::High).top(20))?;
//! let incident = sentinel.incident(1042)?;           // by number or GUID, with alerts, entities, comments
//! # Ok::<(), mstic_core::Error>(())
//! ```

use crate::model::{Alert, Comment, Incident, IncidentStatus, Owner, Severity};
use arrow::array::{ArrayRef, BooleanArray, Int64Array, StringArray, TimestampNanosecondArray};
use chrono::{DateTime, SecondsFormat, Utc};
use mstic_core::config::MsticConfig;
use mstic_core::web::percent_encode;
use mstic_core::{Error, Frame, Result};
use mstic_data::DriverSettings;
use mstic_data::remote::arm::ArmClient;
use mstic_pivot::entity::{Entity, EntityKind};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The Sentinel REST api-version used unless the `sentinel_api_version` setting names another.
pub const DEFAULT_API_VERSION: &str = "2024-03-01";

/// Role needed to read incidents, bookmarks, rules and watchlists.
const READER: &str = "Microsoft Sentinel Reader";
/// Role needed to update incidents and comment on them.
const RESPONDER: &str = "Microsoft Sentinel Responder";
/// Role needed to create and delete bookmarks.
const CONTRIBUTOR: &str = "Microsoft Sentinel Contributor";

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/// A client of one workspace's Microsoft Sentinel management API: incidents, comments,
/// bookmarks, analytic rules and watchlists.
///
/// Created from a workspace entry of `msticpyconfig.yaml`; nothing is sent until the first call.
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::DriverSettings;
/// use mstic_triage::sentinel::SentinelApi;
/// let config = MsticConfig::from_yaml_str(r#"
/// AzureSentinel:
///   Workspaces:
///     Default:
///       TenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47"
///       SubscriptionId: "3c1bb38c-82e3-4f8d-a115-a7110ba70d05"
///       ResourceGroup: "soc-rg"
///       WorkspaceName: "soc-workspace"
/// "#, "msticpyconfig.yaml")?;
/// let sentinel = SentinelApi::with_config("Default", &DriverSettings::default(), &config)?;
/// assert!(sentinel.base_path().ends_with("/workspaces/soc-workspace/providers/Microsoft.SecurityInsights"));
/// assert_eq!(sentinel.api_version(), "2024-03-01");
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct SentinelApi {
    arm: ArmClient,
    workspace: String,
    base_path: String,
    api_version: String,
}

impl std::fmt::Debug for SentinelApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentinelApi")
            .field("workspace", &self.workspace)
            .field("endpoint", &self.arm.endpoint())
            .field("base_path", &self.base_path)
            .field("api_version", &self.api_version)
            .finish()
    }
}

impl SentinelApi {
    /// The API of workspace `workspace` (`"Default"` or another entry name) of the session's
    /// `msticpyconfig.yaml`.
    pub fn new(workspace: &str) -> Result<SentinelApi> {
        Self::with_settings(workspace, &DriverSettings::default())
    }

    /// Like [`SentinelApi::new`], with driver settings (credentials, `sentinel_api_version`,
    /// `timeout`, `max_retries`…) that win over the workspace's `Args`.
    pub fn with_settings(workspace: &str, settings: &DriverSettings) -> Result<SentinelApi> {
        Self::with_config(workspace, settings, &mstic_data::remote::settings::current_config())
    }

    /// Like [`SentinelApi::with_settings`], reading `config` instead of the session's file.
    pub fn with_config(workspace: &str, settings: &DriverSettings, config: &MsticConfig) -> Result<SentinelApi> {
        let entry = config.workspace(workspace)?;
        let source = config.path().map(|p| p.display().to_string()).unwrap_or_else(|| "msticpyconfig.yaml".into());
        let require = |value: &Option<String>, key: &str| {
            value.clone().filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                Error::Config(format!(
                    "workspace '{name}' (AzureSentinel.Workspaces.{name}) in {source} has no {key}; the Sentinel management API \
                     needs SubscriptionId, ResourceGroup, WorkspaceName and TenantId",
                    name = entry.name
                ))
            })
        };
        let subscription = require(&entry.subscription_id, "SubscriptionId")?;
        let group = require(&entry.resource_group, "ResourceGroup")?;
        let name = require(&entry.workspace_name, "WorkspaceName")?;
        let tenant = require(&entry.tenant_id, "TenantId")?;
        let mut merged = settings.clone();
        for (key, setting) in &entry.args {
            if merged.option(key).is_none()
                && let Ok(value) = setting.resolve()
            {
                if setting.is_secret() {
                    merged.secret_names.push(key.clone());
                }
                merged.options.insert(key.clone(), value);
            }
        }
        let setting = |names: &[&str]| names.iter().find_map(|n| merged.option(n)).map(str::to_string);
        let api_version = setting(&["sentinel_api_version", "SentinelApiVersion"]).unwrap_or_else(|| DEFAULT_API_VERSION.to_string());
        let tenant = setting(&["tenant_id", "TenantId"]).unwrap_or(tenant);
        let arm = ArmClient::with_config(&merged, config, Some(tenant))?;
        let base_path = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights",
            percent_encode(&subscription),
            percent_encode(&group),
            percent_encode(&name)
        );
        Ok(SentinelApi { arm, workspace: entry.name, base_path, api_version })
    }

    /// The ARM path every call starts with
    /// (`/subscriptions/…/workspaces/{ws}/providers/Microsoft.SecurityInsights`).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The api-version sent (`2024-03-01` unless `sentinel_api_version` says otherwise).
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The Resource Manager client underneath (for calls this type does not wrap).
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    fn path(&self, relative: &str) -> String {
        format!("{}/{relative}", self.base_path)
    }

    fn list(&self, relative: &str, query: &[(&str, &str)], limit: Option<usize>) -> Result<Vec<Value>> {
        self.arm.list(&self.path(relative), &self.api_version, query, limit, READER)
    }

    // ----- incidents -------------------------------------------------------------------------

    /// The incidents matching `filter`, newest first (every page of the answer, up to
    /// `filter.top`).
    ///
    /// # Example
    /// ```
    /// use mstic_triage::sentinel::{IncidentFilter, SentinelApi};
    /// let demo = mstic_demo::DemoServer::start()?;          // recorded Sentinel answers on 127.0.0.1
    /// let incidents = SentinelApi::new("Default")?.incidents(&IncidentFilter::default())?;
    /// assert_eq!(incidents[0].number, Some(mstic_demo::arm::DEMO_INCIDENT_NUMBER));
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        let query = filter.query();
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.list("incidents", &pairs, filter.top)?.iter().map(Incident::from_arm).collect()
    }

    /// [`SentinelApi::incidents`] as a table, one row per incident, with the column names of
    /// Sentinel's `SecurityIncident` table: `IncidentNumber`, `Title`, `Severity`, `Status`,
    /// `Classification`, `Owner`, `CreatedTime`, `FirstActivityTime`, `LastActivityTime`,
    /// `LastModifiedTime`, `AlertCount`, `Tactics`, `Labels`, `ProviderNames`, `IncidentName`
    /// (the GUID), `IncidentUrl`.
    pub fn incidents_frame(&self, filter: &IncidentFilter) -> Result<Frame> {
        incidents_to_frame(&self.incidents(filter)?)
    }

    /// One incident (by GUID or incident number) with its alerts, entities and comments.
    ///
    /// # Example
    /// ```
    /// use mstic_triage::sentinel::SentinelApi;
    /// use mstic_pivot::EntityKind;
    /// let demo = mstic_demo::DemoServer::start()?;
    /// let incident = SentinelApi::new("Default")?.incident(mstic_demo::arm::DEMO_INCIDENT_NUMBER)?;
    /// assert_eq!(incident.name, mstic_demo::arm::DEMO_INCIDENT_ID);
    /// assert!(incident.entities.iter().any(|e| e.kind() == EntityKind::IpAddress));
    /// assert_eq!(incident.comments.len(), 2);
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn incident(&self, id: impl Into<IncidentId>) -> Result<Incident> {
        let name = self.incident_name(id.into())?;
        let raw = self.arm.get(&self.path(&format!("incidents/{name}")), &self.api_version, &[], READER)?;
        let mut incident = Incident::from_arm(&raw)?;
        incident.alerts = self.alerts_of(&name)?;
        incident.entities = self.entities_of(&name)?;
        incident.comments = self.comments_of(&name)?;
        Ok(incident)
    }

    /// The alerts of an incident (`POST …/incidents/{id}/alerts`).
    pub fn incident_alerts(&self, id: impl Into<IncidentId>) -> Result<Vec<Alert>> {
        let name = self.incident_name(id.into())?;
        self.alerts_of(&name)
    }

    /// The entities of an incident (`POST …/incidents/{id}/entities`), as MSTICPy entities.
    pub fn incident_entities(&self, id: impl Into<IncidentId>) -> Result<Vec<Entity>> {
        let name = self.incident_name(id.into())?;
        self.entities_of(&name)
    }

    /// The comments of an incident, oldest first as Sentinel lists them.
    pub fn incident_comments(&self, id: impl Into<IncidentId>) -> Result<Vec<Comment>> {
        let name = self.incident_name(id.into())?;
        self.comments_of(&name)
    }

    /// Changes an incident: reads it, merges `update` into its properties and writes them back
    /// with its `etag` (so a change made meanwhile by someone else fails instead of being
    /// overwritten). Returns the updated incident (without alerts, entities and comments).
    /// Closing without a classification is an error before any request.
    ///
    /// # Example
    /// ```no_run
    /// use mstic_triage::model::IncidentStatus;
    /// use mstic_triage::sentinel::{IncidentUpdate, SentinelApi};
    /// let sentinel = SentinelApi::new("Default")?;
    /// let update = IncidentUpdate::default()
    ///     .status(IncidentStatus::Closed)
    ///     .classification("TruePositive", "SuspiciousActivity")
    ///     .classification_comment("Confirmed with the user; password reset.");
    /// let closed = sentinel.update_incident(1042, &update)?;
    /// assert_eq!(closed.status, IncidentStatus::Closed);
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn update_incident(&self, id: impl Into<IncidentId>, update: &IncidentUpdate) -> Result<Incident> {
        update.validate()?;
        let name = self.incident_name(id.into())?;
        let path = self.path(&format!("incidents/{name}"));
        let current = self.arm.get(&path, &self.api_version, &[], READER)?;
        let body = update.request_body(&current);
        let answer = self.arm.put(&path, &self.api_version, &body, RESPONDER)?;
        Incident::from_arm(&answer)
    }

    /// Adds a comment to an incident (`PUT …/incidents/{id}/comments/{new GUID}`); the comment
    /// as Sentinel stored it.
    pub fn add_comment(&self, id: impl Into<IncidentId>, message: &str) -> Result<Comment> {
        if message.trim().is_empty() {
            return Err(Error::invalid("comment message", "the message is empty"));
        }
        let name = self.incident_name(id.into())?;
        let path = self.path(&format!("incidents/{name}/comments/{}", uuid::Uuid::new_v4()));
        let answer = self.arm.put(&path, &self.api_version, &json!({ "properties": { "message": message } }), RESPONDER)?;
        Comment::from_arm(&answer)
    }

    /// The incident's ARM name (GUID): given, or looked up by number.
    fn incident_name(&self, id: IncidentId) -> Result<String> {
        match id {
            IncidentId::Name(name) => checked_segment("incident id", &name),
            IncidentId::Number(number) => {
                let found = self.incidents(&IncidentFilter::default().number(number).top(1))?;
                found.into_iter().next().map(|i| i.name).ok_or_else(|| {
                    Error::invalid("incident number", format!("no incident number {number} in workspace '{}'", self.workspace))
                })
            }
        }
    }

    fn alerts_of(&self, name: &str) -> Result<Vec<Alert>> {
        let answer = self.arm.post(&self.path(&format!("incidents/{name}/alerts")), &self.api_version, &json!({}), READER)?;
        array(&answer, "value").iter().map(Alert::from_arm).collect()
    }

    fn entities_of(&self, name: &str) -> Result<Vec<Entity>> {
        let answer = self.arm.post(&self.path(&format!("incidents/{name}/entities")), &self.api_version, &json!({}), READER)?;
        Ok(entities_from_arm(array(&answer, "entities")))
    }

    fn comments_of(&self, name: &str) -> Result<Vec<Comment>> {
        self.list(&format!("incidents/{name}/comments"), &[], None)?.iter().map(Comment::from_arm).collect()
    }

    // ----- bookmarks, rules, watchlists ------------------------------------------------------

    /// The workspace's hunting bookmarks as a table (`BookmarkId`, `BookmarkName`, `QueryText`,
    /// `QueryResultRow`, `Notes`, `Tags`, `EventTime`, `CreatedTime`, `CreatedBy`,
    /// `LastUpdatedTime`, as in Sentinel's `HuntingBookmark` table).
    pub fn bookmarks(&self) -> Result<Frame> {
        let bookmarks: Vec<Bookmark> = self.list("bookmarks", &[], None)?.iter().map(Bookmark::from_arm).collect::<Result<_>>()?;
        bookmarks_to_frame(&bookmarks)
    }

    /// Creates a hunting bookmark (`PUT …/bookmarks/{GUID}`, a new GUID unless
    /// [`Bookmark::name`] set one); the bookmark as Sentinel stored it.
    ///
    /// # Example
    /// ```no_run
    /// use mstic_triage::sentinel::{Bookmark, SentinelApi};
    /// let bookmark = Bookmark::default()
    ///     .display_name("Logon from TI-listed IP")
    ///     .query("SigninLogs | where IPAddress == '185.220.101.7'")
    ///     .notes("Seen during incident 1042")
    ///     .labels(["tor", "triage"]);
    /// let created = SentinelApi::new("Default")?.create_bookmark(&bookmark)?;
    /// assert!(created.name.is_some());
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn create_bookmark(&self, bookmark: &Bookmark) -> Result<Bookmark> {
        bookmark.validate()?;
        let name = match &bookmark.name {
            Some(name) => checked_segment("bookmark name", name)?,
            None => uuid::Uuid::new_v4().to_string(),
        };
        let answer = self.arm.put(&self.path(&format!("bookmarks/{name}")), &self.api_version, &bookmark.to_arm(), CONTRIBUTOR)?;
        Bookmark::from_arm(&answer)
    }

    /// Deletes the bookmark named `name` (its GUID); a bookmark that does not exist is an error.
    pub fn delete_bookmark(&self, name: &str) -> Result<()> {
        let name = checked_segment("bookmark name", name)?;
        self.arm.delete(&self.path(&format!("bookmarks/{name}")), &self.api_version, CONTRIBUTOR)
    }

    /// The analytic (alert) rules: `RuleName` (GUID), `DisplayName`, `Kind`, `Enabled`,
    /// `Severity`, `Tactics`, `LastModifiedTime`.
    pub fn analytic_rules(&self) -> Result<Frame> {
        rules_to_frame(&self.list("alertRules", &[], None)?)
    }

    /// The watchlists: `WatchlistAlias`, `DisplayName`, `Provider`, `Source`, `ItemsSearchKey`,
    /// `Description`, `CreatedTime`, `LastUpdatedTime`.
    pub fn watchlists(&self) -> Result<Frame> {
        watchlists_to_frame(&self.list("watchlists", &[], None)?)
    }

    /// The items of watchlist `alias`: one column per key of the items' `itemsKeyValue` (in name
    /// order), values as text.
    pub fn watchlist_items(&self, alias: &str) -> Result<Frame> {
        let alias = checked_segment("watchlist alias", alias)?;
        watchlist_items_to_frame(&self.list(&format!("watchlists/{alias}/watchlistItems"), &[], None)?)
    }
}

/// `value` when it is a safe ARM path segment (letters, digits, `-`, `_`, `.`), else an error
/// naming `what`.
fn checked_segment(what: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) && value != "." && value != ".." {
        Ok(value.to_string())
    } else {
        Err(Error::invalid(what, format!("'{value}' is not a resource name (letters, digits, '-', '_', '.')")))
    }
}

// ---------------------------------------------------------------------------------------------
// Incident ids and filters
// ---------------------------------------------------------------------------------------------

/// Which incident: its ARM name (a GUID) or the number the portal shows.
///
/// # Example
/// ```
/// use mstic_triage::sentinel::IncidentId;
/// assert_eq!(IncidentId::from(1042), IncidentId::Number(1042));
/// assert_eq!(IncidentId::from("1042"), IncidentId::Number(1042));
/// assert_eq!(IncidentId::from("6d8a3c1e-4b1f-4c55-9d2e-0f4a1b2c3d4e"), IncidentId::Name("6d8a3c1e-4b1f-4c55-9d2e-0f4a1b2c3d4e".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentId {
    /// The incident's ARM resource name (GUID).
    Name(String),
    /// The incident number (`incidentNumber`).
    Number(i64),
}

impl From<&str> for IncidentId {
    fn from(text: &str) -> Self {
        let text = text.trim();
        text.parse::<i64>().map(IncidentId::Number).unwrap_or_else(|_| IncidentId::Name(text.to_string()))
    }
}

impl From<String> for IncidentId {
    fn from(text: String) -> Self {
        IncidentId::from(text.as_str())
    }
}

impl From<&String> for IncidentId {
    fn from(text: &String) -> Self {
        IncidentId::from(text.as_str())
    }
}

impl From<i64> for IncidentId {
    fn from(number: i64) -> Self {
        IncidentId::Number(number)
    }
}

impl From<i32> for IncidentId {
    fn from(number: i32) -> Self {
        IncidentId::Number(number.into())
    }
}

impl From<u32> for IncidentId {
    fn from(number: u32) -> Self {
        IncidentId::Number(number.into())
    }
}

impl From<&Incident> for IncidentId {
    fn from(incident: &Incident) -> Self {
        IncidentId::Name(incident.name.clone())
    }
}

impl std::fmt::Display for IncidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IncidentId::Name(name) => f.write_str(name),
            IncidentId::Number(number) => write!(f, "#{number}"),
        }
    }
}

/// The incident time property a filter's time range applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IncidentTime {
    /// `createdTimeUtc` (the default).
    #[default]
    Created,
    /// `lastModifiedTimeUtc`.
    LastModified,
}

impl IncidentTime {
    fn property(self) -> &'static str {
        match self {
            IncidentTime::Created => "properties/createdTimeUtc",
            IncidentTime::LastModified => "properties/lastModifiedTimeUtc",
        }
    }
}

/// Which incidents [`SentinelApi::incidents`] lists: statuses, severities, a time range and a
/// count, sent as OData `$filter`, `$orderby` (newest first) and `$top`.
///
/// Defaults: every status and severity, no time range, every incident.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use mstic_triage::model::{IncidentStatus, Severity};
/// use mstic_triage::sentinel::IncidentFilter;
/// let filter = IncidentFilter::default()
///     .status(IncidentStatus::New)
///     .status(IncidentStatus::Active)
///     .severity(Severity::High)
///     .since(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap())
///     .top(50);
/// assert_eq!(
///     filter.odata_filter().as_deref(),
///     Some("(properties/status eq 'New' or properties/status eq 'Active') and properties/severity eq 'High' \
///           and properties/createdTimeUtc ge 2024-05-01T00:00:00Z")
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    statuses: Vec<IncidentStatus>,
    severities: Vec<Severity>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    time_property: IncidentTime,
    number: Option<i64>,
    top: Option<usize>,
}

impl IncidentFilter {
    /// Adds a status to match (several statuses match any of them).
    pub fn status(mut self, status: IncidentStatus) -> Self {
        if !self.statuses.contains(&status) {
            self.statuses.push(status);
        }
        self
    }

    /// Adds a severity to match (several severities match any of them).
    pub fn severity(mut self, severity: Severity) -> Self {
        if !self.severities.contains(&severity) {
            self.severities.push(severity);
        }
        self
    }

    /// Incidents whose time (see [`IncidentFilter::time_property`]) is at or after `start`.
    pub fn since(mut self, start: DateTime<Utc>) -> Self {
        self.start = Some(start);
        self
    }

    /// Incidents whose time is from `start` to `end` (inclusive).
    pub fn between(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.start = Some(start);
        self.end = Some(end);
        self
    }

    /// The time the range applies to: creation (default) or last modification.
    pub fn time_property(mut self, time: IncidentTime) -> Self {
        self.time_property = time;
        self
    }

    /// Only the incident with this number.
    pub fn number(mut self, number: i64) -> Self {
        self.number = Some(number);
        self
    }

    /// At most `count` incidents (newest first).
    pub fn top(mut self, count: usize) -> Self {
        self.top = Some(count);
        self
    }

    /// The OData `$filter` expression, or `None` when the filter matches everything.
    pub fn odata_filter(&self) -> Option<String> {
        let any_of = |property: &str, values: Vec<&str>| {
            let terms: Vec<String> = values.iter().map(|v| format!("{property} eq '{v}'")).collect();
            match terms.len() {
                0 => None,
                1 => terms.into_iter().next(),
                _ => Some(format!("({})", terms.join(" or "))),
            }
        };
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let property = self.time_property.property();
        let clauses: Vec<String> = [
            self.number.map(|n| format!("properties/incidentNumber eq {n}")),
            any_of("properties/status", self.statuses.iter().map(|s| s.as_str()).collect()),
            any_of("properties/severity", self.severities.iter().map(|s| s.as_str()).collect()),
            self.start.as_ref().map(|t| format!("{property} ge {}", time(t))),
            self.end.as_ref().map(|t| format!("{property} le {}", time(t))),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!clauses.is_empty()).then(|| clauses.join(" and "))
    }

    /// The query parameters sent: `$filter` (when there is one), `$orderby`, `$top` (when set).
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(filter) = self.odata_filter() {
            query.push(("$filter", filter));
        }
        query.push(("$orderby", "properties/createdTimeUtc desc".to_string()));
        if let Some(top) = self.top {
            query.push(("$top", top.to_string()));
        }
        query
    }
}

// ---------------------------------------------------------------------------------------------
// Incident updates
// ---------------------------------------------------------------------------------------------

/// The reasons Sentinel accepts for each classification.
const CLASSIFICATIONS: &[(&str, &[&str])] = &[
    ("TruePositive", &["SuspiciousActivity"]),
    ("BenignPositive", &["SuspiciousButExpected"]),
    ("FalsePositive", &["IncorrectAlertLogic", "InaccurateData"]),
    ("Undetermined", &[""]),
];

/// Incident properties the update writes back (the rest are read-only).
const WRITABLE: &[&str] = &[
    "title", "description", "severity", "status", "classification", "classificationReason", "classificationComment", "owner", "labels",
    "firstActivityTimeUtc", "lastActivityTimeUtc",
];

/// Changes to make to an incident with [`SentinelApi::update_incident`]; unset fields stay as
/// they are.
///
/// # Example
/// ```
/// use mstic_triage::model::{IncidentStatus, Severity};
/// use mstic_triage::sentinel::IncidentUpdate;
/// let assign = IncidentUpdate::default().status(IncidentStatus::Active).owner("analyst@contoso.com").add_labels(["tor"]);
/// assert!(assign.validate().is_ok());
/// let bad = IncidentUpdate::default().status(IncidentStatus::Closed);
/// assert!(bad.validate().unwrap_err().to_string().contains("classification"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentUpdate {
    status: Option<IncidentStatus>,
    classification: Option<(String, String)>,
    classification_comment: Option<String>,
    owner: Option<String>,
    severity: Option<Severity>,
    title: Option<String>,
    description: Option<String>,
    labels: Option<Vec<String>>,
    add_labels: Vec<String>,
}

impl IncidentUpdate {
    /// The new status (closing needs [`IncidentUpdate::classification`]).
    pub fn status(mut self, status: IncidentStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// The classification of a closed incident and its reason: `TruePositive` /
    /// `SuspiciousActivity`, `BenignPositive` / `SuspiciousButExpected`, `FalsePositive` /
    /// `IncorrectAlertLogic` or `InaccurateData`, `Undetermined` / `""`.
    pub fn classification(mut self, classification: impl Into<String>, reason: impl Into<String>) -> Self {
        self.classification = Some((classification.into(), reason.into()));
        self
    }

    /// The closing comment.
    pub fn classification_comment(mut self, comment: impl Into<String>) -> Self {
        self.classification_comment = Some(comment.into());
        self
    }

    /// Assigns the incident to a user: a user principal name or an Azure AD object id.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// The new severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// The new title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The new description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Replaces every label with `labels`.
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    /// Adds labels (those already there are kept once).
    pub fn add_labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.add_labels.extend(labels.into_iter().map(Into::into));
        self
    }

    /// Checks the update before anything is sent: it changes something; closing has a
    /// classification; the classification and its reason are ones Sentinel accepts; the
    /// severity is known.
    pub fn validate(&self) -> Result<()> {
        if *self == IncidentUpdate::default() {
            return Err(Error::invalid("incident update", "the update changes nothing"));
        }
        if self.status == Some(IncidentStatus::Closed) && self.classification.is_none() {
            return Err(Error::invalid(
                "incident update",
                "closing an incident needs a classification, e.g. .classification(\"TruePositive\", \"SuspiciousActivity\")",
            ));
        }
        if self.classification.is_some() && self.status != Some(IncidentStatus::Closed) {
            return Err(Error::invalid("incident update", "a classification is set when closing: add .status(IncidentStatus::Closed)"));
        }
        if self.severity == Some(Severity::Unknown) {
            return Err(Error::invalid("incident update", "the severity must be High, Medium, Low or Informational"));
        }
        if let Some((classification, reason)) = &self.classification {
            canonical_classification(classification, reason)?;
        }
        Ok(())
    }

    /// The PUT body: the incident's writable properties with this update merged in, and its etag.
    fn request_body(&self, current: &Value) -> Value {
        let mut properties: Map<String, Value> =
            current.get("properties").and_then(Value::as_object).map(|p| p.iter().filter(|(k, _)| WRITABLE.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        self.merge_into(&mut properties);
        let mut body = json!({ "properties": properties });
        if let Some(etag) = current.get("etag").filter(|e| !e.is_null()) {
            body["etag"] = etag.clone();
        }
        body
    }

    fn merge_into(&self, properties: &mut Map<String, Value>) {
        let labels = self.merged_labels(properties.get("labels"));
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                properties.insert(key.to_string(), value);
            }
        };
        put("status", self.status.map(|s| json!(s.as_str())));
        put("severity", self.severity.map(|s| json!(s.as_str())));
        put("title", self.title.clone().map(Value::from));
        put("description", self.description.clone().map(Value::from));
        put("classificationComment", self.classification_comment.clone().map(Value::from));
        put("owner", self.owner.as_deref().map(owner_json));
        put("labels", labels);
        if let Some((classification, reason)) = &self.classification
            && let Ok((classification, reason)) = canonical_classification(classification, reason)
        {
            put("classification", Some(json!(classification)));
            put("classificationReason", (!reason.is_empty()).then(|| json!(reason)));
        }
    }

    /// The `labels` array after this update (`None` when the update leaves labels alone); labels
    /// already there keep their `labelType`.
    fn merged_labels(&self, current: Option<&Value>) -> Option<Value> {
        if self.labels.is_none() && self.add_labels.is_empty() {
            return None;
        }
        let mut names = self.labels.clone().unwrap_or_else(|| label_names(current));
        for label in &self.add_labels {
            if !names.contains(label) {
                names.push(label.clone());
            }
        }
        let existing = current.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let object = |name: &String| {
            existing.iter().find(|l| text(l, "labelName").as_ref() == Some(name)).cloned().unwrap_or_else(|| json!({"labelName": name, "labelType": "User"}))
        };
        Some(Value::Array(names.iter().map(object).collect()))
    }
}

/// Sentinel's spelling of a classification and reason, or an error naming the valid pairs.
fn canonical_classification(classification: &str, reason: &str) -> Result<(&'static str, &'static str)> {
    let valid = || CLASSIFICATIONS.iter().map(|(c, reasons)| format!("{c} ({})", reasons.join(" or "))).collect::<Vec<_>>().join(", ");
    let (name, reasons) = CLASSIFICATIONS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(classification.trim()))
        .ok_or_else(|| Error::invalid("incident classification", format!("'{classification}' is not one of {}", valid())))?;
    let reason = reasons.iter().find(|r| r.eq_ignore_ascii_case(reason.trim())).ok_or_else(|| {
        Error::invalid("classification reason", format!("'{reason}' is not a reason for {name}; valid: {}", valid()))
    })?;
    Ok((name, reason))
}

/// The `owner` object for a user principal name or an object id.
fn owner_json(owner: &str) -> Value {
    let owner = owner.trim();
    let is_object_id = owner.len() == 36 && owner.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if is_object_id { json!({ "objectId": owner }) } else { json!({ "userPrincipalName": owner }) }
}

// ---------------------------------------------------------------------------------------------
// Bookmarks
// ---------------------------------------------------------------------------------------------

/// A hunting bookmark: built with its setters for [`SentinelApi::create_bookmark`], and filled
/// from Sentinel's answers (`name`, `created`, `created_by`, `updated`).
///
/// # Example
/// ```
/// use mstic_triage::sentinel::Bookmark;
/// let bookmark = Bookmark::default().display_name("Odd logon").query("SigninLogs | take 1").labels(["triage"]);
/// assert_eq!(bookmark.display_name, "Odd logon");
/// assert!(Bookmark::default().display_name("No query").validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bookmark {
    /// The bookmark's ARM name (a GUID); chosen when created unless set.
    pub name: Option<String>,
    /// `displayName`.
    pub display_name: String,
    /// `query`: the KQL that found the event.
    pub query: String,
    /// `queryResult`: the result row, as text (usually JSON).
    pub query_result: Option<String>,
    /// `notes`.
    pub notes: Option<String>,
    /// `labels`.
    pub labels: Vec<String>,
    /// `eventTime`: when the bookmarked event happened.
    pub event_time: Option<DateTime<Utc>>,
    /// `created` (from Sentinel).
    pub created: Option<DateTime<Utc>>,
    /// Who created it (from Sentinel).
    pub created_by: Option<String>,
    /// `updated` (from Sentinel).
    pub updated: Option<DateTime<Utc>>,
}

impl Bookmark {
    /// Sets the ARM name (GUID) to create the bookmark under.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the display name (required).
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = display_name.into();
        self
    }

    /// Sets the query (required).
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// Sets the query result (a result row as text).
    pub fn query_result(mut self, result: impl Into<String>) -> Self {
        self.query_result = Some(result.into());
        self
    }

    /// Sets the notes.
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = Some(notes.into());
        self
    }

    /// Sets the labels.
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Sets when the bookmarked event happened.
    pub fn event_time(mut self, time: DateTime<Utc>) -> Self {
        self.event_time = Some(time);
        self
    }

    /// Checks that the display name and query are set.
    pub fn validate(&self) -> Result<()> {
        if self.display_name.trim().is_empty() {
            return Err(Error::invalid("bookmark", "the display name is empty: set .display_name(…)"));
        }
        if self.query.trim().is_empty() {
            return Err(Error::invalid("bookmark", "the query is empty: set .query(…)"));
        }
        Ok(())
    }

    /// A bookmark from its ARM JSON (`{name, properties: {displayName, query, …}}`).
    pub fn from_arm(value: &Value) -> Result<Bookmark> {
        let p = properties(value, "bookmark")?;
        Ok(Bookmark {
            name: text(value, "name"),
            display_name: text(p, "displayName").unwrap_or_default(),
            query: text(p, "query").unwrap_or_default(),
            query_result: text(p, "queryResult"),
            notes: text(p, "notes"),
            labels: strings(p.get("labels")),
            event_time: time(p, "eventTime"),
            created: time(p, "created"),
            created_by: p.get("createdBy").and_then(user_name),
            updated: time(p, "updated"),
        })
    }

    fn to_arm(&self) -> Value {
        let mut properties = json!({ "displayName": self.display_name, "query": self.query, "labels": self.labels });
        let optional = [
            ("queryResult", self.query_result.clone()),
            ("notes", self.notes.clone()),
            ("eventTime", self.event_time.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                properties[key] = Value::String(value);
            }
        }
        json!({ "properties": properties })
    }
}

// ---------------------------------------------------------------------------------------------
// ARM JSON → model
// ---------------------------------------------------------------------------------------------

/// A string field (numbers and booleans rendered; empty strings are `None`).
fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn integer(value: &Value, key: &str) -> Option<i64> {
    match value.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn time(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    value.get(key)?.as_str().and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok()).map(|t| t.with_timezone(&Utc))
}

/// A list of strings (a JSON array of strings, or one string).
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The array at `key` (empty when missing).
fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// The `properties` object of an ARM resource, or an error naming `what`.
fn properties<'a>(value: &'a Value, what: &str) -> Result<&'a Value> {
    value.get("properties").filter(|p| p.is_object()).ok_or_else(|| {
        let name = text(value, "name").unwrap_or_else(|| "(no name)".into());
        Error::invalid(format!("{what} JSON"), format!("'{name}' has no 'properties' object"))
    })
}

/// `labelName`s of a `labels` array.
fn label_names(labels: Option<&Value>) -> Vec<String> {
    labels.and_then(Value::as_array).map(|items| items.iter().filter_map(|l| text(l, "labelName")).collect()).unwrap_or_default()
}

/// The best name of an ARM user object (`name`, `userPrincipalName`, `email`, `objectId`).
fn user_name(user: &Value) -> Option<String> {
    ["name", "assignedTo", "userPrincipalName", "email", "objectId"].iter().find_map(|k| text(user, k))
}

impl Owner {
    /// An owner from ARM's `owner` object (`objectId`, `email`, `assignedTo`,
    /// `userPrincipalName`); `None` when it names nobody.
    pub fn from_arm(value: &Value) -> Option<Owner> {
        let owner = Owner {
            object_id: text(value, "objectId"),
            email: text(value, "email"),
            assigned_to: text(value, "assignedTo"),
            user_principal_name: text(value, "userPrincipalName"),
        };
        (owner != Owner::default()).then_some(owner)
    }
}

impl Comment {
    /// A comment from its ARM JSON (`{name, properties: {message, createdTimeUtc, author}}`).
    pub fn from_arm(value: &Value) -> Result<Comment> {
        let p = properties(value, "incident comment")?;
        Ok(Comment {
            name: text(value, "name").unwrap_or_default(),
            message: text(p, "message").unwrap_or_default(),
            author: p.get("author").and_then(user_name),
            created: time(p, "createdTimeUtc"),
        })
    }
}

impl Alert {
    /// An alert from the JSON of `POST …/incidents/{id}/alerts` (kind `SecurityAlert`,
    /// properties `alertDisplayName`, `systemAlertId`, `severity`, `startTimeUtc`…).
    pub fn from_arm(value: &Value) -> Result<Alert> {
        let p = properties(value, "incident alert")?;
        let id = text(p, "systemAlertId").or_else(|| text(value, "name")).unwrap_or_default();
        let name = text(p, "alertDisplayName").or_else(|| text(p, "friendlyName")).unwrap_or_default();
        let mut alert = Alert::new(&id, &name, text(p, "severity").map(|s| Severity::parse(&s)).unwrap_or(Severity::Unknown));
        alert.alert_type = text(p, "alertType");
        alert.description = text(p, "description");
        alert.status = text(p, "status");
        alert.product_name = text(p, "productName");
        alert.vendor_name = text(p, "vendorName");
        alert.provider_name = text(p, "productComponentName");
        alert.provider_alert_id = text(p, "providerAlertId");
        alert.time_generated = time(p, "timeGenerated");
        alert.start = time(p, "startTimeUtc");
        alert.end = time(p, "endTimeUtc");
        alert.compromised_entity = text(p, "compromisedEntity");
        alert.tactics = strings(p.get("tactics"));
        alert.techniques = strings(p.get("techniques"));
        alert.remediation_steps = strings(p.get("remediationSteps"));
        alert.link = text(p, "alertLink");
        alert.extended_properties = p.get("additionalData").and_then(Value::as_object).cloned().unwrap_or_default();
        Ok(alert)
    }
}

impl Incident {
    /// An incident from its ARM JSON (`{id, name, etag, properties: {title, severity, status,
    /// incidentNumber, owner, labels, additionalData, …}}`); alerts, entities and comments stay
    /// empty. An undocumented status is an error naming the incident.
    pub fn from_arm(value: &Value) -> Result<Incident> {
        let p = properties(value, "incident")?;
        let name = text(value, "name").unwrap_or_default();
        let status = IncidentStatus::parse(&text(p, "status").unwrap_or_default())
            .map_err(|e| Error::invalid(format!("incident '{name}'"), e.to_string()))?;
        let severity = text(p, "severity").map(|s| Severity::parse(&s)).unwrap_or(Severity::Unknown);
        let mut incident = Incident::new(&name, &text(p, "title").unwrap_or_default(), severity, status);
        let extra = p.get("additionalData").cloned().unwrap_or(Value::Null);
        incident.id = text(value, "id").unwrap_or_default();
        incident.etag = text(value, "etag");
        incident.number = integer(p, "incidentNumber");
        incident.description = text(p, "description");
        incident.classification = text(p, "classification");
        incident.classification_reason = text(p, "classificationReason");
        incident.classification_comment = text(p, "classificationComment");
        incident.owner = p.get("owner").and_then(Owner::from_arm);
        incident.labels = label_names(p.get("labels"));
        incident.created = time(p, "createdTimeUtc");
        incident.first_activity = time(p, "firstActivityTimeUtc");
        incident.last_activity = time(p, "lastActivityTimeUtc");
        incident.last_modified = time(p, "lastModifiedTimeUtc");
        incident.url = text(p, "incidentUrl");
        incident.tactics = strings(extra.get("tactics"));
        incident.product_names = strings(extra.get("alertProductNames"));
        incident.alert_count = integer(&extra, "alertsCount");
        incident.comment_count = integer(&extra, "commentsCount");
        Ok(incident)
    }
}

// ---------------------------------------------------------------------------------------------
// ARM entities → MSTICPy entities
// ---------------------------------------------------------------------------------------------

/// ARM property → MSTICPy property, per entity kind (properties not listed keep their name with
/// a capital first letter).
fn property_map(kind: EntityKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        EntityKind::Account => &[
            ("accountName", "Name"), ("ntDomain", "NTDomain"), ("upnSuffix", "UPNSuffix"), ("aadTenantId", "AadTenantId"),
            ("aadUserId", "AadUserId"), ("sid", "Sid"), ("puid", "PUID"), ("isDomainJoined", "IsDomainJoined"),
            ("displayName", "DisplayName"), ("objectGuid", "ObjectGuid"), ("dnsDomain", "DnsDomain"), ("hostEntityId", "Host"),
        ],
        EntityKind::Host => &[
            ("hostName", "HostName"), ("dnsDomain", "DnsDomain"), ("ntDomain", "NTDomain"), ("netBiosName", "NetBiosName"),
            ("azureID", "AzureID"), ("omsAgentID", "OMSAgentID"), ("osFamily", "OSFamily"), ("osVersion", "OSVersion"),
            ("isDomainJoined", "IsDomainJoined"),
        ],
        EntityKind::IpAddress => &[("address", "Address"), ("location", "Location")],
        EntityKind::Url => &[("url", "Url")],
        EntityKind::FileHash => &[("algorithm", "Algorithm"), ("hashValue", "Value")],
        EntityKind::File => &[("fileName", "Name"), ("directory", "Directory"), ("fileHashEntityIds", "FileHashes"), ("hostEntityId", "Host")],
        EntityKind::Process => &[
            ("processId", "ProcessId"), ("commandLine", "CommandLine"), ("elevationToken", "ElevationToken"),
            ("creationTimeUtc", "CreationTimeUtc"), ("imageFileEntityId", "ImageFile"), ("accountEntityId", "Account"),
            ("parentProcessEntityId", "ParentProcess"), ("hostEntityId", "Host"), ("hostLogonSessionEntityId", "LogonSession"),
        ],
        EntityKind::AzureResource => &[("resourceId", "ResourceId")],
        EntityKind::Dns => &[
            ("domainName", "DomainName"), ("ipAddressEntityIds", "IpAddresses"), ("dnsServerIpEntityId", "DnsServerIp"),
            ("hostIpAddressEntityId", "HostIpAddress"),
        ],
        EntityKind::Alert => &[("alertDisplayName", "AlertDisplayName"), ("systemAlertId", "SystemAlertIds")],
        _ => &[],
    }
}

/// ARM's entity `kind` as one of ours (`Ip` → IpAddress, `DnsResolution` → Dns…; others Unknown).
fn arm_kind(kind: &str) -> EntityKind {
    match kind.to_ascii_lowercase().as_str() {
        "dnsresolution" => EntityKind::Dns,
        "location" | "geolocation" => EntityKind::Unknown,
        other => EntityKind::from_json_type(other),
    }
}

/// `accountName` → `AccountName`; `hostEntityId` → `Host`.
fn pascal_name(key: &str) -> String {
    let base = key.strip_suffix("EntityIds").or_else(|| key.strip_suffix("EntityId")).unwrap_or(key);
    let mut chars = base.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Entities from ARM's incident entity JSON (`{id, name, kind, properties: {…camelCase}}`) with
/// MSTICPy kinds and property names; `…EntityId(s)` references to other entities of the list
/// become nested entities. Unknown kinds are kept as [`EntityKind::Unknown`] with their `Type`
/// and properties.
///
/// # Example
/// ```
/// use mstic_pivot::EntityKind;
/// use mstic_triage::sentinel::entities_from_arm;
/// let items = serde_json::json!([
///     {"id": "h1", "kind": "Host", "properties": {"hostName": "soc-vm01", "dnsDomain": "contoso.local"}},
///     {"id": "p1", "kind": "Process", "properties": {"commandLine": "powershell -enc ...", "hostEntityId": "h1"}},
///     {"id": "c1", "kind": "CloudApplication", "properties": {"appId": 20893, "friendlyName": "Office 365"}},
/// ]);
/// let entities = entities_from_arm(items.as_array().unwrap());
/// assert_eq!(entities[0].get_str("HostName").as_deref(), Some("soc-vm01"));
/// assert_eq!(entities[1].get_entity("Host").and_then(|h| h.get_str("HostName")).as_deref(), Some("soc-vm01"));
/// assert_eq!(entities[2].kind(), EntityKind::Unknown);
/// assert_eq!(entities[2].get_str("Type").as_deref(), Some("CloudApplication"));
/// assert_eq!(entities[2].get_str("Name").as_deref(), Some("Office 365"));
/// ```
pub fn entities_from_arm(items: &[Value]) -> Vec<Entity> {
    let plain: Vec<Entity> = items.iter().map(|item| entity_from_arm(item, &HashMap::new())).collect();
    let mut by_id: HashMap<String, Value> = HashMap::new();
    for (item, entity) in items.iter().zip(&plain) {
        for key in ["id", "name"] {
            if let Some(id) = text(item, key) {
                by_id.entry(id).or_insert_with(|| entity.to_json());
            }
        }
    }
    items.iter().map(|item| entity_from_arm(item, &by_id)).collect()
}

/// One ARM entity; references are resolved through `by_id` (entity id → entity JSON).
fn entity_from_arm(item: &Value, by_id: &HashMap<String, Value>) -> Entity {
    let kind_name = text(item, "kind").unwrap_or_else(|| "Unknown".into());
    let kind = arm_kind(&kind_name);
    let mut entity = Entity::new(kind);
    if kind == EntityKind::Unknown {
        entity.set("Type", kind_name.clone());
    }
    let map = property_map(kind);
    let empty = Map::new();
    let props = item.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    for (key, value) in props {
        if key == "friendlyName" && kind != EntityKind::Unknown {
            continue;
        }
        let name = map.iter().find(|(arm, _)| arm == key).map(|(_, ours)| ours.to_string()).unwrap_or_else(|| match key.as_str() {
            "friendlyName" => "Name".to_string(),
            _ => pascal_name(key),
        });
        if entity.properties().contains_key(&name) {
            continue;
        }
        entity.set(&name, converted_value(key, value, by_id));
    }
    finish_entity(kind, &mut entity);
    entity
}

/// A property value: references resolved, `location` as a GeoLocation, others as given.
fn converted_value(key: &str, value: &Value, by_id: &HashMap<String, Value>) -> Value {
    let lookup = |id: &Value| id.as_str().and_then(|id| by_id.get(id).or_else(|| by_id.iter().find(|(k, _)| k.ends_with(&format!("/{id}"))).map(|(_, v)| v))).cloned();
    if key.ends_with("EntityId") {
        return lookup(value).unwrap_or_else(|| value.clone());
    }
    if key.ends_with("EntityIds") {
        return match value {
            Value::Array(ids) => Value::Array(ids.iter().map(|id| lookup(id).unwrap_or_else(|| id.clone())).collect()),
            other => other.clone(),
        };
    }
    if key == "location" && value.is_object() {
        return geolocation(value);
    }
    value.clone()
}

/// ARM's `location` object as a GeoLocation entity's JSON.
fn geolocation(value: &Value) -> Value {
    let pairs = [
        ("countryCode", "CountryCode"), ("countryName", "CountryOrRegionName"), ("state", "State"), ("city", "City"),
        ("longitude", "Longitude"), ("latitude", "Latitude"), ("asn", "Asn"),
    ];
    let mut location = Entity::new(EntityKind::GeoLocation);
    for (arm, ours) in pairs {
        if let Some(v) = value.get(arm) {
            location.set(ours, v.clone());
        }
    }
    location.to_json()
}

/// Derived properties: a File's `FullPath`; an Unknown entity's `Name` from its friendly name.
fn finish_entity(kind: EntityKind, entity: &mut Entity) {
    if kind == EntityKind::File
        && let (Some(directory), Some(name)) = (entity.properties().get("Directory").and_then(Value::as_str), entity.properties().get("Name").and_then(Value::as_str))
    {
        let separator = if directory.contains('\\') { '\\' } else { '/' };
        let full = format!("{}{separator}{name}", directory.trim_end_matches(['\\', '/']));
        entity.set("FullPath", full);
    }
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/// One typed column of a table being built.
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Time(Vec<Option<DateTime<Utc>>>),
}

impl Column {
    fn into_array(self) -> ArrayRef {
        match self {
            Column::Text(values) => Arc::new(StringArray::from(values)),
            Column::Int(values) => Arc::new(Int64Array::from(values)),
            Column::Bool(values) => Arc::new(BooleanArray::from(values)),
            Column::Time(values) => {
                Arc::new(TimestampNanosecondArray::from(values.into_iter().map(|t| t.and_then(|t| t.timestamp_nanos_opt())).collect::<Vec<_>>()).with_timezone("UTC"))
            }
        }
    }
}

fn table(columns: Vec<(&str, Column)>) -> Result<Frame> {
    Frame::from_columns(columns.into_iter().map(|(name, column)| (name.to_string(), column.into_array())).collect())
}

/// A text column from `rows`.
fn texts<T>(rows: &[T], f: impl Fn(&T) -> Option<String>) -> Column {
    Column::Text(rows.iter().map(f).collect())
}

fn times<T>(rows: &[T], f: impl Fn(&T) -> Option<DateTime<Utc>>) -> Column {
    Column::Time(rows.iter().map(f).collect())
}

fn joined(values: &[String]) -> Option<String> {
    (!values.is_empty()).then(|| values.join(", "))
}

/// Incidents as a table with `SecurityIncident`'s column names (see
/// [`SentinelApi::incidents_frame`]).
///
/// # Example
/// ```
/// use mstic_triage::model::{Incident, IncidentStatus, Severity};
/// use mstic_triage::sentinel::incidents_to_frame;
/// let mut incident = Incident::new("6d8a3c1e", "Odd logon", Severity::High, IncidentStatus::New);
/// incident.number = Some(7);
/// let frame = incidents_to_frame(&[incident])?;
/// assert_eq!(frame.value::<i64>(0, "IncidentNumber")?, Some(7));
/// assert_eq!(frame.value::<String>(0, "Severity")?.as_deref(), Some("High"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn incidents_to_frame(incidents: &[Incident]) -> Result<Frame> {
    table(vec![
        ("IncidentNumber", Column::Int(incidents.iter().map(|i| i.number).collect())),
        ("Title", texts(incidents, |i| Some(i.title.clone()))),
        ("Severity", texts(incidents, |i| Some(i.severity.to_string()))),
        ("Status", texts(incidents, |i| Some(i.status.to_string()))),
        ("Classification", texts(incidents, |i| i.classification.clone())),
        ("Owner", texts(incidents, |i| i.owner.as_ref().and_then(|o| o.display_name().map(str::to_string)))),
        ("CreatedTime", times(incidents, |i| i.created)),
        ("FirstActivityTime", times(incidents, |i| i.first_activity)),
        ("LastActivityTime", times(incidents, |i| i.last_activity)),
        ("LastModifiedTime", times(incidents, |i| i.last_modified)),
        ("AlertCount", Column::Int(incidents.iter().map(|i| i.alert_count).collect())),
        ("Tactics", texts(incidents, |i| joined(&i.tactics))),
        ("Labels", texts(incidents, |i| joined(&i.labels))),
        ("ProviderNames", texts(incidents, |i| joined(&i.product_names))),
        ("IncidentName", texts(incidents, |i| Some(i.name.clone()))),
        ("IncidentUrl", texts(incidents, |i| i.url.clone())),
    ])
}

fn bookmarks_to_frame(bookmarks: &[Bookmark]) -> Result<Frame> {
    table(vec![
        ("BookmarkId", texts(bookmarks, |b| b.name.clone())),
        ("BookmarkName", texts(bookmarks, |b| Some(b.display_name.clone()))),
        ("QueryText", texts(bookmarks, |b| Some(b.query.clone()))),
        ("QueryResultRow", texts(bookmarks, |b| b.query_result.clone())),
        ("Notes", texts(bookmarks, |b| b.notes.clone())),
        ("Tags", texts(bookmarks, |b| joined(&b.labels))),
        ("EventTime", times(bookmarks, |b| b.event_time)),
        ("CreatedTime", times(bookmarks, |b| b.created)),
        ("CreatedBy", texts(bookmarks, |b| b.created_by.clone())),
        ("LastUpdatedTime", times(bookmarks, |b| b.updated)),
    ])
}

/// A property of an ARM resource's `properties`.
fn prop(value: &Value, key: &str) -> Option<String> {
    value.get("properties").and_then(|p| text(p, key))
}

fn prop_time(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    value.get("properties").and_then(|p| time(p, key))
}

fn rules_to_frame(rules: &[Value]) -> Result<Frame> {
    table(vec![
        ("RuleName", texts(rules, |r| text(r, "name"))),
        ("DisplayName", texts(rules, |r| prop(r, "displayName"))),
        ("Kind", texts(rules, |r| text(r, "kind"))),
        ("Enabled", Column::Bool(rules.iter().map(|r| r.get("properties").and_then(|p| p.get("enabled")).and_then(Value::as_bool)).collect())),
        ("Severity", texts(rules, |r| prop(r, "severity"))),
        ("Tactics", texts(rules, |r| joined(&strings(r.get("properties").and_then(|p| p.get("tactics")))))),
        ("LastModifiedTime", times(rules, |r| prop_time(r, "lastModifiedUtc"))),
    ])
}

fn watchlists_to_frame(lists: &[Value]) -> Result<Frame> {
    table(vec![
        ("WatchlistAlias", texts(lists, |w| prop(w, "watchlistAlias").or_else(|| text(w, "name")))),
        ("DisplayName", texts(lists, |w| prop(w, "displayName"))),
        ("Provider", texts(lists, |w| prop(w, "provider"))),
        ("Source", texts(lists, |w| prop(w, "source"))),
        ("ItemsSearchKey", texts(lists, |w| prop(w, "itemsSearchKey"))),
        ("Description", texts(lists, |w| prop(w, "description"))),
        ("CreatedTime", times(lists, |w| prop_time(w, "created"))),
        ("LastUpdatedTime", times(lists, |w| prop_time(w, "updated"))),
    ])
}

fn watchlist_items_to_frame(items: &[Value]) -> Result<Frame> {
    let rows: Vec<&Map<String, Value>> =
        items.iter().filter_map(|i| i.get("properties").and_then(|p| p.get("itemsKeyValue")).and_then(Value::as_object)).collect();
    let mut keys: Vec<&str> = Vec::new();
    for row in &rows {
        for key in row.keys() {
            if !keys.contains(&key.as_str()) {
                keys.push(key);
            }
        }
    }
    let cell = |row: &Map<String, Value>, key: &str| match row.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    table(keys.iter().map(|key| (*key, Column::Text(rows.iter().map(|row| cell(row, key)).collect()))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_use_the_chosen_time_property_and_orderby() {
        let start = DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let end = DateTime::parse_from_rfc3339("2024-05-02T12:30:00Z").unwrap().with_timezone(&Utc);
        let filter = IncidentFilter::default().between(start, end).time_property(IncidentTime::LastModified).top(3);
        assert_eq!(
            filter.query(),
            vec![
                ("$filter", "properties/lastModifiedTimeUtc ge 2024-05-01T00:00:00Z and properties/lastModifiedTimeUtc le 2024-05-02T12:30:00Z".to_string()),
                ("$orderby", "properties/createdTimeUtc desc".to_string()),
                ("$top", "3".to_string()),
            ]
        );
        assert_eq!(IncidentFilter::default().odata_filter(), None);
        assert_eq!(IncidentFilter::default().number(9).odata_filter().as_deref(), Some("properties/incidentNumber eq 9"));
    }

    #[test]
    fn updates_merge_labels_and_keep_only_writable_properties() {
        let current = json!({"etag": "\"0300bf09\"", "properties": {
            "title": "T", "status": "New", "severity": "High", "incidentNumber": 5, "additionalData": {"alertsCount": 2},
            "labels": [{"labelName": "tor", "labelType": "User"}]}});
        let body = IncidentUpdate::default().status(IncidentStatus::Active).owner("ann@contoso.com").add_labels(["tor", "vip"]).request_body(&current);
        assert_eq!(body["etag"], "\"0300bf09\"");
        let p = &body["properties"];
        assert_eq!(p["status"], "Active");
        assert_eq!(p["title"], "T");
        assert_eq!(p["owner"], json!({"userPrincipalName": "ann@contoso.com"}));
        assert_eq!(label_names(p.get("labels")), vec!["tor", "vip"]);
        assert!(p.get("incidentNumber").is_none() && p.get("additionalData").is_none());
        let body = IncidentUpdate::default().status(IncidentStatus::Closed).classification("falsepositive", "inaccuratedata").request_body(&current);
        assert_eq!((body["properties"]["classification"].as_str(), body["properties"]["classificationReason"].as_str()), (Some("FalsePositive"), Some("InaccurateData")));
    }

    #[test]
    fn classifications_and_reasons_are_checked() {
        let closing = |c: &str, r: &str| IncidentUpdate::default().status(IncidentStatus::Closed).classification(c, r).validate();
        assert!(closing("TruePositive", "SuspiciousActivity").is_ok());
        assert!(closing("Undetermined", "").is_ok());
        let swapped = closing("SuspiciousActivity", "TruePositive").unwrap_err().to_string();
        assert!(swapped.contains("'SuspiciousActivity' is not one of TruePositive"), "{swapped}");
        let wrong_reason = closing("BenignPositive", "InaccurateData").unwrap_err().to_string();
        assert!(wrong_reason.contains("not a reason for BenignPositive"), "{wrong_reason}");
        assert!(IncidentUpdate::default().validate().unwrap_err().to_string().contains("changes nothing"));
    }

    #[test]
    fn path_segments_are_checked() {
        assert_eq!(checked_segment("incident id", " 6d8a3c1e-4b1f ").unwrap(), "6d8a3c1e-4b1f");
        assert!(checked_segment("incident id", "../../x").unwrap_err().to_string().contains("incident id"));
        assert!(checked_segment("watchlist alias", "a b").is_err());
    }

    #[test]
    fn file_entities_get_a_full_path_and_hash_references() {
        let items = json!([
            {"id": "/x/entities/f1", "name": "f1", "kind": "File", "properties": {"fileName": "run.ps1", "directory": "C:\\Temp\\", "fileHashEntityIds": ["h1"]}},
            {"id": "/x/entities/h1", "name": "h1", "kind": "FileHash", "properties": {"algorithm": "SHA256", "hashValue": "ab12"}},
        ]);
        let entities = entities_from_arm(items.as_array().unwrap());
        assert_eq!(entities[0].get_str("FullPath").as_deref(), Some("C:\\Temp\\run.ps1"));
        assert_eq!(entities[0].get("FileHashes").unwrap()[0]["Value"], "ab12");
        assert_eq!(entities[1].get_str("Algorithm").as_deref(), Some("SHA256"));
    }
}
