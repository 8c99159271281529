//! A demo threat-intel service on 127.0.0.1 for example notebooks: [`DemoTiServer`] answers as
//! OTX, VirusTotal v3, GreyNoise, AbuseIPDB, the Tor exit list, IPStack and RDAP do (their real
//! response shapes), with verdicts that are fixed per IoC, and hands out a config pointing at it.
//!
//! ```
//! use mstic_demo::DemoTiServer;
//! let demo = DemoTiServer::start()?;
//! let ti = demo.ti_lookup()?;
//! let results = ti.lookup_ioc("185.220.101.7", None)?;
//! assert!(results.len() >= 4);
//! # Ok::<(), mstic_core::Error>(())
//! ```

use crate::local_http::LocalServer;
use crate::ti_responses as responses;
use mstic_context::ti::TiLookup;
use mstic_context::whois::RdapClient;
use mstic_core::Result;
use mstic_core::config::MsticConfig;
use std::time::Duration;

/// The demo service; stops when dropped.
#[derive(Debug)]
pub struct DemoTiServer {
    server: LocalServer,
}

impl DemoTiServer {
    /// Starts the service on a free port of 127.0.0.1.
    pub fn start() -> Result<DemoTiServer> {
        Ok(DemoTiServer { server: LocalServer::start(responses::answer)? })
    }

    /// Starts the service with a delay before every answer (to show concurrency).
    pub fn start_with_latency(latency: Duration) -> Result<DemoTiServer> {
        Ok(DemoTiServer { server: LocalServer::start_with_latency(responses::answer, latency)? })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Requests answered so far.
    pub fn request_count(&self) -> usize {
        self.server.request_count()
    }

    /// `msticpyconfig.yaml` text whose `TIProviders` (OTX, VirusTotal, GreyNoise, AbuseIPDB,
    /// Tor) and `OtherProviders.IPStack` point at this server.
    pub fn config_yaml(&self) -> String {
        let url = self.url();
        format!(
            "TIProviders:\n\
             \x20 OTX:\n    Args:\n      AuthKey: demo-otx-key\n      BaseUrl: {url}/otx\n    Primary: True\n    Provider: OTX\n\
             \x20 VirusTotal:\n    Args:\n      AuthKey: demo-vt-key\n      BaseUrl: {url}/vt\n      MaxConcurrent: 20\n    Primary: True\n    Provider: VirusTotal\n\
             \x20 GreyNoise:\n    Args:\n      AuthKey: \"\"\n      BaseUrl: {url}/greynoise\n    Primary: True\n    Provider: GreyNoise\n\
             \x20 AbuseIPDB:\n    Args:\n      AuthKey: demo-abuseipdb-key\n      BaseUrl: {url}/abuseipdb\n    Primary: True\n    Provider: AbuseIPDB\n\
             \x20 TorExitNodes:\n    Args:\n      BaseUrl: {url}/tor/exit-addresses\n    Primary: True\n    Provider: Tor\n\
             OtherProviders:\n\
             \x20 IPStack:\n    Args:\n      AuthKey: demo-ipstack-key\n      BaseUrl: {url}/ipstack\n    Provider: IPStackLookup\n"
        )
    }

    /// The config of [`DemoTiServer::config_yaml`].
    pub fn config(&self) -> MsticConfig {
        MsticConfig::from_yaml_str(&self.config_yaml(), "demo-msticpyconfig.yaml").expect("the demo config is valid YAML")
    }

    /// A [`TiLookup`] with the demo providers.
    pub fn ti_lookup(&self) -> Result<TiLookup> {
        TiLookup::from_config(&self.config())
    }

    /// An [`RdapClient`] that uses this server's RDAP bootstrap and records (no ASN server).
    pub fn rdap_client(&self) -> RdapClient {
        let url = self.url();
        RdapClient::new()
            .with_asn_server(None)
            .with_bootstrap_urls(&format!("{url}/rdap/ipv4.json"), &format!("{url}/rdap/ipv6.json"))
            .with_retry(3, Duration::from_millis(50))
    }
}
