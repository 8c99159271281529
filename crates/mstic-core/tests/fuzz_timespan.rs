//! Fuzzing the time-range parsers: random and spec-shaped text, any number of days and any
//! start/end/period combination either resolve or fail with a message — never a panic.

#[path = "../../../tests/fuzz_config.rs"]
mod fuzz_config;

use chrono::{DateTime, TimeZone, Utc};
use fuzz_config::{fuzz_config, ok_or_message};
use mstic_core::timespan::{TimeInput, TimeSpan, TimeSpanSpec, TimeValue, parse_date_string, parse_offset_spec, parse_period, resolve_time_at};
use proptest::prelude::*;

/// A "now" anywhere from 1970 to 2100.
fn any_now() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_102_444_800).prop_map(|secs| Utc.timestamp_opt(secs, 0).single().expect("in range"))
}

/// Numbers as users and attackers write them: small, large, past i64, with separators.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..100).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "[0-9]{19,30}",
        "[0-9_]{1,12}",
        "[0-9]{1,4}\\.[0-9]{0,12}",
    ]
}

/// Relative specs (`-1w@d`), periods (`1 day 2h`, `P1DT2H`, `02:00:00`) and date strings, with
/// out-of-range fields.
fn spec_text() -> impl Strategy<Value = String> {
    let unit = prop::sample::select(vec!["", "y", "mon", "w", "d", "h", "m", "s", "ms", "us", "ns", "day", "days", "weeks", "T", "H", "µs", "xyz"]);
    let round = prop::sample::select(vec!["", "@", "@d", "@y", "@mon", "@h", "@m", "@s", "@w", "@@", "@ D "]);
    let sign = prop::sample::select(vec!["", "-", "+", "--", " - "]);
    prop_oneof![
        (sign.clone(), number_text(), unit.clone(), round).prop_map(|(s, n, u, r)| format!("{s}{n}{u}{r}")),
        prop::collection::vec((number_text(), unit), 1..4)
            .prop_map(|parts| parts.into_iter().map(|(n, u)| format!("{n}{u}")).collect::<Vec<_>>().join(" ")),
        (sign, number_text(), number_text(), number_text())
            .prop_map(|(s, d, h, m)| format!("{s}P{d}DT{h}H{m}M")),
        (number_text(), 0u32..100, 0u32..100, 0u32..100, "(\\.[0-9]{1,12})?")
            .prop_map(|(d, h, m, s, f)| format!("{d} days {h:02}:{m:02}:{s:02}{f}")),
        (0i64..100_000, 0u32..20, 0u32..40, 0u32..30, 0u32..70, "(Z|z| UTC|[+-][0-9]{2}:?[0-9]{2})?")
            .prop_map(|(y, mo, d, h, mi, z)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{z}")),
        (0u32..20, 0u32..40, 0i64..100_000).prop_map(|(m, d, y)| format!("{m}/{d}/{y}")),
    ]
}

/// Any text: random unicode, or spec-shaped text.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,40}", spec_text()]
}

/// Any time input, numbers of days covering every f64 class.
fn any_input() -> impl Strategy<Value = TimeInput> {
    prop_oneof![
        any::<f64>().prop_map(TimeInput::Days),
        (-1e9f64..1e9).prop_map(TimeInput::Days),
        any::<i64>().prop_map(|d| TimeInput::Days(d as f64)),
        any_text().prop_map(TimeInput::Text),
        prop::sample::select(vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC]).prop_map(TimeInput::from),
    ]
}

proptest! {
    #![proptest_config(fuzz_config(500))]

    #[test]
    fn text_parsers_never_panic(text in any_text(), now in any_now()) {
        let _ = parse_date_string(&text);
        ok_or_message(parse_offset_spec(&text, now))?;
        ok_or_message(parse_period(&text))?;
    }

    #[test]
    fn resolving_any_input_never_panics(input in any_input(), now in any_now()) {
        ok_or_message(resolve_time_at(input, now))?;
    }

    #[test]
    fn any_time_span_resolves_or_fails(
        start in prop::option::of(any_input()),
        end in prop::option::of(any_input()),
        period in prop::option::of(any_text()),
        now in any_now(),
    ) {
        let spec = TimeSpanSpec { start, end, period };
        if let Some(span) = ok_or_message(TimeSpan::from_spec_at(spec, now))? {
            // Display and HTML format any range that resolved.
            prop_assert!(span.to_string().starts_with("TimeSpan(") && span.to_html().contains("TimeSpan"));
        }
    }
}

// Regressions: inputs the harness found.

/// 1970-01-01, the "now" of the regressions.
fn epoch() -> DateTime<Utc> {
    Utc.timestamp_opt(0, 0).single().expect("in range")
}

#[test]
fn days_beyond_the_supported_dates_are_an_error() {
    for days in [-3.9171415020415875e101, 1e12, -1e12, f64::MAX] {
        let error = resolve_time_at(TimeInput::Days(days), epoch()).unwrap_err().to_string();
        assert!(error.contains("is outside the supported dates"), "{error}");
        assert!(error.contains(&format!("{days} days from 1970-01-01")), "{error}");
    }
    let error = TimeSpan::from_spec_at(TimeSpanSpec { start: Some(TimeInput::Days(-3.9171415020415875e101)), ..Default::default() }, epoch())
        .unwrap_err()
        .to_string();
    assert!(error.contains("'start' must be a datetime"), "{error}");
}

#[test]
fn a_period_beyond_the_supported_dates_is_an_error() {
    let spec = |start: DateTime<Utc>, end: Option<DateTime<Utc>>| TimeSpanSpec {
        start: end.is_none().then(|| start.into()),
        end: end.map(TimeInput::from),
        period: Some("1d".into()),
    };
    let error = TimeSpan::from_spec_at(spec(DateTime::<Utc>::MAX_UTC, None), epoch()).unwrap_err().to_string();
    assert!(error.contains("moving start") && error.contains("by 1 day, 0:00:00 is outside the supported dates"), "{error}");
    let error = TimeSpan::from_spec_at(spec(epoch(), Some(DateTime::<Utc>::MIN_UTC)), epoch()).unwrap_err().to_string();
    assert!(error.contains("moving end") && error.contains("is outside the supported dates"), "{error}");
}

#[test]
fn aware_times_whose_local_clock_is_out_of_range_render_in_utc() {
    let zone = |seconds: i32| chrono::FixedOffset::east_opt(seconds).expect("valid offset");
    let last = TimeValue::Aware(DateTime::<Utc>::MAX_UTC.with_timezone(&zone(1)));
    assert_eq!(last.isoformat(), "+262142-12-31T23:59:59.999999+00:00");
    assert_eq!(last.wall_clock(), DateTime::<Utc>::MAX_UTC.naive_utc());
    let first = TimeValue::Aware(DateTime::<Utc>::MIN_UTC.with_timezone(&zone(-3600)));
    assert_eq!(first.isoformat(), "-262143-01-01T00:00:00+00:00");
    // In range, the local clock and the offset are kept.
    let local = TimeValue::Aware(epoch().with_timezone(&zone(-5400)));
    assert_eq!(local.isoformat(), "1969-12-31T22:30:00-01:30");
}
