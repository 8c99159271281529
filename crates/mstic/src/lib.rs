//! Rust MSTIC: security investigation in Rust notebooks. The kernel preloads this crate and runs
//! `use mstic::prelude::*;` so every cell can query, enrich, extract and plot.
//!
//! Dependencies are re-exported because notebook cells cannot name a dependency's dependency.

pub use arrow;
pub use chrono;
pub use datafusion;
pub use mstic_core as core;
pub use mstic_data as data;
pub use mstic_transform as transform;
pub use serde_json;

/// Everything a notebook cell needs, imported by the kernel at start.
pub mod prelude {
    pub use mstic_core::display::{clear_output, page};
    pub use mstic_core::paths::{fixture, fixtures_dir};
    pub use mstic_core::{DisplayHandle, Error, Frame, MimeBundle, Result, SqlSession};
    pub use mstic_core::config::{MsticConfig, ProviderSettings, Setting, WorkspaceSettings};
    pub use mstic_core::timespan::{TimeInput, TimeSpan, TimeSpanSpec, TimeValue, parse_period, resolve_time};
    pub use mstic_data::provider::{DataEnvironment, DriverSettings, QueryCall, QueryHelp, QueryList, QueryProvider};
    pub use mstic_data::template::{ParamValue, QueryStore, QueryTemplate};
    pub use mstic_data::drivers::{LocalDataDriver, OsQueryDriver, OtrfCatalog, OtrfDriver, VelociraptorDriver, create_driver};
    pub use mstic_data::sample;
    // Cells that keep a driver in a variable need the trait's name in scope.
    pub use mstic_data::{Capabilities, Driver, DriverQuery, QueryOptions};
    pub use mstic_transform::{
        ExtractOptions, IocExtractor, ProcSchema, ProcessTree, TreeSummary, UnpackOptions, build_process_tree, defang,
        read_zipped_json_lines, refang, unpack, unpack_frame, unpack_with,
    };
}
