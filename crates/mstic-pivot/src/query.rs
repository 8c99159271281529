//! Data-query pivots: the queries of a [`QueryProvider`] attached to the entities whose
//! attributes fill their parameters, by MSTICPy's parameter → entity map and naming rule
//! (`<table prefix>_<short_name or query name>`, e.g. `Host.MSSentinel.wevt_logons`).

use crate::entity::EntityKind;
use crate::func::{PivotAction, PivotFunc};
use crate::input::{PivotInput, PivotSource};
use crate::join::SOURCE_ROW;
use arrow::array::{ArrayRef, UInt64Array};
use mstic_core::timespan::TimeInput;
use mstic_core::{Frame, Result};
use mstic_data::provider::QueryProvider;
use mstic_data::template::{ParamType, ParamValue, QueryTemplate};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Query parameter → the entities (and attribute) that can fill it, in MSTICPy's order.
pub const PARAM_ENTITY_MAP: &[(&str, &[(EntityKind, &str)])] = &[
    ("account_name", &[(EntityKind::Account, "Name")]),
    ("host_name", &[(EntityKind::Host, "fqdn")]),
    ("process_name", &[(EntityKind::Process, "ProcessFilePath")]),
    ("ip_address", &[(EntityKind::IpAddress, "Address")]),
    ("domain", &[(EntityKind::Dns, "DomainName")]),
    (
        "logon_session_id",
        &[(EntityKind::Process, "LogonSession"), (EntityKind::HostLogonSession, "SessionId"), (EntityKind::Account, "LogonId")],
    ),
    ("proc_op", &[]),
    ("process_id", &[(EntityKind::Process, "ProcessId")]),
    ("commandline", &[(EntityKind::Process, "CommandLine")]),
    ("url", &[(EntityKind::Url, "Url")]),
    ("file_hash", &[(EntityKind::File, "file_hash")]),
    ("resource_id", &[(EntityKind::AzureResource, "ResourceId")]),
    ("ip_address_list", &[(EntityKind::IpAddress, "Address")]),
    ("source_ip_list", &[(EntityKind::IpAddress, "Address")]),
    ("user", &[(EntityKind::Account, "Name")]),
    ("file_hash_list", &[(EntityKind::File, "file_hash")]),
    ("domain_list", &[(EntityKind::Dns, "DomainName")]),
    ("url_list", &[(EntityKind::Url, "Url")]),
    ("cmd_line", &[(EntityKind::Process, "CommandLine")]),
];

/// MSTICPy's (v2) short names of tables, used as query-pivot name prefixes (`ThreatIntelIndicators`
/// is the newer threat-intelligence table that replaces `ThreatIntelligenceIndicator`).
pub const TABLE_PREFIXES: &[(&str, &str)] = &[
    ("SecurityEvent", "wevt"),
    ("Syslog", "syslog"),
    ("SecurityAlert", "sec"),
    ("SigninLogs", "aad"),
    ("AzureActivity", "azure"),
    ("AzureNetworkAnalytics_CL", "az_nsg"),
    ("OfficeActivity", "o365"),
    ("ThreatIntelligenceIndicator", "ti"),
    ("ThreatIntelIndicators", "ti"),
    ("Heartbeat", ""),
    ("AuditLog_CL", "auditd"),
    ("HuntingBookmark", "sent"),
    ("StorageFileLogs", "az_stor"),
    ("DnsEvents", "dns"),
];

/// The pivot name of a query: the table prefix (when the query has a `table` default) and the
/// query's `metadata.pivot.short_name` or its name.
pub fn query_pivot_name(template: &QueryTemplate) -> String {
    let short_name = template
        .metadata
        .get("pivot")
        .and_then(|p| p.get("short_name"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let name = short_name.unwrap_or_else(|| template.name.clone());
    let table = template.table().unwrap_or_default();
    if table.is_empty() {
        return name;
    }
    let prefix = TABLE_PREFIXES.iter().find(|(t, _)| *t == table).map_or(table.as_str(), |(_, p)| p);
    match prefix {
        "" => name,
        p if p.ends_with('_') => format!("{p}{name}"),
        p => format!("{p}_{name}"),
    }
}

/// A query run as a pivot: which parameter the input fills, and the other entity-mapped ones.
#[derive(Clone)]
pub struct QueryPivot {
    provider: Arc<QueryProvider>,
    query: String,
    param: String,
    list_param: bool,
    attr_map: Vec<(String, String)>,
    timespan: Arc<RwLock<Option<(TimeInput, TimeInput)>>>,
}

impl QueryPivot {
    /// Runs the query for the input values: one call with a list for list parameters, else one
    /// call per value (rows tagged with `src_row_index` when the input is a Frame column).
    pub(crate) fn run(&self, frame: &Frame, column: &str, input: &PivotInput) -> Result<Frame> {
        let values: Vec<String> = frame.column_strings(column)?.into_iter().flatten().collect();
        let mut fixed: Vec<(String, ParamValue)> = input.params.clone();
        if let PivotSource::Entity(entity) = &input.source {
            for (param, attribute) in &self.attr_map {
                let given = param == &self.param || fixed.iter().any(|(n, _)| n == param);
                if let (false, Some(v)) = (given, entity.get_str(attribute)) {
                    fixed.push((param.clone(), ParamValue::Str(v)));
                }
            }
        }
        let times = self.timespan.read().map(|t| t.clone()).unwrap_or(None);
        let start = input.start.clone().or_else(|| times.as_ref().map(|t| t.0.clone()));
        let end = input.end.clone().or_else(|| times.as_ref().map(|t| t.1.clone()));
        let run_one = |value: ParamValue| -> Result<Frame> {
            let mut call = self.provider.query(&self.query).param(&self.param, value);
            for (name, v) in &fixed {
                call = call.param(name, v.clone());
            }
            if let Some(s) = &start {
                call = call.start(s.clone());
            }
            if let Some(e) = &end {
                call = call.end(e.clone());
            }
            call.run()
        };
        if self.list_param {
            return run_one(ParamValue::List(values.into_iter().map(ParamValue::Str).collect()));
        }
        let tag_rows = matches!(input.source, PivotSource::Column(..));
        let column_values = frame.column_strings(column)?;
        let mut results = Vec::new();
        for (row, value) in column_values.into_iter().enumerate() {
            let Some(value) = value else { continue };
            let result = run_one(ParamValue::Str(value))?;
            results.push(if tag_rows { with_source_row(&result, row as u64)? } else { result });
        }
        if results.is_empty() && tag_rows {
            // No input values: an empty result that still joins by row.
            return with_source_row(&Frame::empty(Arc::new(arrow::datatypes::Schema::empty())), 0);
        }
        Frame::concat(&results)
    }
}

fn with_source_row(frame: &Frame, row: u64) -> Result<Frame> {
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    for name in frame.columns() {
        columns.push((name.clone(), frame.column(&name)?));
    }
    columns.push((SOURCE_ROW.to_string(), Arc::new(UInt64Array::from(vec![row; frame.len()]))));
    Frame::from_columns(columns)
}

/// The query pivots of `provider` for container `container` (MSTICPy: the environment name).
/// Later queries with the same pivot name on an entity replace earlier ones, as in MSTICPy.
pub fn query_pivots(
    provider: &Arc<QueryProvider>,
    container: &str,
    timespan: &Arc<RwLock<Option<(TimeInput, TimeInput)>>>,
) -> Vec<PivotFunc> {
    let mut found: BTreeMap<(EntityKind, String), PivotFunc> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    let templates: Vec<(&str, &QueryTemplate)> =
        provider.store().iter().filter(|(_, t)| seen.insert(*t as *const QueryTemplate)).collect();
    for (param_name, entities) in PARAM_ENTITY_MAP {
        for (qualified, template) in &templates {
            if template.params.is_empty() || !template.params.iter().any(|p| p.name == *param_name) {
                continue;
            }
            for (entity, _) in entities.iter() {
                let attr_map: Vec<(String, String)> = PARAM_ENTITY_MAP
                    .iter()
                    .filter(|(p, _)| template.params.iter().any(|tp| tp.name == *p))
                    .flat_map(|(p, ents)| ents.iter().filter(|(e, _)| e == entity).map(move |(_, a)| (p.to_string(), a.to_string())))
                    .collect();
                let Some((param, attribute)) = attr_map.first().cloned() else { continue };
                let list_param = template.param(&param).is_some_and(|p| p.param_type == ParamType::List);
                let name = query_pivot_name(template);
                let pivot = QueryPivot {
                    provider: Arc::clone(provider),
                    query: qualified.to_string(),
                    param: param.clone(),
                    list_param,
                    attr_map,
                    timespan: Arc::clone(timespan),
                };
                let mut func =
                    PivotFunc::new(*entity, container, &name, &attribute, &param, &param, &template.description, PivotAction::Query(pivot));
                func.wraps = format!("{container} query {qualified} (parameter {param})");
                found.insert((*entity, name), func);
            }
        }
    }
    found.into_values().collect()
}
