//! Embeds the shipped query library — every `*.yaml`/`*.yml` under `queries/` at the workspace
//! root — into the crate, so `QueryProvider` has its built-in queries with no checkout, fixture
//! folder or particular working directory. Each file is kept with its path relative to the
//! workspace (`queries/mssentinel/windows_logons.yaml`) so messages can name it. The files are
//! validated when loaded (the `shipped_queries` test loads every one).

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let library = manifest.join("../../queries");
    println!("cargo:rerun-if-changed={}", library.display());
    let mut files = Vec::new();
    if library.is_dir() {
        collect_yaml(&library, &mut files);
    } else {
        println!("cargo:warning=no query library at {}: the built-in library is empty", library.display());
    }
    files.sort();
    let mut code = String::from("&[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let relative = file.strip_prefix(&library).unwrap_or(file);
        let name = std::iter::once("queries".to_string())
            .chain(relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join("/");
        let absolute = file.canonicalize().unwrap_or_else(|_| file.clone());
        code.push_str(&format!("    BuiltinFile {{ path: {name:?}, text: include_str!({:?}) }},\n", absolute.display().to_string()));
    }
    code.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_queries.rs");
    write_if_changed(&out, &code);
}

/// Every YAML file below `dir` (recursively).
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

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
