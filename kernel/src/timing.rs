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

    /// Writes one line to the server log (if enabled): the steps, evcxr's phases, and the cell's
    /// time split into the phases a user waits for — analysis (evcxr's work before the build:
    /// rust-analyzer, code generation), compile, link, load + run — from the build shim's timings
    /// (see `crate::cellbuild`), or from the scratch directory's file times without them.
    pub fn report(&self, label: &str, phases: &[(String, Duration)]) {
        if !enabled() {
            return;
        }
        let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
        let steps: Vec<String> = self.steps.iter().map(|(n, d)| format!("{n} {}", ms(*d))).collect();
        let evcxr_phases: Vec<String> = phases.iter().map(|(n, d)| format!("{n} {}", ms(*d))).collect();
        let scratch = std::env::var_os("EVCXR_TMPDIR").map(PathBuf::from);
        let builds = scratch.as_deref().map(crate::cellbuild::take_timings).unwrap_or_default();
        let breakdown = if builds.is_empty() {
            scratch
                .as_deref()
                .and_then(|dir| build_span(dir, self.wall_started))
                .map(|(before, build)| format!("; before build {}, cargo build {}", ms(before), ms(build)))
                .unwrap_or_default()
        } else {
            let evcxr = self.steps.iter().find(|(n, _)| n == "evcxr").map(|(_, d)| *d).unwrap_or_default();
            let run = phases.iter().find(|(n, _)| n == "Execution").map(|(_, d)| *d).unwrap_or_default();
            let build = Duration::from_secs_f64(builds.iter().map(|b| b.build_ms).sum::<f64>() / 1000.0);
            let link = Duration::from_secs_f64(builds.iter().filter_map(|b| b.link_ms).sum::<f64>() / 1000.0);
            let analysis = evcxr.saturating_sub(build).saturating_sub(run);
            let kernel = self.started.elapsed().saturating_sub(evcxr);
            let paths: Vec<String> = builds
                .iter()
                .map(|b| match &b.reason {
                    Some(reason) => format!("{} [{reason}]", b.path),
                    None => b.path.clone(),
                })
                .collect();
            format!(
                "; phases: analysis {}, compile {}, link {}, load+run {}, kernel {} (builds: {})",
                ms(analysis),
                ms(build.saturating_sub(link)),
                ms(link),
                ms(run),
                ms(kernel),
                paths.join("+")
            )
        };
        eprintln!(
            "rust-mstic timing: {label}: total {}; {}; evcxr phases: {}{breakdown}",
            ms(self.started.elapsed()),
            steps.join(", "),
            evcxr_phases.join(", ")
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
