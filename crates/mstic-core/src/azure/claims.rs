//! Who a token signs in: the account and tenant claims of an Entra ID token (a JWT), read for
//! messages only — tokens are never verified or trusted here, the services do that.

use base64::Engine;
use serde_json::Value;

/// The account (`user@contoso.com`, or `app <id>` for an application) and tenant of a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TokenIdentity {
    pub account: Option<String>,
    pub tenant: Option<String>,
}

/// The identity claims of a JWT; `None` when the token is not a JWT (opaque tokens).
pub(crate) fn identity(token: &str) -> Option<TokenIdentity> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let text = |key: &str| claims.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
    let user = text("preferred_username").or_else(|| text("upn")).or_else(|| text("unique_name")).or_else(|| text("email"));
    let account = user.or_else(|| text("appid").or_else(|| text("azp")).map(|id| format!("app {id}")));
    Some(TokenIdentity { account, tenant: text("tid") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let part = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        format!("{}.{}.sig", part(r#"{"alg":"none"}"#), part(claims))
    }

    #[test]
    fn user_and_app_tokens() {
        let user = identity(&jwt(r#"{"upn":"ana@contoso.com","tid":"t-1"}"#)).unwrap();
        assert_eq!((user.account.as_deref(), user.tenant.as_deref()), (Some("ana@contoso.com"), Some("t-1")));
        let app = identity(&jwt(r#"{"appid":"66b9","tid":"t-2"}"#)).unwrap();
        assert_eq!(app.account.as_deref(), Some("app 66b9"));
        assert!(identity("opaque-token").is_none());
    }
}
