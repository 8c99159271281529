//! Rust MSTIC entities and pivot functions (MSTICPy's `datamodel.entities` and `Pivot`).
//!
//! * [`entity`]: IpAddress, Host, Account, Url, Dns, File, Process, Alert, GeoLocation,
//!   AzureResource… created from values, Frame rows or Sentinel entity JSON, with rich display.
//! * [`Pivots`]: the registry of pivot functions by entity and container — `util` (ip_type,
//!   whois, geoloc, dns_components, url_components, b64decode, extract_iocs), `ti` (lookup_ip,
//!   lookup_dns, lookup_url, lookup_file_hash) and data-query pivots generated from a
//!   QueryProvider. Each is called on a value, a list, an entity or a Frame column, and can join
//!   its result back onto the input.
//! * [`pipeline`]: chained pivot steps and MSTICPy's YAML pipelines.
//!
//! ```
//! use mstic_pivot::{IpAddress, Pivots};
//! let _pivots = Pivots::new();
//! let types = IpAddress::util().ip_type(vec!["104.211.30.1", "192.168.0.1"]).unwrap();
//! assert_eq!(types.column_strings("result").unwrap(), vec![Some("Public".to_string()), Some("Private".to_string())]);
//! ```

pub mod containers;
pub mod context;
pub mod entity;
pub mod func;
pub mod input;
pub mod join;
pub mod pipeline;
pub mod query;
pub mod registry;
pub mod util;

pub use containers::{Container, EntityPivots};
#[allow(deprecated)]
pub use entity::{Ip, Machine, User};
pub use entity::{
    Account, Alert, AzureResource, Dns, Entity, EntityKind, File, FileHash, GeoLocation, Host, HostLogonSession,
    IpAddress, Process, Url, entities_from_json, entity_from_json,
};
pub use func::{PivotAction, PivotFunc};
#[allow(deprecated)]
pub use input::Join;
pub use input::{PivotInput, PivotJoin};
pub use pipeline::{Pipeline, PipelineStep};
pub use registry::{Pivots, pivot};
