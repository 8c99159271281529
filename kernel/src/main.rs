//! `rust-mstic`: the Rust MSTIC Jupyter kernel. Every cell is Rust, compiled and run by an embedded
//! evcxr with the `mstic` investigation crates preloaded (`use mstic::prelude::*;`).
//!
//! Commands: `rust-mstic kernel --connection-file F --workspace W` (started by Jupyter),
//! `rust-mstic install [--user | --sys-prefix | --prefix DIR] [--workspace W] [--no-warm]`,
//! `rust-mstic uninstall [--user | --sys-prefix | --prefix DIR]`, `rust-mstic warm --workspace W`.

mod connection;
mod engine;
mod errors;
mod history;
mod install;
mod interrupt;
mod iopub;
mod is_complete;
mod output;
mod progress;
mod relay;
mod server;
mod stdin;
mod support;
mod template;
mod timing;
mod wire;

use std::path::PathBuf;

fn main() {
    // evcxr re-runs this binary as the process that runs cells; give it our stdio relay first.
    relay::install_if_runtime_child();
    evcxr::runtime_hook();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("kernel") => run_kernel(&args[1..]),
        Some("install") => install::install(&args[1..], &workspace_arg(&args).unwrap_or_else(source_workspace)),
        Some("uninstall") => install::uninstall(&args[1..]),
        Some("warm") => template::warm(&workspace_arg(&args).unwrap_or_else(source_workspace)).map(|_| ()),
        Some("--version") => {
            println!("rust-mstic {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: rust-mstic install [--user | --sys-prefix | --prefix DIR] [--workspace DIR] [--no-warm]\n       \
                 rust-mstic uninstall [--user | --sys-prefix | --prefix DIR]\n       \
                 rust-mstic kernel --connection-file FILE --workspace DIR"
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
    let info = connection::ConnectionInfo::read(std::path::Path::new(&connection_file))?;
    let workspace = workspace_arg(args).unwrap_or_else(source_workspace);
    let scratch = template::kernel_dir_path()?;
    template::set_runtime_library_path();
    // SAFETY: no other thread exists yet; evcxr and its child read these.
    unsafe {
        std::env::set_var("EVCXR_TMPDIR", &scratch);
        std::env::set_var("MSTIC_KERNEL", "1");
    }
    let progress = progress::Progress::default();
    progress.tap_stderr();
    let preload = template::preload(&workspace);
    let (dir, ws) = (scratch.clone(), workspace.clone());
    let prepare: Box<dyn FnOnce() -> anyhow::Result<()> + Send> =
        Box::new(move || template::populate_kernel_dir(&dir, &ws));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let cleanup_dir = scratch.clone();
    let on_shutdown: Box<dyn Fn() + Send + Sync> = Box::new(move || {
        let _ = std::fs::remove_dir_all(&cleanup_dir);
        std::process::exit(0);
    });
    let result = runtime.block_on(server::serve(info, progress, preload, prepare, on_shutdown));
    let _ = std::fs::remove_dir_all(&scratch);
    result
}
