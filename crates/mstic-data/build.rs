//! Embeds the shipped query library — every `*.yaml`/`*.yml` under `queries/` at the workspace
//! root — into the crate, so `QueryProvider` has its built-in queries with no checkout, fixture
//! folder or particular working directory. Each file is kept with its path relative to the
//! workspace (`queries/mssentinel/windows_logons.yaml`) so messages can name it. The files are
//! validated when loaded (the `shipped_queries` test loads every one).

#[path = "build_support/query_library.rs"]
mod query_library;

use query_library::{library_dir, library_files, write_if_changed};
use std::path::PathBuf;

fn main() {
    let library = library_dir();
    if !library.is_dir() {
        println!("cargo:warning=no query library at {}: the built-in library is empty", library.display());
    }
    let mut code = String::from("&[\n");
    for (file, name) in library_files(&library) {
        let absolute = file.canonicalize().unwrap_or_else(|_| file.clone());
        code.push_str(&format!("    BuiltinFile {{ path: {name:?}, text: include_str!({:?}) }},\n", absolute.display().to_string()));
    }
    code.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_queries.rs");
    write_if_changed(&out, &code);
}
