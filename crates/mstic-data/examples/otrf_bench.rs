//! Loads an OTRF dataset zip into a Frame and counts its events by EventID, timing each run.
//! Used by `bench/data_load.py`: `otrf_bench <zip> [runs]` prints one line per run
//! (`run N: rows R, event ids E, S seconds`) and the EventID counts of the last run.

use mstic_data::drivers::otrf::load_zip;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let zip = args.next().ok_or("usage: otrf_bench <dataset.zip> [runs]")?;
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let mut counts = None;
    for run in 1..=runs {
        let started = Instant::now();
        let frame = load_zip(std::path::Path::new(&zip))?;
        let by_id = frame.count_by("EventID")?;
        let seconds = started.elapsed().as_secs_f64();
        println!("run {run}: rows {}, event ids {}, {seconds:.4} seconds", frame.len(), by_id.len());
        counts = Some(by_id);
    }
    if let Some(counts) = counts {
        println!("{}", counts.head(10).to_text(10));
    }
    Ok(())
}
