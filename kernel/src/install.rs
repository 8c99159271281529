//! `rust-mstic install` / `uninstall`: writes the `rust-mstic` kernelspec, copies the kernel binary
//! and what the preload needs (the workspace's `crates/`, the shipped query library `queries/` that
//! the crates compile in, a trimmed workspace manifest, the lock file) into the kernelspec folder so the kernel keeps working when the clone moves, and warms the
//! template.

use crate::template;
use std::path::{Path, PathBuf};

/// The kernelspec name.
pub const KERNEL_NAME: &str = "rust-mstic";
const KERNEL_JSON: &str = include_str!("../../kernelspec/kernel.json");
const LOGO_32: &[u8] = include_bytes!("../../kernelspec/logo-32x32.png");
const LOGO_64: &[u8] = include_bytes!("../../kernelspec/logo-64x64.png");
const LOGO_SVG: &[u8] = include_bytes!("../../kernelspec/logo-svg.svg");

/// Where a kernelspec goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// `~/.local/share/jupyter` (or `$JUPYTER_DATA_DIR`).
    User,
    /// The active Python environment (`$VIRTUAL_ENV`, else `python3`'s `sys.prefix`).
    SysPrefix,
    /// `DIR/share/jupyter`.
    Prefix(PathBuf),
}

impl Target {
    /// Parses `--user`, `--sys-prefix` or `--prefix DIR` from the arguments.
    pub fn from_args(args: &[String]) -> anyhow::Result<Self> {
        let mut target = Target::User;
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "--user" => target = Target::User,
                "--sys-prefix" => target = Target::SysPrefix,
                "--prefix" => {
                    let dir = args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--prefix needs a directory"))?;
                    target = Target::Prefix(PathBuf::from(dir));
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
        Ok(target)
    }

    /// The `kernels/rust-mstic` folder for this target.
    pub fn kernel_dir(&self) -> anyhow::Result<PathBuf> {
        let data = match self {
            Target::User => match std::env::var_os("JUPYTER_DATA_DIR") {
                Some(dir) => PathBuf::from(dir),
                None => dirs::data_dir().ok_or_else(|| anyhow::anyhow!("no user data folder"))?.join("jupyter"),
            },
            Target::SysPrefix => sys_prefix()?.join("share").join("jupyter"),
            Target::Prefix(dir) => std::path::absolute(dir)?.join("share").join("jupyter"),
        };
        Ok(data.join("kernels").join(KERNEL_NAME))
    }
}

fn sys_prefix() -> anyhow::Result<PathBuf> {
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        return Ok(PathBuf::from(venv));
    }
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .map_err(|e| anyhow::anyhow!("--sys-prefix needs python3 on PATH: {e}"))?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Installs the kernelspec, the binary and the workspace copy, then warms the template.
pub fn install(args: &[String], source_workspace: &Path) -> anyhow::Result<()> {
    let target = Target::from_args(args)?;
    let dir = target.kernel_dir()?;
    let started = std::time::Instant::now();
    // Standby engines of the previous install would serve old code: end them.
    crate::standby::stop_all();
    std::fs::create_dir_all(dir.join("bin"))?;
    let binary = dir.join("bin").join(KERNEL_NAME);
    let current = std::env::current_exe()?;
    if current != binary {
        // Replace rather than overwrite: a running kernel may be executing the old file.
        let staging = binary.with_extension("new");
        std::fs::copy(&current, &staging)?;
        std::fs::rename(&staging, &binary)?;
    }
    let workspace = dir.join("workspace");
    copy_workspace(source_workspace, &workspace)?;
    let json = KERNEL_JSON
        .replace("@KERNEL_BINARY@", &binary.to_string_lossy())
        .replace("@WORKSPACE@", &workspace.to_string_lossy());
    std::fs::write(dir.join("kernel.json"), json)?;
    std::fs::write(dir.join("logo-32x32.png"), LOGO_32)?;
    std::fs::write(dir.join("logo-64x64.png"), LOGO_64)?;
    std::fs::write(dir.join("logo-svg.svg"), LOGO_SVG)?;
    println!("Installed kernelspec {KERNEL_NAME} (\"Rust MSTIC\") in {}", dir.display());
    fetch_dependencies(source_workspace);
    if args.iter().any(|a| a == "--no-warm") {
        println!("Skipping the warm template (--no-warm).");
    } else {
        template::warm(&workspace)?;
        if !args.iter().any(|a| a == "--no-standby") {
            match crate::standby::spawn(&binary, &workspace) {
                Ok(pid) => println!(
                    "Started standby engine {pid}: the next kernel start adopts it warm (it exits after 30 idle minutes; MSTIC_STANDBY=0 turns standbys off)."
                ),
                Err(e) => println!("No standby engine: {e:#}"),
            }
        }
    }
    println!("Install finished in {:.0} s.", started.elapsed().as_secs_f64());
    Ok(())
}

/// Removes the kernelspec (and its workspace copy) for the chosen target.
pub fn uninstall(args: &[String]) -> anyhow::Result<()> {
    let dir = Target::from_args(args)?.kernel_dir()?;
    crate::standby::stop_all();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
        println!("Removed {}", dir.display());
    } else {
        println!("No kernelspec at {}", dir.display());
    }
    Ok(())
}

/// Copies `crates/`, `queries/` (compiled into the crates by their build scripts), `Cargo.lock`
/// and a manifest whose members are only `crates/*`. Sources a build script writes
/// ([`BUILD_WRITTEN`]) are copied as the source's build left them: a template seeded from an
/// earlier one does not run that build script again while the query library is unchanged, so the
/// copy must already hold them (a changed library reruns the script, which rewrites them).
fn copy_workspace(source: &Path, dest: &Path) -> anyhow::Result<()> {
    let manifest = source.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| anyhow::anyhow!("cannot read the workspace manifest {}: {e}", manifest.display()))?;
    let trimmed: String = text
        .lines()
        .map(|line| if line.trim_start().starts_with("members") { "members = [\"crates/*\"]" } else { line })
        .collect::<Vec<_>>()
        .join("\n");
    let staging = dest.with_extension("new");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    std::fs::write(staging.join("Cargo.toml"), trimmed + "\n")?;
    std::fs::copy(source.join("Cargo.lock"), staging.join("Cargo.lock"))?;
    for folder in ["crates", "queries"] {
        let status = std::process::Command::new("cp").arg("-a").arg(source.join(folder)).arg(&staging).status()?;
        if !status.success() {
            anyhow::bail!("copying {} failed", source.join(folder).display());
        }
    }
    if dest.exists() && same_tree(&staging, dest) {
        // Identical sources: keep the old copy so file times (and cargo fingerprints) do not change,
        // adding build-written sources it lacks.
        for generated in BUILD_WRITTEN {
            if !dest.join(generated).exists() && staging.join(generated).exists() {
                std::fs::rename(staging.join(generated), dest.join(generated))?;
            }
        }
        std::fs::remove_dir_all(&staging)?;
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(dest);
    std::fs::rename(&staging, dest)?;
    Ok(())
}

/// Source files a build script writes (the typed query calls): copied, but not compared when
/// deciding whether the copy changed. A key over the copy's sources must skip them
/// too, or the first build (which writes them) changes the key it was built for.
pub(crate) const BUILD_WRITTEN: &[&str] = &["crates/mstic-queries/src/generated.rs"];

fn same_tree(a: &Path, b: &Path) -> bool {
    let list = |root: &Path| {
        let mut files = Vec::new();
        walk(root, root, &mut files);
        files.retain(|(path, _)| !BUILD_WRITTEN.iter().any(|g| path == Path::new(g)));
        files.sort();
        files
    };
    let (fa, fb) = (list(a), list(b));
    fa.iter().map(|(p, _)| p).eq(fb.iter().map(|(p, _)| p)) && fa.iter().zip(&fb).all(|((_, x), (_, y))| x == y)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            out.push((rel, std::fs::read(&path).unwrap_or_default()));
        }
    }
}

/// Downloads the workspace's dependencies so the offline preload finds them (best effort). Runs on
/// the source workspace, whose lock file matches its members, so nothing is rewritten.
fn fetch_dependencies(workspace: &Path) {
    let status = std::process::Command::new("cargo")
        .args(["fetch", "--quiet"])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("note: `cargo fetch` for {} did not succeed; the preload runs offline", workspace.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_copy_keeps_only_library_crates_as_members() {
        let root = std::env::temp_dir().join(format!("mstic-install-{}", uuid::Uuid::new_v4()));
        let source = root.join("src");
        std::fs::create_dir_all(source.join("crates/mstic/src")).unwrap();
        std::fs::write(source.join("Cargo.toml"), "[workspace]\nmembers = [\"kernel\", \"crates/*\"]\n").unwrap();
        std::fs::write(source.join("Cargo.lock"), "version = 4\n").unwrap();
        std::fs::write(source.join("crates/mstic/src/lib.rs"), "pub fn a() {}\n").unwrap();
        std::fs::create_dir_all(source.join("queries/mssentinel")).unwrap();
        std::fs::write(source.join("queries/mssentinel/logons.yaml"), "metadata: {}\n").unwrap();
        std::fs::create_dir_all(source.join("crates/mstic-queries/src")).unwrap();
        std::fs::write(source.join("crates/mstic-queries/src/generated.rs"), "// built in the source\n").unwrap();
        let dest = root.join("copy");
        copy_workspace(&source, &dest).unwrap();
        // Typed query calls come as the source's build wrote them, and are not compared.
        assert_eq!(std::fs::read_to_string(dest.join("crates/mstic-queries/src/generated.rs")).unwrap(), "// built in the source\n");
        std::fs::write(dest.join("crates/mstic-queries/src/generated.rs"), "// built in the copy\n").unwrap();
        let manifest = std::fs::read_to_string(dest.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("members = [\"crates/*\"]") && !manifest.contains("kernel"));
        assert_eq!(std::fs::read_to_string(dest.join("crates/mstic/src/lib.rs")).unwrap(), "pub fn a() {}\n");
        assert_eq!(std::fs::read_to_string(dest.join("queries/mssentinel/logons.yaml")).unwrap(), "metadata: {}\n");
        // An identical second copy leaves the first in place (file times stay for cargo).
        let modified = |path: &str| dest.join(path).metadata().unwrap().modified().unwrap();
        let before = (modified("crates/mstic/src/lib.rs"), modified("queries/mssentinel/logons.yaml"));
        copy_workspace(&source, &dest).unwrap();
        assert_eq!((modified("crates/mstic/src/lib.rs"), modified("queries/mssentinel/logons.yaml")), before);
        assert_eq!(std::fs::read_to_string(dest.join("crates/mstic-queries/src/generated.rs")).unwrap(), "// built in the copy\n");
        // A copy that lost them gets the source's again.
        std::fs::remove_file(dest.join("crates/mstic-queries/src/generated.rs")).unwrap();
        copy_workspace(&source, &dest).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("crates/mstic-queries/src/generated.rs")).unwrap(), "// built in the source\n");
        // A changed query file is a changed source: the copy is replaced.
        std::fs::write(source.join("queries/mssentinel/logons.yaml"), "metadata: {version: 1}\n").unwrap();
        copy_workspace(&source, &dest).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("queries/mssentinel/logons.yaml")).unwrap(), "metadata: {version: 1}\n");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn install_targets_resolve_to_kernel_folders() {
        let args: Vec<String> = ["--prefix", "/opt/env"].iter().map(|s| s.to_string()).collect();
        let dir = Target::from_args(&args).unwrap().kernel_dir().unwrap();
        assert_eq!(dir, PathBuf::from("/opt/env/share/jupyter/kernels/rust-mstic"));
        assert!(Target::from_args(&["--prefix".to_string()]).is_err());
    }
}
