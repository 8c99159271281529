//! Rust MSTIC context: enrich IoCs and IP addresses as MSTICPy's `msticpy.context` does —
//! threat-intel lookups across providers ([`TiLookup`]), GeoLite2 and IPStack geolocation
//! ([`GeoIpLookup`], [`IpStackLookup`]), IP categories ([`ip_type`]), whois over RDAP
//! ([`whois`], [`RdapClient`]) and DNS ([`dns_resolve`], [`dns_reverse`]). Every remote service's
//! base URL is configurable (the `mstic-demo` crate serves provider answers on 127.0.0.1 for
//! examples and tests).

#![warn(missing_docs)]

pub mod dns;
pub mod geoip;
pub mod geoip_download;
pub mod ip;
pub mod ipstack;
pub mod ti;
pub mod whois;

pub use dns::{dns_resolve, dns_reverse};
pub use geoip::{GeoIpLookup, GeoRecord};
pub use ip::{IpType, ip_type};
pub use ipstack::IpStackLookup;
pub use ti::{LookupOptions, ProviderScope, Severity, TiLookup, TiProvider, TiQuery, TiResult};
pub use whois::{AsnInfo, RdapClient, whois};
