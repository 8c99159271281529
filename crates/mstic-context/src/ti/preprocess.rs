//! Checks applied to an observable before any provider is asked (MSTICPy's
//! `preprocess_observable`), with MSTICPy's exact status messages: the type must match the IoC
//! pattern, IPs must be global, domains qualified, URLs parseable and not local, hashes must have
//! enough entropy. Defanged input (`1.2.3[.]4`, `hXXp://`) is refanged first.

use crate::ip::is_private;
use mstic_transform::{IocExtractor, refang};
use regex::Regex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::OnceLock;

/// The result of the checks: the value to send (`None` when a check failed) and `"ok"` or the
/// failure message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanitizedObservable {
    /// The cleaned value, or `None` if a check failed.
    pub observable: Option<String>,
    /// `"ok"` or MSTICPy's message (e.g. `"IP address is not global"`).
    pub status: String,
}

impl SanitizedObservable {
    fn ok(value: impl Into<String>) -> Self {
        SanitizedObservable { observable: Some(value.into()), status: "ok".into() }
    }

    fn fail(message: impl Into<String>) -> Self {
        SanitizedObservable { observable: None, status: message.into() }
    }

    /// Whether every check passed.
    pub fn is_ok(&self) -> bool {
        self.observable.is_some()
    }
}

/// The shared IoC pattern set (built once).
pub(crate) fn extractor() -> &'static IocExtractor {
    static EXTRACTOR: OnceLock<IocExtractor> = OnceLock::new();
    EXTRACTOR.get_or_init(IocExtractor::new)
}

/// Checks `observable` as `ioc_type`; types without checks (e.g. `other_type`) pass unchanged.
///
/// ```
/// use mstic_context::ti::preprocess_observable;
/// assert_eq!(preprocess_observable("127.0.0.1", "ipv4").status, "IP address is not global");
/// assert_eq!(preprocess_observable("185[.]92[.]220[.]35", "ipv4").observable.as_deref(), Some("185.92.220.35"));
/// ```
pub fn preprocess_observable(observable: &str, ioc_type: &str) -> SanitizedObservable {
    let value = observable.trim();
    let checked = matches!(
        ioc_type,
        "url" | "ipv4" | "ipv6" | "dns" | "hostname" | "md5_hash" | "sha1_hash" | "sha256_hash" | "file_hash"
    );
    if !checked {
        return SanitizedObservable::ok(value);
    }
    let value = refang(value);
    let type_ok = !value.is_empty() && extractor().validate(&value, ioc_type, false).unwrap_or(false);
    if !type_ok {
        return SanitizedObservable::fail(format!("Observable does not match expected pattern for {ioc_type}"));
    }
    match ioc_type {
        "url" => check_url(&value),
        "ipv4" => check_ip(&value, 4),
        "ipv6" => check_ip(&value, 6),
        "dns" | "hostname" => check_dns(&value),
        _ => check_hash(&value),
    }
}

fn check_ip(value: &str, version: u8) -> SanitizedObservable {
    let Ok(addr) = value.parse::<IpAddr>() else { return SanitizedObservable::fail("IP address is invalid format") };
    match (version, addr) {
        (4, IpAddr::V6(_)) => SanitizedObservable::fail("Not an IPv4 address"),
        (6, IpAddr::V4(_)) => SanitizedObservable::fail("Not an IPv6 address"),
        _ if crate::ip::is_global(&addr) => SanitizedObservable::ok(value),
        _ => SanitizedObservable::fail("IP address is not global"),
    }
}

fn check_dns(value: &str) -> SanitizedObservable {
    if !value.contains('.') {
        return SanitizedObservable::fail("Domain is unqualified domain name");
    }
    if value.parse::<IpAddr>().is_ok() {
        return SanitizedObservable::fail("Domain is an IP address");
    }
    SanitizedObservable::ok(value)
}

fn check_hash(value: &str) -> SanitizedObservable {
    if entropy(value) < 3.0 {
        return SanitizedObservable::fail("String has too low an entropy to be a hash");
    }
    SanitizedObservable::ok(value)
}

fn check_url(value: &str) -> SanitizedObservable {
    let (clean, scheme, host) = match split_url(value) {
        Some(parts) => (value.to_string(), parts.0, parts.1),
        None => match clean_url(value).and_then(|c| split_url(&c).map(|(s, h)| (c, s, h))) {
            Some((c, s, h)) => (c, s, h),
            None => return SanitizedObservable::fail(format!("Could not obtain scheme or host from {value}")),
        },
    };
    if host.is_empty() {
        return SanitizedObservable::fail(format!("Could not obtain scheme or host from {value}"));
    }
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(addr) = bare_host.parse::<IpAddr>() {
        if is_private(&addr) {
            return SanitizedObservable::fail("Host part of URL is a private IP address");
        }
        if addr.is_loopback() {
            return SanitizedObservable::fail("Host part of URL is a loopback IP address");
        }
    }
    if !host.contains('.') {
        return SanitizedObservable::fail("Host is unqualified domain name");
    }
    if scheme.eq_ignore_ascii_case("file") {
        return SanitizedObservable::fail(format!("{scheme} URL scheme is not supported"));
    }
    SanitizedObservable::ok(clean)
}

/// `(scheme, host)` of a URL written `scheme://[userinfo@]host[:port][/…]`, or `None` when it
/// does not have that shape.
fn split_url(url: &str) -> Option<(String, String)> {
    static SHAPE: OnceLock<Regex> = OnceLock::new();
    let shape = SHAPE.get_or_init(|| {
        Regex::new(r"^(?i)([a-z][a-z0-9+.-]*)://(?:[^@/?#\s]*@)?(\[[0-9a-f:.]+\]|[^:/?#\s\[\]]*)(?::\d*)?(?:[/?#][^\s]*)?$").unwrap()
    });
    let caps = shape.captures(url)?;
    Some((caps[1].to_string(), caps[2].to_string()))
}

/// A URL without its query string and fragment (MSTICPy's `_clean_url`), or `None` when the text
/// holds no `http(s)`/`ftp`/`telnet`/`ldap`/`file` URL.
///
/// ```
/// use mstic_context::ti::clean_url;
/// assert_eq!(clean_url("https://me@www.microsoft.com:443/test1?testparam=x").as_deref(),
///            Some("https://me@www.microsoft.com:443/test1"));
/// ```
pub fn clean_url(url: &str) -> Option<String> {
    static STRICT: OnceLock<Regex> = OnceLock::new();
    let strict = STRICT.get_or_init(|| {
        Regex::new(concat!(
            r"(?im)(?P<protocol>(?:https?|ftp|telnet|ldap|file)://)",
            r"(?P<userinfo>(?:[a-z0-9\-._~!$&*+,;=:]|%[0-9A-F]{2})*@)?",
            r"(?P<host>(?:[a-z0-9\-._~!$&*+,;=]|%[0-9A-F]{2})*)",
            r"(?::(?P<port>\d*))?",
            r"(?:/(?P<path>(?:[^?\#| ]|%[0-9A-F]{2})*))?",
        ))
        .unwrap()
    });
    let caps = strict.captures(url)?;
    let mut clean = caps.name("protocol")?.as_str().to_string();
    if let Some(user) = caps.name("userinfo") {
        clean.push_str(user.as_str());
    }
    clean.push_str(caps.name("host").map(|h| h.as_str()).unwrap_or_default());
    if let Some(port) = caps.name("port").filter(|p| !p.as_str().is_empty()) {
        clean.push(':');
        clean.push_str(port.as_str());
    }
    if let Some(path) = caps.name("path").filter(|p| !p.as_str().is_empty()) {
        clean.push('/');
        clean.push_str(path.as_str());
    }
    Some(clean)
}

/// Shannon entropy of a string in bits per character.
pub fn entropy(text: &str) -> f64 {
    let total = text.chars().count() as f64;
    if total == 0.0 {
        return 0.0;
    }
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    -counts.values().map(|&n| (n as f64 / total) * (n as f64 / total).log2()).sum::<f64>()
}

/// The IoC type of an observable as MSTICPy's `IoCExtract.get_ioc_type` infers it (refanged
/// first); `unknown` when no pattern claims the whole value.
pub fn infer_ioc_type(observable: &str) -> String {
    let value = refang(observable.trim());
    if let Ok(addr) = value.parse::<IpAddr>() {
        return if addr.is_ipv4() { "ipv4" } else { "ipv6" }.to_string();
    }
    extractor().get_ioc_type(&value)
}
