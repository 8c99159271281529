//! The `util` pivots that need no remote service: `dns_components`, `url_components`,
//! `b64decode` (base64 unpacking) and `extract_iocs` (IoC extraction) — MSTICPy's
//! `mp_pivot_reg.yaml` entries with their entities, attributes and key columns. The context
//! pivots (`ip_type`, `whois`, `geoloc`, DNS, TI) are in [`crate::context`].

use crate::entity::EntityKind;
use crate::entity::UrlParts;
use crate::func::{FrameFn, PivotAction, PivotFunc, ResultRow, ValueFn};
use crate::registry::Pivots;
use mstic_core::Result;
use mstic_transform::{ExtractOptions, IocExtractor, UnpackOptions, unpack_frame};
use std::sync::Arc;

/// Splits a host name into MSTICPy's (tldextract) components: `subdomain`, `suffix` and the
/// `registered_domain` (the registrable name, e.g. `contoso.com`).
pub fn dns_components(domain: &str) -> ResultRow {
    let name = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let suffix = psl::suffix(name.as_bytes()).filter(|s| s.is_known()).and_then(|s| std::str::from_utf8(s.as_bytes()).ok().map(str::to_string));
    let registered =
        psl::domain(name.as_bytes()).filter(|d| d.suffix().is_known()).and_then(|d| std::str::from_utf8(d.as_bytes()).ok().map(str::to_string));
    let subdomain = registered.as_ref().and_then(|r| name.strip_suffix(r.as_str())).map(|s| s.trim_end_matches('.').to_string());
    vec![
        ("subdomain".to_string(), Some(subdomain.unwrap_or_default())),
        ("suffix".to_string(), Some(suffix.unwrap_or_default())),
        ("registered_domain".to_string(), Some(registered.unwrap_or_default())),
    ]
}

/// The components of a URL as Python's `urlparse` (`scheme`, `netloc`, `path`, `params`,
/// `query`, `fragment`) plus `host`.
pub fn url_components(url: &str) -> ResultRow {
    let parts = UrlParts::parse(url.trim());
    vec![
        ("scheme".into(), Some(parts.scheme.clone())),
        ("netloc".into(), Some(parts.netloc.clone())),
        ("path".into(), Some(parts.path.clone())),
        ("params".into(), Some(parts.params.clone())),
        ("query".into(), Some(parts.query.clone())),
        ("fragment".into(), Some(parts.fragment.clone())),
        ("host".into(), parts.host()),
    ]
}

/// Whether `domain` ends in a known public suffix: `result` is `True` or `False`.
pub fn validate_tld(domain: &str) -> ResultRow {
    let name = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let known = name.contains('.') && psl::suffix(name.as_bytes()).is_some_and(|s| s.is_known());
    vec![("result".to_string(), Some(if known { "True" } else { "False" }.to_string()))]
}

fn value_fn(f: fn(&str) -> ResultRow) -> PivotAction {
    let f: ValueFn = Arc::new(move |v: &str| -> Result<_> { Ok(f(v)) });
    PivotAction::Value(f)
}

/// Registers the `util` pivots of this module in `pivots`.
pub(crate) fn register(pivots: &Pivots) {
    let domain_entities = [(EntityKind::Url, "host"), (EntityKind::Host, "fqdn"), (EntityKind::Dns, "DomainName")];
    for (entity, attribute) in domain_entities {
        let mut f = PivotFunc::new(
            entity,
            "util",
            "dns_components",
            attribute,
            "domain",
            "domain",
            "Splits a domain into subdomain, registered domain and public suffix",
            value_fn(dns_components),
        );
        f.wraps = "public suffix list (MSTICPy: domain_utils.dns_components)".into();
        pivots.add(f);
    }
    for (entity, attribute) in domain_entities {
        let mut f = PivotFunc::new(
            entity,
            "util",
            "dns_validate_tld",
            attribute,
            "url_domain",
            "url_domain",
            "Whether the name ends in a known public suffix (True/False)",
            value_fn(validate_tld),
        );
        f.wraps = "public suffix list (MSTICPy: DomainValidator.validate_tld)".into();
        pivots.add(f);
    }
    let mut f = PivotFunc::new(
        EntityKind::Url,
        "util",
        "url_components",
        "Url",
        "url",
        "url",
        "Splits a URL into scheme, netloc, path, params, query, fragment and host",
        value_fn(url_components),
    );
    f.wraps = "urlparse rules (MSTICPy: domain_utils.url_components)".into();
    pivots.add(f);

    let b64: FrameFn = Arc::new(|frame, column, _| unpack_frame(frame, column, &UnpackOptions::default()));
    let extract: FrameFn = Arc::new(|frame, column, _| IocExtractor::new().extract_frame(frame, &[column], &ExtractOptions::new()));
    for (entity, attribute) in [(EntityKind::Process, "CommandLine"), (EntityKind::Url, "Url")] {
        let mut f = PivotFunc::new(
            entity,
            "util",
            "b64decode",
            attribute,
            "value",
            "original_string",
            "Decodes base64 (recursively, archives expanded) in the text",
            PivotAction::Frame(Arc::clone(&b64)),
        );
        f.wraps = "mstic_transform::unpack_frame".into();
        pivots.add(f);
        let mut f = PivotFunc::new(
            entity,
            "util",
            "extract_iocs",
            attribute,
            "value",
            "Input",
            "Extracts IoCs (IPs, domains, URLs, hashes…) from the text",
            PivotAction::Frame(Arc::clone(&extract)),
        );
        f.wraps = "mstic_transform::IocExtractor::extract_frame".into();
        pivots.add(f);
    }
    crate::context::register(pivots);
}
