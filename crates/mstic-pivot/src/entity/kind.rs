//! Entity kinds: MSTICPy's class names, the lower-case/kebab names of Sentinel JSON
//! (`ENTITY_NAME_MAP`), aliases (`User`, `Ip`, `Machine`) and each kind's main properties.

use mstic_core::{Error, Result};

/// The kind of an [`super::Entity`] (MSTICPy's entity class).
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

struct KindInfo {
    kind: EntityKind,
    name: &'static str,
    json_type: &'static str,
    names: &'static [&'static str],
    properties: &'static [&'static str],
    display: &'static [&'static str],
}

const KINDS: &[KindInfo] = &[
    KindInfo {
        kind: EntityKind::Account,
        name: "Account",
        json_type: "account",
        names: &["account", "user"],
        properties: &[
            "Name", "NTDomain", "UPNSuffix", "Host", "LogonId", "Sid", "AadTenantId", "AadUserId", "PUID",
            "IsDomainJoined", "DisplayName", "ObjectGuid",
        ],
        display: &["qualified_name", "Name", "Sid", "AadUserId"],
    },
    KindInfo {
        kind: EntityKind::Alert,
        name: "Alert",
        json_type: "alert",
        names: &["alert", "alerts", "securityalert"],
        properties: &[
            "DisplayName", "CompromisedEntity", "Count", "StartTimeUtc", "EndTimeUtc", "Severity", "SystemAlertIds",
            "AlertType", "VendorName", "ProviderName", "Entities", "Description", "TimeGenerated", "AlertDisplayName",
        ],
        display: &["DisplayName", "AlertDisplayName", "SystemAlertIds"],
    },
    KindInfo {
        kind: EntityKind::AzureResource,
        name: "AzureResource",
        json_type: "azure-resource",
        names: &["azureresource", "azure-resource"],
        properties: &["ResourceId", "ResourceIdParts"],
        display: &["ResourceId"],
    },
    KindInfo {
        kind: EntityKind::Dns,
        name: "Dns",
        json_type: "dns",
        names: &["dns", "dnsresolve"],
        properties: &["DomainName", "IpAddresses", "DnsServerIp", "HostIpAddress"],
        display: &["DomainName"],
    },
    KindInfo {
        kind: EntityKind::File,
        name: "File",
        json_type: "file",
        names: &["file"],
        properties: &["FullPath", "Directory", "Name", "Md5", "Sha1", "Sha256", "Sha256Ac", "FileHashes", "Host", "PathSeparator", "OSFamily"],
        display: &["path", "Name", "file_hash"],
    },
    KindInfo {
        kind: EntityKind::FileHash,
        name: "FileHash",
        json_type: "filehash",
        names: &["filehash", "file-hash"],
        properties: &["Algorithm", "Value"],
        display: &["Value"],
    },
    KindInfo {
        kind: EntityKind::GeoLocation,
        name: "GeoLocation",
        json_type: "location",
        names: &["geolocation", "location"],
        properties: &["CountryCode", "CountryOrRegionName", "State", "City", "Longitude", "Latitude", "Asn"],
        display: &["CountryOrRegionName", "CountryCode"],
    },
    KindInfo {
        kind: EntityKind::Host,
        name: "Host",
        json_type: "host",
        names: &["host", "machine"],
        properties: &[
            "DnsDomain", "NTDomain", "HostName", "NetBiosName", "AzureID", "OMSAgentID", "OSFamily", "OSVersion",
            "IsDomainJoined", "DeviceId",
        ],
        display: &["fqdn", "HostName", "NetBiosName"],
    },
    KindInfo {
        kind: EntityKind::HostLogonSession,
        name: "HostLogonSession",
        json_type: "host-logon-session",
        names: &["hostlogonsession", "host-logon-session"],
        properties: &["Account", "StartTimeUtc", "EndTimeUtc", "Host", "SessionId"],
        display: &["SessionId"],
    },
    KindInfo {
        kind: EntityKind::IpAddress,
        name: "IpAddress",
        json_type: "ip",
        names: &["ipaddress", "ip", "ip-address"],
        properties: &["Address", "Location", "ThreatIntelligence", "hostname"],
        display: &["Address"],
    },
    KindInfo {
        kind: EntityKind::Process,
        name: "Process",
        json_type: "process",
        names: &["process"],
        properties: &[
            "ProcessId", "CommandLine", "ElevationToken", "CreationTimeUtc", "ImageFile", "Account", "ParentProcess",
            "Host", "LogonSession",
        ],
        display: &["ProcessFilePath", "ProcessId", "CommandLine"],
    },
    KindInfo {
        kind: EntityKind::Url,
        name: "Url",
        json_type: "url",
        names: &["url"],
        properties: &["Url", "DetonationVerdict", "DetonationFinalUrl", "DetonationScreenshot"],
        display: &["Url"],
    },
    KindInfo {
        kind: EntityKind::Unknown,
        name: "UnknownEntity",
        json_type: "unknown",
        names: &["unknown", "unknownentity"],
        properties: &[],
        display: &["Name", "Value"],
    },
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
