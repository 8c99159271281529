//! Benchmark: 1,000 IoCs through three providers (OTX, AbuseIPDB, GreyNoise shapes) served on
//! 127.0.0.1 with 20 ms latency per request — concurrent lookups within each provider versus
//! MSTICPy's model (providers concurrent, IoCs one at a time inside each provider), then again
//! with the cache warm. Run: `cargo run --release -p mstic-context --example ti_bench`.

use mstic_context::TiLookup;
use mstic_demo::DemoTiServer;
use mstic_core::config::MsticConfig;
use std::time::{Duration, Instant};

const IOCS: usize = 1000;
const LATENCY: Duration = Duration::from_millis(20);
const PER_PROVIDER: usize = 50;

/// The three providers at the server; `limit` overrides their default in-flight limits
/// (OTX 20, AbuseIPDB 10, GreyNoise 10).
fn lookup(url: &str, limit: Option<usize>) -> TiLookup {
    let mut yaml = String::from("TIProviders:\n");
    let limit = limit.map(|n| format!("    MaxConcurrent: {n}\n")).unwrap_or_default();
    for (name, path) in [("OTX", "otx"), ("AbuseIPDB", "abuseipdb"), ("GreyNoise", "greynoise")] {
        yaml.push_str(&format!(
            "  {name}:\n    Args:\n      AuthKey: bench-key\n      BaseUrl: {url}/{path}\n{limit}    Primary: True\n    Provider: {name}\n"
        ));
    }
    TiLookup::from_config(&MsticConfig::from_yaml_str(&yaml, "bench.yaml").expect("bench config")).expect("providers")
}

fn timed(label: &str, ti: &TiLookup, iocs: &[String]) -> f64 {
    let start = Instant::now();
    let frame = ti.lookup_iocs(iocs, Some("ipv4")).expect("lookup");
    let seconds = start.elapsed().as_secs_f64();
    println!("{label:<44} {seconds:>8.3} s   ({} rows)", frame.len());
    seconds
}

fn main() {
    let server = DemoTiServer::start_with_latency(LATENCY).expect("local server");
    let iocs: Vec<String> = (0..IOCS).map(|i| format!("23.{}.{}.7", i / 256, i % 256)).collect();
    println!("{IOCS} IoCs x 3 providers, {} ms latency per request, server {}", LATENCY.as_millis(), server.url());

    let mut sequential = lookup(&server.url(), None);
    sequential.set_max_concurrency(Some(1));
    sequential.set_cache_enabled(false);
    let before = server.request_count();
    let seq = timed("sequential per provider (MSTICPy model)", &sequential, &iocs);
    let seq_requests = server.request_count() - before;

    let defaults = lookup(&server.url(), None);
    let default_limits = timed("concurrent, provider default limits", &defaults, &iocs);

    let concurrent = lookup(&server.url(), Some(PER_PROVIDER));
    let before = server.request_count();
    let conc = timed(&format!("concurrent, {PER_PROVIDER} in flight per provider"), &concurrent, &iocs);
    let conc_requests = server.request_count() - before;

    let before = server.request_count();
    let warm = timed("concurrent, cache warm", &concurrent, &iocs);
    let warm_requests = server.request_count() - before;

    println!("requests: sequential {seq_requests}, concurrent {conc_requests}, warm cache {warm_requests}");
    println!("speed-up default limits vs sequential: {:.1}x", seq / default_limits);
    println!("speed-up concurrent vs sequential: {:.1}x", seq / conc);
    println!("speed-up warm cache vs sequential: {:.0}x", seq / warm.max(1e-6));
}
