//! Azure Resource Graph (`ResourceGraph`, `AzureResourceGraph`): the query text is Resource Graph
//! KQL (`Resources | where type =~ 'microsoft.compute/virtualmachines' | project name, location`),
//! sent with `POST {resource_manager}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01`
//! as `{"subscriptions", "managementGroups"?, "query", "options": {"resultFormat": "table",
//! "$top", "$skipToken"?}}`. Pages are read while the answer carries a `$skipToken`; every page's
//! `data` rows become one [`Frame`] whose columns keep the query's order (the `table` format lists
//! the columns; an `objectArray` answer is read too, its columns in name order), nested
//! objects and lists as JSON text.
//!
//! Scope: the `subscriptions` (or `subscription_id`) setting, else every `SubscriptionId` of the
//! `AzureSentinel.Workspaces` in `msticpyconfig.yaml`, else none (the whole tenant the identity can
//! read); `management_groups` adds management groups. Sign-in is the data drivers' (the `Azure`
//! section, `auth_methods`); credentials missing from the settings are taken from the `Default`
//! workspace's `Args` and `TenantId`.

use super::arm::ArmClient;
use super::common::{call_setting, list, merged_options, not_connected};
use super::convert::odata_to_frame;
use super::settings::{Options, current_config};
use crate::{Capabilities, Driver, DriverSettings, QueryOptions};
use mstic_core::config::{MsticConfig, WorkspaceSettings};
use mstic_core::{Error, Frame, Result};
use serde_json::{Value, json};

/// The Resource Graph API version used.
pub const RESOURCE_GRAPH_API_VERSION: &str = "2022-10-01";
/// The Resource Graph query path on the Resource Manager endpoint.
pub const RESOURCE_GRAPH_PATH: &str = "/providers/Microsoft.ResourceGraph/resources";
/// The Azure role reading resources needs (named in `403` errors).
pub const READER_ROLE: &str = "Reader";
/// Most rows the service returns in one page.
const MAX_PAGE_SIZE: usize = 1000;
/// Pages read at most unless the `max_pages` setting says otherwise.
const DEFAULT_MAX_PAGES: usize = 100;

/// One Resource Graph query: its text, scope (subscriptions, management groups) and paging.
/// [`ResourceGraphQuery::run`] reads every page.
///
/// # Example
/// ```
/// use mstic_data::remote::resource_graph::ResourceGraphQuery;
/// let query = ResourceGraphQuery::new("Resources | take 5").subscriptions(vec!["sub-1".into()]).page_size(100);
/// let body = query.request_body(Some("token-2"), 100);
/// assert_eq!(body["query"], "Resources | take 5");
/// assert_eq!(body["subscriptions"][0], "sub-1");
/// assert_eq!(body["options"]["resultFormat"], "table");
/// assert_eq!((body["options"]["$top"].as_u64(), body["options"]["$skipToken"].as_str()), (Some(100), Some("token-2")));
/// assert!(body.get("managementGroups").is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceGraphQuery {
    query: String,
    subscriptions: Vec<String>,
    management_groups: Vec<String>,
    page_size: usize,
    max_rows: Option<usize>,
    max_pages: usize,
}

/// The rows of a Resource Graph query (the `data` rows of every page, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceGraphRows {
    /// The column names in the query's order (from the answer's `columns`).
    pub columns: Vec<String>,
    /// One JSON object per row, keyed by column name.
    pub rows: Vec<Value>,
    /// The service's `totalRecords` of the first page, when given.
    pub total_records: Option<u64>,
    /// Why the rows may be incomplete (page limit reached, `resultTruncated`).
    pub warning: Option<String>,
}

impl ResourceGraphQuery {
    /// A query over the tenant (no subscriptions), 1,000 rows a page, every page (up to 100).
    pub fn new(query: &str) -> Self {
        ResourceGraphQuery {
            query: query.trim().to_string(),
            subscriptions: Vec::new(),
            management_groups: Vec::new(),
            page_size: MAX_PAGE_SIZE,
            max_rows: None,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// The subscriptions to search (none: every subscription the identity can read).
    pub fn subscriptions(mut self, subscriptions: Vec<String>) -> Self {
        self.subscriptions = subscriptions;
        self
    }

    /// Management groups to search (sent as `managementGroups`).
    pub fn management_groups(mut self, management_groups: Vec<String>) -> Self {
        self.management_groups = management_groups;
        self
    }

    /// Rows per page (`$top`, 1 to 1,000; default 1,000).
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// Stop after this many rows (default: no limit).
    pub fn max_rows(mut self, max_rows: usize) -> Self {
        self.max_rows = Some(max_rows);
        self
    }

    /// Stop after this many pages, with a warning (default 100).
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The JSON body of one request: `top` rows, continuing at `skip_token`.
    pub fn request_body(&self, skip_token: Option<&str>, top: usize) -> Value {
        let mut options = json!({"resultFormat": "table", "$top": top});
        if let Some(token) = skip_token {
            options["$skipToken"] = json!(token);
        }
        let mut body = json!({"subscriptions": self.subscriptions, "query": self.query, "options": options});
        if !self.management_groups.is_empty() {
            body["managementGroups"] = json!(self.management_groups);
        }
        body
    }

    /// Runs the query on `client`, reading pages while the answer has a `$skipToken`. Errors name
    /// the scope searched; a `403` names the Reader role.
    pub fn run(&self, client: &ArmClient) -> Result<ResourceGraphRows> {
        if self.query.is_empty() {
            return Err(Error::invalid("Resource Graph query", "the query text is empty"));
        }
        let mut result = ResourceGraphRows { columns: Vec::new(), rows: Vec::new(), total_records: None, warning: None };
        if self.max_rows == Some(0) {
            return Ok(result);
        }
        let mut skip_token: Option<String> = None;
        for page in 0.. {
            if page == self.max_pages {
                result.warning = Some(format!("stopped after {} pages; raise the max_pages setting for more", self.max_pages));
                break;
            }
            let top = self.max_rows.map_or(self.page_size, |max| self.page_size.min(max - result.rows.len()));
            let answer = client.post(RESOURCE_GRAPH_PATH, RESOURCE_GRAPH_API_VERSION, &self.request_body(skip_token.as_deref(), top), READER_ROLE);
            let answer = answer.map_err(|e| self.in_scope(e))?;
            if page == 0 {
                result.total_records = answer.get("totalRecords").and_then(Value::as_u64);
            }
            let (columns, rows) = page_rows(&answer)?;
            for column in columns {
                if !result.columns.contains(&column) {
                    result.columns.push(column);
                }
            }
            result.rows.extend(rows);
            skip_token = answer.get("$skipToken").and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_string);
            if self.max_rows.is_some_and(|max| result.rows.len() >= max) {
                break;
            }
            if skip_token.is_none() {
                if is_truncated(&answer) {
                    result.warning = Some(
                        "Resource Graph truncated the result (resultTruncated) and gave no $skipToken: project the 'id' column to page through every row"
                            .to_string(),
                    );
                }
                break;
            }
        }
        if let Some(max) = self.max_rows {
            result.rows.truncate(max);
        }
        Ok(result)
    }

    /// `error` with the subscriptions and management groups searched added.
    fn in_scope(&self, error: Error) -> Error {
        match error {
            Error::Remote { service, message } => Error::Remote { service, message: format!("{message} (searched {})", self.scope_text()) },
            other => other,
        }
    }

    /// `subscriptions a, b`, `management groups m` or `the whole tenant`.
    pub fn scope_text(&self) -> String {
        let mut parts = Vec::new();
        if !self.subscriptions.is_empty() {
            parts.push(format!("subscriptions {}", self.subscriptions.join(", ")));
        }
        if !self.management_groups.is_empty() {
            parts.push(format!("management groups {}", self.management_groups.join(", ")));
        }
        if parts.is_empty() { "every subscription of the tenant the identity can read".to_string() } else { parts.join(" and ") }
    }
}

/// The column names and the rows (as objects) of one answer's `data`: a `table`
/// (`{"columns": [{"name", "type"}], "rows": [[…]]}`) or an `objectArray` (`[{…}]`).
fn page_rows(answer: &Value) -> Result<(Vec<String>, Vec<Value>)> {
    let malformed = |what: &str| Error::Remote {
        service: "Azure Resource Graph".into(),
        message: format!("POST {RESOURCE_GRAPH_PATH}: the answer's 'data' {what}"),
    };
    match answer.get("data") {
        None | Some(Value::Null) => Ok((Vec::new(), Vec::new())),
        Some(Value::Array(objects)) => {
            let mut columns: Vec<String> = Vec::new();
            for object in objects {
                let Value::Object(fields) = object else { return Err(malformed("has an item that is not an object (resultFormat objectArray)")) };
                for key in fields.keys() {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                    }
                }
            }
            Ok((columns, objects.clone()))
        }
        Some(Value::Object(table)) => {
            let columns: Vec<String> = match table.get("columns") {
                Some(Value::Array(columns)) => columns
                    .iter()
                    .map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| malformed("has a column without a name (resultFormat table)"))?,
                _ => return Err(malformed("has no 'columns' list (resultFormat table)")),
            };
            let rows = match table.get("rows") {
                Some(Value::Array(rows)) => rows,
                None | Some(Value::Null) => return Ok((columns, Vec::new())),
                Some(_) => return Err(malformed("has a 'rows' that is not a list (resultFormat table)")),
            };
            let objects = rows
                .iter()
                .enumerate()
                .map(|(index, row)| match row {
                    Value::Array(cells) if cells.len() == columns.len() => {
                        Ok(Value::Object(columns.iter().cloned().zip(cells.iter().cloned()).collect()))
                    }
                    _ => Err(malformed(&format!("has row {index} that is not a list of {} values (resultFormat table)", columns.len()))),
                })
                .collect::<Result<_>>()?;
            Ok((columns, objects))
        }
        Some(_) => Err(malformed("is neither a table nor a list of objects")),
    }
}

fn is_truncated(answer: &Value) -> bool {
    match answer.get("resultTruncated") {
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        Some(Value::Bool(flag)) => *flag,
        _ => false,
    }
}

impl ResourceGraphRows {
    /// The rows as a table: the columns in the query's order, nested objects and lists as JSON
    /// text, date-time text as timestamps; the warning, if any, is carried by the frame.
    pub fn to_frame(&self) -> Result<Frame> {
        let body = serde_json::to_vec(&json!({"value": self.rows})).map_err(|e| Error::invalid("Resource Graph rows", e.to_string()))?;
        let (frame, _) = odata_to_frame(&body)?;
        // The frame's columns in the answer's order.
        let present = frame.columns();
        let listed = self.columns.iter().filter(|c| present.contains(c));
        let unlisted = present.iter().filter(|c| !self.columns.contains(c));
        let ordered: Vec<&str> = listed.chain(unlisted).map(String::as_str).collect();
        let frame = frame.select(&ordered)?;
        Ok(match &self.warning {
            Some(warning) => frame.with_warning(warning.clone()),
            None => frame,
        })
    }
}

/// The subscriptions a Resource Graph search covers: the `subscriptions` / `subscription_id`
/// setting (comma-separated), else every `SubscriptionId` of the workspaces in `config`, else none
/// (the tenant).
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::DriverSettings;
/// use mstic_data::remote::resource_graph::subscriptions_from;
/// let config = MsticConfig::from_yaml_str("AzureSentinel: {Workspaces: {Default: {WorkspaceId: w1, SubscriptionId: sub-a}}}", "inline.yaml")?;
/// assert_eq!(subscriptions_from(&DriverSettings::default(), &config), vec!["sub-a".to_string()]);
/// let chosen = DriverSettings::default().set("subscriptions", "sub-b, sub-c");
/// assert_eq!(subscriptions_from(&chosen, &config), vec!["sub-b".to_string(), "sub-c".to_string()]);
/// assert!(subscriptions_from(&DriverSettings::default(), &MsticConfig::default()).is_empty());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn subscriptions_from(settings: &DriverSettings, config: &MsticConfig) -> Vec<String> {
    let options = merged_options(settings, Options::default());
    let chosen = list(options.get(&["subscriptions", "subscription_id", "subscription_ids"]));
    if !chosen.is_empty() {
        return chosen;
    }
    let mut found: Vec<String> = Vec::new();
    for id in config.workspaces().into_iter().filter_map(|w| w.subscription_id) {
        if !found.iter().any(|known| known.eq_ignore_ascii_case(&id)) {
            found.push(id);
        }
    }
    found
}

/// An [`ArmClient`] for Resource Graph and resource lookups: `settings` first, then the `Default`
/// workspace's `Args` (`ClientId`, `ClientSecret`…) and `TenantId` from `config`.
pub fn arm_client(settings: &DriverSettings, config: &MsticConfig) -> Result<ArmClient> {
    ArmClient::with_config(&with_workspace_credentials(settings, config), config, None)
}

/// `settings` completed with the default workspace's credentials and tenant.
fn with_workspace_credentials(settings: &DriverSettings, config: &MsticConfig) -> DriverSettings {
    let mut merged = settings.clone();
    let Some(workspace) = default_workspace(config) else { return merged };
    let present = merged_options(settings, Options::default());
    let mut add = |key: &str, value: String| {
        if present.get(&[key]).is_none() {
            merged.options.insert(key.to_string(), value);
        }
    };
    if let Some(tenant) = workspace.tenant_id.clone() {
        add("tenant_id", tenant);
    }
    for (key, setting) in &workspace.args {
        if let Ok(value) = setting.resolve() {
            if mstic_core::config::setting::is_secret_name(key) {
                merged.secret_names.push(key.clone());
            }
            add(key, value);
        }
    }
    merged
}

fn default_workspace(config: &MsticConfig) -> Option<WorkspaceSettings> {
    let workspaces = config.workspaces();
    workspaces.iter().find(|w| w.name.eq_ignore_ascii_case("Default")).cloned().or_else(|| (workspaces.len() == 1).then(|| workspaces[0].clone()))
}

/// The Azure Resource Graph driver: Resource Graph KQL over the configured subscriptions.
///
/// # Example
/// ```
/// use mstic_core::config::MsticConfig;
/// use mstic_data::{Driver, DriverSettings, QueryOptions, remote::ResourceGraphDriver};
/// let settings = DriverSettings::default().set("subscriptions", "sub-1");
/// let driver = ResourceGraphDriver::with_config("ResourceGraph", &settings, MsticConfig::default());
/// assert_eq!(driver.environment(), "ResourceGraph");
/// assert_eq!(driver.subscriptions(), vec!["sub-1".to_string()]);
/// assert!(driver.capabilities().remote && !driver.is_connected());
/// let error = driver.query("Resources | take 5", &QueryOptions::default()).err().map(|e| e.to_string());
/// assert!(error.is_some_and(|message| message.contains("not connected")));
/// ```
pub struct ResourceGraphDriver {
    environment: String,
    config: MsticConfig,
    settings: DriverSettings,
    options: Options,
    connection: Option<ArmClient>,
}

impl ResourceGraphDriver {
    /// A driver configured from `settings` and the session's `msticpyconfig.yaml`.
    pub fn new(environment: &str, settings: &DriverSettings) -> Self {
        Self::with_config(environment, settings, current_config())
    }

    /// The same, reading `config`.
    pub fn with_config(environment: &str, settings: &DriverSettings, config: MsticConfig) -> Self {
        let options = merged_options(settings, Options::default());
        ResourceGraphDriver { environment: environment.to_string(), config, settings: settings.clone(), options, connection: None }
    }

    /// The subscriptions queries search unless a call names others (see [`subscriptions_from`]).
    pub fn subscriptions(&self) -> Vec<String> {
        subscriptions_from(&self.settings, &self.config)
    }

    /// The query with the driver's and the call's scope and paging settings.
    fn prepare(&self, text: &str, options: &QueryOptions) -> Result<ResourceGraphQuery> {
        let setting = |names: &[&str]| call_setting(options, names).or_else(|| self.options.get(names)).map(str::to_string);
        let number = |names: &[&str]| -> Result<Option<usize>> {
            setting(names)
                .map(|text| text.trim().parse::<usize>().map_err(|_| Error::invalid(format!("setting '{}'", names[0]), format!("'{text}' is not a whole number"))))
                .transpose()
        };
        let subscriptions = match call_setting(options, &["subscriptions", "subscription_id", "subscription_ids"]) {
            Some(chosen) => list(Some(chosen)),
            None => self.subscriptions(),
        };
        let mut query = ResourceGraphQuery::new(text).subscriptions(subscriptions).management_groups(list(setting(&["management_groups", "management_group"]).as_deref()));
        if let Some(size) = number(&["page_size"])? {
            query = query.page_size(size);
        }
        if let Some(rows) = number(&["max_rows", "top"])? {
            query = query.max_rows(rows);
        }
        if let Some(pages) = number(&["max_pages"])? {
            query = query.max_pages(pages);
        }
        Ok(query)
    }
}

impl Driver for ResourceGraphDriver {
    fn environment(&self) -> &str {
        &self.environment
    }

    fn connect(&mut self) -> Result<()> {
        let client = arm_client(&self.settings, &self.config)?;
        client.check_credentials()?;
        let scope = ResourceGraphQuery::new("").subscriptions(self.subscriptions()).scope_text();
        client.announce_connection(&format!("Azure Resource Graph at {} ({scope})", client.endpoint()));
        self.connection = Some(client);
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    fn query(&self, query: &str, options: &QueryOptions) -> Result<Frame> {
        let client = self.connection.as_ref().ok_or_else(|| not_connected(&self.environment))?;
        self.prepare(query, options)?.run(client)?.to_frame()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { remote: true, parallel_queries: true, local_sql: false }
    }
}

impl std::fmt::Debug for ResourceGraphDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceGraphDriver").field("environment", &self.environment).field("options", &self.options).finish()
    }
}
