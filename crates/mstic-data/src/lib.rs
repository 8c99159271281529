//! Rust MSTIC data layer: MSTICPy-compatible query templates, the QueryProvider that renders and
//! runs them, and the drivers behind it (the [`Driver`] seam).

pub mod driver;

pub use driver::{Capabilities, Driver, DriverQuery, QueryOptions, QuerySource};
pub mod provider;
pub mod template;
pub use provider::DriverSettings;
pub mod drivers;
pub use drivers::{create_driver, create_driver_with_config};
pub mod sample;
pub mod remote;
