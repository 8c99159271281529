//! IP whois as MSTICPy's `ip_whois` does it: the ASN and registry from Team Cymru's whois service,
//! then the registry's RDAP record (with the IANA bootstrap file as fallback), following `rel=up`
//! links to the parent networks and backing off on HTTP 429. All servers are configurable.

use crate::ip::{IpType, ip_type};
use crate::ti::http::{describe_error, http_client, read_body};
use arrow::array::{ArrayRef, StringArray};
use mstic_core::limits::ReadLimits;
use mstic_core::{Error, Frame, Result, interrupt};
use regex::Regex;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Team Cymru's IP-to-ASN whois service.
pub const CYMRU_WHOIS: &str = "whois.cymru.com:43";
/// IANA's RDAP bootstrap file for IPv4 (`ipv6.json` beside it for IPv6).
pub const IANA_BOOTSTRAP_V4: &str = "https://data.iana.org/rdap/ipv4.json";

/// One line of Team Cymru's verbose answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AsnInfo {
    /// AS number.
    pub asn: String,
    /// The address asked about.
    pub ip: String,
    /// The announced prefix.
    pub bgp_prefix: String,
    /// Registration country.
    pub country_code: String,
    /// Regional registry (`arin`, `ripencc`, `apnic`, `lacnic`, `afrinic`).
    pub registry: String,
    /// Allocation date.
    pub allocated: String,
    /// AS name.
    pub as_name: String,
}

/// The whois answer for one address.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WhoisRecord {
    /// The address asked about.
    pub query: String,
    /// ASN data, when the ASN service answered.
    pub asn: Option<AsnInfo>,
    /// `"No ASN Information for IP type: …"` for non-public addresses.
    pub note: Option<String>,
    /// The RDAP networks: the address's own, then its parents (`cidr`, `handle`, `name`,
    /// `startAddress`, `endAddress`, `created`, `updated`, `address`, `emails`, `country`).
    pub nets: Vec<Value>,
}

/// RDAP whois client with configurable servers: who owns an IP address (ASN, registry, networks).
///
/// # Example
///
/// Public addresses are looked up on the internet, so this part is only compiled:
///
/// ```no_run
/// use mstic_context::RdapClient;
/// let record = RdapClient::new().lookup("8.8.8.8")?;
/// assert!(!record.nets.is_empty());
/// # Ok::<(), mstic_core::Error>(())
/// ```
///
/// Non-public addresses are answered without asking anyone:
///
/// ```
/// use mstic_context::RdapClient;
/// let client = RdapClient::new().with_asn_server(None);
/// assert_eq!(client.lookup("10.0.0.1")?.note.as_deref(), Some("No ASN Information for IP type: Private"));
/// assert!(client.lookup("not-an-ip").is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RdapClient {
    asn_server: Option<String>,
    registries: BTreeMap<String, String>,
    bootstrap_urls: (String, String),
    retry_count: u32,
    backoff: Duration,
    max_up_links: usize,
    limits: ReadLimits,
}

impl Default for RdapClient {
    fn default() -> Self {
        Self::new()
    }
}

impl RdapClient {
    /// The public services: Team Cymru, the five RIRs' RDAP servers and IANA's bootstrap.
    pub fn new() -> Self {
        let registries = [
            ("arin", "https://rdap.arin.net/registry/ip/"),
            ("ripencc", "https://rdap.db.ripe.net/ip/"),
            ("apnic", "https://rdap.apnic.net/ip/"),
            ("lacnic", "https://rdap.lacnic.net/rdap/ip/"),
            ("afrinic", "https://rdap.afrinic.net/rdap/ip/"),
        ];
        RdapClient {
            asn_server: Some(CYMRU_WHOIS.to_string()),
            registries: registries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            bootstrap_urls: (IANA_BOOTSTRAP_V4.to_string(), "https://data.iana.org/rdap/ipv6.json".to_string()),
            retry_count: 5,
            backoff: Duration::from_secs(3),
            max_up_links: 5,
            limits: ReadLimits::from_env(),
        }
    }

    /// The whois server (`host:port`) asked for the ASN and registry; `None` skips it and picks
    /// the registry from the bootstrap file.
    pub fn with_asn_server(mut self, server: Option<&str>) -> Self {
        self.asn_server = server.map(str::to_string);
        self
    }

    /// The RDAP URL prefix of a registry (the address is appended), e.g. `("arin",
    /// "http://127.0.0.1:8080/registry/ip/")`.
    pub fn with_registry_url(mut self, registry: &str, url_prefix: &str) -> Self {
        self.registries.insert(registry.to_ascii_lowercase(), url_prefix.to_string());
        self
    }

    /// The IANA bootstrap files for IPv4 and IPv6.
    pub fn with_bootstrap_urls(mut self, ipv4: &str, ipv6: &str) -> Self {
        self.bootstrap_urls = (ipv4.to_string(), ipv6.to_string());
        self
    }

    /// Retries after HTTP 429 and the pause between them (MSTICPy: 5 and 3 s).
    pub fn with_retry(mut self, count: u32, backoff: Duration) -> Self {
        self.retry_count = count;
        self.backoff = backoff;
        self
    }

    /// The size caps of whois and RDAP answers (by default [`ReadLimits::from_env`]; the response cap applies).
    pub fn with_read_limits(mut self, limits: ReadLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The ASN and registry of `ip` from the whois server.
    pub fn asn_lookup(&self, ip: &str) -> Result<AsnInfo> {
        interrupt::block_on(&format!("the ASN lookup of {ip}"), self.asn_lookup_async(ip))
    }

    async fn asn_lookup_async(&self, ip: &str) -> Result<AsnInfo> {
        let server = self.asn_server.as_deref().ok_or_else(|| Error::Config("no ASN whois server configured".into()))?;
        let remote = |message: String| Error::Remote { service: format!("whois {server}"), message };
        let cap = self.limits.response();
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(server).await?;
            stream.write_all(format!(" -v {ip}\r\n").as_bytes()).await?;
            let mut answer = Vec::new();
            stream.take(cap.bytes.saturating_add(1)).read_to_end(&mut answer).await?;
            Ok::<Vec<u8>, std::io::Error>(answer)
        };
        let answer = tokio::time::timeout(Duration::from_secs(15), exchange)
            .await
            .map_err(|_| remote("timed out".into()))?
            .map_err(|e| remote(e.to_string()))?;
        cap.check(answer.len() as u64, &format!("the whois answer of {server}")).map_err(|e| remote(e.to_string()))?;
        let answer = String::from_utf8_lossy(&answer);
        parse_cymru(&answer).ok_or_else(|| remote(format!("no ASN data for {ip}: {}", answer.lines().next().unwrap_or(""))))
    }

    /// The whois record of one address.
    pub fn lookup(&self, ip: &str) -> Result<WhoisRecord> {
        interrupt::block_on(&format!("the whois lookup of {ip}"), self.lookup_async(ip))
    }

    /// The whois record of one address (async form).
    pub async fn lookup_async(&self, ip: &str) -> Result<WhoisRecord> {
        let text = ip.trim();
        let addr: IpAddr = text.parse().map_err(|_| Error::invalid("ip", format!("'{text}' is not an IP address")))?;
        let mut record = WhoisRecord { query: text.to_string(), ..Default::default() };
        let kind = ip_type(text);
        if kind != IpType::Public {
            record.note = Some(format!("No ASN Information for IP type: {kind}"));
            return Ok(record);
        }
        record.asn = if self.asn_server.is_some() { self.asn_lookup_async(text).await.ok() } else { None };
        let prefix = match record.asn.as_ref().and_then(|a| self.registries.get(&a.registry.to_ascii_lowercase())) {
            Some(prefix) => prefix.clone(),
            None => self.bootstrap_prefix(addr).await?,
        };
        let mut url = format!("{prefix}{text}");
        for _ in 0..=self.max_up_links {
            let data = self.fetch(&url).await?;
            record.nets.push(network(&data));
            match up_link(&data) {
                Some(next) if record.nets.len() <= self.max_up_links => url = next,
                _ => break,
            }
        }
        Ok(record)
    }

    /// Whois of many addresses as a Frame with MSTICPy's columns (`query`, `asn`, `asn_cidr`,
    /// `asn_country_code`, `asn_registry`, `asn_date`, `asn_description`, `nets` as JSON). An
    /// address whose lookup fails gets its error in `asn_description`; an interrupt of the cell
    /// stops the whole call.
    pub fn whois_frame(&self, ips: &[String]) -> Result<Frame> {
        let mut records: Vec<WhoisRecord> = Vec::with_capacity(ips.len());
        for ip in ips {
            records.push(match self.lookup(ip) {
                Err(e) if e.is_interrupted() => return Err(e),
                Err(e) => WhoisRecord { query: ip.clone(), note: Some(e.to_string()), ..Default::default() },
                Ok(record) => record,
            });
        }
        let column = |f: &dyn Fn(&WhoisRecord) -> Option<String>| -> ArrayRef { Arc::new(records.iter().map(f).collect::<StringArray>()) };
        let asn = |f: fn(&AsnInfo) -> &String| move |r: &WhoisRecord| r.asn.as_ref().map(|a| f(a).clone());
        Frame::from_columns(vec![
            ("query".into(), column(&|r| Some(r.query.clone()))),
            ("asn".into(), column(&asn(|a| &a.asn))),
            ("asn_cidr".into(), column(&asn(|a| &a.bgp_prefix))),
            ("asn_country_code".into(), column(&asn(|a| &a.country_code))),
            ("asn_registry".into(), column(&asn(|a| &a.registry))),
            ("asn_date".into(), column(&asn(|a| &a.allocated))),
            ("asn_description".into(), column(&|r| r.asn.as_ref().map(|a| a.as_name.clone()).or_else(|| r.note.clone()))),
            ("nets".into(), column(&|r| (!r.nets.is_empty()).then(|| Value::Array(r.nets.clone()).to_string()))),
        ])
    }

    async fn fetch(&self, url: &str) -> Result<Value> {
        let remote = |message: String| Error::Remote { service: format!("RDAP {url}"), message };
        let mut attempts = 0;
        loop {
            let response = http_client()
                .get(url)
                .header("Accept", "application/rdap+json, application/json")
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .map_err(|e| remote(describe_error(&e)))?;
            let status = response.status().as_u16();
            if status == 429 && attempts < self.retry_count {
                attempts += 1;
                tokio::time::sleep(self.backoff).await;
                continue;
            }
            if status != 200 {
                return Err(remote(format!("HTTP {status}")));
            }
            let body = read_body(response, self.limits.response(), url).await.map_err(remote)?;
            return serde_json::from_slice(&body).map_err(|e| remote(format!("response is not valid JSON: {e}")));
        }
    }

    /// The RDAP URL prefix for `addr` from the IANA bootstrap file (longest matching prefix).
    async fn bootstrap_prefix(&self, addr: IpAddr) -> Result<String> {
        let url = if addr.is_ipv4() { &self.bootstrap_urls.0 } else { &self.bootstrap_urls.1 };
        let data = self.fetch(url).await?;
        let mut best: Option<(u8, String)> = None;
        for service in data.get("services").and_then(Value::as_array).into_iter().flatten() {
            let (Some(nets), Some(urls)) = (service.get(0).and_then(Value::as_array), service.get(1).and_then(Value::as_array)) else {
                continue;
            };
            let Some(base) = urls.iter().filter_map(Value::as_str).find(|u| u.starts_with("https")).or_else(|| urls.iter().filter_map(Value::as_str).next()) else {
                continue;
            };
            for net in nets.iter().filter_map(Value::as_str) {
                if let Some(len) = cidr_contains(net, addr)
                    && best.as_ref().is_none_or(|(l, _)| len > *l)
                {
                    best = Some((len, base.to_string()));
                }
            }
        }
        let (_, base) = best.ok_or_else(|| Error::Remote { service: format!("RDAP bootstrap {url}"), message: format!("no registry for {addr}") })?;
        Ok(format!("{}/ip/", base.trim_end_matches('/')))
    }
}

/// Whois of one address with the public services, as a one-row Frame (see [`RdapClient::whois_frame`]).
///
/// # Example
///
/// Public addresses are looked up on the internet, so this part is only compiled:
///
/// ```no_run
/// use mstic_context::whois;
/// let frame = whois("8.8.8.8")?;
/// assert_eq!(frame.column_strings("asn")?, [Some("15169".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
///
/// A private address is answered offline:
///
/// ```
/// use mstic_context::whois;
/// let frame = whois("192.168.1.1")?;
/// assert_eq!(frame.column_strings("asn_description")?, [Some("No ASN Information for IP type: Private".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn whois(ip: &str) -> Result<Frame> {
    RdapClient::new().whois_frame(&[ip.to_string()])
}

/// Parses Team Cymru's verbose answer (header line, then `AS | IP | BGP Prefix | CC | Registry |
/// Allocated | AS Name`).
pub fn parse_cymru(answer: &str) -> Option<AsnInfo> {
    let line = answer.lines().skip_while(|l| !l.contains('|')).nth(1)?;
    let fields: Vec<&str> = line.split('|').map(str::trim).collect();
    if fields.len() < 7 || fields[0].eq_ignore_ascii_case("NA") || fields[0].is_empty() {
        return None;
    }
    Some(AsnInfo {
        asn: fields[0].to_string(),
        ip: fields[1].to_string(),
        bgp_prefix: fields[2].to_string(),
        country_code: fields[3].to_string(),
        registry: fields[4].to_string(),
        allocated: fields[5].to_string(),
        as_name: fields[6..].join("|"),
    })
}

fn up_link(data: &Value) -> Option<String> {
    data.get("links")?.as_array()?.iter().find(|l| l.get("rel").and_then(Value::as_str) == Some("up"))?.get("href")?.as_str().map(str::to_string)
}

/// The summary of an RDAP ip-network object (MSTICPy's `_create_net` fields).
pub fn network(data: &Value) -> Value {
    let cidr = data
        .get("cidr0_cidrs")
        .and_then(Value::as_array)
        .map(|cidrs| {
            cidrs
                .iter()
                .filter_map(|c| {
                    let prefix = c.get("v4prefix").or_else(|| c.get("v6prefix"))?.as_str()?;
                    Some(format!("{prefix}/{}", c.get("length").map(|l| l.to_string()).unwrap_or_default()))
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "No network data retrieved.".to_string());
    let event = |action: &str| {
        data.get("events")
            .and_then(Value::as_array)
            .and_then(|events| events.iter().find(|e| e.get("eventAction").and_then(Value::as_str) == Some(action)))
            .and_then(|e| e.get("eventDate").cloned())
    };
    let address = data.get("entities").and_then(Value::as_array).and_then(|entities| {
        entities.iter().find_map(|entity| {
            entity.pointer("/vcardArray/1")?.as_array()?.iter().find_map(|item| {
                (item.get(0)?.as_str()? == "adr").then(|| item.pointer("/1/label").cloned()).flatten()
            })
        })
    });
    static EMAIL: OnceLock<Regex> = OnceLock::new();
    let email = EMAIL.get_or_init(|| Regex::new(r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*").unwrap());
    let text = data.to_string();
    let mut emails: Vec<String> = email.find_iter(&text).map(|m| m.as_str().to_string()).collect();
    emails.dedup();
    json!({
        "cidr": cidr,
        "handle": data.get("handle"),
        "name": data.get("name"),
        "country": data.get("country"),
        "startAddress": data.get("startAddress"),
        "endAddress": data.get("endAddress"),
        "created": event("registration"),
        "updated": event("last changed"),
        "address": address,
        "emails": emails,
    })
}

/// The prefix length of `cidr` if it contains `addr`.
fn cidr_contains(cidr: &str, addr: IpAddr) -> Option<u8> {
    let (net, len) = cidr.split_once('/')?;
    let len: u8 = len.parse().ok()?;
    match (net.parse::<IpAddr>().ok()?, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) if len <= 32 => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            (u32::from(n) & mask == u32::from(a) & mask).then_some(len)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if len <= 128 => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            (u128::from(n) & mask == u128::from(a) & mask).then_some(len)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cymru_answer_is_parsed() {
        let answer = "AS      | IP               | BGP Prefix          | CC | Registry | Allocated  | AS Name\n\
                      15169   | 8.8.8.8          | 8.8.8.0/24          | US | arin     | 1992-12-01 | GOOGLE, US\n";
        let info = parse_cymru(answer).unwrap();
        assert_eq!(info.asn, "15169");
        assert_eq!(info.registry, "arin");
        assert_eq!(info.as_name, "GOOGLE, US");
        assert!(parse_cymru("Error: no ASN or IP match on line 1.").is_none());
    }

    #[test]
    fn cidr_matching() {
        assert_eq!(cidr_contains("8.0.0.0/8", "8.8.8.8".parse().unwrap()), Some(8));
        assert_eq!(cidr_contains("9.0.0.0/8", "8.8.8.8".parse().unwrap()), None);
        assert_eq!(cidr_contains("2001:200::/23", "2001:200::1".parse().unwrap()), Some(23));
    }
}
