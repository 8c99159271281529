//! Standby engines. Booting evcxr, loading the `mstic` crates and rust-analyzer's first analysis
//! take about half a minute on two cores; a kernel start should not. When a kernel has been idle
//! for a few seconds it makes sure one background `rust-mstic standby` process exists for its
//! workspace. That process boots an engine exactly as a kernel does, then waits on a Unix socket.
//! The next kernel started for the same workspace and build environment adopts it: the standby
//! takes that kernel's connection file, working directory and environment and serves the
//! notebook, while the process Jupyter started stays as its supervisor (it relays the standby's
//! log and ends with it; the standby ends when the supervisor is killed).
//!
//! `MSTIC_STANDBY=0` turns this off; an unclaimed standby exits after
//! `MSTIC_STANDBY_IDLE_MINUTES` (default 30); `rust-mstic standby --stop` ends all standbys.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Variables that change how cells are compiled: a standby is adopted only when they are equal
/// (`PATH` only needs to find the same build tools).
const BUILD_VARIABLES: &[&str] = &[
    "HOME", "LD_LIBRARY_PATH", "RUSTFLAGS", "RUSTUP_TOOLCHAIN", "RUSTUP_HOME", "CARGO_HOME",
    "CARGO_BUILD_RUSTFLAGS", "RUSTC", "RUSTC_WRAPPER", "MSTIC_OPT_LEVEL",
];

/// The programs a cell build runs, as found on `PATH`.
const BUILD_TOOLS: &[&str] = &["cargo", "rustc", "cc", "mold", "ld.lld"];

/// Where each build tool is found on the search path `path`.
fn build_tools_on(path: Option<&String>) -> Vec<Option<PathBuf>> {
    let dirs: Vec<PathBuf> = path.map(|p| std::env::split_paths(p).collect()).unwrap_or_default();
    BUILD_TOOLS.iter().map(|tool| dirs.iter().map(|d| d.join(tool)).find(|p| p.is_file())).collect()
}

/// How long a kernel start waits for a standby that is still warming up.
const WAIT_FOR_WARMING: Duration = Duration::from_secs(120);

/// How often an idle kernel may start a standby (a failing one is not restarted in a loop).
const RESPAWN_INTERVAL: Duration = Duration::from_secs(120);

/// What an adopting kernel start sends the standby.
#[derive(Serialize, Deserialize)]
struct AdoptRequest {
    identity: String,
    connection_file: PathBuf,
    cwd: PathBuf,
    env: BTreeMap<String, String>,
}

/// The environment this process started with (before the kernel sets its own variables).
static ORIGINAL_ENV: OnceLock<BTreeMap<String, String>> = OnceLock::new();

/// What an idle kernel needs to start a standby.
struct Offer {
    workspace: PathBuf,
    identity: String,
    last_spawn: Option<Instant>,
}

static OFFER: Mutex<Option<Offer>> = Mutex::new(None);

/// Records the process environment; call first thing in `main`.
pub fn capture_original_env() {
    let _ = ORIGINAL_ENV.set(std::env::vars_os().map(|(k, v)| (lossy(&k), lossy(&v))).collect());
}

fn original_env() -> &'static BTreeMap<String, String> {
    ORIGINAL_ENV.get_or_init(BTreeMap::new)
}

fn lossy(text: &std::ffi::OsStr) -> String {
    text.to_string_lossy().into_owned()
}

/// Whether standby engines are turned off (`MSTIC_STANDBY=0`).
fn disabled() -> bool {
    original_env().get("MSTIC_STANDBY").is_some_and(|v| v == "0" || v.eq_ignore_ascii_case("false"))
}

/// Folder of the standbys' sockets, pid files and logs.
fn folder() -> PathBuf {
    crate::template::cache_root().join("standby")
}

/// What a standby must match: the template key (sources, toolchain, preload) and this binary.
pub fn identity(workspace: &Path) -> String {
    let mut hash = Sha256::new();
    hash.update(crate::template::key(workspace).as_bytes());
    hash.update(workspace.to_string_lossy().as_bytes());
    if let Ok(exe) = std::env::current_exe() {
        hash.update(exe.to_string_lossy().as_bytes());
        let modified = exe.metadata().and_then(|m| m.modified()).ok();
        hash.update(format!("{modified:?}").as_bytes());
    }
    hex::encode(&hash.finalize()[..8])
}

fn socket_path(identity: &str) -> PathBuf {
    folder().join(format!("{identity}.sock"))
}

fn pid_path(identity: &str) -> PathBuf {
    folder().join(format!("{identity}.pid"))
}

fn alive(pid: u32) -> bool {
    pid > 0 && Path::new(&format!("/proc/{pid}")).exists()
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Lets this kernel start standbys for `workspace` when it is idle (see `Engine::run`).
pub fn offer_from(workspace: &Path, identity: String) {
    if disabled() {
        return;
    }
    *OFFER.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(Offer { workspace: workspace.to_path_buf(), identity, last_spawn: None });
}

/// Starts a standby for this kernel's workspace unless one is warming or waiting (or the warm
/// template is missing, or one was started recently).
pub fn ensure_one() {
    let mut guard = OFFER.lock().unwrap_or_else(|e| e.into_inner());
    let Some(offer) = guard.as_mut() else { return };
    if offer.last_spawn.is_some_and(|t| t.elapsed() < RESPAWN_INTERVAL)
        || read_pid(&pid_path(&offer.identity)).is_some_and(alive)
        || !crate::template::template_dir(&offer.workspace).join("READY").exists()
    {
        return;
    }
    offer.last_spawn = Some(Instant::now());
    let started = std::env::current_exe().map_err(anyhow::Error::from).and_then(|exe| spawn(&exe, &offer.workspace));
    if let Err(e) = started {
        eprintln!("rust-mstic: could not start a standby engine: {e:#}");
    }
}

/// Starts a standby engine of the kernel binary `exe` for `workspace` in the background (its log:
/// `~/.cache/rust-mstic/standby/<pid>.log`).
pub fn spawn(exe: &Path, workspace: &Path) -> anyhow::Result<u32> {
    use std::os::unix::process::CommandExt;
    if disabled() {
        anyhow::bail!("MSTIC_STANDBY=0");
    }
    let dir = folder();
    std::fs::create_dir_all(&dir)?;
    remove_old_logs(&dir);
    let log_path = dir.join(format!("starting-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path)?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("standby")
        .arg("--workspace")
        .arg(workspace)
        .env_clear()
        .envs(original_env())
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid and nice are async-signal-safe; the standby leaves the kernel's session and
    // warms up at a lower priority than the notebooks in use.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            libc::nice(10);
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    let pid = child.id();
    let _ = std::fs::rename(&log_path, dir.join(format!("{pid}.log")));
    eprintln!("rust-mstic: started standby engine {pid} for the next kernel start");
    std::thread::spawn(move || child.wait());
    Ok(pid)
}

/// Removes the logs of standbys that have ended.
fn remove_old_logs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        let pid = path.file_stem().and_then(|s| s.to_str()).and_then(|s| s.parse::<u32>().ok());
        if path.extension().is_some_and(|e| e == "log") && pid.is_some_and(|pid| !alive(pid)) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// A standby that took over this kernel start: this process now only supervises it.
pub struct Supervisor {
    stream: UnixStream,
}

impl Supervisor {
    /// Relays the standby's log to this process's stderr until the standby ends.
    pub fn run(mut self) -> anyhow::Result<()> {
        let _ = std::io::copy(&mut self.stream, &mut std::io::stderr());
        Ok(())
    }
}

/// Hands this kernel start (connection file, working directory, environment) to a standby of the
/// same identity, waiting for one that is still warming up. `None`: start a kernel here.
pub fn adopt(identity: &str, connection_file: &Path) -> Option<Supervisor> {
    if disabled() {
        return None;
    }
    let started = Instant::now();
    let mut told = false;
    loop {
        let socket = socket_path(identity);
        let pid = read_pid(&pid_path(identity));
        if socket.exists() {
            return match UnixStream::connect(&socket) {
                Ok(stream) => request(stream, identity, connection_file),
                Err(_) => {
                    if !pid.is_some_and(alive) {
                        let _ = std::fs::remove_file(&socket);
                    }
                    None
                }
            };
        }
        match pid {
            Some(pid) if alive(pid) && started.elapsed() < WAIT_FOR_WARMING => {
                if !told {
                    eprintln!("rust-mstic: waiting for standby engine {pid}, which is still warming up");
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            _ => return None,
        }
    }
}

fn request(mut stream: UnixStream, identity: &str, connection_file: &Path) -> Option<Supervisor> {
    let cwd = std::env::current_dir().ok()?;
    let connection_file = std::path::absolute(connection_file).ok()?;
    let ask = AdoptRequest { identity: identity.to_string(), connection_file, cwd, env: original_env().clone() };
    let mut line = serde_json::to_string(&ask).ok()?;
    line.push('\n');
    stream.write_all(line.as_bytes()).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let mut answer = String::new();
    BufReader::new(stream.try_clone().ok()?).read_line(&mut answer).ok()?;
    stream.set_read_timeout(None).ok()?;
    match answer.trim().strip_prefix("adopted ") {
        Some(pid) => {
            eprintln!("rust-mstic: adopted standby engine {pid} (warm: the first cell runs at once)");
            Some(Supervisor { stream })
        }
        None => {
            eprintln!("rust-mstic: standby engine not used ({}); starting one here", answer.trim());
            None
        }
    }
}

/// Why a request cannot be served by this standby (a build variable differs, or the identity).
fn refusal(ask: &AdoptRequest, identity: &str) -> Option<String> {
    if ask.identity != identity {
        return Some("it was built for other sources or another kernel binary".into());
    }
    if let Some(name) = BUILD_VARIABLES.iter().find(|name| ask.env.get(**name) != original_env().get(**name)) {
        return Some(format!("{name} differs from the standby's"));
    }
    (build_tools_on(ask.env.get("PATH")) != build_tools_on(original_env().get("PATH")))
        .then(|| "PATH finds other build tools (cargo, rustc, cc, linker) than the standby's".to_string())
}

/// Variables the kernel sets for itself and its cell process; never copied from the adopter.
fn kernel_managed(name: &str) -> bool {
    name.starts_with("EVCXR_")
        || matches!(name, "MSTIC_KERNEL" | "MSTIC_STANDBY_ADOPT" | "MSTIC_SESSION_ANCHOR" | "MSTIC_FLUSH_FDS" | "LD_LIBRARY_PATH")
}

/// Gives this process and its cell process the adopter's directory and environment: the cell
/// process reads them from `handoff` (see `support::SUPPORT_CODE`); the file is private and lives
/// a few milliseconds.
fn take_environment(ask: &AdoptRequest, handoff: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let mut data: Vec<u8> = ask.cwd.as_os_str().as_bytes().to_vec();
    let own = original_env();
    let mut entry = |parts: &[&str]| {
        for part in parts {
            data.push(0);
            data.extend_from_slice(part.as_bytes());
        }
    };
    for (name, value) in ask.env.iter().filter(|(n, _)| !kernel_managed(n)) {
        if own.get(name) != Some(value) {
            entry(&["S", name, value]);
            // SAFETY: the engine is idle; nothing else reads the environment meanwhile.
            unsafe { std::env::set_var(name, value) };
        }
    }
    for name in own.keys().filter(|n| !kernel_managed(n) && !ask.env.contains_key(*n)) {
        entry(&["D", name]);
        // SAFETY: as above.
        unsafe { std::env::remove_var(name) };
    }
    // SAFETY: as above. A restarted cell process must not wait for a handoff.
    unsafe { std::env::remove_var("MSTIC_STANDBY_ADOPT") };
    let _ = std::env::set_current_dir(&ask.cwd);
    let staged = handoff.with_extension("staged");
    let written = private_file(&staged).and_then(|mut f| f.write_all(&data)).and_then(|_| std::fs::rename(&staged, handoff));
    if let Err(e) = written {
        eprintln!("rust-mstic: could not hand the notebook's directory to the cell process: {e}");
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while handoff.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if handoff.exists() {
        let _ = std::fs::remove_file(handoff);
        eprintln!("rust-mstic: the cell process did not take the notebook's directory and environment");
    }
}

fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

/// `rust-mstic standby --workspace W`: boots an engine, waits for a kernel start to adopt it, then
/// serves that kernel's connection.
pub fn run(workspace: &Path) -> anyhow::Result<()> {
    let identity = identity(workspace);
    let dir = folder();
    std::fs::create_dir_all(&dir)?;
    let pid_file = pid_path(&identity);
    if read_pid(&pid_file).is_some_and(|pid| pid != std::process::id() && alive(pid)) {
        eprintln!("rust-mstic standby: another standby serves {identity}");
        return Ok(());
    }
    std::fs::write(&pid_file, std::process::id().to_string())?;
    let outcome = wait_and_serve(workspace, &identity, &pid_file);
    if read_pid(&pid_file) == Some(std::process::id()) {
        let _ = std::fs::remove_file(&pid_file);
    }
    outcome
}

fn wait_and_serve(workspace: &Path, identity: &str, pid_file: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let launch = crate::Launch::new(workspace)?;
    let handoff = launch.scratch.join("mstic-adopt");
    // SAFETY: set before the engine thread starts the cell process that reads it.
    unsafe { std::env::set_var("MSTIC_STANDBY_ADOPT", &handoff) };
    let booted = launch.boot();
    while !booted.engine.warmed.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    if booted.engine.boot_failed.load(std::sync::atomic::Ordering::SeqCst) {
        launch.remove_scratch();
        anyhow::bail!("the engine did not boot (see above); no standby offered");
    }
    let socket = socket_path(identity);
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket)?;
    listener.set_nonblocking(true)?;
    eprintln!("rust-mstic standby {}: ready after {:.1} s", std::process::id(), started.elapsed().as_secs_f64());
    let idle_limit = Duration::from_secs(
        60 * std::env::var("MSTIC_STANDBY_IDLE_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(30u64),
    );
    let (mut stream, ask) = loop {
        if started.elapsed() > idle_limit {
            eprintln!("rust-mstic standby: not adopted within {} min; exiting", idle_limit.as_secs() / 60);
            let _ = std::fs::remove_file(&socket);
            launch.remove_scratch();
            return Ok(());
        }
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match read_request(&stream) {
            Some(ask) => match refusal(&ask, identity) {
                None => break (stream, ask),
                Some(reason) => {
                    let _ = writeln!(&stream, "declined: {reason}");
                }
            },
            None => continue,
        }
    };
    drop(listener);
    let _ = std::fs::remove_file(&socket);
    let _ = std::fs::remove_file(pid_file);
    writeln!(stream, "adopted {}", std::process::id())?;
    // From here on this process is the adopter's kernel: its log goes to the supervisor, and it
    // ends when the supervisor does.
    let log: std::os::fd::OwnedFd = stream.try_clone()?.into();
    launch.progress.redirect_log(std::fs::File::from(log));
    let watcher = stream.try_clone()?;
    let (engine, scratch) = (booted.engine.clone(), launch.scratch.clone());
    watcher.set_read_timeout(None)?;
    std::thread::spawn(move || {
        let mut byte = [0u8; 64];
        loop {
            match std::io::Read::read(&mut &watcher, &mut byte) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if matches!(e.kind(), std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
                Err(_) => break,
            }
        }
        engine.kill_child();
        let _ = std::fs::remove_dir_all(&scratch);
        std::process::exit(0);
    });
    take_environment(&ask, &handoff);
    let info = crate::connection::ConnectionInfo::read(&ask.connection_file)?;
    offer_from(workspace, identity.to_string());
    launch.serve(booted, info)
}

fn read_request(stream: &UnixStream) -> Option<AdoptRequest> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    serde_json::from_str(&line).ok()
}

/// `rust-mstic standby --stop`: ends every standby of this user (tests and uninstall).
pub fn stop_all() -> usize {
    let Ok(entries) = std::fs::read_dir(folder()) else { return 0 };
    let mut stopped = 0;
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_some_and(|e| e == "pid") {
            if let Some(pid) = read_pid(&path).filter(|pid| alive(*pid)) {
                // SAFETY: sends SIGTERM to a standby process recorded by this user.
                unsafe { libc::kill(pid as i32, libc::SIGTERM) };
                stopped += 1;
            }
            let _ = std::fs::remove_file(&path);
        } else if path.extension().is_some_and(|e| e == "sock") {
            let _ = std::fs::remove_file(&path);
        }
    }
    stopped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(identity: &str) -> AdoptRequest {
        capture_original_env();
        AdoptRequest {
            identity: identity.into(),
            connection_file: "/tmp/kernel.json".into(),
            cwd: "/tmp".into(),
            env: original_env().clone(),
        }
    }

    #[test]
    fn a_start_with_the_same_build_environment_is_served() {
        let mut ask = request("abc");
        ask.env.insert("MSTIC_FIXTURES".into(), "/data/fixtures".into());
        ask.env.insert("JPY_SESSION_NAME".into(), "notebook.ipynb".into());
        assert_eq!(refusal(&ask, "abc"), None);
    }

    #[test]
    fn a_different_toolchain_path_or_build_is_refused_by_name() {
        let mut ask = request("abc");
        ask.env.insert("RUSTFLAGS".into(), "-C target-cpu=native".into());
        assert_eq!(refusal(&ask, "abc").as_deref(), Some("RUSTFLAGS differs from the standby's"));
        let mut ask = request("abc");
        ask.env.insert("PATH".into(), "/somewhere/else".into());
        assert!(refusal(&ask, "abc").unwrap().starts_with("PATH finds other build tools"));
        let mut ask = request("abc");
        let path = ask.env.get("PATH").cloned().unwrap_or_default();
        ask.env.insert("PATH".into(), format!("/opt/venv/bin:{path}"));
        assert_eq!(refusal(&ask, "abc"), None, "an extra folder without build tools is fine");
        let ask = request("abc");
        assert!(refusal(&ask, "def").unwrap().contains("other sources"));
    }

    #[test]
    fn the_kernels_own_variables_are_not_copied() {
        for name in ["EVCXR_TMPDIR", "MSTIC_KERNEL", "MSTIC_SESSION_ANCHOR", "LD_LIBRARY_PATH", "MSTIC_STANDBY_ADOPT"] {
            assert!(kernel_managed(name), "{name}");
        }
        for name in ["MSTIC_FIXTURES", "HOME", "AZURE_CLIENT_ID", "JPY_PARENT_PID"] {
            assert!(!kernel_managed(name), "{name}");
        }
    }
}
