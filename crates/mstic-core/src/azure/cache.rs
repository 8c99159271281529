//! The session's access tokens, one cache for every driver and provider of the process: keyed by
//! the credential chain (its authority, tenant and identities — never its secrets) and the scope,
//! and used until five minutes before the expiry the token itself carries.

use super::chain::SignedIn;
use crate::config::Secret;
use azure_core::time::{Duration, OffsetDateTime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::minutes(5);

/// An access token with its expiry and who it signs in.
#[derive(Clone, Debug)]
pub(crate) struct CachedToken {
    /// The bearer token.
    pub token: Secret,
    /// When the token expires (from the token response), `None` when unknown (a token from settings).
    pub expires_on: Option<OffsetDateTime>,
    /// The credential and account behind it.
    pub signed_in: SignedIn,
}

impl CachedToken {
    /// Whether the token is still good for five minutes.
    pub fn is_fresh(&self) -> bool {
        self.expires_on.is_none_or(|expires| expires > OffsetDateTime::now_utc() + RENEW_BEFORE)
    }
}

type Tokens = Mutex<HashMap<(String, String), CachedToken>>;

fn tokens() -> Arc<Tokens> {
    crate::session::get_or_init("mstic-core.azure.tokens", Tokens::default)
}

/// The cached token of chain `chain` for `scope`, if still fresh.
pub(crate) fn get(chain: &str, scope: &str) -> Option<CachedToken> {
    let tokens = tokens();
    let map = tokens.lock().unwrap_or_else(|e| e.into_inner());
    map.get(&(chain.to_string(), scope.to_string())).filter(|t| t.is_fresh()).cloned()
}

/// Keeps `token` for chain `chain` and `scope`.
pub(crate) fn put(chain: &str, scope: &str, token: CachedToken) {
    let tokens = tokens();
    tokens.lock().unwrap_or_else(|e| e.into_inner()).insert((chain.to_string(), scope.to_string()), token);
}

/// Forgets the token of chain `chain` for `scope` (the service rejected it).
pub(crate) fn remove(chain: &str, scope: &str) {
    let tokens = tokens();
    tokens.lock().unwrap_or_else(|e| e.into_inner()).remove(&(chain.to_string(), scope.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_in: Option<Duration>) -> CachedToken {
        CachedToken {
            token: Secret::new("t"),
            expires_on: expires_in.map(|d| OffsetDateTime::now_utc() + d),
            signed_in: SignedIn { method: "client secret".into(), account: None, tenant: None },
        }
    }

    #[test]
    fn tokens_are_shared_until_five_minutes_before_expiry() {
        put("cache-test-chain", "scope/a", token(Some(Duration::hours(1))));
        assert_eq!(get("cache-test-chain", "scope/a").unwrap().token.expose(), "t");
        assert!(get("cache-test-chain", "scope/b").is_none());
        assert!(get("other-chain", "scope/a").is_none(), "another identity never gets the token");
        put("cache-test-chain", "scope/b", token(Some(Duration::minutes(4))));
        assert!(get("cache-test-chain", "scope/b").is_none(), "a token expiring within five minutes is renewed");
        put("cache-test-chain", "scope/c", token(None));
        assert!(get("cache-test-chain", "scope/c").is_some(), "a token of unknown expiry is kept");
        remove("cache-test-chain", "scope/a");
        assert!(get("cache-test-chain", "scope/a").is_none());
    }
}
