//! The standby process's side: boot, wait on the socket, check the adopting start's build
//! environment, take its directory and environment, then serve its connection.

use super::{AdoptRequest, alive, identity, offer_from, original_env, pid_path, read_pid, socket_path};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Variables that change how cells are compiled: a standby is adopted only when they are equal
/// (`PATH` only needs to find the same build tools).
const BUILD_VARIABLES: &[&str] = &[
    "HOME", "LD_LIBRARY_PATH", "RUSTFLAGS", "RUSTUP_TOOLCHAIN", "RUSTUP_HOME", "CARGO_HOME",
    "CARGO_BUILD_RUSTFLAGS", "RUSTC", "RUSTC_WRAPPER", "MSTIC_OPT_LEVEL", "MSTIC_ANALYSIS", "RUST_SRC_PATH",
];

/// The programs a cell build runs, as found on `PATH`.
const BUILD_TOOLS: &[&str] = &["cargo", "rustc", "cc", "mold", "ld.lld"];

/// Where each build tool is found on the search path `path`.
fn build_tools_on(path: Option<&String>) -> Vec<Option<PathBuf>> {
    let dirs: Vec<PathBuf> = path.map(|p| std::env::split_paths(p).collect()).unwrap_or_default();
    BUILD_TOOLS.iter().map(|tool| dirs.iter().map(|d| d.join(tool)).find(|p| p.is_file())).collect()
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
        || matches!(name, "MSTIC_KERNEL" | super::ADOPT_ENV | "MSTIC_FLUSH_FDS" | "LD_LIBRARY_PATH")
        || name == crate::comms::SOCKET_VARIABLE
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
    // The adopter's PATH replaced this process's: keep the build shim first (see `cellbuild`).
    crate::cellbuild::keep_on_path();
    // SAFETY: as above. A restarted cell process must not wait for a handoff.
    unsafe { std::env::remove_var(super::ADOPT_ENV) };
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
    let key = crate::template::key(workspace);
    let identity = identity(workspace, &key);
    super::private_folder()?;
    let pid_file = pid_path(&identity);
    if read_pid(&pid_file).is_some_and(|pid| pid != std::process::id() && alive(pid)) {
        eprintln!("rust-mstic standby: another standby serves {identity}");
        return Ok(());
    }
    std::fs::write(&pid_file, std::process::id().to_string())?;
    let outcome = wait_and_serve(workspace, &key, &identity, &pid_file);
    if read_pid(&pid_file) == Some(std::process::id()) {
        let _ = std::fs::remove_file(&pid_file);
    }
    outcome
}

fn wait_and_serve(workspace: &Path, key: &str, identity: &str, pid_file: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let launch = crate::Launch::new(workspace, key.to_string())?;
    let handoff = launch.scratch.join("mstic-adopt");
    // SAFETY: set before the engine thread starts the cell process that reads it.
    unsafe { std::env::set_var(super::ADOPT_ENV, &handoff) };
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
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
    }
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
    restore_priority(booted.engine.child_pid());
    let info = crate::connection::ConnectionInfo::read(&ask.connection_file)?;
    offer_from(workspace, key, identity.to_string());
    launch.serve(booted, info)
}

/// Standbys warm up at a lower priority (nice 10) so the notebooks in use keep the cores; once
/// adopted, this process, its threads and its cell process return to normal priority. Without the
/// privilege to do so (an unprivileged user cannot lower a nice value) the kernel says so.
fn restore_priority(child: Option<u32>) {
    let mut tasks: Vec<i32> = Vec::new();
    for process in [Some(std::process::id()), child].into_iter().flatten() {
        if let Ok(entries) = std::fs::read_dir(format!("/proc/{process}/task")) {
            tasks.extend(entries.flatten().filter_map(|e| e.file_name().to_str().and_then(|t| t.parse::<i32>().ok())));
        }
    }
    // SAFETY: setpriority on this process's own threads and its child's; no memory is touched.
    let refused = tasks.iter().filter(|tid| unsafe { libc::setpriority(libc::PRIO_PROCESS, **tid as libc::id_t, 0) } != 0).count();
    if refused > 0 {
        eprintln!("rust-mstic: this kernel keeps the standby's low priority (nice 10): lowering it needs privileges");
    }
}

fn read_request(stream: &UnixStream) -> Option<AdoptRequest> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    serde_json::from_str(&line).ok()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::standby::capture_original_env;

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
        for name in ["EVCXR_TMPDIR", "MSTIC_KERNEL", "MSTIC_FLUSH_FDS", "LD_LIBRARY_PATH", "MSTIC_STANDBY_ADOPT", "MSTIC_COMM_SOCKET"] {
            assert!(kernel_managed(name), "{name}");
        }
        for name in ["MSTIC_FIXTURES", "HOME", "AZURE_CLIENT_ID", "JPY_PARENT_PID"] {
            assert!(!kernel_managed(name), "{name}");
        }
    }
}
