//! Device-code sign-in, the OAuth 2.0 device authorization grant (RFC 8628): ask
//! `{authority}/{tenant}/oauth2/v2.0/devicecode` for a code, show the verification address and
//! the code in the notebook, then poll `/token` every `interval` seconds (longer after
//! `slow_down`) until the user has signed in, declined, the code expired (`expires_in`) or the
//! sign-in time-out passed. The display is updated in place with the outcome.

use super::claims::TokenIdentity;
use super::user_sign_in::{TokenGrant, UserCredential, oauth_error, parse_grant, post_form, remote, without_query};
use crate::config::Secret;
use crate::display::escape_html;
use crate::{DisplayHandle, MimeBundle, Result};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The grant type of the polling requests.
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628's default polling interval and the extra wait after `slow_down`.
const DEFAULT_INTERVAL: u64 = 5;
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// The device authorization answer.
#[derive(Debug)]
struct DeviceAuthorization {
    device_code: Secret,
    user_code: String,
    verification_uri: String,
    expires_in: Duration,
    interval: Duration,
}

/// What to do after a poll that did not sign in.
#[derive(Debug, PartialEq, Eq)]
enum PollStep {
    /// Poll again after this interval.
    Wait(Duration),
    /// Stop with this reason.
    Fail(String),
}

/// Signs the user in with a device code and returns the tokens for `scope`.
pub(crate) async fn sign_in(user: &UserCredential, scope: &str) -> Result<TokenGrant> {
    let authorize_url = user.endpoint("devicecode")?;
    let token_url = user.endpoint("token")?;
    let scopes = UserCredential::scopes(scope);
    let (status, json) = post_form(&user.http, &authorize_url, &[("client_id", &user.client_id), ("scope", &scopes)])
        .await
        .map_err(|e| remote(format!("device code sign-in: {e}")))?;
    if !(200..300).contains(&status) {
        return Err(remote(format!("device code sign-in: {} answered {}", without_query(&authorize_url), oauth_error(status, &json))));
    }
    let code = parse_authorization(&json).map_err(|e| remote(format!("device code sign-in: {} {e}", without_query(&authorize_url))))?;
    let lifetime = code.expires_in.min(user.sign_in_timeout);
    let prompt = Prompt::show(&code, lifetime);
    let deadline = Instant::now() + lifetime;
    let mut interval = code.interval;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(prompt.failed(format!(
                "no sign-in within {} s; connect again for a new code (raise sign_in_timeout to wait longer)",
                lifetime.as_secs()
            )));
        }
        let wait = interval.min(left);
        if let Err(stopped) = crate::interrupt::race("the device code sign-in", async {
            tokio::time::sleep(wait).await;
            Ok(())
        })
        .await
        {
            prompt.update("Device code sign-in stopped.", false);
            return Err(stopped);
        }
        let form = [("grant_type", DEVICE_CODE_GRANT), ("client_id", user.client_id.as_str()), ("device_code", code.device_code.expose())];
        let (status, json) = match post_form(&user.http, &token_url, &form).await {
            Ok(answer) => answer,
            Err(e) => return Err(prompt.failed(e.to_string())),
        };
        match parse_grant(status, &json) {
            Ok(grant) => {
                prompt.signed_in(&grant.identity);
                return Ok(grant);
            }
            Err(error) => match after_poll(&error.code, &error.to_string(), interval) {
                PollStep::Wait(next) => interval = next,
                PollStep::Fail(reason) => return Err(prompt.failed(reason)),
            },
        }
    }
}

/// The next step after a poll answered with OAuth error `code`.
fn after_poll(code: &str, message: &str, interval: Duration) -> PollStep {
    match code {
        "authorization_pending" => PollStep::Wait(interval),
        "slow_down" => PollStep::Wait(interval + SLOW_DOWN_STEP),
        "expired_token" | "code_expired" => PollStep::Fail("the code expired before the sign-in was completed; connect again for a new code".into()),
        "access_denied" | "authorization_declined" => PollStep::Fail("the sign-in was declined".into()),
        _ => PollStep::Fail(message.to_string()),
    }
}

fn parse_authorization(json: &Value) -> std::result::Result<DeviceAuthorization, String> {
    let text = |key: &str| json.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
    let seconds = |key: &str| json.get(key).and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
    let missing = |key: &str| format!("answered without {key}");
    Ok(DeviceAuthorization {
        device_code: Secret::new(text("device_code").ok_or_else(|| missing("device_code"))?),
        user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
        verification_uri: text("verification_uri").or_else(|| text("verification_url")).ok_or_else(|| missing("verification_uri"))?,
        expires_in: Duration::from_secs(seconds("expires_in").ok_or_else(|| missing("expires_in"))?),
        interval: Duration::from_secs(seconds("interval").unwrap_or(DEFAULT_INTERVAL)),
    })
}

/// The notebook display of a device-code sign-in, updated in place.
struct Prompt {
    handle: DisplayHandle,
}

impl Prompt {
    fn show(code: &DeviceAuthorization, lifetime: Duration) -> Prompt {
        let minutes = lifetime.as_secs().div_ceil(60);
        let text = format!(
            "To sign in to Azure, open {} and enter the code {} (within {minutes} min).",
            code.verification_uri, code.user_code
        );
        let uri = escape_html(&code.verification_uri);
        let html = format!(
            "<div style=\"border:1px solid #8c8c8c;border-radius:4px;padding:6px 10px;display:inline-block\">To sign in to Azure, open \
             <a href=\"{uri}\" target=\"_blank\" rel=\"noopener\">{uri}</a> and enter the code \
             <code style=\"font-size:1.2em;font-weight:bold\">{}</code> (within {minutes} min).</div>",
            escape_html(&code.user_code)
        );
        let handle = MimeBundle::new().with_text("text/plain", text).with_text("text/html", html).display_with_handle();
        Prompt { handle }
    }

    fn update(&self, text: &str, success: bool) {
        let colour = if success { "#1a7f37" } else { "#b42318" };
        let html = format!("<div style=\"color:{colour}\">{}</div>", escape_html(text));
        self.handle.update(&MimeBundle::new().with_text("text/plain", text).with_text("text/html", html));
    }

    fn signed_in(&self, identity: &TokenIdentity) {
        let account = identity.account.as_ref().map(|a| format!(" as {a}")).unwrap_or_default();
        self.update(&format!("Signed in with device code{account}."), true);
    }

    /// Shows the failure and returns it as the error.
    fn failed(&self, reason: String) -> crate::Error {
        self.update(&format!("Device code sign-in failed: {reason}"), false);
        remote(format!("device code sign-in failed: {reason}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_steps_follow_rfc_8628() {
        let five = Duration::from_secs(5);
        assert_eq!(after_poll("authorization_pending", "", five), PollStep::Wait(five));
        assert_eq!(after_poll("slow_down", "", five), PollStep::Wait(Duration::from_secs(10)));
        assert!(matches!(after_poll("expired_token", "", five), PollStep::Fail(r) if r.contains("expired")));
        assert!(matches!(after_poll("access_denied", "", five), PollStep::Fail(r) if r.contains("declined")));
        assert_eq!(after_poll("invalid_client", "invalid_client: AADSTS7000218", five), PollStep::Fail("invalid_client: AADSTS7000218".into()));
    }

    #[test]
    fn device_authorization_answer() {
        let json = serde_json::json!({"device_code": "dc", "user_code": "ABCD-EFGH", "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900});
        let code = parse_authorization(&json).unwrap();
        assert_eq!((code.user_code.as_str(), code.interval, code.expires_in), ("ABCD-EFGH", Duration::from_secs(5), Duration::from_secs(900)));
        assert!(!format!("{code:?}").contains("\"dc\""), "the device code is a secret");
        let err = parse_authorization(&serde_json::json!({"user_code": "X"})).unwrap_err();
        assert!(err.contains("device_code"), "{err}");
    }
}
