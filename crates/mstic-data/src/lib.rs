//! Rust MSTIC data layer: MSTICPy-compatible query templates, the QueryProvider that renders and
//! runs them, and the drivers behind it (the [`Driver`] seam).

pub mod driver;

pub use driver::{Capabilities, Driver, DriverQuery, QueryOptions};
