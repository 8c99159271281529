//! Pulsedive (`/api/info.php?indicator=&key=`: risk high/critical → high, medium → warning,
//! low → information, none/unknown → unknown) and OpenPageRank (`/api/v1.0/getPageRank`,
//! header `API-OPR`: a ranked domain is information, an unknown one warning).

use super::{enc, get, pick};
use crate::ti::http::{Interpretation, ProviderSpec};
use crate::ti::{RateLimit, Severity};
use serde_json::{Value, json};

/// The Pulsedive provider.
pub const PULSEDIVE: ProviderSpec = ProviderSpec {
    kind: "Pulsedive",
    default_base_url: "https://pulsedive.com",
    supported_types: &["ipv4", "ipv6", "dns", "hostname", "url"],
    // Free tier: 30 requests a minute.
    rate_limit: RateLimit { max_concurrent: 5, per_second: 0.0 },
    build: |ctx, q| {
        let url = format!("{}/api/info.php?indicator={}&pretty=1&key={}", ctx.base_url, enc(&q.safe_ioc), enc(ctx.auth_key));
        get(url, &[])
    },
    read: |_q, status, body| {
        if status == 404 {
            return Some(Interpretation::no_data(body.get("error").cloned().unwrap_or(json!("Indicator not found."))));
        }
        if status != 200 {
            return None;
        }
        let risk = body.get("risk").and_then(Value::as_str)?;
        let severity = match risk {
            "high" | "critical" => Severity::High,
            "medium" => Severity::Warning,
            "low" => Severity::Information,
            _ => Severity::Unknown,
        };
        let mut details = pick(
            body,
            &[
                ("risk", "/risk"),
                ("risk_recommended", "/risk_recommended"),
                ("manualrisk", "/manualrisk"),
                ("retired", "/retired"),
                ("stamp_seen", "/stamp_seen"),
                ("stamp_updated", "/stamp_updated"),
                ("riskfactors", "/riskfactors"),
            ],
        );
        details["threats"] = Value::Array(super::names_at(body, "/threats", "name"));
        details["feeds"] = Value::Array(super::names_at(body, "/feeds", "name"));
        Some(Interpretation::found(severity, details))
    },
};

/// The OpenPageRank provider (domains only).
pub const OPEN_PAGE_RANK: ProviderSpec = ProviderSpec {
    kind: "OPR",
    default_base_url: "https://openpagerank.com",
    supported_types: &["dns"],
    rate_limit: RateLimit { max_concurrent: 10, per_second: 0.0 },
    build: |ctx, q| {
        get(format!("{}/api/v1.0/getPageRank?domains%5B0%5D={}", ctx.base_url, enc(&q.safe_ioc)), &[("API-OPR", ctx.auth_key)])
    },
    read: |_q, status, body| {
        if status != 200 {
            return None;
        }
        let entry = body.pointer("/response/0")?;
        let details = pick(
            entry,
            &[("rank", "/rank"), ("page_rank_decimal", "/page_rank_decimal"), ("page_rank_integer", "/page_rank_integer")],
        );
        match entry.get("status_code").and_then(Value::as_i64) {
            Some(200) => Some(Interpretation::found(Severity::Information, details)),
            Some(404) => Some(Interpretation::found(Severity::Warning, json!({ "error": entry.get("error") }))),
            _ => None,
        }
    },
};
