//! The demo services behind `QueryProvider::new(...)`: the calls of the example notebook, run
//! against the local recorded-response server.

use mstic_data::provider::QueryProvider;
use mstic_data::remote::SplitQuery;
use mstic_demo::{DEMO_WORKSPACE_ID, DemoServer};

#[test]
fn notebook_calls_work_against_the_demo_services() {
    let demo = DemoServer::start().unwrap();
    let mut qp = QueryProvider::new("LogAnalytics").unwrap();
    assert_eq!(qp.environment(), "MSSentinel");
    qp.connect().unwrap();
    let alerts = qp.query("SecurityAlert.list_alerts").start(-1).end(0).run().unwrap();
    assert_eq!((alerts.len(), alerts.num_columns()), (3, 34));
    let logons = qp.query("WindowsSecurity.list_host_logons").param("host_name", "WORKSTATION5").start(-1).end(0).run().unwrap();
    assert_eq!(logons.column_strings("Account").unwrap()[1].as_deref(), Some("CONTOSO\\pgustavo"));
    let partial = qp.exec_query("Heartbeat | take 2").unwrap();
    assert!(partial.warnings()[0].contains("PartialError"));
    let split = qp.split_query("WindowsSecurity.list_host_logons", "6h").param("host_name", "WORKSTATION5").start(-1).end(0).run().unwrap();
    assert_eq!(split.len(), 16);

    let mut adx = QueryProvider::new("Kusto").unwrap();
    adx.connect().unwrap();
    assert_eq!(adx.exec_query("DeviceProcessEvents | take 10").unwrap().len(), 10);
    let mut m365d = QueryProvider::new("M365DGraph").unwrap();
    m365d.connect().unwrap();
    assert_eq!(m365d.exec_query("DeviceProcessEvents | take 2").unwrap().len(), 2);
    let mut graph = QueryProvider::new("MSGraph").unwrap();
    graph.connect().unwrap();
    assert_eq!(graph.exec_query("security/alerts_v2?$top=2").unwrap().len(), 2);
    let mut splunk = QueryProvider::new("Splunk").unwrap();
    splunk.connect().unwrap();
    assert_eq!(splunk.exec_query("index=web status>=400").unwrap().len(), 3);

    let requests = demo.requests();
    assert!(requests.iter().any(|r| r.path == format!("/v1/workspaces/{DEMO_WORKSPACE_ID}/query")));
    assert!(requests.iter().all(|r| !r.body.contains("demo-client-secret") || r.path.ends_with("/oauth2/v2.0/token")));
    drop(demo);
    let mut after = QueryProvider::new("MSSentinel").unwrap();
    assert!(after.connect().is_err(), "without the demo the drivers read the real configuration again");
}
