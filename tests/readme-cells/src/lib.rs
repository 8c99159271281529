//! Test-only crate: its build script turns the README's Rust snippets into functions that
//! `tests/readme.rs` compiles against `mstic::prelude`, so a renamed or removed API breaks the
//! test rather than the README. See `build.rs` for how a snippet is split into notebook cells.
