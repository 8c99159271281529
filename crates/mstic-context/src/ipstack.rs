//! IPStack geolocation (`http://api.ipstack.com/{ip[,ip…]}?access_key=…&output=json`, MSTICPy's
//! `IPStackLookup`), returning the same [`GeoRecord`]s and Frame columns as GeoLite2.

use crate::geoip::{GeoRecord, geo_records_frame};
use crate::ti::http::{describe_error, http_client, read_body, redact_secrets, url_encode};
use mstic_core::config::MsticConfig;
use mstic_core::limits::ReadLimits;
use mstic_core::{Error, Frame, Result, interrupt};
use serde_json::Value;

/// IPStack's public endpoint.
pub const IPSTACK_URL: &str = "http://api.ipstack.com";

/// The IPStack client: geolocation of IP addresses from the IPStack web service.
///
/// # Example
///
/// Lookups ask IPStack, so this part is only compiled:
///
/// ```no_run
/// use mstic_context::IpStackLookup;
/// let record = IpStackLookup::new("my-access-key").lookup("81.2.69.142")?;
/// assert_eq!(record.country_code.as_deref(), Some("GB"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
///
/// Offline: the key never shows, and an empty list sends no request:
///
/// ```
/// use mstic_context::IpStackLookup;
/// let client = IpStackLookup::new("my-access-key");
/// assert!(!format!("{client:?}").contains("my-access-key"));
/// assert!(client.lookup_many(&[])?.is_empty());
/// assert!(IpStackLookup::from_config(&mstic_core::config::MsticConfig::default()).is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct IpStackLookup {
    api_key: String,
    base_url: String,
    limits: ReadLimits,
}

impl std::fmt::Debug for IpStackLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpStackLookup").field("base_url", &self.base_url).field("api_key", &"********").finish()
    }
}

impl IpStackLookup {
    /// A client with an access key, at IPStack's public endpoint.
    pub fn new(api_key: &str) -> Self {
        IpStackLookup { api_key: api_key.to_string(), base_url: IPSTACK_URL.to_string(), limits: ReadLimits::from_env() }
    }

    /// Sets the size caps (by default [`ReadLimits::from_env`]; the response cap applies).
    pub fn with_read_limits(mut self, limits: ReadLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Points the client at another server.
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim_end_matches('/').to_string();
        self
    }

    /// From `OtherProviders.IPStack` (`Args.AuthKey`, optional `Args.BaseUrl`).
    pub fn from_config(config: &MsticConfig) -> Result<Self> {
        let entry = config
            .other_providers()
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case("IPStack") || p.provider.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("IPStackLookup")))
            .ok_or_else(|| Error::Config("OtherProviders.IPStack is not configured".into()))?;
        let key = entry.arg("AuthKey")?.ok_or_else(|| Error::Config("OtherProviders.IPStack.Args.AuthKey is not set".into()))?;
        let mut lookup = IpStackLookup::new(&key);
        if let Some(url) = entry.arg("BaseUrl")? {
            lookup = lookup.with_base_url(&url);
        }
        Ok(lookup)
    }

    /// The location of one address.
    pub fn lookup(&self, ip: &str) -> Result<GeoRecord> {
        self.lookup_many(&[ip.to_string()])?.into_iter().next().ok_or_else(|| Error::Remote {
            service: "IPStack".into(),
            message: format!("no answer for {ip}"),
        })
    }

    /// Locations of many addresses (one request for all) as a Frame of GeoLocation columns.
    pub fn lookup_frame(&self, ips: &[String]) -> Result<Frame> {
        geo_records_frame(&self.lookup_many(ips)?)
    }

    /// Locations of many addresses, in input order.
    pub fn lookup_many(&self, ips: &[String]) -> Result<Vec<GeoRecord>> {
        if ips.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = ips.iter().map(|ip| url_encode(ip.trim())).collect();
        let endpoint = format!("{}/{}", self.base_url, list.join(","));
        let url = format!("{endpoint}?access_key={}&output=json", url_encode(&self.api_key));
        let remote = |message: String| Error::Remote { service: "IPStack".into(), message: redact_secrets(&message, &[&self.api_key]) };
        let request = async {
            let response = http_client().get(&url).send().await.map_err(|e| describe_error(&e))?;
            let status = response.status();
            let body = read_body(response, self.limits.response(), &endpoint).await?;
            if !status.is_success() {
                return Err(format!("HTTP {}", status.as_u16()));
            }
            Ok(String::from_utf8_lossy(&body).into_owned())
        };
        let body = interrupt::block_on("the IPStack lookup", async { request.await.map_err(remote) })?;
        let json: Value = serde_json::from_str(&body).map_err(|e| remote(format!("response is not valid JSON: {e}")))?;
        if json.get("success").and_then(Value::as_bool) == Some(false) {
            let info = json.pointer("/error/info").and_then(Value::as_str).unwrap_or("request refused");
            return Err(remote(info.to_string()));
        }
        let items = match json {
            Value::Array(items) => items,
            single => vec![single],
        };
        Ok(items.iter().map(record).collect())
    }
}

fn record(item: &Value) -> GeoRecord {
    let text = |key: &str| item.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    GeoRecord {
        ip: text("ip").unwrap_or_default(),
        country_code: text("country_code"),
        country_name: text("country_name"),
        state: text("region_name"),
        city: text("city"),
        longitude: item.get("longitude").and_then(Value::as_f64),
        latitude: item.get("latitude").and_then(Value::as_f64),
        asn: item.pointer("/connection/asn").and_then(Value::as_u64).and_then(|a| u32::try_from(a).ok()),
        asn_org: item.pointer("/connection/isp").and_then(Value::as_str).map(str::to_string),
    }
}
