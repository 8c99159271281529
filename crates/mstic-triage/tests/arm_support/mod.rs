//! Set-up for the Sentinel management API tests: a recorded-response server on 127.0.0.1 with
//! the OAuth2 token endpoint and the demo workspace's ARM answers, and a `msticpyconfig.yaml`
//! pointing sign-in and Resource Manager at it.
#![allow(dead_code)]

use mstic_core::config::MsticConfig;
use mstic_data::DriverSettings;
use mstic_demo::{RecordedRequest, RecordedServer, Reply, ServiceAccounts, percent_decode, services_config_yaml};
use mstic_triage::sentinel::SentinelApi;

pub const TENANT: &str = "8360dd21-0294-4240-9128-89611f415c53";
pub const CLIENT_SECRET: &str = "s3cr3t-value-never-shown";
pub const TOKEN: &str = "test-access-token";

/// A server answering the token endpoint and the demo workspace's Sentinel API.
pub fn sentinel_server() -> RecordedServer {
    let server = RecordedServer::start().expect("server starts");
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, format!(r#"{{"token_type":"Bearer","expires_in":3599,"access_token":"{TOKEN}"}}"#))]);
    mstic_demo::arm::install_sentinel_routes(&server);
    server
}

/// The text of the test `msticpyconfig.yaml` for `base`.
pub fn config_text(base: &str) -> String {
    let accounts = ServiceAccounts {
        tenant_id: TENANT,
        workspace_id: "52b1ab41-869e-4138-9e40-2a4457f09bf3",
        second_workspace: ("MyTestWS", "a927809c-8142-43e1-96b3-4ad87cfe95a3"),
        client_id: "66b9818a-26cd-4584-8eb0-7f7a499242aa",
        client_secret: CLIENT_SECRET,
        kusto_cluster: ("MSTIC", None),
        splunk_password: CLIENT_SECRET,
    };
    services_config_yaml(base, &accounts)
}

/// The client of workspace `Default` on `server`, with 10 ms retry back-off.
pub fn api(server: &RecordedServer) -> SentinelApi {
    let config = MsticConfig::from_yaml_str(&config_text(&server.base_url()), "test msticpyconfig.yaml").expect("config parses");
    SentinelApi::with_config("Default", &DriverSettings::default().set("retry_backoff_ms", "10"), &config).expect("client")
}

/// The requests sent to the Sentinel API (not the token endpoint).
pub fn arm_requests(server: &RecordedServer) -> Vec<RecordedRequest> {
    server.requests_to("Microsoft.SecurityInsights")
}

/// A query parameter of a recorded request, percent-decoded.
pub fn query_param(request: &RecordedRequest, name: &str) -> Option<String> {
    let query = request.path.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

/// The JSON body of a recorded request.
pub fn json_body(request: &RecordedRequest) -> serde_json::Value {
    serde_json::from_str(&request.body).unwrap_or_else(|e| panic!("{} {}: body is not JSON: {e}", request.method, request.path))
}
