//! The warmed template: an evcxr scratch directory in which the preload (the `mstic` facade and
//! all its dependencies) has been compiled once. Keyed by what it was built from, kept in a cache
//! folder outside the clone, and copied into a private directory at each kernel start.

use crate::{errors, support};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Optimisation level of the scratch crate (dependencies included); `MSTIC_OPT_LEVEL` overrides.
pub fn opt_level() -> String {
    std::env::var("MSTIC_OPT_LEVEL").unwrap_or_else(|_| "1".into())
}

/// Lets the process that runs cells find the toolchain's `libstd-*.so`. Cell libraries carry a
/// relative rpath computed for cargo's `deps/` folder, which is wrong once the library is uplifted
/// one level up (it only resolves by accident for scratch folders just below `/tmp`).
pub fn set_runtime_library_path() {
    let sysroot = command_output("rustc", &["--print", "sysroot"]);
    let host = command_output("rustc", &["-vV"])
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .unwrap_or_default();
    if sysroot.is_empty() || host.is_empty() {
        return;
    }
    let lib = PathBuf::from(sysroot).join("lib").join("rustlib").join(host).join("lib");
    let mut paths = vec![lib];
    if let Some(existing) = std::env::var_os("LD_LIBRARY_PATH") {
        paths.extend(std::env::split_paths(&existing));
    }
    if let Ok(joined) = std::env::join_paths(paths) {
        // SAFETY: called before any other thread of this process starts.
        unsafe { std::env::set_var("LD_LIBRARY_PATH", joined) };
    }
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// `~/.cache/rust-mstic` (or `$XDG_CACHE_HOME/rust-mstic`).
pub fn cache_root() -> PathBuf {
    dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("rust-mstic")
}

/// The crate the preload loads as `mstic` inside an installed workspace copy: the facade built as
/// one shared library (`crates/mstic-dylib`).
pub fn facade(workspace: &Path) -> PathBuf {
    workspace.join("crates").join("mstic-dylib")
}

/// The preload cell for a workspace copy: the header (which brings the display shortcut into
/// scope with the prelude), the support code and the interrupt listener.
pub fn preload(workspace: &Path) -> String {
    format!(
        "{}{}\n{}\n{}",
        support::preload_header(&facade(workspace), &opt_level()),
        support::SUPPORT_CODE,
        support::INTERRUPT_SUPPORT,
        support::QUESTION_MARK_SUPPORT
    )
}

/// What a template holds besides the builds (changing it rebuilds templates): here, the fast-path
/// records of a kernel's boot (see [`record_kernel_boots`]).
const TEMPLATE_LAYOUT: &str = "layout 2: kernel boots recorded";

/// The template key: rustc, evcxr and kernel versions, linker on PATH, the preload text, the lock
/// file, every file of the workspace's crates and of its query library (`queries/`, compiled in),
/// except the sources a build writes into the copy.
pub fn key(workspace: &Path) -> String {
    let mut hash = Sha256::new();
    let rustc = std::process::Command::new("rustc").arg("-vV").output().map(|o| o.stdout).unwrap_or_default();
    hash.update(&rustc);
    hash.update(b"evcxr 0.22");
    hash.update(TEMPLATE_LAYOUT.as_bytes());
    hash.update(env!("CARGO_PKG_VERSION").as_bytes());
    for linker in ["mold", "ld.lld"] {
        hash.update(format!("{linker}={}", on_path(linker)).as_bytes());
    }
    hash.update(support::preload_header(&facade(workspace), &opt_level()).as_bytes());
    hash.update(TYPE_CHECK_WARMUP.as_bytes());
    hash.update(support::widen_command(&facade(workspace)).as_bytes());
    hash.update(std::fs::read(workspace.join("Cargo.lock")).unwrap_or_default());
    hash.update(std::fs::read(workspace.join("Cargo.toml")).unwrap_or_default());
    let mut files = Vec::new();
    collect_files(&workspace.join("crates"), &mut files);
    collect_files(&workspace.join("queries"), &mut files);
    // Files a build writes into the copy (generated sources) are outputs, not inputs.
    files.retain(|f| !crate::install::BUILD_WRITTEN.iter().any(|g| f.strip_prefix(workspace).is_ok_and(|rel| rel == Path::new(g))));
    files.sort();
    for file in files {
        hash.update(file.strip_prefix(workspace).unwrap_or(&file).to_string_lossy().as_bytes());
        hash.update(std::fs::read(&file).unwrap_or_default());
    }
    hex::encode(&hash.finalize()[..8])
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// A source of the workspace copy (`crates/`, `queries/`) modified after `marker` was written.
fn source_newer_than(workspace: &Path, marker: &Path) -> Option<PathBuf> {
    let written = marker.metadata().and_then(|m| m.modified()).ok()?;
    let mut files = Vec::new();
    collect_files(&workspace.join("crates"), &mut files);
    collect_files(&workspace.join("queries"), &mut files);
    files.into_iter().find(|f| f.metadata().and_then(|m| m.modified()).is_ok_and(|modified| modified > written))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                collect_files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// Where the template for `workspace` lives (ready when it contains `READY`).
pub fn template_dir(workspace: &Path) -> PathBuf {
    dir_for_key(&key(workspace))
}

/// Where the template of a known key lives (the key is costly: compute it once per process).
pub fn dir_for_key(key: &str) -> PathBuf {
    cache_root().join("templates").join(key)
}

/// Builds the template unless a ready one exists for the current key.
pub fn warm(workspace: &Path) -> anyhow::Result<PathBuf> {
    let dir = template_dir(workspace);
    let building = dir.with_extension("building");
    if dir.join("READY").exists() {
        let Some(newer) = source_newer_than(workspace, &dir.join("READY")) else {
            println!("Warm template up to date: {}", dir.display());
            return Ok(dir);
        };
        // A new copy of the same sources (a fresh install, e.g. from a new clone): cargo judges
        // path dependencies by file times, so every kernel would recompile the mstic crates in its
        // own copy of the template. Refresh the template once instead.
        println!(
            "Warm template {} predates {} (the same sources, copied again): refreshing it (the mstic crates recompile once)",
            dir.display(),
            newer.display()
        );
        let _ = std::fs::remove_dir_all(&building);
        std::fs::rename(&dir, &building)?;
        let _ = std::fs::remove_file(building.join("READY"));
    }
    if building.exists() {
        println!("Resuming the interrupted warm-up in {}", building.display());
    } else if let Some(previous) = newest_seed() {
        println!("Starting from the previous template {} (only changed crates recompile)", previous.display());
        copy_tree(&previous, &building)?;
        let _ = std::fs::remove_file(building.join("READY"));
        let _ = std::fs::remove_dir_all(previous.with_extension("building"));
        if previous.extension().is_some_and(|e| e == "building") {
            std::fs::remove_dir_all(&previous)?;
        }
    }
    std::fs::create_dir_all(&building)?;
    println!("Building the warm template in {} (compiles the mstic crates; from scratch this takes 10+ minutes)…", dir.display());
    let started = Instant::now();
    set_runtime_library_path();
    if crate::cellbuild::install_shim() {
        crate::analysis::install();
    }
    // SAFETY: set before evcxr starts any thread in this process.
    unsafe {
        std::env::set_var("EVCXR_TMPDIR", &building);
        std::env::set_var("MSTIC_KERNEL", "1");
    }
    let (mut ctx, outputs) = evcxr::CommandContext::new().map_err(|e| anyhow::anyhow!("evcxr could not start: {e}"))?;
    std::thread::spawn(move || for line in outputs.stdout.iter() { println!("{line}") });
    std::thread::spawn(move || {
        for line in outputs.stderr.iter().filter(|l| !l.starts_with("MSTIC_")) {
            eprintln!("{line}");
        }
    });
    let _ = std::fs::copy(workspace.join("Cargo.lock"), building.join("Cargo.lock"));
    ctx.execute(&preload(workspace)).map_err(|e| {
        anyhow::anyhow!("preloading mstic failed (the workspace copy in {} must compile):\n{}", workspace.display(), errors::describe(&e))
    })?;
    let after_preload = started.elapsed();
    // A cell that stores a variable and shows a value, as the first notebook cells do.
    ctx.execute("let mstic_warmup = 40u32;\nmstic_warmup + 2")
        .map_err(|e| anyhow::anyhow!("warm-up cell failed: {e}"))?;
    warm_type_checks(&mut ctx)?;
    // A cell after widening rust-analyzer's view restates the manifest (see `crate::analysis`):
    // record that build state too, for the fast path.
    ctx.execute(&format!("{}mstic_warmup + 3", support::widen_command(&facade(workspace))))
        .map_err(|e| anyhow::anyhow!("warm-up cell after widening failed: {e}"))?;
    drop(ctx);
    record_kernel_boots(workspace, &building)?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&building, &dir)?;
    std::fs::write(dir.join("READY"), format!("{}\n", key(workspace)))?;
    prune_templates(&dir);
    println!(
        "Warm template ready in {:.0} s (preload {:.0} s): {}",
        started.elapsed().as_secs_f64(),
        after_preload.as_secs_f64(),
        dir.display()
    );
    Ok(dir)
}

/// The cell that makes evcxr type-check instead of build: a variable whose type rust-analyzer
/// cannot infer (here a call to a missing function), as in a user's typo in `let x = …`.
const TYPE_CHECK_WARMUP: &str = "let mstic_check_warmup = mstic_warmup_missing_function();";

/// Boots evcxr again in the template until the boots repeat themselves, so the fast path
/// (`crate::cellbuild`) has records of the build states a kernel boot meets. A kernel's scratch
/// folder starts as a copy of the finished template, so evcxr's first build sees the template's
/// final `Cargo.lock`. Cargo rewrites the lock in each build and the fast path does not, so the lock
/// a boot ends with depends on how its builds went: a boot whose builds went to cargo leaves another
/// lock than one whose builds were fast (after a template refresh, the first boot's builds go to
/// cargo). Once a boot ends with the lock it started with, its states are the ones the next boot,
/// and so every kernel's, meets, and this boot recorded them.
///
/// `scratch` is the template being built (evcxr's folder).
fn record_kernel_boots(workspace: &Path, scratch: &Path) -> anyhow::Result<()> {
    const MOST_BOOTS: usize = 4;
    let started = Instant::now();
    let lock = || std::fs::read(scratch.join("Cargo.lock")).ok();
    let mut boots = 0;
    loop {
        let before = lock();
        let (mut ctx, _outputs) = evcxr::CommandContext::new().map_err(|e| anyhow::anyhow!("evcxr could not start again: {e}"))?;
        ctx.execute(&preload(workspace)).map_err(|e| anyhow::anyhow!("preloading mstic again failed: {}", errors::describe(&e)))?;
        boots += 1;
        if lock() == before || boots == MOST_BOOTS {
            break;
        }
    }
    println!("Kernel boots recorded in {:.0} s ({boots} boots)", started.elapsed().as_secs_f64());
    Ok(())
}

/// Runs [`TYPE_CHECK_WARMUP`] so the template also holds `cargo check` results for every crate.
/// evcxr runs `cargo check` when it cannot infer a new variable's type; without these results the
/// first such cell of every kernel would check all ~250 dependencies (minutes on two cores).
fn warm_type_checks(ctx: &mut evcxr::CommandContext) -> anyhow::Result<()> {
    println!("Type-checking the crates once, for cells whose variable types need a check…");
    let started = Instant::now();
    match ctx.execute(TYPE_CHECK_WARMUP) {
        Err(evcxr::Error::CompilationErrors(errors)) if errors.iter().any(|e| e.message().contains("mstic_warmup_missing_function")) => {
            println!("Type checks ready in {:.0} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Err(other) => Err(anyhow::anyhow!("the type-check warm-up failed unexpectedly:\n{}", errors::describe(&other))),
        Ok(_) => Err(anyhow::anyhow!("the type-check warm-up cell compiled, but it calls a missing function")),
    }
}

/// The private scratch directory of this kernel process (created by [`populate_kernel_dir`]).
pub fn kernel_dir_path() -> anyhow::Result<PathBuf> {
    let kernels = cache_root().join("kernels");
    std::fs::create_dir_all(&kernels)?;
    remove_stale(&kernels);
    Ok(kernels.join(format!("{}-{}", std::process::id(), &uuid::Uuid::new_v4().to_string()[..8])))
}

/// Fills this kernel's scratch directory: a copy of the ready template if there is one (else the
/// newest older template, else empty: the first cell then compiles everything, with progress shown
/// in the notebook). Runs on the engine thread so `kernel_info` is answered meanwhile.
pub fn populate_kernel_dir(dir: &Path, workspace: &Path, key: &str) -> anyhow::Result<()> {
    let exact = dir_for_key(key);
    let template = if exact.join("READY").exists() { Some(exact.clone()) } else { newest_template() };
    match template {
        Some(template) => {
            if template != exact {
                eprintln!(
                    "rust-mstic: no template for these sources ({}); starting from {} — changed crates compile \
                     in the first cell (run `rust-mstic install` to refresh the template)",
                    exact.display(),
                    template.display()
                );
            }
            copy_tree(&template, dir)?;
            let _ = std::fs::remove_file(dir.join("READY"));
        }
        None => {
            eprintln!(
                "rust-mstic: no warm template at {} (run `rust-mstic install`); the first cell compiles the crates",
                exact.display()
            );
            std::fs::create_dir_all(dir)?;
        }
    }
    if !dir.join("Cargo.lock").exists() {
        let _ = std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock"));
    }
    Ok(())
}

/// Fills `to` from the template `from` in well under a second: compiled dependencies are hard
/// links (cargo never rewrites a built dependency in place: a changed one gets a new file), while
/// what cargo and evcxr rewrite in place (fingerprints, dep-info files, the scratch crate's own
/// sources and outputs) is copied with its file time kept, which cargo's freshness checks need.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    mirror(from, to, &mut |entry, target, relative| {
        let name = entry.file_name();
        if name == "READY" || name == crate::cellbuild::TIMING_FILE || name.to_string_lossy().starts_with("libcode_") {
            return Ok(());
        }
        place(entry, target, relative)
    })
    .map_err(|e| anyhow::anyhow!("copying {} to {} failed: {e}", from.display(), to.display()))
}

/// Walks the files below `from`, creating the same folders below `to` and recreating symbolic
/// links; `file` places each regular file (its entry, target path and path relative to `from`).
fn mirror(from: &Path, to: &Path, file: &mut dyn FnMut(&std::fs::DirEntry, &Path, &Path) -> std::io::Result<()>) -> std::io::Result<()> {
    fn walk(from: &Path, to: &Path, relative: &Path, file: &mut dyn FnMut(&std::fs::DirEntry, &Path, &Path) -> std::io::Result<()>) -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let name = entry.file_name();
            let (target, rel) = (to.join(&name), relative.join(&name));
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(&entry.path(), &target, &rel, file)?;
            } else if kind.is_symlink() {
                if target.symlink_metadata().is_err() {
                    std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
                }
            } else {
                file(&entry, &target, &rel)?;
            }
        }
        Ok(())
    }
    walk(from, to, Path::new(""), file)
}

/// Places one template file at `target`: a hard link for a shared build artifact, else a copy
/// that keeps the file time.
fn place(entry: &std::fs::DirEntry, target: &Path, relative: &Path) -> std::io::Result<()> {
    if !shared_artifact(relative) || std::fs::hard_link(entry.path(), target).is_err() {
        std::fs::copy(entry.path(), target)?;
        let modified = entry.metadata()?.modified()?;
        std::fs::File::options().write(true).open(target)?.set_modified(modified)?;
    }
    Ok(())
}

/// Fills the cargo target folder `dest` with the ready template's compiled dependencies (hard
/// links for artifacts, copies for what cargo rewrites), so that `cargo test` of the workspace —
/// built with the same profile, flags and target as the template (see `scripts/test.sh`) — reuses
/// them instead of compiling DataFusion and the rest a second time. Files already in `dest` are
/// left alone. Returns how many files were added.
pub fn seed_build_dir(workspace: &Path, dest: &Path) -> anyhow::Result<usize> {
    let template = template_dir(workspace);
    if !template.join("READY").exists() {
        anyhow::bail!("no ready warm template at {} (run `rust-mstic install` first)", template.display());
    }
    let mut added = 0;
    mirror(&template.join("target"), dest, &mut |entry, target, relative| {
        if target.symlink_metadata().is_ok() || is_scratch_output(relative) {
            return Ok(());
        }
        added += 1;
        place(entry, target, relative)
    })
    .map_err(|e| anyhow::anyhow!("seeding {} from {} failed: {e}", dest.display(), template.display()))?;
    Ok(added)
}

/// Outputs of the evcxr scratch crate itself (cells), which a workspace build has no use for.
fn is_scratch_output(relative: &Path) -> bool {
    let name = relative.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let build_records = relative.components().any(|c| c.as_os_str().to_string_lossy().starts_with("mstic-cell-build"));
    build_records || name.starts_with("libcode_") || name.starts_with("libctx") || name.starts_with("ctx-") || name.starts_with("ctx.")
}

/// Whether a template file is a built dependency artifact that kernels can share (a hard link):
/// under `deps/` or `incremental/`, or a shared library cargo placed beside them (the facade's
/// `libmstic.so`), not a dep-info file, not the scratch crate `ctx`. Build-script outputs
/// (`build/`, small) are copied: a re-run build script rewrites them in place.
fn shared_artifact(relative: &Path) -> bool {
    let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let uplifted_library = parts.len() >= 2
        && parts[parts.len() - 2] == "debug"
        && parts.last().is_some_and(|n| n.starts_with("lib") && n.ends_with(".so"));
    let in_artifacts = (uplifted_library || parts.iter().any(|p| p == "deps" || p == "incremental"))
        && !parts.iter().any(|p| p == "build");
    let scratch_crate = parts.iter().any(|p| p == "ctx.d" || p.starts_with("libctx") || p.starts_with("ctx-"));
    let dep_info = parts.last().is_some_and(|n| n.ends_with(".d"));
    in_artifacts && !scratch_crate && !dep_info
}

/// Removes older templates (each holds gigabytes), keeping `current` and the newest other ready
/// one. Running kernels are unaffected: their scratch directories are copies and hard links.
fn prune_templates(current: &Path) {
    let Ok(entries) = std::fs::read_dir(cache_root().join("templates")) else { return };
    let mut others: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p != current)
        .map(|p| (p.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), p))
        .collect();
    others.sort();
    let keep = others.iter().rev().find(|(_, p)| p.join("READY").exists()).map(|(_, p)| p.clone());
    for (_, path) in others {
        if Some(&path) != keep.as_ref() {
            println!("Removing the old template {}", path.display());
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// The most recently finished template, if any.
fn newest_template() -> Option<PathBuf> {
    newest(|p| p.join("READY").exists())
}

/// The newest template folder, finished or not (an interrupted or failed warm-up still holds
/// compiled dependencies worth starting from).
fn newest_seed() -> Option<PathBuf> {
    newest_template().or_else(|| newest(|p| p.join("target").is_dir()))
}

fn newest(filter: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let entries = std::fs::read_dir(cache_root().join("templates")).ok()?;
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| filter(p))
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}

/// Removes per-kernel directories whose kernel process is gone.
fn remove_stale(kernels: &Path) {
    let Ok(entries) = std::fs::read_dir(kernels) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mstic-template-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("crates/mstic/src")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[workspace]\nmembers = [\"crates/*\"]\n").unwrap();
        std::fs::write(dir.join("Cargo.lock"), "version = 4\n").unwrap();
        std::fs::write(dir.join("crates/mstic/src/lib.rs"), "pub fn a() {}\n").unwrap();
        dir
    }

    #[test]
    fn key_changes_with_sources_and_lock_but_not_with_target_dirs() {
        let ws = workspace();
        let first = key(&ws);
        assert_eq!(first, key(&ws));
        std::fs::create_dir_all(ws.join("crates/mstic/target")).unwrap();
        std::fs::write(ws.join("crates/mstic/target/junk"), "x").unwrap();
        assert_eq!(first, key(&ws), "build output must not change the key");
        std::fs::write(ws.join("crates/mstic/src/lib.rs"), "pub fn b() {}\n").unwrap();
        let second = key(&ws);
        assert_ne!(first, second);
        std::fs::write(ws.join("Cargo.lock"), "version = 4\n# changed\n").unwrap();
        let third = key(&ws);
        assert_ne!(second, third);
        std::fs::create_dir_all(ws.join("queries/mssentinel")).unwrap();
        std::fs::write(ws.join("queries/mssentinel/a.yaml"), "metadata: {}\n").unwrap();
        let fourth = key(&ws);
        assert_ne!(third, fourth, "the query library is compiled in");
        for generated in crate::install::BUILD_WRITTEN {
            let path = ws.join(generated);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "// written by a build").unwrap();
        }
        assert_eq!(fourth, key(&ws), "sources a build writes do not change the key");
        std::fs::remove_dir_all(ws).unwrap();
    }

    #[test]
    fn preload_loads_the_facade_offline_with_its_prelude() {
        let ws = workspace();
        let code = preload(&ws);
        assert!(code.starts_with(":offline 1\n"));
        let dep = format!(":dep mstic = {{ path = {:?}, package = \"mstic-dylib\" }}", facade(&ws).display().to_string());
        assert!(code.contains(&dep), "{code}");
        assert!(code.contains("use mstic::prelude::*;"));
        std::fs::remove_dir_all(ws).unwrap();
    }
}

#[cfg(test)]
mod copy_tests {
    use super::*;

    #[test]
    fn built_dependencies_are_shared_and_rewritten_files_copied() {
        let shared = |p: &str| shared_artifact(Path::new(p));
        assert!(shared("target/x86_64-unknown-linux-gnu/debug/deps/libdatafusion-1a2b.rlib"));
        assert!(shared("target/x86_64-unknown-linux-gnu/debug/incremental/mstic_core-0x/s-1/query-cache.bin"));
        assert!(!shared("target/x86_64-unknown-linux-gnu/debug/deps/datafusion-1a2b.d"));
        assert!(shared("target/x86_64-unknown-linux-gnu/debug/libmstic.so"));
        assert!(!shared("target/x86_64-unknown-linux-gnu/debug/deps/libctx-9f.so"));
        assert!(!shared("target/x86_64-unknown-linux-gnu/debug/libctx.so"));
        assert!(!shared("target/x86_64-unknown-linux-gnu/debug/incremental/ctx-3ik/s-1/dep-graph.bin"));
        assert!(!shared("target/debug/build/ring-77/output"));
        assert!(!shared("target/x86_64-unknown-linux-gnu/debug/.fingerprint/serde-1/lib-serde"));
        assert!(!shared("src/lib.rs"));
    }

    #[test]
    fn a_template_older_than_a_copied_source_is_found_stale() {
        let root = std::env::temp_dir().join(format!("mstic-stale-{}", uuid::Uuid::new_v4()));
        let source = root.join("crates/mstic-core/src/lib.rs");
        std::fs::create_dir_all(source.parent().unwrap()).unwrap();
        std::fs::write(&source, "pub fn a() {}").unwrap();
        let marker = root.join("READY");
        std::fs::write(&marker, "").unwrap();
        let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options().write(true).open(&source).unwrap().set_modified(earlier).unwrap();
        assert_eq!(source_newer_than(&root, &marker), None);
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
        std::fs::File::options().write(true).open(&source).unwrap().set_modified(later).unwrap();
        assert_eq!(source_newer_than(&root, &marker), Some(source));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn copies_keep_file_times_and_links_share_contents() {
        let root = std::env::temp_dir().join(format!("mstic-copy-{}", uuid::Uuid::new_v4()));
        let (from, to) = (root.join("template"), root.join("kernel"));
        let deps = from.join("target/debug/deps");
        std::fs::create_dir_all(&deps).unwrap();
        std::fs::write(deps.join("libserde-1.rlib"), "rlib").unwrap();
        std::fs::write(deps.join("serde-1.d"), "dep-info").unwrap();
        std::fs::write(from.join("READY"), "key").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        std::fs::File::options().write(true).open(deps.join("serde-1.d")).unwrap().set_modified(old).unwrap();
        copy_tree(&from, &to).unwrap();
        let copied = to.join("target/debug/deps");
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(copied.join("libserde-1.rlib")).unwrap().ino(), std::fs::metadata(deps.join("libserde-1.rlib")).unwrap().ino());
        let dep_info = std::fs::metadata(copied.join("serde-1.d")).unwrap();
        assert_ne!(dep_info.ino(), std::fs::metadata(deps.join("serde-1.d")).unwrap().ino());
        assert_eq!(dep_info.modified().unwrap(), old);
        assert!(!to.join("READY").exists());
        std::fs::remove_dir_all(root).unwrap();
    }
}
