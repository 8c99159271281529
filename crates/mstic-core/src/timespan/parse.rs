//! Parsers behind the time-range rules: date strings (the common forms `dateutil` accepts),
//! MSTICPy's relative offset specs (`-1w@d`) and pandas-style period strings (`"1d"`, `"-30m"`,
//! `"1 days 02:00:00"`, ISO 8601 `"P1DT2H"`).

use super::TimeValue;
use crate::{Error, Result};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use regex::Regex;
use std::sync::LazyLock;

const ZONED_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
];

const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M",
    "%d %b %Y %H:%M:%S%.f",
    "%d %B %Y %H:%M:%S%.f",
    "%b %d %Y %H:%M:%S%.f",
    "%B %d %Y %H:%M:%S%.f",
    "%b %d, %Y %H:%M:%S%.f",
    "%B %d, %Y %H:%M:%S%.f",
    "%a %b %d %H:%M:%S%.f %Y",
];

const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y",
];

/// Parses a date string: ISO 8601 / RFC 3339 with or without zone, RFC 2822, `YYYY/MM/DD`,
/// `MM/DD/YYYY` (month first, as `dateutil`), month names. A trailing `Z`, `UTC` or `GMT` makes
/// the value UTC-aware; a string without zone gives a naive value. `None` when not a date.
pub fn parse_date_string(text: &str) -> Option<TimeValue> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(text) {
        return Some(TimeValue::Aware(t));
    }
    for format in ZONED_FORMATS {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(TimeValue::Aware(t));
        }
    }
    let (body, utc) = strip_utc_suffix(text);
    let naive = NAIVE_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(body, format).ok())
        .or_else(|| {
            DATE_FORMATS
                .iter()
                .find_map(|format| NaiveDate::parse_from_str(body, format).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(if utc { TimeValue::Aware(Utc.from_utc_datetime(&naive).fixed_offset()) } else { TimeValue::Naive(naive) })
}

fn strip_utc_suffix(text: &str) -> (&str, bool) {
    for suffix in ["Z", "z", " UTC", " GMT", "UTC", "GMT"] {
        if let Some(body) = text.strip_suffix(suffix) {
            return (body.trim_end(), true);
        }
    }
    (text, false)
}

static OFFSET_SPEC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?i)([+\-]?)\s*(\d+)\s*([ywdhms]?|mon)([a-z]*)\s*$").expect("valid regex"));

/// The rounding units of a relative spec, in `datetime` component order (weeks cannot round).
const ROUNDING_UNITS: [&str; 6] = ["y", "mon", "d", "h", "m", "s"];

/// Resolves MSTICPy's relative time spec `[+-]N[unit][@round]` from `now`.
///
/// Units: `y`, `w`, `d` (default), `h`, `m` (minutes), `s`; as in MSTICPy only the first letter
/// of a unit word counts, so `-3mon` is three *minutes*. `@unit` rounds: negative specs round
/// down to the unit boundary, others round down then add one unit (`-1w@d` = midnight seven days
/// ago; `1w@d` = midnight eight days ahead). Rounded results are naive, as in MSTICPy.
pub fn parse_offset_spec(spec: &str, now: DateTime<Utc>) -> Result<TimeValue> {
    let invalid = || {
        Error::invalid(
            "time",
            format!("'{spec}' is not a datetime, a date string, a number of days or a relative time such as '-1w@d'"),
        )
    };
    let (delta_text, rounding) = match spec.split_once('@') {
        Some((delta, rounding)) => (delta, Some(rounding.trim().to_lowercase())),
        None => (spec, None),
    };
    let caps = OFFSET_SPEC.captures(delta_text.trim()).ok_or_else(invalid)?;
    let magnitude: i64 = caps[2].parse().map_err(|_| invalid())?;
    let value = if &caps[1] == "-" { -magnitude } else { magnitude };
    let unit = caps[3].to_lowercase();
    let shifted = add_units(now.naive_utc(), if unit.is_empty() { "d" } else { &unit }, value).ok_or_else(invalid)?;
    let Some(rounding) = rounding else {
        return Ok(TimeValue::Aware(Utc.from_utc_datetime(&shifted).fixed_offset()));
    };
    let round_down = spec.trim_start().starts_with('-');
    let round_unit = ROUNDING_UNITS.iter().position(|unit| rounding.starts_with(unit));
    let mut rounded = shifted.with_nanosecond(0).ok_or_else(invalid)?;
    if let Some(position) = round_unit {
        rounded = truncate_after(rounded, position).ok_or_else(invalid)?;
    }
    if !round_down {
        let unit = round_unit.map(|p| ROUNDING_UNITS[p]).unwrap_or("d");
        rounded = add_units(rounded, unit, 1).ok_or_else(invalid)?;
    }
    Ok(TimeValue::Naive(rounded))
}

/// Keeps the components up to `position` (0 = year … 5 = second) and resets the rest.
fn truncate_after(t: NaiveDateTime, position: usize) -> Option<NaiveDateTime> {
    let month = if position >= 1 { t.month() } else { 1 };
    let day = if position >= 2 { t.day() } else { 1 };
    let hour = if position >= 3 { t.hour() } else { 0 };
    let minute = if position >= 4 { t.minute() } else { 0 };
    let second = if position >= 5 { t.second() } else { 0 };
    NaiveDate::from_ymd_opt(t.year(), month, day)?.and_hms_opt(hour, minute, second)
}

/// Calendar-aware addition (years and months clamp the day, as `relativedelta`).
fn add_units(t: NaiveDateTime, unit: &str, value: i64) -> Option<NaiveDateTime> {
    let months = |n: i64| -> Option<NaiveDateTime> {
        let count = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
        if n >= 0 { t.checked_add_months(count) } else { t.checked_sub_months(count) }
    };
    match unit {
        "y" => months(value.checked_mul(12)?),
        "mon" => months(value),
        "w" => t.checked_add_signed(Duration::try_weeks(value)?),
        "d" => t.checked_add_signed(Duration::try_days(value)?),
        "h" => t.checked_add_signed(Duration::try_hours(value)?),
        "m" => t.checked_add_signed(Duration::try_minutes(value)?),
        "s" => t.checked_add_signed(Duration::try_seconds(value)?),
        _ => None,
    }
}

static PERIOD_PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(\d+(?:\.\d*)?|\.\d+)\s*(weeks?|w|days?|d|hours?|hrs?|h|milliseconds?|millis?|ms|microseconds?|micros?|us|µs|nanoseconds?|nanos?|ns|minutes?|mins?|m|t|seconds?|secs?|s|l|u|n)\s*,?")
        .expect("valid regex")
});
static PERIOD_CLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(\d+)\s*days?,?\s*)?([+\-]?)(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$").expect("valid regex")
});
static PERIOD_ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
        .expect("valid regex")
});

/// Parses a pandas-compatible period string: unit sequences (`"1d"`, `"2h"`, `"-30m"`,
/// `"1 day 2 hours"`, `"1.5h"`; `m`/`min`/`T` are minutes, `H` is hours), clock forms
/// (`"02:00:00"`, `"1 days 02:00:00"`) and ISO 8601 durations (`"P1DT2H"`, `"-PT30M"`).
///
/// # Example
///
/// ```
/// use chrono::Duration;
/// use mstic_core::timespan::parse_period;
/// assert_eq!(parse_period("1 day 2 hours")?, Duration::hours(26));
/// assert_eq!(parse_period("P1DT2H")?, Duration::hours(26));
/// assert_eq!(parse_period("-30m")?, Duration::minutes(-30));
/// assert!(parse_period("soon").is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn parse_period(text: &str) -> Result<Duration> {
    let invalid =
        || Error::invalid("period", format!("'{text}': 'period' must be a pandas-compatible time period string or a duration."));
    let trimmed = text.trim();
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed).trim_start()),
    };
    if body.is_empty() {
        return Err(invalid());
    }
    let nanos = if let Some(caps) = PERIOD_ISO.captures(body) {
        if caps.iter().skip(1).all(|c| c.is_none()) {
            return Err(invalid());
        }
        let scale = [7.0 * 86_400e9, 86_400e9, 3_600e9, 60e9, 1e9];
        let mut total = 0f64;
        for (i, factor) in scale.iter().enumerate() {
            if let Some(m) = caps.get(i + 1) {
                total += m.as_str().parse::<f64>().map_err(|_| invalid())? * factor;
            }
        }
        total
    } else if let Some(caps) = PERIOD_CLOCK.captures(body) {
        let number = |i: usize| caps.get(i).map(|m| m.as_str().parse::<f64>().unwrap_or(0.0)).unwrap_or(0.0);
        let fraction = caps.get(6).map(|m| format!("0.{}", m.as_str()).parse::<f64>().unwrap_or(0.0)).unwrap_or(0.0);
        let clock = (number(3) * 3600.0 + number(4) * 60.0 + number(5) + fraction) * 1e9;
        let clock = if &caps[2] == "-" { -clock } else { clock };
        number(1) * 86_400e9 + clock
    } else {
        let mut rest = body;
        let mut total = 0f64;
        while !rest.trim().is_empty() {
            let caps = PERIOD_PART.captures(rest).ok_or_else(invalid)?;
            let value: f64 = caps[1].parse().map_err(|_| invalid())?;
            total += value * unit_nanos(&caps[2]);
            rest = &rest[caps.get(0).map(|m| m.end()).unwrap_or(rest.len())..];
        }
        total
    };
    if !nanos.is_finite() || nanos.abs() > 9.2e18 {
        return Err(invalid());
    }
    let duration = Duration::nanoseconds(nanos.round() as i64);
    Ok(if negative { -duration } else { duration })
}

fn unit_nanos(unit: &str) -> f64 {
    let unit = unit.to_lowercase();
    match unit.as_str() {
        "w" | "week" | "weeks" => 7.0 * 86_400e9,
        "d" | "day" | "days" => 86_400e9,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600e9,
        "m" | "t" | "min" | "mins" | "minute" | "minutes" => 60e9,
        "s" | "sec" | "secs" | "second" | "seconds" => 1e9,
        "ms" | "l" | "milli" | "millis" | "millisecond" | "milliseconds" => 1e6,
        "us" | "µs" | "u" | "micro" | "micros" | "microsecond" | "microseconds" => 1e3,
        _ => 1.0,
    }
}
