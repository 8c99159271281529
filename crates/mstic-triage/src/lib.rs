//! Incident triage and Azure context: Microsoft Sentinel incidents, their alerts, entities and
//! comments, bookmarks, analytic rules and watchlists through Azure Resource Manager (ARM); alerts
//! parsed into entities with rich displays and an entity graph; one-call triage of an incident's
//! entities; and Azure Resource Graph lookups of the resources behind hosts.
//!
//! Every call signs in the way the data drivers do (`msticpyconfig.yaml`, `auth_methods`) and uses
//! their HTTP client: configurable endpoints, retries on `429`/`5xx`, and `403` messages naming the
//! role that is missing.

pub mod alerts;
pub mod display;
pub mod graph;
pub mod model;
pub mod resources;
pub mod sentinel;
pub mod triage;
