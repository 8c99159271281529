//! Looks up a few IoCs against the demo service and prints the results.
use mstic_demo::DemoTiServer;

fn main() -> mstic_core::Result<()> {
    let demo = DemoTiServer::start()?;
    let ti = demo.ti_lookup()?;
    println!("providers: {:?}", ti.provider_names());
    let iocs: Vec<String> = ["185.220.101.7", "104.211.30.1", "127.0.0.1", "www.python.com"].iter().map(|s| s.to_string()).collect();
    let results = ti.lookup_iocs(&iocs, None)?;
    println!("{results}");
    println!("warnings: {:?}", results.warnings());
    println!("{:?}", ti);
    let rdap = demo.rdap_client().whois_frame(&["104.211.30.1".to_string()])?;
    println!("{rdap}");
    Ok(())
}
