//! VirusTotal API v3 (`/api/v3/{ip_addresses,domains,files,urls}/{id}`, header `x-apikey`).
//! MSTICPy's VirusTotal rule on the v3 counts: more than one engine flagging the IoC as malicious
//! is high, exactly one is warning, none is information.

use super::{enc, get, is_hash};
use crate::ti::http::{Interpretation, ProviderSpec, RequestContext};
use crate::ti::{RateLimit, Severity, TiQuery};
use base64::Engine;
use serde_json::{Value, json};

/// The VirusTotal v3 provider.
pub const VIRUSTOTAL: ProviderSpec = ProviderSpec {
    kind: "VirusTotal",
    default_base_url: "https://www.virustotal.com",
    supported_types: &["ipv4", "ipv6", "dns", "url", "file_hash", "md5_hash", "sha1_hash", "sha256_hash"],
    // The public API allows 4 requests a minute; premium keys get far more (set RequestsPerSecond).
    rate_limit: RateLimit { max_concurrent: 4, per_second: 0.0 },
    build,
    read,
};

/// VirusTotal's URL identifier: unpadded URL-safe base64 of the URL.
pub fn vt_url_id(url: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.as_bytes())
}

fn collection(ioc_type: &str) -> Option<&'static str> {
    match ioc_type {
        "ipv4" | "ipv6" => Some("ip_addresses"),
        "dns" | "hostname" => Some("domains"),
        "url" => Some("urls"),
        t if is_hash(t) => Some("files"),
        _ => None,
    }
}

fn build(ctx: &RequestContext<'_>, q: &TiQuery) -> Option<crate::ti::HttpRequestSpec> {
    let kind = collection(&q.ioc_type)?;
    let id = if kind == "urls" { vt_url_id(&q.safe_ioc) } else { enc(&q.safe_ioc) };
    get(format!("{}/api/v3/{kind}/{id}", ctx.base_url), &[("x-apikey", ctx.auth_key), ("Accept", "application/json")])
}

fn read(q: &TiQuery, status: u16, body: &Value) -> Option<Interpretation> {
    if status == 404 || body.pointer("/error/code").and_then(Value::as_str) == Some("NotFoundError") {
        let message = body.pointer("/error/message").cloned().unwrap_or(json!("Not found"));
        return Some(Interpretation::no_data(json!({ "verbose_msg": message })));
    }
    if status != 200 {
        return None;
    }
    let attributes = body.pointer("/data/attributes")?;
    let stats = attributes.get("last_analysis_stats")?;
    let count = |key: &str| stats.get(key).and_then(Value::as_i64).unwrap_or(0);
    let positives = count("malicious");
    let severity = match positives {
        p if p > 1 => Severity::High,
        1 => Severity::Warning,
        _ => Severity::Information,
    };
    let gui_kind = match collection(&q.ioc_type).unwrap_or("") {
        "ip_addresses" => "ip-address",
        "domains" => "domain",
        "urls" => "url",
        _ => "file",
    };
    let id = body.pointer("/data/id").and_then(Value::as_str).unwrap_or(&q.safe_ioc).to_string();
    Some(Interpretation::found(
        severity,
        json!({
            "positives": positives,
            "suspicious": count("suspicious"),
            "harmless": count("harmless"),
            "undetected": count("undetected"),
            "reputation": attributes.get("reputation"),
            "last_analysis_date": attributes.get("last_analysis_date"),
            "permalink": format!("https://www.virustotal.com/gui/{gui_kind}/{id}"),
        }),
    ))
}
