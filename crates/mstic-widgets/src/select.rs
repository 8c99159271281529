//! Choosing values from a list in the notebook: [`SelectItem`] picks one (MSTICPy's `SelectItem`),
//! [`SelectSubset`] picks several (MSTICPy's `SelectSubset`).

use crate::controls::{Button, HBox, Html, Select, SelectMultiple, Text, VBox};
use crate::{Widget, widget_display};
use mstic_core::display::escape_html;
use mstic_core::widget::WidgetModel;
use mstic_core::{Frame, Result};
use std::sync::Arc;

/// `items` without repeats, in first-seen order.
fn distinct(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|item| seen.insert(item.clone())).collect()
}

/// The distinct non-null values of `column` in `frame`, in first-seen order.
fn column_items(frame: &Frame, column: &str) -> Result<Vec<String>> {
    Ok(distinct(frame.column_strings(column)?.into_iter().flatten()))
}

fn heading(description: &str) -> String {
    if description.is_empty() { String::new() } else { format!("<h4>{}</h4>", escape_html(description)) }
}

/// Picks one item from a list of strings or a table column, with a filter box (MSTICPy's
/// `SelectItem`). [`SelectItem::value`] reads the user's choice in a later cell.
///
/// # Example
///
/// ```
/// use mstic_widgets::SelectItem;
/// let host = SelectItem::new(&["ws1", "ws2", "dc1"]).description("Host to investigate");
/// assert_eq!(host.value(), None);
/// host.set_value("dc1")?;
/// assert_eq!(host.value().as_deref(), Some("dc1"));
/// host.set_filter("ws");
/// assert_eq!(host.shown_items(), vec!["ws1", "ws2"]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct SelectItem {
    root: VBox,
    heading: Html,
    description: String,
    filter: Text,
    list: Select,
    items: Arc<Vec<String>>,
}

impl std::fmt::Debug for SelectItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectItem").field("items", &self.items.len()).field("value", &self.value()).finish()
    }
}

impl SelectItem {
    /// A list of `items` (repeats shown once), nothing chosen.
    pub fn new(items: &[impl AsRef<str>]) -> SelectItem {
        SelectItem::open(distinct(items.iter().map(|i| i.as_ref().to_string())))
    }

    /// A list of the distinct values of `column` in `frame` (nulls left out).
    pub fn from_column(frame: &Frame, column: &str) -> Result<SelectItem> {
        Ok(SelectItem::open(column_items(frame, column)?))
    }

    fn open(items: Vec<String>) -> SelectItem {
        let heading = Html::new("");
        let filter = Text::new("").description("Filter:").placeholder("type to filter");
        let list = Select::new(&items).rows(items.len().clamp(2, 10));
        list.layout().set("width", "50%");
        let root = VBox::new(&[&heading, &filter, &list]);
        let items = Arc::new(items);
        let (shown, all) = (list.clone(), items.clone());
        filter.on_change(move |text| shown.set_options(&filtered(&all, &text)));
        SelectItem { root, heading, description: String::new(), filter, list, items }
    }

    /// Sets the heading shown above the list.
    pub fn description(mut self, text: &str) -> Self {
        self.heading.set_value(&heading(text));
        self.description = text.to_string();
        self
    }

    /// The chosen item, if any.
    pub fn value(&self) -> Option<String> {
        self.list.value()
    }

    /// Chooses `item` (clearing the filter when it hides it); an error names the items when it is
    /// not one of them.
    pub fn set_value(&self, item: &str) -> Result<()> {
        if !self.items.iter().any(|i| i == item) {
            return Err(mstic_core::Error::unknown("item", item, self.items.iter().map(String::as_str)));
        }
        if !self.list.options().iter().any(|i| i == item) {
            self.set_filter("");
        }
        self.list.set_value(item)
    }

    /// Every item of the list.
    pub fn items(&self) -> Vec<String> {
        self.items.to_vec()
    }

    /// The items the filter lets through.
    pub fn shown_items(&self) -> Vec<String> {
        self.list.options()
    }

    /// Shows only the items containing `text` (any case), as typing in the filter box does.
    pub fn set_filter(&self, text: &str) {
        self.filter.set_value(text);
    }

    /// Calls `callback` with each newly chosen item.
    pub fn on_select(&self, callback: impl Fn(&str) + Send + Sync + 'static) {
        self.list.on_change(move |chosen| {
            if let Some(item) = chosen {
                callback(&item);
            }
        });
    }
}

/// The items containing `text`, ignoring case (all of them for an empty text).
fn filtered(items: &[String], text: &str) -> Vec<String> {
    let needle = text.trim().to_lowercase();
    items.iter().filter(|item| needle.is_empty() || item.to_lowercase().contains(&needle)).cloned().collect()
}

widget_display!(SelectItem);

impl Widget for SelectItem {
    fn model(&self) -> &WidgetModel {
        self.root.model()
    }
    fn text_view(&self) -> String {
        let chosen = self.value().unwrap_or_else(|| "(nothing selected)".into());
        let title = if self.description.is_empty() { "Selected" } else { self.description.as_str() };
        let (shown, more) = listed(&self.items);
        let more = if more > 0 { format!(" \u{2026} and {more} more") } else { String::new() };
        format!("{title}: {chosen}\nItems: {}{more}", shown.join(", "))
    }
    fn html_view(&self) -> String {
        let chosen = self.value();
        let (shown, more) = listed(&self.items);
        let items: String = shown
            .iter()
            .map(|item| {
                if chosen.as_deref() == Some(item.as_str()) {
                    format!("<li><b>{}</b></li>", escape_html(item))
                } else {
                    format!("<li>{}</li>", escape_html(item))
                }
            })
            .collect();
        let more = if more > 0 { format!("<li><i>\u{2026} and {more} more</i></li>") } else { String::new() };
        let selected =
            chosen.map(|v| format!("<b>{}</b>", escape_html(&v))).unwrap_or_else(|| "<i>nothing selected</i>".into());
        format!(
            "<div class=\"mstic-select-item\">{}Selected: {selected}<ul>{items}{more}</ul></div>",
            heading(&self.description)
        )
    }
    fn shared(&self) -> Arc<dyn Widget> {
        Arc::new(self.clone())
    }
}

/// How many items a static view lists.
const LISTED_ITEMS: usize = 20;

/// The first items a static view lists, and how many it leaves out.
fn listed(items: &[String]) -> (&[String], usize) {
    let shown = &items[..items.len().min(LISTED_ITEMS)];
    (shown, items.len() - shown.len())
}

/// The controls of a [`SelectSubset`], shared with its buttons.
#[derive(Clone)]
struct SubsetParts {
    items: Arc<Vec<String>>,
    source: SelectMultiple,
    chosen: SelectMultiple,
}

impl SubsetParts {
    /// Shows `selected` (known items only) in the order of the source list.
    fn set_selected(&self, selected: &[String]) {
        let ordered: Vec<String> = self.items.iter().filter(|item| selected.contains(item)).cloned().collect();
        self.chosen.set_options(&ordered);
    }

    fn add(&self) {
        let mut selected = self.chosen.options();
        selected.extend(self.source.values());
        self.set_selected(&selected);
    }

    fn remove(&self) {
        let dropped = self.chosen.values();
        let kept: Vec<String> = self.chosen.options().into_iter().filter(|item| !dropped.contains(item)).collect();
        self.set_selected(&kept);
    }
}

/// Picks several items: a source list and a selected list with Add, Remove, Select all and Remove
/// all buttons (MSTICPy's `SelectSubset`). [`SelectSubset::selected`] reads the choice in a later
/// cell.
///
/// # Example
///
/// ```
/// use mstic_widgets::SelectSubset;
/// let accounts = SelectSubset::new(&["alice", "bob", "carol"]).preselect(&["carol"]);
/// assert_eq!(accounts.selected(), vec!["carol"]);
/// accounts.select_all();
/// assert_eq!(accounts.selected(), vec!["alice", "bob", "carol"]);
/// ```
#[derive(Clone)]
pub struct SelectSubset {
    root: VBox,
    heading: Html,
    description: String,
    parts: SubsetParts,
    buttons: [Button; 4],
}

impl std::fmt::Debug for SelectSubset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectSubset")
            .field("items", &self.parts.items.len())
            .field("selected", &self.selected())
            .finish()
    }
}

impl SelectSubset {
    /// A source list of `items` (repeats shown once) and an empty selected list.
    pub fn new(items: &[impl AsRef<str>]) -> SelectSubset {
        SelectSubset::open(distinct(items.iter().map(|i| i.as_ref().to_string())))
    }

    /// A source list of the distinct values of `column` in `frame` (nulls left out).
    pub fn from_column(frame: &Frame, column: &str) -> Result<SelectSubset> {
        Ok(SelectSubset::open(column_items(frame, column)?))
    }

    fn open(items: Vec<String>) -> SelectSubset {
        let rows = items.len().clamp(4, 12);
        let source = SelectMultiple::new(&items).rows(rows).description("Source");
        let chosen = SelectMultiple::new(&[] as &[&str]).rows(rows).description("Selected");
        let parts = SubsetParts { items: Arc::new(items), source, chosen };
        let add = Button::new("Add >>").tooltip("Add the items chosen in the source list");
        let remove = Button::new("<< Remove").tooltip("Remove the items chosen in the selected list");
        let select_all = Button::new("Select all");
        let remove_all = Button::new("Remove all");
        let on = |button: &Button, action: fn(&SubsetParts)| {
            let parts = parts.clone();
            button.on_click(move || action(&parts));
        };
        on(&add, SubsetParts::add);
        on(&remove, SubsetParts::remove);
        on(&select_all, |parts| parts.set_selected(&parts.items));
        on(&remove_all, |parts| parts.set_selected(&[]));
        let heading = Html::new("");
        let button_column = VBox::new(&[&add, &remove, &select_all, &remove_all]);
        let lists = HBox::new(&[&parts.source, &button_column, &parts.chosen]);
        let root = VBox::new(&[&heading, &lists]);
        SelectSubset {
            root,
            heading,
            description: String::new(),
            parts,
            buttons: [add, remove, select_all, remove_all],
        }
    }

    /// Sets the heading shown above the lists.
    pub fn description(mut self, text: &str) -> Self {
        self.heading.set_value(&heading(text));
        self.description = text.to_string();
        self
    }

    /// Starts with `items` selected (unknown ones are left out).
    pub fn preselect(self, items: &[impl AsRef<str>]) -> Self {
        let items: Vec<String> = items.iter().map(|i| i.as_ref().to_string()).collect();
        self.parts.set_selected(&items);
        self
    }

    /// The selected items, in source-list order.
    pub fn selected(&self) -> Vec<String> {
        self.parts.chosen.options()
    }

    /// Every item of the source list.
    pub fn items(&self) -> Vec<String> {
        self.parts.items.to_vec()
    }

    /// Selects every item (the "Select all" button).
    pub fn select_all(&self) {
        self.buttons[2].click();
    }

    /// Empties the selection (the "Remove all" button).
    pub fn remove_all(&self) {
        self.buttons[3].click();
    }

    /// Calls `callback` with the selected items after each change of the selection.
    pub fn on_change(&self, callback: impl Fn(Vec<String>) + Send + Sync + 'static) {
        self.parts.chosen.model().on_change("_options_labels", move |change| {
            let items = change.new.as_array().cloned().unwrap_or_default();
            callback(items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect())
        });
    }
}

widget_display!(SelectSubset);

impl Widget for SelectSubset {
    fn model(&self) -> &WidgetModel {
        self.root.model()
    }
    fn text_view(&self) -> String {
        let selected = self.selected();
        let title = if self.description.is_empty() { "Selected" } else { self.description.as_str() };
        format!("{title}: {} of {} items: {}", selected.len(), self.parts.items.len(), selected.join(", "))
    }
    fn html_view(&self) -> String {
        let selected = self.selected();
        let items: String = selected.iter().map(|item| format!("<li>{}</li>", escape_html(item))).collect();
        format!(
            "<div class=\"mstic-select-subset\">{}Selected {} of {} items<ul>{items}</ul></div>",
            heading(&self.description),
            selected.len(),
            self.parts.items.len()
        )
    }
    fn shared(&self) -> Arc<dyn Widget> {
        Arc::new(self.clone())
    }
}

#[cfg(test)]
mod tests;
