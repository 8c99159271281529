//! Device-code sign-in for the demo services: [`DemoServer::sign_in_with_device_code`] switches
//! the session to `auth_methods: [devicecode]` and the demo's token service hands out a code,
//! answers "pending" to the first polls (as if the analyst were still typing the code on another
//! device), then signs the demo analyst in, with a refresh token that serves the other services.

use crate::recorded::{RecordedServer, Reply};
use crate::services::{DEMO_TENANT_ID, DemoServer};
use base64::Engine;
use mstic_core::Result;
use mstic_data::remote::set_session_config;

/// The code the demo shows.
pub const DEMO_USER_CODE: &str = "RMST-C0DE";
/// The account the demo signs in.
pub const DEMO_ACCOUNT: &str = "analyst@contoso.com";

impl DemoServer {
    /// From now on the remote drivers of this session sign in with a device code at the demo's
    /// token service (MSTICPy's `Azure.auth_methods: [devicecode]`): `connect()` shows the address
    /// and the code, and the display turns into "signed in" after two polls.
    pub fn sign_in_with_device_code(&self) -> Result<()> {
        install_routes(self.server());
        let mut config = self.config().clone();
        config.set_yaml("Azure.auth_methods", "[devicecode]")?;
        set_session_config(Some(config));
        Ok(())
    }
}

/// The device authorization endpoint, the polls (pending, pending, signed in), the refresh-token
/// exchange and the sign-in page.
fn install_routes(server: &RecordedServer) {
    let base = server.base_url();
    let code = serde_json::json!({
        "device_code": "demo-device-code",
        "user_code": DEMO_USER_CODE,
        "verification_uri": format!("{base}/devicelogin"),
        "expires_in": 900,
        "interval": 1,
        "message": format!("To sign in, open {base}/devicelogin and enter the code {DEMO_USER_CODE}."),
    });
    server.route("POST", "/oauth2/v2.0/devicecode", vec![Reply::json(200, code)]);
    let pending = Reply::json(400, r#"{"error":"authorization_pending","error_description":"Authorization is pending: enter the code."}"#);
    server.route_body("POST", "/oauth2/v2.0/token", "device_code", vec![pending.clone(), pending, Reply::json(200, user_tokens())]);
    server.route_body("POST", "/oauth2/v2.0/token", "grant_type=refresh_token", vec![Reply::json(200, user_tokens())]);
    let page = format!("<html><body><p>Demo sign-in: the code {DEMO_USER_CODE} is accepted automatically.</p></body></html>");
    server.route("GET", "/devicelogin", vec![Reply::bytes(200, "text/html", page.into_bytes())]);
}

/// The token answer of a signed-in user: access and refresh tokens, and an ID token naming the
/// account (unsigned: the demo's tokens are never verified).
fn user_tokens() -> serde_json::Value {
    let part = |text: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let claims = format!(r#"{{"preferred_username":"{DEMO_ACCOUNT}","name":"Demo Analyst","tid":"{DEMO_TENANT_ID}"}}"#);
    let id_token = format!("{}.{}.demo", part(r#"{"alg":"none","typ":"JWT"}"#.to_string()), part(claims));
    serde_json::json!({
        "token_type": "Bearer",
        "scope": "offline_access openid profile",
        "expires_in": 3599,
        "access_token": "demo-user-access-token",
        "refresh_token": "demo-refresh-token",
        "id_token": id_token,
    })
}
