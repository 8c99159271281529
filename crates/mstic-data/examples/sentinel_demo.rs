//! The cells of `examples/sentinel-queries.ipynb` as one program, so they are compiled and run by
//! `cargo run -p mstic-data --example sentinel_demo`. The first cell starts local stand-ins for
//! the services; every later cell is what a user runs against the real Sentinel, ADX, Defender,
//! Graph and Splunk.

use mstic_data::provider::QueryProvider;
use mstic_data::remote::SplitQuery;
use mstic_demo::DemoServer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Cell: local services with recorded responses (token endpoint included).
    let demo = DemoServer::start()?;
    // Cell: a Sentinel provider; workspaces and credentials come from msticpyconfig.yaml.
    let mut qp = QueryProvider::new("MSSentinel")?;
    qp.connect()?;
    println!("{} queries for {}", qp.store().len(), qp.environment());
    // Cell: alerts of the last day.
    println!("{}", qp.query("SecurityAlert.list_alerts").start(-1).end(0).run()?);
    // Cell: the query text sent for a host's logons.
    qp.query("WindowsSecurity.list_host_logons").param("host_name", "WORKSTATION5").start(-1).end(0).print_query()?;
    // Cell: run it; datetimes keep 100 ns ticks, timespans are durations.
    println!("{}", qp.query("WindowsSecurity.list_host_logons").param("host_name", "WORKSTATION5").start(-1).end(0).run()?);
    // Cell: a partial result arrives as HTTP 200; the frame carries the warning.
    println!("{}", qp.exec_query("Heartbeat | summarize arg_max(TimeGenerated, *) by Computer")?);
    // Cell: the same query over two workspaces.
    println!("{}", qp.query("SecurityAlert.list_alerts").start(-1).end(0).option("workspaces", "Default, Secondary").run()?.len());
    // Cell: split a day into 6-hour chunks run in parallel.
    println!("{}", qp.split_query("WindowsSecurity.list_host_logons", "6h").param("host_name", "WORKSTATION5").start(-1).end(0).run()?.len());
    // Cell: Azure Data Explorer, cluster and database from KustoClusters.
    let mut adx = QueryProvider::new("Kusto")?;
    adx.connect()?;
    println!("{}", adx.exec_query("DeviceProcessEvents | take 10")?.select(&["CreatedProcessCreationTime", "CreatedProcessName", "CreatedProcessCommandLine"])?);
    // Cell: Defender advanced hunting through Microsoft Graph.
    let mut m365d = QueryProvider::new("M365DGraph")?;
    m365d.connect()?;
    println!("{}", m365d.exec_query("DeviceProcessEvents | where FileName in~ ('cmd.exe', 'reg.exe') | take 10")?);
    // Cell: Microsoft Graph OData.
    let mut graph = QueryProvider::new("MSGraph")?;
    graph.connect()?;
    println!("{}", graph.exec_query("security/alerts_v2?$top=2")?);
    // Cell: Splunk search export; every value arrives as text, types are inferred.
    let mut splunk = QueryProvider::new("Splunk")?;
    splunk.connect()?;
    println!("{}", splunk.exec_query("index=web status>=400")?);
    // Cell: what the services received.
    println!("{}", demo.requests().len());
    Ok(())
}
