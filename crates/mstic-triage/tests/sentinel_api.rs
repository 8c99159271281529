//! The Sentinel management API against a recorded Azure Resource Manager on 127.0.0.1: incident
//! lists with OData filters and paging, one incident with alerts, entities and comments, updates
//! with the etag, comments, bookmarks, analytic rules, watchlists, retries and errors.

mod arm_support;

use arm_support::*;
use chrono::{DateTime, TimeZone, Utc};
use mstic_core::config::MsticConfig;
use mstic_data::DriverSettings;
use mstic_demo::Reply;
use mstic_demo::arm::{DEMO_FILE_SHA256, DEMO_INCIDENT_ID, DEMO_INCIDENT_NUMBER, DEMO_INCIDENT_TITLE, DEMO_MALICIOUS_IP, DEMO_PRIVATE_IP, DEMO_URL, demo_vm_resource_id};
use mstic_pivot::{Entity, EntityKind};
use mstic_triage::model::{IncidentStatus, Severity};
use mstic_triage::sentinel::{Bookmark, IncidentFilter, IncidentUpdate, SentinelApi};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn only<'a>(entities: &'a [Entity], kind: EntityKind) -> Vec<&'a Entity> {
    entities.iter().filter(|e| e.kind() == kind).collect()
}

#[test]
fn incident_list_sends_the_filter_and_reads_both_pages() {
    let server = sentinel_server();
    let filter = IncidentFilter::default()
        .status(IncidentStatus::New)
        .status(IncidentStatus::Active)
        .severity(Severity::High)
        .between(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2024, 5, 3, 0, 0, 0).unwrap())
        .top(10);
    let incidents = api(&server).incidents(&filter).unwrap();
    let numbers: Vec<Option<i64>> = incidents.iter().map(|i| i.number).collect();
    assert_eq!(numbers, vec![Some(1042), Some(1041), Some(1039), Some(1036)]);
    assert_eq!(incidents[2].status, IncidentStatus::Closed);
    assert_eq!(incidents[2].classification.as_deref(), Some("FalsePositive"));
    assert_eq!(incidents[3].severity, Severity::Informational);

    let requests = arm_requests(&server);
    assert_eq!(requests.len(), 2, "{requests:?}");
    let first = &requests[0];
    assert_eq!(first.method, "GET");
    assert!(first.path.contains("/subscriptions/3c1bb38c-82e3-4f8d-a115-a7110ba70d05/resourceGroups/soc-rg/providers/Microsoft.OperationalInsights/workspaces/soc-workspace/providers/Microsoft.SecurityInsights/incidents?"), "{}", first.path);
    assert_eq!(query_param(first, "api-version").as_deref(), Some("2024-03-01"));
    assert_eq!(
        query_param(first, "$filter").as_deref(),
        Some("(properties/status eq 'New' or properties/status eq 'Active') and properties/severity eq 'High' and properties/createdTimeUtc ge 2024-05-01T00:00:00Z and properties/createdTimeUtc le 2024-05-03T00:00:00Z")
    );
    assert_eq!(query_param(first, "$orderby").as_deref(), Some("properties/createdTimeUtc desc"));
    assert_eq!(query_param(first, "$top").as_deref(), Some("10"));
    assert_eq!(first.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(query_param(&requests[1], "$skipToken").as_deref(), Some("demo-page-2"));
}

#[test]
fn top_stops_reading_pages() {
    let server = sentinel_server();
    let two = api(&server).incidents(&IncidentFilter::default().top(2)).unwrap();
    assert_eq!(two.iter().map(|i| i.number).collect::<Vec<_>>(), vec![Some(1042), Some(1041)]);
    assert_eq!(arm_requests(&server).len(), 1, "the first page already holds 2 incidents");
    let three = api(&server).incidents(&IncidentFilter::default().top(3)).unwrap();
    assert_eq!(three.len(), 3);
    assert_eq!(query_param(&arm_requests(&server)[1], "$filter"), None);
}

#[test]
fn incidents_frame_has_security_incident_columns() {
    let server = sentinel_server();
    let frame = api(&server).incidents_frame(&IncidentFilter::default()).unwrap();
    assert_eq!(frame.len(), 4);
    for column in ["IncidentNumber", "Title", "Severity", "Status", "Owner", "CreatedTime", "LastActivityTime", "AlertCount", "Tactics", "IncidentName", "IncidentUrl"] {
        assert!(frame.columns().iter().any(|c| c == column), "{column} missing from {:?}", frame.columns());
    }
    assert_eq!(frame.value::<i64>(0, "IncidentNumber").unwrap(), Some(DEMO_INCIDENT_NUMBER));
    assert_eq!(frame.value::<String>(0, "Title").unwrap().as_deref(), Some(DEMO_INCIDENT_TITLE));
    assert_eq!(frame.value::<String>(0, "Owner").unwrap().as_deref(), Some("Ann Lee"));
    assert_eq!(frame.value::<i64>(0, "AlertCount").unwrap(), Some(3));
    assert_eq!(frame.value::<String>(0, "Tactics").unwrap().as_deref(), Some("InitialAccess, Execution, CommandAndControl"));
    assert_eq!(frame.value::<DateTime<Utc>>(0, "CreatedTime").unwrap(), Some(utc("2024-05-02T08:15:00Z")));
    assert_eq!(frame.value::<DateTime<Utc>>(0, "LastActivityTime").unwrap(), Some(utc("2024-05-02T08:11:40Z")));
    assert_eq!(frame.value::<String>(0, "IncidentName").unwrap().as_deref(), Some(DEMO_INCIDENT_ID));
    assert_eq!(frame.value::<String>(1, "Owner").unwrap(), None);
    assert_eq!(frame.value::<String>(2, "Status").unwrap().as_deref(), Some("Closed"));
}

#[test]
fn incident_by_number_has_alerts_entities_and_comments() {
    let server = sentinel_server();
    let incident = api(&server).incident(DEMO_INCIDENT_NUMBER).unwrap();
    assert_eq!(incident.name, DEMO_INCIDENT_ID);
    assert_eq!(incident.title, DEMO_INCIDENT_TITLE);
    assert_eq!(incident.severity, Severity::High);
    assert_eq!(incident.status, IncidentStatus::Active);
    assert_eq!(incident.labels, vec!["tor", "vip-host"]);
    assert_eq!(incident.owner.as_ref().and_then(|o| o.user_principal_name.as_deref()), Some("ann.lee@contoso.com"));
    assert_eq!(incident.tactics, vec!["InitialAccess", "Execution", "CommandAndControl"]);
    assert_eq!(incident.first_activity, Some(utc("2024-05-02T07:58:12Z")));
    assert!(incident.url.as_deref().is_some_and(|u| u.starts_with("https://portal.azure.com/") && u.ends_with(DEMO_INCIDENT_ID)));
    assert!(incident.etag.is_some());

    let names: Vec<&str> = incident.alerts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, vec!["Sign-in from a TI-listed IP address", "Suspicious encoded PowerShell command line", "Connection to a known malicious URL"]);
    let first = &incident.alerts[0];
    assert_eq!(first.system_alert_id, "b9a3c7d1-1e2f-4a5b-9c6d-7e8f9a0b1c2d");
    assert_eq!((first.severity, first.product_name.as_deref()), (Severity::High, Some("Azure Sentinel")));
    assert_eq!(first.start, Some(utc("2024-05-02T07:58:12Z")));
    assert_eq!(first.tactics, vec!["InitialAccess"]);
    assert_eq!(first.compromised_entity.as_deref(), Some("ann.lee@contoso.com"));
    assert_eq!(incident.alerts[2].severity, Severity::Medium);

    let entities = &incident.entities;
    let account = only(entities, EntityKind::Account);
    assert_eq!(account[0].get_str("Name").as_deref(), Some("ann.lee"));
    assert_eq!(account[0].get_str("UPNSuffix").as_deref(), Some("contoso.com"));
    assert_eq!(account[0].get_str("NTDomain").as_deref(), Some("CONTOSO"));
    let host = only(entities, EntityKind::Host);
    assert_eq!(host[0].get_str("HostName").as_deref(), Some("soc-vm01"));
    assert_eq!(host[0].get_str("AzureID"), Some(demo_vm_resource_id()));
    let ips: Vec<String> = only(entities, EntityKind::IpAddress).iter().filter_map(|e| e.get_str("Address")).collect();
    assert_eq!(ips, vec![DEMO_MALICIOUS_IP, DEMO_PRIVATE_IP]);
    let located = only(entities, EntityKind::IpAddress)[0].get_entity("Location").unwrap();
    assert_eq!((located.kind(), located.get_str("CountryCode").as_deref()), (EntityKind::GeoLocation, Some("DE")));
    let hash = only(entities, EntityKind::FileHash);
    assert_eq!((hash[0].get_str("Algorithm").as_deref(), hash[0].get_str("Value").as_deref()), (Some("SHA256"), Some(DEMO_FILE_SHA256)));
    let file = only(entities, EntityKind::File);
    assert_eq!(file[0].get_str("FullPath").as_deref(), Some("C:\\Users\\ann.lee\\AppData\\Local\\Temp\\update.ps1"));
    let process = only(entities, EntityKind::Process);
    assert_eq!(process[0].get_entity("Host").and_then(|h| h.get_str("HostName")).as_deref(), Some("soc-vm01"));
    assert_eq!(process[0].get_entity("Account").and_then(|a| a.get_str("Name")).as_deref(), Some("ann.lee"));
    assert_eq!(only(entities, EntityKind::Url)[0].get_str("Url").as_deref(), Some(DEMO_URL));
    assert_eq!(only(entities, EntityKind::AzureResource)[0].get_str("ResourceId"), Some(demo_vm_resource_id()));
    let unknown = only(entities, EntityKind::Unknown);
    assert_eq!(unknown[0].get_str("Type").as_deref(), Some("CloudApplication"));
    assert_eq!(unknown[0].get_str("AppName").as_deref(), Some("Microsoft Azure PowerShell"));
    assert_eq!(entities.len(), 10, "no entity is dropped");

    assert_eq!(incident.comments.len(), 2);
    assert_eq!(incident.comments[0].author.as_deref(), Some("Ann Lee"));
    assert_eq!(incident.comments[1].message, "Isolated soc-vm01 and collected an investigation package.");
    assert_eq!(incident.comments[1].created, Some(utc("2024-05-02T09:01:00Z")));

    let requests = arm_requests(&server);
    assert_eq!(query_param(&requests[0], "$filter").as_deref(), Some("properties/incidentNumber eq 1042"));
    assert_eq!(query_param(&requests[0], "$top").as_deref(), Some("1"));
    let calls: Vec<String> = requests[1..].iter().map(|r| format!("{} {}", r.method, r.path.split('?').next().unwrap().rsplit(DEMO_INCIDENT_ID).next().unwrap())).collect();
    assert_eq!(calls, vec!["GET ", "POST /alerts", "POST /entities", "GET /comments"]);
}

#[test]
fn separate_calls_take_a_guid() {
    let server = sentinel_server();
    let api = api(&server);
    assert_eq!(api.incident_alerts(DEMO_INCIDENT_ID).unwrap().len(), 3);
    assert_eq!(api.incident_entities(DEMO_INCIDENT_ID).unwrap().len(), 10);
    assert_eq!(api.incident_comments(DEMO_INCIDENT_ID).unwrap().len(), 2);
    assert!(arm_requests(&server).iter().all(|r| r.path.contains(DEMO_INCIDENT_ID)), "no lookup by number");
    let error = api.incident_alerts("../bookmarks").unwrap_err().to_string();
    assert!(error.contains("incident id"), "{error}");
}

#[test]
fn update_puts_the_merged_properties_with_the_etag() {
    let server = sentinel_server();
    let update = IncidentUpdate::default()
        .status(IncidentStatus::Closed)
        .classification("TruePositive", "SuspiciousActivity")
        .classification_comment("Password reset, host reimaged.")
        .owner("sam.ortiz@contoso.com")
        .add_labels(["confirmed", "tor"]);
    let updated = api(&server).update_incident(DEMO_INCIDENT_ID, &update).unwrap();
    assert_eq!(updated.name, DEMO_INCIDENT_ID);

    let requests = arm_requests(&server);
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, vec!["GET", "PUT"]);
    let put = &requests[1];
    assert_eq!(query_param(put, "api-version").as_deref(), Some("2024-03-01"));
    let body = json_body(put);
    let current = mstic_demo::arm::rich_incident();
    assert_eq!(body["etag"], current["etag"]);
    let p = &body["properties"];
    assert_eq!(p["status"], "Closed");
    assert_eq!(p["classification"], "TruePositive");
    assert_eq!(p["classificationReason"], "SuspiciousActivity");
    assert_eq!(p["classificationComment"], "Password reset, host reimaged.");
    assert_eq!(p["owner"], serde_json::json!({"userPrincipalName": "sam.ortiz@contoso.com"}));
    assert_eq!(p["title"], DEMO_INCIDENT_TITLE);
    assert_eq!(p["severity"], "High");
    let labels: Vec<&str> = p["labels"].as_array().unwrap().iter().map(|l| l["labelName"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["tor", "vip-host", "confirmed"]);
    assert!(p.get("incidentNumber").is_none() && p.get("additionalData").is_none(), "read-only properties are not sent");
}

#[test]
fn closing_without_a_classification_sends_nothing() {
    let server = sentinel_server();
    let error = api(&server).update_incident(DEMO_INCIDENT_NUMBER, &IncidentUpdate::default().status(IncidentStatus::Closed)).unwrap_err().to_string();
    assert!(error.contains("closing an incident needs a classification"), "{error}");
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn comments_are_put_under_a_new_guid() {
    let server = sentinel_server();
    let comment = api(&server).add_comment(DEMO_INCIDENT_ID, "185.220.101.7 is a Tor exit node").unwrap();
    assert_eq!(comment.author.as_deref(), Some("Ann Lee"));
    assert!(comment.message.contains("Tor exit node"));
    let requests = arm_requests(&server);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "PUT");
    let id = requests[0].path.split('?').next().unwrap().rsplit('/').next().unwrap();
    assert_eq!(id.len(), 36);
    assert!(requests[0].path.contains(&format!("incidents/{DEMO_INCIDENT_ID}/comments/{id}?")));
    assert_eq!(json_body(&requests[0]), serde_json::json!({"properties": {"message": "185.220.101.7 is a Tor exit node"}}));
    assert!(api(&server).add_comment(DEMO_INCIDENT_ID, "  ").is_err());
    assert_eq!(arm_requests(&server).len(), 1);
}

#[test]
fn bookmarks_are_listed_created_and_deleted() {
    let server = sentinel_server();
    let api = api(&server);
    let frame = api.bookmarks().unwrap();
    assert_eq!(frame.len(), 1);
    assert_eq!(frame.value::<String>(0, "BookmarkId").unwrap().as_deref(), Some(mstic_demo::arm::DEMO_BOOKMARK_ID));
    assert_eq!(frame.value::<String>(0, "Tags").unwrap().as_deref(), Some("tor, incident-1042"));
    assert_eq!(frame.value::<String>(0, "CreatedBy").unwrap().as_deref(), Some("Ann Lee"));
    assert_eq!(frame.value::<DateTime<Utc>>(0, "EventTime").unwrap(), Some(utc("2024-05-02T07:58:12Z")));

    let bookmark = Bookmark::default()
        .display_name("Sign-in from Tor")
        .query("SigninLogs | where IPAddress == '185.220.101.7'")
        .notes("from triage")
        .labels(["tor"])
        .event_time(utc("2024-05-02T07:58:12Z"));
    let created = api.create_bookmark(&bookmark).unwrap();
    assert_eq!(created.name.as_deref(), Some("c4d9e2f1-7a6b-4c3d-9e8f-1a2b3c4d5e6f"));
    let put = server.requests().into_iter().find(|r| r.method == "PUT").unwrap();
    assert!(put.path.contains("/Microsoft.SecurityInsights/bookmarks/"));
    assert_eq!(
        json_body(&put),
        serde_json::json!({"properties": {
            "displayName": "Sign-in from Tor", "query": "SigninLogs | where IPAddress == '185.220.101.7'",
            "notes": "from triage", "labels": ["tor"], "eventTime": "2024-05-02T07:58:12.000Z"
        }})
    );

    api.delete_bookmark(mstic_demo::arm::DEMO_BOOKMARK_ID).unwrap();
    let delete = server.requests().into_iter().find(|r| r.method == "DELETE").unwrap();
    assert!(delete.path.contains(&format!("/bookmarks/{}?api-version=2024-03-01", mstic_demo::arm::DEMO_BOOKMARK_ID)));

    server.route("DELETE", "/bookmarks/missing", vec![Reply::json(404, r#"{"error":{"code":"NotFound","message":"Bookmark not found"}}"#)]);
    let error = api.delete_bookmark("missing").unwrap_err().to_string();
    assert!(error.contains("DELETE /subscriptions/") && error.contains("/bookmarks/missing") && error.contains("404") && error.contains("Bookmark not found"), "{error}");
}

#[test]
fn rules_and_watchlists_are_tables() {
    let server = sentinel_server();
    let api = api(&server);
    let rules = api.analytic_rules().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules.value::<String>(0, "DisplayName").unwrap().as_deref(), Some("TI map IP entity to SigninLogs"));
    assert_eq!(rules.value::<String>(1, "Kind").unwrap().as_deref(), Some("Fusion"));
    assert_eq!(rules.values::<bool>("Enabled").unwrap(), vec![Some(true), Some(false)]);
    assert_eq!(rules.value::<String>(0, "Tactics").unwrap().as_deref(), Some("InitialAccess"));
    assert_eq!(rules.value::<DateTime<Utc>>(0, "LastModifiedTime").unwrap(), Some(utc("2024-04-18T10:22:31Z")));

    let lists = api.watchlists().unwrap();
    assert_eq!(lists.value::<String>(0, "WatchlistAlias").unwrap().as_deref(), Some("HighValueAssets"));
    assert_eq!(lists.value::<String>(0, "ItemsSearchKey").unwrap().as_deref(), Some("Hostname"));
    let items = api.watchlist_items("HighValueAssets").unwrap();
    assert_eq!(items.columns(), vec!["Criticality", "Hostname", "IPAddress", "Owner"]);
    assert_eq!(items.values::<String>("Hostname").unwrap(), vec![Some("soc-vm01".into()), Some("dc01".into()), Some("payroll-db".into())]);
    assert_eq!(items.value::<String>(1, "Criticality").unwrap().as_deref(), Some("Critical"));
}

#[test]
fn a_429_is_retried_after_the_wait_it_asks_for() {
    let server = sentinel_server();
    let busy = Reply::json(429, r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#).with_header("Retry-After", "0");
    server.route("GET", "Microsoft.SecurityInsights/alertRules?", vec![busy, Reply::json(200, r#"{"value":[{"name":"r1","kind":"Scheduled","properties":{"displayName":"Rule one","enabled":true}}]}"#)]);
    let rules = api(&server).analytic_rules().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(server.requests_to("alertRules").len(), 2);
}

#[test]
fn a_403_names_the_missing_role_and_the_workspace() {
    let server = sentinel_server();
    let forbidden = || {
        Reply::json(403, r#"{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization to perform action 'Microsoft.SecurityInsights/bookmarks/write'."}}"#)
    };
    server.route("PUT", "Microsoft.SecurityInsights/bookmarks/", vec![forbidden()]);
    server.route("GET", "Microsoft.SecurityInsights/incidents?", vec![forbidden()]);
    let api = api(&server);
    let bookmark = Bookmark::default().display_name("x").query("SigninLogs");
    let error = api.create_bookmark(&bookmark).unwrap_err().to_string();
    let workspace = "/subscriptions/3c1bb38c-82e3-4f8d-a115-a7110ba70d05/resourceGroups/soc-rg/providers/Microsoft.OperationalInsights/workspaces/soc-workspace";
    assert!(error.contains(&format!("the identity needs the 'Microsoft Sentinel Contributor' role (or higher) on {workspace}")), "{error}");
    assert!(error.contains("AuthorizationFailed") && error.contains("403"), "{error}");
    assert!(!error.contains(CLIENT_SECRET) && !error.contains(TOKEN), "{error}");
    let error = api.incidents(&IncidentFilter::default()).unwrap_err().to_string();
    assert!(error.contains("'Microsoft Sentinel Reader'") && error.contains("GET /subscriptions/") && !error.contains("$orderby"), "{error}");
}

#[test]
fn a_missing_subscription_id_is_named() {
    let text = "AzureSentinel:\n  Workspaces:\n    Default:\n      WorkspaceId: \"52b1ab41-869e-4138-9e40-2a4457f09bf3\"\n      TenantId: \"8360dd21-0294-4240-9128-89611f415c53\"\n      ResourceGroup: \"soc-rg\"\n      WorkspaceName: \"soc-workspace\"\n";
    let file = std::env::temp_dir().join(format!("sentinel-api-{}-msticpyconfig.yaml", std::process::id()));
    std::fs::write(&file, text).unwrap();
    let config = MsticConfig::load(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let error = SentinelApi::with_config("Default", &DriverSettings::default(), &config).unwrap_err().to_string();
    assert!(error.contains("has no SubscriptionId"), "{error}");
    assert!(error.contains("AzureSentinel.Workspaces.Default"), "{error}");
    assert!(error.contains(&file.display().to_string()), "{error}");
    let error = SentinelApi::with_config("Nope", &DriverSettings::default(), &config).unwrap_err().to_string();
    assert!(error.contains("Nope"), "{error}");
}

#[test]
fn settings_choose_the_api_version_and_debug_hides_secrets() {
    let server = sentinel_server();
    let config = MsticConfig::from_yaml_str(&config_text(&server.base_url()), "test msticpyconfig.yaml").unwrap();
    let api = SentinelApi::with_config("Default", &DriverSettings::default().set("sentinel_api_version", "2025-01-01-preview"), &config).unwrap();
    assert_eq!(api.api_version(), "2025-01-01-preview");
    assert!(!format!("{api:?}").contains(CLIENT_SECRET));
    api.watchlists().unwrap();
    assert_eq!(query_param(&arm_requests(&server)[0], "api-version").as_deref(), Some("2025-01-01-preview"));
}

#[test]
fn the_demo_services_serve_the_example_incident() {
    let _demo = mstic_demo::DemoServer::start().unwrap();
    let api = SentinelApi::new("Default").unwrap();
    let open = api.incidents_frame(&IncidentFilter::default().status(IncidentStatus::Active)).unwrap();
    assert_eq!(open.value::<String>(0, "Title").unwrap().as_deref(), Some(DEMO_INCIDENT_TITLE));
    let incident = api.incident(DEMO_INCIDENT_NUMBER).unwrap();
    assert_eq!(incident.name, DEMO_INCIDENT_ID);
    assert_eq!(incident.alerts.len(), 3);
    assert!(incident.entities.iter().any(|e| e.get_str("Address").as_deref() == Some(DEMO_MALICIOUS_IP)));
    assert!(incident.entities.iter().any(|e| e.kind() == EntityKind::AzureResource && e.get_str("ResourceId") == Some(demo_vm_resource_id())));
    let comment = api.add_comment(&incident, "triaged in the notebook").unwrap();
    assert!(!comment.name.is_empty());
}
