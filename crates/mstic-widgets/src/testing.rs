//! Test helpers: one recording transport for the test process, and the front end's side of the
//! widget protocol (updates, clicks, state requests).

use mstic_core::comm::{self, CommMessage, Inbound, Outbound, RecordingTransport};
use mstic_core::widget::WidgetModel;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

/// The transport recording what every test's widgets send (installed once; tests read the
/// messages of their own models).
pub fn recorder() -> Arc<RecordingTransport> {
    static RECORDER: OnceLock<Arc<RecordingTransport>> = OnceLock::new();
    RECORDER
        .get_or_init(|| {
            let recorder = Arc::new(RecordingTransport::default());
            comm::install_transport(recorder.clone());
            recorder
        })
        .clone()
}

/// The `data` of every message sent on `model`'s comm, oldest first.
pub fn sent_data(model: &WidgetModel) -> Vec<Value> {
    recorder().messages_for(model.id()).iter().filter_map(|m| m.message().map(|m| m.data.clone())).collect()
}

/// The `data` of the comm_open of `model`.
pub fn opened_with(model: &WidgetModel) -> Value {
    let messages = recorder().messages_for(model.id());
    match messages.first() {
        Some(Outbound::Open { message, .. }) => message.data.clone(),
        other => panic!("no comm_open recorded for {}: {other:?}", model.id()),
    }
}

/// The front end sends `data` on `model`'s comm.
pub fn front_end_sends(model: &WidgetModel, data: Value) {
    comm::deliver(Inbound::Msg(CommMessage::new(model.id(), data)));
}

/// The front end changes `state` keys of `model` (the user moved a slider, typed, chose).
pub fn front_end_updates(model: &WidgetModel, state: Value) {
    front_end_sends(model, json!({"method": "update", "state": state, "buffer_paths": []}));
}

/// The user clicks the button whose model is `model`.
pub fn front_end_clicks(model: &WidgetModel) {
    front_end_sends(model, json!({"method": "custom", "content": {"event": "click"}}));
}
