//! Set-up for the Azure resource tests: a recorded-response server on 127.0.0.1 answering the
//! OAuth2 token endpoint (and, with [`demo_server`], the demo's Resource Graph and Resource
//! Manager routes), and a `msticpyconfig.yaml` pointing Azure sign-in and Resource Manager at it.
#![allow(dead_code)]

use mstic_core::config::MsticConfig;
use mstic_data::DriverSettings;
use mstic_demo::resource_graph::install_resource_graph_routes;
use mstic_demo::{DEMO_TENANT_ID, DEMO_WORKSPACE_ID, RecordedServer, Reply, ServiceAccounts, services_config_yaml};

/// The Resource Graph path.
pub const GRAPH: &str = "/providers/Microsoft.ResourceGraph/resources";
/// A client secret that must never show in errors.
pub const CLIENT_SECRET: &str = "arm-s3cr3t-never-shown";

/// A server answering the token endpoint.
pub fn server_with_token() -> RecordedServer {
    let server = RecordedServer::start().expect("server starts");
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(200, r#"{"token_type":"Bearer","expires_in":3599,"access_token":"arm-access-token"}"#)]);
    server
}

/// A server answering the token endpoint and the demo's Resource Graph / Resource Manager routes.
pub fn demo_server() -> RecordedServer {
    let server = server_with_token();
    install_resource_graph_routes(&server);
    server
}

/// The config for `base`: workspace `Default` in the demo subscription, sign-in by client secret.
pub fn config(base: &str) -> MsticConfig {
    let accounts = ServiceAccounts {
        tenant_id: DEMO_TENANT_ID,
        workspace_id: DEMO_WORKSPACE_ID,
        second_workspace: ("Secondary", "a927809c-8142-43e1-96b3-4ad87cfe95a3"),
        client_id: "5f0c7e61-2b3a-4c0e-8a1d-6a3f2c1b9e77",
        client_secret: CLIENT_SECRET,
        kusto_cluster: ("Cluster", None),
        splunk_password: CLIENT_SECRET,
    };
    MsticConfig::from_yaml_str(&services_config_yaml(base, &accounts), "test msticpyconfig.yaml").expect("config parses")
}

/// Settings with fast retries.
pub fn fast_retries() -> DriverSettings {
    DriverSettings::default().set("retry_backoff_ms", "10").set("max_retries", "1")
}

/// The bodies (as JSON) of the Resource Graph requests received.
pub fn graph_bodies(server: &RecordedServer) -> Vec<serde_json::Value> {
    server.requests_to(GRAPH).iter().map(|r| serde_json::from_str(&r.body).expect("JSON body")).collect()
}
