//! IP reputation providers: GreyNoise, AbuseIPDB, CrowdSec, IPQualityScore and BinaryEdge, with
//! MSTICPy's severity rules.

use super::{enc, get, pick};
use crate::ti::http::{Interpretation, ProviderSpec, RequestContext};
use crate::ti::{RateLimit, Severity, TiQuery};
use serde_json::{Value, json};

/// GreyNoise Community API (`/v3/community/{ip}`, header `key`): `malicious` is high, else information.
pub const GREYNOISE: ProviderSpec = ProviderSpec {
    kind: "GreyNoise",
    default_base_url: "https://api.greynoise.io",
    supported_types: &["ipv4"],
    rate_limit: RateLimit { max_concurrent: 10, per_second: 0.0 },
    build: |ctx, q| {
        let key = if ctx.auth_key.is_empty() { vec![] } else { vec![("key", ctx.auth_key)] };
        get(format!("{}/v3/community/{}", ctx.base_url, enc(&q.safe_ioc)), &key)
    },
    read: read_greynoise,
};

fn read_greynoise(_q: &TiQuery, status: u16, body: &Value) -> Option<Interpretation> {
    let details = pick(
        body,
        &[
            ("Classification", "/classification"),
            ("Name", "/name"),
            ("LastSeen", "/last_seen"),
            ("Noise", "/noise"),
            ("Riot", "/riot"),
            ("Link", "/link"),
            ("Message", "/message"),
        ],
    );
    match status {
        200 if body.get("ip").is_some() => {
            let malicious = body.get("classification").and_then(Value::as_str) == Some("malicious");
            Some(Interpretation::found(if malicious { Severity::High } else { Severity::Information }, details))
        }
        // "IP not observed scanning the internet or contained in RIOT data set."
        404 if body.get("message").is_some() => Some(Interpretation::no_data(details)),
        _ => None,
    }
}

/// AbuseIPDB (`/api/v2/check?ipAddress=`, header `Key`): confidence over 50 is high, over 0 warning.
pub const ABUSEIPDB: ProviderSpec = ProviderSpec {
    kind: "AbuseIPDB",
    default_base_url: "https://api.abuseipdb.com",
    supported_types: &["ipv4", "ipv6"],
    rate_limit: RateLimit { max_concurrent: 10, per_second: 0.0 },
    build: |ctx, q| {
        let url = format!("{}/api/v2/check?ipAddress={}&maxAgeInDays=90", ctx.base_url, enc(&q.safe_ioc));
        get(url, &[("Key", ctx.auth_key), ("Accept", "application/json")])
    },
    read: |_q, status, body| {
        if status != 200 {
            return None;
        }
        let data = body.get("data")?;
        let score = data.get("abuseConfidenceScore").and_then(Value::as_i64)?;
        let severity = match score {
            s if s > 50 => Severity::High,
            s if s > 0 => Severity::Warning,
            _ => Severity::Information,
        };
        let details = pick(
            data,
            &[
                ("abuseConfidenceScore", "/abuseConfidenceScore"),
                ("countryCode", "/countryCode"),
                ("usage", "/usageType"),
                ("isp", "/isp"),
                ("domain", "/domain"),
                ("hostNames", "/hostnames"),
                ("isTor", "/isTor"),
                ("isWhitelisted", "/isWhitelisted"),
                ("totalReports", "/totalReports"),
                ("lastReportedAt", "/lastReportedAt"),
            ],
        );
        Some(Interpretation::found(severity, details))
    },
};

/// CrowdSec CTI smoke API (`/v2/smoke/{ip}`, header `x-api-key`): overall score up to 2 is
/// information, 3 warning, above high.
pub const CROWDSEC: ProviderSpec = ProviderSpec {
    kind: "CrowdSec",
    default_base_url: "https://cti.api.crowdsec.net",
    supported_types: &["ipv4", "ipv6"],
    rate_limit: RateLimit { max_concurrent: 10, per_second: 0.0 },
    build: |ctx, q| get(format!("{}/v2/smoke/{}", ctx.base_url, enc(&q.safe_ioc)), &[("x-api-key", ctx.auth_key)]),
    read: read_crowdsec,
};

fn read_crowdsec(_q: &TiQuery, status: u16, body: &Value) -> Option<Interpretation> {
    if status == 404 {
        return Some(Interpretation::no_data(body.get("message").cloned().unwrap_or(json!("Not found"))));
    }
    if status != 200 {
        return None;
    }
    let total = body.pointer("/scores/overall/total").and_then(Value::as_i64)?;
    let severity = match total {
        t if t <= 2 => Severity::Information,
        3 => Severity::Warning,
        _ => Severity::High,
    };
    let mut details = pick(
        body,
        &[
            ("Background Noise", "/background_noise"),
            ("Overall Score", "/scores/overall/total"),
            ("First Seen", "/history/first_seen"),
            ("Last Seen", "/history/last_seen"),
            ("Reputation", "/reputation"),
        ],
    );
    details["Attack Details"] = Value::Array(super::names_at(body, "/attack_details", "label"));
    details["Behaviors"] = Value::Array(super::names_at(body, "/behaviors", "label"));
    Some(Interpretation::found(severity, details))
}

/// IPQualityScore (`/api/json/ip/{AuthKey}/{ip}`): fraud score 80 and above is high, above 50 warning.
pub const IPQUALITYSCORE: ProviderSpec = ProviderSpec {
    kind: "IPQualityScore",
    default_base_url: "https://www.ipqualityscore.com",
    supported_types: &["ipv4"],
    rate_limit: RateLimit { max_concurrent: 10, per_second: 0.0 },
    build: |ctx: &RequestContext<'_>, q| {
        get(format!("{}/api/json/ip/{}/{}", ctx.base_url, enc(ctx.auth_key), enc(&q.safe_ioc)), &[])
    },
    read: |_q, status, body| {
        if status != 200 {
            return None;
        }
        if body.get("success").and_then(Value::as_bool) == Some(false) {
            let message = body.get("message").cloned().unwrap_or(json!("lookup failed"));
            return Some(Interpretation {
                result: false,
                severity: Severity::Unknown,
                details: message,
                status: crate::ti::LookupStatus::QueryFailed,
            });
        }
        let score = body.get("fraud_score").and_then(Value::as_i64)?;
        let severity = match score {
            s if s >= 80 => Severity::High,
            s if s > 50 => Severity::Warning,
            _ => Severity::Information,
        };
        let details = pick(
            body,
            &[
                ("FraudScore", "/fraud_score"),
                ("ISP", "/ISP"),
                ("ASN", "/ASN"),
                ("Country", "/country_code"),
                ("Region", "/region"),
                ("City", "/city"),
                ("Organization", "/organization"),
                ("Latitude", "/latitude"),
                ("Longitude", "/longitude"),
                ("IsMobile", "/mobile"),
                ("IsProxy", "/proxy"),
                ("IsTor", "/tor"),
                ("IsVPN", "/vpn"),
                ("IsBot", "/bot_status"),
                ("AbuseVelocity", "/abuse_velocity"),
                ("RecentAbuse", "/recent_abuse"),
            ],
        );
        Some(Interpretation::found(severity, details))
    },
};

/// BinaryEdge (`/v2/query/ip/{ip}`, header `X-Key`): always information; details are the open
/// ports seen.
pub const BINARYEDGE: ProviderSpec = ProviderSpec {
    kind: "BinaryEdge",
    default_base_url: "https://api.binaryedge.io",
    supported_types: &["ipv4", "ipv6"],
    rate_limit: RateLimit { max_concurrent: 5, per_second: 0.0 },
    build: |ctx, q| get(format!("{}/v2/query/ip/{}", ctx.base_url, enc(&q.safe_ioc)), &[("X-Key", ctx.auth_key)]),
    read: |_q, status, body| {
        if status == 404 {
            return Some(Interpretation::no_data(json!("Not found")));
        }
        if status != 200 {
            return None;
        }
        let events = body.get("events").and_then(Value::as_array)?;
        let ports: Vec<Value> = events.iter().filter_map(|e| e.get("port").cloned()).collect();
        Some(Interpretation::found(Severity::Information, json!({ "Total": body.get("total"), "Ports": ports })))
    },
};
