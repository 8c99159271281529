//! The device-code steps of the example notebook (`examples/sentinel-queries.ipynb`), against the
//! demo services: switch to device-code sign-in, connect (code shown, then signed in), query, and
//! reach a second service with the same sign-in.

mod remote_auth_support;

use mstic_data::provider::QueryProvider;
use mstic_demo::{DEMO_ACCOUNT, DEMO_USER_CODE, DemoServer};
use remote_auth_support::{display_messages, run_in_child};

#[test]
fn notebook_device_code_sign_in_against_the_demo_services() {
    if let Some(output) = run_in_child("notebook_device_code_sign_in_against_the_demo_services", &[("MSTIC_KERNEL", "1")]) {
        let messages = display_messages(&output);
        let plain = |m: &serde_json::Value| m["data"]["text/plain"].as_str().unwrap_or_default().to_string();
        let prompt = messages.iter().find(|m| m["kind"] == "display" && plain(m).contains(DEMO_USER_CODE)).expect("the code is shown");
        let update = messages.iter().find(|m| m["kind"] == "update" && m["display_id"] == prompt["display_id"]).expect("updated in place");
        assert_eq!(plain(update), format!("Signed in with device code as {DEMO_ACCOUNT}."));
        let connected: Vec<String> = messages.iter().map(plain).filter(|t| t.contains("signed in with device code")).collect();
        assert_eq!(connected.len(), 2, "{connected:?}");
        assert!(connected[1].starts_with("Connected to Kusto cluster"), "{connected:?}");
        assert!(!output.contains("demo-refresh-token") && !output.contains("demo-user-access-token"));
        return;
    }
    let demo = DemoServer::start().unwrap();
    demo.sign_in_with_device_code().unwrap();
    let mut qp = QueryProvider::new("MSSentinel").unwrap();
    qp.connect().unwrap();
    assert_eq!(qp.query("SecurityAlert.list_alerts").start(-1).end(0).run().unwrap().len(), 3);
    let mut adx = QueryProvider::new("Kusto").unwrap();
    adx.connect().unwrap();
    assert_eq!(adx.exec_query("DeviceProcessEvents | take 10").unwrap().len(), 10);
    let requests = demo.requests();
    assert_eq!(requests.iter().filter(|r| r.path.ends_with("/oauth2/v2.0/devicecode")).count(), 1, "one sign-in for both services");
    let queries: Vec<_> = requests.iter().filter(|r| r.path.contains("/v1/workspaces/") || r.path.ends_with("/v2/rest/query")).collect();
    assert!(queries.iter().all(|r| r.header("authorization") == Some("Bearer demo-user-access-token")), "{queries:?}");
}
