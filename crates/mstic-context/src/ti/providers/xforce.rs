//! IBM X-Force Exchange (`/ipr/{ip}`, `/url/{url}`, `/malware/{hash}`, `/resolve/{dns}`; HTTP
//! Basic `ApiID:AuthKey`). Score below 2 is information, 2–4 warning, 5 and above high; a malware
//! record is high.

use super::{enc, is_hash};
use crate::ti::http::{HttpRequestSpec, Interpretation, ProviderSpec, RequestContext};
use crate::ti::{RateLimit, Severity, TiQuery};
use serde_json::{Value, json};

/// The XForce provider (subtypes for IPs: `info` — default —, `rep`, `malware`, `whois`).
pub const XFORCE: ProviderSpec = ProviderSpec {
    kind: "XForce",
    default_base_url: "https://api.xforce.ibmcloud.com",
    supported_types: &["ipv4", "ipv6", "dns", "hostname", "url", "file_hash", "md5_hash", "sha1_hash", "sha256_hash"],
    rate_limit: RateLimit { max_concurrent: 5, per_second: 0.0 },
    build,
    read,
};

fn build(ctx: &RequestContext<'_>, q: &TiQuery) -> Option<HttpRequestSpec> {
    let ioc = enc(&q.safe_ioc);
    let subtype = q.query_subtype.as_deref().unwrap_or("info");
    let path = match (q.ioc_type.as_str(), subtype) {
        ("ipv4" | "ipv6", "info") => format!("ipr/{ioc}"),
        ("ipv4" | "ipv6", "rep") => format!("ipr/history/{ioc}"),
        ("ipv4" | "ipv6", "malware") => format!("ipr/malware/{ioc}"),
        ("ipv4" | "ipv6" | "dns" | "hostname", "whois") => format!("whois/{ioc}"),
        ("dns" | "hostname", "info") => format!("resolve/{ioc}"),
        ("url", "info") => format!("url/{ioc}"),
        ("url", "malware") => format!("url/malware/{ioc}"),
        (t, "info") if is_hash(t) => format!("malware/{ioc}"),
        _ => return None,
    };
    Some(HttpRequestSpec {
        url: format!("{}/{path}", ctx.base_url),
        headers: vec![("Accept".into(), "application/json".into())],
        basic_auth: Some((ctx.api_id.to_string(), ctx.auth_key.to_string())),
    })
}

fn read(q: &TiQuery, status: u16, body: &Value) -> Option<Interpretation> {
    if status == 404 {
        return Some(Interpretation::no_data(body.get("error").cloned().unwrap_or(json!("Not found."))));
    }
    if status != 200 {
        return None;
    }
    if let Some(malware) = body.get("malware") {
        let details = json!({ "risk": malware.get("risk"), "family": malware.get("family"), "type": malware.get("type") });
        return Some(Interpretation::found(Severity::High, details));
    }
    let score = body.get("score").or_else(|| body.pointer("/result/score")).and_then(Value::as_f64);
    let severity = match score {
        Some(s) if s >= 5.0 => Severity::High,
        Some(s) if s >= 2.0 => Severity::Warning,
        Some(_) => Severity::Information,
        // whois / history answers carry no score.
        None if q.query_subtype.is_some() && body.is_object() => Severity::Unknown,
        None => return None,
    };
    let cats = body.get("cats").or_else(|| body.pointer("/result/cats")).cloned();
    let details = json!({
        "score": score,
        "cats": cats,
        "reason": body.get("reason"),
        "reasonDescription": body.get("reasonDescription"),
        "country": body.pointer("/geo/country"),
    });
    Some(Interpretation::found(severity, details))
}
