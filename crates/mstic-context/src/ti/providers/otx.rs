//! AlienVault OTX (`/api/v1/indicators/{section}/{ioc}/{general|passive_dns|geo}`, header
//! `X-OTX-API-KEY`). Severity by pulse count: none information, one warning, more high.

use super::{enc, get, is_hash, names_at};
use crate::ti::http::{Interpretation, ProviderSpec, RequestContext};
use crate::ti::{RateLimit, Severity, TiQuery};
use serde_json::{Value, json};

/// The OTX provider (subtypes `general` — the default —, `passive_dns` and `geo`).
pub const OTX: ProviderSpec = ProviderSpec {
    kind: "OTX",
    default_base_url: "https://otx.alienvault.com",
    supported_types: &["ipv4", "ipv6", "dns", "hostname", "url", "file_hash", "md5_hash", "sha1_hash", "sha256_hash"],
    rate_limit: RateLimit { max_concurrent: 20, per_second: 0.0 },
    build,
    read,
};

fn build(ctx: &RequestContext<'_>, q: &TiQuery) -> Option<crate::ti::HttpRequestSpec> {
    let section = match q.ioc_type.as_str() {
        "ipv4" => "IPv4",
        "ipv6" => "IPv6",
        "dns" => "domain",
        "hostname" => "hostname",
        "url" => "url",
        t if is_hash(t) => "file",
        _ => return None,
    };
    let subtype = q.query_subtype.as_deref().unwrap_or("general");
    if !matches!(subtype, "general" | "passive_dns" | "geo") {
        return None;
    }
    let url = format!("{}/api/v1/indicators/{section}/{}/{subtype}", ctx.base_url, enc(&q.safe_ioc));
    get(url, &[("X-OTX-API-KEY", ctx.auth_key)])
}

fn read(q: &TiQuery, status: u16, body: &Value) -> Option<Interpretation> {
    if status == 404 {
        return Some(Interpretation::no_data(json!("Not found")));
    }
    if status != 200 {
        return None;
    }
    let Some(pulses) = body.get("pulse_info") else {
        // passive_dns / geo answers carry no pulses.
        let other_subtype = matches!(q.query_subtype.as_deref(), Some("passive_dns" | "geo"));
        return (other_subtype && body.is_object()).then(|| Interpretation::found(Severity::Information, body.clone()));
    };
    let count = pulses.get("count").and_then(Value::as_i64).unwrap_or(0);
    let severity = match count {
        0 => Severity::Information,
        1 => Severity::Warning,
        _ => Severity::High,
    };
    let tags: Vec<Value> = pulses
        .get("pulses")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|p| p.get("tags").cloned()).collect())
        .unwrap_or_default();
    let references: Vec<Value> = pulses
        .get("pulses")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|p| p.get("references").cloned()).collect())
        .unwrap_or_default();
    Some(Interpretation::found(
        severity,
        json!({
            "pulse_count": count,
            "names": names_at(body, "/pulse_info/pulses", "name"),
            "tags": tags,
            "references": references,
        }),
    ))
}
