//! Pivots over network context and threat intelligence (`mstic_context`): `IpAddress.util`
//! `ip_type`, `whois`, `geoloc`, `ip_rev_resolve`, `dns_resolve` on Dns/Host/Url, and the `ti`
//! container (`lookup_ip`, `lookup_dns`, `lookup_url`, `lookup_file_hash` with MSTICPy's
//! `tilookup_*` shortcuts) once a [`TiLookup`] is added.

use crate::entity::EntityKind;
use crate::func::{FrameFn, PivotAction, PivotFunc, ValueFn};
use crate::registry::Pivots;
use mstic_context::{GeoIpLookup, IpStackLookup, RdapClient, TiLookup};
use mstic_core::{Frame, Result};
use std::sync::Arc;

fn distinct_values(frame: &Frame, column: &str) -> Result<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    Ok(frame.column_strings(column)?.into_iter().flatten().filter(|v| seen.insert(v.clone())).collect())
}

/// Where a context pivot goes (`entity.util.name`), what it reads and returns, the function it
/// wraps, and its shortcut.
struct Spec<'a> {
    entity: EntityKind,
    container: &'a str,
    name: &'a str,
    attribute: &'a str,
    input_column: &'a str,
    out_key: &'a str,
    description: &'a str,
    wraps: String,
    shortcut: Option<&'a str>,
}

impl<'a> Spec<'a> {
    /// A `util` pivot of `entity` wrapping `wraps`, with no shortcut.
    fn util(entity: EntityKind, name: &'a str, attribute: &'a str, input_column: &'a str, out_key: &'a str, description: &'a str, wraps: &str) -> Spec<'a> {
        Spec { entity, container: "util", name, attribute, input_column, out_key, description, wraps: wraps.to_string(), shortcut: None }
    }

    /// The same with shortcut `shortcut`.
    fn shortcut(self, shortcut: &'a str) -> Spec<'a> {
        Spec { shortcut: Some(shortcut), ..self }
    }
}

impl Pivots {
    /// Adds the pivot `spec` doing `action`, and its shortcut.
    fn add_context(&self, spec: Spec<'_>, action: PivotAction) {
        let Spec { entity, container, name, attribute, input_column, out_key, description, wraps, shortcut } = spec;
        let mut f = PivotFunc::new(entity, container, name, attribute, input_column, out_key, description, action);
        f.wraps = wraps;
        self.add(f);
        if let Some(shortcut) = shortcut {
            let _ = self.make_shortcut(entity, &format!("{container}.{name}"), shortcut);
        }
    }
}

/// Registers the context pivots that need no configuration (`ip_type`).
pub(crate) fn register(pivots: &Pivots) {
    use EntityKind::IpAddress;
    let ip_type: ValueFn = Arc::new(|ip: &str| Ok(vec![("result".to_string(), Some(mstic_context::ip_type(ip.trim()).as_str().to_string()))]));
    let description = "The IP address type: Public, Private, Loopback, Multicast, Link Local, Reserved or Unspecified";
    pivots.add_context(Spec::util(IpAddress, "ip_type", "Address", "ip", "ip", description, "mstic_context::ip_type").shortcut("ip_type"), PivotAction::Value(ip_type));
    pivots.add_whois(RdapClient::new());

    let resolve: FrameFn = Arc::new(|frame, column, _| per_value_frames(frame, column, mstic_context::dns_resolve));
    for (entity, attribute) in [(EntityKind::Dns, "DomainName"), (EntityKind::Host, "fqdn"), (EntityKind::Url, "host")] {
        let description = "The addresses a name resolves to (A/AAAA records, system resolver)";
        let spec = Spec::util(entity, "dns_resolve", attribute, "domain", "qname", description, "mstic_context::dns_resolve");
        pivots.add_context(spec.shortcut("dns_resolve"), PivotAction::Frame(Arc::clone(&resolve)));
        let resolvable: ValueFn = Arc::new(|name: &str| {
            let answer = mstic_context::dns_resolve(name)?;
            let found = answer.column_strings("response")?.iter().any(Option::is_some);
            Ok(vec![("result".to_string(), Some(if found { "True" } else { "False" }.to_string()))])
        });
        let description = "Whether the name resolves (True/False)";
        let spec = Spec::util(entity, "dns_is_resolvable", attribute, "url_domain", "url_domain", description, "mstic_context::dns_resolve");
        pivots.add_context(spec.shortcut("dns_is_resolvable"), PivotAction::Value(resolvable));
    }
    let reverse: FrameFn = Arc::new(|frame, column, _| per_value_frames(frame, column, mstic_context::dns_reverse));
    let description = "The host name of an address (PTR record, system resolver)";
    pivots.add_context(Spec::util(IpAddress, "ip_rev_resolve", "Address", "ip", "IpAddress", description, "mstic_context::dns_reverse"), PivotAction::Frame(reverse));
}

/// Calls `f` for each distinct value and stacks the result frames.
fn per_value_frames(frame: &Frame, column: &str, f: fn(&str) -> Result<Frame>) -> Result<Frame> {
    let frames = distinct_values(frame, column)?.iter().map(|v| f(v)).collect::<Result<Vec<_>>>()?;
    Frame::concat(&frames)
}

impl Pivots {
    /// Sets the whois service behind `IpAddress.util.whois` (shortcut `whois`); results have
    /// MSTICPy's columns (`query`, `asn`, `asn_cidr`, `asn_country_code`, `asn_registry`,
    /// `asn_date`, `asn_description`, `nets`), keyed by `query`.
    pub fn add_whois(&self, client: RdapClient) {
        let client = Arc::new(client);
        let asn_client = Arc::clone(&client);
        let action: FrameFn = Arc::new(move |frame, column, _| client.whois_frame(&distinct_values(frame, column)?));
        let description = "Whois (ASN and RDAP registration) of an IP address";
        let spec = Spec::util(EntityKind::IpAddress, "whois", "Address", "ip", "query", description, "mstic_context::RdapClient::whois_frame");
        self.add_context(spec.shortcut("whois"), PivotAction::Frame(action));
        let asn: ValueFn = Arc::new(move |ip: &str| {
            let info = asn_client.asn_lookup(ip.trim())?;
            Ok(vec![
                ("asn".to_string(), Some(info.asn)),
                ("bgp_prefix".to_string(), Some(info.bgp_prefix)),
                ("country_code".to_string(), Some(info.country_code)),
                ("registry".to_string(), Some(info.registry)),
                ("allocated".to_string(), Some(info.allocated)),
                ("as_name".to_string(), Some(info.as_name)),
            ])
        });
        let description = "The autonomous system of an address (Team Cymru whois)";
        let spec = Spec::util(EntityKind::IpAddress, "whois_asn", "Address", "ip", "ip", description, "mstic_context::RdapClient::asn_lookup");
        self.add_context(spec.shortcut("whois_asn"), PivotAction::Value(asn));
    }

    /// Adds `IpAddress.util.geoloc_ips` backed by the IPStack service (MSTICPy's IPStack pivot).
    pub fn add_ipstack(&self, ipstack: IpStackLookup) {
        let action: FrameFn = Arc::new(move |frame, column, _| ipstack.lookup_frame(&distinct_values(frame, column)?));
        let description = "Geolocation from the IPStack service";
        let spec = Spec::util(EntityKind::IpAddress, "geoloc_ips", "Address", "ip", "IpAddress", description, "mstic_context::IpStackLookup::lookup_frame");
        self.add_context(spec, PivotAction::Frame(action));
    }

    /// Adds `IpAddress.util.geoloc` (shortcut `geoloc`) backed by GeoLite2 databases; results
    /// have MSTICPy's GeoLocation columns, keyed by `IpAddress`.
    pub fn add_geoip(&self, geoip: GeoIpLookup) {
        let action: FrameFn = Arc::new(move |frame, column, _| geoip.lookup_frame(&distinct_values(frame, column)?));
        let description = "Geolocation (country, state, city, coordinates, ASN) from GeoLite2 databases";
        let spec = Spec::util(EntityKind::IpAddress, "geoloc", "Address", "ip", "IpAddress", description, "mstic_context::GeoIpLookup::lookup_frame");
        self.add_context(spec.shortcut("geoloc"), PivotAction::Frame(action));
    }

    /// Adds the `ti` container (`IpAddress.ti.lookup_ip`, `Dns.ti.lookup_dns`, `Url.ti.lookup_url`,
    /// `File.ti.lookup_file_hash`) and the `tilookup_*` shortcuts, backed by `ti`'s providers.
    /// Results have MSTICPy's TI columns, keyed by `Ioc`.
    pub fn add_ti(&self, ti: TiLookup) {
        let ti = Arc::new(ti);
        let specs: [(EntityKind, &str, &str, Option<&'static str>, &str); 4] = [
            (EntityKind::IpAddress, "lookup_ip", "Address", None, "tilookup_ip"),
            (EntityKind::Dns, "lookup_dns", "DomainName", Some("dns"), "tilookup_dns"),
            (EntityKind::Url, "lookup_url", "Url", Some("url"), "tilookup_url"),
            (EntityKind::File, "lookup_file_hash", "file_hash", None, "tilookup_file_hash"),
        ];
        for (entity, name, attribute, ioc_type, shortcut) in specs {
            let ti = Arc::clone(&ti);
            let action: FrameFn = Arc::new(move |frame, column, _| ti.lookup_iocs(&distinct_values(frame, column)?, ioc_type));
            let wraps = format!("mstic_context::TiLookup::lookup_iocs (type {})", ioc_type.unwrap_or("inferred"));
            let description = "Threat-intelligence lookup across the primary TI providers";
            let spec = Spec { entity, container: "ti", name, attribute, input_column: "ioc", out_key: "Ioc", description, wraps, shortcut: Some(shortcut) };
            self.add_context(spec, PivotAction::Frame(action));
        }
    }
}
