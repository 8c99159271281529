//! Time-range rules checked against MSTICPy's results with a fixed "now".

use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 15, 10, 30, 45).unwrap() + Duration::microseconds(123_456)
}

fn iso(input: impl Into<TimeInput>) -> String {
    resolve_time_at(input, now()).unwrap().isoformat()
}

#[test]
fn numbers_are_days_from_now_and_aware() {
    assert_eq!(iso(-2), "2024-03-13T10:30:45.123456+00:00");
    assert_eq!(iso(0), "2024-03-15T10:30:45.123456+00:00");
    assert_eq!(iso(0.5), "2024-03-15T22:30:45.123456+00:00");
    assert_eq!(iso("-3"), "2024-03-12T10:30:45.123456+00:00");
}

#[test]
fn relative_specs_with_units() {
    assert_eq!(iso("-1w"), "2024-03-08T10:30:45.123456+00:00");
    assert_eq!(iso("-2h"), "2024-03-15T08:30:45.123456+00:00");
    assert_eq!(iso("+90s"), "2024-03-15T10:32:15.123456+00:00");
    assert_eq!(iso("-1y"), "2023-03-15T10:30:45.123456+00:00");
    assert_eq!(iso("-2 days"), "2024-03-13T10:30:45.123456+00:00");
    // MSTICPy quirk: "mon" is read as "m" (minutes).
    assert_eq!(iso("-3mon"), "2024-03-15T10:27:45.123456+00:00");
}

#[test]
fn rounding_down_for_past_and_up_for_future() {
    assert_eq!(iso("-1w@d"), "2024-03-08T00:00:00Z");
    assert_eq!(iso("1w@d"), "2024-03-23T00:00:00Z");
    assert_eq!(iso("-2h@h"), "2024-03-15T08:00:00Z");
    assert_eq!(iso("+1h@h"), "2024-03-15T12:00:00Z");
    assert_eq!(iso("-30m@m"), "2024-03-15T10:00:00Z");
    assert_eq!(iso("-1d@mon"), "2024-03-01T00:00:00Z");
    assert_eq!(iso("-1d@y"), "2024-01-01T00:00:00Z");
    // An unknown rounding unit only drops the microseconds (and adds a day going forward).
    assert_eq!(iso("-1d@w"), "2024-03-14T10:30:45Z");
    assert_eq!(iso("1d@w"), "2024-03-17T10:30:45Z");
}

#[test]
fn date_strings_keep_their_zone_or_are_naive() {
    assert_eq!(iso("2024-01-02"), "2024-01-02T00:00:00Z");
    assert_eq!(iso("2024-01-02 03:04:05"), "2024-01-02T03:04:05Z");
    assert_eq!(iso("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05+00:00");
    assert_eq!(iso("2024-01-02T03:04:05.5+02:00"), "2024-01-02T03:04:05.500000+02:00");
    assert_eq!(iso("01/02/2024"), "2024-01-02T00:00:00Z");
    assert_eq!(iso("2 Jan 2024"), "2024-01-02T00:00:00Z");
    assert_eq!(iso("Tue, 02 Jan 2024 03:04:05 +0000"), "2024-01-02T03:04:05+00:00");
}

#[test]
fn datetimes_pass_through() {
    let t = Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap();
    assert_eq!(iso(t), "2024-01-01T12:00:00+00:00");
    let naive = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    assert_eq!(iso(naive), "2024-01-01T00:00:00Z");
}

#[test]
fn unreadable_time_is_an_error_naming_the_value() {
    let err = resolve_time_at("yesterday-ish", now()).unwrap_err().to_string();
    assert!(err.contains("'yesterday-ish'"), "{err}");
    assert!(resolve_time_at(f64::NAN, now()).is_err());
}

#[test]
fn periods_in_pandas_and_iso_forms() {
    let cases = [
        ("1D", Duration::days(1)),
        ("1d", Duration::days(1)),
        ("2h", Duration::hours(2)),
        ("2H", Duration::hours(2)),
        ("-30m", Duration::minutes(-30)),
        ("30min", Duration::minutes(30)),
        ("1.5h", Duration::minutes(90)),
        ("1w", Duration::weeks(1)),
        ("90s", Duration::seconds(90)),
        ("1 day 2 hours", Duration::hours(26)),
        ("1 days 02:00:00", Duration::hours(26)),
        ("02:30:00", Duration::minutes(150)),
        ("P1DT2H", Duration::hours(26)),
        ("PT30M", Duration::minutes(30)),
        ("-PT1H", Duration::hours(-1)),
        ("P2W", Duration::weeks(2)),
        ("250ms", Duration::milliseconds(250)),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_period(text).unwrap(), expected, "{text}");
    }
    for bad in ["", "abc", "P", "1x", "--1d"] {
        let err = parse_period(bad).unwrap_err().to_string();
        assert!(err.contains("'period' must be a pandas-compatible time period string"), "{bad}: {err}");
    }
}

#[test]
fn timespan_from_start_end_and_period() {
    let span = TimeSpan::new("2024-01-01", "2024-01-02").unwrap();
    assert_eq!(span.period(), Duration::days(1));
    assert_eq!(
        span.to_string(),
        "TimeSpan(start=2024-01-01 00:00:00+00:00, end=2024-01-02 00:00:00+00:00, period=1 day, 0:00:00)"
    );
    let last_day = TimeSpan::from_spec_at(TimeSpanSpec { period: Some("1d".into()), ..Default::default() }, now()).unwrap();
    assert_eq!(last_day.end(), now());
    assert_eq!(last_day.start(), now() - Duration::days(1));
    // start + period wins over end, as in MSTICPy.
    let spec = TimeSpanSpec { start: Some("2024-01-01 00:00:00".into()), end: Some("2025-01-01".into()), period: Some("2h".into()) };
    let span = TimeSpan::from_spec_at(spec, now()).unwrap();
    assert_eq!(span.end(), Utc.with_ymd_and_hms(2024, 1, 1, 2, 0, 0).unwrap());
    let spec = TimeSpanSpec { end: Some("2024-01-01".into()), period: Some("-30m".into()), ..Default::default() };
    assert_eq!(TimeSpan::from_spec_at(spec, now()).unwrap().start(), Utc.with_ymd_and_hms(2024, 1, 1, 0, 30, 0).unwrap());
    let start_only = TimeSpan::from_spec_at(TimeSpanSpec { start: Some((-2).into()), ..Default::default() }, now()).unwrap();
    assert_eq!(start_only.period(), Duration::days(2));
    assert_eq!(TimeSpan::new(-1, 0).unwrap().period().num_hours(), 24);
    assert_eq!(TimeSpan::new("2024-01-01", "2024-01-02").unwrap(), TimeSpan::starting("2024-01-01", "1D").unwrap());
}

#[test]
fn timespan_errors_match_msticpy_messages() {
    let err = TimeSpan::from_spec_at(TimeSpanSpec::default(), now()).unwrap_err().to_string();
    assert!(err.contains("At least one of 'start' or 'period' must be specified."), "{err}");
    let err = TimeSpan::new("not a date", 0).unwrap_err().to_string();
    assert!(err.contains("'start' must be a datetime or a datetime string."), "{err}");
    let err = TimeSpan::new(0, "nope").unwrap_err().to_string();
    assert!(err.contains("'end' must be a datetime or a datetime string."), "{err}");
    assert!(TimeSpan::last("a while").unwrap_err().to_string().contains("'period'"));
}

#[test]
fn durations_print_like_python_timedelta() {
    assert_eq!(format_duration(Duration::hours(26)), "1 day, 2:00:00");
    assert_eq!(format_duration(Duration::days(3)), "3 days, 0:00:00");
    assert_eq!(format_duration(Duration::minutes(-30)), "-1 day, 23:30:00");
    assert_eq!(format_duration(Duration::milliseconds(1500)), "0:00:01.500000");
}
