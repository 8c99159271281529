//! The built-in providers: VirusTotal (v3 API), AlienVault OTX, GreyNoise, AbuseIPDB, IBM XForce,
//! CrowdSec, IPQualityScore, BinaryEdge, Pulsedive, OpenPageRank and the Tor exit-node list, each
//! with MSTICPy's severity rules.

mod ip_reputation;
mod otx;
mod pulsedive_opr;
mod tor;
mod virustotal;
mod xforce;

pub use ip_reputation::{ABUSEIPDB, BINARYEDGE, CROWDSEC, GREYNOISE, IPQUALITYSCORE};
pub use otx::OTX;
pub use pulsedive_opr::{OPEN_PAGE_RANK, PULSEDIVE};
pub use tor::{TOR_EXIT_LIST_URL, TorExitNodes};
pub use virustotal::{VIRUSTOTAL, vt_url_id};
pub use xforce::XFORCE;

use super::http::{HttpRequestSpec, ProviderSpec};
use serde_json::Value;

/// Every HTTP provider spec, by implementation key.
pub fn http_specs() -> [ProviderSpec; 10] {
    [VIRUSTOTAL, OTX, GREYNOISE, ABUSEIPDB, XFORCE, CROWDSEC, IPQUALITYSCORE, BINARYEDGE, PULSEDIVE, OPEN_PAGE_RANK]
}

/// A GET of `url` with `headers`.
pub(crate) fn get(url: String, headers: &[(&str, &str)]) -> Option<HttpRequestSpec> {
    Some(HttpRequestSpec {
        url,
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        basic_auth: None,
    })
}

/// Percent-encoding of a path segment or query value.
pub(crate) fn enc(text: &str) -> String {
    super::http::url_encode(text)
}

/// Whether `ioc_type` is one of the hash types.
pub(crate) fn is_hash(ioc_type: &str) -> bool {
    matches!(ioc_type, "md5_hash" | "sha1_hash" | "sha256_hash" | "file_hash")
}

/// The names found under `key` in each object of the array at `pointer`.
pub(crate) fn names_at(json: &Value, pointer: &str, key: &str) -> Vec<Value> {
    json.pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|i| i.get(key).cloned()).collect())
        .unwrap_or_default()
}

/// Copies the listed fields of `json` (missing ones as null) into a details object, renamed.
pub(crate) fn pick(json: &Value, fields: &[(&str, &str)]) -> Value {
    let mut out = serde_json::Map::new();
    for (name, pointer) in fields {
        out.insert(name.to_string(), json.pointer(pointer).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}
