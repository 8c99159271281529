//! The standard ipywidgets 8 controls as typed Rust handles: sliders, selection lists, text,
//! labels, HTML, buttons, a date picker, a progress bar, boxes and output areas.
//!
//! Each control opens its model (and its `layout` and `style` models, as ipywidgets does) when
//! created. Getters read the current state, which the front end updates as the user works the
//! control; setters send the change to the front end; `on_change` callbacks run after every change
//! from either side (front-end changes call them on the comm reader thread).

use crate::{Widget, widget_display};
use chrono::{Datelike, NaiveDate};
use mstic_core::display::escape_html;
use mstic_core::widget::{self, StateChange, WidgetModel};
use mstic_core::{Error, MimeBundle, Result};
use serde_json::{Map, Value, json};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

/// The JSON object inside `value` (empty for anything else).
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn int_of(value: &Value) -> i64 {
    value.as_i64().or_else(|| value.as_f64().map(|f| f.round() as i64)).unwrap_or_default()
}

fn text_of(value: Option<Value>) -> String {
    match value {
        Some(Value::String(text)) => text,
        _ => String::new(),
    }
}

fn ordered(range: &RangeInclusive<i64>) -> (i64, i64) {
    let (a, b) = (*range.start(), *range.end());
    (a.min(b), a.max(b))
}

fn style(model_name: &str, properties: Value) -> WidgetModel {
    widget::open_style(model_name, object(properties))
}

/// Sets `key` on the style model `model` refers to.
fn set_style(model: &WidgetModel, key: &str, value: Value) {
    let style =
        model.get("style").and_then(|r| r.as_str().and_then(widget::referenced_id).and_then(widget::live_model));
    if let Some(style) = style {
        style.set(key, value);
    }
}

fn description_style() -> WidgetModel {
    style("DescriptionStyleModel", json!({"description_width": ""}))
}

/// Opens a control's layout, style (when it has one) and own model.
fn open_control(model_name: &str, view_name: &str, style: Option<WidgetModel>, own: Value) -> (WidgetModel, Layout) {
    open_control_without(model_name, view_name, style, own, &[])
}

/// Opens a control whose state lacks some of the usual keys (`absent`).
fn open_control_without(
    model_name: &str,
    view_name: &str,
    style: Option<WidgetModel>,
    own: Value,
    absent: &[&str],
) -> (WidgetModel, Layout) {
    let layout = Layout::new();
    let mut state = widget::control_state(model_name, view_name, &layout.model, style.as_ref(), object(own));
    for key in absent {
        state.remove(*key);
    }
    (WidgetModel::open(state), layout)
}

/// The static HTML view of a described value: `<b>description</b> value`, both escaped.
pub(crate) fn described_html(description: &str, value: &str) -> String {
    if description.is_empty() {
        format!("<div class=\"mstic-widget\">{}</div>", escape_html(value))
    } else {
        format!("<div class=\"mstic-widget\"><b>{}</b> {}</div>", escape_html(description), escape_html(value))
    }
}

/// The static text view of a described value.
pub(crate) fn described_text(description: &str, value: &str) -> String {
    if description.is_empty() { value.to_string() } else { format!("{description} {value}") }
}

/// Implements [`Widget`] for a described control whose static views show its description and
/// the value as text, given by `$shown` (a closure of the control).
macro_rules! described_widget {
    ($type:ty, $shown:expr) => {
        impl Widget for $type {
            fn model(&self) -> &WidgetModel {
                &self.model
            }
            fn text_view(&self) -> String {
                described_text(&self.description_text(), &($shown)(self))
            }
            fn html_view(&self) -> String {
                described_html(&self.description_text(), &($shown)(self))
            }
            fn shared(&self) -> Arc<dyn Widget> {
                Arc::new(self.clone())
            }
        }
    };
}

/// Gives a control with a description the shared builder methods.
macro_rules! described_control {
    ($type:ty) => {
        impl $type {
            /// Sets the label shown beside the control.
            pub fn description(self, text: &str) -> Self {
                self.model.set("description", json!(text));
                self
            }

            /// The label shown beside the control.
            pub fn description_text(&self) -> String {
                text_of(self.model.get("description"))
            }

            /// Greys the control out (`true`) or enables it.
            pub fn set_disabled(&self, disabled: bool) {
                self.model.set("disabled", json!(disabled));
            }

            /// Sets the width given to the description (`"initial"` shows it whole; CSS widths too).
            pub fn set_description_width(&self, width: &str) {
                set_style(&self.model, "description_width", json!(width));
            }

            /// The control's layout (width, height, margins…).
            pub fn layout(&self) -> &Layout {
                &self.layout
            }
        }
    };
}

/// The CSS layout of a control (`LayoutModel`): width, height, margins, flex settings.
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::Layout;
/// let layout = Layout::new();
/// layout.set("width", "70%");
/// assert_eq!(layout.get("width").as_deref(), Some("70%"));
/// assert_eq!(layout.get("height"), None);
/// ```
#[derive(Debug, Clone)]
pub struct Layout {
    model: WidgetModel,
}

impl Default for Layout {
    fn default() -> Self {
        Self::new()
    }
}

impl Layout {
    /// A layout with every property unset (the front end's defaults).
    pub fn new() -> Layout {
        Layout { model: widget::open_layout(&[]) }
    }

    /// Sets a CSS property (named with `_`, e.g. `max_width`) to `value` (`"300px"`, `"70%"`).
    pub fn set(&self, property: &str, value: &str) {
        self.model.set(property, json!(value));
    }

    /// The value of a CSS property, if set.
    pub fn get(&self, property: &str) -> Option<String> {
        self.model.get(property).and_then(|v| v.as_str().map(str::to_string))
    }

    /// The layout's model.
    pub fn model(&self) -> &WidgetModel {
        &self.model
    }
}

/// A slider choosing one whole number in a range (`IntSlider`).
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::IntSlider;
/// let hours = IntSlider::new(6, 0..=72).description("Hours");
/// hours.set_value(12);
/// assert_eq!(hours.value(), 12);
/// hours.set_value(100);
/// assert_eq!(hours.value(), 72, "values stay in the range");
/// ```
#[derive(Debug, Clone)]
pub struct IntSlider {
    model: WidgetModel,
    layout: Layout,
}

impl IntSlider {
    /// A slider over `range` (both ends included) at `value`.
    pub fn new(value: i64, range: RangeInclusive<i64>) -> IntSlider {
        let (min, max) = ordered(&range);
        let own = json!({"behavior": "drag-tap", "continuous_update": true, "disabled": false, "max": max, "min": min,
            "orientation": "horizontal", "readout": true, "readout_format": "d", "step": 1, "value": value.clamp(min, max)});
        let slider_style = style("SliderStyleModel", json!({"description_width": "", "handle_color": null}));
        let (model, layout) = open_control("IntSliderModel", "IntSliderView", Some(slider_style), own);
        IntSlider { model, layout }
    }

    /// Sets the step between values.
    pub fn step(self, step: i64) -> Self {
        self.model.set("step", json!(step.max(1)));
        self
    }

    /// The current value.
    pub fn value(&self) -> i64 {
        int_of(&self.model.get("value").unwrap_or_default())
    }

    /// Moves the slider to `value` (kept in the range).
    pub fn set_value(&self, value: i64) {
        let (min, max) = ordered(&self.range());
        self.model.set("value", json!(value.clamp(min, max)));
    }

    /// The range of the slider.
    pub fn range(&self) -> RangeInclusive<i64> {
        int_of(&self.model.get("min").unwrap_or_default())..=int_of(&self.model.get("max").unwrap_or_default())
    }

    /// Calls `callback` with the new value after each change.
    pub fn on_change(&self, callback: impl Fn(i64) + Send + Sync + 'static) {
        self.model.on_change("value", move |change| callback(int_of(&change.new)));
    }
}

described_control!(IntSlider);
widget_display!(IntSlider);

described_widget!(IntSlider, |w: &IntSlider| w.value().to_string());

/// A slider choosing a range of whole numbers, lower and upper (`IntRangeSlider`).
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::IntRangeSlider;
/// let around = IntRangeSlider::new((-6, 2), -72..=72).description("Time range");
/// assert_eq!(around.value(), (-6, 2));
/// around.set_value((10, -3));
/// assert_eq!(around.value(), (-3, 10), "the pair is ordered");
/// ```
#[derive(Debug, Clone)]
pub struct IntRangeSlider {
    model: WidgetModel,
    layout: Layout,
}

impl IntRangeSlider {
    /// A range slider over `range` with `value` = (lower, upper).
    pub fn new(value: (i64, i64), range: RangeInclusive<i64>) -> IntRangeSlider {
        let (min, max) = ordered(&range);
        let (lower, upper) = (value.0.min(value.1).clamp(min, max), value.0.max(value.1).clamp(min, max));
        let own = json!({"behavior": "drag-tap", "continuous_update": true, "disabled": false, "max": max, "min": min,
            "orientation": "horizontal", "readout": true, "readout_format": "d", "step": 1, "value": [lower, upper]});
        let slider_style = style("SliderStyleModel", json!({"description_width": "", "handle_color": null}));
        let (model, layout) = open_control("IntRangeSliderModel", "IntRangeSliderView", Some(slider_style), own);
        IntRangeSlider { model, layout }
    }

    /// The current (lower, upper) pair.
    pub fn value(&self) -> (i64, i64) {
        pair_of(&self.model.get("value").unwrap_or_default())
    }

    /// Moves both handles (kept in the range, lower first).
    pub fn set_value(&self, value: (i64, i64)) {
        let (min, max) = ordered(&self.range());
        let (lower, upper) = (value.0.min(value.1).clamp(min, max), value.0.max(value.1).clamp(min, max));
        self.model.set("value", json!([lower, upper]));
    }

    /// The range of the slider.
    pub fn range(&self) -> RangeInclusive<i64> {
        int_of(&self.model.get("min").unwrap_or_default())..=int_of(&self.model.get("max").unwrap_or_default())
    }

    /// Changes the slider's range (and the value into it) in one update.
    pub fn set_range_and_value(&self, range: RangeInclusive<i64>, value: (i64, i64)) {
        let (min, max) = ordered(&range);
        let (lower, upper) = (value.0.min(value.1).clamp(min, max), value.0.max(value.1).clamp(min, max));
        self.model.set_many(object(json!({"min": min, "max": max, "value": [lower, upper]})));
    }

    /// Calls `callback` with the new (lower, upper) pair after each change.
    pub fn on_change(&self, callback: impl Fn((i64, i64)) + Send + Sync + 'static) {
        self.model.on_change("value", move |change| callback(pair_of(&change.new)));
    }
}

fn pair_of(value: &Value) -> (i64, i64) {
    let items = value.as_array().cloned().unwrap_or_default();
    let at = |i: usize| items.get(i).map(int_of).unwrap_or_default();
    (at(0), at(1))
}

described_control!(IntRangeSlider);
widget_display!(IntRangeSlider);

described_widget!(IntRangeSlider, |w: &IntRangeSlider| {
    let (lower, upper) = w.value();
    format!("{lower} to {upper}")
});

/// A slider choosing one decimal number in a range (`FloatSlider`).
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::FloatSlider;
/// let threshold = FloatSlider::new(0.5, 0.0..=1.0).step(0.05).description("Threshold");
/// threshold.set_value(0.75);
/// assert_eq!(threshold.value(), 0.75);
/// ```
#[derive(Debug, Clone)]
pub struct FloatSlider {
    model: WidgetModel,
    layout: Layout,
}

impl FloatSlider {
    /// A slider over `range` at `value` (steps of 0.1).
    pub fn new(value: f64, range: RangeInclusive<f64>) -> FloatSlider {
        let (min, max) = (range.start().min(*range.end()), range.start().max(*range.end()));
        let own = json!({"behavior": "drag-tap", "continuous_update": true, "disabled": false, "max": max, "min": min,
            "orientation": "horizontal", "readout": true, "readout_format": ".2f", "step": 0.1, "value": value.clamp(min, max)});
        let slider_style = style("SliderStyleModel", json!({"description_width": "", "handle_color": null}));
        let (model, layout) = open_control("FloatSliderModel", "FloatSliderView", Some(slider_style), own);
        FloatSlider { model, layout }
    }

    /// Sets the step between values.
    pub fn step(self, step: f64) -> Self {
        self.model.set("step", json!(step));
        self
    }

    /// The current value.
    pub fn value(&self) -> f64 {
        self.model.get("value").and_then(|v| v.as_f64()).unwrap_or_default()
    }

    /// Moves the slider to `value` (kept in the range).
    pub fn set_value(&self, value: f64) {
        let number = |key: &str| self.model.get(key).and_then(|v| v.as_f64()).unwrap_or_default();
        self.model.set("value", json!(value.clamp(number("min"), number("max"))));
    }

    /// Calls `callback` with the new value after each change.
    pub fn on_change(&self, callback: impl Fn(f64) + Send + Sync + 'static) {
        self.model.on_change("value", move |change| callback(change.new.as_f64().unwrap_or_default()));
    }
}

described_control!(FloatSlider);
widget_display!(FloatSlider);

described_widget!(FloatSlider, |w: &FloatSlider| format!("{:.2}", w.value()));

fn labels_of(model: &WidgetModel) -> Vec<String> {
    let labels = model.get("_options_labels").and_then(|v| v.as_array().cloned()).unwrap_or_default();
    labels.iter().map(|l| l.as_str().unwrap_or_default().to_string()).collect()
}

fn index_of(value: &Value, count: usize) -> Option<usize> {
    value.as_u64().map(|i| i as usize).filter(|i| *i < count)
}

/// The methods shared by the single-choice lists ([`Dropdown`], [`Select`]).
macro_rules! single_selection {
    ($type:ty) => {
        impl $type {
            /// The chosen option, if any.
            pub fn value(&self) -> Option<String> {
                let options = self.options();
                self.index().and_then(|i| options.get(i).cloned())
            }

            /// The position of the chosen option, if any.
            pub fn index(&self) -> Option<usize> {
                index_of(&self.model.get("index").unwrap_or_default(), labels_of(&self.model).len())
            }

            /// The options offered.
            pub fn options(&self) -> Vec<String> {
                labels_of(&self.model)
            }

            /// Chooses the option at `index` (`None` clears the choice).
            pub fn set_index(&self, index: Option<usize>) {
                let index = index.filter(|i| *i < self.options().len());
                self.model.set("index", json!(index));
            }

            /// Chooses the option `value`; an error names the options when it is not one.
            pub fn set_value(&self, value: &str) -> Result<()> {
                let options = self.options();
                match options.iter().position(|o| o == value) {
                    Some(i) => {
                        self.set_index(Some(i));
                        Ok(())
                    }
                    None => Err(Error::unknown("option", value, options.iter().map(String::as_str))),
                }
            }

            /// Replaces the options, keeping the chosen one when it is still offered.
            pub fn set_options(&self, options: &[impl AsRef<str>]) {
                let chosen = self.value();
                let labels: Vec<String> = options.iter().map(|o| o.as_ref().to_string()).collect();
                let index = chosen.and_then(|c| labels.iter().position(|l| *l == c));
                self.model.set_many(object(json!({"_options_labels": labels, "index": index})));
            }

            /// Calls `callback` with the newly chosen option (`None` when cleared) after each change
            /// of the choice (not when only its position moves because the options changed).
            pub fn on_change(&self, callback: impl Fn(Option<String>) + Send + Sync + 'static) {
                let model = self.model.clone();
                let last = Mutex::new(self.value());
                self.model.on_change("index", move |change: &StateChange| {
                    let options = labels_of(&model);
                    let chosen = index_of(&change.new, options.len()).and_then(|i| options.get(i).cloned());
                    let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                    if *last != chosen {
                        *last = chosen.clone();
                        drop(last);
                        callback(chosen);
                    }
                });
            }
        }

        described_control!($type);
        widget_display!($type);

        impl Widget for $type {
            fn model(&self) -> &WidgetModel {
                &self.model
            }
            fn text_view(&self) -> String {
                described_text(&self.description_text(), &self.value().unwrap_or_default())
            }
            fn html_view(&self) -> String {
                described_html(&self.description_text(), &self.value().unwrap_or_default())
            }
            fn shared(&self) -> Arc<dyn Widget> {
                Arc::new(self.clone())
            }
        }
    };
}

/// A drop-down list choosing one option (`Dropdown`); the first option is chosen at first.
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::Dropdown;
/// let unit = Dropdown::new(&["Minute", "Hour", "Day"]).description("Unit");
/// assert_eq!(unit.value().as_deref(), Some("Minute"));
/// unit.set_value("Day")?;
/// assert_eq!(unit.index(), Some(2));
/// assert!(unit.set_value("Year").is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dropdown {
    model: WidgetModel,
    layout: Layout,
}

impl Dropdown {
    /// A drop-down list of `options`.
    pub fn new(options: &[impl AsRef<str>]) -> Dropdown {
        let labels: Vec<&str> = options.iter().map(AsRef::as_ref).collect();
        let index = (!labels.is_empty()).then_some(0);
        let own = json!({"_options_labels": labels, "disabled": false, "index": index});
        let (model, layout) = open_control("DropdownModel", "DropdownView", Some(description_style()), own);
        Dropdown { model, layout }
    }
}

single_selection!(Dropdown);

/// A list box choosing one option (`Select`); nothing is chosen at first.
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::Select;
/// let hosts = Select::new(&["ws1", "ws2"]).rows(4);
/// assert_eq!(hosts.value(), None);
/// hosts.set_index(Some(1));
/// assert_eq!(hosts.value().as_deref(), Some("ws2"));
/// ```
#[derive(Debug, Clone)]
pub struct Select {
    model: WidgetModel,
    layout: Layout,
}

impl Select {
    /// A list box of `options`, five rows high.
    pub fn new(options: &[impl AsRef<str>]) -> Select {
        let labels: Vec<&str> = options.iter().map(AsRef::as_ref).collect();
        let own = json!({"_options_labels": labels, "disabled": false, "index": null, "rows": 5});
        let (model, layout) = open_control("SelectModel", "SelectView", Some(description_style()), own);
        Select { model, layout }
    }

    /// Sets how many rows the list shows.
    pub fn rows(self, rows: usize) -> Self {
        self.model.set("rows", json!(rows.max(1)));
        self
    }
}

single_selection!(Select);

/// A list box choosing any number of options (`SelectMultiple`).
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::SelectMultiple;
/// let accounts = SelectMultiple::new(&["alice", "bob", "carol"]);
/// accounts.set_indices(&[2, 0]);
/// assert_eq!(accounts.values(), vec!["alice", "carol"]);
/// ```
#[derive(Debug, Clone)]
pub struct SelectMultiple {
    model: WidgetModel,
    layout: Layout,
}

impl SelectMultiple {
    /// A list box of `options`, five rows high, nothing chosen.
    pub fn new(options: &[impl AsRef<str>]) -> SelectMultiple {
        let labels: Vec<&str> = options.iter().map(AsRef::as_ref).collect();
        let own = json!({"_options_labels": labels, "disabled": false, "index": [], "rows": 5});
        let (model, layout) = open_control("SelectMultipleModel", "SelectMultipleView", Some(description_style()), own);
        SelectMultiple { model, layout }
    }

    /// Sets how many rows the list shows.
    pub fn rows(self, rows: usize) -> Self {
        self.model.set("rows", json!(rows.max(1)));
        self
    }

    /// The options offered.
    pub fn options(&self) -> Vec<String> {
        labels_of(&self.model)
    }

    /// The positions of the chosen options, in list order.
    pub fn indices(&self) -> Vec<usize> {
        indices_of(&self.model.get("index").unwrap_or_default(), self.options().len())
    }

    /// The chosen options, in list order.
    pub fn values(&self) -> Vec<String> {
        let options = self.options();
        self.indices().into_iter().filter_map(|i| options.get(i).cloned()).collect()
    }

    /// Chooses the options at `indices` (others are left unchosen; out-of-range ones are skipped).
    pub fn set_indices(&self, indices: &[usize]) {
        let count = self.options().len();
        let mut chosen: Vec<usize> = indices.iter().copied().filter(|i| *i < count).collect();
        chosen.sort_unstable();
        chosen.dedup();
        self.model.set("index", json!(chosen));
    }

    /// Replaces the options, keeping the chosen ones still offered.
    pub fn set_options(&self, options: &[impl AsRef<str>]) {
        let chosen = self.values();
        let labels: Vec<String> = options.iter().map(|o| o.as_ref().to_string()).collect();
        let index: Vec<usize> = labels.iter().enumerate().filter(|(_, l)| chosen.contains(l)).map(|(i, _)| i).collect();
        self.model.set_many(object(json!({"_options_labels": labels, "index": index})));
    }

    /// Calls `callback` with the chosen options after each change.
    pub fn on_change(&self, callback: impl Fn(Vec<String>) + Send + Sync + 'static) {
        let model = self.model.clone();
        self.model.on_change("index", move |change| {
            let options = labels_of(&model);
            callback(
                indices_of(&change.new, options.len()).into_iter().filter_map(|i| options.get(i).cloned()).collect(),
            )
        });
    }
}

fn indices_of(value: &Value, count: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_u64).map(|i| i as usize).filter(|i| *i < count).collect())
        .unwrap_or_default();
    indices.sort_unstable();
    indices.dedup();
    indices
}

described_control!(SelectMultiple);
widget_display!(SelectMultiple);

described_widget!(SelectMultiple, |w: &SelectMultiple| w.values().join(", "));

/// A one-line text box (`Text`).
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::Text;
/// let host = Text::new("ws1").description("Host").placeholder("host name");
/// host.set_value("ws2");
/// assert_eq!(host.value(), "ws2");
/// ```
#[derive(Debug, Clone)]
pub struct Text {
    model: WidgetModel,
    layout: Layout,
}

impl Text {
    /// A text box holding `value`.
    pub fn new(value: &str) -> Text {
        let own = json!({"continuous_update": true, "disabled": false, "placeholder": "\u{200b}", "value": value});
        let text_style = style(
            "TextStyleModel",
            json!({"background": null, "description_width": "", "font_size": null, "text_color": null}),
        );
        let (model, layout) = open_control("TextModel", "TextView", Some(text_style), own);
        Text { model, layout }
    }

    /// Sets the grey hint shown while the box is empty.
    pub fn placeholder(self, hint: &str) -> Self {
        self.model.set("placeholder", json!(hint));
        self
    }

    /// The current text.
    pub fn value(&self) -> String {
        text_of(self.model.get("value"))
    }

    /// Replaces the text.
    pub fn set_value(&self, value: &str) {
        self.model.set("value", json!(value));
    }

    /// Calls `callback` with the new text after each change.
    pub fn on_change(&self, callback: impl Fn(String) + Send + Sync + 'static) {
        self.model.on_change("value", move |change| callback(change.new.as_str().unwrap_or_default().to_string()));
    }

    /// Calls `callback` with the text when the user presses Enter in the box.
    pub fn on_submit(&self, callback: impl Fn(String) + Send + Sync + 'static) {
        let model = self.model.clone();
        self.model.on_custom(move |content, _| {
            if content.get("event").and_then(Value::as_str) == Some("submit") {
                callback(text_of(model.get("value")));
            }
        });
    }
}

described_control!(Text);
widget_display!(Text);

described_widget!(Text, |w: &Text| w.value());

/// A line of plain text (`Label`).
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::Label;
/// let status = Label::new("3 hosts");
/// status.set_value("4 hosts");
/// assert_eq!(status.value(), "4 hosts");
/// ```
#[derive(Debug, Clone)]
pub struct Label {
    model: WidgetModel,
    layout: Layout,
}

impl Label {
    /// A label showing `text`.
    pub fn new(text: &str) -> Label {
        let own = json!({"placeholder": "\u{200b}", "value": text});
        let label_style = style(
            "LabelStyleModel",
            json!({"background": null, "description_width": "", "font_family": null, "font_size": null, "font_style": null,
                   "font_variant": null, "font_weight": null, "text_color": null, "text_decoration": null}),
        );
        let (model, layout) = open_control("LabelModel", "LabelView", Some(label_style), own);
        Label { model, layout }
    }

    /// The text shown.
    pub fn value(&self) -> String {
        text_of(self.model.get("value"))
    }

    /// Replaces the text shown.
    pub fn set_value(&self, text: &str) {
        self.model.set("value", json!(text));
    }
}

described_control!(Label);
widget_display!(Label);

described_widget!(Label, |w: &Label| w.value());

/// A block of HTML markup (`HTML`). [`Html::from_text`] escapes plain text, so data shows as data.
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::Html;
/// let heading = Html::new("<h4>Logons</h4>");
/// assert_eq!(heading.value(), "<h4>Logons</h4>");
/// assert_eq!(Html::from_text("<script>").value(), "&lt;script&gt;");
/// ```
#[derive(Debug, Clone)]
pub struct Html {
    model: WidgetModel,
    layout: Layout,
}

impl Html {
    /// Shows `markup` as HTML (the caller escapes any data in it).
    pub fn new(markup: &str) -> Html {
        let own = json!({"placeholder": "\u{200b}", "value": markup});
        let html_style = style(
            "HTMLStyleModel",
            json!({"background": null, "description_width": "", "font_size": null, "text_color": null}),
        );
        let (model, layout) = open_control("HTMLModel", "HTMLView", Some(html_style), own);
        Html { model, layout }
    }

    /// Shows plain `text`, escaped.
    pub fn from_text(text: &str) -> Html {
        Html::new(&escape_html(text))
    }

    /// The markup shown.
    pub fn value(&self) -> String {
        text_of(self.model.get("value"))
    }

    /// Replaces the markup shown.
    pub fn set_value(&self, markup: &str) {
        self.model.set("value", json!(markup));
    }
}

described_control!(Html);
widget_display!(Html);

impl Widget for Html {
    fn model(&self) -> &WidgetModel {
        &self.model
    }
    fn text_view(&self) -> String {
        described_text(&self.description_text(), &self.value())
    }
    fn html_view(&self) -> String {
        // The value is markup by definition; the description is text.
        let description = self.description_text();
        let label =
            if description.is_empty() { String::new() } else { format!("<b>{}</b> ", escape_html(&description)) };
        format!("<div class=\"mstic-widget\">{label}{}</div>", self.value())
    }
    fn shared(&self) -> Arc<dyn Widget> {
        Arc::new(self.clone())
    }
}

type ClickHandler = Arc<dyn Fn() + Send + Sync>;

/// A push button (`Button`) that runs callbacks when clicked.
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::Button;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let run = Button::new("Run query").button_style("primary");
/// let clicks = Arc::new(AtomicUsize::new(0));
/// let counter = clicks.clone();
/// run.on_click(move || { counter.fetch_add(1, Ordering::SeqCst); });
/// run.click();
/// assert_eq!(clicks.load(Ordering::SeqCst), 1);
/// ```
#[derive(Clone)]
pub struct Button {
    model: WidgetModel,
    layout: Layout,
    handlers: Arc<Mutex<Vec<ClickHandler>>>,
}

impl std::fmt::Debug for Button {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Button").field("model", &self.model).finish()
    }
}

impl Button {
    /// A button labelled `label`.
    pub fn new(label: &str) -> Button {
        let own = json!({"button_style": "", "description": label, "disabled": false, "icon": "", "tooltip": null});
        let button_style = style(
            "ButtonStyleModel",
            json!({"button_color": null, "font_family": null, "font_size": null, "font_style": null, "font_variant": null,
                   "font_weight": null, "text_color": null, "text_decoration": null}),
        );
        // Buttons have a description but no HTML-description switch.
        let (model, layout) =
            open_control_without("ButtonModel", "ButtonView", Some(button_style), own, &["description_allow_html"]);
        let handlers: Arc<Mutex<Vec<ClickHandler>>> = Arc::default();
        let on_click = handlers.clone();
        model.on_custom(move |content, _| {
            if content.get("event").and_then(Value::as_str) == Some("click") {
                run_clicks(&on_click);
            }
        });
        Button { model, layout, handlers }
    }

    /// Sets the button's colour: `primary`, `success`, `info`, `warning`, `danger` or `""`.
    pub fn button_style(self, button_style: &str) -> Self {
        self.model.set("button_style", json!(button_style));
        self
    }

    /// Sets a Font Awesome icon name shown on the button (e.g. `check`).
    pub fn icon(self, icon: &str) -> Self {
        self.model.set("icon", json!(icon));
        self
    }

    /// Sets the text shown when the pointer rests on the button.
    pub fn tooltip(self, tooltip: &str) -> Self {
        self.model.set("tooltip", json!(tooltip));
        self
    }

    /// The button's label.
    pub fn label(&self) -> String {
        text_of(self.model.get("description"))
    }

    /// Calls `callback` after each click (on the comm reader thread for clicks in the notebook).
    pub fn on_click(&self, callback: impl Fn() + Send + Sync + 'static) {
        self.handlers.lock().unwrap_or_else(|e| e.into_inner()).push(Arc::new(callback));
    }

    /// Clicks the button from Rust: runs the click callbacks now.
    pub fn click(&self) {
        run_clicks(&self.handlers);
    }

    /// Greys the button out (`true`) or enables it.
    pub fn set_disabled(&self, disabled: bool) {
        self.model.set("disabled", json!(disabled));
    }

    /// The button's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
}

fn run_clicks(handlers: &Mutex<Vec<ClickHandler>>) {
    let handlers = handlers.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for handler in handlers {
        handler();
    }
}

widget_display!(Button);

impl Widget for Button {
    fn model(&self) -> &WidgetModel {
        &self.model
    }
    fn text_view(&self) -> String {
        format!("[{}]", self.label())
    }
    fn html_view(&self) -> String {
        format!("<button disabled>{}</button>", escape_html(&self.label()))
    }
    fn shared(&self) -> Arc<dyn Widget> {
        Arc::new(self.clone())
    }
}

/// A date as the date picker sends it: `{"year", "month" (0-based), "date"}`.
pub fn date_to_json(date: NaiveDate) -> Value {
    json!({"year": date.year(), "month": date.month0(), "date": date.day()})
}

/// The date in a date picker's value (`None` for `null` or an impossible date).
pub fn date_from_json(value: &Value) -> Option<NaiveDate> {
    let part = |key: &str| value.get(key).and_then(Value::as_i64);
    let month = u32::try_from(part("month")? + 1).ok()?;
    NaiveDate::from_ymd_opt(i32::try_from(part("year")?).ok()?, month, u32::try_from(part("date")?).ok()?)
}

/// A date chooser (`DatePicker`).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use mstic_widgets::Widget;
/// use mstic_widgets::controls::DatePicker;
/// let day = NaiveDate::from_ymd_opt(2024, 5, 1).expect("a date");
/// let origin = DatePicker::new(Some(day)).description("Origin date");
/// assert_eq!(origin.value(), Some(day));
/// assert_eq!(origin.model().get("value").expect("a value")["month"], 4, "months count from 0");
/// ```
#[derive(Debug, Clone)]
pub struct DatePicker {
    model: WidgetModel,
    layout: Layout,
}

impl DatePicker {
    /// A date picker showing `date` (or empty).
    pub fn new(date: Option<NaiveDate>) -> DatePicker {
        let own = json!({"disabled": false, "max": null, "min": null, "step": 1, "value": date.map(date_to_json)});
        let (model, layout) = open_control("DatePickerModel", "DatePickerView", Some(description_style()), own);
        DatePicker { model, layout }
    }

    /// The chosen date, if any.
    pub fn value(&self) -> Option<NaiveDate> {
        self.model.get("value").as_ref().and_then(date_from_json)
    }

    /// Shows `date` (or empties the picker).
    pub fn set_value(&self, date: Option<NaiveDate>) {
        self.model.set("value", json!(date.map(date_to_json)));
    }

    /// Calls `callback` with the new date after each change.
    pub fn on_change(&self, callback: impl Fn(Option<NaiveDate>) + Send + Sync + 'static) {
        self.model.on_change("value", move |change| callback(date_from_json(&change.new)));
    }
}

described_control!(DatePicker);
widget_display!(DatePicker);

described_widget!(DatePicker, |w: &DatePicker| w.value().map(|d| d.to_string()).unwrap_or_default());

/// A progress bar over a range of whole numbers (`IntProgress`).
///
/// # Example
///
/// ```
/// use mstic_widgets::controls::IntProgress;
/// let bar = IntProgress::new(0, 0..=10).description("Lookups");
/// bar.set_value(10);
/// bar.set_bar_style("success");
/// assert_eq!(bar.value(), 10);
/// ```
#[derive(Debug, Clone)]
pub struct IntProgress {
    model: WidgetModel,
    layout: Layout,
}

impl IntProgress {
    /// A bar over `range` at `value`.
    pub fn new(value: i64, range: RangeInclusive<i64>) -> IntProgress {
        let (min, max) = ordered(&range);
        let own = json!({"bar_style": "", "max": max, "min": min, "orientation": "horizontal", "value": value.clamp(min, max)});
        let progress_style = style("ProgressStyleModel", json!({"bar_color": null, "description_width": ""}));
        let (model, layout) = open_control("IntProgressModel", "ProgressView", Some(progress_style), own);
        IntProgress { model, layout }
    }

    /// The current value.
    pub fn value(&self) -> i64 {
        int_of(&self.model.get("value").unwrap_or_default())
    }

    /// Moves the bar to `value`.
    pub fn set_value(&self, value: i64) {
        self.model.set("value", json!(value));
    }

    /// Colours the bar: `success`, `info`, `warning`, `danger` or `""`.
    pub fn set_bar_style(&self, bar_style: &str) {
        self.model.set("bar_style", json!(bar_style));
    }
}

described_control!(IntProgress);
widget_display!(IntProgress);

impl Widget for IntProgress {
    fn model(&self) -> &WidgetModel {
        &self.model
    }
    fn text_view(&self) -> String {
        let max = int_of(&self.model.get("max").unwrap_or_default());
        described_text(&self.description_text(), &format!("{}/{max}", self.value()))
    }
    fn html_view(&self) -> String {
        let max = int_of(&self.model.get("max").unwrap_or_default());
        format!(
            "<div class=\"mstic-widget\">{} <progress value=\"{}\" max=\"{max}\"></progress></div>",
            escape_html(&self.description_text()),
            self.value()
        )
    }
    fn shared(&self) -> Arc<dyn Widget> {
        Arc::new(self.clone())
    }
}

/// Opens a box model of `model_name` holding `children`.
fn open_box(model_name: &str, view_name: &str, children: &[&dyn Widget]) -> (WidgetModel, Vec<Arc<dyn Widget>>) {
    let references: Vec<String> = children.iter().map(|c| c.model().reference()).collect();
    let layout = Layout::new();
    let own = object(json!({"box_style": "", "children": references}));
    let model = WidgetModel::open(widget::control_state(model_name, view_name, &layout.model, None, own));
    (model, children.iter().map(|c| c.shared()).collect())
}

/// Widgets stacked top to bottom (`VBox`).
///
/// # Example
///
/// ```
/// use mstic_widgets::Widget;
/// use mstic_widgets::controls::{Label, Text, VBox};
/// let form = VBox::new(&[&Label::new("Host to check"), &Text::new("ws1")]);
/// assert_eq!(form.text_view(), "Host to check\nws1");
/// ```
#[derive(Clone)]
pub struct VBox {
    model: WidgetModel,
    children: Vec<Arc<dyn Widget>>,
}

impl VBox {
    /// A column of `children`.
    pub fn new(children: &[&dyn Widget]) -> VBox {
        let (model, children) = open_box("VBoxModel", "VBoxView", children);
        VBox { model, children }
    }
}

/// Widgets side by side (`HBox`).
///
/// # Example
///
/// ```
/// use mstic_widgets::Widget;
/// use mstic_widgets::controls::{Button, HBox};
/// let buttons = HBox::new(&[&Button::new("Add"), &Button::new("Remove")]);
/// assert_eq!(buttons.text_view(), "[Add] [Remove]");
/// ```
#[derive(Clone)]
pub struct HBox {
    model: WidgetModel,
    children: Vec<Arc<dyn Widget>>,
}

impl HBox {
    /// A row of `children`.
    pub fn new(children: &[&dyn Widget]) -> HBox {
        let (model, children) = open_box("HBoxModel", "HBoxView", children);
        HBox { model, children }
    }
}

macro_rules! box_widget {
    ($type:ty, $separator:literal, $direction:literal) => {
        impl std::fmt::Debug for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($type))
                    .field("model", &self.model)
                    .field("children", &self.children.len())
                    .finish()
            }
        }

        widget_display!($type);

        impl Widget for $type {
            fn model(&self) -> &WidgetModel {
                &self.model
            }
            fn text_view(&self) -> String {
                self.children.iter().map(|c| c.text_view()).collect::<Vec<_>>().join($separator)
            }
            fn html_view(&self) -> String {
                let inner: String = self.children.iter().map(|c| c.html_view()).collect();
                format!("<div style=\"display:flex;flex-direction:{};gap:4px\">{inner}</div>", $direction)
            }
            fn shared(&self) -> Arc<dyn Widget> {
                Arc::new(self.clone())
            }
        }
    };
}

box_widget!(VBox, "\n", "column");
box_widget!(HBox, " ", "row");

/// An output area (`Output` of `@jupyter-widgets/output`) whose outputs are set from Rust.
///
/// # Example
///
/// ```
/// use mstic_core::MimeBundle;
/// use mstic_widgets::controls::Output;
/// let area = Output::new();
/// area.append(&MimeBundle::new().with_text("text/plain", "first"));
/// area.append(&MimeBundle::new().with_text("text/plain", "second"));
/// assert_eq!(area.outputs().len(), 2);
/// area.clear();
/// assert!(area.outputs().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Output {
    model: WidgetModel,
    layout: Layout,
}

impl Default for Output {
    fn default() -> Self {
        Self::new()
    }
}

impl Output {
    /// An empty output area.
    pub fn new() -> Output {
        let layout = Layout::new();
        let mut state = widget::model_keys(
            widget::OUTPUT_MODULE,
            widget::OUTPUT_MODULE_VERSION,
            "OutputModel",
            widget::OUTPUT_MODULE,
            "OutputView",
        );
        state.extend(object(
            json!({"_dom_classes": [], "layout": layout.model.reference(), "msg_id": "", "outputs": [],
            "tabbable": null, "tooltip": null}),
        ));
        Output { model: WidgetModel::open(state), layout }
    }

    /// The outputs shown, as nbformat `display_data` outputs.
    pub fn outputs(&self) -> Vec<Value> {
        self.model.get("outputs").and_then(|v| v.as_array().cloned()).unwrap_or_default()
    }

    /// Adds `bundle` below the outputs shown.
    pub fn append(&self, bundle: &MimeBundle) {
        let mut outputs = self.outputs();
        outputs.push(display_output(bundle));
        self.model.set("outputs", Value::Array(outputs));
    }

    /// Shows `bundle` in place of the outputs shown.
    pub fn replace(&self, bundle: &MimeBundle) {
        self.model.set("outputs", json!([display_output(bundle)]));
    }

    /// Removes every output.
    pub fn clear(&self) {
        self.model.set("outputs", json!([]));
    }

    /// The area's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
}

/// `bundle` as an nbformat `display_data` output.
pub(crate) fn display_output(bundle: &MimeBundle) -> Value {
    json!({"output_type": "display_data", "data": bundle.data, "metadata": bundle.metadata})
}

widget_display!(Output);

impl Widget for Output {
    fn model(&self) -> &WidgetModel {
        &self.model
    }
    fn text_view(&self) -> String {
        self.outputs()
            .iter()
            .filter_map(|o| o["data"]["text/plain"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn html_view(&self) -> String {
        let parts: String = self.outputs().iter().map(|o| static_html_of(&o["data"])).collect();
        format!("<div class=\"mstic-widget\">{parts}</div>")
    }
    fn shared(&self) -> Arc<dyn Widget> {
        Arc::new(self.clone())
    }
}

/// The HTML of one output's data: its `text/html` (ours are escaped where they hold data), else
/// its `text/plain` escaped in a `<pre>`.
pub(crate) fn static_html_of(data: &Value) -> String {
    match (data["text/html"].as_str(), data["text/plain"].as_str()) {
        (Some(html), _) => html.to_string(),
        (None, Some(text)) => format!("<pre>{}</pre>", escape_html(text)),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests;
