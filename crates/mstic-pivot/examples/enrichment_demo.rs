//! The code of `examples/enrichment-and-pivots.ipynb`, cell by cell, so the notebook's Rust is
//! compiled and run with the crate (`cargo run -p mstic-pivot --example enrichment_demo`).
//! Notebook cells get the same names from `use mstic::prelude::*;`.

use mstic_context::GeoIpLookup;
use mstic_demo::DemoTiServer;
use mstic_core::paths::fixture;
use mstic_core::{Error, Frame, Result, SqlSession};
use mstic_data::provider::QueryProvider;
use mstic_data::{DriverSettings, create_driver};
use mstic_pivot::{IpAddress, Pipeline, PivotInput, Pivots};

fn main() -> Result<()> {
    // Cell: a local threat-intel service (recorded provider answers) and the pivot registry.
    let demo = DemoTiServer::start()?;
    let pivots = Pivots::new();
    pivots.add_ti(demo.ti_lookup()?);
    pivots.add_whois(demo.rdap_client());
    pivots.add_geoip(GeoIpLookup::open(
        &fixture("maxmind/GeoLite2-City-Test.mmdb")?,
        Some(&fixture("maxmind/GeoLite2-ASN-Test.mmdb")?),
    )?);
    println!("TI service at {}", demo.url());

    // Cell: the pivots of an IP address.
    println!("{}", IpAddress::pivots().list()?);

    // Cell: Azure network flows.
    let flows = Frame::read_csv(fixture("msticpy/testdata/az_net_flows.csv")?)?;
    println!("{}", flows.select(&["FlowStartTime", "VMName", "VMIPAddress", "AllExtIPs", "L7Protocol", "FlowDirection"])?.head(5));

    // Cell: the type of every external address, from the Frame column; keep the public ones.
    let ip_types = IpAddress::ip_type(PivotInput::column(&flows, "AllExtIPs"))?;
    let public_ips = ip_types.sql("SELECT DISTINCT ip FROM t WHERE result = 'Public' ORDER BY ip")?;
    println!("{} public addresses", public_ips.len());
    println!("{}", ip_types.count_by("result")?);

    // Cell: threat intel for the public addresses, across the configured providers at once.
    let ti_results = IpAddress::ti().lookup_ip((&public_ips, "ip"))?;
    println!("{}", ti_results.sql("SELECT Provider, Severity, COUNT(*) AS lookups FROM t GROUP BY Provider, Severity ORDER BY Provider, Severity")?);

    // Cell: the addresses some provider rates high.
    println!("{}", ti_results.sql("SELECT Ioc, Provider, Severity, Details FROM t WHERE Severity = 'high' ORDER BY Ioc, Provider")?);

    // Cell: geolocation joined back onto each flow (a left join keeps every flow).
    let flows_geo = IpAddress::geoloc(PivotInput::column(&flows, "AllExtIPs").join("left"))?;
    println!("{}", flows_geo.sql("SELECT CountryCode, COUNT(*) AS flows FROM t GROUP BY CountryCode ORDER BY flows DESC")?);

    // Cell: the GeoLite2 test databases hold MaxMind's test networks; these addresses are in them.
    println!("{}", IpAddress::geoloc(vec!["81.2.69.142", "216.160.83.56", "89.160.20.112", "2001:480::1"])?);

    // Cell: flows joined with the highest TI severity of their external address.
    let worst = ti_results.sql(
        "SELECT Ioc, MAX(CASE Severity WHEN 'high' THEN 3 WHEN 'warning' THEN 2 WHEN 'information' THEN 1 ELSE 0 END) AS risk FROM t GROUP BY Ioc",
    )?;
    let flows_risk = {
        let mut session = SqlSession::new();
        session.register("flows", &flows)?;
        session.register("risk", &worst)?;
        session.sql(
            "SELECT f.VMName, f.AllExtIPs, f.L7Protocol, r.risk FROM flows f JOIN risk r ON f.AllExtIPs = r.Ioc \
             WHERE r.risk >= 3 ORDER BY f.AllExtIPs",
        )?
    };
    println!("{flows_risk}");

    // Cell: data queries become pivots: a LocalData provider over the test data, with a query
    // file whose `ip_address` parameter attaches the query to IpAddress.
    let query_file = std::env::temp_dir().join("flow_queries.yaml");
    std::fs::write(&query_file, FLOW_QUERIES).map_err(|e| Error::file(&query_file, e))?;
    let mut local = QueryProvider::with_driver(create_driver("LocalData", &DriverSettings::with_data_paths([fixture("msticpy/testdata")?]))?);
    local.add_query_path(&query_file)?;
    local.connect()?;
    pivots.add_query_provider(local)?;
    println!("{}", IpAddress::pivots().container("LocalData").names().join(", "));

    // Cell: the flows of the riskiest addresses, one query per address, joined onto them.
    let risky = worst.sql("SELECT Ioc, risk FROM t WHERE risk >= 3 ORDER BY Ioc LIMIT 3")?;
    println!("{}", IpAddress::pivots().call("LocalData.flows_for_ip", PivotInput::column(&risky, "Ioc").join("left"))?);

    // Cell: one entity, its rich display and a pivot on it.
    let suspect = IpAddress::new("185.220.101.7");
    suspect.display();
    println!("{}", suspect.pivot("ti.lookup_ip")?.select(&["Ioc", "Provider", "Severity", "Result"])?);
    println!("{}", suspect.pivot("util.whois")?.select(&["query", "asn_description", "nets"])?);

    // Cell: the same steps as a MSTICPy YAML pipeline.
    let pipeline = Pipeline::from_yaml(PIPELINE)?.remove(0);
    pipeline.print_pipeline("flows", true);

    // Cell: run it.
    let enriched = pipeline.run(&pivots, &flows.head(50))?;
    println!("{}", enriched.select(&["VMName", "AllExtIPs", "result", "CountryCode"])?.head(10));
    Ok(())
}

const FLOW_QUERIES: &str = r#"
metadata:
  version: 1
  description: Azure network flow queries over local files
  data_environments: [LocalData]
  data_families: [Network]
defaults:
  parameters:
    start: {description: Query start time, type: datetime}
    end: {description: Query end time, type: datetime}
sources:
  flows_for_ip:
    description: Flows to or from an external address
    args:
      query: "SELECT FlowStartTime, VMName, L7Protocol, DestPort, AllowedOutFlows FROM az_net_flows WHERE AllExtIPs = '{ip_address}' ORDER BY FlowStartTime"
    parameters:
      ip_address: {description: External IP address, type: str}
"#;

const PIPELINE: &str = r#"
pipelines:
  flow_enrichment:
    description: Type and location of each flow's external address
    steps:
      - name: ip_types
        step_type: pivot
        function: util.ip_type
        entity: IpAddress
        comment: IP address type of each flow
        params:
          column: AllExtIPs
          join: left
      - name: locations
        step_type: pivot
        function: util.geoloc
        entity: IpAddress
        comment: GeoLite2 location
        params:
          column: AllExtIPs
          join: left
"#;
