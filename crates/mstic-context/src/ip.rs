//! IP address categories as MSTICPy's `get_ip_type` names them, with the IANA special-purpose
//! ranges of Python's `ipaddress` module (`is_global`, `is_private`, `is_reserved`…).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The category of an IP address (MSTICPy's `get_ip_type` answers).
///
/// # Example
///
/// ```
/// use mstic_context::{IpType, ip_type};
/// assert_eq!(ip_type("10.0.0.1"), IpType::Private);
/// assert_eq!(ip_type("fe80::1"), IpType::LinkLocal);
/// assert_eq!(IpType::LinkLocal.as_str(), "Link Local");
/// assert_eq!(ip_type("not an address"), IpType::Unspecified);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpType {
    /// Globally routable.
    Public,
    /// Private-use or otherwise non-global special-purpose space (RFC 1918, documentation…).
    Private,
    /// Loopback (`127.0.0.0/8`, `::1`).
    Loopback,
    /// Reserved for future use (`240.0.0.0/4`, unallocated IPv6 blocks).
    Reserved,
    /// Multicast (`224.0.0.0/4`, `ff00::/8`).
    Multicast,
    /// Link-local (`169.254.0.0/16`, `fe80::/10`).
    LinkLocal,
    /// The unspecified address (`0.0.0.0`, `::`); also MSTICPy's answer for anything else,
    /// including text that is not an IP address.
    Unspecified,
}

impl IpType {
    /// MSTICPy's name: `Public`, `Private`, `Loopback`, `Reserved`, `Multicast`, `Link Local`,
    /// `Unspecified`.
    pub fn as_str(&self) -> &'static str {
        match self {
            IpType::Public => "Public",
            IpType::Private => "Private",
            IpType::Loopback => "Loopback",
            IpType::Reserved => "Reserved",
            IpType::Multicast => "Multicast",
            IpType::LinkLocal => "Link Local",
            IpType::Unspecified => "Unspecified",
        }
    }

    /// All categories, in the order `ip_type` checks them.
    pub fn all() -> [IpType; 7] {
        [
            IpType::Multicast,
            IpType::Public,
            IpType::Loopback,
            IpType::LinkLocal,
            IpType::Unspecified,
            IpType::Private,
            IpType::Reserved,
        ]
    }
}

impl fmt::Display for IpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The category of `ip`, checked in MSTICPy's order: Multicast, Public (global), Loopback,
/// Link Local, Unspecified, Private, Reserved; anything else (including text that is not an IP
/// address) is `Unspecified`.
///
/// ```
/// use mstic_context::{ip_type, IpType};
/// assert_eq!(ip_type("104.211.30.1"), IpType::Public);
/// assert_eq!(ip_type("192.168.0.1").as_str(), "Private");
/// assert_eq!(ip_type("127.0.0.1").to_string(), "Loopback");
/// ```
pub fn ip_type(ip: &str) -> IpType {
    let Ok(addr) = ip.trim().parse::<IpAddr>() else { return IpType::Unspecified };
    type Check = fn(&IpAddr) -> bool;
    let checks: [(IpType, Check); 7] = [
        (IpType::Multicast, |a| a.is_multicast()),
        (IpType::Public, is_global),
        (IpType::Loopback, |a| a.is_loopback()),
        (IpType::LinkLocal, is_link_local),
        (IpType::Unspecified, |a| a.is_unspecified()),
        (IpType::Private, is_private),
        (IpType::Reserved, is_reserved),
    ];
    checks.iter().find(|(_, check)| check(&addr)).map(|(t, _)| *t).unwrap_or(IpType::Unspecified)
}

/// Whether `ip` parses as an IPv4 or IPv6 address.
pub fn is_ip(ip: &str) -> bool {
    ip.trim().parse::<IpAddr>().is_ok()
}

/// Python's `is_global`: not private and not shared address space (`100.64.0.0/10`).
pub fn is_global(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => !in_v4(*v4, &[([100, 64, 0, 0], 10)]) && !is_private(addr),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_global(&IpAddr::V4(v4)),
            None => !is_private(addr),
        },
    }
}

/// Python's `is_private`: the IANA special-purpose ranges that are not globally reachable.
pub fn is_private(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => in_v4(*v4, V4_PRIVATE),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => in_v4(v4, V4_PRIVATE),
            None => in_v6(*v6, V6_PRIVATE),
        },
    }
}

/// Python's `is_reserved` (IETF-reserved blocks).
pub fn is_reserved(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => in_v4(*v4, &[([240, 0, 0, 0], 4)]),
        IpAddr::V6(v6) => in_v6(*v6, V6_RESERVED),
    }
}

/// Link-local (`169.254.0.0/16`, `fe80::/10`).
pub fn is_link_local(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => in_v6(*v6, &[(0xfe80_0000_0000_0000_0000_0000_0000_0000, 10)]),
    }
}

const V4_PRIVATE: &[([u8; 4], u8)] = &[
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([127, 0, 0, 0], 8),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 29),
    ([192, 0, 0, 170], 31),
    ([192, 0, 2, 0], 24),
    ([192, 168, 0, 0], 16),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([240, 0, 0, 0], 4),
    ([255, 255, 255, 255], 32),
];

const V6_PRIVATE: &[(u128, u8)] = &[
    (1, 128),
    (0, 128),
    (0xffff_0000_0000, 96),
    (0x0100_0000_0000_0000_0000_0000_0000_0000, 64),
    (0x2001_0000_0000_0000_0000_0000_0000_0000, 23),
    (0x2001_0002_0000_0000_0000_0000_0000_0000, 48),
    (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32),
    (0x2001_0010_0000_0000_0000_0000_0000_0000, 28),
    (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7),
    (0xfe80_0000_0000_0000_0000_0000_0000_0000, 10),
];

const V6_RESERVED: &[(u128, u8)] = &[
    (0x0000 << 112, 8),
    (0x0100 << 112, 8),
    (0x0200 << 112, 7),
    (0x0400 << 112, 6),
    (0x0800 << 112, 5),
    (0x1000 << 112, 4),
    (0x4000 << 112, 3),
    (0x6000 << 112, 3),
    (0x8000 << 112, 3),
    (0xa000 << 112, 3),
    (0xc000 << 112, 3),
    (0xe000 << 112, 4),
    (0xf000 << 112, 5),
    (0xf800 << 112, 6),
    (0xfe00 << 112, 9),
];

fn in_v4(addr: Ipv4Addr, nets: &[([u8; 4], u8)]) -> bool {
    let value = u32::from(addr);
    nets.iter().any(|(net, len)| {
        let mask = if *len == 0 { 0 } else { u32::MAX << (32 - len) };
        value & mask == u32::from(Ipv4Addr::from(*net)) & mask
    })
}

fn in_v6(addr: Ipv6Addr, nets: &[(u128, u8)]) -> bool {
    let value = u128::from(addr);
    nets.iter().any(|(net, len)| {
        let mask = if *len == 0 { 0 } else { u128::MAX << (128 - len) };
        value & mask == net & mask
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msticpy_ipv4_table() {
        // tests/context/test_ip_utils.py IPV4 (alternatives allowed where MSTICPy allows them).
        assert_eq!(ip_type("10.0.0.1"), IpType::Private);
        assert_eq!(ip_type("224.0.0.1"), IpType::Multicast);
        assert_eq!(ip_type("0.0.0.0"), IpType::Unspecified);
        assert_eq!(ip_type("198.51.100.1"), IpType::Private);
        assert_eq!(ip_type("127.0.0.1"), IpType::Loopback);
        assert_eq!(ip_type("153.2.3.4"), IpType::Public);
        assert_eq!(ip_type("169.254.0.1"), IpType::LinkLocal);
        assert_eq!(ip_type("104.211.30.1"), IpType::Public);
        assert_eq!(ip_type("192.168.0.1"), IpType::Private);
        assert_eq!(ip_type("240.1.2.3"), IpType::Private);
    }

    #[test]
    fn msticpy_ipv6_table() {
        assert_eq!(ip_type("FC00::C001:1DFF:FEE0:0"), IpType::Private);
        assert_eq!(ip_type("FF00::"), IpType::Multicast);
        assert_eq!(ip_type("::"), IpType::Unspecified);
        assert_eq!(ip_type("2001:db8::"), IpType::Private);
        assert_eq!(ip_type("::1"), IpType::Loopback);
        assert_eq!(ip_type("2340:0023:AABA:0A01:0055:5054:9ABC:ABB0"), IpType::Public);
        assert_eq!(ip_type("FE80::C001:1DFF:FEE0:0"), IpType::LinkLocal);
    }

    #[test]
    fn not_an_address_is_unspecified_and_shared_space_is_not_global() {
        assert_eq!(ip_type("not an ip"), IpType::Unspecified);
        assert_eq!(ip_type(""), IpType::Unspecified);
        assert_eq!(ip_type("100.64.0.1"), IpType::Unspecified);
        assert_eq!(IpType::LinkLocal.to_string(), "Link Local");
    }
}
