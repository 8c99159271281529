//! Azure sign-in of the remote drivers against real HTTP(S) servers on 127.0.0.1, reached the way
//! a user points them elsewhere (the `Azure` section of `msticpyconfig.yaml`, `AZURE_*` and
//! `IDENTITY_*` variables): client secret and client certificate over HTTPS with a generated
//! certificate authority, device code (pending → signed in; expired; timed out) with its notebook
//! display, managed identity (instance metadata service and App Service), workload identity,
//! the environment credential, browser sign-in with PKCE, a rejected token renewed, the shared
//! session token cache, and no secret in any output, error, log line or Debug string.

mod remote_auth_support;

use base64::Engine;
use mstic_core::config::MsticConfig;
use mstic_data::remote::settings::{CloudEndpoints, Options, build_auth};
use mstic_data::remote::{GraphDriver, SentinelDriver};
use mstic_data::{Driver, DriverSettings, QueryOptions};
use mstic_demo::{HttpResponse, LocalServer, RecordedServer, Reply};
use remote_auth_support::*;
use std::sync::{Arc, Mutex};

/// A one-row Log Analytics answer.
const LA_ROWS: &str = r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"Computer","type":"string"}],"rows":[["WORKSTATION5"]]}]}"#;
/// A one-row Graph OData answer.
const GRAPH_ROWS: &str = r#"{"value":[{"id":"alert-1","severity":"high"}]}"#;

/// `msticpyconfig.yaml` with the default workspace, `auth_methods` and `authority`; Log
/// Analytics at `data`, Graph at the same server named `localhost` (another token scope); the
/// app's client secret in the workspace `Args`.
fn config_yaml(authority: &str, data: &str, methods: &str, extra_azure: &str) -> String {
    let graph = data.replace("127.0.0.1", "localhost");
    format!(
        r#"AzureSentinel:
  Workspaces:
    Default:
      WorkspaceId: "{WORKSPACE}"
      TenantId: "{TENANT}"
      Args:
        ClientId: "{CLIENT_ID}"
        ClientSecret: "{CLIENT_SECRET}"
Azure:
  auth_methods: [{methods}]
  authority_host: "{authority}"
  log_analytics_endpoint: "{data}"
  graph_endpoint: "{graph}"
{extra_azure}DataProviders:
  MicrosoftGraph:
    Args:
      TenantId: "{TENANT}"
"#
    )
}

fn config(authority: &str, data: &str, methods: &str, extra_azure: &str) -> MsticConfig {
    MsticConfig::from_yaml_str(&config_yaml(authority, data, methods, extra_azure), "auth test msticpyconfig.yaml").expect("config parses")
}

/// The form fields of a request body.
fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (mstic_demo::percent_decode(k), mstic_demo::percent_decode(v))
        })
        .collect()
}

fn field(body: &str, name: &str) -> Option<String> {
    form(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// An unsigned JWT with these claims (an ID token of a test user).
fn id_token(claims: &str) -> String {
    let part = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    format!("{}.{}.test-signature", part(r#"{"alg":"none","typ":"JWT"}"#), part(claims))
}

fn run<T: Send>(future: impl std::future::Future<Output = T> + Send) -> T {
    mstic_core::runtime::block_on(future)
}

/// The credential chain a driver builds from `config` (its `Azure` section) and `options`.
fn chain(config: &MsticConfig, options: &Options) -> mstic_core::Result<mstic_core::azure::AzureAuth> {
    build_auth(config, options, &CloudEndpoints::resolve(config, options), None)
}

#[test]
fn client_secret_sign_in_over_https_with_a_trusted_certificate_authority() {
    let before = logs();
    let https = HttpsServer::start("client-secret");
    let server = &https.recorded;
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, token_json("at-client-secret-1", None))]);
    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, LA_ROWS)]);
    let ca = format!("  ca_bundle: \"{}\"\n", https.ca_file.display());
    let mut driver = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), config(&https.base_url(), &server.base_url(), "clientsecret", &ca));
    driver.connect().unwrap();
    let frame = driver.query("SecurityEvent | take 1", &QueryOptions::default()).unwrap();
    assert_eq!(frame.column_strings("Computer").unwrap(), [Some("WORKSTATION5".to_string())]);

    let token_requests = server.requests_to("/oauth2/v2.0/token");
    assert_eq!(token_requests.len(), 1);
    assert_eq!(token_requests[0].path, format!("/{TENANT}/oauth2/v2.0/token"));
    let body = &token_requests[0].body;
    assert_eq!(field(body, "grant_type").as_deref(), Some("client_credentials"));
    assert_eq!(field(body, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(field(body, "client_secret").as_deref(), Some(CLIENT_SECRET));
    assert_eq!(field(body, "scope").as_deref(), Some(format!("{}/.default", server.base_url()).as_str()));
    let query = &server.requests_to("/v1/workspaces/")[0];
    assert_eq!(query.header("authorization"), Some("Bearer at-client-secret-1"));

    let log = logs()[before.len()..].to_string();
    assert!(log.contains("/oauth2/v2.0/token"), "the SDK's request log is recorded:\n{log}");
    assert_no_secrets(&format!("{driver:?}\n{log}"), &[CLIENT_SECRET, "at-client-secret-1"]);

    // Without the certificate authority the HTTPS sign-in is refused (another server: the first
    // one's token is in the session cache).
    let other = HttpsServer::start("untrusted");
    let mut untrusted = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), config(&other.base_url(), &server.base_url(), "clientsecret", ""));
    let err = untrusted.connect().unwrap_err().to_string();
    assert!(err.contains("client secret (tenant") && err.contains("is not trusted") && err.contains("ca_bundle"), "{err}");
    assert_no_secrets(&err, &[CLIENT_SECRET]);
}

#[test]
fn one_session_cache_serves_every_driver_until_near_expiry() {
    let server = RecordedServer::start().unwrap();
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, token_json("at-shared-1", None))]);
    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, LA_ROWS)]);
    let config = config(&server.base_url(), &server.base_url(), "clientsecret", "");
    for _ in 0..3 {
        let mut driver = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), config.clone());
        driver.connect().unwrap();
        driver.query("SecurityEvent | take 1", &QueryOptions::default()).unwrap();
    }
    assert_eq!(server.requests_to("/oauth2/v2.0/token").len(), 1, "three drivers, one token");

    // A token within five minutes of its expiry (as the token says) is renewed.
    let short = RecordedServer::start().unwrap();
    short.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, r#"{"token_type":"Bearer","expires_in":240,"access_token":"at-short"}"#)]);
    let auth = chain(&config_for(&short), &secret_options()).unwrap();
    run(auth.token("https://api.loganalytics.io/.default")).unwrap();
    run(auth.token("https://api.loganalytics.io/.default")).unwrap();
    assert_eq!(short.requests_to("/oauth2/v2.0/token").len(), 2);
}

fn config_for(server: &RecordedServer) -> MsticConfig {
    config(&server.base_url(), &server.base_url(), "clientsecret", "")
}

/// The app's client secret as driver options.
fn secret_options() -> Options {
    options(&[("tenant_id", TENANT), ("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)])
}

#[test]
fn a_rejected_token_is_renewed_once() {
    let server = RecordedServer::start().unwrap();
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, token_json("at-first", None)), Reply::json(200, token_json("at-second", None))]);
    let expired = Reply::json(401, r#"{"error":{"code":"TokenExpired","message":"The provided authentication token has expired."}}"#);
    server.route("POST", "/v1/workspaces/", vec![expired, Reply::json(200, LA_ROWS)]);
    let mut driver = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), config_for(&server));
    driver.connect().unwrap();
    assert_eq!(driver.query("SecurityEvent", &QueryOptions::default()).unwrap().len(), 1);
    let queries = server.requests_to("/v1/workspaces/");
    assert_eq!(queries.iter().map(|q| q.header("authorization").unwrap_or_default()).collect::<Vec<_>>(), ["Bearer at-first", "Bearer at-second"]);
    assert_eq!(server.requests_to("/oauth2/v2.0/token").len(), 2);
}

#[test]
fn client_certificate_signs_an_assertion_the_server_can_verify() {
    let dir = TempDir::new("certificate");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["mstic-app".to_string()]).unwrap().self_signed(&key).unwrap();
    let pem = dir.write("app.pem", &format!("{}{}", certificate.pem(), key.serialize_pem()));
    let server = RecordedServer::start().unwrap();
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, token_json("at-certificate", None))]);
    let config = config_for(&server);
    let mut options = Options::default();
    options.add_one("auth_methods", "certificate");
    options.add_one("tenant_id", TENANT);
    options.add_one("client_id", CLIENT_ID);
    options.add_one("certificate_path", pem.display().to_string());
    let auth = chain(&config, &options).unwrap();
    assert_eq!(run(auth.token("https://graph.microsoft.com/.default")).unwrap().expose(), "at-certificate");
    assert_eq!(auth.signed_in().unwrap().to_string(), format!("client certificate as app {CLIENT_ID}"));

    let body = &server.requests_to("/oauth2/v2.0/token")[0].body;
    assert_eq!(field(body, "client_assertion_type").as_deref(), Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
    assert!(field(body, "client_secret").is_none());
    let assertion = field(body, "client_assertion").unwrap();
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |part: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap();
    let header: serde_json::Value = serde_json::from_slice(&decode(parts[0])).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&decode(parts[1])).unwrap();
    assert_eq!(header["alg"], "RS256");
    let thumbprint = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, certificate.der());
    assert_eq!(header["x5t#S256"], base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(thumbprint.as_ref()));
    assert_eq!(claims["aud"], format!("{}/{TENANT}/oauth2/v2.0/token", server.base_url()));
    assert_eq!((claims["iss"].as_str(), claims["sub"].as_str()), (Some(CLIENT_ID), Some(CLIENT_ID)));
    let public_key = aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, key.public_key_raw());
    public_key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &decode(parts[2])).expect("the assertion is signed by the certificate's key");
    assert_no_secrets(&format!("{auth:?} {options:?}"), &["PRIVATE KEY", "at-certificate"]);
}

#[test]
fn managed_identity_through_the_configured_metadata_endpoint() {
    let server = RecordedServer::start().unwrap();
    server.route("GET", "/msi/token", vec![Reply::json(200, r#"{"access_token":"at-msi","expires_on":"4102444800","token_type":"Bearer","resource":"https://api.loganalytics.io"}"#)]);
    let extra = format!("  managed_identity_endpoint: \"{}/msi/token\"\n", server.base_url());
    let config = config(&server.base_url(), &server.base_url(), "cli, msi", &extra);
    let auth = chain(&config, &Options::default()).unwrap();
    assert_eq!(auth.describe(), "Azure CLI → managed identity");
    let token = run(auth.token("https://api.loganalytics.io/.default")).unwrap();
    assert_eq!((token.expose(), format!("{token:?}")), ("at-msi", "********".to_string()));
    assert_eq!(auth.signed_in().unwrap().method, "managed identity");
    let request = &server.requests_to("/msi/token")[0];
    assert_eq!(request.header("metadata"), Some("true"));
    assert!(request.path.contains("resource=https%3A%2F%2Fapi.loganalytics.io") && request.path.contains("api-version="), "{}", request.path);
}

#[test]
fn every_failing_credential_is_named_and_an_unknown_method_lists_the_valid_ones() {
    let server = RecordedServer::start().unwrap();
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(401, r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#)]);
    let mut driver = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), config(&server.base_url(), &server.base_url(), "clientsecret, vscode", ""));
    let err = driver.connect().unwrap_err().to_string();
    assert!(err.contains("AADSTS7000215") && err.contains(&format!("client secret (tenant {TENANT}")), "{err}");
    assert!(err.contains("vscode: VS Code sign-in is not available"), "{err}");
    assert_no_secrets(&err, &[CLIENT_SECRET]);

    let mut typo = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), config(&server.base_url(), &server.base_url(), "cli, devcode", ""));
    let err = typo.connect().unwrap_err().to_string();
    assert!(err.contains("'devcode'") && err.contains("env, cli, msi, workload, clientsecret, certificate, devicecode, interactive"), "{err}");

    let plain = config("http://login.example.com", &server.base_url(), "clientsecret", "");
    let err = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), plain).connect().unwrap_err().to_string();
    assert!(err.contains("authority host") && err.contains("must use https"), "{err}");
}

/// Routes of a device-code sign-in: the code, then `polls` answers to the polls.
fn device_code_server(user_code: &str, expires_in: u64, polls: Vec<Reply>) -> RecordedServer {
    let server = RecordedServer::start().unwrap();
    let code = serde_json::json!({
        "device_code": "dc-secret-device-code",
        "user_code": user_code,
        "verification_uri": format!("{}/devicelogin", server.base_url()),
        "expires_in": expires_in,
        "interval": 1,
        "message": "To sign in, use a web browser.",
    });
    server.route("POST", "/oauth2/v2.0/devicecode", vec![Reply::json(200, code)]);
    server.route_body("POST", "/oauth2/v2.0/token", "device_code", polls);
    server
}

fn pending() -> Reply {
    Reply::json(400, r#"{"error":"authorization_pending","error_description":"AADSTS70016: OAuth 2.0 device flow error. Authorization is pending."}"#)
}

#[test]
fn device_code_sign_in_is_shown_updated_and_serves_every_service() {
    let secrets = ["dc-secret-device-code", "rt-device-1", "rt-device-2", "at-device-la", "at-device-graph"];
    if let Some(output) = run_in_child("device_code_sign_in_is_shown_updated_and_serves_every_service", &[("MSTIC_KERNEL", "1")]) {
        let messages = display_messages(&output);
        let plain = |m: &serde_json::Value| m["data"]["text/plain"].as_str().unwrap_or_default().to_string();
        let prompt = messages.iter().find(|m| m["kind"] == "display" && plain(m).contains("WDJB-MJHT")).expect("the code is shown");
        assert!(plain(prompt).contains("/devicelogin") && plain(prompt).starts_with("To sign in to Azure, open http://127.0.0.1:"), "{prompt}");
        assert!(prompt["data"]["text/html"].as_str().unwrap().contains("<code"), "{prompt}");
        let updates: Vec<String> = messages.iter().filter(|m| m["kind"] == "update" && m["display_id"] == prompt["display_id"]).map(plain).collect();
        assert_eq!(updates, ["Signed in with device code as ana@contoso.com."], "the prompt is replaced in place");
        let connected: Vec<String> = messages.iter().map(plain).filter(|t| t.starts_with("Connected to")).collect();
        assert_eq!(
            connected,
            [format!("Connected to workspace {WORKSPACE}, signed in with device code as ana@contoso.com."), "Connected to Microsoft Graph, signed in with device code as ana@contoso.com.".to_string()]
        );
        assert_no_secrets(&output, &secrets);
        return;
    }
    let before = logs();
    let user = id_token(&format!(r#"{{"preferred_username":"ana@contoso.com","tid":"{TENANT}","name":"Ana"}}"#));
    let signed_in = serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "at-device-la", "refresh_token": "rt-device-1", "id_token": user});
    let server = device_code_server("WDJB-MJHT", 900, vec![pending(), pending(), Reply::json(200, signed_in)]);
    let refreshed = serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "at-device-graph", "refresh_token": "rt-device-2"});
    server.route_body("POST", "/oauth2/v2.0/token", "grant_type=refresh_token", vec![Reply::json(200, refreshed)]);
    server.route("POST", "/v1/workspaces/", vec![Reply::json(200, LA_ROWS)]);
    server.route("GET", "/v1.0/security/alerts_v2", vec![Reply::json(200, GRAPH_ROWS)]);
    let config = config(&server.base_url(), &server.base_url(), "devicecode", "");

    let mut sentinel = SentinelDriver::with_config("MSSentinel", &DriverSettings::default(), config.clone());
    sentinel.connect().unwrap();
    sentinel.query("SecurityAlert | take 1", &QueryOptions::default()).unwrap();
    let mut graph = GraphDriver::with_config("MSGraph", &DriverSettings::default(), config);
    graph.connect().unwrap();
    assert_eq!(graph.query("security/alerts_v2", &QueryOptions::default()).unwrap().len(), 1);

    assert_eq!(server.requests_to("/devicecode").len(), 1, "one sign-in for both services");
    let authorize = &server.requests_to("/devicecode")[0];
    assert_eq!(authorize.path, format!("/{TENANT}/oauth2/v2.0/devicecode"));
    assert_eq!(field(&authorize.body, "client_id").as_deref(), Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46"));
    assert_eq!(field(&authorize.body, "scope").unwrap(), format!("{}/.default offline_access openid profile", server.base_url()));
    let token_requests = server.requests_to("/oauth2/v2.0/token");
    let grants: Vec<String> = token_requests.iter().map(|r| field(&r.body, "grant_type").unwrap_or_default()).collect();
    let device_grant = "urn:ietf:params:oauth:grant-type:device_code";
    assert_eq!(grants, [device_grant, device_grant, device_grant, "refresh_token"]);
    assert_eq!(field(&token_requests[0].body, "device_code").as_deref(), Some("dc-secret-device-code"));
    assert_eq!(field(&token_requests[3].body, "refresh_token").as_deref(), Some("rt-device-1"));
    assert_eq!(server.requests_to("/v1/workspaces/")[0].header("authorization"), Some("Bearer at-device-la"));
    assert_eq!(server.requests_to("/alerts_v2")[0].header("authorization"), Some("Bearer at-device-graph"));
    assert_no_secrets(&format!("{sentinel:?} {graph:?} {}", &logs()[before.len()..]), &secrets);
}

#[test]
fn device_code_that_expires_or_times_out_fails_with_the_display_updated() {
    if let Some(output) = run_in_child("device_code_that_expires_or_times_out_fails_with_the_display_updated", &[("MSTIC_KERNEL", "1")]) {
        let messages = display_messages(&output);
        let plain = |m: &serde_json::Value| m["data"]["text/plain"].as_str().unwrap_or_default().to_string();
        for code in ["EXPI-RED1", "SLOW-USER"] {
            let prompt = messages.iter().find(|m| m["kind"] == "display" && plain(m).contains(code)).expect("the code is shown");
            let update = messages.iter().find(|m| m["kind"] == "update" && m["display_id"] == prompt["display_id"]).expect("updated");
            assert!(plain(update).starts_with("Device code sign-in failed: "), "{update}");
        }
        assert_no_secrets(&output, &["dc-secret-device-code"]);
        return;
    }
    let expired = Reply::json(400, r#"{"error":"expired_token","error_description":"AADSTS70019: Verification code expired."}"#);
    let server = device_code_server("EXPI-RED1", 900, vec![pending(), expired]);
    let auth = chain(&config(&server.base_url(), &server.base_url(), "devicecode", ""), &Options::default()).unwrap();
    let err = run(auth.token("https://api.loganalytics.io/.default")).unwrap_err().to_string();
    assert!(err.contains("device code sign-in failed: the code expired"), "{err}");
    assert_eq!(server.requests_to("/oauth2/v2.0/token").len(), 2);

    // The code's own lifetime (`expires_in`) bounds the wait.
    let slow = device_code_server("SLOW-USER", 2, vec![pending()]);
    let auth = chain(&config(&slow.base_url(), &slow.base_url(), "devicecode", ""), &Options::default()).unwrap();
    let err = run(auth.token("https://api.loganalytics.io/.default")).unwrap_err().to_string();
    assert!(err.contains("no sign-in within 2 s"), "{err}");
    assert!((1..=2).contains(&slow.requests_to("/oauth2/v2.0/token").len()));
}

#[test]
fn app_service_managed_identity_from_its_environment() {
    let server = RecordedServer::start().unwrap();
    server.route("GET", "/app-service/token", vec![Reply::json(200, r#"{"access_token":"at-app-service","expires_on":"4102444800","token_type":"Bearer","resource":"https://api.loganalytics.io"}"#)]);
    let endpoint = format!("{}/app-service/token", server.base_url());
    if let Some(output) = run_in_child("app_service_managed_identity_from_its_environment", &[("IDENTITY_ENDPOINT", &endpoint), ("IDENTITY_HEADER", "identity-header-secret")]) {
        let request = &server.requests_to("/app-service/token")[0];
        assert_eq!(request.header("x-identity-header"), Some("identity-header-secret"));
        assert!(request.path.contains("api-version=2019-08-01") && request.path.contains("resource=https%3A%2F%2Fapi.loganalytics.io"), "{}", request.path);
        assert_no_secrets(&output, &["identity-header-secret", "at-app-service"]);
        return;
    }
    // In the child: the server of the parent answers.
    let options = options(&[("auth_methods", "msi")]);
    let auth = chain(&MsticConfig::default(), &options).unwrap();
    assert_eq!(run(auth.token("https://api.loganalytics.io/.default")).unwrap().expose(), "at-app-service");
    assert_no_secrets(&format!("{auth:?} {}", logs()), &["identity-header-secret", "at-app-service"]);
}

fn options(pairs: &[(&str, &str)]) -> Options {
    let mut options = Options::default();
    for (key, value) in pairs {
        options.add_one(key, *value);
    }
    options
}

#[test]
fn workload_identity_and_environment_credentials_from_azure_variables() {
    let server = RecordedServer::start().unwrap();
    server.route_body("POST", "/oauth2/v2.0/token", "client_assertion", vec![Reply::json(200, token_json("at-workload", None))]);
    server.route_body("POST", "/oauth2/v2.0/token", "client_secret", vec![Reply::json(200, token_json("at-env-secret", None))]);
    let dir = TempDir::new("workload");
    let token_file = dir.write("federated-token", "federated-token-secret");
    let token_path = token_file.display().to_string();
    let base = server.base_url();
    let env = [("AZURE_AUTHORITY_HOST", base.as_str()), ("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_ID", CLIENT_ID), ("AZURE_FEDERATED_TOKEN_FILE", token_path.as_str())];
    if let Some(output) = run_in_child("workload_identity_and_environment_credentials_from_azure_variables", &env) {
        let requests = server.requests_to("/oauth2/v2.0/token");
        let workload = requests.iter().find(|r| r.body.contains("client_assertion")).expect("workload identity request");
        assert_eq!(workload.path, format!("/{TENANT}/oauth2/v2.0/token"));
        assert_eq!(field(&workload.body, "client_assertion").as_deref(), Some("federated-token-secret"));
        assert_eq!(field(&workload.body, "client_id").as_deref(), Some(CLIENT_ID));
        assert_no_secrets(&output, &["federated-token-secret", "at-workload", "env-secret-value"]);
        return;
    }
    let workload = chain(&MsticConfig::default(), &options(&[("auth_methods", "workload")])).unwrap();
    assert_eq!(run(workload.token("https://graph.microsoft.com/.default")).unwrap().expose(), "at-workload");
    assert_eq!(workload.signed_in().unwrap().method, "workload identity");
    // `env` picks the federated token file when no secret or certificate is set.
    let env_chain = chain(&MsticConfig::default(), &options(&[("auth_methods", "env")])).unwrap();
    assert_eq!(env_chain.describe(), format!("environment workload identity (tenant {TENANT}, client {CLIENT_ID})"));
    assert_no_secrets(&format!("{workload:?} {env_chain:?} {}", logs()), &["federated-token-secret", "at-workload"]);
}

#[test]
fn environment_client_secret() {
    let server = RecordedServer::start().unwrap();
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, token_json("at-env-secret", None))]);
    let base = server.base_url();
    let env = [("AZURE_AUTHORITY_HOST", base.as_str()), ("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_ID", CLIENT_ID), ("AZURE_CLIENT_SECRET", "env-secret-value")];
    if let Some(output) = run_in_child("environment_client_secret", &env) {
        let request = &server.requests_to("/oauth2/v2.0/token")[0];
        assert_eq!(field(&request.body, "client_secret").as_deref(), Some("env-secret-value"));
        assert_no_secrets(&output, &["env-secret-value", "at-env-secret"]);
        return;
    }
    // MSTICPy's default order: env first.
    let auth = chain(&MsticConfig::default(), &Options::default()).unwrap();
    assert!(auth.describe().starts_with(&format!("environment client secret (tenant {TENANT}, client {CLIENT_ID}) → managed identity")), "{}", auth.describe());
    assert_eq!(run(auth.token("https://api.loganalytics.io/.default")).unwrap().expose(), "at-env-secret");
    assert_eq!(auth.signed_in().unwrap().to_string(), format!("client secret from the environment as app {CLIENT_ID}"));
    assert_no_secrets(&format!("{auth:?} {}", logs()), &["env-secret-value", "at-env-secret"]);
}

#[test]
fn browser_sign_in_with_pkce_through_a_loopback_redirect() {
    let dir = TempDir::new("browser");
    let browser = dir.write("browser.sh", "#!/bin/sh\nexec curl --silent --location --max-time 20 --output /dev/null \"$1\"\n");
    std::fs::set_permissions(&browser, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let challenge: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = challenge.clone();
    let server = LocalServer::start(move |request| match request.path() {
        path if path.ends_with("/oauth2/v2.0/authorize") => {
            *seen.lock().unwrap() = request.query_param("code_challenge");
            let redirect = request.query_param("redirect_uri").unwrap_or_default();
            let state = request.query_param("state").unwrap_or_default();
            HttpResponse::text(302, "").with_header("Location", &format!("{redirect}/?code=auth-code-secret&state={state}"))
        }
        path if path.ends_with("/oauth2/v2.0/token") => {
            let body = request.body_text();
            let verifier = field(&body, "code_verifier").unwrap_or_default();
            let expected = seen.lock().unwrap().clone().unwrap_or_default();
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()));
            if computed != expected || field(&body, "code").as_deref() != Some("auth-code-secret") {
                return HttpResponse::json(400, r#"{"error":"invalid_grant","error_description":"PKCE verification failed"}"#);
            }
            HttpResponse::json(200, serde_json::json!({"access_token": "at-browser", "refresh_token": "rt-browser", "expires_in": 3600, "id_token": id_token(r#"{"preferred_username":"bo@contoso.com"}"#)}))
        }
        _ => HttpResponse::text(404, "no such page"),
    })
    .unwrap();
    let browser_path = browser.display().to_string();
    if let Some(output) = run_in_child("browser_sign_in_with_pkce_through_a_loopback_redirect", &[("BROWSER", &browser_path)]) {
        assert!(output.contains("Signed in with the browser as bo@contoso.com."), "{output}");
        assert_no_secrets(&output, &["auth-code-secret", "at-browser", "rt-browser"]);
        return;
    }
    // In the child, against its own server.
    let auth = chain(&MsticConfig::default(), &options(&[("auth_methods", "interactive"), ("authority_host", &server.url()), ("tenant_id", TENANT)])).unwrap();
    assert_eq!(run(auth.token("https://management.azure.com/.default")).unwrap().expose(), "at-browser");
    assert_eq!(auth.signed_in().unwrap().to_string(), "browser sign-in as bo@contoso.com");
    let token_requests: Vec<_> = server.requests().into_iter().filter(|r| r.path().ends_with("/token")).collect();
    assert_eq!(token_requests.len(), 1);
    assert_eq!(field(&token_requests[0].body_text(), "grant_type").as_deref(), Some("authorization_code"));
    let authorize = server.requests().into_iter().find(|r| r.path().ends_with("/authorize")).unwrap();
    assert_eq!(authorize.query_param("code_challenge_method").as_deref(), Some("S256"));
    assert!(authorize.query_param("redirect_uri").unwrap().starts_with("http://localhost:"));
}

#[test]
fn browser_sign_in_without_a_browser_suggests_device_code() {
    if run_in_child("browser_sign_in_without_a_browser_suggests_device_code", &[("PATH", "/nonexistent")]).is_some() {
        return;
    }
    let auth = chain(&MsticConfig::default(), &options(&[("auth_methods", "interactive"), ("authority_host", "http://127.0.0.1:9")])).unwrap();
    let err = run(auth.token("https://management.azure.com/.default")).unwrap_err().to_string();
    assert!(err.contains("no browser can be opened here") && err.contains("devicecode"), "{err}");
}
