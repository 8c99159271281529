//! What rust-analyzer is shown. evcxr asks its in-process rust-analyzer for the type of every new
//! top-level variable, and before the first answer rust-analyzer reads every source file of every
//! package in the scratch crate's dependency graph and builds the name tables of the crates it
//! reaches: with the `mstic` crates about 250 packages, 30 s of a cold start and 1 GB of the
//! kernel's memory. Most of those packages never appear in a type a notebook can hold — TLS,
//! compression, tracing, HTTP internals, platform bindings, proc-macro crates.
//!
//! rust-analyzer learns the graph from `cargo metadata`, which it runs as `$CARGO_HOME/bin/cargo`.
//! [`install`] points this process's `CARGO_HOME` at a folder whose `bin/cargo` is this binary; as
//! that program ([`run_cargo`]) it runs the real cargo with the real `CARGO_HOME` and, for the
//! metadata of evcxr's scratch crate, leaves out the packages in [`INTERNAL_ONLY`] that are only
//! reached through the `mstic` crates ([`prune`]). Builds never see the stand-in: the build shim
//! (`cellbuild`) and the cell process restore the real `CARGO_HOME` ([`restore_real_environment`]).
//!
//! A type from a left-out package cannot be inferred: evcxr then asks for an explicit type on the
//! `let`. `MSTIC_ANALYSIS=full` shows rust-analyzer the whole graph, as does `MSTIC_FAST_BUILD=0`
//! (without the build shim, builds would not get the real `CARGO_HOME` back).
//!
//! Even pruned, loading the view costs seconds (the standard library alone about 3 s), and evcxr
//! analyses every cell, the boot's included. So an engine starts with a *lean* view — the scratch
//! crate alone, with an empty `core` in place of the standard library's sources — in which
//! rust-analyzer answers at once and knows only the types written on a `let`; the compiler names
//! the others (`crate::type_probe`). [`widen`] turns it into the pruned view; the engine does that
//! when a completion or hover asks for it, or when a cell's variable types cannot be found
//! otherwise, and a standby engine before it is adopted (see `widen_analysis` in `engine.rs`).
//! rust-analyzer finds the standard library's sources through `RUST_SRC_PATH`, which [`install`]
//! points at a per-process link: to the lean folder, then to the real sources.

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Holds the real `CARGO_HOME` while the stand-in is installed (empty: it was unset).
const REAL_HOME_ENV: &str = "MSTIC_REAL_CARGO_HOME";
/// `MSTIC_ANALYSIS=full` turns the pruning off.
const SWITCH_ENV: &str = "MSTIC_ANALYSIS";
/// Where rust-analyzer looks for the standard library's sources.
const SOURCES_ENV: &str = "RUST_SRC_PATH";
/// Holds the user's `RUST_SRC_PATH` while the kernel's link is in place (empty: it was unset).
const REAL_SOURCES_ENV: &str = "MSTIC_REAL_RUST_SRC_PATH";
/// The lean view's stand-in for the standard library's sources, beside the link.
const LEAN_SOURCES: &str = "lean-std";
/// evcxr's scratch crate, whose metadata is pruned.
const SCRATCH_PACKAGE: &str = "ctx";

/// Packages left out of rust-analyzer's graph unless the scratch crate depends on them directly
/// (a user's `:dep`). A name ending in `*` is a prefix; one starting with `*` a suffix. These are
/// implementation crates: no type of the `mstic` API, nor of the crates it re-exports (arrow,
/// chrono, datafusion, serde_json), is defined in them.
pub const INTERNAL_ONLY: &[&str] = &[
    // Platform bindings.
    "*-sys", "libc", "rustix", "linux-raw-sys", "nix", "errno", "windows*", "web-sys", "js-sys", "wasm-bindgen*", "wasi*",
    "jni*", "libloading",
    // TLS and cryptography.
    "aws-lc*", "ring", "rustls*", "webpki*", "openssl*", "native-tls", "sha1*", "sha2", "md-5", "md5", "digest", "hmac",
    "crypto-common", "block-buffer", "generic-array", "typenum", "subtle", "zeroize*", "cpufeatures", "untrusted",
    // HTTP and network internals (drivers return our own types).
    "hyper*", "h2", "h3*", "quinn*", "tower*", "http-body*", "mio", "socket2", "tokio-rustls", "hickory*",
    "ureq*", "rustls-native-certs", "ipnet", "iri-string",
    // Logging internals.
    "tracing*",
    // Compression and file-format internals.
    "brotli*", "zstd*", "lz4*", "snap", "flate2", "miniz_oxide", "adler*", "crc32fast", "crc", "bzip2*", "xz*", "lzma*",
    "zip", "tar", "parquet", "thrift", "integer-encoding", "ordered-float",
    // Unicode tables and their data crates.
    "icu_*", "zerovec*", "zerofrom*", "yoke*", "tinystr", "litemap", "writeable", "potential_utf", "unicode-*",
    "idna*", "utf8_iter", "form_urlencoded", "percent-encoding",
    // Code generation (rust-analyzer does not expand proc macros here) and build helpers.
    "syn", "quote", "proc-macro2", "*-derive", "*_derive", "*-impl", "*_impl", "*-macros", "*_macros", "cc", "pkg-config",
    "autocfg", "version_check", "rustc_version", "semver", "shlex", "find-msvc-tools", "jobserver",
    // Large internal data and algorithm crates.
    "chrono-tz", "phf*", "psl", "regex-automata", "regex-syntax", "aho-corasick", "memchr", "zerocopy*", "lexical*",
    "rustfft", "realfft", "primal*", "transpose", "strength_reduce", "petgraph", "fixedbitset", "hashlink",
    "sqlparser", "recursive", "stacker", "psm", "object_store", "ring-buffer", "plotters-backend", "plotters-svg",
    "ttf-parser", "font-kit", "image", "png", "gif", "jpeg-decoder", "fdeflate", "weezl", "color_quant", "bytemuck",
    "quick-xml", "rand_chacha", "ppv-lite86", "crossbeam*", "rayon*", "allocator-api2", "foldhash", "ahash",
    "const-random*", "tiny-keccak", "static_assertions", "paste", "slab", "libm", "bigdecimal", "num-bigint",
    "unsafe-libyaml", "comfy-table", "maxminddb", "csv*",
    // The async runtime and time crates under the HTTP clients and the Azure SDK (a cell that
    // awaits gets tokio as a direct dependency from evcxr, which keeps it).
    "tokio", "tokio-util", "tokio-stream", "time", "time-*", "azure_*", "typespec*",
    // DataFusion's planner and executor internals (its DataFrame, expressions, functions and
    // session types stay).
    "datafusion-physical-plan", "datafusion-physical-optimizer", "datafusion-optimizer", "datafusion-sql",
    "datafusion-datasource*", "datafusion-pruning",
];

/// Whether `name` matches one pattern of [`INTERNAL_ONLY`].
fn internal_only(name: &str) -> bool {
    INTERNAL_ONLY.iter().any(|pattern| match (pattern.strip_suffix('*'), pattern.strip_prefix('*')) {
        (Some(prefix), _) => name.starts_with(prefix),
        (_, Some(suffix)) => name.ends_with(suffix),
        _ => name == *pattern,
    })
}

/// The folder standing in for `CARGO_HOME` (its `bin/cargo` is this binary).
fn stand_in_home() -> PathBuf {
    crate::cellbuild::shim_dir().join("cargo-home")
}

/// Points `CARGO_HOME` at the stand-in (call before evcxr starts, and only with the build shim on
/// `PATH`, which restores the real one for builds). Returns whether it is in place.
pub fn install() -> bool {
    if std::env::var(SWITCH_ENV).is_ok_and(|v| v == "full") {
        return false;
    }
    if std::env::var_os(REAL_HOME_ENV).is_some() {
        return true;
    }
    let home = stand_in_home();
    let link = home.join("bin").join("cargo");
    if let Err(e) = crate::cellbuild::link_to_this_binary(&link) {
        eprintln!("rust-mstic: rust-analyzer sees every package (cannot create {}: {e})", link.display());
        return false;
    }
    let real = std::env::var_os("CARGO_HOME").unwrap_or_default();
    let lean_link = start_lean(&home);
    // SAFETY: called before evcxr starts its threads; nothing else reads the environment meanwhile.
    unsafe {
        std::env::set_var(REAL_HOME_ENV, real);
        std::env::set_var("CARGO_HOME", &home);
        if let Some(link) = lean_link {
            std::env::set_var(REAL_SOURCES_ENV, std::env::var_os(SOURCES_ENV).unwrap_or_default());
            std::env::set_var(SOURCES_ENV, link);
        }
    }
    true
}

/// Prepares this process's lean view (see the module documentation): a folder with an empty
/// `core`, and a link to it that [`widen`] later points at the real sources. Returns the link, or
/// None (the view starts pruned) when the folder cannot be made.
fn start_lean(home: &Path) -> Option<PathBuf> {
    let views = home.join("views");
    forget_views_of_ended_processes(&views);
    let view = views.join(std::process::id().to_string());
    let lean = view.join(LEAN_SOURCES);
    let link = view.join("std");
    let made = std::fs::create_dir_all(lean.join("core").join("src"))
        .and_then(|_| std::fs::write(lean.join("core").join("src").join("lib.rs"), ""))
        .and_then(|_| point_link(&link, &lean));
    match made {
        Ok(()) => Some(link),
        Err(e) => {
            eprintln!("rust-mstic: rust-analyzer's view starts pruned, not lean (cannot prepare {}: {e})", view.display());
            None
        }
    }
}

/// The standard library's sources rust-analyzer would read without the kernel's link: the user's
/// `RUST_SRC_PATH`, else the toolchain's `lib/rustlib/src/rust/library` (the `rust-src` component).
fn std_sources() -> Option<PathBuf> {
    let has_core = |p: &Path| p.join("core").is_dir();
    if let Some(set) = std::env::var_os(REAL_SOURCES_ENV).map(PathBuf::from).filter(|p| has_core(p)) {
        return Some(set);
    }
    let output = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let sysroot = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    Some(sysroot.join("lib/rustlib/src/rust/library")).filter(|p| has_core(p))
}

/// Removes the view folders of processes that have ended.
fn forget_views_of_ended_processes(views: &Path) {
    let Ok(entries) = std::fs::read_dir(views) else { return };
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
        if pid.is_some_and(|pid| !Path::new("/proc").join(pid.to_string()).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Points `link` at `target`, replacing it in one step.
fn point_link(link: &Path, target: &Path) -> std::io::Result<()> {
    let next = link.with_extension("next");
    let _ = std::fs::remove_file(&next);
    std::os::unix::fs::symlink(target, &next)?;
    std::fs::rename(&next, link)
}

/// The link `RUST_SRC_PATH` names in this process while the kernel's view is installed.
fn view_link() -> Option<PathBuf> {
    std::env::var_os(REAL_SOURCES_ENV)?;
    std::env::var_os(SOURCES_ENV).map(PathBuf::from)
}

/// Whether rust-analyzer's view is the lean one (read by this process and by the stand-in cargo it
/// starts).
pub fn is_lean() -> bool {
    view_link().and_then(|link| std::fs::read_link(link).ok()).is_some_and(|target| target.ends_with(LEAN_SOURCES))
}

/// Turns the lean view into the pruned one; rust-analyzer reads it the next time it loads the
/// scratch crate's manifest. Without the standard library's sources the link points nowhere, and
/// rust-analyzer looks for them as it would without it. Returns whether the view was lean.
pub fn widen() -> bool {
    let Some(link) = view_link().filter(|_| is_lean()) else { return false };
    let real = std_sources().unwrap_or_else(|| link.with_extension("none"));
    match point_link(&link, &real) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("rust-mstic: rust-analyzer's view stays lean (cannot update {}: {e})", link.display());
            false
        }
    }
}

/// The variables the stand-ins replace, each with the variable that holds its real value.
const REPLACED: [(&str, &str); 2] = [("CARGO_HOME", REAL_HOME_ENV), (SOURCES_ENV, REAL_SOURCES_ENV)];

/// Puts the real `CARGO_HOME` and `RUST_SRC_PATH` back on `command` (a build) when the stand-ins
/// are installed.
pub fn with_real_environment(command: &mut Command) {
    for (name, holder) in REPLACED {
        if let Some(real) = std::env::var_os(holder) {
            if real.is_empty() {
                command.env_remove(name);
            } else {
                command.env(name, real);
            }
            command.env_remove(holder);
        }
    }
}

/// Restores the real `CARGO_HOME` and `RUST_SRC_PATH` in this process (the cell process: user code
/// sees the user's environment).
pub fn restore_real_environment() {
    for (name, holder) in REPLACED {
        let Some(real) = std::env::var_os(holder) else { continue };
        // SAFETY: called first thing in the cell process's `main`, before other threads start.
        unsafe {
            if real.is_empty() {
                std::env::remove_var(name);
            } else {
                std::env::set_var(name, real);
            }
            std::env::remove_var(holder);
        }
    }
}

/// Whether `message` is evcxr's error for a variable whose type rust-analyzer could not name.
pub fn is_unknown_type(message: &str) -> bool {
    message.starts_with("Couldn't automatically determine type of variable")
}

/// evcxr's message for a variable whose type rust-analyzer could not name, with what to do when
/// the type comes from a package left out of its view (other messages are returned unchanged).
pub fn explain_unknown_type(message: String) -> String {
    if !is_unknown_type(&message) || std::env::var_os(REAL_HOME_ENV).is_none() {
        return message;
    }
    format!(
        "{message}\nNeither rust-analyzer, which is shown only the crates whose types notebooks usually hold (the mstic \
         crates, arrow, chrono, serde_json, DataFusion's API and your :dep crates), nor the compiler, which the kernel \
         asks only about a `let` that binds one name (not `let (a, b) = …`), named this type. Write the type on the \
         `let`, bind the parts one by one, or start the kernel with MSTIC_ANALYSIS=full."
    )
}

/// Whether this process was started as the stand-in's `bin/cargo`.
pub fn called_as_cargo(program: &Path) -> bool {
    program.file_name().is_some_and(|n| n == "cargo") && std::env::var_os(REAL_HOME_ENV).is_some()
}

/// The stand-in `cargo`: runs the real cargo; prunes the scratch crate's metadata.
pub fn run_cargo(args: &[OsString]) -> i32 {
    let Some(cargo) = real_cargo() else {
        eprintln!("rust-mstic: no cargo found for rust-analyzer");
        return 2;
    };
    let mut command = Command::new(cargo);
    command.args(args);
    with_real_environment(&mut command);
    let is_metadata = args.first().is_some_and(|a| a == "metadata");
    let no_deps = args.iter().any(|a| a == "--no-deps");
    if !is_metadata || no_deps {
        return command.status().map_or(1, |s| s.code().unwrap_or(1));
    }
    let output = match command.stderr(std::process::Stdio::inherit()).output() {
        Ok(output) => output,
        Err(e) => {
            eprintln!("rust-mstic: cannot run cargo for rust-analyzer: {e}");
            return 1;
        }
    };
    if !output.status.success() {
        return output.status.code().unwrap_or(1);
    }
    let text = match serde_json::from_slice::<Value>(&output.stdout) {
        Ok(mut metadata) => {
            prune(&mut metadata, is_lean());
            metadata.to_string().into_bytes()
        }
        Err(_) => output.stdout,
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(&text).and_then(|_| stdout.flush()).is_err() {
        return 1;
    }
    0
}

/// The user's cargo home: `CARGO_HOME` as it was before the stand-in, else `~/.cargo`.
pub fn real_cargo_home() -> Option<PathBuf> {
    let set = match std::env::var_os(REAL_HOME_ENV) {
        Some(real) => Some(real).filter(|h| !h.is_empty()),
        None => std::env::var_os("CARGO_HOME"),
    };
    set.map(PathBuf::from).or_else(|| dirs::home_dir().map(|h| h.join(".cargo")))
}

/// The cargo the user's environment would run: `<real cargo home>/bin/cargo`, else the first
/// `cargo` on `PATH` outside the stand-in.
fn real_cargo() -> Option<PathBuf> {
    let stand_in = stand_in_home().join("bin");
    real_cargo_home().map(|h| h.join("bin").join("cargo")).filter(|p| p.is_file()).or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).filter(|d| d != &stand_in).map(|d| d.join("cargo")).find(|p| p.is_file())
    })
}

/// Leaves out of `metadata` (cargo's `metadata --format-version 1` output) of evcxr's scratch
/// crate the [`INTERNAL_ONLY`] packages below its path dependencies (the `mstic` crates), and what
/// is reached only through them; registry and git packages the scratch crate depends on directly (a
/// user's `:dep`) are kept with everything below them. In the `lean` view only the scratch crate
/// stays. Other metadata (the standard library's) is left as it is. Returns how many packages were
/// left out.
pub fn prune(metadata: &mut Value, lean: bool) -> usize {
    let Some(root) = scratch_root(metadata) else { return 0 };
    let names: HashMap<String, String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?.to_string(), p["name"].as_str()?.to_string())))
        .collect();
    let edges: HashMap<String, Vec<String>> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| {
            let deps = n["dependencies"].as_array()?.iter().filter_map(|d| d.as_str().map(str::to_string)).collect();
            Some((n["id"].as_str()?.to_string(), deps))
        })
        .collect();
    let registry: HashSet<&str> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| !p["source"].is_null())
        .filter_map(|p| p["id"].as_str())
        .collect();
    // A user's `:dep` (a registry or git package the scratch crate depends on) is shown whole;
    // below the path dependencies (the `mstic` crates), internal packages are left out.
    let mut kept: HashSet<String> = HashSet::from([root.clone()]);
    let mut whole: HashSet<String> = HashSet::new();
    let mut pending = if lean { vec![] } else { vec![(root.clone(), false)] };
    while let Some((id, show_whole)) = pending.pop() {
        for dep in edges.get(&id).into_iter().flatten() {
            let dep_whole = show_whole || (id == root && registry.contains(dep.as_str()));
            let name = names.get(dep).map(String::as_str).unwrap_or_default();
            if !dep_whole && internal_only(name) {
                continue;
            }
            let new = kept.insert(dep.clone());
            if (dep_whole && whole.insert(dep.clone())) || new {
                pending.push((dep.clone(), dep_whole));
            }
        }
    }
    let before = names.len();
    if let Some(packages) = metadata["packages"].as_array_mut() {
        packages.retain(|p| p["id"].as_str().is_some_and(|id| kept.contains(id)));
    }
    if let Some(nodes) = metadata["resolve"]["nodes"].as_array_mut() {
        nodes.retain(|n| n["id"].as_str().is_some_and(|id| kept.contains(id)));
        for node in nodes.iter_mut() {
            if let Some(deps) = node["dependencies"].as_array_mut() {
                deps.retain(|d| d.as_str().is_some_and(|id| kept.contains(id)));
            }
            if let Some(deps) = node["deps"].as_array_mut() {
                deps.retain(|d| d["pkg"].as_str().is_some_and(|id| kept.contains(id)));
            }
        }
    }
    before - kept.len()
}

/// The id of evcxr's scratch crate when `metadata` is its graph: the workspace's only member.
fn scratch_root(metadata: &Value) -> Option<String> {
    let members = metadata["workspace_members"].as_array()?;
    let [member] = members.as_slice() else { return None };
    let id = member.as_str()?;
    let package = metadata["packages"].as_array()?.iter().find(|p| p["id"] == id)?;
    (package["name"] == SCRATCH_PACKAGE).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::{forget_views_of_ended_processes, internal_only, point_link, prune, start_lean};
    use serde_json::{Value, json};

    fn package(id: &str) -> Value {
        json!({"id": id, "name": id, "source": if id == "ctx" || id.starts_with("mstic") { Value::Null } else { json!("registry+https://github.com/rust-lang/crates.io-index") }})
    }

    fn node(id: &str, deps: &[&str]) -> Value {
        json!({"id": id, "dependencies": deps, "deps": deps.iter().map(|d| json!({"name": d, "pkg": d})).collect::<Vec<_>>()})
    }

    fn graph(root: &str, nodes: &[(&str, &[&str])]) -> Value {
        json!({
            "packages": nodes.iter().map(|(id, _)| package(id)).collect::<Vec<_>>(),
            "workspace_members": [root],
            "resolve": {"root": root, "nodes": nodes.iter().map(|(id, deps)| node(id, deps)).collect::<Vec<_>>()},
        })
    }

    fn ids(metadata: &Value, key: &str) -> Vec<String> {
        let list = if key == "packages" { &metadata["packages"] } else { &metadata["resolve"]["nodes"] };
        let mut ids: Vec<String> = list.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn patterns_match_names_prefixes_and_suffixes() {
        assert!(internal_only("openssl-sys"));
        assert!(internal_only("tracing-core"));
        assert!(internal_only("serde_derive"));
        assert!(internal_only("ring"));
        assert!(!internal_only("arrow-array"));
        assert!(!internal_only("datafusion"));
        assert!(!internal_only("serde_json"));
        assert!(!internal_only("ringbuf"));
        assert!(!internal_only("mstic-data"));
    }

    #[test]
    fn internal_packages_reached_only_through_the_mstic_crates_are_left_out() {
        let mut metadata = graph("ctx", &[
            ("ctx", &["mstic-dylib", "tracing"]),
            ("mstic-dylib", &["mstic-data", "hyper"]),
            ("mstic-data", &["arrow", "tracing", "ring"]),
            ("arrow", &["libc"]),
            ("hyper", &["h2", "arrow"]),
            ("h2", &[]),
            ("ring", &["cc"]),
            ("cc", &[]),
            ("libc", &[]),
            ("tracing", &["tracing-core"]),
            ("tracing-core", &[]),
        ]);
        assert_eq!(prune(&mut metadata, false), 5);
        // `tracing` is a user's `:dep`, so it and everything below it stay.
        let kept = vec!["arrow", "ctx", "mstic-data", "mstic-dylib", "tracing", "tracing-core"];
        assert_eq!(ids(&metadata, "packages"), kept);
        assert_eq!(ids(&metadata, "nodes"), kept);
        let data = metadata["resolve"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "mstic-data").unwrap();
        assert_eq!(data["dependencies"], json!(["arrow", "tracing"]));
        assert_eq!(data["deps"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn the_lean_view_keeps_the_scratch_crate_alone() {
        let mut metadata = graph("ctx", &[("ctx", &["mstic-dylib", "serde"]), ("mstic-dylib", &["arrow"]), ("arrow", &[]), ("serde", &[])]);
        assert_eq!(prune(&mut metadata, true), 3);
        assert_eq!(ids(&metadata, "packages"), vec!["ctx"]);
        assert_eq!(metadata["resolve"]["nodes"][0]["dependencies"], json!([]));
        assert_eq!(metadata["resolve"]["nodes"][0]["deps"], json!([]));
    }

    #[test]
    fn the_lean_link_names_an_empty_core_and_views_of_ended_processes_are_removed() {
        let home = std::env::temp_dir().join(format!("mstic-analysis-{}", uuid::Uuid::new_v4()));
        let ended = home.join("views").join("4194305"); // above the largest process id Linux gives
        std::fs::create_dir_all(&ended).unwrap();
        let link = start_lean(&home).unwrap();
        assert!(!ended.exists());
        assert!(std::fs::read_link(&link).unwrap().ends_with("lean-std"));
        assert_eq!(std::fs::read_to_string(link.join("core/src/lib.rs")).unwrap(), "");
        assert!(!link.join("alloc").exists());
        point_link(&link, &home).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), home);
        forget_views_of_ended_processes(&home.join("views"));
        assert!(link.parent().unwrap().exists(), "this process's view stays");
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn other_metadata_is_left_as_it_is() {
        let mut metadata = graph("std", &[("std", &["libc"]), ("libc", &[])]);
        let before = metadata.clone();
        assert_eq!(prune(&mut metadata, false), 0);
        assert_eq!(prune(&mut metadata, true), 0);
        assert_eq!(metadata, before);
    }
}
