//! Fast cell builds. evcxr builds every cell with `cargo build`, and before cargo runs rustc for
//! the cell's crate it checks the freshness of every package the cell depends on (about 250 with
//! the `mstic` crates: ~0.25 s of a trivial cell). Once cargo has built the cell crate, nothing but
//! the cell's source changes from one cell to the next, so the kernel runs rustc itself with the
//! arguments cargo used.
//!
//! How the kernel gets between evcxr and cargo: when a program named `mold` is on `PATH`, evcxr
//! runs its builds as `mold -run cargo build …` (its mold-linker mode). The kernel puts its own
//! entry point first on `PATH` under that name ([`install_shim`]); the shim ([`run_shim`]) either
//!
//! * passes the call on to cargo (without mold: the toolchain's own linker is faster for cells),
//!   with this binary as cargo's `RUSTC_WRAPPER` so the rustc command line, working directory and
//!   cargo variables of the cell crate are recorded ([`run_capture_wrapper`]); or
//! * when the recorded build still applies — same manifest, cargo configuration, flags and
//!   toolchain, and no source file of a path dependency changed since — runs that rustc command
//!   directly, places the library where cargo would, and prints the messages evcxr reads from cargo.
//!
//! Builds that are not `cargo build` (`check`, `metadata`…) always go to cargo.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::SystemTime;

/// The name evcxr looks for on `PATH` (see the module documentation).
const SHIM_NAME: &str = "mold";
/// Set on cargo's environment when this binary is cargo's `RUSTC_WRAPPER`: where to record the
/// cell crate's rustc command.
const CAPTURE_ENV: &str = "MSTIC_CELL_BUILD_CAPTURE";
/// The cell crate's name in evcxr's scratch directory.
const CELL_CRATE: &str = "ctx";
/// The recorded builds, one file per build state (the validity hash), inside the scratch crate's
/// target folder. A kernel start goes through the same states as the warm template did (evcxr's
/// first compile, then the preload), so the template's records serve its first builds too.
const RECORD_DIR: &str = "mstic-cell-builds";
/// How many build states are remembered.
const RECORDS_KEPT: usize = 16;
/// `MSTIC_FAST_BUILD=0` turns the fast path off (every cell goes through cargo).
const SWITCH_ENV: &str = "MSTIC_FAST_BUILD";
/// How the cell builds went (`MSTIC_TIMING=1` only; one JSON line per build), inside the scratch
/// crate's target folder.
pub const TIMING_FILE: &str = "mstic-cell-build-timing.json";
/// Set on rustc's environment (with `-C linker=<this binary>`) when timing: where the link's
/// duration goes; the linker this binary then runs is in [`LINK_WITH_ENV`].
const LINK_TIMING_ENV: &str = "MSTIC_LINK_TIMING_FILE";
const LINK_WITH_ENV: &str = "MSTIC_LINK_WITH";

/// Present in the scratch crate's target folder while the kernel builds a type probe (see
/// `crate::type_probe`): fast builds then have the compiler print types with their whole paths.
const WHOLE_TYPE_PATHS_MARKER: &str = "mstic-whole-type-paths";

/// Runs `build` (a type probe's build) with the compiler printing types with their whole paths:
/// rustc shortens a type's name in its messages to the last segment when that is unique among all
/// crates (`PrimitiveArray<Int64Type>`), which a cell cannot always name. The switch is an unstable
/// compiler option, allowed through `RUSTC_BOOTSTRAP` for that build only; it changes messages, not
/// code, and the probe's build fails by design. Builds that go to cargo keep the short names.
pub fn with_whole_type_paths<T>(build: impl FnOnce() -> T) -> T {
    let marker = std::env::var_os("EVCXR_TMPDIR").map(|dir| PathBuf::from(dir).join("target").join(WHOLE_TYPE_PATHS_MARKER));
    if let Some(marker) = &marker {
        let _ = std::fs::write(marker, b"");
    }
    let result = build();
    if let Some(marker) = &marker {
        let _ = std::fs::remove_file(marker);
    }
    result
}

/// One cell build's durations, for the kernel's timing lines (see `crate::timing`).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct BuildTiming {
    /// `fast` (rustc run directly) or `cargo`.
    pub path: String,
    /// The whole build as the shim saw it.
    pub build_ms: f64,
    /// The link step inside it (fast builds only).
    pub link_ms: Option<f64>,
    /// Why cargo built the cell (no record yet, the manifest changed, a source changed…).
    #[serde(default)]
    pub reason: Option<String>,
}

fn timing_enabled() -> bool {
    std::env::var("MSTIC_TIMING").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Reads (and removes) the timings of the builds since the last call in the scratch crate
/// `crate_dir` (a cell may build more than once: evcxr retries after some errors).
pub fn take_timings(crate_dir: &Path) -> Vec<BuildTiming> {
    let path = crate_dir.join("target").join(TIMING_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
}

fn write_timing(crate_dir: &Path, timing: &BuildTiming) {
    if let Ok(json) = serde_json::to_string(timing) {
        let path = crate_dir.join("target").join(TIMING_FILE);
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(file, "{json}");
        }
    }
}

/// How cargo built the cell crate, and what must be unchanged for that to hold again.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Record {
    rustc: PathBuf,
    args: Vec<String>,
    cwd: PathBuf,
    /// The variables cargo sets for rustc (`CARGO_*`, library paths), without its jobserver.
    env: BTreeMap<String, String>,
    /// Hash of the manifest, cargo configuration, flags, toolchain and cargo arguments.
    #[serde(default)]
    validity: String,
    /// Source files of the path dependencies (from cargo's dep-info files), checked for changes.
    #[serde(default)]
    sources: Vec<PathBuf>,
    /// When cargo's build started: a source file newer than this means cargo must build again.
    #[serde(default)]
    built_at_unix_ms: u128,
}

/// Dispatches the roles this module gives the kernel binary (build shim, rustc wrapper, timed linker); returns the exit code when this
/// process was started for one of them.
pub fn dispatch() -> Option<i32> {
    let mut args = std::env::args_os();
    let program = args.next()?;
    let rest: Vec<OsString> = args.collect();
    if std::env::var_os(CAPTURE_ENV).is_some() && rest.first().is_some_and(|a| looks_like_rustc(a)) {
        return Some(run_capture_wrapper(&rest));
    }
    if let (Some(file), Some(linker)) = (std::env::var_os(LINK_TIMING_ENV), std::env::var_os(LINK_WITH_ENV)) {
        return Some(run_timed_linker(Path::new(&file), &linker, &rest));
    }
    if Path::new(&program).file_name().is_some_and(|n| n == SHIM_NAME) {
        return Some(run_shim(&rest));
    }
    if crate::analysis::called_as_cargo(Path::new(&program)) {
        return Some(crate::analysis::run_cargo(&rest));
    }
    None
}

fn looks_like_rustc(program: &std::ffi::OsStr) -> bool {
    Path::new(program).file_stem().is_some_and(|n| n.to_string_lossy().starts_with("rustc"))
}

/// The folder holding the shim for this kernel binary.
pub(crate) fn shim_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let tag = hex::encode(&Sha256::digest(exe.to_string_lossy().as_bytes())[..6]);
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    std::env::temp_dir().join(format!("rust-mstic-{uid}")).join(format!("shim-{tag}"))
}

/// Puts the shim first on this process's `PATH` (before evcxr starts: it decides at start whether
/// to build through `mold`). Does nothing when `MSTIC_FAST_BUILD=0`. Returns whether the shim is
/// in place.
pub fn install_shim() -> bool {
    if std::env::var(SWITCH_ENV).is_ok_and(|v| v == "0") {
        return false;
    }
    let dir = shim_dir();
    let link = dir.join(SHIM_NAME);
    if let Err(e) = link_to_this_binary(&link) {
        eprintln!("rust-mstic: fast cell builds are off (cannot create {}: {e})", link.display());
        return false;
    }
    put_first_on_path(&dir);
    true
}

/// Makes `link` a symbolic link to this binary (replacing it atomically when it points elsewhere).
pub(crate) fn link_to_this_binary(link: &Path) -> std::io::Result<()> {
    let exe = std::env::current_exe()?;
    if std::fs::read_link(link).ok().as_deref() == Some(exe.as_path()) {
        return Ok(());
    }
    let dir = link.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    let staged = dir.join(format!(".{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&staged);
    std::os::unix::fs::symlink(&exe, &staged)?;
    std::fs::rename(&staged, link)
}

/// Prepends `dir` to `PATH` unless it is already first.
fn put_first_on_path(dir: &Path) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut entries: Vec<PathBuf> = std::env::split_paths(&path).filter(|p| p != dir).collect();
    entries.insert(0, dir.to_path_buf());
    if let Ok(joined) = std::env::join_paths(entries) {
        // SAFETY: called while the process is single-threaded or the engine is idle (see callers).
        unsafe { std::env::set_var("PATH", joined) };
    }
}

/// Puts the shim back first on `PATH` after the environment was replaced (a standby engine taking
/// over a kernel start's environment).
pub fn keep_on_path() {
    let dir = shim_dir();
    if dir.join(SHIM_NAME).exists() && std::env::var(SWITCH_ENV).map_or(true, |v| v != "0") {
        put_first_on_path(&dir);
    }
}

/// Removes the shim's folder from `PATH` (the cell process: user code sees the user's `PATH`).
pub fn remove_from_path() {
    let dir = shim_dir();
    let Some(path) = std::env::var_os("PATH") else { return };
    let entries: Vec<PathBuf> = std::env::split_paths(&path).filter(|p| p != &dir).collect();
    if let Ok(joined) = std::env::join_paths(entries) {
        // SAFETY: called first thing in the cell process's `main`, before other threads start.
        unsafe { std::env::set_var("PATH", joined) };
    }
}

/// The real `mold` on `PATH`, skipping the shim.
fn real_mold() -> Option<PathBuf> {
    let shim = shim_dir();
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).filter(|d| d != &shim).map(|d| d.join(SHIM_NAME)).find(|p| p.is_file())
}

/// `mold -run <cargo> <args…>` as evcxr calls it.
pub fn run_shim(args: &[OsString]) -> i32 {
    let (cargo, cargo_args) = match args {
        [run, cargo, rest @ ..] if run == "-run" => (PathBuf::from(cargo), rest.to_vec()),
        _ => return pass_to_real_mold(args),
    };
    let is_build = cargo_args.iter().find(|a| !a.to_string_lossy().starts_with('-')).is_some_and(|a| a == "build");
    let wrapped = std::env::var_os("RUSTC_WRAPPER").is_some_and(|w| !w.is_empty());
    if !is_build || wrapped {
        return exit_code(cargo_command(&cargo, &cargo_args).status());
    }
    let crate_dir = std::env::current_dir().unwrap_or_default();
    let validity = validity(&crate_dir, &cargo, &cargo_args);
    let record_path = crate_dir.join("target").join(RECORD_DIR).join(format!("{}.json", &validity[..32]));
    let enabled = std::env::var(SWITCH_ENV).map_or(true, |v| v != "0");
    let started = std::time::Instant::now();
    let record = read_record(&record_path).map(|r| r.relocated(&crate_dir));
    let refusal = match &record {
        _ if !enabled => Some("fast builds are off".to_string()),
        None => Some("no recorded build yet".to_string()),
        Some(record) if record.validity != validity => Some("the manifest, flags or toolchain changed".to_string()),
        Some(record) => record.changed_source().map(|file| format!("{} changed", file.display())),
    };
    if let (None, Some(record)) = (&refusal, &record) {
        let (code, link_ms) = fast_build(record);
        if timing_enabled() {
            write_timing(&crate_dir, &BuildTiming { path: "fast".into(), build_ms: ms(started.elapsed()), link_ms, reason: None });
        }
        return code;
    }
    let code = cargo_build_and_record(&cargo, &cargo_args, &crate_dir, &record_path, validity);
    if timing_enabled() {
        write_timing(&crate_dir, &BuildTiming { path: "cargo".into(), build_ms: ms(started.elapsed()), link_ms: None, reason: refusal });
    }
    code
}

fn ms(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The linker role (timing only): runs the real linker and records how long it took.
fn run_timed_linker(file: &Path, linker: &std::ffi::OsStr, args: &[OsString]) -> i32 {
    let started = std::time::Instant::now();
    let code = exit_code(Command::new(linker).args(args).env_remove(LINK_TIMING_ENV).env_remove(LINK_WITH_ENV).status());
    let _ = std::fs::write(file, format!("{:.3}", ms(started.elapsed())));
    code
}

fn pass_to_real_mold(args: &[OsString]) -> i32 {
    match real_mold() {
        Some(mold) => exit_code(Command::new(mold).args(args).status()),
        None => {
            eprintln!("rust-mstic: unexpected call of the build shim: {args:?}");
            2
        }
    }
}

/// cargo itself. evcxr would have run it under `mold -run`; the toolchain's own linker (rust-lld,
/// the default on x86_64 Linux) links a cell faster than mold does.
fn cargo_command(cargo: &Path, args: &[OsString]) -> Command {
    let mut command = Command::new(cargo);
    command.args(args);
    crate::analysis::with_real_environment(&mut command);
    command
}

fn exit_code(status: std::io::Result<ExitStatus>) -> i32 {
    match status {
        Ok(status) => status.code().unwrap_or(1),
        Err(e) => {
            eprintln!("rust-mstic: cannot run the build: {e}");
            1
        }
    }
}

/// What the recorded build depends on besides the sources: manifest, cargo configuration, flags,
/// toolchain, the cargo arguments and the target folder.
fn validity(crate_dir: &Path, cargo: &Path, cargo_args: &[OsString]) -> String {
    let mut hash = Sha256::new();
    for file in ["Cargo.toml", "Cargo.lock", ".cargo/config.toml"] {
        hash.update(file.as_bytes());
        hash.update(std::fs::read(crate_dir.join(file)).unwrap_or_default());
    }
    hash.update(cargo.to_string_lossy().as_bytes());
    for arg in cargo_args {
        hash.update(arg.to_string_lossy().as_bytes());
        hash.update([0]);
    }
    for name in ["RUSTFLAGS", "RUSTC", "CARGO_TARGET_DIR", "CARGO_BUILD_BUILD_DIR", "CARGO_ENCODED_RUSTFLAGS", "RUSTUP_TOOLCHAIN"] {
        hash.update(name.as_bytes());
        hash.update(std::env::var(name).unwrap_or_default().as_bytes());
    }
    hex::encode(hash.finalize())
}

impl Record {
    /// The record of a scratch directory copied from another (a kernel's copy of the warm
    /// template): paths inside the old directory now point inside `crate_dir`.
    fn relocated(mut self, crate_dir: &Path) -> Record {
        if self.cwd == crate_dir {
            return self;
        }
        let (old, new) = (self.cwd.to_string_lossy().into_owned(), crate_dir.to_string_lossy().into_owned());
        let move_text = |text: &mut String| {
            if text.contains(&old) {
                *text = text.replace(&old, &new);
            }
        };
        self.args.iter_mut().for_each(move_text);
        self.env.values_mut().for_each(move_text);
        for source in &mut self.sources {
            if let Ok(inside) = source.strip_prefix(&self.cwd) {
                *source = crate_dir.join(inside);
            }
        }
        self.cwd = crate_dir.to_path_buf();
        self
    }
}

fn read_record(path: &Path) -> Option<Record> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn unix_ms(time: SystemTime) -> u128 {
    time.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

impl Record {
    /// A recorded source file that changed (or went missing) since cargo's build, if any.
    fn changed_source(&self) -> Option<&Path> {
        self.sources
            .iter()
            .find(|file| !file.metadata().and_then(|m| m.modified()).is_ok_and(|modified| unix_ms(modified) < self.built_at_unix_ms))
            .map(PathBuf::as_path)
    }
}

/// Runs cargo with this binary as its rustc wrapper; records how the cell crate was built, whether
/// or not its rustc succeeded (or renews the record of this state when cargo found the cell crate
/// fresh).
fn cargo_build_and_record(cargo: &Path, cargo_args: &[OsString], crate_dir: &Path, record_path: &Path, validity: String) -> i32 {
    let pending = record_path.with_extension("pending");
    if let Some(dir) = record_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::remove_file(&pending);
    let started = SystemTime::now();
    let mut command = cargo_command(cargo, cargo_args);
    if let Ok(exe) = std::env::current_exe() {
        command.env("RUSTC_WRAPPER", exe).env(CAPTURE_ENV, &pending);
    }
    let code = exit_code(command.status());
    let captured = read_record(&pending);
    let _ = std::fs::remove_file(&pending);
    // When the cell crate's rustc failed, only the cell's code did: its command line serves the
    // state as well as a successful one (evcxr's first build and the preload's `?` cell fail on
    // purpose, and a kernel boot meets their states again). Nothing was captured when cargo failed
    // before the cell crate, or found it fresh.
    if let Some(mut record) = captured {
        record.validity = validity;
        record.built_at_unix_ms = unix_ms(started);
        record.sources = path_dependency_sources(&record);
        write_record(record_path, &record);
        if let Some(dir) = record_path.parent() {
            forget_old_records(dir);
        }
    } else if code == 0
        && let Some(mut record) = read_record(record_path).filter(|r| r.validity == validity).map(|r| r.relocated(crate_dir))
    {
        // Cargo found the cell crate fresh: the recorded command of this state still builds it
        // from the current dependencies (cargo would have run rustc if any had changed), so the
        // record is current again; otherwise it stayed stale and every later build of the state
        // went to cargo.
        record.built_at_unix_ms = unix_ms(started);
        record.sources = path_dependency_sources(&record);
        write_record(record_path, &record);
    }
    code
}

/// Replaces a record file whole (a reader never sees half of one).
fn write_record(record_path: &Path, record: &Record) {
    if let Ok(json) = serde_json::to_vec(record) {
        let staged = record_path.with_extension("staged");
        if std::fs::write(&staged, json).is_ok() {
            let _ = std::fs::rename(&staged, record_path);
        }
    }
}

/// Keeps the [`RECORDS_KEPT`] most recent build records.
fn forget_old_records(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut records: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH), p))
        .collect();
    records.sort();
    let excess = records.len().saturating_sub(RECORDS_KEPT);
    for (_, path) in records.into_iter().take(excess) {
        let _ = std::fs::remove_file(path);
    }
}

/// The source files of every package cargo built from a path (the `mstic` crates and any local
/// crate a user added with `:dep`), read from the dep-info files beside the cell crate's outputs;
/// registry crates and the toolchain never change in place and are skipped.
fn path_dependency_sources(record: &Record) -> Vec<PathBuf> {
    let Some(deps) = flag_value(&record.args, "--out-dir").map(PathBuf::from) else { return Vec::new() };
    let cargo_home = crate::analysis::real_cargo_home();
    let sysroot = record.rustc.parent().and_then(Path::parent).map(Path::to_path_buf);
    let mut sources = std::collections::BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(&deps) else { return Vec::new() };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "d") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((_, inputs)) = line.split_once(": ") else { continue };
            for input in split_dep_info(inputs) {
                let file = PathBuf::from(&input);
                let external = cargo_home.as_ref().is_some_and(|h| file.starts_with(h))
                    || sysroot.as_ref().is_some_and(|s| file.starts_with(s))
                    || file.starts_with(&deps)
                    || !file.is_absolute()
                    || generated_by_build_script(&file);
                // Dep-info files of earlier builds may name files that no longer exist.
                if !external && file.is_file() {
                    sources.insert(file);
                }
            }
        }
    }
    sources.into_iter().collect()
}

/// Whether `file` is a build script's output (`…/build/<package>-<hash>/out/…`): cargo reruns
/// build scripts itself, and such paths may name the folder a template was first built in.
fn generated_by_build_script(file: &Path) -> bool {
    let parts: Vec<_> = file.components().map(|c| c.as_os_str()).collect();
    parts.windows(3).any(|w| w[0] == "build" && w[2] == "out")
}

/// The paths of a dep-info rule's right-hand side (spaces in names are escaped as `\ `).
fn split_dep_info(inputs: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut current = String::new();
    let mut chars = inputs.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                current.push(' ');
                chars.next();
            }
            ' ' => {
                if !current.is_empty() {
                    paths.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        paths.push(current);
    }
    paths
}

fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map(String::as_str)
}

/// cargo's `RUSTC_WRAPPER` role: records the cell crate's rustc command, then becomes rustc.
pub fn run_capture_wrapper(args: &[OsString]) -> i32 {
    use std::os::unix::process::CommandExt;
    let rustc = PathBuf::from(&args[0]);
    let rest: Vec<String> = args[1..].iter().map(|a| a.to_string_lossy().into_owned()).collect();
    if flag_value(&rest, "--crate-name") == Some(CELL_CRATE)
        && let Some(target) = std::env::var_os(CAPTURE_ENV)
    {
        let env = std::env::vars()
            .filter(|(k, _)| (k.starts_with("CARGO") && k != "CARGO_MAKEFLAGS") || k == "LD_LIBRARY_PATH")
            .collect();
        let record = Record {
            rustc: rustc.clone(),
            args: rest.clone(),
            cwd: std::env::current_dir().unwrap_or_default(),
            env,
            validity: String::new(),
            sources: Vec::new(),
            built_at_unix_ms: 0,
        };
        if let Ok(json) = serde_json::to_vec(&record) {
            let _ = std::fs::write(target, json);
        }
    }
    let error = Command::new(&rustc).args(&args[1..]).env_remove(CAPTURE_ENV).exec();
    eprintln!("rust-mstic: cannot run {}: {error}", rustc.display());
    1
}

/// Builds the cell crate with the recorded rustc command and reports it as cargo would; returns
/// the exit code and, when timing, the link's duration.
fn fast_build(record: &Record) -> (i32, Option<f64>) {
    let mut command = Command::new(&record.rustc);
    command.args(&record.args).args(cell_optimisation(&record.args)).current_dir(&record.cwd).envs(&record.env);
    crate::analysis::with_real_environment(&mut command);
    for name in ["CARGO_MAKEFLAGS", "MAKEFLAGS", "MFLAGS", CAPTURE_ENV] {
        command.env_remove(name);
    }
    if record.cwd.join("target").join(WHOLE_TYPE_PATHS_MARKER).exists() {
        command.arg("-Ztrim-diagnostic-paths=false").env("RUSTC_BOOTSTRAP", "1");
    }
    let link_file = record.cwd.join("target").join("mstic-link-ms");
    let timed = timing_enabled() && !record.args.iter().any(|a| a.starts_with("-Clinker") || a == "linker=");
    if timed && let Ok(exe) = std::env::current_exe() {
        let _ = std::fs::remove_file(&link_file);
        command.arg("-C").arg(format!("linker={}", exe.display())).env(LINK_TIMING_ENV, &link_file).env(LINK_WITH_ENV, "cc");
    }
    let code = exit_code(command.status());
    let link_ms = timed.then(|| std::fs::read_to_string(&link_file).ok()?.trim().parse().ok()).flatten();
    if code != 0 {
        return (code, link_ms);
    }
    (place_library(record), link_ms)
}

/// The optimisation level of the cell crate itself, when it should differ from the profile's
/// (which also applies to every dependency). At levels 1, `s` and `z`, rustc shares generic
/// instantiations with upstream crates, and for a cell that links the facade it searches the
/// instantiations of every crate behind it: about 0.1 s of each trivial cell. At level 2 it does
/// not, so a cell compiles faster — and runs faster. Level 0 (asked for debugging) stays.
fn cell_optimisation(args: &[String]) -> Vec<String> {
    let level = args.iter().rev().find_map(|a| a.strip_prefix("opt-level=")).unwrap_or("0");
    if matches!(level, "1" | "s" | "z") { vec!["-C".into(), "opt-level=2".into()] } else { Vec::new() }
}

/// Puts the built library where cargo would (uplifted beside `deps/`) and prints cargo's
/// messages for it.
fn place_library(record: &Record) -> i32 {
    let Some(out_dir) = flag_value(&record.args, "--out-dir").map(PathBuf::from) else { return 1 };
    let library = format!("lib{CELL_CRATE}.so");
    let built = out_dir.join(&library);
    let uplifted = out_dir.parent().map(|p| p.join(&library)).unwrap_or_else(|| built.clone());
    if uplifted != built {
        let _ = std::fs::remove_file(&uplifted);
        if std::fs::hard_link(&built, &uplifted).is_err() && std::fs::copy(&built, &uplifted).is_err() {
            eprintln!("rust-mstic: cannot place {}", uplifted.display());
            return 1;
        }
    }
    let artifact = serde_json::json!({
        "reason": "compiler-artifact",
        "target": {"kind": ["cdylib"], "crate_types": ["cdylib"], "name": CELL_CRATE, "src_path": record.cwd.join("src/lib.rs")},
        "filenames": [uplifted],
        "fresh": false,
    });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{artifact}");
    let _ = writeln!(out, "{}", serde_json::json!({"reason": "build-finished", "success": true}));
    let _ = out.flush();
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_the_default_profile_compile_at_level_two() {
        let args = |level: &str| vec!["--crate-name".to_string(), "ctx".into(), "-C".into(), format!("opt-level={level}")];
        assert_eq!(cell_optimisation(&args("1")), vec!["-C", "opt-level=2"]);
        assert_eq!(cell_optimisation(&args("z")), vec!["-C", "opt-level=2"]);
        assert!(cell_optimisation(&args("0")).is_empty());
        assert!(cell_optimisation(&args("3")).is_empty());
        assert!(cell_optimisation(&["src/lib.rs".to_string()]).is_empty());
    }

    #[test]
    fn build_script_outputs_are_not_sources() {
        assert!(generated_by_build_script(Path::new("/t/target/x/debug/build/bigdecimal-1a/out/default_precision.rs")));
        assert!(!generated_by_build_script(Path::new("/ws/crates/mstic-core/src/frame/mod.rs")));
        assert!(!generated_by_build_script(Path::new("/ws/crates/build/src/out.rs")));
    }

    #[test]
    fn dep_info_paths_keep_escaped_spaces() {
        assert_eq!(split_dep_info("/a/b.rs /c\\ d/e.rs  f.rs"), vec!["/a/b.rs", "/c d/e.rs", "f.rs"]);
    }

    #[test]
    fn sources_newer_than_the_build_invalidate_the_record() {
        let dir = std::env::temp_dir().join(format!("mstic-cellbuild-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("lib.rs");
        std::fs::write(&source, "pub fn a() {}").unwrap();
        let modified = unix_ms(source.metadata().unwrap().modified().unwrap());
        let mut record = Record {
            rustc: "rustc".into(),
            args: vec![],
            cwd: dir.clone(),
            env: BTreeMap::new(),
            validity: String::new(),
            sources: vec![source.clone()],
            built_at_unix_ms: modified + 1,
        };
        assert_eq!(record.changed_source(), None);
        record.built_at_unix_ms = modified;
        assert_eq!(record.changed_source(), Some(source.as_path()), "a file written during or after the build counts as changed");
        record.built_at_unix_ms = modified + 1;
        record.sources.push(dir.join("gone.rs"));
        assert_eq!(record.changed_source(), Some(dir.join("gone.rs").as_path()), "a missing file counts as changed");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_state_cargo_finds_fresh_gets_its_record_renewed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("mstic-cellbuild-{}", uuid::Uuid::new_v4()));
        let records = dir.join("target").join(RECORD_DIR);
        std::fs::create_dir_all(&records).unwrap();
        // A cargo that finds the cell crate fresh: it exits without running the rustc wrapper.
        let cargo = dir.join("cargo");
        let record_path = records.join("state.json");
        let stale = Record {
            rustc: "rustc".into(),
            args: vec![],
            cwd: dir.clone(),
            env: BTreeMap::new(),
            validity: "state".into(),
            sources: vec![],
            built_at_unix_ms: 1,
        };
        write_record(&record_path, &stale);
        let run = |exit: &str, validity: &str| {
            std::fs::write(&cargo, format!("#!/bin/sh\nexit {exit}\n")).unwrap();
            std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
            cargo_build_and_record(&cargo, &["build".into()], &dir, &record_path, validity.into())
        };
        assert_eq!(run("1", "state"), 1);
        assert_eq!(read_record(&record_path).unwrap().built_at_unix_ms, 1, "a failed cargo run renews nothing");
        assert_eq!(run("0", "another state"), 0);
        assert_eq!(read_record(&record_path).unwrap().built_at_unix_ms, 1, "a record of another state is not renewed");
        let before = unix_ms(SystemTime::now());
        assert_eq!(run("0", "state"), 0);
        let renewed = read_record(&record_path).unwrap();
        assert!(renewed.built_at_unix_ms >= before, "{}", renewed.built_at_unix_ms);
        assert_eq!((renewed.validity.as_str(), renewed.rustc.as_path()), ("state", Path::new("rustc")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn validity_follows_the_manifest_and_the_cargo_arguments() {
        let dir = std::env::temp_dir().join(format!("mstic-cellbuild-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"ctx\"\n").unwrap();
        let args = vec![OsString::from("build"), OsString::from("--message-format=json")];
        let first = validity(&dir, Path::new("cargo"), &args);
        assert_eq!(first, validity(&dir, Path::new("cargo"), &args));
        assert_ne!(first, validity(&dir, Path::new("cargo"), &args[..1]));
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"ctx\"\n[dependencies]\nx = \"1\"\n").unwrap();
        assert_ne!(first, validity(&dir, Path::new("cargo"), &args));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
