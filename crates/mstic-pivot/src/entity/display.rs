//! Rich display of entities: an HTML card (kind, name, property table with nested entities
//! summarised) and an indented text form.

use super::{Entity, entity_from_json};
use mstic_core::MimeBundle;
use mstic_core::display::escape_html;
use serde_json::Value;

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(_) => match entity_from_json(value) {
            Ok(e) => format!("{}: {}", e.kind(), e.main_value().unwrap_or_default()),
            Err(_) => value.to_string(),
        },
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn title(entity: &Entity) -> String {
    match entity.main_value() {
        Some(name) => format!("{}: {name}", entity.kind()),
        None => entity.kind().to_string(),
    }
}

/// The text form: `Kind: name` then one `  Property: value` line per property.
pub(super) fn to_text(entity: &Entity) -> String {
    let mut out = title(entity);
    for (name, value) in entity.properties() {
        out.push_str(&format!("\n  {name}: {}", value_text(value)));
    }
    out
}

/// The HTML form: a titled property table.
pub(super) fn to_html(entity: &Entity) -> String {
    let mut html = format!(
        "<div class=\"mstic-entity\"><style>.mstic-entity table{{border-collapse:collapse;font-size:12px}}\
         .mstic-entity td,.mstic-entity th{{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}}</style>\
         <b>{}</b><table>",
        escape_html(&title(entity))
    );
    for (name, value) in entity.properties() {
        html.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", escape_html(name), escape_html(&value_text(value))));
    }
    html.push_str("</table></div>");
    html
}

impl Entity {
    /// The entity's MIME bundle: `text/html` and `text/plain`.
    pub fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new().with_text("text/html", to_html(self)).with_text("text/plain", to_text(self))
    }

    /// Shows the entity as the cell's result (called by evcxr for a cell's final value).
    pub fn evcxr_display(&self) {
        self.mime_bundle().emit_as_result();
    }

    /// Shows the entity now as its own output.
    pub fn display(&self) {
        self.mime_bundle().display();
    }
}
