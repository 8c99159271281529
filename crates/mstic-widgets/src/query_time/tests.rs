use super::*;
use crate::testing::{front_end_updates, opened_with, recorder};
use chrono::TimeZone;
use serde_json::json;

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

#[test]
fn defaults_follow_the_unit() {
    recorder();
    let minutes = QueryTime::new().origin(noon()).unwrap();
    assert_eq!(minutes.unit(), QueryTimeUnit::Minute);
    assert_eq!((minutes.start(), minutes.end()), (at("2024-05-01T11:00:00Z"), at("2024-05-01T13:00:00Z")));
    assert_eq!(minutes.parts.range.range(), -240..=240);
    let days = QueryTime::new().origin("2024-05-01 12:00:00").unwrap().units("day").unwrap().max_before(3);
    assert_eq!(days.offsets(), (-1, 1));
    assert_eq!(days.parts.range.range(), -3..=28);
    let wide = QueryTime::new().units("h").unwrap().before(100);
    assert_eq!(*wide.parts.range.range().start(), -100, "the slider reaches the requested start");
    assert_eq!(wide.offsets(), (-100, 6));
    assert!(QueryTime::new().units("fortnight").is_err());
    assert!(QueryTime::new().origin("not a time").is_err());
    assert_eq!(QueryTimeUnit::parse("Days").unwrap(), QueryTimeUnit::Day);
    assert_eq!(QueryTimeUnit::parse("min").unwrap(), QueryTimeUnit::Minute);
    assert_eq!(QueryTimeUnit::parse("W").unwrap(), QueryTimeUnit::Week);
}

#[test]
fn start_and_end_follow_the_front_end_controls() {
    recorder();
    let query_time = QueryTime::new().origin(noon()).unwrap().units("hour").unwrap().before(6).after(2);
    let opened = opened_with(query_time.parts.range.model());
    assert_eq!(opened["state"]["_model_name"], "IntRangeSliderModel");
    assert_eq!(query_time.parts.range.model().get("value"), Some(json!([-6, 2])));
    assert_eq!(query_time.parts.start_text.value(), "2024-05-01 06:00:00");
    assert_eq!(query_time.parts.end_text.value(), "2024-05-01 14:00:00");

    // The user drags the slider.
    front_end_updates(query_time.parts.range.model(), json!({"value": [-24, 0]}));
    assert_eq!((query_time.start(), query_time.end()), (at("2024-04-30T12:00:00Z"), noon()));
    assert_eq!(query_time.parts.start_text.value(), "2024-04-30 12:00:00");
    assert_eq!(query_time.parts.end_text.value(), "2024-05-01 12:00:00");

    // A value of the wrong type is refused and changes nothing.
    front_end_updates(query_time.parts.range.model(), json!({"value": "<script>alert(1)</script>"}));
    assert_eq!(query_time.offsets(), (-24, 0));

    // The user picks another origin date and time.
    front_end_updates(query_time.parts.origin_date.model(), json!({"value": {"year": 2024, "month": 0, "date": 15}}));
    front_end_updates(query_time.parts.origin_time.model(), json!({"value": "08:30:00"}));
    assert_eq!(query_time.origin_time(), at("2024-01-15T08:30:00Z"));
    assert_eq!((query_time.start(), query_time.end()), (at("2024-01-14T08:30:00Z"), at("2024-01-15T08:30:00Z")));
    assert_eq!(query_time.parts.end_text.value(), "2024-01-15 08:30:00");

    // A time that does not parse is put back to the last valid one.
    front_end_updates(query_time.parts.origin_time.model(), json!({"value": "8h30"}));
    assert_eq!(query_time.parts.origin_time.value(), "08:30:00");
    assert_eq!(query_time.end(), at("2024-01-15T08:30:00Z"));

    // A new unit resets the slider to that unit's defaults (1 day each side, up to 28).
    front_end_updates(query_time.parts.unit.model(), json!({"index": 2}));
    assert_eq!(query_time.unit(), QueryTimeUnit::Day);
    assert_eq!(query_time.offsets(), (-1, 1));
    assert_eq!(query_time.parts.range.range(), -28..=28);
    assert_eq!((query_time.start(), query_time.end()), (at("2024-01-14T08:30:00Z"), at("2024-01-16T08:30:00Z")));
    assert_eq!(query_time.parts.start_text.value(), "2024-01-14 08:30:00");

    let span = TimeSpan::from(&query_time);
    assert_eq!((span.start(), span.end()), (query_time.start(), query_time.end()));
}

#[test]
fn rust_side_changes_and_time_spans() {
    recorder();
    let span = TimeSpan::new("2024-05-01 00:00:00", "2024-05-02 06:00:00").unwrap();
    let query_time = QueryTime::new().units("hour").unwrap();
    query_time.set_timespan(&span);
    assert_eq!(query_time.offsets(), (-30, 0));
    assert_eq!(query_time.timespan(), span);
    query_time.set_offsets((-200, 5));
    assert_eq!(query_time.parts.range.range(), -200..=72, "the slider widens to the offsets");
    assert_eq!(query_time.end(), at("2024-05-02T11:00:00Z"));
    query_time.set_origin(noon());
    assert_eq!(query_time.end(), at("2024-05-01T17:00:00Z"));
    query_time.set_unit(QueryTimeUnit::Week);
    assert_eq!((query_time.start(), query_time.end()), (at("2024-04-24T12:00:00Z"), at("2024-05-08T12:00:00Z")));
    assert_eq!(query_time.parts.end_text.value(), "2024-05-08 12:00:00");
}

#[test]
fn static_view_shows_the_range_escaped() {
    recorder();
    let query_time =
        QueryTime::new().description("<i>Logons</i>").origin(noon()).unwrap().units("hour").unwrap().before(1).after(1);
    assert_eq!(query_time.text_view(), "<i>Logons</i>: 2024-05-01 11:00:00 to 2024-05-01 13:00:00 (UTC)");
    let bundle = query_time.view_bundle_for(false);
    let html = bundle.data["text/html"].as_str().unwrap();
    assert!(html.starts_with("<div class=\"mstic-querytime\"><h4>&lt;i&gt;Logons&lt;/i&gt;</h4>"), "{html}");
    assert!(html.contains("2024-05-01 13:00:00"));
    assert!(!bundle.data.contains_key(mstic_core::widget::VIEW_MIME));
    let heading = opened_with(query_time.model())["state"]["children"][0].as_str().unwrap().to_string();
    let heading_model = mstic_core::widget::live_model(mstic_core::widget::referenced_id(&heading).unwrap()).unwrap();
    assert_eq!(heading_model.get("value"), Some(json!("<h4>&lt;i&gt;Logons&lt;/i&gt;</h4>")));
}
