//! Core of Rust MSTIC: the Arrow-backed [`Frame`] table, the rich-display protocol shared with the
//! kernel, Jupyter comms and widget models ([`comm`], [`widget`]), the tables and languages of
//! `%%sql`/`%%kql` cells ([`magic`]), the async runtime that drives
//! DataFusion from synchronous notebook calls, and errors.

pub mod azure;
pub mod comm;
pub mod config;
pub mod display;
pub mod error;
pub mod frame;
pub mod interrupt;
pub mod interruptible;
pub mod limits;
pub mod magic;
pub mod paths;
pub mod plain_display;
pub mod progress;
pub mod runtime;
pub mod session;
pub mod timespan;
pub mod web;
pub mod widget;

pub use display::{DisplayHandle, MimeBundle};
pub use error::{Error, Result};
pub use frame::{Frame, FrameValue, Row, SqlSession};
pub use magic::register_table;
