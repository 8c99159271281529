//! [`Secret`]: a secret value (client secret, password, access or refresh token, Key Vault
//! value) that shows as `********` in `Debug` and `Display` output, and the rule that decides which
//! setting names hold secrets.

/// A secret string; `Debug` and `Display` show `********`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for an HTTP header, a form body or a driver setting only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

/// What a redacted value shows.
pub const REDACTED: &str = "********";

/// Whether a setting name denotes a secret (`AuthKey`, `ClientSecret`, `password`, `token`,
/// `certificate`, …); names match ignoring case.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    [
        "key", "secret", "password", "passwd", "pwd", "token", "cookie", "apiid", "credential", "connection_str",
        "connectionstr", "accessid", "certificate", "assertion",
    ]
    .iter()
    .any(|marker| lower.contains(marker))
}

/// `value`, or `********` when `name` is a secret-like setting name (for `Debug` and display of
/// settings maps).
pub fn shown_value<'a>(name: &str, value: &'a str) -> &'a str {
    if is_secret_name(name) { REDACTED } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "******** ********");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn secret_like_names() {
        for name in ["ClientSecret", "client_secret", "AuthKey", "password", "bearer_token", "access_token", "Certificate", "certificate_path", "ApiID"] {
            assert!(is_secret_name(name), "{name}");
            assert_eq!(shown_value(name, "v"), REDACTED);
        }
        for name in ["ClientId", "TenantId", "workspace", "host", "cluster", "auth_methods"] {
            assert!(!is_secret_name(name), "{name}");
            assert_eq!(shown_value(name, "v"), "v");
        }
    }
}
