use super::*;
use crate::testing::{front_end_clicks, front_end_sends, front_end_updates, opened_with, recorder, sent_data};
use mstic_core::comm::{self, CommMessage, Inbound, Outbound};
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn slider_opens_with_the_ipywidgets_8_state() {
    recorder();
    let slider = IntSlider::new(5, 0..=10).description("Hours");
    let open = opened_with(slider.model());
    let state = &open["state"];
    assert_eq!(open["buffer_paths"], json!([]));
    for (key, expected) in [
        ("_model_module", json!("@jupyter-widgets/controls")),
        ("_model_module_version", json!("2.0.0")),
        ("_model_name", json!("IntSliderModel")),
        ("_view_module", json!("@jupyter-widgets/controls")),
        ("_view_module_version", json!("2.0.0")),
        ("_view_name", json!("IntSliderView")),
        ("value", json!(5)),
        ("min", json!(0)),
        ("max", json!(10)),
        ("step", json!(1)),
        ("orientation", json!("horizontal")),
        ("readout_format", json!("d")),
        ("description", json!("")),
        ("_dom_classes", json!([])),
    ] {
        assert_eq!(state[key], expected, "{key}");
    }
    // The description was set after opening, as an update.
    assert_eq!(
        sent_data(slider.model())[1],
        json!({"method": "update", "state": {"description": "Hours"}, "buffer_paths": []})
    );
    let metadata = match &recorder().messages_for(slider.model().id())[0] {
        Outbound::Open { target_name, message } => {
            assert_eq!(target_name, "jupyter.widget");
            message.metadata.clone()
        }
        other => panic!("not an open: {other:?}"),
    };
    assert_eq!(metadata, json!({"version": "2.1.0"}));

    let layout_id = widget::referenced_id(state["layout"].as_str().unwrap()).unwrap().to_string();
    let layout = opened_with(&widget::live_model(&layout_id).unwrap());
    assert_eq!(layout["state"]["_model_name"], "LayoutModel");
    assert_eq!(layout["state"]["_model_module"], "@jupyter-widgets/base");
    assert_eq!(layout["state"]["_view_name"], "LayoutView");
    assert_eq!(layout["state"]["width"], Value::Null);
    let style_id = widget::referenced_id(state["style"].as_str().unwrap()).unwrap().to_string();
    let style = opened_with(&widget::live_model(&style_id).unwrap());
    assert_eq!(style["state"]["_model_name"], "SliderStyleModel");
    assert_eq!(style["state"]["_model_module"], "@jupyter-widgets/controls");
    assert_eq!(style["state"]["_view_module"], "@jupyter-widgets/base");
    assert_eq!(style["state"]["_view_name"], "StyleView");
    assert_eq!(style["state"]["description_width"], "");
}

#[test]
fn front_end_updates_are_stored_echoed_and_observed() {
    recorder();
    let slider = IntSlider::new(1, 0..=10);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_by_callback = seen.clone();
    slider.on_change(move |value| seen_by_callback.lock().unwrap().push(value));
    front_end_updates(slider.model(), json!({"value": 7}));
    assert_eq!(slider.value(), 7);
    assert_eq!(*seen.lock().unwrap(), vec![7]);
    assert_eq!(
        sent_data(slider.model()).last().unwrap(),
        &json!({"method": "echo_update", "state": {"value": 7}, "buffer_paths": []})
    );

    slider.set_value(3);
    assert_eq!(*seen.lock().unwrap(), vec![7, 3], "Rust-side changes call the observers too");
    assert_eq!(
        sent_data(slider.model()).last().unwrap(),
        &json!({"method": "update", "state": {"value": 3}, "buffer_paths": []})
    );
    front_end_updates(slider.model(), json!({"value": 3}));
    assert_eq!(seen.lock().unwrap().len(), 2, "an unchanged value calls no observer");
}

#[test]
fn request_state_is_answered_with_the_full_state() {
    recorder();
    let text = Text::new("ws1");
    front_end_updates(text.model(), json!({"value": "ws2"}));
    front_end_sends(text.model(), json!({"method": "request_state"}));
    let reply = sent_data(text.model()).last().unwrap().clone();
    assert_eq!(reply["method"], "update");
    assert_eq!(reply["state"]["value"], "ws2");
    assert_eq!(reply["state"]["_model_name"], "TextModel");
    assert_eq!(reply["state"], Value::Object(text.model().state()));
}

#[test]
fn request_states_lists_every_live_model() {
    recorder();
    let label = Label::new("status");
    let dropdown = Dropdown::new(&["a", "b"]);
    comm::deliver(Inbound::Open {
        target_name: widget::CONTROL_TARGET.into(),
        message: CommMessage::new("control-1", json!({})),
    });
    comm::deliver(Inbound::Msg(CommMessage::new("control-1", json!({"method": "request_states"}))));
    let reply = recorder().messages_for("control-1").last().and_then(|m| m.message().map(|m| m.data.clone())).unwrap();
    assert_eq!(reply["method"], "update_states");
    assert_eq!(reply["buffer_paths"], json!({}));
    let states = reply["states"].as_object().unwrap();
    for model in [label.model(), dropdown.model()] {
        let entry = &states[model.id()];
        assert_eq!(entry["model_module"], "@jupyter-widgets/controls");
        assert_eq!(entry["model_module_version"], "2.0.0");
        assert_eq!(entry["state"], Value::Object(model.state()));
    }
    assert_eq!(states[label.model().id()]["model_name"], "LabelModel");
    assert_eq!(states[dropdown.model().id()]["model_name"], "DropdownModel");
    let layout_id = widget::referenced_id(label.model().get("layout").unwrap().as_str().unwrap()).unwrap().to_string();
    assert_eq!(states[&layout_id]["model_name"], "LayoutModel");
    assert!(recorder().messages().contains(&Outbound::Register { target_name: widget::CONTROL_TARGET.into() }));
}

#[test]
fn button_clicks_from_the_front_end_run_the_callbacks() {
    recorder();
    let button = Button::new("Run");
    let clicks = Arc::new(AtomicUsize::new(0));
    let counter = clicks.clone();
    button.on_click(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    front_end_clicks(button.model());
    front_end_sends(button.model(), json!({"method": "custom", "content": {"event": "other"}}));
    button.click();
    assert_eq!(clicks.load(Ordering::SeqCst), 2);
    assert_eq!(opened_with(button.model())["state"]["description"], "Run");
}

#[test]
fn selections_follow_the_front_end() {
    recorder();
    let dropdown = Dropdown::new(&["Minute", "Hour"]);
    let chosen = Arc::new(Mutex::new(Vec::new()));
    let chosen_by_callback = chosen.clone();
    dropdown.on_change(move |value| chosen_by_callback.lock().unwrap().push(value));
    front_end_updates(dropdown.model(), json!({"index": 1}));
    assert_eq!(dropdown.value().as_deref(), Some("Hour"));
    front_end_updates(dropdown.model(), json!({"index": null}));
    assert_eq!(*chosen.lock().unwrap(), vec![Some("Hour".to_string()), None]);

    let many = SelectMultiple::new(&["a", "b", "c"]);
    front_end_updates(many.model(), json!({"index": [2, 0, 9]}));
    assert_eq!(many.values(), vec!["a", "c"], "out-of-range indices are ignored");
    many.set_options(&["c", "d"]);
    assert_eq!(many.values(), vec!["c"]);
    assert_eq!(many.model().get("index"), Some(json!([0])));
}

#[test]
fn date_picker_reads_the_front_end_date() {
    recorder();
    let picker = DatePicker::new(None);
    assert_eq!(opened_with(picker.model())["state"]["value"], Value::Null);
    front_end_updates(picker.model(), json!({"value": {"year": 2024, "month": 0, "date": 31}}));
    assert_eq!(picker.value(), NaiveDate::from_ymd_opt(2024, 1, 31));
    front_end_updates(picker.model(), json!({"value": {"year": 2024, "month": 1, "date": 30}}));
    assert_eq!(picker.value(), None, "an impossible date reads as none");
    assert_eq!(
        date_to_json(NaiveDate::from_ymd_opt(2024, 12, 25).unwrap()),
        json!({"year": 2024, "month": 11, "date": 25})
    );
}

#[test]
fn static_views_escape_hostile_text_and_skip_the_widget_view_without_a_manager() {
    recorder();
    let hostile = "<img src=x onerror=alert(1)>";
    let text = Text::new(hostile).description("<b>Host</b>");
    let exported = text.view_bundle_for(false);
    assert_eq!(exported.data.keys().collect::<Vec<_>>(), vec!["text/html", "text/plain"]);
    let html = exported.data["text/html"].as_str().unwrap();
    assert_eq!(
        html,
        "<div class=\"mstic-widget\"><b>&lt;b&gt;Host&lt;/b&gt;</b> &lt;img src=x onerror=alert(1)&gt;</div>"
    );
    assert_eq!(exported.plain_text(), Some("<b>Host</b> <img src=x onerror=alert(1)>"));
    let live = text.view_bundle_for(true);
    assert_eq!(
        live.data[widget::VIEW_MIME],
        json!({"model_id": text.model().id(), "version_major": 2, "version_minor": 0})
    );
    assert_eq!(live.data["text/html"], exported.data["text/html"]);

    let boxed = VBox::new(&[&Label::new("<script>"), &Button::new("<go>")]);
    let html = boxed.view_bundle_for(false).data["text/html"].as_str().unwrap().to_string();
    assert!(html.contains("&lt;script&gt;") && html.contains("<button disabled>&lt;go&gt;</button>"), "{html}");
    assert!(!html.contains("<script>"));
    assert_eq!(opened_with(boxed.model())["state"]["children"].as_array().unwrap().len(), 2);
}

#[test]
fn output_widget_holds_display_data_outputs() {
    recorder();
    let output = Output::new();
    let state = opened_with(output.model())["state"].clone();
    assert_eq!(
        (state["_model_module"].as_str(), state["_model_module_version"].as_str(), state["_model_name"].as_str()),
        (Some("@jupyter-widgets/output"), Some("1.0.0"), Some("OutputModel"))
    );
    assert_eq!((state["_view_name"].as_str(), &state["outputs"]), (Some("OutputView"), &json!([])));
    output.append(&MimeBundle::new().with_text("text/plain", "<1>"));
    output.replace(&MimeBundle::new().with_text("text/plain", "<2>"));
    let expected = json!([{"output_type": "display_data", "data": {"text/plain": "<2>"}, "metadata": {}}]);
    assert_eq!(output.outputs(), expected.as_array().unwrap().clone());
    assert_eq!(sent_data(output.model()).last().unwrap()["state"]["outputs"], expected);
    assert_eq!(output.html_view(), "<div class=\"mstic-widget\"><pre>&lt;2&gt;</pre></div>");
}

/// The state keys ipywidgets 8.1 declares for each model, beyond the common model/view keys (and
/// the DOM keys `_dom_classes`, `layout`, `tabbable`, `tooltip` for DOM widgets).
const IPYWIDGETS_8_KEYS: &[(&str, bool, &[&str])] = &[
    (
        "IntSliderModel",
        true,
        &[
            "behavior",
            "continuous_update",
            "description",
            "description_allow_html",
            "disabled",
            "max",
            "min",
            "orientation",
            "readout",
            "readout_format",
            "step",
            "style",
            "value",
        ],
    ),
    (
        "IntRangeSliderModel",
        true,
        &[
            "behavior",
            "continuous_update",
            "description",
            "description_allow_html",
            "disabled",
            "max",
            "min",
            "orientation",
            "readout",
            "readout_format",
            "step",
            "style",
            "value",
        ],
    ),
    (
        "FloatSliderModel",
        true,
        &[
            "behavior",
            "continuous_update",
            "description",
            "description_allow_html",
            "disabled",
            "max",
            "min",
            "orientation",
            "readout",
            "readout_format",
            "step",
            "style",
            "value",
        ],
    ),
    (
        "DropdownModel",
        true,
        &["_options_labels", "description", "description_allow_html", "disabled", "index", "style"],
    ),
    (
        "SelectModel",
        true,
        &["_options_labels", "description", "description_allow_html", "disabled", "index", "rows", "style"],
    ),
    (
        "SelectMultipleModel",
        true,
        &["_options_labels", "description", "description_allow_html", "disabled", "index", "rows", "style"],
    ),
    (
        "TextModel",
        true,
        &["continuous_update", "description", "description_allow_html", "disabled", "placeholder", "style", "value"],
    ),
    ("LabelModel", true, &["description", "description_allow_html", "placeholder", "style", "value"]),
    ("HTMLModel", true, &["description", "description_allow_html", "placeholder", "style", "value"]),
    ("ButtonModel", true, &["button_style", "description", "disabled", "icon", "style"]),
    (
        "DatePickerModel",
        true,
        &["description", "description_allow_html", "disabled", "max", "min", "step", "style", "value"],
    ),
    (
        "IntProgressModel",
        true,
        &["bar_style", "description", "description_allow_html", "max", "min", "orientation", "style", "value"],
    ),
    ("VBoxModel", true, &["box_style", "children"]),
    ("HBoxModel", true, &["box_style", "children"]),
    ("OutputModel", true, &["msg_id", "outputs"]),
    ("SliderStyleModel", false, &["description_width", "handle_color"]),
    ("DescriptionStyleModel", false, &["description_width"]),
    ("TextStyleModel", false, &["background", "description_width", "font_size", "text_color"]),
    (
        "LabelStyleModel",
        false,
        &[
            "background",
            "description_width",
            "font_family",
            "font_size",
            "font_style",
            "font_variant",
            "font_weight",
            "text_color",
            "text_decoration",
        ],
    ),
    ("HTMLStyleModel", false, &["background", "description_width", "font_size", "text_color"]),
    (
        "ButtonStyleModel",
        false,
        &[
            "button_color",
            "font_family",
            "font_size",
            "font_style",
            "font_variant",
            "font_weight",
            "text_color",
            "text_decoration",
        ],
    ),
    ("ProgressStyleModel", false, &["bar_color", "description_width"]),
];

#[test]
fn every_model_has_the_keys_ipywidgets_declares() {
    recorder();
    let date = NaiveDate::from_ymd_opt(2024, 5, 1);
    let widgets: Vec<Arc<dyn Widget>> = vec![
        IntSlider::new(1, 0..=3).shared(),
        IntRangeSlider::new((0, 1), 0..=3).shared(),
        FloatSlider::new(0.5, 0.0..=1.0).shared(),
        Dropdown::new(&["a"]).shared(),
        Select::new(&["a"]).shared(),
        SelectMultiple::new(&["a"]).shared(),
        Text::new("t").shared(),
        Label::new("l").shared(),
        Html::new("<b>h</b>").shared(),
        Button::new("b").shared(),
        DatePicker::new(date).shared(),
        IntProgress::new(0, 0..=3).shared(),
        VBox::new(&[]).shared(),
        HBox::new(&[]).shared(),
        Output::new().shared(),
    ];
    let mut models: Vec<WidgetModel> = Vec::new();
    for widget in &widgets {
        let model = widget.model().clone();
        if let Some(style) =
            model.get("style").and_then(|r| r.as_str().and_then(widget::referenced_id).and_then(widget::live_model))
        {
            models.push(style);
        }
        models.push(model);
    }
    let mut checked = Vec::new();
    for model in models {
        let state = model.state();
        let name = state["_model_name"].as_str().unwrap().to_string();
        let (_, dom, own) = IPYWIDGETS_8_KEYS.iter().find(|(n, _, _)| *n == name).unwrap_or_else(|| panic!("{name}"));
        let mut expected: Vec<&str> = vec![
            "_model_module",
            "_model_module_version",
            "_model_name",
            "_view_count",
            "_view_module",
            "_view_module_version",
            "_view_name",
        ];
        if *dom {
            expected.extend(["_dom_classes", "layout", "tabbable", "tooltip"]);
        }
        expected.extend(own.iter());
        expected.sort_unstable();
        let mut actual: Vec<&str> = state.keys().map(String::as_str).collect();
        actual.sort_unstable();
        assert_eq!(actual, expected, "{name}");
        checked.push(name);
    }
    checked.sort();
    checked.dedup();
    assert_eq!(checked.len(), IPYWIDGETS_8_KEYS.len(), "{checked:?}");
}
