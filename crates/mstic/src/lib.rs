//! Rust MSTIC: security investigation in Rust notebooks. The kernel preloads this crate and runs
//! `use mstic::prelude::*;` so every cell can query, enrich, extract and plot.
//!
//! Dependencies are re-exported because notebook cells cannot name a dependency's dependency.

pub use arrow;
pub use chrono;
pub use datafusion;
pub use mstic_core as core;
pub use mstic_data as data;
pub use serde_json;

/// Everything a notebook cell needs, imported by the kernel at start.
pub mod prelude {
    pub use mstic_core::display::{clear_output, page};
    pub use mstic_core::paths::{fixture, fixtures_dir};
    pub use mstic_core::{DisplayHandle, Error, Frame, MimeBundle, Result, SqlSession};
}
