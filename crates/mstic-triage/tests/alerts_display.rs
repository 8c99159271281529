//! Alerts from `SecurityAlert` rows (MSTICPy's `alertlist.csv` and `entities.json` fixtures), the
//! incident and alert views, and the incident entity graph.

use chrono::{DateTime, TimeZone, Utc};
use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_pivot::entity::{Entity, EntityKind};
use mstic_triage::alerts::{alerts_frame, alerts_from_frame};
use mstic_demo::incidents::example_incident;
use mstic_triage::display::IncidentList;
use mstic_triage::graph::{VEGA_LITE_MIME, incident_graph};
use mstic_triage::model::{Alert, Incident, Severity};
use serde_json::Value;

const PETYA_ID: &str = "2518547570821871899_e647375c-9979-47b5-9f78-f414a1aad26d";

fn alert_list() -> Frame {
    Frame::read_csv(fixture("msticpy/notebook-data/alertlist.csv").expect("MSTIC_FIXTURES is set")).expect("alertlist.csv reads")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn entities_fixture() -> String {
    std::fs::read_to_string(fixture("msticpy/testdata/entities.json").unwrap()).unwrap()
}

/// One `SecurityAlert` row with Sentinel's current column names.
fn sentinel_row(entities: &str, extended: &str) -> Frame {
    Frame::from_string_rows(
        &["SystemAlertId", "AlertName", "AlertSeverity", "Status", "ProductName", "StartTime", "EndTime", "Tactics", "Techniques",
          "RemediationSteps", "AlertLink", "Entities", "ExtendedProperties"],
        &[vec![
            Some("sys-1"), Some("Mimikatz"), Some("High"), Some("New"), Some("Microsoft Defender for Endpoint"),
            Some("2018-11-15T23:54:29.300Z"), Some("2018-11-15T23:59:00Z"), Some("CredentialAccess, Execution"),
            Some(r#"["T1003", "T1059"]"#), Some(r#"["Isolate the host", "Reset the password"]"#),
            Some("https://security.microsoft.com/alerts/sys-1"), Some(entities), Some(extended),
        ]],
    )
    .unwrap()
}

#[test]
fn alertlist_fixture_parses_every_alert() {
    let frame = alert_list();
    let alerts = alerts_from_frame(&frame).unwrap();
    assert_eq!(alerts.len(), 189);
    let high = alerts.iter().filter(|a| a.severity == Severity::High).count();
    let informational = alerts.iter().filter(|a| a.severity == Severity::Informational).count();
    assert_eq!((high, informational), (102, 7));
    assert_eq!(alerts.iter().filter(|a| a.entities.is_empty()).count(), 13);

    let first = &alerts[0];
    assert_eq!(first.system_alert_id, "047f47d6-79b7-4502-824b-97abc4905a73");
    assert_eq!(first.name, "DC local group addition - Demo");
    assert_eq!(first.severity, Severity::Low);
    assert_eq!(first.provider_alert_id.as_deref(), Some("e0c9484b-ad5f-4161-b73b-388676c05818"));
    assert_eq!(first.start, Some(utc(2019, 1, 11, 6, 31, 40)));
    assert_eq!(first.time_generated, Some(utc(2019, 1, 12, 6, 41, 44)));
    assert_eq!(first.extended_properties["Threshold Value"], "10000");
    let accounts: Vec<String> = first.entities_of(EntityKind::Account).iter().filter_map(|e| e.get_str("Name")).collect();
    assert_eq!(accounts, ["ADMINISTRATOR", "ADMIN", "USER"]);
    // `$ref` links are resolved: each account's host is the alert's host entity.
    assert_eq!(first.entities_of(EntityKind::Account)[0].get_str("Host").as_deref(), Some("DHCPContoso77"));

    let petya = alerts.iter().find(|a| a.system_alert_id == PETYA_ID).expect("the Petya alert");
    assert_eq!(petya.name, "Detected Petya ransomware indicators");
    assert_eq!(petya.severity, Severity::High);
    assert_eq!(petya.compromised_entity.as_deref(), Some("MSTICALERTSWIN1"));
    assert_eq!(petya.entities.len(), 7);
    let groups = petya.entities_by_kind();
    let kinds: Vec<EntityKind> = groups.keys().copied().collect();
    assert_eq!(kinds, [EntityKind::Account, EntityKind::File, EntityKind::Host, EntityKind::HostLogonSession, EntityKind::Process]);
    assert_eq!(groups[&EntityKind::Process].len(), 2);
    assert_eq!(petya.extended_properties["Suspicious Command Line"], "cmd  /c echo rundll32.exe perfc.dat");

    // One row alone gives the same alert, and its row number is the table's.
    let row = alerts.iter().position(|a| a.system_alert_id == PETYA_ID).unwrap();
    assert_eq!(&Alert::from_frame_row(&frame, row).unwrap(), petya);
}

#[test]
fn sentinel_columns_and_entities_json_fixture() {
    let row = sentinel_row(&entities_fixture(), r#"{"Compromised Host": "MSTICALERTSWIN1", "Count": 3}"#);
    let alert = Alert::from_frame_row(&row, 0).unwrap();
    assert_eq!(alert.status.as_deref(), Some("New"));
    assert_eq!(alert.start, Some(Utc.with_ymd_and_hms(2018, 11, 15, 23, 54, 29).unwrap() + chrono::Duration::milliseconds(300)));
    assert_eq!(alert.tactics, ["CredentialAccess", "Execution"]);
    assert_eq!(alert.techniques, ["T1003", "T1059"]);
    assert_eq!(alert.remediation_steps, ["Isolate the host", "Reset the password"]);
    assert_eq!(alert.extended_properties["Count"], 3);
    // entities.json: an object of id -> entity (host, file, process, account, file, process, logon session).
    assert_eq!(alert.entities.len(), 7);
    assert_eq!(alert.entities_of(EntityKind::Host)[0].get_str("HostName").as_deref(), Some("MSTICALERTSWIN1"));
    let mimikatz = alert.entities_of(EntityKind::Process).into_iter().find(|p| p.get_str("CommandLine").as_deref() == Some(".\\mimikatz.exe"));
    let mimikatz = mimikatz.expect("the mimikatz process");
    assert_eq!(mimikatz.get_str("Host").as_deref(), Some("MSTICALERTSWIN1"), "$ref to the host resolved");
    let session = alert.entities_of(EntityKind::HostLogonSession)[0];
    assert_eq!(session.get_str("SessionId").as_deref(), Some("0x3e4"));
}

#[test]
fn malformed_json_cells_are_errors_naming_row_alert_and_column() {
    let mut rows = vec![
        vec![Some("ok-1"), Some("Good"), Some("[]"), Some("{}")],
        vec![Some("bad-2"), Some("Broken"), Some(r#"[{"Type": "host", "HostName": "ws1""#), Some("{}")],
    ];
    let columns = ["SystemAlertId", "AlertName", "Entities", "ExtendedProperties"];
    let error = alerts_from_frame(&Frame::from_string_rows(&columns, &rows).unwrap()).unwrap_err().to_string();
    assert!(error.contains("row 1") && error.contains("bad-2") && error.contains("'Entities'"), "{error}");
    assert!(error.contains("EOF"), "the JSON parser's message is kept: {error}");

    rows[1][2] = Some("[]");
    rows[1][3] = Some(r#"{"Alert Mode": "Aggregated",}"#);
    let error = alerts_from_frame(&Frame::from_string_rows(&columns, &rows).unwrap()).unwrap_err().to_string();
    assert!(error.contains("row 1") && error.contains("bad-2") && error.contains("'ExtendedProperties'"), "{error}");
    assert!(error.contains("line 1 column"), "{error}");

    rows[1][3] = Some("[1, 2]");
    let error = alerts_from_frame(&Frame::from_string_rows(&columns, &rows).unwrap()).unwrap_err().to_string();
    assert!(error.contains("expected a JSON object"), "{error}");

    // Alert::from_frame_row names the row of the whole table.
    let frame = Frame::from_string_rows(&["SystemAlertId", "AlertName", "Techniques"], &[
        vec![Some("a"), Some("A"), None],
        vec![Some("b"), Some("B"), Some("[\"T1003\"")],
    ])
    .unwrap();
    let error = Alert::from_frame_row(&frame, 1).unwrap_err().to_string();
    assert!(error.contains("row 1") && error.contains("'Techniques'"), "{error}");
    assert!(Alert::from_frame_row(&frame, 0).unwrap().techniques.is_empty());
    let frame = Frame::from_string_rows(&["SystemAlertId", "AlertName", "StartTime"], &[
        vec![Some("a"), Some("A"), Some("2024-05-01 10:00:00")],
        vec![Some("b"), Some("B"), Some("05/01/2024 25:61")],
    ])
    .unwrap();
    let error = Alert::from_frame_row(&frame, 1).unwrap_err().to_string();
    assert!(error.contains("row 1") && error.contains("'StartTime'") && error.contains("25:61"), "{error}");

    let error = alerts_from_frame(&Frame::from_string_rows(&["AlertName"], &[vec![Some("x")]]).unwrap()).unwrap_err().to_string();
    assert!(error.contains("SystemAlertId"), "{error}");
}

#[test]
fn alerts_frame_round_trips() {
    let mut alerts = alerts_from_frame(&alert_list()).unwrap();
    alerts.truncate(20);
    alerts.push(Alert::from_frame_row(&sentinel_row(&entities_fixture(), "{}"), 0).unwrap());
    let table = alerts_frame(&alerts).unwrap();
    assert_eq!(table.len(), 21);
    assert!(table.has_column("AlertSeverity") && table.has_column("Entities") && table.has_column("StartTime"));
    assert_eq!(table.value::<String>(20, "Tactics").unwrap().as_deref(), Some("CredentialAccess, Execution"));
    assert_eq!(table.value::<DateTime<Utc>>(0, "StartTime").unwrap(), Some(utc(2019, 1, 11, 6, 31, 40)));
    assert_eq!(alerts_from_frame(&table).unwrap(), alerts);
}

fn hostile_incident() -> Incident {
    let mut incident = example_incident();
    incident.title = "<script>alert('x')</script> \"onerror=alert(1)".into();
    incident.url = Some("javascript:alert(document.cookie)".into());
    incident.entities.push(Entity::from_value(EntityKind::Host, "<img src=x onerror=alert(1)>"));
    incident.alerts[1].entities.push(Entity::from_value(EntityKind::Url, "https://evil.example/<script>"));
    incident
}

#[test]
fn incident_view_escapes_hostile_text() {
    let incident = hostile_incident();
    let bundle = incident.mime_bundle();
    let html = bundle.data["text/html"].as_str().unwrap();
    assert!(!html.contains("<script") && !html.contains("<img"), "raw markup from the incident must stay text");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;onerror=alert(1)"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("href=\"javascript"), "only https:// URLs become links");
    assert!(html.contains("javascript:alert(document.cookie)"), "a non-https URL is shown as text");
    assert!(!html.contains("\"onerror"), "no attribute can be injected");
}

#[test]
fn incident_view_shows_details_alerts_entities_and_comments() {
    let incident = example_incident();
    let bundle = incident.mime_bundle();
    let html = bundle.data["text/html"].as_str().unwrap();
    assert!(html.contains("Incident 42: Credential theft on ws1"));
    assert!(html.contains("background:#d13438"), "High badge colour");
    assert!(html.contains("background:#ff8c00"), "the Medium alert's badge");
    assert!(html.contains("<a href=\"https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/0001\""));
    assert!(html.contains("Ann Analyst") && html.contains("2024-05-01 10:10:00 UTC") && html.contains("CredentialAccess"));
    assert!(html.contains("<h4>Alerts (2)</h4>") && html.contains("Credential theft tool") && html.contains("Microsoft Defender for Endpoint"));
    assert!(html.contains("<h4>Entities (3)</h4>"));
    for group in ["<b>Account</b> (1)", "<b>Host</b> (1)", "<b>IpAddress</b> (1)"] {
        assert!(html.contains(group), "entity group {group}");
    }
    assert!(html.contains("<th>NTDomain</th>") && html.contains("CONTOSO"), "the account table shows its main properties");
    assert!(html.contains("<h4>Comments (1)</h4>") && html.contains("Looking at ws1"));

    let text = bundle.plain_text().unwrap();
    assert!(text.starts_with("Incident 42: Credential theft on ws1 [High severity, Active]"), "{text}");
    assert!(text.contains("Owner: Ann Analyst"));
    assert!(text.contains("2024-05-01 10:05:00 UTC Credential theft tool [High]"));
    assert!(text.contains("Entities: Account 1, Host 1, IpAddress 1"));
}

#[test]
fn alert_view_from_fixture() {
    let alerts = alerts_from_frame(&alert_list()).unwrap();
    let petya = alerts.iter().find(|a| a.system_alert_id == PETYA_ID).unwrap();
    let bundle = petya.mime_bundle();
    let html = bundle.data["text/html"].as_str().unwrap();
    assert!(html.contains("Detected Petya ransomware indicators") && html.contains("background:#d13438"));
    assert!(html.contains("<th>Compromised entity</th><td>MSTICALERTSWIN1</td>"));
    assert!(html.contains("<h4>Entities (7)</h4>") && html.contains("<b>Process</b> (2)") && html.contains("<b>HostLogonSession</b> (1)"));
    assert!(html.contains("<h4>Extended properties</h4>"));
    assert!(html.contains("<td>Suspicious Process Id</td><td>0x17dc</td>"));
    let text = bundle.plain_text().unwrap();
    assert!(text.starts_with("Alert: Detected Petya ransomware indicators [High severity]"), "{text}");
    assert!(text.contains("Compromised entity: MSTICALERTSWIN1"));
    assert!(text.contains("Entities: Account 1, File 2, Host 1, HostLogonSession 1, Process 2"), "{text}");
}

#[test]
fn alert_view_shows_steps_techniques_and_escapes_entities() {
    let hostile = r#"[{"Type": "process", "CommandLine": "<script>steal()</script>", "ProcessId": "\"onerror=x"}]"#;
    let alert = Alert::from_frame_row(&sentinel_row(hostile, r#"{"<b>key</b>": "<i>v</i>"}"#), 0).unwrap();
    let html = alert.to_html();
    assert!(!html.contains("<script") && !html.contains("<b>key") && !html.contains("<i>v"));
    assert!(html.contains("&lt;script&gt;steal()&lt;/script&gt;") && html.contains("&quot;onerror=x"));
    assert!(html.contains("<ol><li>Isolate the host</li><li>Reset the password</li></ol>"));
    assert!(html.contains("T1003, T1059"));
    assert!(html.contains("<a href=\"https://security.microsoft.com/alerts/sys-1\""));
}

#[test]
fn incident_list_view() {
    let mut second = hostile_incident();
    second.number = Some(43);
    let list = IncidentList::from(vec![example_incident(), second]);
    let html = list.mime_bundle().data["text/html"].as_str().unwrap().to_string();
    assert!(html.contains("2 incidents") && html.contains(">42<") && html.contains(">43<"));
    assert!(!html.contains("<script"));
    assert!(html.contains("<a href=\"https://portal.azure.com/"));
    let text = list.to_string();
    assert_eq!(text.lines().count(), 3);
    assert!(text.contains("#42 [High, Active] Credential theft on ws1"));
}

#[test]
fn incident_graph_nodes_edges_and_bundle() {
    let graph = incident_graph(&example_incident()).unwrap();
    let kinds: Vec<&str> = graph.nodes().iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["Incident", "Alert", "Alert", "Account", "Host", "IpAddress"]);
    let edges = graph.graph_frame().unwrap();
    assert_eq!(edges.len(), 6);
    let pairs: Vec<(String, String)> = edges
        .values::<String>("source_label")
        .unwrap()
        .into_iter()
        .zip(edges.values::<String>("target_label").unwrap())
        .map(|(s, t)| (s.unwrap(), t.unwrap()))
        .collect();
    let incident = "incident 42 (Credential theft on ws1)".to_string();
    assert!(pairs.contains(&("Suspicious logon".into(), "CONTOSO\\ann".into())));
    assert!(pairs.contains(&("Credential theft tool".into(), "ws1".into())));
    assert!(pairs.contains(&(incident.clone(), "203.0.113.7".into())), "an entity no alert lists hangs off the incident");
    assert!(!pairs.contains(&(incident, "ws1".into())), "a host an alert lists is not linked to the incident directly");
    assert_eq!(graph.node("Host:ws1").map(|n| n.column), Some(2));

    let bundle = graph.mime_bundle();
    let mut mimes: Vec<&str> = bundle.data.keys().map(String::as_str).collect();
    mimes.sort();
    assert_eq!(mimes, ["application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]);
    assert_eq!(bundle.plain_text(), Some("Entity graph: incident 42 (Credential theft on ws1): 2 alerts, 3 entities (Account 1, Host 1, IpAddress 1), 6 edges"));

    let spec = &bundle.data[VEGA_LITE_MIME];
    let marks: Vec<&str> = spec["layer"].as_array().unwrap().iter().map(|l| l["mark"]["type"].as_str().unwrap()).collect();
    assert_eq!(marks, ["rule", "point", "text"]);
    assert_eq!(spec["layer"][0]["data"]["values"].as_array().unwrap().len(), 6);
    assert_eq!(spec["layer"][1]["data"]["values"].as_array().unwrap().len(), 6);
    let domain: Vec<&str> = spec["layer"][1]["encoding"]["color"]["scale"]["domain"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(domain, ["Incident", "Alert", "Account", "Host", "IpAddress"]);
    assert_eq!(spec["layer"][1]["encoding"]["shape"]["scale"]["range"][0], "diamond");

    let svg = bundle.data["image/svg+xml"].as_str().unwrap();
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let texts: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::trim).collect();
    for label in ["Suspicious logon", "ws1", "CONTOSO\\ann", "203.0.113.7", "IpAddress"] {
        assert!(texts.contains(&label), "SVG shows {label}: {texts:?}");
    }
    let lines = doc.descendants().filter(|n| n.has_tag_name("polyline") || n.has_tag_name("line")).count();
    assert!(lines >= 6, "one line per edge: {lines}");
}

#[test]
fn graph_deduplicates_entities_and_escapes_labels_in_svg() {
    let incident = hostile_incident();
    let graph = incident_graph(&incident).unwrap();
    // ws1 appears in both alerts and the incident: one node. The hostile host and the URL are new.
    let hosts: Vec<&str> = graph.nodes().iter().filter(|n| n.kind == "Host").map(|n| n.label.as_str()).collect();
    assert_eq!(hosts, ["<img src=x onerror=alert(1)>", "ws1"]);
    assert_eq!(graph.nodes().len(), 8);
    assert_eq!(graph.edges().len(), 8);
    let doc = roxmltree::Document::parse(graph.svg()).expect("hostile labels stay well-formed XML");
    let texts: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::trim).collect();
    assert!(texts.contains(&"<img src=x onerror=alert(1)>"), "{texts:?}");
    assert!(!graph.svg().contains("<img") && !graph.svg().contains("<script"));

    // Alerts from the fixture: entities wrap into a new column every 20.
    let mut big = example_incident();
    big.alerts = alerts_from_frame(&alert_list()).unwrap().into_iter().take(8).collect();
    let graph = incident_graph(&big).unwrap();
    let entity_columns: std::collections::BTreeSet<usize> = graph.nodes().iter().filter(|n| n.column >= 2).map(|n| n.column).collect();
    let entities = graph.nodes().iter().filter(|n| n.column >= 2).count();
    assert_eq!(entity_columns.len(), entities.div_ceil(20));
    assert!(graph.edges().iter().all(|e| graph.node(&e.source).is_some() && graph.node(&e.target).is_some()));
}
