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
//! (`cellbuild`) and the cell process restore the real `CARGO_HOME` ([`restore_cargo_home`]).
//!
//! A type from a left-out package cannot be inferred: evcxr then asks for an explicit type on the
//! `let`. `MSTIC_ANALYSIS=full` shows rust-analyzer the whole graph, as does `MSTIC_FAST_BUILD=0`
//! (without the build shim, builds would not get the real `CARGO_HOME` back).

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Holds the real `CARGO_HOME` while the stand-in is installed (empty: it was unset).
const REAL_HOME_ENV: &str = "MSTIC_REAL_CARGO_HOME";
/// `MSTIC_ANALYSIS=full` turns the pruning off.
const SWITCH_ENV: &str = "MSTIC_ANALYSIS";
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
    // SAFETY: called before evcxr starts its threads; nothing else reads the environment meanwhile.
    unsafe {
        std::env::set_var(REAL_HOME_ENV, real);
        std::env::set_var("CARGO_HOME", &home);
    }
    true
}

/// Puts the real `CARGO_HOME` back on `command` (a build) when the stand-in is installed.
pub fn with_real_cargo_home(command: &mut Command) {
    if let Some(real) = std::env::var_os(REAL_HOME_ENV) {
        if real.is_empty() {
            command.env_remove("CARGO_HOME");
        } else {
            command.env("CARGO_HOME", real);
        }
        command.env_remove(REAL_HOME_ENV);
    }
}

/// Restores the real `CARGO_HOME` in this process (the cell process: user code sees the user's
/// environment).
pub fn restore_cargo_home() {
    let Some(real) = std::env::var_os(REAL_HOME_ENV) else { return };
    // SAFETY: called first thing in the cell process's `main`, before other threads start.
    unsafe {
        if real.is_empty() {
            std::env::remove_var("CARGO_HOME");
        } else {
            std::env::set_var("CARGO_HOME", real);
        }
        std::env::remove_var(REAL_HOME_ENV);
    }
}

/// evcxr's message for a variable whose type rust-analyzer could not name, with what to do when
/// the type comes from a package left out of its view (other messages are returned unchanged).
pub fn explain_unknown_type(message: String) -> String {
    if !message.starts_with("Couldn't automatically determine type of variable") || std::env::var_os(REAL_HOME_ENV).is_none() {
        return message;
    }
    format!(
        "{message}\nThe kernel shows rust-analyzer only the crates whose types notebooks usually hold (the mstic crates, \
         arrow, chrono, serde_json, DataFusion's API and your :dep crates); for a type from another crate, write the \
         type on the `let`, or start the kernel with MSTIC_ANALYSIS=full."
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
    with_real_cargo_home(&mut command);
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
            prune(&mut metadata);
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
/// user's `:dep`) are kept with everything below them. Other metadata (the standard library's) is left as it is. Returns how
/// many packages were left out.
pub fn prune(metadata: &mut Value) -> usize {
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
    let mut pending = vec![(root.clone(), false)];
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
    use super::{internal_only, prune};
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
        assert_eq!(prune(&mut metadata), 5);
        // `tracing` is a user's `:dep`, so it and everything below it stay.
        let kept = vec!["arrow", "ctx", "mstic-data", "mstic-dylib", "tracing", "tracing-core"];
        assert_eq!(ids(&metadata, "packages"), kept);
        assert_eq!(ids(&metadata, "nodes"), kept);
        let data = metadata["resolve"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "mstic-data").unwrap();
        assert_eq!(data["dependencies"], json!(["arrow", "tracing"]));
        assert_eq!(data["deps"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn other_metadata_is_left_as_it_is() {
        let mut metadata = graph("std", &[("std", &["libc"]), ("libc", &[])]);
        let before = metadata.clone();
        assert_eq!(prune(&mut metadata), 0);
        assert_eq!(metadata, before);
    }
}
