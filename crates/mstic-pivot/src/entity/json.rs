//! Entities from Sentinel entity JSON (`Type` plus properties; `$id`/`$ref` links between
//! entities, as in alerts' `Entities` field and MSTICPy's `entities.json` test data).

use super::{Entity, EntityKind};
use mstic_core::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Links deeper than this are left as `$ref` objects (guards against reference cycles).
const MAX_LINK_DEPTH: usize = 8;

/// One entity from a JSON object with a `Type` (or `kind`) field; nested `$ref`s stay unresolved.
///
/// # Example
/// ```
/// use mstic_pivot::{EntityKind, entity_from_json};
/// let ip = entity_from_json(&serde_json::json!({"Type": "ip", "Address": "10.0.0.1"}))?;
/// assert_eq!(ip.kind(), EntityKind::IpAddress);
/// assert_eq!(ip.get_str("Address").as_deref(), Some("10.0.0.1"));
/// assert!(entity_from_json(&serde_json::json!({"Address": "10.0.0.1"})).is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn entity_from_json(value: &Value) -> Result<Entity> {
    entity_with_refs(value, &HashMap::new())
}

/// Every entity in a JSON document: an array of entities, an object of id → entity (as
/// `entities.json`), or one entity. `$ref` links are resolved through the `$id`s in the document.
///
/// # Example
/// ```
/// use mstic_pivot::{EntityKind, entities_from_json};
/// let text = r#"[{"$id": "1", "Type": "host", "HostName": "ws1"},
///               {"Type": "process", "CommandLine": "cmd.exe /c whoami", "Host": {"$ref": "1"}}]"#;
/// let entities = entities_from_json(text)?;
/// assert_eq!(entities[1].kind(), EntityKind::Process);
/// assert_eq!(entities[1].get_entity("Host").and_then(|h| h.get_str("HostName")).as_deref(), Some("ws1"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn entities_from_json(text: &str) -> Result<Vec<Entity>> {
    let document: Value = serde_json::from_str(text).map_err(|e| Error::invalid("entity JSON", e.to_string()))?;
    let mut ids = HashMap::new();
    collect_ids(&document, &mut ids);
    let items: Vec<&Value> = match &document {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) if type_of(map).is_some() => vec![&document],
        Value::Object(map) => map.values().collect(),
        _ => return Err(Error::invalid("entity JSON", "expected an object or an array of entities")),
    };
    items.into_iter().filter(|v| v.is_object()).map(|v| entity_with_refs(v, &ids)).collect()
}

fn type_of(map: &Map<String, Value>) -> Option<&str> {
    map.get("Type").or_else(|| map.get("kind")).and_then(Value::as_str)
}

fn collect_ids(value: &Value, ids: &mut HashMap<String, Value>) {
    match value {
        Value::Object(map) => {
            if let Some(id) = map.get("$id").and_then(Value::as_str) {
                ids.entry(id.to_string()).or_insert_with(|| value.clone());
            }
            map.values().for_each(|v| collect_ids(v, ids));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, ids)),
        _ => {}
    }
}

fn entity_with_refs(value: &Value, ids: &HashMap<String, Value>) -> Result<Entity> {
    let resolved = resolve(value, ids, 0);
    let map = resolved.as_object().ok_or_else(|| Error::invalid("entity JSON", "an entity must be a JSON object"))?;
    let kind_name = type_of(map).ok_or_else(|| Error::invalid("entity JSON", "the entity has no 'Type' field"))?;
    let mut entity = Entity::new(EntityKind::from_json_type(kind_name));
    if entity.kind == EntityKind::Unknown {
        entity.set("Type", kind_name);
    }
    for (key, v) in map {
        if key != "Type" && key != "$id" {
            entity.set(key, v.clone());
        }
    }
    Ok(entity)
}

fn resolve(value: &Value, ids: &HashMap<String, Value>, depth: usize) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(|r| ids.get(r)) {
                if depth < MAX_LINK_DEPTH {
                    return resolve(target, ids, depth + 1);
                }
                return value.clone();
            }
            Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v, ids, depth + 1))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, ids, depth + 1)).collect()),
        other => other.clone(),
    }
}
