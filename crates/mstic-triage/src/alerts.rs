//! Alerts from `SecurityAlert` rows: a [`Frame`] from Log Analytics (or a CSV export) becomes
//! [`Alert`]s with their entities (`$ref` links resolved), tactics, techniques, remediation steps
//! and extended properties — and back to a table with [`alerts_frame`]. Sentinel's management API
//! lists an incident's alerts without their entities; [`Incident::add_alert_entities`] reads them
//! from the workspace's `SecurityAlert` rows.
//!
//! Column names are Sentinel's (`SystemAlertId`, `AlertName`, `AlertSeverity`, `StartTime`…), with
//! the older names of exported data accepted too (`AlertDisplayName`, `Severity`,
//! `ProviderAlertId`, `StartTimeUtc`, `EndTimeUtc`). A JSON cell that does not parse is an error
//! naming the row, the alert and the column — never silently dropped.

use crate::model::{Alert, Incident, Severity};
use arrow::array::{ArrayRef, StringArray, TimestampNanosecondArray};
use arrow::datatypes::DataType;
use chrono::{DateTime, NaiveDateTime, Utc};
use mstic_core::{Error, Frame, Result};
use mstic_data::provider::QueryProvider;
use mstic_pivot::entity::{Entity, EntityKind, entities_from_json};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The workspace query that reads one alert by its `SystemAlertId`, in its latest state.
pub const GET_ALERT_QUERY: &str = "SecurityAlert.get_alert";

impl Incident {
    /// Gives each of the incident's alerts that lists no entities the entities of its
    /// `SecurityAlert` row in the workspace `provider` queries (and the extended properties the
    /// alert lacks) — one
    /// [`GET_ALERT_QUERY`] per alert — so the entity graph links alerts to their entities.
    /// Returns how many alerts got entities; an alert the workspace does not hold keeps none, and
    /// a failing query is an error naming the alert.
    ///
    /// # Example
    /// ```
    /// use mstic_data::provider::QueryProvider;
    /// use mstic_demo::DemoServer;
    /// use mstic_triage::sentinel::SentinelApi;
    /// let _demo = DemoServer::start()?;
    /// let mut incident = SentinelApi::new("Default")?.incident(1042)?;
    /// assert!(incident.alerts.iter().all(|alert| alert.entities.is_empty()));
    /// let mut workspace = QueryProvider::new("MSSentinel")?;
    /// workspace.connect()?;
    /// assert_eq!(incident.add_alert_entities(&workspace)?, 3);
    /// assert!(incident.alerts.iter().all(|alert| !alert.entities.is_empty()));
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn add_alert_entities(&mut self, provider: &QueryProvider) -> Result<usize> {
        let mut added = 0;
        for alert in self.alerts.iter_mut().filter(|a| a.entities.is_empty() && !a.system_alert_id.is_empty()) {
            let id = alert.system_alert_id.clone();
            let in_context = |e: Error| {
                if e.is_interrupted() { e } else { Error::Other(format!("reading alert '{}' ({id}) from the workspace: {e}", alert.name)) }
            };
            let rows = provider.query(GET_ALERT_QUERY).param("system_alert_id", id.as_str()).run().map_err(in_context)?;
            let Some(found) = alerts_from_frame(&rows).map_err(in_context)?.into_iter().find(|a| a.system_alert_id.eq_ignore_ascii_case(&id)) else {
                continue;
            };
            if found.entities.is_empty() {
                continue;
            }
            alert.entities = found.entities;
            for (key, value) in found.extended_properties {
                alert.extended_properties.entry(key).or_insert(value);
            }
            added += 1;
        }
        Ok(added)
    }
}

/// The columns each alert field is read from, in order of preference.
mod columns {
    pub const ID: &[&str] = &["SystemAlertId"];
    pub const NAME: &[&str] = &["AlertName", "DisplayName", "AlertDisplayName"];
    pub const TYPE: &[&str] = &["AlertType"];
    pub const DESCRIPTION: &[&str] = &["Description"];
    pub const SEVERITY: &[&str] = &["AlertSeverity", "Severity"];
    pub const STATUS: &[&str] = &["Status"];
    pub const PRODUCT: &[&str] = &["ProductName"];
    pub const VENDOR: &[&str] = &["VendorName"];
    pub const PROVIDER: &[&str] = &["ProviderName"];
    pub const PROVIDER_ID: &[&str] = &["VendorOriginalId", "ProviderAlertId"];
    pub const TIME: &[&str] = &["TimeGenerated"];
    pub const START: &[&str] = &["StartTime", "StartTimeUtc"];
    pub const END: &[&str] = &["EndTime", "EndTimeUtc"];
    pub const COMPROMISED: &[&str] = &["CompromisedEntity"];
    pub const TACTICS: &[&str] = &["Tactics"];
    pub const TECHNIQUES: &[&str] = &["Techniques"];
    pub const REMEDIATION: &[&str] = &["RemediationSteps"];
    pub const LINK: &[&str] = &["AlertLink"];
    pub const ENTITIES: &[&str] = &["Entities"];
    pub const EXTENDED: &[&str] = &["ExtendedProperties"];
}

/// Every alert of a `SecurityAlert` table, in row order.
///
/// The table needs `SystemAlertId` and a name column (`AlertName`, `DisplayName` or
/// `AlertDisplayName`); every other column is optional. A malformed JSON cell (`Entities`,
/// `ExtendedProperties`, `Techniques`, `RemediationSteps`) is an error naming the row (0-based),
/// the alert's `SystemAlertId`, the column and what the JSON parser said.
///
/// # Example
/// ```
/// use mstic_core::Frame;
/// use mstic_pivot::EntityKind;
/// use mstic_triage::alerts::alerts_from_frame;
/// use mstic_triage::model::Severity;
/// let rows = Frame::from_string_rows(
///     &["SystemAlertId", "AlertName", "AlertSeverity", "Tactics", "Entities"],
///     &[vec![Some("a1"), Some("Suspicious logon"), Some("High"), Some("InitialAccess, Persistence"),
///            Some(r#"[{"$id": "2", "Type": "host", "HostName": "ws1"},
///                     {"Type": "account", "Name": "ann", "Host": {"$ref": "2"}}]"#)]],
/// )?;
/// let alerts = alerts_from_frame(&rows)?;
/// assert_eq!(alerts[0].severity, Severity::High);
/// assert_eq!(alerts[0].tactics, ["InitialAccess", "Persistence"]);
/// assert_eq!(alerts[0].entities_of(EntityKind::Account)[0].get_str("Host").as_deref(), Some("ws1"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn alerts_from_frame(frame: &Frame) -> Result<Vec<Alert>> {
    AlertColumns::read(frame, 0)?.alerts()
}

impl Alert {
    /// The alert in row `row` (0-based) of a `SecurityAlert` table; see [`alerts_from_frame`] for
    /// the columns read and the errors.
    ///
    /// # Example
    /// ```
    /// use mstic_core::Frame;
    /// use mstic_triage::model::Alert;
    /// let rows = Frame::from_string_rows(&["SystemAlertId", "AlertName"],
    ///     &[vec![Some("a1"), Some("First")], vec![Some("a2"), Some("Second")]])?;
    /// assert_eq!(Alert::from_frame_row(&rows, 1)?.name, "Second");
    /// assert!(Alert::from_frame_row(&rows, 2).is_err());
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn from_frame_row(frame: &Frame, row: usize) -> Result<Alert> {
        if row >= frame.len() {
            return Err(Error::invalid("row", format!("row {row} is past the end of a table of {} alerts", frame.len())));
        }
        let mut alerts = AlertColumns::read(&frame.slice(row, 1), row)?.alerts()?;
        alerts.pop().ok_or_else(|| Error::invalid("row", format!("row {row} could not be read")))
    }

    /// The alert's entities of `kind`, in the order the alert lists them.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::{Entity, EntityKind};
    /// use mstic_triage::model::{Alert, Severity};
    /// let mut alert = Alert::new("a1", "Logon", Severity::Low);
    /// alert.entities = vec![Entity::from_value(EntityKind::Host, "ws1"), Entity::from_value(EntityKind::Account, "ann")];
    /// assert_eq!(alert.entities_of(EntityKind::Host).len(), 1);
    /// assert!(alert.entities_of(EntityKind::Url).is_empty());
    /// ```
    pub fn entities_of(&self, kind: EntityKind) -> Vec<&Entity> {
        self.entities.iter().filter(|e| e.kind() == kind).collect()
    }

    /// The alert's entities grouped by kind (kinds in name order, entities in alert order).
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::{Entity, EntityKind};
    /// use mstic_triage::model::{Alert, Severity};
    /// let mut alert = Alert::new("a1", "Logon", Severity::Low);
    /// alert.entities = vec![Entity::from_value(EntityKind::Host, "ws1"), Entity::from_value(EntityKind::Host, "ws2")];
    /// assert_eq!(alert.entities_by_kind()[&EntityKind::Host].len(), 2);
    /// ```
    pub fn entities_by_kind(&self) -> BTreeMap<EntityKind, Vec<&Entity>> {
        entities_by_kind(&self.entities)
    }
}

/// `entities` grouped by kind (kinds in name order, entities in their original order).
///
/// # Example
/// ```
/// use mstic_pivot::{Entity, EntityKind};
/// use mstic_triage::alerts::entities_by_kind;
/// let entities = [Entity::from_value(EntityKind::IpAddress, "10.0.0.1"), Entity::from_value(EntityKind::Host, "ws1")];
/// let groups = entities_by_kind(&entities);
/// assert_eq!(groups.keys().copied().collect::<Vec<_>>(), [EntityKind::Host, EntityKind::IpAddress]);
/// ```
pub fn entities_by_kind(entities: &[Entity]) -> BTreeMap<EntityKind, Vec<&Entity>> {
    let mut groups: BTreeMap<EntityKind, Vec<&Entity>> = BTreeMap::new();
    for entity in entities {
        groups.entry(entity.kind()).or_default().push(entity);
    }
    groups
}

/// Alerts as a `SecurityAlert`-style table: Sentinel's column names, times as UTC timestamps,
/// `Tactics` comma-separated, and `Techniques`, `RemediationSteps`, `Entities` and
/// `ExtendedProperties` as JSON text — so [`alerts_from_frame`] reads it back unchanged.
///
/// # Example
/// ```
/// use mstic_triage::alerts::{alerts_frame, alerts_from_frame};
/// use mstic_triage::model::{Alert, Severity};
/// let mut alert = Alert::new("a1", "Mimikatz", Severity::High);
/// alert.techniques = vec!["T1003".into()];
/// let table = alerts_frame(&[alert.clone()])?;
/// assert_eq!(table.value::<String>(0, "Techniques")?.as_deref(), Some(r#"["T1003"]"#));
/// assert_eq!(alerts_from_frame(&table)?, vec![alert]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn alerts_frame(alerts: &[Alert]) -> Result<Frame> {
    let text = |f: &dyn Fn(&Alert) -> Option<String>| -> ArrayRef { Arc::new(alerts.iter().map(f).collect::<StringArray>()) };
    let time = |f: &dyn Fn(&Alert) -> Option<DateTime<Utc>>| -> Result<ArrayRef> {
        let nanos: Result<Vec<Option<i64>>> = alerts
            .iter()
            .map(|a| {
                f(a).map(|t| t.timestamp_nanos_opt().ok_or_else(|| Error::invalid("alert time", format!("{t} is out of the nanosecond range"))))
                    .transpose()
            })
            .collect();
        Ok(Arc::new(TimestampNanosecondArray::from(nanos?).with_timezone("UTC")))
    };
    let json_list = |items: &[String]| (!items.is_empty()).then(|| Value::from(items.to_vec()).to_string());
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("SystemAlertId", text(&|a| Some(a.system_alert_id.clone()))),
        ("AlertName", text(&|a| Some(a.name.clone()))),
        ("AlertType", text(&|a| a.alert_type.clone())),
        ("Description", text(&|a| a.description.clone())),
        ("AlertSeverity", text(&|a| Some(a.severity.as_str().to_string()))),
        ("Status", text(&|a| a.status.clone())),
        ("ProductName", text(&|a| a.product_name.clone())),
        ("VendorName", text(&|a| a.vendor_name.clone())),
        ("ProviderName", text(&|a| a.provider_name.clone())),
        ("VendorOriginalId", text(&|a| a.provider_alert_id.clone())),
        ("TimeGenerated", time(&|a| a.time_generated)?),
        ("StartTime", time(&|a| a.start)?),
        ("EndTime", time(&|a| a.end)?),
        ("CompromisedEntity", text(&|a| a.compromised_entity.clone())),
        ("Tactics", text(&|a| (!a.tactics.is_empty()).then(|| a.tactics.join(", ")))),
        ("Techniques", text(&|a| json_list(&a.techniques))),
        ("RemediationSteps", text(&|a| json_list(&a.remediation_steps))),
        ("AlertLink", text(&|a| a.link.clone())),
        ("Entities", text(&|a| (!a.entities.is_empty()).then(|| Value::Array(a.entities.iter().map(Entity::to_json).collect()).to_string()))),
        ("ExtendedProperties", text(&|a| (!a.extended_properties.is_empty()).then(|| Value::Object(a.extended_properties.clone()).to_string()))),
    ];
    Frame::from_columns(columns.into_iter().map(|(name, array)| (name.to_string(), array)).collect())
}

/// The columns of a `SecurityAlert` table, each read once.
struct AlertColumns {
    len: usize,
    /// The row number of the first row in the caller's table (for error messages).
    first_row: usize,
    id: Vec<Option<String>>,
    name: (String, Vec<Option<String>>),
    texts: BTreeMap<&'static str, Vec<Option<String>>>,
    times: BTreeMap<&'static str, Vec<Option<DateTime<Utc>>>>,
    /// JSON columns: which field, the column's name in the table, its cells.
    json: BTreeMap<&'static str, (String, Vec<Option<String>>)>,
}

/// The first of `names` that `frame` has (exact name first, then ignoring case).
fn find_column(frame: &Frame, names: &[&str]) -> Option<String> {
    let all = frame.columns();
    names
        .iter()
        .find_map(|n| all.iter().find(|c| c == n))
        .or_else(|| names.iter().find_map(|n| all.iter().find(|c| c.eq_ignore_ascii_case(n))))
        .cloned()
}

fn strings(frame: &Frame, names: &[&str]) -> Result<Option<(String, Vec<Option<String>>)>> {
    match find_column(frame, names) {
        Some(column) => Ok(Some((column.clone(), frame.values::<String>(&column)?))),
        None => Ok(None),
    }
}

fn required(frame: &Frame, names: &[&str]) -> Result<(String, Vec<Option<String>>)> {
    strings(frame, names)?.ok_or_else(|| {
        Error::invalid(
            "SecurityAlert table",
            format!("it has no {} column (columns: {})", names.join(" or "), frame.columns().join(", ")),
        )
    })
}

/// A time column: Arrow timestamps as they are, text parsed (ISO 8601, with or without a zone);
/// errors name the row as `first_row` + the position.
fn times(frame: &Frame, names: &[&str], first_row: usize) -> Result<Vec<Option<DateTime<Utc>>>> {
    let Some(column) = find_column(frame, names) else { return Ok(vec![None; frame.len()]) };
    let data_type = frame.column(&column)?.data_type().clone();
    if matches!(data_type, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64) {
        return frame.values::<DateTime<Utc>>(&column);
    }
    frame
        .values::<String>(&column)?
        .into_iter()
        .enumerate()
        .map(|(row, cell)| match cell.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => parse_time(text)
                .map(Some)
                .ok_or_else(|| Error::invalid(format!("column '{column}'"), format!("row {}: '{text}' is not a date-time", first_row + row))),
        })
        .collect()
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%m/%d/%Y %I:%M:%S %p"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), f).ok())
        .map(|t| t.and_utc())
}

impl AlertColumns {
    fn read(frame: &Frame, first_row: usize) -> Result<AlertColumns> {
        use columns::*;
        let mut texts = BTreeMap::new();
        for names in [TYPE, DESCRIPTION, SEVERITY, STATUS, PRODUCT, VENDOR, PROVIDER, PROVIDER_ID, COMPROMISED, TACTICS, LINK] {
            if let Some((_, values)) = strings(frame, names)? {
                texts.insert(names[0], values);
            }
        }
        let mut json = BTreeMap::new();
        for names in [TECHNIQUES, REMEDIATION, ENTITIES, EXTENDED] {
            if let Some(column) = strings(frame, names)? {
                json.insert(names[0], column);
            }
        }
        let mut time_columns = BTreeMap::new();
        for names in [TIME, START, END] {
            time_columns.insert(names[0], times(frame, names, first_row)?);
        }
        Ok(AlertColumns { len: frame.len(), first_row, id: required(frame, ID)?.1, name: required(frame, NAME)?, texts, times: time_columns, json })
    }

    /// The alerts, in row order.
    fn alerts(&self) -> Result<Vec<Alert>> {
        (0..self.len).map(|i| self.alert(i, self.first_row + i)).collect()
    }

    fn text(&self, names: &[&str], i: usize) -> Option<String> {
        self.texts.get(names[0]).and_then(|v| v[i].clone()).filter(|t| !t.trim().is_empty())
    }

    fn time(&self, names: &[&str], i: usize) -> Option<DateTime<Utc>> {
        self.times.get(names[0]).and_then(|v| v[i])
    }

    /// The JSON of cell `i` of a JSON column (`None` when the column is absent or the cell empty);
    /// text that does not parse is an error naming the row, the alert and the column.
    fn json(&self, names: &[&str], i: usize, row: usize, id: &str) -> Result<Option<Value>> {
        let Some((column, cells)) = self.json.get(names[0]) else { return Ok(None) };
        let Some(text) = cells[i].as_deref().map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
        serde_json::from_str(text).map(Some).map_err(|e| cell_error(row, id, column, &e.to_string()))
    }

    fn alert(&self, i: usize, row: usize) -> Result<Alert> {
        use columns::*;
        let id = self.id[i].clone().filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            Error::invalid("SecurityAlert table", format!("row {row} has no SystemAlertId"))
        })?;
        let mut alert = Alert::new(&id, self.name.1[i].as_deref().unwrap_or_default(), Severity::Unknown);
        alert.severity = self.text(SEVERITY, i).map(|s| Severity::parse(&s)).unwrap_or(Severity::Unknown);
        alert.alert_type = self.text(TYPE, i);
        alert.description = self.text(DESCRIPTION, i);
        alert.status = self.text(STATUS, i);
        alert.product_name = self.text(PRODUCT, i);
        alert.vendor_name = self.text(VENDOR, i);
        alert.provider_name = self.text(PROVIDER, i);
        alert.provider_alert_id = self.text(PROVIDER_ID, i);
        alert.compromised_entity = self.text(COMPROMISED, i);
        alert.link = self.text(LINK, i);
        alert.time_generated = self.time(TIME, i);
        alert.start = self.time(START, i);
        alert.end = self.time(END, i);
        alert.tactics = self.text(TACTICS, i).map(|t| split_list(&t)).unwrap_or_default();
        let list = |names: &[&str]| -> Result<Vec<String>> {
            match self.json(names, i, row, &id)? {
                None => Ok(Vec::new()),
                Some(value) => string_list(value).map_err(|what| cell_error(row, &id, &self.json[names[0]].0, &what)),
            }
        };
        alert.techniques = list(TECHNIQUES)?;
        alert.remediation_steps = list(REMEDIATION)?;
        if let Some((column, Some(text))) = self.json.get(ENTITIES[0]).map(|(c, cells)| (c, cells[i].as_deref().filter(|t| !t.trim().is_empty()))) {
            alert.entities = entities_from_json(text).map_err(|e| cell_error(row, &id, column, &error_message(e)))?;
        }
        alert.extended_properties = match self.json(EXTENDED, i, row, &id)? {
            None => Map::new(),
            Some(Value::Object(map)) => map,
            Some(other) => return Err(cell_error(row, &id, &self.json[EXTENDED[0]].0, &format!("expected a JSON object, found {other}"))),
        };
        Ok(alert)
    }
}

/// The message of an error without its "what" prefix.
fn error_message(error: Error) -> String {
    match error {
        Error::Invalid { message, .. } => message,
        other => other.to_string(),
    }
}

fn cell_error(row: usize, id: &str, column: &str, message: &str) -> Error {
    Error::invalid(format!("SecurityAlert row {row} (SystemAlertId {id}), column '{column}'"), message.to_string())
}

/// A comma-separated list, or a JSON array of names (as `Tactics` sometimes is).
fn split_list(text: &str) -> Vec<String> {
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) {
        return items.iter().map(value_text).filter(|s| !s.is_empty()).collect();
    }
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// A JSON array (or a single string) as a list of strings.
fn string_list(value: Value) -> std::result::Result<Vec<String>, String> {
    match value {
        Value::Array(items) => Ok(items.iter().map(value_text).filter(|s| !s.is_empty()).collect()),
        Value::String(s) => Ok(vec![s]),
        Value::Null => Ok(Vec::new()),
        other => Err(format!("expected a JSON array, found {other}")),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_export_forms() {
        let expected = DateTime::parse_from_rfc3339("2019-01-11T06:31:40Z").map(|t| t.with_timezone(&Utc)).ok();
        assert_eq!(parse_time("2019-01-11 06:31:40"), expected);
        assert_eq!(parse_time("2019-01-11T06:31:40.000Z"), expected);
        assert_eq!(parse_time("2019-01-11T07:31:40+01:00"), expected);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn lists_split() {
        assert_eq!(split_list("Execution, ,Persistence"), ["Execution", "Persistence"]);
        assert_eq!(split_list(r#"["Execution"]"#), ["Execution"]);
        assert_eq!(string_list(Value::from("one step")).unwrap(), ["one step"]);
        assert!(string_list(Value::from(3)).is_err());
    }
}
