//! One-call triage against the demo services on 127.0.0.1: threat intel (OTX, VirusTotal,
//! GreyNoise, AbuseIPDB, Tor exit list in their response shapes) and Log Analytics queries.

use chrono::{TimeZone, Utc};
use mstic_data::provider::QueryProvider;
use mstic_demo::{DemoServer, DemoTiServer};
use mstic_pivot::entity::{Entity, EntityKind};
use mstic_triage::model::{Incident, IncidentStatus, Severity};
use mstic_triage::triage::{Triage, Verdict};

/// `DemoServer` points the session's remote drivers at itself: one test at a time uses it.
fn one_demo_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static DEMO: std::sync::Mutex<()> = std::sync::Mutex::new(());
    DEMO.lock().unwrap_or_else(|e| e.into_inner())
}

fn incident() -> Incident {
    let mut incident = Incident::new("7f3b", "Sign-ins from a Tor exit node", Severity::High, IncidentStatus::New);
    incident.number = Some(42);
    incident.first_activity = Some(Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 0).unwrap());
    incident.last_activity = Some(Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap());
    incident.entities = vec![
        Entity::from_value(EntityKind::IpAddress, "185.220.101.7"),
        Entity::from_value(EntityKind::IpAddress, "10.1.0.4"),
        Entity::from_value(EntityKind::IpAddress, "185.220.101.7"),
        Entity::from_value(EntityKind::Host, "soc-vm01"),
        Entity::from_value(EntityKind::Account, "alice").with("UPNSuffix", "contoso.com"),
    ];
    incident
}

#[test]
fn triage_rates_iocs_and_queries_hosts_and_accounts() {
    let ti_server = DemoTiServer::start().unwrap();
    let ti = ti_server.ti_lookup().unwrap();
    let _demo = one_demo_at_a_time();
    let services = DemoServer::start().unwrap();
    let mut qp = QueryProvider::new("MSSentinel").unwrap();
    qp.connect().unwrap();
    let incident = incident();
    let report = Triage::new(&incident).ti(&ti).queries(&qp).show_progress(false).run().unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let tor = report.findings.iter().find(|f| f.entity == "185.220.101.7").expect("the public address is rated");
    assert_eq!(tor.verdict, Verdict::Warning, "{tor:?}");
    assert!(tor.finding.contains("TorExitNodes"), "{tor:?}");
    assert_eq!(report.findings.iter().filter(|f| f.entity == "185.220.101.7").count(), 1, "a repeated entity is looked up once");
    let private = report.findings.iter().find(|f| f.entity == "10.1.0.4").unwrap();
    assert_eq!((private.verdict, private.check.as_str()), (Verdict::Skipped, "threat intel"));
    assert_eq!(report.findings[0].entity, "185.220.101.7", "worst first");

    let checks: Vec<&str> = report.results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(checks, ["threat intel", "logons on soc-vm01", "processes on soc-vm01", "sign-ins on alice@contoso.com"]);
    assert!(report.result("threat intel").unwrap().len() >= 4);
    assert!(report.result("logons on soc-vm01").unwrap().len() > 0);
    let err = report.result("logons on soc-vm1").unwrap_err().to_string();
    assert!(err.contains("logons on soc-vm01"), "{err}");

    // The queries asked for the entity over the incident's activity widened by an hour.
    let bodies: Vec<String> = services.requests().into_iter().filter(|r| r.path.contains("/v1/workspaces/")).map(|r| r.body).collect();
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    assert!(bodies[0].contains("soc-vm01") && bodies[0].contains("2024-03-01T09:00:00") && bodies[0].contains("2024-03-01T13:00:00"), "{}", bodies[0]);
    assert!(bodies[2].contains("alice@contoso.com"), "{}", bodies[2]);

    let summary = report.summary().unwrap();
    assert_eq!(summary.len(), report.findings.len());
    assert_eq!(summary.value::<String>(0, "Verdict").unwrap().as_deref(), Some("warning"));
    let html = report.to_mime_bundle().unwrap();
    assert!(html.data["text/html"].as_str().unwrap().contains("1 suspicious finding"));
}

#[test]
fn a_failing_check_is_reported_and_the_others_still_run() {
    let ti_server = DemoTiServer::start().unwrap();
    let ti = ti_server.ti_lookup().unwrap();
    let _demo = one_demo_at_a_time();
    let services = DemoServer::start().unwrap();
    services.server().route("POST", "/v1/workspaces/", vec![mstic_demo::Reply::json(400, r#"{"error":{"code":"BadArgumentError","message":"The request had some invalid properties"}}"#)]);
    let mut qp = QueryProvider::new("MSSentinel").unwrap();
    qp.connect().unwrap();
    let incident = incident();
    let report = Triage::new(&incident).ti(&ti).queries(&qp).show_progress(false).run().unwrap();
    assert_eq!(report.errors.len(), 3, "{:?}", report.errors);
    assert!(report.errors[0].1.contains("BadArgumentError"), "{:?}", report.errors);
    let failed: Vec<&str> = report.findings.iter().filter(|f| f.verdict == Verdict::Error).map(|f| f.check.as_str()).collect();
    assert_eq!(failed, ["logons", "processes", "sign-ins"]);
    assert!(report.findings.iter().any(|f| f.verdict == Verdict::Warning), "threat intel still ran");
}

#[test]
fn without_sources_every_entity_says_why_it_was_not_checked() {
    let incident = incident();
    let report = Triage::new(&incident).show_progress(false).run().unwrap();
    assert!(report.results.is_empty());
    assert!(report.findings.iter().all(|f| f.verdict == Verdict::Skipped), "{:?}", report.findings);
    let reasons: Vec<&str> = report.findings.iter().map(|f| f.finding.as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("Triage::ti")) && reasons.iter().any(|r| r.contains("Triage::queries")), "{reasons:?}");
}

#[test]
fn the_demo_incident_is_fetched_and_triaged_end_to_end() {
    let ti_server = DemoTiServer::start().unwrap();
    let ti = ti_server.ti_lookup().unwrap();
    let _demo = one_demo_at_a_time();
    let _services = DemoServer::start().unwrap();
    let sentinel = mstic_triage::sentinel::SentinelApi::new("Default").unwrap();
    let incident = sentinel.incident(mstic_demo::arm::DEMO_INCIDENT_NUMBER).unwrap();
    let mut qp = QueryProvider::new("MSSentinel").unwrap();
    qp.connect().unwrap();
    let report = Triage::new(&incident).ti(&ti).queries(&qp).show_progress(false).run().unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let verdict = |entity: &str, check: &str| {
        report.findings.iter().find(|f| f.entity == entity && f.check == check).map(|f| f.verdict).unwrap_or_else(|| panic!("{entity} {check}: {:?}", report.findings))
    };
    assert_eq!(verdict(mstic_demo::arm::DEMO_MALICIOUS_IP, "threat intel"), Verdict::Warning);
    assert_eq!(verdict(mstic_demo::arm::DEMO_PRIVATE_IP, "threat intel"), Verdict::Skipped);
    assert_ne!(verdict(mstic_demo::arm::DEMO_FILE_SHA256, "threat intel"), Verdict::Skipped);
    assert_ne!(verdict(mstic_demo::arm::DEMO_URL, "threat intel"), Verdict::Skipped);
    assert_eq!(report.result("processes on soc-vm01").unwrap().len(), 3);
    let signins = report.result("sign-ins on ann.lee@contoso.com").unwrap();
    assert_eq!(signins.values::<String>("IPAddress").unwrap().iter().filter(|ip| ip.as_deref() == Some("185.220.101.7")).count(), 2);
}

#[test]
fn alert_entities_from_the_workspace_link_alerts_to_entities_in_the_graph() {
    let _demo = one_demo_at_a_time();
    let services = DemoServer::start().unwrap();
    let sentinel = mstic_triage::sentinel::SentinelApi::new("Default").unwrap();
    let mut incident = sentinel.incident(mstic_demo::arm::DEMO_INCIDENT_NUMBER).unwrap();
    let before = mstic_triage::graph::incident_graph(&incident).unwrap();
    assert!(before.edges().iter().all(|e| e.source == "incident"), "ARM lists the alerts without entities");

    let mut qp = QueryProvider::new("MSSentinel").unwrap();
    qp.connect().unwrap();
    assert_eq!(incident.add_alert_entities(&qp).unwrap(), 3);
    let queries: Vec<String> = services.server().requests_to("/v1/workspaces/").iter().map(|r| r.body.clone()).filter(|b| b.contains("SystemAlertId ==")).collect();
    assert_eq!(queries.len(), 3, "one SecurityAlert query per alert");
    for id in mstic_demo::arm::DEMO_ALERT_IDS {
        assert!(queries.iter().any(|q| q.contains(id)), "{id}");
    }
    let kinds = |i: usize| -> Vec<EntityKind> { incident.alerts[i].entities.iter().map(Entity::kind).collect() };
    assert_eq!(kinds(0), [EntityKind::Account, EntityKind::IpAddress]);
    assert_eq!(kinds(1), [EntityKind::Host, EntityKind::Account, EntityKind::Process]);
    assert_eq!(incident.alerts[1].entities[2].get_entity("Host").and_then(|h| h.get_str("HostName")).as_deref(), Some("soc-vm01"), "$ref resolved");
    assert_eq!(incident.alerts[2].extended_properties.get("Detection source").and_then(|v| v.as_str()), Some("Network protection"));

    let graph = mstic_triage::graph::incident_graph(&incident).unwrap();
    let edge = |source: &str, target: &str| graph.edges().iter().any(|e| e.source == source && e.target == target);
    assert!(edge("alert:0", "IpAddress:185.220.101.7") && edge("alert:2", "IpAddress:185.220.101.7"), "{:?}", graph.edges());
    assert!(edge("alert:1", "Host:soc-vm01.contoso.local") && edge("alert:2", &format!("Url:{}", mstic_demo::arm::DEMO_URL)), "{:?}", graph.edges());
    assert!(edge("alert:1", "Process:4711") && edge("alert:2", "Host:soc-vm01.contoso.local"), "{:?}", graph.edges());
    assert!(!edge("incident", "IpAddress:185.220.101.7"), "a linked entity hangs off its alerts only");
    assert!(edge("incident", &format!("IpAddress:{}", mstic_demo::arm::DEMO_PRIVATE_IP)), "entities no alert lists stay on the incident");
    assert_eq!(graph.nodes().len(), before.nodes().len(), "the alerts' entities are the incident's: no new nodes");
    // A second call finds every alert with entities and sends nothing.
    assert_eq!(incident.add_alert_entities(&qp).unwrap(), 0);
}
