//! `{KeyVault: …}` settings of `msticpyconfig.yaml` read from a Key Vault secrets endpoint over
//! HTTPS on 127.0.0.1 (the vault's sign-in challenge, the token from the configured sign-in, the
//! secret): found (and kept for the session), missing, and access denied — errors name the vault
//! and the secret, and no value appears in any error, log line or Debug string.

mod remote_auth_support;

use mstic_core::config::MsticConfig;
use mstic_demo::Reply;
use remote_auth_support::*;

fn challenge(authority: &str) -> Reply {
    Reply::json(401, r#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#)
        .with_header("WWW-Authenticate", &format!(r#"Bearer authorization="{authority}/{TENANT}", resource="https://vault.azure.net""#))
}

#[test]
fn key_vault_secrets_found_missing_and_denied() {
    let before = logs();
    let https = HttpsServer::start("key-vault");
    let vault = https.base_url();
    let server = &https.recorded;
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, token_json("at-key-vault", None))]);
    let found = serde_json::json!({"value": "kv-secret-value", "id": format!("{vault}/secrets/otx-key/0123"), "attributes": {"enabled": true}});
    server.route("GET", "/secrets/otx-key", vec![challenge(&vault), Reply::json(200, found)]);
    let missing = r#"{"error":{"code":"SecretNotFound","message":"A secret with (name/id) missing-key was not found in this key vault."}}"#;
    server.route("GET", "/secrets/missing-key", vec![challenge(&vault), Reply::json(404, missing)]);
    let denied = r#"{"error":{"code":"Forbidden","message":"The user, group or application does not have secrets get permission on key vault."}}"#;
    server.route("GET", "/secrets/denied-key", vec![challenge(&vault), Reply::json(403, denied)]);
    let yaml = format!(
        r#"Azure:
  auth_methods: [clientsecret]
  authority_host: "{vault}"
  ca_bundle: "{ca}"
  client_id: "{CLIENT_ID}"
  client_secret: "{CLIENT_SECRET}"
KeyVault:
  VaultName: "{vault}"
  TenantId: "{TENANT}"
  Authority: global
TIProviders:
  OTX:
    Args:
      AuthKey:
        KeyVault: otx-key
    Provider: OTX
  XForce:
    Args:
      AuthKey:
        KeyVault: missing-key
    Provider: XForce
  VirusTotal:
    Args:
      AuthKey:
        KeyVault: denied-key
    Provider: VirusTotal
"#,
        ca = https.ca_file.display()
    );
    let config = MsticConfig::from_yaml_str(&yaml, "kv msticpyconfig.yaml").unwrap();
    let providers = config.ti_providers();
    let provider = |name: &str| providers.iter().find(|p| p.name == name).unwrap();

    assert_eq!(provider("OTX").arg("AuthKey").unwrap().as_deref(), Some("kv-secret-value"));
    assert_eq!(provider("OTX").arg("AuthKey").unwrap().as_deref(), Some("kv-secret-value"), "kept for the session");
    let reads = server.requests_to("/secrets/otx-key");
    assert_eq!(reads.len(), 2, "the unauthenticated challenge, then the read; the second use is cached");
    assert_eq!(reads[0].header("authorization"), None);
    assert_eq!(reads[1].header("authorization"), Some("Bearer at-key-vault"));
    assert!(reads[1].path.starts_with("/secrets/otx-key") && reads[1].path.contains("api-version="), "{}", reads[1].path);
    let token_request = &server.requests_to("/oauth2/v2.0/token")[0];
    assert_eq!(token_request.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert!(token_request.body.contains("scope=https%3A%2F%2Fvault.azure.net%2F.default"), "{}", token_request.body);

    let missing = provider("XForce").arg("AuthKey").unwrap_err().to_string();
    assert!(missing.contains(&format!("Key Vault '{vault}' has no secret 'missing-key'")) && missing.contains("TIProviders.XForce.Args.AuthKey"), "{missing}");
    let denied = provider("VirusTotal").arg("AuthKey").unwrap_err().to_string();
    assert!(denied.contains("access to secret 'denied-key'") && denied.contains(&vault) && denied.contains("was denied"), "{denied}");
    assert!(denied.contains(&format!("signed in with client secret as app {CLIENT_ID}")), "{denied}");

    let log = logs()[before.len()..].to_string();
    assert!(log.contains("/secrets/otx-key"), "the SDK's request log is recorded:\n{log}");
    let shown = format!("{missing}\n{denied}\n{:?}\n{providers:?}\n{log}", config.key_vault_access());
    assert_no_secrets(&shown, &["kv-secret-value", "at-key-vault", CLIENT_SECRET]);
}

#[test]
fn key_vault_over_plain_http_is_refused_unless_loopback() {
    let yaml = "KeyVault:\n  VaultName: \"http://vault.example.com\"\nTIProviders:\n  OTX:\n    Args:\n      AuthKey:\n        KeyVault: otx-key\n";
    let config = MsticConfig::from_yaml_str(yaml, "kv.yaml").unwrap();
    let err = config.ti_providers()[0].arg("AuthKey").unwrap_err().to_string();
    assert!(err.contains("Key Vault URL") && err.contains("must use https"), "{err}");
}
