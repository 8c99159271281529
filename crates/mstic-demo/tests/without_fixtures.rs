//! The demo services work without the fixture folder: with `MSTIC_FIXTURES` pointing nowhere they
//! serve the answers written for this crate. Checked in a child process of this test binary, so the
//! environment change touches no other test.

use mstic_data::provider::QueryProvider;
use mstic_demo::{DemoServer, DemoTiServer, fixture};

const CHILD: &str = "MSTIC_DEMO_TEST_CHILD";

#[test]
fn demo_services_answer_without_fixture_data() {
    if std::env::var_os(CHILD).is_none() {
        let dir = std::env::temp_dir().join(format!("mstic-demo-nofixtures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "demo_services_answer_without_fixture_data", "--nocapture"])
            .current_dir(&dir)
            .env(CHILD, "1")
            .env("MSTIC_FIXTURES", dir.join("no-fixtures-here"))
            .env("HOME", &dir)
            .env_remove("MSTICPYCONFIG")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{text}");
        assert!(text.contains("served our own answers"), "{text}");
        return;
    }
    assert!(!fixture("msticpy/testdata/azmondata/az_mon_raw_query.json").unwrap().exists());
    let demo = DemoServer::start().unwrap();
    let mut qp = QueryProvider::new("MSSentinel").unwrap();
    qp.connect().unwrap();
    // Our recorded Log Analytics answer (MSTICPy's recorded alerts are not there).
    let alerts = qp.exec_query("SecurityAlert | take 3").unwrap();
    assert_eq!((alerts.len(), alerts.num_columns()), (4, 10));
    let mut adx = QueryProvider::new("Kusto").unwrap();
    adx.connect().unwrap();
    assert_eq!(adx.exec_query("DeviceProcessEvents | take 10").unwrap().len(), 2);
    drop(demo);
    let ti = DemoTiServer::start().unwrap();
    assert!(ti.ti_lookup().unwrap().lookup_ioc("185.220.101.7", None).unwrap().len() >= 4);
    println!("served our own answers");
}
