//! Shared set-up for the remote driver tests: a recorded-response server on 127.0.0.1 with the
//! OAuth2 token endpoint, and a `msticpyconfig.yaml` pointing every service at it.
#![allow(dead_code)]

use mstic_core::config::MsticConfig;
use mstic_data::DriverSettings;
use mstic_data::provider::QueryProvider;
use mstic_demo::{RecordedServer, Reply, ServiceAccounts, services_config_yaml};
use mstic_data::template::ParamType;

pub const TENANT: &str = "8360dd21-0294-4240-9128-89611f415c53";
pub const WORKSPACE: &str = "52b1ab41-869e-4138-9e40-2a4457f09bf3";
pub const SECOND_WORKSPACE: &str = "a927809c-8142-43e1-96b3-4ad87cfe95a3";
pub const CLIENT_SECRET: &str = "s3cr3t-value-never-shown";

/// A server answering the token endpoint.
pub fn server_with_token() -> RecordedServer {
    let server = RecordedServer::start().expect("server starts");
    server.route(
        "POST",
        "/oauth2/v2.0/token",
        vec![Reply::json(200, r#"{"token_type":"Bearer","expires_in":3599,"access_token":"test-access-token"}"#)],
    );
    server
}

/// The config for `base` (workspaces, Kusto cluster, Defender, Graph, Splunk).
pub fn config(base: &str) -> MsticConfig {
    MsticConfig::from_yaml_str(&config_text(base), "test msticpyconfig.yaml").expect("config parses")
}

/// The text of [`config`]; `DataProviders` is its last section, so entries can be appended.
pub fn config_text(base: &str) -> String {
    let accounts = ServiceAccounts {
        tenant_id: TENANT,
        workspace_id: WORKSPACE,
        second_workspace: ("MyTestWS", SECOND_WORKSPACE),
        client_id: "66b9818a-26cd-4584-8eb0-7f7a499242aa",
        client_secret: CLIENT_SECRET,
        kusto_cluster: ("MSTIC", None),
        splunk_password: CLIENT_SECRET,
    };
    services_config_yaml(base, &accounts)
}

/// Settings with fast retries (10 ms back-off).
pub fn fast_retries() -> DriverSettings {
    DriverSettings::default().set("retry_backoff_ms", "10")
}

/// A fixture file's bytes.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = mstic_core::paths::fixture(relative).unwrap();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// MSTICPy's query folder `folder` (e.g. `mssentinel`) in the fixture data.
pub fn msticpy_queries(folder: &str) -> std::path::PathBuf {
    mstic_core::paths::fixture(&format!("msticpy/queries/{folder}")).unwrap()
}

/// A template's name, whether it takes start/end, and its other required parameters.
type TemplateCall = (String, bool, Vec<(String, ParamType)>);

/// Runs every template loaded from MSTICPy's query folder `folder` (e.g. `mssentinel`, added to
/// the provider with [`msticpy_queries`]) with its required parameters filled by type and a fixed
/// time range; each must return `rows` rows. Returns how many ran.
pub fn run_every_template(qp: &QueryProvider, folder: &str, rows: usize) -> usize {
    let folder = msticpy_queries(folder);
    let templates: Vec<TemplateCall> = qp
        .store()
        .iter()
        .filter(|(_, t)| t.file.starts_with(&folder))
        .map(|(name, t)| {
            let timed = t.param("start").is_some() && t.param("end").is_some();
            let required = t.required_params().filter(|p| !timed || (p.name != "start" && p.name != "end"));
            (name.to_string(), timed, required.map(|p| (p.name.clone(), p.param_type)).collect())
        })
        .collect();
    for (name, timed, params) in &templates {
        let mut call = qp.query(name);
        if *timed {
            call = call.start("2024-05-01T00:00:00Z").end("2024-05-02T00:00:00Z");
        }
        for (param, kind) in params {
            call = match kind {
                ParamType::Int => call.param(param, 1),
                ParamType::Float => call.param(param, 1.0),
                ParamType::List => call.param(param, vec!["10.0.1.12", "203.0.113.7"]),
                ParamType::DateTime => call.param(param, "2024-05-01T00:00:00Z"),
                ParamType::Str => call.param(param, "WORKSTATION5"),
                ParamType::Raw => call.param(param, "| take 10"),
            };
        }
        let frame = call.run().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(frame.len(), rows, "{name}");
    }
    templates.len()
}
