//! The Tor exit-node list (`https://check.torproject.org/exit-addresses`), downloaded once and
//! kept for a day. An exit node is a warning, with its node id and last status as details.

use crate::ti::http::{describe_error, http_client, read_body};
use crate::ti::{BoxFuture, LookupStatus, RateLimit, Severity, TiProvider, TiQuery, TiResult};
use mstic_core::limits::ReadLimits;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The Tor Project's published exit list.
pub const TOR_EXIT_LIST_URL: &str = "https://check.torproject.org/exit-addresses";

#[derive(Clone)]
struct ExitNode {
    node_id: String,
    last_status: String,
}

type ExitList = Arc<HashMap<String, ExitNode>>;

/// The Tor exit-node provider.
pub struct TorExitNodes {
    name: String,
    list_url: String,
    primary: bool,
    max_age: Duration,
    limits: ReadLimits,
    list: tokio::sync::Mutex<Option<(Instant, ExitList)>>,
}

impl TorExitNodes {
    /// A provider labelled `name` reading the list from `list_url` (the Tor Project's when `None`).
    pub fn new(name: &str, list_url: Option<&str>) -> Self {
        TorExitNodes {
            name: name.to_string(),
            list_url: list_url.unwrap_or(TOR_EXIT_LIST_URL).to_string(),
            primary: true,
            max_age: Duration::from_secs(24 * 3600),
            limits: ReadLimits::from_env(),
            list: tokio::sync::Mutex::new(None),
        }
    }

    /// Sets the size caps (by default [`ReadLimits::from_env`]; the response cap applies to the list).
    pub fn with_read_limits(mut self, limits: ReadLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets whether the provider is used by default.
    pub fn with_primary(mut self, primary: bool) -> Self {
        self.primary = primary;
        self
    }

    /// The exit list, downloaded when missing or older than a day.
    async fn exit_list(&self) -> Result<ExitList, String> {
        let mut guard = self.list.lock().await;
        if let Some((loaded, list)) = guard.as_ref()
            && loaded.elapsed() < self.max_age
        {
            return Ok(list.clone());
        }
        let response = http_client().get(&self.list_url).send().await.map_err(|e| describe_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {}: exit list not available", status.as_u16()));
        }
        let body = read_body(response, self.limits.response(), &self.list_url).await?;
        let list = Arc::new(parse_exit_list(&String::from_utf8_lossy(&body)));
        *guard = Some((Instant::now(), list.clone()));
        Ok(list)
    }
}

/// Parses the `exit-addresses` format into address → node.
fn parse_exit_list(text: &str) -> HashMap<String, ExitNode> {
    let mut nodes = HashMap::new();
    let mut current = ExitNode { node_id: String::new(), last_status: String::new() };
    for line in text.lines() {
        let mut parts = line.splitn(2, ' ');
        match (parts.next(), parts.next()) {
            (Some("ExitNode"), Some(id)) => current = ExitNode { node_id: id.trim().to_string(), last_status: String::new() },
            (Some("LastStatus"), Some(when)) => current.last_status = when.trim().to_string(),
            (Some("ExitAddress"), Some(rest)) => {
                if let Some(addr) = rest.split_whitespace().next() {
                    nodes.insert(addr.to_string(), current.clone());
                }
            }
            _ => {}
        }
    }
    nodes
}

impl TiProvider for TorExitNodes {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "Tor"
    }

    fn supported_types(&self) -> Vec<String> {
        vec!["ipv4".into(), "ipv6".into()]
    }

    fn is_primary(&self) -> bool {
        self.primary
    }

    fn rate_limit(&self) -> RateLimit {
        RateLimit { max_concurrent: 1000, per_second: 0.0 }
    }

    fn lookup<'a>(&'a self, query: &'a TiQuery) -> BoxFuture<'a, TiResult> {
        Box::pin(async move {
            let mut row = TiResult::new(query, &self.name);
            row.reference = self.list_url.clone();
            let list = match self.exit_list().await {
                Ok(list) => list,
                Err(message) => return row.failed(LookupStatus::QueryFailed.code(), message),
            };
            row.result = true;
            row.status = LookupStatus::Ok.code();
            match list.get(&query.safe_ioc) {
                Some(node) => {
                    row.severity = Severity::Warning;
                    row.details = json!({ "NodeID": node.node_id, "LastStatus": node.last_status });
                    row.raw_result = json!({ "ExitNode": node.node_id, "LastStatus": node.last_status, "ExitAddress": query.safe_ioc });
                }
                None => {
                    row.severity = Severity::Information;
                    row.details = json!("Not found.");
                }
            }
            row
        })
    }
}
