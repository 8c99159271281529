//! Typed entity handles: [`IpAddress`], [`Host`], [`Account`], [`Url`], [`Dns`], [`File`],
//! [`FileHash`], [`Process`], [`Alert`], [`GeoLocation`], [`AzureResource`] and
//! [`HostLogonSession`]. Each wraps an [`Entity`] (and dereferences to it) and adds a
//! constructor from a value, property accessors and Frame conversions. MSTICPy's aliases are
//! type aliases: [`User`] = Account, [`Ip`] = IpAddress, [`Machine`] = Host.

use super::{Entity, EntityKind};
use mstic_core::{Error, Frame, Result};

macro_rules! entity_type {
    ($(#[$doc:meta])* $name:ident, $kind:ident, { $($(#[$adoc:meta])* $accessor:ident => $prop:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name(pub Entity);

        impl $name {
            /// The entity kind of this type.
            pub const KIND: EntityKind = EntityKind::$kind;

            /// This kind's entity with its main property set to `value`.
            pub fn new(value: impl Into<String>) -> Self {
                $name::build(value.into())
            }

            /// An empty entity of this kind; add properties with [`Self::with`].
            pub fn empty() -> Self {
                $name(Entity::new(EntityKind::$kind))
            }

            /// The same entity with property `name` set.
            pub fn with(self, name: &str, value: impl Into<serde_json::Value>) -> Self {
                $name(self.0.with(name, value))
            }

            /// Wraps a generic entity, which must be of this kind.
            pub fn from_entity(entity: Entity) -> Result<Self> {
                if entity.kind() == EntityKind::$kind {
                    Ok($name(entity))
                } else {
                    Err(Error::invalid("entity", format!("expected {}, got {}", EntityKind::$kind, entity.kind())))
                }
            }

            /// One entity per non-null value of `column` (the value fills the main property).
            pub fn from_column(frame: &Frame, column: &str) -> Result<Vec<Self>> {
                Ok(frame.column_strings(column)?.into_iter().flatten().map($name::new).collect())
            }

            /// One entity per row; columns named like properties (or mapped property → column
            /// in `column_map`) become properties.
            pub fn from_frame(frame: &Frame, column_map: &[(&str, &str)]) -> Result<Vec<Self>> {
                Ok(Entity::from_frame(EntityKind::$kind, frame, column_map)?.into_iter().map($name).collect())
            }

            /// The generic entity.
            pub fn entity(&self) -> &Entity {
                &self.0
            }

            /// Shows the entity as the cell's result.
            pub fn evcxr_display(&self) {
                self.0.evcxr_display();
            }

            $(
                $(#[$adoc])*
                pub fn $accessor(&self) -> Option<String> {
                    self.0.get_str($prop)
                }
            )*
        }

        impl std::ops::Deref for $name {
            type Target = Entity;
            fn deref(&self) -> &Entity {
                &self.0
            }
        }

        impl From<$name> for Entity {
            fn from(value: $name) -> Entity {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

entity_type!(
    /// An IP address (MSTICPy `IpAddress`, alias `Ip`): `IpAddress::new("104.211.30.1")`.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::IpAddress;
    /// let ip = IpAddress::new(" 104.211.30.1 ").with("hostname", "web1");
    /// assert_eq!(ip.address().as_deref(), Some("104.211.30.1"));
    /// assert_eq!(ip.hostname().as_deref(), Some("web1"));
    /// ```
    IpAddress, IpAddress, {
        /// `Address`.
        address => "Address",
        /// `hostname`.
        hostname => "hostname",
    }
);
entity_type!(
    /// A host (alias `Machine`): `Host::new("msticalertswin1.contoso.com")` sets HostName and DnsDomain.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::Host;
    /// let host = Host::new("msticalertswin1.contoso.com");
    /// assert_eq!(host.host_name().as_deref(), Some("msticalertswin1"));
    /// assert_eq!(host.dns_domain().as_deref(), Some("contoso.com"));
    /// assert_eq!(host.fqdn().as_deref(), Some("msticalertswin1.contoso.com"));
    /// ```
    Host, Host, {
        /// `HostName`.
        host_name => "HostName",
        /// `DnsDomain`.
        dns_domain => "DnsDomain",
        /// `NTDomain`.
        nt_domain => "NTDomain",
        /// `NetBiosName`.
        net_bios_name => "NetBiosName",
        /// `OSFamily`.
        os_family => "OSFamily",
        /// `AzureID`.
        azure_id => "AzureID",
        /// `OMSAgentID`.
        oms_agent_id => "OMSAgentID",
        /// `DeviceId`.
        device_id => "DeviceId",
        /// `HostName[.DnsDomain]`.
        fqdn => "fqdn",
    }
);
entity_type!(
    /// An account (alias `User`): `Account::new("CONTOSO\\ian")` or `Account::new("ian@contoso.com")`.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::Account;
    /// let domain_user = Account::new("CONTOSO\\ian");
    /// assert_eq!(domain_user.nt_domain().as_deref(), Some("CONTOSO"));
    /// let cloud_user = Account::new("ian@contoso.com");
    /// assert_eq!(cloud_user.upn_suffix().as_deref(), Some("contoso.com"));
    /// assert_eq!(cloud_user.qualified_name().as_deref(), Some("ian@contoso.com"));
    /// ```
    Account, Account, {
        /// `Name`.
        name => "Name",
        /// `NTDomain`.
        nt_domain => "NTDomain",
        /// `UPNSuffix`.
        upn_suffix => "UPNSuffix",
        /// `Sid`.
        sid => "Sid",
        /// `AadUserId`.
        aad_user_id => "AadUserId",
        /// `LogonId`.
        logon_id => "LogonId",
        /// `Name@UPNSuffix`, `NTDomain\Name` or `Name`.
        qualified_name => "qualified_name",
    }
);
entity_type!(
    /// A URL, with its components: `Url::new("https://www.contoso.com/path").host()`.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::Url;
    /// let url = Url::new("https://www.contoso.com/path?id=7#top");
    /// assert_eq!(url.host().as_deref(), Some("www.contoso.com"));
    /// assert_eq!(url.scheme().as_deref(), Some("https"));
    /// assert_eq!((url.query().as_deref(), url.fragment().as_deref()), (Some("id=7"), Some("top")));
    /// ```
    Url, Url, {
        /// `Url`.
        url => "Url",
        /// The host name.
        host => "host",
        /// The scheme.
        scheme => "scheme",
        /// The path.
        path => "path",
        /// The query string.
        query => "query",
        /// The fragment.
        fragment => "fragment",
        /// `DetonationVerdict`.
        detonation_verdict => "DetonationVerdict",
    }
);
entity_type!(
    /// A DNS name (MSTICPy `Dns`): `Dns::new("www.contoso.com")`.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::{Dns, Entity, EntityKind};
    /// let dns = Dns::new("www.contoso.com").with("DnsServerIp", "10.0.0.53");
    /// assert_eq!(dns.domain_name().as_deref(), Some("www.contoso.com"));
    /// assert_eq!(dns.dns_server_ip().as_deref(), Some("10.0.0.53"));
    /// assert!(Dns::from_entity(Entity::new(EntityKind::Host)).is_err());
    /// ```
    Dns, Dns, {
        /// `DomainName`.
        domain_name => "DomainName",
        /// `DnsServerIp`.
        dns_server_ip => "DnsServerIp",
    }
);
entity_type!(
    /// A file: `File::new("c:\\windows\\system32\\cmd.exe")` or `File::from_hash("…")`.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::File;
    /// let file = File::new("c:\\windows\\system32\\cmd.exe");
    /// assert_eq!(file.name().as_deref(), Some("cmd.exe"));
    /// assert_eq!(file.directory().as_deref(), Some("c:\\windows\\system32"));
    /// let known = File::from_hash("d41d8cd98f00b204e9800998ecf8427e");
    /// assert_eq!(known.md5(), known.file_hash());
    /// ```
    File, File, {
        /// `FullPath`.
        full_path => "FullPath",
        /// `Directory`.
        directory => "Directory",
        /// `Name`.
        name => "Name",
        /// `Md5`.
        md5 => "Md5",
        /// `Sha1`.
        sha1 => "Sha1",
        /// `Sha256`.
        sha256 => "Sha256",
        /// The first of SHA256, SHA1, MD5, SHA256AC.
        file_hash => "file_hash",
        /// The full path (from `FullPath` or `Directory` + `Name`).
        path => "path",
    }
);
entity_type!(
    /// One file hash: `FileHash::new("…").algorithm()`.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::FileHash;
    /// let hash = FileHash::new("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    /// assert_eq!(hash.algorithm().as_deref(), Some("SHA1"));
    /// assert_eq!(hash.value().as_deref(), Some("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    /// ```
    FileHash, FileHash, {
        /// `Algorithm` (MD5, SHA1, SHA256…).
        algorithm => "Algorithm",
        /// `Value`.
        value => "Value",
    }
);
entity_type!(
    /// A process: `Process::new("powershell -enc …")` sets CommandLine.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::Process;
    /// let process = Process::new("powershell -nop -w hidden").with("ProcessId", "0x1a4");
    /// assert_eq!(process.command_line().as_deref(), Some("powershell -nop -w hidden"));
    /// assert_eq!(process.process_id().as_deref(), Some("0x1a4"));
    /// ```
    Process, Process, {
        /// `ProcessId`.
        process_id => "ProcessId",
        /// `CommandLine`.
        command_line => "CommandLine",
        /// `ElevationToken`.
        elevation_token => "ElevationToken",
        /// `CreationTimeUtc`.
        creation_time_utc => "CreationTimeUtc",
        /// The image file's path.
        process_file_path => "ProcessFilePath",
    }
);
entity_type!(
    /// A security alert.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::Alert;
    /// let alert = Alert::new("Suspicious PowerShell command").with("Severity", "High");
    /// assert_eq!(alert.display_name().as_deref(), Some("Suspicious PowerShell command"));
    /// assert_eq!(alert.severity().as_deref(), Some("High"));
    /// ```
    Alert, Alert, {
        /// `DisplayName`.
        display_name => "DisplayName",
        /// `SystemAlertIds`.
        system_alert_ids => "SystemAlertIds",
        /// `Severity`.
        severity => "Severity",
        /// `CompromisedEntity`.
        compromised_entity => "CompromisedEntity",
    }
);
entity_type!(
    /// A geographic location (from GeoIP lookups).
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::GeoLocation;
    /// let place = GeoLocation::new("US").with("City", "Seattle").with("Latitude", 47.6);
    /// assert_eq!(place.country_code().as_deref(), Some("US"));
    /// assert_eq!(place.city().as_deref(), Some("Seattle"));
    /// assert_eq!(place.latitude().as_deref(), Some("47.6"));
    /// ```
    GeoLocation, GeoLocation, {
        /// `CountryCode`.
        country_code => "CountryCode",
        /// `CountryOrRegionName`.
        country_name => "CountryOrRegionName",
        /// `State`.
        state => "State",
        /// `City`.
        city => "City",
        /// `Longitude`.
        longitude => "Longitude",
        /// `Latitude`.
        latitude => "Latitude",
        /// `Asn`.
        asn => "Asn",
    }
);
entity_type!(
    /// An Azure resource: `AzureResource::new("/subscriptions/…")`.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::AzureResource;
    /// let id = "/subscriptions/0000/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1";
    /// let resource = AzureResource::new(id);
    /// assert_eq!(resource.resource_id().as_deref(), Some(id));
    /// assert_eq!(resource.main_value().as_deref(), Some(id));
    /// ```
    AzureResource, AzureResource, {
        /// `ResourceId`.
        resource_id => "ResourceId",
    }
);
entity_type!(
    /// A logon session on a host.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::entity::{HostLogonSession, EntityKind};
    /// let session = HostLogonSession::new("0x3e7").with("StartTimeUtc", "2024-05-01T10:00:00Z");
    /// assert_eq!(session.session_id().as_deref(), Some("0x3e7"));
    /// assert_eq!(session.kind(), EntityKind::HostLogonSession);
    /// ```
    HostLogonSession, HostLogonSession, {
        /// `SessionId`.
        session_id => "SessionId",
    }
);

/// MSTICPy's alias of [`Account`]; one name per entity in Rust MSTIC.
#[deprecated(note = "use entities::Account")]
pub type User = Account;
/// MSTICPy's alias of [`IpAddress`]; one name per entity in Rust MSTIC.
#[deprecated(note = "use entities::IpAddress")]
pub type Ip = IpAddress;
/// MSTICPy's alias of [`Host`]; one name per entity in Rust MSTIC.
#[deprecated(note = "use entities::Host")]
pub type Machine = Host;

fn plain(kind: EntityKind, prop: &str, value: String) -> Entity {
    Entity::new(kind).with(prop, value)
}

impl IpAddress {
    fn build(value: String) -> Self {
        IpAddress(plain(EntityKind::IpAddress, "Address", value.trim().to_string()))
    }
}
impl Host {
    fn build(value: String) -> Self {
        let mut entity = Entity::new(EntityKind::Host);
        match value.split_once('.') {
            Some((host, domain)) if !host.is_empty() && value.parse::<std::net::IpAddr>().is_err() => {
                entity.set("HostName", host);
                entity.set("DnsDomain", domain);
            }
            _ => entity.set("HostName", value),
        }
        Host(entity)
    }
}
impl Account {
    fn build(value: String) -> Self {
        let mut entity = Entity::new(EntityKind::Account);
        if let Some((domain, name)) = value.split_once('\\') {
            entity.set("NTDomain", domain);
            entity.set("Name", name);
        } else if let Some((name, upn)) = value.split_once('@') {
            entity.set("Name", name);
            entity.set("UPNSuffix", upn);
        } else {
            entity.set("Name", value);
        }
        Account(entity)
    }
}
impl Url {
    fn build(value: String) -> Self {
        Url(plain(EntityKind::Url, "Url", value))
    }
}
impl Dns {
    fn build(value: String) -> Self {
        Dns(plain(EntityKind::Dns, "DomainName", value))
    }
}
impl File {
    fn build(value: String) -> Self {
        let mut entity = plain(EntityKind::File, "FullPath", value.clone());
        if let Some(at) = value.rfind(['\\', '/']) {
            entity.set("Directory", &value[..at]);
            entity.set("Name", &value[at + 1..]);
            entity.set("PathSeparator", &value[at..at + 1]);
        } else {
            entity.set("Name", value);
        }
        File(entity)
    }

    /// A file known by one hash (md5, sha1 or sha256 by length).
    pub fn from_hash(hash: &str) -> Self {
        let prop = match hash.trim().len() {
            32 => "Md5",
            40 => "Sha1",
            _ => "Sha256",
        };
        File(plain(EntityKind::File, prop, hash.trim().to_string()))
    }
}
impl FileHash {
    fn build(value: String) -> Self {
        let algorithm = match value.len() {
            32 => "MD5",
            40 => "SHA1",
            64 => "SHA256",
            _ => "Unknown",
        };
        FileHash(plain(EntityKind::FileHash, "Value", value).with("Algorithm", algorithm))
    }
}
impl Process {
    fn build(value: String) -> Self {
        Process(plain(EntityKind::Process, "CommandLine", value))
    }
}
impl Alert {
    fn build(value: String) -> Self {
        Alert(plain(EntityKind::Alert, "DisplayName", value))
    }
}
impl GeoLocation {
    fn build(value: String) -> Self {
        GeoLocation(plain(EntityKind::GeoLocation, "CountryCode", value))
    }
}
impl AzureResource {
    fn build(value: String) -> Self {
        AzureResource(plain(EntityKind::AzureResource, "ResourceId", value))
    }
}
impl HostLogonSession {
    fn build(value: String) -> Self {
        HostLogonSession(plain(EntityKind::HostLogonSession, "SessionId", value))
    }
}
