//! `rust-mstic`: the Rust MSTIC Jupyter kernel. Every cell is Rust, compiled and run by an embedded
//! evcxr with the `mstic` investigation crates preloaded (`use mstic::prelude::*;`).
//!
//! Commands: `rust-mstic kernel --connection-file F --workspace W` (started by Jupyter),
//! `rust-mstic install [--user | --sys-prefix | --prefix DIR] [--workspace W] [--no-warm] [--no-standby]`,
//! `rust-mstic uninstall [--user | --sys-prefix | --prefix DIR]`, `rust-mstic warm --workspace W`,
//! `rust-mstic standby --workspace W` (a warm engine for the next kernel start; `--stop` ends them),
//! `rust-mstic seed-build-dir [--workspace W] DIR` (a cargo target folder filled from the warm
//! template, for the workspace's tests).

mod analysis;
mod cellbuild;
mod comms;
mod connection;
mod engine;
mod errors;
mod history;
mod install;
mod interrupt;
mod iopub;
mod memory;
mod is_complete;
mod magic;
mod output;
mod progress;
mod relay;
mod server;
mod standby;
mod stdin;
mod support;
mod template;
mod timing;
mod type_probe;
mod wire;

use std::path::{Path, PathBuf};

fn main() {
    // This binary also stands between evcxr and cargo (see `cellbuild`).
    if let Some(code) = cellbuild::dispatch() {
        std::process::exit(code);
    }
    // evcxr re-runs this binary as the process that runs cells; give it our stdio relay first.
    relay::install_if_runtime_child();
    evcxr::runtime_hook();
    standby::capture_original_env();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("kernel") => run_kernel(&args[1..]),
        Some("install") => install::install(&args[1..], &workspace_arg(&args).unwrap_or_else(source_workspace)),
        Some("uninstall") => install::uninstall(&args[1..]),
        Some("standby") => run_standby(&args[1..]),
        Some("warm") => template::warm(&workspace_arg(&args).unwrap_or_else(source_workspace)).map(|_| ()),
        Some("seed-build-dir") => seed_build_dir(&args[1..]),
        Some("--version") => {
            println!("rust-mstic {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: rust-mstic install [--user | --sys-prefix | --prefix DIR] [--workspace DIR] [--no-warm] [--no-standby]\n       \
                 rust-mstic uninstall [--user | --sys-prefix | --prefix DIR]\n       \
                 rust-mstic kernel --connection-file FILE --workspace DIR\n       \
                 rust-mstic standby --workspace DIR | --stop\n       \
                 rust-mstic seed-build-dir [--workspace DIR] TARGET_DIR"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("rust-mstic: {e:#}");
        std::process::exit(1);
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn workspace_arg(args: &[String]) -> Option<PathBuf> {
    flag(args, "--workspace").map(PathBuf::from)
}

/// The workspace this binary was built from.
fn source_workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

fn run_kernel(args: &[String]) -> anyhow::Result<()> {
    let connection_file = flag(args, "--connection-file")
        .or_else(|| flag(args, "-f"))
        .ok_or_else(|| anyhow::anyhow!("--connection-file is required"))?;
    let info = connection::ConnectionInfo::read(Path::new(&connection_file))?;
    let workspace = workspace_arg(args).unwrap_or_else(source_workspace);
    let key = template::key(&workspace);
    let identity = standby::identity(&workspace, &key);
    if let Some(supervisor) = standby::adopt(&identity, Path::new(&connection_file)) {
        return supervisor.run();
    }
    let launch = Launch::new(&workspace, key.clone())?;
    let booted = launch.boot();
    standby::offer_from(&workspace, &key, identity);
    launch.serve(booted, info)
}

/// `rust-mstic seed-build-dir [--workspace W] DIR`: fills a cargo target folder from the warm
/// template (see `template::seed_build_dir`).
fn seed_build_dir(args: &[String]) -> anyhow::Result<()> {
    // The template key names the workspace by its absolute path, as kernel.json does.
    let workspace = std::path::absolute(workspace_arg(args).unwrap_or_else(source_workspace))?;
    let dest = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--workspace"))
        .map(|(_, a)| PathBuf::from(a))
        .last()
        .ok_or_else(|| anyhow::anyhow!("usage: rust-mstic seed-build-dir [--workspace DIR] TARGET_DIR"))?;
    let added = template::seed_build_dir(&workspace, &dest)?;
    println!("Seeded {} with {added} files from the warm template", dest.display());
    Ok(())
}

fn run_standby(args: &[String]) -> anyhow::Result<()> {
    if args.iter().any(|a| a == "--stop") {
        println!("stopped {} standby engine(s)", standby::stop_all());
        return Ok(());
    }
    standby::run(&workspace_arg(args).unwrap_or_else(source_workspace))
}

/// What every kernel process sets up before it serves: a private scratch directory, the
/// variables evcxr and the cell process read, the progress tap and the tokio runtime.
pub struct Launch {
    /// This process's evcxr scratch directory.
    pub scratch: PathBuf,
    workspace: PathBuf,
    /// The template key of `workspace` (see `template::key`).
    key: String,
    progress: progress::Progress,
    /// The socket cell processes use for comms, until the engine boots.
    comm_listener: std::sync::Mutex<Option<comms::Listener>>,
    runtime: tokio::runtime::Runtime,
}

impl Launch {
    /// Prepares the process; call before any other thread starts.
    pub fn new(workspace: &Path, key: String) -> anyhow::Result<Launch> {
        memory::limit_arenas();
        let scratch = template::kernel_dir_path()?;
        template::set_runtime_library_path();
        if cellbuild::install_shim() {
            analysis::install();
        }
        let comm_listener = comms::Listener::bind()
            .inspect_err(|e| eprintln!("rust-mstic: comms and widgets are unavailable: {e:#}"))
            .ok();
        // SAFETY: no other thread exists yet; evcxr and its child read these.
        unsafe {
            std::env::set_var("EVCXR_TMPDIR", &scratch);
            std::env::set_var("MSTIC_KERNEL", "1");
            match &comm_listener {
                Some(listener) => std::env::set_var(comms::SOCKET_VARIABLE, listener.path()),
                None => std::env::remove_var(comms::SOCKET_VARIABLE),
            }
        }
        let progress = progress::Progress::default();
        progress.tap_stderr();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let comm_listener = std::sync::Mutex::new(comm_listener);
        Ok(Launch { scratch, workspace: workspace.to_path_buf(), key, progress, comm_listener, runtime })
    }

    /// Starts the engine: fills the scratch directory, starts evcxr and loads the crates.
    pub fn boot(&self) -> server::Booted {
        let (dir, ws, key) = (self.scratch.clone(), self.workspace.clone(), self.key.clone());
        let prepare: engine::Prepare = Box::new(move || template::populate_kernel_dir(&dir, &ws, &key));
        let preload = engine::Preload {
            code: template::preload(&self.workspace),
            widen: support::widen_command(&template::facade(&self.workspace)),
            sources: self.workspace.join("crates"),
        };
        let comm_listener = self.comm_listener.lock().unwrap_or_else(|e| e.into_inner()).take();
        server::boot(self.progress.clone(), preload, prepare, comm_listener)
    }

    /// Serves `info`'s connection until a shutdown request.
    pub fn serve(self, booted: server::Booted, info: connection::ConnectionInfo) -> anyhow::Result<()> {
        let cleanup_dir = self.scratch.clone();
        let on_shutdown: Box<dyn Fn() + Send + Sync> = Box::new(move || {
            let _ = std::fs::remove_dir_all(&cleanup_dir);
            std::process::exit(0);
        });
        let result = self.runtime.block_on(server::serve(booted, info, on_shutdown));
        self.remove_scratch();
        result
    }

    /// Removes the scratch directory.
    pub fn remove_scratch(&self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}
