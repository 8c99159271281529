//! The sign-in methods of MSTICPy's `auth_methods` list (`Azure.auth_methods` in
//! `msticpyconfig.yaml`, or a driver's `auth_methods` setting), parsed and validated.

use crate::{Error, Result};

/// One way of signing in, as named in `auth_methods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// `env`: a service principal from `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` with
    /// `AZURE_CLIENT_SECRET`, `AZURE_CLIENT_CERTIFICATE_PATH` or `AZURE_FEDERATED_TOKEN_FILE`.
    Environment,
    /// `cli`: the signed-in Azure CLI (`az account get-access-token`).
    AzureCli,
    /// `msi`: the managed identity of an Azure VM (IMDS) or App Service.
    ManagedIdentity,
    /// `workload`: a Kubernetes workload identity (federated token file).
    WorkloadIdentity,
    /// `clientsecret`: `ClientId` + `ClientSecret` from the configuration.
    ClientSecret,
    /// `certificate`: `ClientId` + a PEM certificate and private key from the configuration.
    ClientCertificate,
    /// `devicecode`: a user signs in on another device with a code shown in the notebook.
    DeviceCode,
    /// `interactive`: a user signs in with a browser on this machine.
    Interactive,
    /// `vscode`: MSTICPy's VS Code account sign-in; not available here (skipped).
    VsCode,
    /// `powershell`: MSTICPy's Azure PowerShell sign-in; not available here (skipped).
    PowerShell,
}

/// MSTICPy's order when `auth_methods` is not configured.
pub const DEFAULT_AUTH_METHODS: &[&str] = &["env", "msi", "vscode", "cli", "powershell", "devicecode"];

/// Accepted names (matched ignoring case, `_` and `-`).
const NAMES: &[(&str, AuthMethod)] = &[
    ("env", AuthMethod::Environment),
    ("environment", AuthMethod::Environment),
    ("cli", AuthMethod::AzureCli),
    ("azurecli", AuthMethod::AzureCli),
    ("msi", AuthMethod::ManagedIdentity),
    ("managedidentity", AuthMethod::ManagedIdentity),
    ("workload", AuthMethod::WorkloadIdentity),
    ("workloadidentity", AuthMethod::WorkloadIdentity),
    ("clientsecret", AuthMethod::ClientSecret),
    ("secret", AuthMethod::ClientSecret),
    ("certificate", AuthMethod::ClientCertificate),
    ("clientcertificate", AuthMethod::ClientCertificate),
    ("devicecode", AuthMethod::DeviceCode),
    ("interactive", AuthMethod::Interactive),
    ("browser", AuthMethod::Interactive),
    ("vscode", AuthMethod::VsCode),
    ("powershell", AuthMethod::PowerShell),
];

impl AuthMethod {
    /// The method named `name` (`cli`, `devicecode`, `ClientSecret`…); an unknown name is an error
    /// listing the valid ones.
    pub fn parse(name: &str) -> Result<AuthMethod> {
        let wanted: String = name.trim().chars().filter(|c| !matches!(c, '_' | '-' | ' ')).flat_map(char::to_lowercase).collect();
        NAMES.iter().find(|(n, _)| *n == wanted).map(|(_, m)| *m).ok_or_else(|| {
            Error::invalid(
                "Azure auth_methods",
                format!(
                    "unknown sign-in method '{name}'; valid methods are env, cli, msi, workload, clientsecret, certificate, \
                     devicecode, interactive (vscode and powershell are accepted and skipped)"
                ),
            )
        })
    }

    /// Parses a list such as `["env", "cli"]` or `env, cli`.
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Vec<AuthMethod>> {
        names.iter().map(|n| n.as_ref()).filter(|n| !n.trim().is_empty()).map(AuthMethod::parse).collect()
    }

    /// The name used in `auth_methods`.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Environment => "env",
            AuthMethod::AzureCli => "cli",
            AuthMethod::ManagedIdentity => "msi",
            AuthMethod::WorkloadIdentity => "workload",
            AuthMethod::ClientSecret => "clientsecret",
            AuthMethod::ClientCertificate => "certificate",
            AuthMethod::DeviceCode => "devicecode",
            AuthMethod::Interactive => "interactive",
            AuthMethod::VsCode => "vscode",
            AuthMethod::PowerShell => "powershell",
        }
    }
}

/// Splits a list setting given as text (`env, cli`, `["env", "cli"]`).
pub(crate) fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|m| m.trim_matches(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '"' | '\'')).to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        assert_eq!(AuthMethod::parse("DeviceCode").unwrap(), AuthMethod::DeviceCode);
        assert_eq!(AuthMethod::parse("client_secret").unwrap(), AuthMethod::ClientSecret);
        assert_eq!(AuthMethod::parse(" Managed-Identity ").unwrap(), AuthMethod::ManagedIdentity);
        let defaults = AuthMethod::parse_list(DEFAULT_AUTH_METHODS).unwrap();
        assert_eq!(defaults.iter().map(|m| m.name()).collect::<Vec<_>>(), DEFAULT_AUTH_METHODS);
        assert_eq!(split_list(r#"["env", 'cli' ]"#), ["env", "cli"]);
    }

    #[test]
    fn unknown_method_names_the_valid_ones() {
        let err = AuthMethod::parse_list(&["cli", "devcode"]).unwrap_err().to_string();
        assert!(err.contains("'devcode'") && err.contains("devicecode, interactive") && err.contains("auth_methods"), "{err}");
    }
}
