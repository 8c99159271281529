//! The `mstic` facade, re-exported from a Rust `dylib`. The kernel's preload depends on this
//! package under the name `mstic`, so `use mstic::prelude::*;` in a cell resolves here. Linking a
//! cell against one shared library takes a fraction of the time of linking the facade's ~250 rlibs
//! into every cell, and statics (caches, runtimes, display state) exist once for all cells.

pub use facade::*;
