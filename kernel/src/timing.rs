//! Per-cell timing in the server log, on when `MSTIC_TIMING=1`: evcxr's own phases, the cargo build
//! of the cell (from the scratch directory's file times), running, and the output flush.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// Whether `MSTIC_TIMING` asks for timing lines.
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("MSTIC_TIMING").is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// Timer of one cell; every step is measured from the previous mark.
pub struct CellTimer {
    started: Instant,
    wall_started: SystemTime,
    last: Instant,
    steps: Vec<(String, Duration)>,
}

impl CellTimer {
    /// Starts timing now.
    pub fn start() -> Self {
        let now = Instant::now();
        Self { started: now, wall_started: SystemTime::now(), last: now, steps: Vec::new() }
    }

    /// Records the step that just ended.
    pub fn mark(&mut self, name: &str) {
        let now = Instant::now();
        self.steps.push((name.to_string(), now - self.last));
        self.last = now;
    }

    /// Writes one line to the server log (if enabled): the steps, evcxr's phases, and how the
    /// evcxr call splits into analysis before the build, the cargo build, and loading + running.
    pub fn report(&self, label: &str, phases: &[(String, Duration)]) {
        if !enabled() {
            return;
        }
        let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
        let steps: Vec<String> = self.steps.iter().map(|(n, d)| format!("{n} {}", ms(*d))).collect();
        let phases: Vec<String> = phases.iter().map(|(n, d)| format!("{n} {}", ms(*d))).collect();
        let build = std::env::var_os("EVCXR_TMPDIR")
            .and_then(|dir| build_span(Path::new(&dir), self.wall_started))
            .map(|(before, build)| format!("; before build {}, cargo build {}", ms(before), ms(build)))
            .unwrap_or_default();
        eprintln!(
            "rust-mstic timing: {label}: total {}; {}; evcxr phases: {}{build}",
            ms(self.started.elapsed()),
            steps.join(", "),
            phases.join(", ")
        );
    }
}

/// (time from `since` until the cell's source was written, time from then until its library was
/// linked), read from the scratch directory's `src/lib.rs` and newest `libcode_*.so`.
fn build_span(scratch: &Path, since: SystemTime) -> Option<(Duration, Duration)> {
    let source = std::fs::metadata(scratch.join("src").join("lib.rs")).ok()?.modified().ok()?;
    let library = newest_library(&scratch.join("target"))?;
    if library < source || source < since {
        return None;
    }
    Some((source.duration_since(since).ok()?, library.duration_since(source).ok()?))
}

fn newest_library(target: &Path) -> Option<SystemTime> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for triple in std::fs::read_dir(target).ok()?.flatten() {
        let debug = triple.path().join("debug");
        dirs.push(debug.join("deps"));
        dirs.push(debug);
    }
    dirs.iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|entries| entries.flatten())
        .filter(|e| e.file_name().to_string_lossy().starts_with("libcode_"))
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .max()
}
