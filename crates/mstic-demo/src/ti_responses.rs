//! The demo service's answers, in each API's real response shape. Verdicts come from a stable
//! hash of the IoC, so every run (and every reader of a notebook) sees the same results.

use crate::local_http::{HttpRequest, HttpResponse, percent_decode};
use serde_json::{Value, json};

/// Tor exit nodes in the demo list.
pub(super) const DEMO_TOR_EXITS: [&str; 3] = ["185.220.101.7", "199.249.230.87", "104.244.72.115"];

/// A stable 0–99 score for an IoC (FNV-1a).
pub(super) fn score(ioc: &str) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in ioc.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash % 100
}

/// Routes a request to the provider named by its first path segment.
pub(super) fn answer(request: &HttpRequest) -> HttpResponse {
    let path = request.path().to_string();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (service, rest) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    match service {
        "otx" => otx(rest),
        "vt" => virustotal(rest),
        "greynoise" => greynoise(rest),
        "abuseipdb" => abuseipdb(request),
        "tor" => tor(),
        "ipstack" => ipstack(rest),
        "rdap" => rdap(request, rest),
        _ => HttpResponse::json(404, json!({ "error": "unknown service" })),
    }
}

fn last_segment(rest: &str, from_end: usize) -> String {
    percent_decode(rest.rsplit('/').nth(from_end).unwrap_or_default())
}

fn otx(rest: &str) -> HttpResponse {
    let ioc = last_segment(rest, 1);
    let count = score(&ioc) % 4;
    let pulses: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "id": format!("demo-pulse-{i}"),
                "name": format!("Demo campaign {}", (score(&ioc) + i) % 7),
                "tags": ["scanner", "demo"],
                "references": [format!("https://example.org/report/{i}")],
            })
        })
        .collect();
    HttpResponse::json(
        200,
        json!({ "indicator": ioc, "type": "IPv4", "pulse_info": { "count": count, "pulses": pulses }, "sections": ["general", "geo"] }),
    )
}

fn virustotal(rest: &str) -> HttpResponse {
    let id = last_segment(rest, 0);
    let s = score(&id);
    if s < 10 {
        return HttpResponse::json(404, json!({ "error": { "code": "NotFoundError", "message": format!("\"{id}\" not found") } }));
    }
    let malicious = if s > 85 { (s - 80) / 2 } else if s > 75 { 1 } else { 0 };
    HttpResponse::json(
        200,
        json!({ "data": { "id": id, "type": "ip_address", "attributes": {
            "reputation": 50 - s as i64,
            "last_analysis_stats": { "malicious": malicious, "suspicious": 0, "harmless": 60, "undetected": 20, "timeout": 0 },
            "last_analysis_date": 1714550400 } } }),
    )
}

fn greynoise(rest: &str) -> HttpResponse {
    let ip = last_segment(rest, 0);
    let s = score(&ip);
    if s < 40 {
        return HttpResponse::json(
            404,
            json!({ "ip": ip, "noise": false, "riot": false, "message": "IP not observed scanning the internet or contained in RIOT data set." }),
        );
    }
    let classification = if s > 80 { "malicious" } else if s > 60 { "unknown" } else { "benign" };
    HttpResponse::json(
        200,
        json!({ "ip": ip, "noise": true, "riot": false, "classification": classification, "name": "unknown",
                 "link": format!("https://viz.greynoise.io/ip/{ip}"), "last_seen": "2024-05-01", "message": "Success" }),
    )
}

fn abuseipdb(request: &HttpRequest) -> HttpResponse {
    let ip = request.query_param("ipAddress").unwrap_or_default();
    let s = score(&ip);
    let confidence = if s > 60 { s } else { 0 };
    HttpResponse::json(
        200,
        json!({ "data": { "ipAddress": ip, "isPublic": true, "ipVersion": 4, "isWhitelisted": false,
            "abuseConfidenceScore": confidence, "countryCode": "US", "usageType": "Data Center/Web Hosting/Transit",
            "isp": "Demo Hosting", "domain": "demo.example", "hostnames": [], "isTor": false,
            "totalReports": confidence / 3, "numDistinctUsers": confidence / 10, "lastReportedAt": "2024-05-01T10:00:00+00:00" } }),
    )
}

fn tor() -> HttpResponse {
    let mut text = String::new();
    for (i, ip) in DEMO_TOR_EXITS.iter().enumerate() {
        text.push_str(&format!(
            "ExitNode {:040X}\nPublished 2024-05-01 07:00:35\nLastStatus 2024-05-01 08:00:00\nExitAddress {ip} 2024-05-01 08:04:53\n",
            i + 1
        ));
    }
    HttpResponse::text(200, &text)
}

fn ipstack(rest: &str) -> HttpResponse {
    let items: Vec<Value> = percent_decode(rest)
        .split(',')
        .map(|ip| {
            json!({ "ip": ip, "type": "ipv4", "country_code": "US", "country_name": "United States",
                    "region_name": "Virginia", "city": "Ashburn", "latitude": 39.04, "longitude": -77.49 })
        })
        .collect();
    HttpResponse::json(200, &if items.len() == 1 { items[0].clone() } else { Value::Array(items) })
}

fn rdap(request: &HttpRequest, rest: &str) -> HttpResponse {
    let base = format!("http://{}", request.header("host").unwrap_or("127.0.0.1"));
    if rest == "ipv4.json" || rest == "ipv6.json" {
        // The demo lists itself as the registry for every address.
        let registry = format!("{base}/rdap/registry/");
        return HttpResponse::json(200, json!({ "version": "1.0", "services": [[["0.0.0.0/0", "::/0"], [registry]]] }));
    }
    let ip = last_segment(rest, 0);
    let parent = rest.contains("parent");
    let (handle, name) = if parent { ("NET-DEMO-0", "DEMO-PARENT") } else { ("NET-DEMO-1", "DEMO-NET") };
    let mut body = json!({
        "objectClassName": "ip network", "handle": handle, "name": name, "type": "DIRECT ALLOCATION",
        "startAddress": ip, "endAddress": ip, "ipVersion": "v4", "country": "US",
        "cidr0_cidrs": [{ "v4prefix": ip, "length": 32 }],
        "events": [{ "eventAction": "registration", "eventDate": "2010-01-01T00:00:00Z" },
                   { "eventAction": "last changed", "eventDate": "2024-01-01T00:00:00Z" }],
        "entities": [{ "roles": ["registrant"], "vcardArray": ["vcard", [["fn", {}, "text", "Demo Networks"],
            ["adr", { "label": "1 Demo Street\nDemo City" }, "text", ["", "", "", "", "", "", ""]],
            ["email", {}, "text", "abuse@demo.example"]]] }],
        "links": [],
    });
    if !parent {
        body["links"] = json!([{ "rel": "up", "href": format!("{base}/rdap/registry/parent/ip/0.0.0.0") }]);
    }
    HttpResponse::json(200, &body)
}
