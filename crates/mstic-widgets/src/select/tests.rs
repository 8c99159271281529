use super::*;
use crate::testing::{front_end_clicks, front_end_updates, recorder};
use serde_json::json;
use std::sync::Mutex;

#[test]
fn select_item_reads_the_front_end_choice_and_filters() {
    recorder();
    let chosen = Arc::new(Mutex::new(Vec::new()));
    let item = SelectItem::new(&["ws1", "dc1", "ws1", "WS2"]).description("Host");
    let chosen_by_callback = chosen.clone();
    item.on_select(move |value| chosen_by_callback.lock().unwrap().push(value.to_string()));
    assert_eq!(item.items(), vec!["ws1", "dc1", "WS2"], "repeats are shown once");
    front_end_updates(item.list.model(), json!({"index": 1}));
    assert_eq!(item.value().as_deref(), Some("dc1"));
    front_end_updates(item.filter.model(), json!({"value": "ws"}));
    assert_eq!(item.shown_items(), vec!["ws1", "WS2"]);
    assert_eq!(item.value(), None, "a filtered-out choice is cleared");
    front_end_updates(item.list.model(), json!({"index": 1}));
    assert_eq!(item.value().as_deref(), Some("WS2"));
    item.set_value("dc1").unwrap();
    assert_eq!(item.shown_items().len(), 3, "choosing a hidden item clears the filter");
    assert!(item.set_value("nope").is_err());
    assert_eq!(*chosen.lock().unwrap(), vec!["dc1", "WS2", "dc1"]);
}

#[test]
fn select_item_from_a_frame_column() {
    recorder();
    let frame =
        Frame::from_string_rows(&["Account"], &[vec![Some("bob")], vec![None], vec![Some("alice")], vec![Some("bob")]])
            .unwrap();
    let item = SelectItem::from_column(&frame, "Account").unwrap();
    assert_eq!(item.items(), vec!["bob", "alice"]);
    assert!(SelectItem::from_column(&frame, "Acount").is_err());
    assert_eq!(item.text_view(), "Selected: (nothing selected)\nItems: bob, alice");
    item.set_value("alice").unwrap();
    assert_eq!(
        item.html_view(),
        "<div class=\"mstic-select-item\">Selected: <b>alice</b><ul><li>bob</li><li><b>alice</b></li></ul></div>"
    );
}

#[test]
fn select_subset_buttons_move_items() {
    recorder();
    let subset = SelectSubset::new(&["alice", "bob", "carol", "dave"]).description("Accounts");
    let changes = Arc::new(Mutex::new(Vec::new()));
    let changes_seen = changes.clone();
    subset.on_change(move |selected| changes_seen.lock().unwrap().push(selected));
    let [add, remove, select_all, remove_all] = subset.buttons.clone();

    // The user chooses carol and alice in the source list and clicks Add.
    front_end_updates(subset.parts.source.model(), json!({"index": [2, 0]}));
    front_end_clicks(add.model());
    assert_eq!(subset.selected(), vec!["alice", "carol"]);
    // Adding again keeps one of each.
    front_end_clicks(add.model());
    assert_eq!(subset.selected(), vec!["alice", "carol"]);
    // Chooses alice in the selected list and clicks Remove.
    front_end_updates(subset.parts.chosen.model(), json!({"index": [0]}));
    front_end_clicks(remove.model());
    assert_eq!(subset.selected(), vec!["carol"]);
    front_end_clicks(select_all.model());
    assert_eq!(subset.selected(), vec!["alice", "bob", "carol", "dave"]);
    front_end_clicks(remove_all.model());
    assert!(subset.selected().is_empty());
    assert_eq!(changes.lock().unwrap().len(), 4, "{:?}", changes.lock().unwrap());
    assert_eq!(subset.parts.chosen.model().get("_options_labels"), Some(json!([])));
}

#[test]
fn select_item_static_view_escapes_hostile_items() {
    recorder();
    let items: Vec<String> = (0..25).map(|i| format!("<img src=x onerror=alert({i})>")).collect();
    let item = SelectItem::new(&items).description("Host");
    let bundle = item.view_bundle_for(false);
    let html = bundle.data["text/html"].as_str().unwrap();
    assert!(!html.contains("<img"), "{html}");
    assert!(html.starts_with(
        "<div class=\"mstic-select-item\"><h4>Host</h4>Selected: <i>nothing selected</i><ul><li>&lt;img src=x"
    ));
    assert!(html.ends_with("<li><i>\u{2026} and 5 more</i></li></ul></div>"), "{html}");
    assert!(
        bundle.plain_text().unwrap().starts_with("Host: (nothing selected)\nItems: <img src=x onerror=alert(0)>, ")
    );
    assert!(!bundle.data.contains_key(mstic_core::widget::VIEW_MIME));
}

#[test]
fn select_subset_static_view_escapes_items() {
    recorder();
    let subset = SelectSubset::new(&["<b>x</b>", "y&z"]).preselect(&["y&z", "<b>x</b>", "unknown"]);
    assert_eq!(subset.selected(), vec!["<b>x</b>", "y&z"]);
    let bundle = subset.view_bundle_for(false);
    assert_eq!(
        bundle.data["text/html"],
        "<div class=\"mstic-select-subset\">Selected 2 of 2 items<ul><li>&lt;b&gt;x&lt;/b&gt;</li><li>y&amp;z</li></ul></div>"
    );
    assert_eq!(bundle.plain_text(), Some("Selected: 2 of 2 items: <b>x</b>, y&z"));
}
