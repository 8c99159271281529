//! Demo and test helpers for Rust MSTIC, kept out of the product crates and the default prelude:
//! examples and tests import them by name (`use mstic::demo::*;` in a notebook).
//!
//! - [`DemoServer`]: the remote data services (Azure token, Log Analytics, Kusto, Graph, Defender,
//!   Splunk) on 127.0.0.1 with recorded answers, and a session configuration pointing the remote
//!   drivers at them, so `QueryProvider::new("MSSentinel")` connects and runs queries offline.
//!   [`DemoServer::sign_in_with_device_code`] switches them to a device-code sign-in.
//! - [`DemoTiServer`]: threat-intel, IPStack and RDAP services with stable verdicts per IoC.
//! - [`RecordedServer`] and [`LocalServer`]: the servers underneath, for tests that script their
//!   own answers.
//! - [`fixture`] / [`fixtures_dir`]: the shared test data folder (`MSTIC_FIXTURES`).
//! - [`interrupt_probe`]: running work while a test requests a cell interrupt.
//!
//! Every server answers with responses written for this crate and needs no fixture data; where
//! the fixture folder is present, the data demo serves MSTICPy's recorded answers instead.

#![warn(missing_docs)]

pub mod arm;
pub mod device_code;
pub mod interrupt_probe;
pub mod incidents;
pub mod local_http;
pub mod recorded;
pub mod resource_graph;
pub mod responses;
pub mod services;
pub mod ti;
mod ti_responses;

pub use device_code::{DEMO_ACCOUNT, DEMO_USER_CODE};
pub use local_http::{HttpRequest, HttpResponse, JsonBody, LocalServer, percent_decode};
pub use mstic_core::paths::{fixture, fixtures_dir};
pub use recorded::{RecordedRequest, RecordedServer, Reply};
pub use services::{DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION_ID, DEMO_TENANT_ID, DEMO_WORKSPACE_ID, DEMO_WORKSPACE_NAME, DemoServer, ServiceAccounts, services_config_yaml};
pub use ti::DemoTiServer;
