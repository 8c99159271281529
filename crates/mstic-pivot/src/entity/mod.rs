//! Entities — the things an investigation is about (IP addresses, hosts, accounts, URLs, files…)
//! with MSTICPy's type names, property names and aliases.
//!
//! Every entity is an [`Entity`]: a kind plus named properties (MSTICPy's CamelCase names such as
//! `Address`, `HostName`, `CommandLine`). Typed handles ([`IpAddress`], [`Host`]…) wrap an
//! [`Entity`], add constructors, property accessors and pivot containers, and dereference to it.
//! Entities are created from values, from Frame rows, or from Sentinel entity JSON (with `$ref`
//! links resolved).
//!
//! # Example
//! ```
//! use mstic_pivot::entity::{Account, Entity, EntityKind, Host};
//! let host = Host::new("ws1.contoso.com");
//! assert_eq!(host.host_name().as_deref(), Some("ws1"));
//! let account: Entity = Account::new("CONTOSO\\ian").into();
//! assert_eq!(account.kind(), EntityKind::Account);
//! assert_eq!(account.get_str("qualified_name").as_deref(), Some("CONTOSO\\ian"));
//! ```

mod computed;
mod display;
mod json;
mod kind;
mod types;

pub use json::{entities_from_json, entity_from_json};
pub use computed::UrlParts;
pub use kind::EntityKind;
pub use types::*;

use mstic_core::{Frame, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One entity: its kind and its properties (MSTICPy names; nested entities are JSON objects).
///
/// # Example
/// ```
/// use mstic_pivot::{Entity, EntityKind};
/// let ip = Entity::from_value(EntityKind::IpAddress, "10.0.0.1").with("hostname", "ws1");
/// assert_eq!(ip.main_value().as_deref(), Some("10.0.0.1"));
/// assert_eq!(ip.get_str("HOSTNAME").as_deref(), Some("ws1"));
/// assert_eq!(ip.to_json()["Type"], "ip");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Entity {
    kind: EntityKind,
    props: BTreeMap<String, Value>,
}

impl Entity {
    /// An entity of `kind` with no properties.
    pub fn new(kind: EntityKind) -> Self {
        Entity { kind, props: BTreeMap::new() }
    }

    /// An entity of `kind` whose main property (e.g. `Address` of an IpAddress) is `value`.
    pub fn from_value(kind: EntityKind, value: impl Into<String>) -> Self {
        Entity::new(kind).with(kind.main_property(), value.into())
    }

    /// The same entity with property `name` set (`null` removes it).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set(name, value);
        self
    }

    /// Sets property `name` (`null` removes it).
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        let value = value.into();
        if value.is_null() {
            self.props.remove(name);
        } else {
            self.props.insert(name.to_string(), value);
        }
    }

    /// The entity kind.
    pub fn kind(&self) -> EntityKind {
        self.kind
    }

    /// The stored properties, by name.
    pub fn properties(&self) -> &BTreeMap<String, Value> {
        &self.props
    }

    /// A property as JSON: a stored one, or a computed one (`fqdn`, `file_hash`, `host`…).
    pub fn get(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.props.get(name) {
            return Some(v.clone());
        }
        if let Some((_, v)) = self.props.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            return Some(v.clone());
        }
        computed::property(self, name).map(Value::String)
    }

    /// A property as text (numbers and booleans rendered; nested entities give their main value).
    pub fn get_str(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Object(map) => entity_from_json(&Value::Object(map)).ok().and_then(|e| e.main_value()),
            other => Some(other.to_string()),
        }
    }

    /// A nested entity property (e.g. `Host` of a Process).
    pub fn get_entity(&self, name: &str) -> Option<Entity> {
        match self.props.get(name)? {
            v @ Value::Object(_) => entity_from_json(v).ok(),
            _ => None,
        }
    }

    /// The value of the kind's main property (Address, HostName, Url…), computed ones included.
    pub fn main_value(&self) -> Option<String> {
        self.kind.display_properties().iter().find_map(|p| self.get_str(p))
    }

    /// The entity as Sentinel-style JSON (`Type` plus properties).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("Type".into(), Value::String(self.kind.json_type().to_string()));
        for (k, v) in &self.props {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }

    /// One entity of `kind` per row of `frame`: columns whose names match property names
    /// (case-insensitively, or through `column_map` of property → column) become properties.
    pub fn from_frame(kind: EntityKind, frame: &Frame, column_map: &[(&str, &str)]) -> Result<Vec<Entity>> {
        let mut columns: Vec<(String, Vec<Option<String>>)> = Vec::new();
        for (prop, column) in column_map {
            columns.push((prop.to_string(), frame.column_strings(column)?));
        }
        for column in frame.columns() {
            let Some(prop) = kind.property_names().iter().find(|p| p.eq_ignore_ascii_case(&column)) else { continue };
            if columns.iter().any(|(p, _)| p == prop) {
                continue;
            }
            columns.push((prop.to_string(), frame.column_strings(&column)?));
        }
        Ok((0..frame.len())
            .map(|row| {
                let mut entity = Entity::new(kind);
                for (prop, values) in &columns {
                    if let Some(v) = &values[row] {
                        entity.set(prop, v.clone());
                    }
                }
                entity
            })
            .collect())
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&display::to_text(self))
    }
}
