//! Azure clouds (authority host, Key Vault domain) and the rule for sign-in and vault addresses:
//! `https` only, except loopback addresses (local test and demo servers).

use crate::{Error, Result};
use azure_core::http::Url;
use std::net::IpAddr;

/// An Azure cloud (MSTICPy's `Azure.cloud` and `KeyVault.Authority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// The public cloud (`global`).
    Global,
    /// Azure Government (`usgov`).
    UsGov,
    /// Azure China (`cn`).
    China,
}

impl Cloud {
    /// The cloud named `name` (`global`, `usgov`, `cn` and their long names); `None` is `global`.
    pub fn parse(name: Option<&str>) -> Result<Cloud> {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else { return Ok(Cloud::Global) };
        match name.to_ascii_lowercase().replace(['_', '-', ' '], "").as_str() {
            "global" | "public" | "azurecloud" | "azurepubliccloud" => Ok(Cloud::Global),
            "usgov" | "gov" | "azureusgovernment" | "azureusgovernmentcloud" => Ok(Cloud::UsGov),
            "cn" | "china" | "azurechinacloud" => Ok(Cloud::China),
            _ => Err(Error::invalid("Azure cloud", format!("'{name}' is not an Azure cloud; use global, usgov or cn"))),
        }
    }

    /// The cloud's sign-in authority, e.g. `https://login.microsoftonline.com`.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGov => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The domain of the cloud's Key Vaults, e.g. `vault.azure.net`.
    pub fn key_vault_domain(self) -> &'static str {
        match self {
            Cloud::Global => "vault.azure.net",
            Cloud::UsGov => "vault.usgovcloudapi.net",
            Cloud::China => "vault.azure.cn",
        }
    }
}

/// Whether `url` points at this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback_url(url: &Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Parses `text` as the address of `what` (an authority host, token endpoint or vault URL) and
/// refuses anything but `https`, except for loopback addresses.
pub fn check_secure_url(text: &str, what: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| Error::invalid(what, format!("'{text}' is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_url(&url) => Ok(url),
        scheme => Err(Error::invalid(
            what,
            format!("'{text}' uses {scheme}; sign-in and Key Vault addresses must use https (plain http only for 127.0.0.1 or localhost)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_or_loopback_only() {
        assert!(check_secure_url("https://login.microsoftonline.com", "authority host").is_ok());
        for local in ["http://127.0.0.1:8080", "http://localhost:1234/x", "http://[::1]:99", "http://127.5.0.1"] {
            assert!(check_secure_url(local, "authority host").is_ok(), "{local}");
        }
        let err = check_secure_url("http://login.example.com", "authority host").unwrap_err().to_string();
        assert!(err.contains("authority host") && err.contains("must use https"), "{err}");
        assert!(check_secure_url("ftp://127.0.0.1", "vault URL").is_err());
        assert!(check_secure_url("not a url", "vault URL").unwrap_err().to_string().contains("not a URL"));
    }

    #[test]
    fn clouds() {
        assert_eq!(Cloud::parse(None).unwrap(), Cloud::Global);
        assert_eq!(Cloud::parse(Some("AzureUSGovernment")).unwrap().authority_host(), "https://login.microsoftonline.us");
        assert_eq!(Cloud::parse(Some("cn")).unwrap().key_vault_domain(), "vault.azure.cn");
        assert!(Cloud::parse(Some("de")).unwrap_err().to_string().contains("global, usgov or cn"));
    }
}
