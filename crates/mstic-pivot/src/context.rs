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

/// Registers the context pivots that need no configuration (`ip_type`).
pub(crate) fn register(pivots: &Pivots) {
    let ip_type: ValueFn = Arc::new(|ip: &str| Ok(vec![("result".to_string(), Some(mstic_context::ip_type(ip.trim()).as_str().to_string()))]));
    let mut f = PivotFunc::new(
        EntityKind::IpAddress,
        "util",
        "ip_type",
        "Address",
        "ip",
        "ip",
        "The IP address type: Public, Private, Loopback, Multicast, Link Local, Reserved or Unspecified",
        PivotAction::Value(ip_type),
    );
    f.wraps = "mstic_context::ip_type".into();
    pivots.add(f);
    let _ = pivots.make_shortcut(EntityKind::IpAddress, "util.ip_type", "ip_type");
    pivots.add_whois(RdapClient::new());

    let resolve: FrameFn = Arc::new(|frame, column, _| per_value_frames(frame, column, mstic_context::dns_resolve));
    for (entity, attribute) in [(EntityKind::Dns, "DomainName"), (EntityKind::Host, "fqdn"), (EntityKind::Url, "host")] {
        let mut f = PivotFunc::new(
            entity,
            "util",
            "dns_resolve",
            attribute,
            "domain",
            "qname",
            "The addresses a name resolves to (A/AAAA records, system resolver)",
            PivotAction::Frame(Arc::clone(&resolve)),
        );
        f.wraps = "mstic_context::dns_resolve".into();
        pivots.add(f);
        let _ = pivots.make_shortcut(entity, "util.dns_resolve", "dns_resolve");
        let resolvable: ValueFn = Arc::new(|name: &str| {
            let answer = mstic_context::dns_resolve(name)?;
            let found = answer.column_strings("response")?.iter().any(Option::is_some);
            Ok(vec![("result".to_string(), Some(if found { "True" } else { "False" }.to_string()))])
        });
        let mut f = PivotFunc::new(
            entity,
            "util",
            "dns_is_resolvable",
            attribute,
            "url_domain",
            "url_domain",
            "Whether the name resolves (True/False)",
            PivotAction::Value(resolvable),
        );
        f.wraps = "mstic_context::dns_resolve".into();
        pivots.add(f);
        let _ = pivots.make_shortcut(entity, "util.dns_is_resolvable", "dns_is_resolvable");
    }
    let reverse: FrameFn = Arc::new(|frame, column, _| per_value_frames(frame, column, mstic_context::dns_reverse));
    let mut f = PivotFunc::new(
        EntityKind::IpAddress,
        "util",
        "ip_rev_resolve",
        "Address",
        "ip",
        "IpAddress",
        "The host name of an address (PTR record, system resolver)",
        PivotAction::Frame(reverse),
    );
    f.wraps = "mstic_context::dns_reverse".into();
    pivots.add(f);
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
        let mut f = PivotFunc::new(
            EntityKind::IpAddress,
            "util",
            "whois",
            "Address",
            "ip",
            "query",
            "Whois (ASN and RDAP registration) of an IP address",
            PivotAction::Frame(action),
        );
        f.wraps = "mstic_context::RdapClient::whois_frame".into();
        self.add(f);
        let _ = self.make_shortcut(EntityKind::IpAddress, "util.whois", "whois");
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
        let mut f = PivotFunc::new(
            EntityKind::IpAddress,
            "util",
            "whois_asn",
            "Address",
            "ip",
            "ip",
            "The autonomous system of an address (Team Cymru whois)",
            PivotAction::Value(asn),
        );
        f.wraps = "mstic_context::RdapClient::asn_lookup".into();
        self.add(f);
        let _ = self.make_shortcut(EntityKind::IpAddress, "util.whois_asn", "whois_asn");
    }

    /// Adds `IpAddress.util.geoloc_ips` backed by the IPStack service (MSTICPy's IPStack pivot).
    pub fn add_ipstack(&self, ipstack: IpStackLookup) {
        let action: FrameFn = Arc::new(move |frame, column, _| ipstack.lookup_frame(&distinct_values(frame, column)?));
        let mut f = PivotFunc::new(
            EntityKind::IpAddress,
            "util",
            "geoloc_ips",
            "Address",
            "ip",
            "IpAddress",
            "Geolocation from the IPStack service",
            PivotAction::Frame(action),
        );
        f.wraps = "mstic_context::IpStackLookup::lookup_frame".into();
        self.add(f);
    }

    /// Adds `IpAddress.util.geoloc` (shortcut `geoloc`) backed by GeoLite2 databases; results
    /// have MSTICPy's GeoLocation columns, keyed by `IpAddress`.
    pub fn add_geoip(&self, geoip: GeoIpLookup) {
        let action: FrameFn = Arc::new(move |frame, column, _| geoip.lookup_frame(&distinct_values(frame, column)?));
        let mut f = PivotFunc::new(
            EntityKind::IpAddress,
            "util",
            "geoloc",
            "Address",
            "ip",
            "IpAddress",
            "Geolocation (country, state, city, coordinates, ASN) from GeoLite2 databases",
            PivotAction::Frame(action),
        );
        f.wraps = "mstic_context::GeoIpLookup::lookup_frame".into();
        self.add(f);
        let _ = self.make_shortcut(EntityKind::IpAddress, "util.geoloc", "geoloc");
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
            let mut f = PivotFunc::new(
                entity,
                "ti",
                name,
                attribute,
                "ioc",
                "Ioc",
                "Threat-intelligence lookup across the primary TI providers",
                PivotAction::Frame(action),
            );
            f.wraps = format!("mstic_context::TiLookup::lookup_iocs (type {})", ioc_type.unwrap_or("inferred"));
            self.add(f);
            let _ = self.make_shortcut(entity, &format!("ti.{name}"), shortcut);
        }
    }
}
