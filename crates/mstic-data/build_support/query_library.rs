//! Reading the shipped query library (`queries/` at the workspace root) from a build script; shared
//! by the build scripts of `mstic-data` (which embeds the files) and `mstic-queries` (which
//! generates the typed calls), through `#[path]`.

use std::path::{Path, PathBuf};

/// The query library folder, from the crate's manifest folder (`crates/<name>`).
pub fn library_dir() -> PathBuf {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    manifest.join("../../queries")
}

/// Every `*.yaml`/`*.yml` file of the library, sorted, with its name relative to the workspace
/// (`queries/mssentinel/windows_logons.yaml`); tells cargo to rerun on any change.
pub fn library_files(library: &Path) -> Vec<(PathBuf, String)> {
    println!("cargo:rerun-if-changed={}", library.display());
    let mut files = Vec::new();
    collect_yaml(library, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|file| {
            println!("cargo:rerun-if-changed={}", file.display());
            let relative = file.strip_prefix(library).unwrap_or(&file);
            let name = std::iter::once("queries".to_string())
                .chain(relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join("/");
            (file, name)
        })
        .collect()
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml")) {
            out.push(path);
        }
    }
}

/// Writes `text` to `path` unless it already holds it (so cargo sees no change), replacing the
/// file in one step.
pub fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    let staging = path.with_extension(format!("staged.{}", std::process::id()));
    std::fs::write(&staging, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", staging.display()));
    std::fs::rename(&staging, path).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
