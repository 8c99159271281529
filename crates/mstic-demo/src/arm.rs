//! Recorded Azure Resource Manager answers of the demo Sentinel workspace
//! (`DEMO_SUBSCRIPTION_ID` / `DEMO_RESOURCE_GROUP` / `DEMO_WORKSPACE_NAME`), in the JSON shapes
//! of the `Microsoft.SecurityInsights` REST API (api-version 2024-03-01): incidents in two pages,
//! one incident with its alerts, entities and comments, the answers to an incident update and a
//! new comment, bookmarks, analytic rules and a watchlist — and, for Log Analytics, the
//! `SecurityAlert` rows of the incident's alerts with their entities. Written for this crate.
//!
//! ```
//! let demo = mstic_demo::DemoServer::start()?;
//! let path = format!("{}/incidents/{}", mstic_demo::arm::sentinel_base_path(), mstic_demo::arm::DEMO_INCIDENT_ID);
//! assert!(path.starts_with("/subscriptions/3c1bb38c-82e3-4f8d-a115-a7110ba70d05/resourceGroups/soc-rg/"));
//! # Ok::<(), mstic_core::Error>(())
//! ```

use crate::recorded::{RecordedServer, Reply};
use crate::services::{DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION_ID, DEMO_WORKSPACE_NAME};
use serde_json::{Value, json};

/// The GUID (ARM name) of the demo's rich incident.
pub const DEMO_INCIDENT_ID: &str = "6d8a3c1e-4b1f-4c55-9d2e-0f4a1b2c3d4e";
/// The number of the demo's rich incident.
pub const DEMO_INCIDENT_NUMBER: i64 = 1042;
/// The title of the demo's rich incident.
pub const DEMO_INCIDENT_TITLE: &str = "Suspicious PowerShell and sign-ins from a TI-listed IP";
/// The TI-listed IP address among the incident's entities.
pub const DEMO_MALICIOUS_IP: &str = "185.220.101.7";
/// The private IP address among the incident's entities.
pub const DEMO_PRIVATE_IP: &str = "10.0.4.17";
/// The SHA256 hash among the incident's entities.
pub const DEMO_FILE_SHA256: &str = "9f2c1d7a4b8e3f60c5d2a1b0e9f8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180";
/// The URL among the incident's entities.
pub const DEMO_URL: &str = "http://cdn-update.contoso-support.net/dl/update.ps1";
/// The virtual machine (host) of the incident.
pub const DEMO_VM_NAME: &str = "soc-vm01";
/// The alias of the demo watchlist.
pub const DEMO_WATCHLIST_ALIAS: &str = "HighValueAssets";
/// The GUID of the demo bookmark.
pub const DEMO_BOOKMARK_ID: &str = "a1e5b7c2-3d4f-4e6a-8b9c-0d1e2f3a4b5c";
/// The `systemAlertId`s of the rich incident's alerts: the sign-in, the PowerShell command line
/// and the URL download.
pub const DEMO_ALERT_IDS: [&str; 3] = ["b9a3c7d1-1e2f-4a5b-9c6d-7e8f9a0b1c2d", "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"];
/// The page token in the first incidents page's `nextLink`.
pub const DEMO_PAGE_TOKEN: &str = "demo-page-2";

/// The ARM resource id of the demo VM `soc-vm01`.
pub fn demo_vm_resource_id() -> String {
    format!("/subscriptions/{DEMO_SUBSCRIPTION_ID}/resourceGroups/{DEMO_RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachines/{DEMO_VM_NAME}")
}

/// `/subscriptions/…/workspaces/soc-workspace/providers/Microsoft.SecurityInsights`.
pub fn sentinel_base_path() -> String {
    format!(
        "/subscriptions/{DEMO_SUBSCRIPTION_ID}/resourceGroups/{DEMO_RESOURCE_GROUP}/providers/Microsoft.OperationalInsights/workspaces/{DEMO_WORKSPACE_NAME}/providers/Microsoft.SecurityInsights"
    )
}

/// Answers the Sentinel management API of the demo workspace on `server` (later, more specific
/// routes win over the general ones, as [`RecordedServer::route`] matches the latest first).
pub fn install_sentinel_routes(server: &RecordedServer) {
    let ok = |body: Value| vec![Reply::json(200, body)];
    for (index, id) in DEMO_ALERT_IDS.iter().enumerate() {
        server.route_body("POST", "/v1/workspaces/", id, ok(workspace_alert(index)));
    }
    let incident_path = format!("incidents/{DEMO_INCIDENT_ID}");
    let page_two = format!("{}{}/incidents?api-version=2024-03-01&$skipToken={DEMO_PAGE_TOKEN}", server.base_url(), sentinel_base_path());
    server.route("GET", "Microsoft.SecurityInsights/incidents?", ok(incidents_page_one(&page_two)));
    server.route("GET", &format!("$skipToken={DEMO_PAGE_TOKEN}"), ok(incidents_page_two()));
    server.route("GET", &format!("incidentNumber%20eq%20{DEMO_INCIDENT_NUMBER}"), ok(json!({ "value": [rich_incident()] })));
    server.route("GET", &format!("{incident_path}?"), ok(rich_incident()));
    server.route("PUT", &format!("{incident_path}?"), ok(rich_incident()));
    server.route("POST", &format!("{incident_path}/alerts"), ok(incident_alerts()));
    server.route("POST", &format!("{incident_path}/entities"), ok(incident_entities()));
    server.route("GET", &format!("{incident_path}/comments?"), ok(incident_comments()));
    server.route("PUT", &format!("{incident_path}/comments/"), ok(new_comment()));
    server.route("GET", "Microsoft.SecurityInsights/bookmarks?", ok(json!({ "value": [bookmark(DEMO_BOOKMARK_ID)] })));
    server.route("PUT", "Microsoft.SecurityInsights/bookmarks/", ok(bookmark("c4d9e2f1-7a6b-4c3d-9e8f-1a2b3c4d5e6f")));
    server.route("DELETE", "Microsoft.SecurityInsights/bookmarks/", vec![Reply::bytes(200, "application/json", Vec::new())]);
    server.route("GET", "Microsoft.SecurityInsights/alertRules?", ok(analytic_rules()));
    server.route("GET", "Microsoft.SecurityInsights/watchlists?", ok(watchlists()));
    server.route("GET", &format!("watchlists/{DEMO_WATCHLIST_ALIAS}/watchlistItems"), ok(watchlist_items()));
}

/// A resource of the demo workspace: `{id, name, type, etag}` plus `extra` fields.
fn resource(kind_path: &str, name: &str, resource_type: &str, extra: Value) -> Value {
    let mut value = json!({
        "id": format!("{}/{kind_path}/{name}", sentinel_base_path()),
        "name": name,
        "type": format!("Microsoft.SecurityInsights/{resource_type}"),
        "etag": format!("\"{:08x}-0000-0100-0000-66335c880000\"", name.len() * 7919),
    });
    if let (Some(target), Value::Object(fields)) = (value.as_object_mut(), extra) {
        target.extend(fields);
    }
    value
}

fn label(name: &str, kind: &str) -> Value {
    json!({ "labelName": name, "labelType": kind })
}

/// An incident of the list: number, title, severity, status, creation time and extra properties.
fn incident(name: &str, number: i64, title: &str, severity: &str, status: &str, created: &str, extra: Value) -> Value {
    let mut properties = json!({
        "title": title,
        "severity": severity,
        "status": status,
        "incidentNumber": number,
        "createdTimeUtc": created,
        "lastModifiedTimeUtc": created,
        "firstActivityTimeUtc": created,
        "lastActivityTimeUtc": created,
        "labels": [],
        "owner": { "objectId": null, "email": null, "assignedTo": null, "userPrincipalName": null },
        "providerName": "Azure Sentinel",
        "providerIncidentId": number.to_string(),
        "incidentUrl": format!("https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident{}/incidents/{name}", sentinel_base_path()),
        "additionalData": { "alertsCount": 1, "bookmarksCount": 0, "commentsCount": 0, "alertProductNames": ["Azure Sentinel"], "tactics": [] },
    });
    if let (Some(target), Value::Object(fields)) = (properties.as_object_mut(), extra) {
        target.extend(fields);
    }
    resource("incidents", name, "Incidents", json!({ "properties": properties }))
}

/// The demo's rich incident (number 1042).
pub fn rich_incident() -> Value {
    incident(DEMO_INCIDENT_ID, DEMO_INCIDENT_NUMBER, DEMO_INCIDENT_TITLE, "High", "Active", "2024-05-02T08:15:00Z", json!({
        "description": "An account signed in from an IP address on a threat-intelligence list, then ran an encoded PowerShell \
                        command on soc-vm01 that downloaded a script.",
        "firstActivityTimeUtc": "2024-05-02T07:58:12Z",
        "lastActivityTimeUtc": "2024-05-02T08:11:40Z",
        "lastModifiedTimeUtc": "2024-05-02T09:02:00Z",
        "owner": {
            "objectId": "2046feea-040d-4a46-9e2b-91c2941bfa70",
            "email": "ann.lee@contoso.com",
            "assignedTo": "Ann Lee",
            "userPrincipalName": "ann.lee@contoso.com"
        },
        "labels": [label("tor", "User"), label("vip-host", "AutoAssigned")],
        "relatedAnalyticRuleIds": [format!("{}/alertRules/7b3c5e1a-2d4f-4a6b-8c9d-0e1f2a3b4c5d", sentinel_base_path())],
        "additionalData": {
            "alertsCount": 3,
            "bookmarksCount": 0,
            "commentsCount": 2,
            "alertProductNames": ["Azure Sentinel", "Microsoft Defender for Endpoint"],
            "tactics": ["InitialAccess", "Execution", "CommandAndControl"],
            "techniques": ["T1078", "T1059", "T1105"]
        }
    }))
}

fn incidents_page_one(next_link: &str) -> Value {
    json!({
        "value": [
            rich_incident(),
            incident("0b5e7d2c-9a41-4f3e-8d6c-5b4a3c2d1e0f", 1041, "Multiple failed sign-ins for a privileged account", "Medium", "New", "2024-05-02T06:40:00Z", json!({})),
        ],
        "nextLink": next_link,
    })
}

fn incidents_page_two() -> Value {
    json!({
        "value": [
            incident("e4c3b2a1-0f9e-4d8c-b7a6-958473625140", 1039, "Rare process on a domain controller", "Low", "Closed", "2024-05-01T22:05:00Z", json!({
                "classification": "FalsePositive", "classificationReason": "InaccurateData",
                "classificationComment": "Backup agent update."
            })),
            incident("5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", 1036, "Mass download by a single user", "Informational", "Closed", "2024-05-01T14:30:00Z", json!({
                "classification": "BenignPositive", "classificationReason": "SuspiciousButExpected"
            })),
        ]
    })
}

/// The three alerts of the rich incident.
fn incident_alerts() -> Value {
    let alert = |name: &str, display: &str, severity: &str, product: &str, tactics: &[&str], start: &str, compromised: &str, description: &str| {
        json!({
            "id": format!("{}/entities/{name}", sentinel_base_path()),
            "name": name,
            "type": "Microsoft.SecurityInsights/Entities",
            "kind": "SecurityAlert",
            "properties": {
                "systemAlertId": name,
                "alertDisplayName": display,
                "friendlyName": display,
                "alertType": format!("{}_{}", product.replace(' ', ""), display.split_whitespace().next().unwrap_or("Alert")),
                "description": description,
                "severity": severity,
                "status": "New",
                "productName": product,
                "vendorName": "Microsoft",
                "productComponentName": "Scheduled Alerts",
                "providerAlertId": format!("da{}", &name[..8]),
                "timeGenerated": "2024-05-02T08:14:05Z",
                "startTimeUtc": start,
                "endTimeUtc": "2024-05-02T08:11:40Z",
                "processingEndTime": "2024-05-02T08:14:06Z",
                "compromisedEntity": compromised,
                "confidenceLevel": "Unknown",
                "tactics": tactics,
                "remediationSteps": ["Reset the account's password and revoke its sessions.", "Isolate the host and collect an investigation package."],
                "alertLink": format!("https://security.microsoft.com/alerts/da{}", &name[..8]),
                "additionalData": { "Query Period": "01:00:00", "Trigger Operator": "GreaterThan", "Trigger Threshold": "0" },
                "resourceIdentifiers": [{ "type": "LogAnalytics", "workspaceId": crate::services::DEMO_WORKSPACE_ID }]
            }
        })
    };
    json!({
        "value": [
            alert(DEMO_ALERT_IDS[0], "Sign-in from a TI-listed IP address", "High", "Azure Sentinel", &["InitialAccess"],
                  "2024-05-02T07:58:12Z", "ann.lee@contoso.com", "ann.lee@contoso.com signed in from 185.220.101.7, listed as a Tor exit node."),
            alert(DEMO_ALERT_IDS[1], "Suspicious encoded PowerShell command line", "High", "Microsoft Defender for Endpoint", &["Execution"],
                  "2024-05-02T08:03:27Z", "soc-vm01", "powershell.exe ran a base64-encoded command that downloads and runs a script."),
            alert(DEMO_ALERT_IDS[2], "Connection to a known malicious URL", "Medium", "Microsoft Defender for Endpoint", &["CommandAndControl"],
                  "2024-05-02T08:03:29Z", "soc-vm01", "soc-vm01 downloaded update.ps1 from a URL hosted on 185.220.101.7."),
        ]
    })
}

/// One incident entity of `kind` with id `name` and camelCase `properties`.
fn entity(name: &str, kind: &str, properties: Value) -> Value {
    json!({
        "id": format!("{}/entities/{name}", sentinel_base_path()),
        "name": name,
        "type": "Microsoft.SecurityInsights/Entities",
        "kind": kind,
        "properties": properties,
    })
}

/// The entities of the rich incident: account, host, two IPs, file hash, file, process, URL,
/// Azure resource and a cloud application.
fn incident_entities() -> Value {
    const HOST: &str = "e0000001-0000-4000-8000-000000000001";
    const ACCOUNT: &str = "e0000002-0000-4000-8000-000000000002";
    const HASH: &str = "e0000005-0000-4000-8000-000000000005";
    let entities = vec![
        entity(ACCOUNT, "Account", json!({
            "accountName": "ann.lee", "ntDomain": "CONTOSO", "upnSuffix": "contoso.com",
            "aadUserId": "2046feea-040d-4a46-9e2b-91c2941bfa70", "aadTenantId": crate::services::DEMO_TENANT_ID,
            "displayName": "Ann Lee", "isDomainJoined": true, "friendlyName": "ann.lee"
        })),
        entity(HOST, "Host", json!({
            "hostName": DEMO_VM_NAME, "dnsDomain": "contoso.local", "netBiosName": "SOC-VM01", "osFamily": "Windows",
            "osVersion": "10.0.20348", "azureID": demo_vm_resource_id(), "isDomainJoined": true, "friendlyName": DEMO_VM_NAME
        })),
        entity("e0000003-0000-4000-8000-000000000003", "Ip", json!({
            "address": DEMO_MALICIOUS_IP, "friendlyName": DEMO_MALICIOUS_IP,
            "location": { "countryCode": "DE", "countryName": "Germany", "city": "Frankfurt am Main", "latitude": 50.1109, "longitude": 8.6821, "asn": 60729 }
        })),
        entity("e0000004-0000-4000-8000-000000000004", "Ip", json!({ "address": DEMO_PRIVATE_IP, "friendlyName": DEMO_PRIVATE_IP })),
        entity(HASH, "FileHash", json!({ "algorithm": "SHA256", "hashValue": DEMO_FILE_SHA256, "friendlyName": DEMO_FILE_SHA256 })),
        entity("e0000006-0000-4000-8000-000000000006", "File", json!({
            "fileName": "update.ps1", "directory": "C:\\Users\\ann.lee\\AppData\\Local\\Temp", "fileHashEntityIds": [HASH], "friendlyName": "update.ps1"
        })),
        entity("e0000007-0000-4000-8000-000000000007", "Process", json!({
            "processId": "4711",
            "commandLine": "powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
            "creationTimeUtc": "2024-05-02T08:03:27Z", "elevationToken": "Default",
            "hostEntityId": HOST, "accountEntityId": ACCOUNT, "friendlyName": "powershell.exe"
        })),
        entity("e0000008-0000-4000-8000-000000000008", "Url", json!({ "url": DEMO_URL, "friendlyName": DEMO_URL })),
        entity("e0000009-0000-4000-8000-000000000009", "AzureResource", json!({
            "resourceId": demo_vm_resource_id(), "subscriptionId": DEMO_SUBSCRIPTION_ID, "friendlyName": DEMO_VM_NAME
        })),
        entity("e000000a-0000-4000-8000-00000000000a", "CloudApplication", json!({
            "appId": "1950a258-227b-4e31-a9cf-717495945fc2", "appName": "Microsoft Azure PowerShell", "friendlyName": "Microsoft Azure PowerShell"
        })),
    ];
    let kinds = ["Account", "Host", "Ip", "FileHash", "File", "Process", "Url", "AzureResource", "CloudApplication"];
    let meta: Vec<Value> = kinds
        .iter()
        .map(|kind| json!({ "entityKind": kind, "count": entities.iter().filter(|e| e["kind"] == *kind).count() }))
        .collect();
    json!({ "entities": entities, "metaData": meta })
}

fn comment(name: &str, message: &str, created: &str, author: Value) -> Value {
    resource(&format!("incidents/{DEMO_INCIDENT_ID}/comments"), name, "Incidents/Comments", json!({
        "properties": { "message": message, "createdTimeUtc": created, "lastModifiedTimeUtc": created, "author": author }
    }))
}

fn ann() -> Value {
    json!({ "objectId": "2046feea-040d-4a46-9e2b-91c2941bfa70", "email": "ann.lee@contoso.com", "name": "Ann Lee", "userPrincipalName": "ann.lee@contoso.com" })
}

fn incident_comments() -> Value {
    json!({
        "value": [
            comment("f1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8", "Sign-in came from a Tor exit node; the user says she was not travelling.", "2024-05-02T08:40:00Z", ann()),
            comment("0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d", "Isolated soc-vm01 and collected an investigation package.", "2024-05-02T09:01:00Z", json!({
                "objectId": "5b1d5e3a-7c2f-4e8d-a9b0-c1d2e3f4a5b6", "email": "sam.ortiz@contoso.com", "name": "Sam Ortiz", "userPrincipalName": "sam.ortiz@contoso.com"
            })),
        ]
    })
}

fn new_comment() -> Value {
    comment("7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928", "Triage notebook: 185.220.101.7 is a known Tor exit node; escalating.", "2024-05-02T09:15:00Z", ann())
}

fn bookmark(name: &str) -> Value {
    resource("bookmarks", name, "Bookmarks", json!({
        "properties": {
            "displayName": "Sign-in of ann.lee from 185.220.101.7",
            "query": "SigninLogs | where UserPrincipalName == 'ann.lee@contoso.com' and IPAddress == '185.220.101.7'",
            "queryResult": "{\"TimeGenerated\":\"2024-05-02T07:58:12Z\",\"IPAddress\":\"185.220.101.7\",\"ResultType\":\"0\"}",
            "notes": "First activity of incident 1042.",
            "labels": ["tor", "incident-1042"],
            "eventTime": "2024-05-02T07:58:12Z",
            "created": "2024-05-02T08:45:00Z",
            "updated": "2024-05-02T08:45:00Z",
            "createdBy": ann(),
            "updatedBy": ann()
        }
    }))
}

fn analytic_rules() -> Value {
    json!({
        "value": [
            resource("alertRules", "7b3c5e1a-2d4f-4a6b-8c9d-0e1f2a3b4c5d", "AlertRules", json!({
                "kind": "Scheduled",
                "properties": {
                    "displayName": "TI map IP entity to SigninLogs",
                    "description": "Sign-ins from IP addresses on threat-intelligence lists.",
                    "enabled": true, "severity": "High", "tactics": ["InitialAccess"], "techniques": ["T1078"],
                    "query": "ThreatIntelligenceIndicator | join kind=inner (SigninLogs) on $left.NetworkIP == $right.IPAddress",
                    "queryFrequency": "PT1H", "queryPeriod": "P14D", "triggerOperator": "GreaterThan", "triggerThreshold": 0,
                    "lastModifiedUtc": "2024-04-18T10:22:31Z"
                }
            })),
            resource("alertRules", "BuiltInFusion", "AlertRules", json!({
                "kind": "Fusion",
                "properties": {
                    "displayName": "Advanced Multistage Attack Detection",
                    "alertRuleTemplateName": "f71aba3d-28fb-450b-b192-4e76a83015c8",
                    "enabled": false, "severity": "High", "tactics": ["Collection", "CommandAndControl", "Exfiltration"],
                    "lastModifiedUtc": "2024-03-02T16:05:00Z"
                }
            })),
        ]
    })
}

fn watchlists() -> Value {
    json!({
        "value": [resource("watchlists", DEMO_WATCHLIST_ALIAS, "Watchlists", json!({
            "properties": {
                "watchlistId": "3f2e1d0c-9b8a-4766-a5b4-c3d2e1f0a9b8",
                "watchlistAlias": DEMO_WATCHLIST_ALIAS,
                "displayName": "High value assets",
                "provider": "Microsoft",
                "source": "high_value_assets.csv",
                "itemsSearchKey": "Hostname",
                "description": "Servers and accounts whose compromise raises an incident's priority.",
                "numberOfLinesToSkip": 0,
                "created": "2024-02-12T09:00:00Z",
                "updated": "2024-04-30T17:30:00Z",
                "createdBy": ann(),
                "updatedBy": ann()
            }
        }))]
    })
}

fn watchlist_items() -> Value {
    let item = |name: &str, values: Value| {
        resource(&format!("watchlists/{DEMO_WATCHLIST_ALIAS}/watchlistItems"), name, "Watchlists/WatchlistItems", json!({
            "properties": { "watchlistItemId": name, "itemsKeyValue": values, "created": "2024-02-12T09:00:00Z", "updated": "2024-04-30T17:30:00Z" }
        }))
    };
    json!({
        "value": [
            item("9a8b7c6d-0001-4e5f-8a9b-0c1d2e3f4a5b", json!({ "Hostname": DEMO_VM_NAME, "IPAddress": DEMO_PRIVATE_IP, "Owner": "ann.lee@contoso.com", "Criticality": "High" })),
            item("9a8b7c6d-0002-4e5f-8a9b-0c1d2e3f4a5b", json!({ "Hostname": "dc01", "IPAddress": "10.0.0.4", "Owner": "it-ops@contoso.com", "Criticality": "Critical" })),
            item("9a8b7c6d-0003-4e5f-8a9b-0c1d2e3f4a5b", json!({ "Hostname": "payroll-db", "IPAddress": "10.0.6.20", "Owner": "finance-it@contoso.com", "Criticality": "High" })),
        ]
    })
}

/// Log Analytics' answer to a query of the `SecurityAlert` row of alert `index` of the rich
/// incident (`SecurityAlert.get_alert`): the alert with its `Entities` (Sentinel's alert entity
/// JSON, `$id`/`$ref` links) and `ExtendedProperties`, as JSON text.
fn workspace_alert(index: usize) -> Value {
    let account = json!({"$id": "2", "Type": "account", "Name": "ann.lee", "NTDomain": "CONTOSO", "UPNSuffix": "contoso.com",
                         "AadUserId": "2046feea-040d-4a46-9e2b-91c2941bfa70", "IsDomainJoined": true});
    let host = json!({"$id": "3", "Type": "host", "HostName": DEMO_VM_NAME, "DnsDomain": "contoso.local", "NetBiosName": "SOC-VM01",
                      "OSFamily": "Windows", "AzureID": demo_vm_resource_id()});
    let ip = json!({"$id": "4", "Type": "ip", "Address": DEMO_MALICIOUS_IP});
    let (entities, extended) = match index {
        0 => (
            json!([account, ip]),
            json!({"Query Period": "01:00:00", "Trigger Operator": "GreaterThan", "Trigger Threshold": "0", "Matched indicator": DEMO_MALICIOUS_IP}),
        ),
        1 => (
            json!([host, account, {"$id": "5", "Type": "process", "ProcessId": "4711",
                "CommandLine": "powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
                "CreationTimeUtc": "2024-05-02T08:03:27Z", "Host": {"$ref": "3"}, "Account": {"$ref": "2"}}]),
            json!({"MachineGroup": "Servers", "Detection source": "EDR"}),
        ),
        _ => (
            json!([host, ip, {"$id": "5", "Type": "url", "Url": DEMO_URL},
                {"$id": "6", "Type": "filehash", "Algorithm": "SHA256", "Value": DEMO_FILE_SHA256},
                {"$id": "7", "Type": "file", "Name": "update.ps1", "Directory": "C:\\Users\\ann.lee\\AppData\\Local\\Temp", "FileHashes": [{"$ref": "6"}]}]),
            json!({"MachineGroup": "Servers", "Detection source": "Network protection"}),
        ),
    };
    let alerts = incident_alerts();
    let alert = &alerts["value"][index]["properties"];
    let text = |key: &str| alert[key].clone();
    let columns: Vec<Value> = [
        ("TimeGenerated", "datetime"), ("DisplayName", "string"), ("AlertName", "string"), ("AlertSeverity", "string"), ("Description", "string"),
        ("ProviderName", "string"), ("VendorName", "string"), ("VendorOriginalId", "string"), ("SystemAlertId", "string"), ("ProductName", "string"),
        ("AlertType", "string"), ("StartTime", "datetime"), ("EndTime", "datetime"), ("CompromisedEntity", "string"), ("Tactics", "string"),
        ("Status", "string"), ("AlertLink", "string"), ("Entities", "string"), ("ExtendedProperties", "string"),
    ]
    .iter()
    .map(|(name, kind)| json!({"name": name, "type": kind}))
    .collect();
    let tactics = alert["tactics"].as_array().map(|t| t.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default();
    let row = json!([
        text("timeGenerated"), text("alertDisplayName"), text("alertDisplayName"), text("severity"), text("description"),
        "ASI Scheduled Alerts", text("vendorName"), text("providerAlertId"), text("systemAlertId"), text("productName"),
        text("alertType"), text("startTimeUtc"), text("endTimeUtc"), text("compromisedEntity"), tactics,
        text("status"), text("alertLink"), entities.to_string(), extended.to_string()
    ]);
    json!({"tables": [{"name": "PrimaryResult", "columns": columns, "rows": [row]}]})
}
