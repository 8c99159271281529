//! Query time ranges with MSTICPy's rules: datetimes, date strings, numbers as days from now
//! (negative = past), relative specs such as `-1w@d` (with `@` rounding), and [`TimeSpan`] built
//! from start/end/period. Every function has an `_at` form that takes "now", so results are
//! deterministic in tests.

mod parse;
#[cfg(test)]
mod tests;

pub use parse::{parse_date_string, parse_offset_spec, parse_period};

use crate::{Error, Result};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// A resolved point in time as MSTICPy holds it: either time-zone aware, or naive (MSTICPy's
/// rounded offsets and zone-less date strings), which renders with a trailing `Z`.
///
/// # Example
///
/// ```
/// use mstic_core::timespan::{TimeValue, resolve_time};
/// let naive = resolve_time("2024-05-01 10:00:00")?;
/// assert!(matches!(naive, TimeValue::Naive(_)));
/// assert_eq!(naive.to_string(), "2024-05-01T10:00:00Z");
/// let aware = resolve_time("2024-05-01T12:00:00+02:00")?;
/// assert_eq!(aware.to_string(), "2024-05-01T12:00:00+02:00");
/// assert_eq!(aware.to_utc(), naive.to_utc());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeValue {
    /// A time with a known UTC offset.
    Aware(DateTime<FixedOffset>),
    /// A time without zone, taken as UTC.
    Naive(NaiveDateTime),
}

impl TimeValue {
    /// The instant in UTC (naive values are taken as UTC).
    pub fn to_utc(&self) -> DateTime<Utc> {
        match self {
            TimeValue::Aware(t) => t.with_timezone(&Utc),
            TimeValue::Naive(t) => t.and_utc(),
        }
    }

    /// MSTICPy's default rendering: Python `isoformat('T')` (microseconds only when non-zero,
    /// `+HH:MM` offset for aware values) with `Z` appended to naive values.
    pub fn isoformat(&self) -> String {
        match self {
            TimeValue::Aware(t) => {
                let offset = if self.wall_clock() == t.naive_utc() { 0 } else { t.offset().local_minus_utc() };
                let sign = if offset < 0 { '-' } else { '+' };
                let minutes = offset.abs() / 60;
                format!("{}{sign}{:02}:{:02}", python_iso(&self.wall_clock()), minutes / 60, minutes % 60)
            }
            TimeValue::Naive(t) => format!("{}Z", python_iso(t)),
        }
    }

    /// The date and time a clock in the value's zone shows. An aware time whose local clock falls
    /// outside the dates chrono holds (the last hours of year 262142 east of UTC, the first
    /// ones of year -262143 west of it) shows its UTC clock instead, so no value fails to render.
    pub fn wall_clock(&self) -> NaiveDateTime {
        match self {
            TimeValue::Aware(t) => t.naive_utc().checked_add_offset(*t.offset()).unwrap_or_else(|| t.naive_utc()),
            TimeValue::Naive(t) => *t,
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` in UTC (the Splunk/Elastic driver format, without quotes).
    pub fn space_separated(&self) -> String {
        self.to_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }
}

impl std::fmt::Display for TimeValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.isoformat())
    }
}

fn python_iso(t: &NaiveDateTime) -> String {
    let micros = t.and_utc().timestamp_subsec_micros();
    if micros == 0 {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        format!("{}.{micros:06}", t.format("%Y-%m-%dT%H:%M:%S"))
    }
}

/// Anything a time parameter accepts: a datetime, a date string, a number of days from now
/// (negative = past) or a relative spec such as `"-1w@d"`.
///
/// # Example
///
/// ```
/// use mstic_core::timespan::{TimeInput, resolve_time};
/// assert_eq!(TimeInput::from(-2), TimeInput::Days(-2.0));
/// assert_eq!(TimeInput::from("-1w@d"), TimeInput::Text("-1w@d".to_string()));
/// let date = chrono::NaiveDate::from_ymd_opt(2024, 5, 1).expect("a date");
/// assert_eq!(resolve_time(TimeInput::from(date))?.to_string(), "2024-05-01T00:00:00Z");
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TimeInput {
    /// An already resolved time.
    Time(TimeValue),
    /// Days from now (fractions allowed).
    Days(f64),
    /// A date string, an integer string (days) or a relative offset spec.
    Text(String),
}

impl From<TimeValue> for TimeInput {
    fn from(v: TimeValue) -> Self {
        TimeInput::Time(v)
    }
}
impl From<DateTime<Utc>> for TimeInput {
    fn from(v: DateTime<Utc>) -> Self {
        TimeInput::Time(TimeValue::Aware(v.fixed_offset()))
    }
}
impl From<DateTime<FixedOffset>> for TimeInput {
    fn from(v: DateTime<FixedOffset>) -> Self {
        TimeInput::Time(TimeValue::Aware(v))
    }
}
impl From<NaiveDateTime> for TimeInput {
    fn from(v: NaiveDateTime) -> Self {
        TimeInput::Time(TimeValue::Naive(v))
    }
}
impl From<NaiveDate> for TimeInput {
    fn from(v: NaiveDate) -> Self {
        TimeInput::Time(TimeValue::Naive(v.and_hms_opt(0, 0, 0).unwrap_or_default()))
    }
}
impl From<i64> for TimeInput {
    fn from(v: i64) -> Self {
        TimeInput::Days(v as f64)
    }
}
impl From<i32> for TimeInput {
    fn from(v: i32) -> Self {
        TimeInput::Days(v.into())
    }
}
impl From<f64> for TimeInput {
    fn from(v: f64) -> Self {
        TimeInput::Days(v)
    }
}
impl From<&str> for TimeInput {
    fn from(v: &str) -> Self {
        TimeInput::Text(v.to_string())
    }
}
impl From<String> for TimeInput {
    fn from(v: String) -> Self {
        TimeInput::Text(v)
    }
}
impl From<&String> for TimeInput {
    fn from(v: &String) -> Self {
        TimeInput::Text(v.clone())
    }
}

/// Resolves a time parameter value relative to the current UTC time (MSTICPy's
/// `QuerySource._convert_datetime`).
///
/// # Example
///
/// ```
/// use mstic_core::timespan::resolve_time;
/// let day_ago = resolve_time(-1)?; // a number is days from now
/// let age = chrono::Utc::now() - day_ago.to_utc();
/// assert!(age > chrono::Duration::hours(23) && age < chrono::Duration::hours(25));
/// assert_eq!(resolve_time("2024-05-01T10:00:00Z")?.to_string(), "2024-05-01T10:00:00+00:00");
/// assert!(resolve_time("next tuesday-ish").is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn resolve_time(input: impl Into<TimeInput>) -> Result<TimeValue> {
    resolve_time_at(input, Utc::now())
}

/// [`resolve_time`] with an explicit "now": numbers are days from `now`; integer strings and
/// relative specs are offsets from `now`; date strings are parsed; anything else is an error
/// naming the value (MSTICPy would silently use "now").
pub fn resolve_time_at(input: impl Into<TimeInput>, now: DateTime<Utc>) -> Result<TimeValue> {
    match input.into() {
        TimeInput::Time(t) => Ok(t),
        TimeInput::Days(days) => {
            if !days.is_finite() {
                return Err(Error::invalid("time", format!("{days} is not a number of days")));
            }
            let micros = (days * 86_400_000_000.0).round();
            let shifted = (micros.abs() < i64::MAX as f64).then(|| now.checked_add_signed(Duration::microseconds(micros as i64))).flatten();
            let shifted = shifted.ok_or_else(|| out_of_range("time", &format!("{days} days from {now}")))?;
            Ok(TimeValue::Aware(shifted.fixed_offset()))
        }
        TimeInput::Text(text) => {
            let trimmed = text.trim();
            if trimmed.replace('_', "").parse::<i64>().is_ok() {
                return parse_offset_spec(trimmed, now);
            }
            if let Some(t) = parse_date_string(trimmed) {
                return Ok(t);
            }
            parse_offset_spec(trimmed, now)
        }
    }
}

/// The error for a time that falls outside the dates chrono can hold (`what` says how it was reached).
fn out_of_range(parameter: &str, what: &str) -> Error {
    Error::invalid(
        parameter,
        format!("{what} is outside the supported dates ({} to {})", DateTime::<Utc>::MIN_UTC.date_naive(), DateTime::<Utc>::MAX_UTC.date_naive()),
    )
}

/// A start/end time range for queries (MSTICPy's `TimeSpan`). Equality compares start and end.
///
/// # Example
///
/// ```
/// use mstic_core::timespan::TimeSpan;
/// let span = TimeSpan::starting("2024-05-01 00:00:00", "1d")?;
/// assert_eq!(span.end().to_rfc3339(), "2024-05-02T00:00:00+00:00");
/// assert_eq!(span.period(), chrono::Duration::days(1));
/// assert_eq!(TimeSpan::new("2024-05-01", "2024-05-02")?, span);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The inputs of a [`TimeSpan`]: any two of start, end and period (end defaults to now).
///
/// # Example
///
/// ```
/// use mstic_core::timespan::{TimeSpan, TimeSpanSpec};
/// let spec = TimeSpanSpec { end: Some("2024-05-02 00:00:00".into()), period: Some("6h".into()), ..Default::default() };
/// assert_eq!(TimeSpan::from_spec(spec)?.start().to_rfc3339(), "2024-05-01T18:00:00+00:00");
/// assert!(TimeSpan::from_spec(TimeSpanSpec::default()).is_err()); // needs a start or a period
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TimeSpanSpec {
    /// Start of the range.
    pub start: Option<TimeInput>,
    /// End of the range (default: now).
    pub end: Option<TimeInput>,
    /// Length of the range: a pandas-style period string (`"1d"`, `"-30m"`, `"P1DT2H"`).
    pub period: Option<String>,
}

impl TimeSpan {
    /// The range `start`..`end`; each side takes any [`TimeInput`].
    pub fn new(start: impl Into<TimeInput>, end: impl Into<TimeInput>) -> Result<Self> {
        Self::from_spec(TimeSpanSpec { start: Some(start.into()), end: Some(end.into()), period: None })
    }

    /// The range of `period` (e.g. `"1d"`) ending now.
    pub fn last(period: &str) -> Result<Self> {
        Self::from_spec(TimeSpanSpec { period: Some(period.to_string()), ..Default::default() })
    }

    /// The range of `period` starting at `start`.
    pub fn starting(start: impl Into<TimeInput>, period: &str) -> Result<Self> {
        Self::from_spec(TimeSpanSpec { start: Some(start.into()), end: None, period: Some(period.to_string()) })
    }

    /// The range of `period` ending at `end`.
    pub fn ending(end: impl Into<TimeInput>, period: &str) -> Result<Self> {
        Self::from_spec(TimeSpanSpec { start: None, end: Some(end.into()), period: Some(period.to_string()) })
    }

    /// Builds a range from a spec with MSTICPy's rules, relative to the current time.
    pub fn from_spec(spec: TimeSpanSpec) -> Result<Self> {
        Self::from_spec_at(spec, Utc::now())
    }

    /// MSTICPy's rules with an explicit "now": start or period is required; start + period sets
    /// the end; end − period sets the start; end defaults to now.
    pub fn from_spec_at(spec: TimeSpanSpec, now: DateTime<Utc>) -> Result<Self> {
        if spec.start.is_none() && spec.period.is_none() {
            return Err(Error::invalid("start, period", "At least one of 'start' or 'period' must be specified."));
        }
        let period = spec.period.as_deref().map(parse_period).transpose()?;
        let resolve = |value: TimeInput, name: &str| {
            resolve_time_at(value, now)
                .map(|t| t.to_utc())
                .map_err(|_| Error::invalid(name, format!("'{name}' must be a datetime or a datetime string.")))
        };
        let start = spec.start.map(|s| resolve(s, "start")).transpose()?;
        let mut end = spec.end.map(|e| resolve(e, "end")).transpose()?;
        let shifted = |from: DateTime<Utc>, by: Duration, what: &str| {
            from.checked_add_signed(by).ok_or_else(|| out_of_range("period", &format!("{what} {from} by {}", format_duration(by.abs()))))
        };
        if let (Some(start), Some(period)) = (start, period) {
            end = Some(shifted(start, period, "moving start")?);
        }
        let end = end.unwrap_or(now);
        let start = match (start, period) {
            (Some(start), _) => start,
            (None, Some(period)) => shifted(end, -period, "moving end")?,
            (None, None) => unreachable!("checked above"),
        };
        Ok(TimeSpan { start, end })
    }

    /// Start of the range (UTC).
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// End of the range (UTC).
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// `end − start`.
    pub fn period(&self) -> Duration {
        self.end - self.start
    }

    /// HTML for notebooks.
    pub fn to_html(&self) -> String {
        format!(
            "<div class=\"mstic-timespan\"><b>TimeSpan</b> {} &rarr; {} <i>({})</i></div>",
            TimeValue::Aware(self.start.fixed_offset()),
            TimeValue::Aware(self.end.fixed_offset()),
            format_duration(self.period())
        )
    }

    /// Shows the range in a notebook cell (evcxr's display hook).
    pub fn evcxr_display(&self) {
        crate::MimeBundle::new().with_text("text/html", self.to_html()).with_text("text/plain", self.to_string()).emit_as_result();
    }
}

/// Lets time-range parameters (`impl Into<TimeSpan>`) take `&span` as well as spans and widgets.
impl From<&TimeSpan> for TimeSpan {
    fn from(span: &TimeSpan) -> Self {
        *span
    }
}

impl std::fmt::Display for TimeSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TimeSpan(start={}, end={}, period={})",
            self.start.format("%Y-%m-%d %H:%M:%S%.f%:z"),
            self.end.format("%Y-%m-%d %H:%M:%S%.f%:z"),
            format_duration(self.period())
        )
    }
}

/// A duration as Python prints a `timedelta` (`1 day, 2:00:00`, `-1 day, 23:30:00`).
pub fn format_duration(d: Duration) -> String {
    let total_micros = d.num_microseconds().unwrap_or(i64::MAX);
    let days = total_micros.div_euclid(86_400_000_000);
    let rest = total_micros.rem_euclid(86_400_000_000);
    let (secs, micros) = (rest / 1_000_000, rest % 1_000_000);
    let clock = format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    let clock = if micros > 0 { format!("{clock}.{micros:06}") } else { clock };
    match days {
        0 => clock,
        1 | -1 => format!("{days} day, {clock}"),
        _ => format!("{days} days, {clock}"),
    }
}
