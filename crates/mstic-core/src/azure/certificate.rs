//! Client-certificate sign-in: a signed JWT client assertion (RS256) made from a PEM file holding
//! the app's certificate and its RSA private key, handed to `azure_identity`'s
//! `ClientAssertionCredential`. Signing uses aws-lc-rs, the crypto provider rustls already brings,
//! so no OpenSSL is needed.

use crate::{Error, Result};
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use azure_core::http::ClientMethodOptions;
use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How long a client assertion is valid.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// The app's certificate and key, making client assertions for one token endpoint.
#[derive(Clone)]
pub(crate) struct CertificateAssertion {
    path: PathBuf,
    client_id: String,
    /// The token endpoint (the assertion's audience).
    audience: String,
    key: Arc<RsaKeyPair>,
    /// Base64url SHA-1 and SHA-256 thumbprints of the certificate (`x5t`, `x5t#S256`).
    thumbprint_sha1: String,
    thumbprint_sha256: String,
}

impl std::fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("path", &self.path)
            .field("client_id", &self.client_id)
            .field("thumbprint", &self.thumbprint_sha256)
            .finish_non_exhaustive()
    }
}

impl CertificateAssertion {
    /// Reads the PEM certificate and RSA private key of `path` (one file).
    pub fn load(path: &Path, client_id: &str, audience: &str) -> Result<CertificateAssertion> {
        let bytes = std::fs::read(path).map_err(|e| Error::file(path, format!("cannot read the client certificate: {e}")))?;
        let hint = "the client certificate file must hold the certificate and its unencrypted RSA private key in PEM \
                    (convert a .pfx with `openssl pkcs12 -in cert.pfx -out cert.pem -nodes`)";
        let certificate = CertificateDer::pem_slice_iter(&bytes)
            .next()
            .and_then(|c| c.ok())
            .ok_or_else(|| Error::file(path, format!("no certificate found: {hint}")))?;
        let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| Error::file(path, format!("no private key found: {hint}")))?;
        let key = match &key {
            PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => return Err(Error::file(path, "the private key is not an RSA key; Entra ID client certificates need RSA")),
        }
        .map_err(|e| Error::file(path, format!("the RSA private key cannot be used: {e}")))?;
        let url_safe = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        use aws_lc_rs::digest::{SHA1_FOR_LEGACY_USE_ONLY, SHA256, digest};
        Ok(CertificateAssertion {
            path: path.to_path_buf(),
            client_id: client_id.to_string(),
            audience: audience.to_string(),
            key: Arc::new(key),
            thumbprint_sha1: url_safe(digest(&SHA1_FOR_LEGACY_USE_ONLY, certificate.as_ref()).as_ref()),
            thumbprint_sha256: url_safe(digest(&SHA256, certificate.as_ref()).as_ref()),
        })
    }

    /// A fresh signed assertion (`header.claims.signature`).
    pub fn assertion(&self) -> Result<String> {
        let url_safe = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint_sha1, "x5t#S256": self.thumbprint_sha256});
        let now = azure_core::time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "aud": self.audience,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signed = format!("{}.{}", url_safe(header.to_string().as_bytes()), url_safe(claims.to_string().as_bytes()));
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), signed.as_bytes(), &mut signature)
            .map_err(|_| Error::file(&self.path, "signing the client assertion failed"))?;
        Ok(format!("{signed}.{}", url_safe(&signature)))
    }
}

#[async_trait::async_trait]
impl azure_identity::ClientAssertion for CertificateAssertion {
    async fn secret(&self, _options: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        self.assertion().map_err(|e| azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_without_a_usable_key_are_explained() {
        let dir = std::env::temp_dir().join(format!("mstic-cert-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pfx = dir.join("cert.pfx");
        std::fs::write(&pfx, [0x30u8, 0x82, 0x01, 0x00, 0x02]).unwrap();
        let err = CertificateAssertion::load(&pfx, "app", "https://login/t/oauth2/v2.0/token").unwrap_err().to_string();
        assert!(err.contains("cert.pfx") && err.contains("openssl pkcs12"), "{err}");
        let missing = CertificateAssertion::load(&dir.join("none.pem"), "app", "aud").unwrap_err().to_string();
        assert!(missing.contains("none.pem") && missing.contains("cannot read"), "{missing}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
