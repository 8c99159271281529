use super::*;
use crate::testing::{recorder, sent_data};
use serde_json::json;

#[test]
fn widget_area_replaces_its_output_in_place() {
    recorder();
    let area = OutputArea::for_front_end(true);
    area.show(&MimeBundle::new().with_text("text/plain", "1 host").with_text("text/html", "<b>1 host</b>"));
    area.show_text("2 hosts");
    let last = sent_data(area.model()).last().unwrap().clone();
    assert_eq!(
        last,
        json!({"method": "update", "state": {"outputs": [{"output_type": "display_data", "data": {"text/plain": "2 hosts"},
               "metadata": {}}]}, "buffer_paths": []})
    );
    assert_eq!(area.text_view(), "2 hosts");
    area.clear();
    assert_eq!(sent_data(area.model()).last().unwrap()["state"]["outputs"], json!([]));
    assert!(area.view_bundle_for(true).data.contains_key(mstic_core::widget::VIEW_MIME));
}

#[test]
fn area_without_a_widget_manager_shows_static_content() {
    recorder();
    let area = OutputArea::for_front_end(false);
    area.show(&MimeBundle::new().with_text("text/plain", "<x>"));
    let bundle = area.view_bundle_for(false);
    assert_eq!(bundle.data.keys().collect::<Vec<_>>(), vec!["text/html", "text/plain"]);
    assert_eq!(bundle.data["text/html"], "<div class=\"mstic-output-area\"><pre>&lt;x&gt;</pre></div>");
    assert_eq!(area.placeholder().plain_text(), Some("<x>"));
    area.clear();
    assert_eq!(area.placeholder().plain_text(), Some(""));
}
