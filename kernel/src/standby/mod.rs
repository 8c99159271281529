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
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

mod serve;
pub use serve::run;

/// Set in a standby engine's process until a kernel adopts it: where the cell process finds the
/// adopting notebook's directory.
pub const ADOPT_ENV: &str = "MSTIC_STANDBY_ADOPT";

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
    /// The warm template's folder (a standby is only worth starting once it is ready).
    template: PathBuf,
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

/// Creates the standby folder (if needed) private to this user (0700): the hand-off socket in it
/// takes a notebook's connection file, which holds the session's signing key.
fn private_folder() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder();
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// What a standby must match: the template key (sources, toolchain, preload) and this binary.
pub fn identity(workspace: &Path, template_key: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(template_key.as_bytes());
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
pub fn offer_from(workspace: &Path, template_key: &str, identity: String) {
    if disabled() {
        return;
    }
    *OFFER.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(Offer {
        workspace: workspace.to_path_buf(),
        template: crate::template::dir_for_key(template_key),
        identity,
        last_spawn: None,
    });
}

/// Starts a standby for this kernel's workspace unless one is warming or waiting (or the warm
/// template is missing, or one was started recently).
pub fn ensure_one() {
    let mut guard = OFFER.lock().unwrap_or_else(|e| e.into_inner());
    let Some(offer) = guard.as_mut() else { return };
    if offer.last_spawn.is_some_and(|t| t.elapsed() < RESPAWN_INTERVAL)
        || read_pid(&pid_path(&offer.identity)).is_some_and(alive)
        || !offer.template.join("READY").exists()
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
    let dir = private_folder()?;
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
            let why = if answer.trim().is_empty() { "another kernel start took it" } else { answer.trim() };
            eprintln!("rust-mstic: standby engine not used ({why}); starting the engine here");
            None
        }
    }
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
