//! Entity kinds: MSTICPy's class names, the lower-case/kebab names of Sentinel JSON
//! (`ENTITY_NAME_MAP`), aliases (`User`, `Ip`, `Machine`) and each kind's main properties.

use mstic_core::{Error, Result};

/// The kind of an [`super::Entity`] (MSTICPy's entity class).
///
/// # Example
/// ```
/// use mstic_pivot::EntityKind;
/// assert_eq!(EntityKind::parse("machine")?, EntityKind::Host);
/// assert_eq!(EntityKind::Host.main_property(), "HostName");
/// assert_eq!(EntityKind::from_json_type("host-logon-session"), EntityKind::HostLogonSession);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// A user account (alias `User`).
    Account,
    /// A security alert.
    Alert,
    /// An Azure resource (by ResourceId).
    AzureResource,
    /// A DNS name and its resolution.
    Dns,
    /// A file, with hashes.
    File,
    /// One hash of a file.
    FileHash,
    /// A geographic location.
    GeoLocation,
    /// A host (alias `Machine`).
    Host,
    /// A logon session on a host.
    HostLogonSession,
    /// An IP address (alias `Ip`).
    IpAddress,
    /// A process.
    Process,
    /// A URL.
    Url,
    /// Any other Sentinel entity type.
    Unknown,
}

/// A list of names or properties.
type Names = &'static [&'static str];

struct KindInfo {
    kind: EntityKind,
    name: &'static str,
    json_type: &'static str,
    names: Names,
    properties: Names,
    display: Names,
}

/// One row of [`KINDS`]: the kind, its class name, its JSON type, the names it is parsed from, its
/// main properties and its display properties.
const fn row(kind: EntityKind, name: &'static str, json_type: &'static str, names: Names, properties: Names, display: Names) -> KindInfo {
    KindInfo { kind, name, json_type, names, properties, display }
}

use EntityKind as Kind;

#[rustfmt::skip]
const KINDS: &[KindInfo] = &[
    row(Kind::Account, "Account", "account", &["account", "user"],
        &["Name", "NTDomain", "UPNSuffix", "Host", "LogonId", "Sid", "AadTenantId", "AadUserId", "PUID", "IsDomainJoined", "DisplayName", "ObjectGuid"],
        &["qualified_name", "Name", "Sid", "AadUserId"]),
    row(Kind::Alert, "Alert", "alert", &["alert", "alerts", "securityalert"],
        &["DisplayName", "CompromisedEntity", "Count", "StartTimeUtc", "EndTimeUtc", "Severity", "SystemAlertIds", "AlertType", "VendorName", "ProviderName", "Entities", "Description", "TimeGenerated", "AlertDisplayName"],
        &["DisplayName", "AlertDisplayName", "SystemAlertIds"]),
    row(Kind::AzureResource, "AzureResource", "azure-resource", &["azureresource", "azure-resource"],
        &["ResourceId", "ResourceIdParts"],
        &["ResourceId"]),
    row(Kind::Dns, "Dns", "dns", &["dns", "dnsresolve"],
        &["DomainName", "IpAddresses", "DnsServerIp", "HostIpAddress"],
        &["DomainName"]),
    row(Kind::File, "File", "file", &["file"],
        &["FullPath", "Directory", "Name", "Md5", "Sha1", "Sha256", "Sha256Ac", "FileHashes", "Host", "PathSeparator", "OSFamily"],
        &["path", "Name", "file_hash"]),
    row(Kind::FileHash, "FileHash", "filehash", &["filehash", "file-hash"],
        &["Algorithm", "Value"],
        &["Value"]),
    row(Kind::GeoLocation, "GeoLocation", "location", &["geolocation", "location"],
        &["CountryCode", "CountryOrRegionName", "State", "City", "Longitude", "Latitude", "Asn"],
        &["CountryOrRegionName", "CountryCode"]),
    row(Kind::Host, "Host", "host", &["host", "machine"],
        &["DnsDomain", "NTDomain", "HostName", "NetBiosName", "AzureID", "OMSAgentID", "OSFamily", "OSVersion", "IsDomainJoined", "DeviceId"],
        &["fqdn", "HostName", "NetBiosName"]),
    row(Kind::HostLogonSession, "HostLogonSession", "host-logon-session", &["hostlogonsession", "host-logon-session"],
        &["Account", "StartTimeUtc", "EndTimeUtc", "Host", "SessionId"],
        &["SessionId"]),
    row(Kind::IpAddress, "IpAddress", "ip", &["ipaddress", "ip", "ip-address"],
        &["Address", "Location", "ThreatIntelligence", "hostname"],
        &["Address"]),
    row(Kind::Process, "Process", "process", &["process"],
        &["ProcessId", "CommandLine", "ElevationToken", "CreationTimeUtc", "ImageFile", "Account", "ParentProcess", "Host", "LogonSession"],
        &["ProcessFilePath", "ProcessId", "CommandLine"]),
    row(Kind::Url, "Url", "url", &["url"],
        &["Url", "DetonationVerdict", "DetonationFinalUrl", "DetonationScreenshot"],
        &["Url"]),
    row(Kind::Unknown, "UnknownEntity", "unknown", &["unknown", "unknownentity"],
        &[],
        &["Name", "Value"]),
];

impl EntityKind {
    /// Every kind, in name order.
    pub const ALL: [EntityKind; 13] = [
        EntityKind::Account,
        EntityKind::Alert,
        EntityKind::AzureResource,
        EntityKind::Dns,
        EntityKind::File,
        EntityKind::FileHash,
        EntityKind::GeoLocation,
        EntityKind::Host,
        EntityKind::HostLogonSession,
        EntityKind::IpAddress,
        EntityKind::Process,
        EntityKind::Url,
        EntityKind::Unknown,
    ];

    fn info(self) -> &'static KindInfo {
        KINDS.iter().find(|k| k.kind == self).expect("every kind is described")
    }

    /// MSTICPy's class name (`IpAddress`, `Host`…).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The `Type` written in Sentinel entity JSON (`ip`, `host`, `host-logon-session`…).
    pub fn json_type(self) -> &'static str {
        self.info().json_type
    }

    /// The main properties (MSTICPy's documented attributes), in display order.
    pub fn property_names(self) -> &'static [&'static str] {
        self.info().properties
    }

    /// Properties (stored or computed) used to name an entity, best first.
    pub fn display_properties(self) -> &'static [&'static str] {
        self.info().display
    }

    /// The property a single value fills (`IpAddress::new("1.2.3.4")` sets `Address`).
    pub fn main_property(self) -> &'static str {
        match self {
            EntityKind::Account => "Name",
            EntityKind::Alert => "DisplayName",
            EntityKind::File => "FullPath",
            EntityKind::Host => "HostName",
            EntityKind::Process => "CommandLine",
            EntityKind::GeoLocation => "CountryCode",
            EntityKind::Unknown => "Name",
            other => other.info().properties[0],
        }
    }

    /// A kind from a class name, alias or JSON type, case-insensitively (`IpAddress`, `ip`, `User`,
    /// `Machine`, `host-logon-session`); an unknown name lists the closest ones.
    pub fn parse(name: &str) -> Result<EntityKind> {
        let folded = name.to_ascii_lowercase();
        KINDS
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name) || k.names.contains(&folded.as_str()))
            .map(|k| k.kind)
            .ok_or_else(|| Error::unknown("entity", name, KINDS.iter().map(|k| k.name)))
    }

    /// A kind from a JSON `Type`, with unknown types kept as [`EntityKind::Unknown`].
    pub fn from_json_type(name: &str) -> EntityKind {
        EntityKind::parse(name).unwrap_or(EntityKind::Unknown)
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for EntityKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        EntityKind::parse(s)
    }
}
