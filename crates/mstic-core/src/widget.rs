//! Jupyter widget models (ipywidgets message protocol 2.1) over [`crate::comm`]: a model's state
//! kept in Rust and synchronised both ways with the front end, change observers, custom messages,
//! the registry of live models the front end asks for when it (re)connects, and the display bundle
//! of a widget view. Typed controls are built on this in the `mstic-widgets` crate.

use crate::comm::{self, Comm, CommEvent, CommMessage};
use crate::{MimeBundle, session};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Once};

/// The comm target of widget models.
pub const MODEL_TARGET: &str = "jupyter.widget";
/// The comm target the front end's widget manager opens to ask for every model's state.
pub const CONTROL_TARGET: &str = "jupyter.widget.control";
/// The widget message protocol version sent with each model.
pub const PROTOCOL_VERSION: &str = "2.1.0";
/// The MIME type of a widget view in a display bundle.
pub const VIEW_MIME: &str = "application/vnd.jupyter.widget-view+json";
/// The prefix by which one model's state refers to another (`"IPY_MODEL_<id>"`).
pub const MODEL_REFERENCE_PREFIX: &str = "IPY_MODEL_";

/// One state change: `key` went from `old` to `new` (`Null` when it had no value).
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// The state key (`value`, `index`…).
    pub key: String,
    /// The value before.
    pub old: Value,
    /// The value now.
    pub new: Value,
}

type ChangeObserver = Arc<dyn Fn(&StateChange) + Send + Sync>;
type CustomHandler = Arc<dyn Fn(&Value, &[Vec<u8>]) + Send + Sync>;

struct ModelState {
    comm: Comm,
    state: Mutex<Map<String, Value>>,
    observers: Mutex<Vec<(Option<String>, ChangeObserver)>>,
    custom_handlers: Mutex<Vec<CustomHandler>>,
}

/// A widget model: its state (the `_model_name`, `_view_name`… keys and the widget's own), kept
/// in sync with the front end over a `jupyter.widget` comm. Clones are handles to one model.
///
/// Inbound `update`s change the stored state, are echoed back (`echo_update`) and then call the
/// change observers; [`WidgetModel::set`] sends an `update` and calls them too. Dropping the last
/// handle does not close the model — the front end may still show it; [`WidgetModel::close`] does.
///
/// # Example
///
/// ```
/// use mstic_core::widget::WidgetModel;
/// use serde_json::json;
/// let state = json!({"_model_name": "IntSliderModel", "value": 3});
/// let model = WidgetModel::open(state.as_object().expect("an object").clone());
/// model.set("value", json!(5));
/// assert_eq!(model.get("value"), Some(json!(5)));
/// assert_eq!(model.reference(), format!("IPY_MODEL_{}", model.id()));
/// ```
#[derive(Clone)]
pub struct WidgetModel {
    inner: Arc<ModelState>,
}

impl std::fmt::Debug for WidgetModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WidgetModel").field("id", &self.id()).finish()
    }
}

type Registry = Mutex<BTreeMap<String, WidgetModel>>;

fn registry() -> Arc<Registry> {
    session::get_or_init("mstic-core.widget-models", Registry::default)
}

/// Registers the control target once per process, so the front end's widget manager can ask for
/// every live model (`request_states`).
fn ensure_control_target() {
    let once = session::get_or_init("mstic-core.widget-control", Once::new);
    once.call_once(|| comm::register_target(CONTROL_TARGET, on_control_event));
}

fn on_control_event(comm: &Comm, event: &CommEvent) {
    let CommEvent::Message(message) = event else { return };
    if message.data.get("method").and_then(Value::as_str) != Some("request_states") {
        return;
    }
    comm.send(json!({"method": "update_states", "states": states_of_live_models(), "buffer_paths": {}}), Vec::new());
}

/// The `states` of an `update_states` reply: every live model by id, with its model name, module,
/// module version and full state.
pub fn states_of_live_models() -> Value {
    let models: Vec<WidgetModel> = registry().lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
    let mut states = Map::new();
    for model in models {
        let state = model.state();
        let key = |name: &str| state.get(name).cloned().unwrap_or(Value::Null);
        states.insert(
            model.id().to_string(),
            json!({
                "model_name": key("_model_name"),
                "model_module": key("_model_module"),
                "model_module_version": key("_model_module_version"),
                "state": state,
            }),
        );
    }
    Value::Object(states)
}

/// The live model with id `id`, if it was opened and not closed.
pub fn live_model(id: &str) -> Option<WidgetModel> {
    registry().lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
}

/// The models alive in this process (opened and not closed), by id.
pub fn live_model_ids() -> Vec<String> {
    registry().lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
}

/// Whether the front end renders widgets (JupyterLab, VS Code): false outside the kernel and under
/// nbconvert or papermill, where widgets show their static text and HTML instead.
pub fn widget_manager_present() -> bool {
    ensure_control_target();
    comm::widget_manager_present()
}

impl WidgetModel {
    /// Opens a model with its full initial `state` (a `comm_open` on `jupyter.widget`).
    pub fn open(state: Map<String, Value>) -> WidgetModel {
        ensure_control_target();
        let data = json!({"state": state, "buffer_paths": []});
        // The handler finds the model through the registry, which holds it until it closes.
        let comm = Comm::open(MODEL_TARGET, data, json!({"version": PROTOCOL_VERSION}), Vec::new(), on_model_event);
        let model = WidgetModel {
            inner: Arc::new(ModelState {
                comm,
                state: Mutex::new(state),
                observers: Mutex::new(Vec::new()),
                custom_handlers: Mutex::new(Vec::new()),
            }),
        };
        registry().lock().unwrap_or_else(|e| e.into_inner()).insert(model.id().to_string(), model.clone());
        model
    }

    /// The model id (its comm id).
    pub fn id(&self) -> &str {
        self.inner.comm.id()
    }

    /// How another model's state refers to this one: `"IPY_MODEL_<id>"`.
    pub fn reference(&self) -> String {
        format!("{MODEL_REFERENCE_PREFIX}{}", self.id())
    }

    /// The current value of `key`, as last set from Rust or the front end.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    /// The whole current state.
    pub fn state(&self) -> Map<String, Value> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sets `key` to `value`, sends the front end an `update` and calls the change observers when
    /// the value changed.
    pub fn set(&self, key: &str, value: Value) {
        let mut entries = Map::new();
        entries.insert(key.to_string(), value);
        self.set_many(entries);
    }

    /// Sets several keys in one `update`.
    pub fn set_many(&self, entries: Map<String, Value>) {
        if entries.is_empty() {
            return;
        }
        let changes = self.store(&entries);
        self.inner.comm.send(json!({"method": "update", "state": entries, "buffer_paths": []}), Vec::new());
        self.notify(&changes);
    }

    /// Calls `observer` after every change of `key` (from Rust or the front end), on the thread that
    /// made it (the comm reader for front-end changes).
    pub fn on_change(&self, key: &str, observer: impl Fn(&StateChange) + Send + Sync + 'static) {
        self.inner
            .observers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((Some(key.to_string()), Arc::new(observer)));
    }

    /// Calls `observer` after every change of any key.
    pub fn on_any_change(&self, observer: impl Fn(&StateChange) + Send + Sync + 'static) {
        self.inner.observers.lock().unwrap_or_else(|e| e.into_inner()).push((None, Arc::new(observer)));
    }

    /// Calls `handler` with the `content` (and buffers) of each `custom` message from the front end
    /// (a button's `{"event": "click"}`).
    pub fn on_custom(&self, handler: impl Fn(&Value, &[Vec<u8>]) + Send + Sync + 'static) {
        self.inner.custom_handlers.lock().unwrap_or_else(|e| e.into_inner()).push(Arc::new(handler));
    }

    /// Sends a `custom` message with `content` to the front end's model.
    pub fn send_custom(&self, content: Value) {
        self.inner.comm.send(json!({"method": "custom", "content": content}), Vec::new());
    }

    /// Closes the model: the front end removes its views, and it leaves the live models.
    pub fn close(&self) {
        registry().lock().unwrap_or_else(|e| e.into_inner()).remove(self.id());
        self.inner.comm.close();
    }

    /// The display bundle of a view of this model, with `plain` and `html` as static views (HTML
    /// already escaped by the caller). With a widget manager the bundle also carries the widget
    /// view; without one (nbconvert, papermill) only the static views, so exports show the value.
    pub fn view_bundle(&self, plain: &str, html: &str) -> MimeBundle {
        self.view_bundle_for(widget_manager_present(), plain, html)
    }

    /// [`WidgetModel::view_bundle`] for a front end with or without a widget manager.
    pub fn view_bundle_for(&self, widget_manager: bool, plain: &str, html: &str) -> MimeBundle {
        let bundle = MimeBundle::new().with_text("text/plain", plain).with_text("text/html", html);
        if widget_manager {
            bundle.with_json(VIEW_MIME, json!({"model_id": self.id(), "version_major": 2, "version_minor": 0}))
        } else {
            bundle
        }
    }

    /// Splits a front end's update into the entries to store and, for entries whose JSON shape
    /// differs from the stored value's (a text for a number pair), the stored values to restore.
    fn screen(&self, entries: &Map<String, Value>) -> (Map<String, Value>, Map<String, Value>) {
        let state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        let (mut accepted, mut refused) = (Map::new(), Map::new());
        for (key, new) in entries {
            match state.get(key) {
                Some(old) if !same_shape(old, new) => refused.insert(key.clone(), old.clone()),
                _ => accepted.insert(key.clone(), new.clone()),
            };
        }
        (accepted, refused)
    }

    /// Stores `entries`, returning the keys whose value changed.
    fn store(&self, entries: &Map<String, Value>) -> Vec<StateChange> {
        let mut state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut changes = Vec::new();
        for (key, new) in entries {
            let old = state.insert(key.clone(), new.clone()).unwrap_or(Value::Null);
            if &old != new {
                changes.push(StateChange { key: key.clone(), old, new: new.clone() });
            }
        }
        changes
    }

    /// Calls the observers of each change, with no lock held.
    fn notify(&self, changes: &[StateChange]) {
        if changes.is_empty() {
            return;
        }
        let observers = self.inner.observers.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for change in changes {
            for (key, observer) in &observers {
                if key.as_deref().is_none_or(|k| k == change.key) {
                    observer(change);
                }
            }
        }
    }

    fn receive(&self, message: &CommMessage) {
        match message.data.get("method").and_then(Value::as_str) {
            Some("update") => {
                let Some(entries) = message.data.get("state").and_then(Value::as_object) else { return };
                let (accepted, refused) = self.screen(entries);
                let changes = self.store(&accepted);
                if !accepted.is_empty() {
                    let echo = json!({"method": "echo_update", "state": accepted, "buffer_paths": []});
                    self.inner.comm.send(echo, Vec::new());
                }
                if !refused.is_empty() {
                    // The front end shows the value kept, not the refused one.
                    let keep = json!({"method": "update", "state": refused, "buffer_paths": []});
                    self.inner.comm.send(keep, Vec::new());
                }
                self.notify(&changes);
            }
            Some("request_state") => {
                let update = json!({"method": "update", "state": self.state(), "buffer_paths": []});
                self.inner.comm.send(update, Vec::new());
            }
            Some("custom") => {
                let content = message.data.get("content").cloned().unwrap_or(Value::Null);
                let handlers = self.inner.custom_handlers.lock().unwrap_or_else(|e| e.into_inner()).clone();
                for handler in handlers {
                    handler(&content, &message.buffers);
                }
            }
            _ => {}
        }
    }
}

/// Whether `new` can replace `old`: the same JSON kind (numbers with numbers, arrays whose items
/// are like the old first item…); `null` on either side is always accepted.
fn same_shape(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Null, _) | (_, Value::Null) => true,
        (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Object(_), Value::Object(_)) => true,
        (Value::Array(old_items), Value::Array(new_items)) => {
            old_items.first().is_none_or(|first| new_items.iter().all(|item| same_shape(first, item)))
        }
        _ => false,
    }
}

fn on_model_event(comm: &Comm, event: &CommEvent) {
    match event {
        CommEvent::Message(message) => {
            let model = registry().lock().unwrap_or_else(|e| e.into_inner()).get(comm.id()).cloned();
            if let Some(model) = model {
                model.receive(message);
            }
        }
        CommEvent::Closed(_) => {
            registry().lock().unwrap_or_else(|e| e.into_inner()).remove(comm.id());
        }
        CommEvent::Opened(_) => {}
    }
}

/// The id in an `"IPY_MODEL_<id>"` reference.
pub fn referenced_id(reference: &str) -> Option<&str> {
    reference.strip_prefix(MODEL_REFERENCE_PREFIX)
}

/// The module of the layout model (`@jupyter-widgets/base`).
pub const BASE_MODULE: &str = "@jupyter-widgets/base";
/// The module of the standard controls (`@jupyter-widgets/controls`).
pub const CONTROLS_MODULE: &str = "@jupyter-widgets/controls";
/// The module of the output area model (`@jupyter-widgets/output`).
pub const OUTPUT_MODULE: &str = "@jupyter-widgets/output";
/// The version of the base and controls modules that ipywidgets 8 front ends load.
pub const CONTROLS_MODULE_VERSION: &str = "2.0.0";
/// The version of the output module that ipywidgets 8 front ends load.
pub const OUTPUT_MODULE_VERSION: &str = "1.0.0";

/// The CSS properties a layout model carries (all unset at first).
const LAYOUT_PROPERTIES: &[&str] = &[
    "align_content",
    "align_items",
    "align_self",
    "border_bottom",
    "border_left",
    "border_right",
    "border_top",
    "bottom",
    "display",
    "flex",
    "flex_flow",
    "grid_area",
    "grid_auto_columns",
    "grid_auto_flow",
    "grid_auto_rows",
    "grid_column",
    "grid_gap",
    "grid_row",
    "grid_template_areas",
    "grid_template_columns",
    "grid_template_rows",
    "height",
    "justify_content",
    "justify_items",
    "left",
    "margin",
    "max_height",
    "max_width",
    "min_height",
    "min_width",
    "object_fit",
    "object_position",
    "order",
    "overflow",
    "padding",
    "right",
    "top",
    "visibility",
    "width",
];

/// The keys every model state starts with: model and view names, modules and versions.
pub fn model_keys(
    module: &str,
    version: &str,
    model_name: &str,
    view_module: &str,
    view_name: &str,
) -> Map<String, Value> {
    let mut state = Map::new();
    state.insert("_model_module".into(), json!(module));
    state.insert("_model_module_version".into(), json!(version));
    state.insert("_model_name".into(), json!(model_name));
    state.insert("_view_count".into(), Value::Null);
    state.insert("_view_module".into(), json!(view_module));
    state.insert("_view_module_version".into(), json!(version));
    state.insert("_view_name".into(), json!(view_name));
    state
}

/// Opens a layout model (`LayoutModel`) with `properties` set (CSS names with `_`, e.g.
/// `width`) and the others unset.
pub fn open_layout(properties: &[(&str, &str)]) -> WidgetModel {
    let mut state = model_keys(BASE_MODULE, CONTROLS_MODULE_VERSION, "LayoutModel", BASE_MODULE, "LayoutView");
    for property in LAYOUT_PROPERTIES {
        state.insert((*property).into(), Value::Null);
    }
    for (property, value) in properties {
        state.insert((*property).into(), json!(value));
    }
    WidgetModel::open(state)
}

/// Opens a style model `model_name` (e.g. `SliderStyleModel`) with its `properties`
/// (`description_width`, `handle_color`…).
pub fn open_style(model_name: &str, properties: Map<String, Value>) -> WidgetModel {
    let mut state = model_keys(CONTROLS_MODULE, CONTROLS_MODULE_VERSION, model_name, BASE_MODULE, "StyleView");
    state.extend(properties);
    WidgetModel::open(state)
}

/// The state of a DOM control of the controls module: model and view keys, references to its
/// `layout` and (when given) `style` models, an empty description, and `own` keys on top.
pub fn control_state(
    model_name: &str,
    view_name: &str,
    layout: &WidgetModel,
    style: Option<&WidgetModel>,
    own: Map<String, Value>,
) -> Map<String, Value> {
    let mut state = model_keys(CONTROLS_MODULE, CONTROLS_MODULE_VERSION, model_name, CONTROLS_MODULE, view_name);
    state.insert("_dom_classes".into(), json!([]));
    state.insert("layout".into(), json!(layout.reference()));
    state.insert("tabbable".into(), Value::Null);
    state.insert("tooltip".into(), Value::Null);
    if let Some(style) = style {
        state.insert("style".into(), json!(style.reference()));
        state.insert("description".into(), json!(""));
        state.insert("description_allow_html".into(), json!(false));
    }
    state.extend(own);
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_bundles_with_and_without_a_widget_manager() {
        let _serial = crate::comm::tests::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let model = WidgetModel::open(json!({"_model_name": "LabelModel", "value": "x"}).as_object().unwrap().clone());
        let live = model.view_bundle_for(true, "x", "<b>x</b>");
        assert_eq!(live.data[VIEW_MIME], json!({"model_id": model.id(), "version_major": 2, "version_minor": 0}));
        assert_eq!(live.data["text/html"], "<b>x</b>");
        let exported = model.view_bundle_for(false, "x", "<b>x</b>");
        assert_eq!(exported.data.keys().collect::<Vec<_>>(), vec!["text/html", "text/plain"]);
        assert!(live_model_ids().contains(&model.id().to_string()));
        model.close();
        assert!(!live_model_ids().contains(&model.id().to_string()));
        assert_eq!(referenced_id(&model.reference()), Some(model.id()));
    }

    #[test]
    fn front_end_values_must_keep_their_shape() {
        assert!(same_shape(&json!([-6, 2]), &json!([-3, 0])));
        assert!(!same_shape(&json!([-6, 2]), &json!("<script>")));
        assert!(!same_shape(&json!([-6, 2]), &json!(["a", "b"])));
        assert!(same_shape(&json!(null), &json!(3)) && same_shape(&json!(3), &json!(null)));
        assert!(same_shape(&json!(1), &json!(2.5)));
        assert!(!same_shape(&json!("text"), &json!({"year": 2024})));
        assert!(same_shape(&json!([]), &json!([1, "x"])));
    }

    #[test]
    fn observers_see_rust_side_changes_once() {
        let _serial = crate::comm::tests::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let model = WidgetModel::open(json!({"value": 1}).as_object().unwrap().clone());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen_by_observer = seen.clone();
        model.on_change("value", move |change| seen_by_observer.lock().unwrap().push(change.clone()));
        model.set("value", json!(2));
        model.set("value", json!(2));
        model.set("other", json!("ignored"));
        let seen = seen.lock().unwrap();
        assert_eq!(*seen, vec![StateChange { key: "value".into(), old: json!(1), new: json!(2) }]);
    }
}
