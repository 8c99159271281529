//! The cells of `examples/data-queries.ipynb` as one program, so they are compiled and run by
//! `cargo run -p mstic-data --example data_queries` (needs `$MSTIC_FIXTURES` or `../shared/fixtures`).

use mstic_core::paths::fixtures_dir;
use mstic_data::drivers::{OtrfDriver, create_driver};
use mstic_data::provider::QueryProvider;
use mstic_data::{Driver, DriverSettings, QueryOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Cell: LocalData over MSTICPy's test data, with MSTICPy's LocalData query file.
    let fixtures = fixtures_dir().ok_or("set MSTIC_FIXTURES to the fixture folder")?;
    let local = create_driver("LocalData", &DriverSettings::with_data_paths([fixtures.join("msticpy/testdata")]))?;
    let mut qp = QueryProvider::with_driver(local);
    qp.add_query_path(&fixtures.join("msticpy/testdata/localdata/test_localdata_queries.yaml"))?;
    println!("{:?}", qp.list_queries().names());
    // Cell: search the queries.
    println!("{:?}", qp.search("logon").names());
    // Cell: render one query without running it.
    println!("{}", qp.query("Heartbeat.host_heartbeat").print_query()?);
    // Cell: run it.
    println!("{}", qp.query("Heartbeat.host_heartbeat").run()?);
    // Cell: SQL over the registered files.
    println!("{}", qp.exec_query("select LogonType, count(*) as logons from host_logons group by LogonType order by logons desc")?);
    // Cell: the OTRF proxylogon dataset and its EventIDs.
    let otrf = OtrfDriver::new(&DriverSettings::with_data_paths([fixtures.join("otrf"), fixtures.join("msticpy/testdata/mordor")]));
    println!("{:?}", otrf.search_queries("ProxyLogon")?);
    let events = otrf.load_dataset("atomic.windows.persistence.host.proxylogon_ssrf_rce_poc")?;
    println!("{}", events.count_by("EventID")?.head(10));
    let _ = otrf.query("atomic.windows.persistence.host.proxylogon_ssrf_rce_poc", &QueryOptions::default())?;
    Ok(())
}
