//! [`QueryTime`]: the query time range widget (MSTICPy's `nbwidgets.QueryTime`): an origin date
//! and time, a before/after range slider in a chosen unit, and the resulting start and end.

use crate::controls::{DatePicker, Dropdown, HBox, Html, IntRangeSlider, Text, VBox, described_html};
use crate::{Widget, widget_display};
use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Timelike, Utc};
use mstic_core::display::escape_html;
use mstic_core::timespan::{TimeInput, TimeSpan, resolve_time};
use mstic_core::widget::WidgetModel;
use mstic_core::{Error, Result};
use std::sync::{Arc, Mutex};

/// The unit of a [`QueryTime`] range slider: minutes, hours, days or weeks.
///
/// # Example
///
/// ```
/// use mstic_widgets::QueryTimeUnit;
/// assert_eq!(QueryTimeUnit::parse("h")?, QueryTimeUnit::Hour);
/// assert_eq!(QueryTimeUnit::Day.times(2), chrono::Duration::hours(48));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryTimeUnit {
    /// Minutes (60 before and after by default, at most 240).
    Minute,
    /// Hours (6 before and after by default, at most 72).
    Hour,
    /// Days (1 before and after by default, at most 28).
    Day,
    /// Weeks (1 before and after by default, at most 20).
    Week,
}

impl QueryTimeUnit {
    /// Every unit, shortest first.
    pub const ALL: [QueryTimeUnit; 4] =
        [QueryTimeUnit::Minute, QueryTimeUnit::Hour, QueryTimeUnit::Day, QueryTimeUnit::Week];

    /// Reads a unit name or its start, in any case (`"h"`, `"Hour"`, `"min"`, `"days"`).
    pub fn parse(text: &str) -> Result<QueryTimeUnit> {
        let lower = text.trim().to_lowercase();
        let matches = |name: &str| !lower.is_empty() && (name.starts_with(&lower) || lower.starts_with(name));
        QueryTimeUnit::ALL
            .into_iter()
            .find(|unit| matches(&unit.name().to_lowercase()))
            .ok_or_else(|| Error::unknown("time unit", text, QueryTimeUnit::ALL.iter().map(|u| u.name())))
    }

    /// The unit's name as the unit list shows it (`"Hour"`).
    pub fn name(&self) -> &'static str {
        match self {
            QueryTimeUnit::Minute => "Minute",
            QueryTimeUnit::Hour => "Hour",
            QueryTimeUnit::Day => "Day",
            QueryTimeUnit::Week => "Week",
        }
    }

    /// `count` of this unit as a duration.
    pub fn times(&self, count: i64) -> Duration {
        match self {
            QueryTimeUnit::Minute => Duration::minutes(count),
            QueryTimeUnit::Hour => Duration::hours(count),
            QueryTimeUnit::Day => Duration::days(count),
            QueryTimeUnit::Week => Duration::weeks(count),
        }
    }

    /// The default count before and after the origin.
    fn default_span(&self) -> i64 {
        match self {
            QueryTimeUnit::Minute => 60,
            QueryTimeUnit::Hour => 6,
            QueryTimeUnit::Day | QueryTimeUnit::Week => 1,
        }
    }

    /// The default slider end on each side.
    fn default_max(&self) -> i64 {
        match self {
            QueryTimeUnit::Minute => 240,
            QueryTimeUnit::Hour => 72,
            QueryTimeUnit::Day => 28,
            QueryTimeUnit::Week => 20,
        }
    }
}

/// The controls of a [`QueryTime`], shared with its change observers.
#[derive(Clone)]
struct QueryTimeParts {
    origin_date: DatePicker,
    origin_time: Text,
    range: IntRangeSlider,
    unit: Dropdown,
    start_text: Text,
    end_text: Text,
    /// The last origin whose date and time both parsed.
    last_origin: Arc<Mutex<DateTime<Utc>>>,
}

/// A query time range set in the notebook: origin date and time, a before/after slider in minutes,
/// hours, days or weeks, and the resulting start and end (MSTICPy's `QueryTime`).
///
/// [`QueryTime::start`], [`QueryTime::end`] and [`QueryTime::timespan`] read what the user set in
/// the notebook, so a later cell passes it to a query: `.time_range(&query_time)`. The setters
/// (`units`, `before`, `after`, `origin`…) are MSTICPy's options; each is named after its option.
///
/// # Example
///
/// ```
/// use mstic_widgets::{QueryTime, QueryTimeUnit};
/// let query_time = QueryTime::new().origin("2024-05-01T12:00:00Z")?.units("hour")?.before(6).after(2);
/// assert_eq!(query_time.unit(), QueryTimeUnit::Hour);
/// assert_eq!(query_time.start().to_rfc3339(), "2024-05-01T06:00:00+00:00");
/// assert_eq!(query_time.end().to_rfc3339(), "2024-05-01T14:00:00+00:00");
/// let span: mstic_core::timespan::TimeSpan = (&query_time).into();
/// assert_eq!(span.period(), chrono::Duration::hours(8));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct QueryTime {
    root: VBox,
    heading: Html,
    description: Arc<Mutex<String>>,
    parts: QueryTimeParts,
}

impl std::fmt::Debug for QueryTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryTime").field("start", &self.start()).field("end", &self.end()).finish()
    }
}

impl Default for QueryTime {
    fn default() -> Self {
        QueryTime::new()
    }
}

/// The heading shown when no description is set.
const DEFAULT_DESCRIPTION: &str = "Set query time boundaries";

impl QueryTime {
    /// Opens the widget with MSTICPy's defaults: the origin now (to the second), minutes, 60 before
    /// and after, the slider reaching 240 each side. Change them with the setters.
    pub fn new() -> QueryTime {
        let origin = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        let unit = QueryTimeUnit::Minute;
        let (span, max) = (unit.default_span(), unit.default_max());

        let origin_date = DatePicker::new(Some(origin.date_naive())).description("Origin Date");
        let origin_time = Text::new(&origin.format("%H:%M:%S").to_string()).description("Time (24hr)");
        let range = IntRangeSlider::new((-span, span), -max..=max).description("Time Range");
        range.layout().set("width", "70%");
        range.set_description_width("initial");
        let names: Vec<&str> = QueryTimeUnit::ALL.iter().map(|u| u.name()).collect();
        let unit_list = Dropdown::new(&names);
        let _ = unit_list.set_value(unit.name());
        unit_list.layout().set("width", "100px");
        let start_text = Text::new("").description("Query start time (UTC):");
        let end_text = Text::new("").description("Query end time (UTC):");
        for text in [&start_text, &end_text] {
            text.set_disabled(true);
            text.layout().set("width", "50%");
            text.set_description_width("initial");
        }
        let last_origin = Arc::new(Mutex::new(origin));
        let parts =
            QueryTimeParts { origin_date, origin_time, range, unit: unit_list, start_text, end_text, last_origin };
        parts.refresh();

        let heading = Html::new(&heading_html(DEFAULT_DESCRIPTION));
        let origin_row = HBox::new(&[&parts.origin_date, &parts.origin_time]);
        let range_row = HBox::new(&[&parts.range, &parts.unit]);
        let root = VBox::new(&[&heading, &origin_row, &range_row, &parts.start_text, &parts.end_text]);
        parts.observe();
        QueryTime { root, heading, description: Arc::new(Mutex::new(DEFAULT_DESCRIPTION.into())), parts }
    }

    /// Sets the heading shown above the controls.
    pub fn description(self, text: &str) -> Self {
        self.heading.set_value(&heading_html(text));
        *self.description.lock().unwrap_or_else(|e| e.into_inner()) = text.to_string();
        self
    }

    /// Sets the slider's unit by name or its start (`"day"`, `"h"`, `"min"`, `"week"`); as in
    /// MSTICPy, this resets before and after and the slider's ends to the unit's defaults.
    pub fn units(self, unit: &str) -> Result<Self> {
        self.set_unit(QueryTimeUnit::parse(unit)?);
        Ok(self)
    }

    /// Starts the range `count` units before the origin.
    pub fn before(self, count: i64) -> Self {
        let (_, upper) = self.offsets();
        self.set_offsets((-count.abs(), upper));
        self
    }

    /// Ends the range `count` units after the origin.
    pub fn after(self, count: i64) -> Self {
        let (lower, _) = self.offsets();
        self.set_offsets((lower, count.abs()));
        self
    }

    /// Lets the slider reach `count` units before the origin (at least the current start).
    pub fn max_before(self, count: i64) -> Self {
        let range = self.parts.range.range();
        let (lower, upper) = self.offsets();
        self.parts.range.set_range_and_value(-count.abs().max(-lower)..=*range.end(), (lower, upper));
        self
    }

    /// Lets the slider reach `count` units after the origin (at least the current end).
    pub fn max_after(self, count: i64) -> Self {
        let range = self.parts.range.range();
        let (lower, upper) = self.offsets();
        self.parts.range.set_range_and_value(*range.start()..=count.abs().max(upper), (lower, upper));
        self
    }

    /// Sets the origin: any time input (`"2024-05-01T12:00:00Z"`, a `DateTime`, days from now…),
    /// kept to the second; an error names the input that is not a time.
    pub fn origin(self, origin: impl Into<TimeInput>) -> Result<Self> {
        self.set_origin(resolve_time(origin)?.to_utc());
        Ok(self)
    }

    /// Start of the range (UTC), as currently set in the notebook.
    pub fn start(&self) -> DateTime<Utc> {
        self.parts.bounds().0
    }

    /// End of the range (UTC), as currently set in the notebook.
    pub fn end(&self) -> DateTime<Utc> {
        self.parts.bounds().1
    }

    /// The range as a [`TimeSpan`] (what `.time_range(&query_time)` passes to a query).
    pub fn timespan(&self) -> TimeSpan {
        let (start, end) = self.parts.bounds();
        TimeSpan::new(start, end).expect("two UTC instants always form a span")
    }

    /// The origin the range is measured from.
    pub fn origin_time(&self) -> DateTime<Utc> {
        self.parts.origin()
    }

    /// The unit of the range slider.
    pub fn unit(&self) -> QueryTimeUnit {
        self.parts.unit()
    }

    /// The slider's (lower, upper) offsets from the origin, in [`QueryTime::unit`] (lower is
    /// negative for a range that starts before the origin).
    pub fn offsets(&self) -> (i64, i64) {
        self.parts.range.value()
    }

    /// Moves the origin to `origin` (to the second).
    pub fn set_origin(&self, origin: DateTime<Utc>) {
        self.parts.origin_date.set_value(Some(origin.date_naive()));
        self.parts.origin_time.set_value(&origin.format("%H:%M:%S").to_string());
    }

    /// Sets the slider's (lower, upper) offsets from the origin, widening the slider if needed.
    pub fn set_offsets(&self, offsets: (i64, i64)) {
        let range = self.parts.range.range();
        let min = (*range.start()).min(offsets.0.min(offsets.1));
        let max = (*range.end()).max(offsets.0.max(offsets.1));
        self.parts.range.set_range_and_value(min..=max, offsets);
    }

    /// Takes a time range (MSTICPy's `timespan` option): the origin is its end, the range starts its
    /// length before (rounded up to whole units) and nothing after.
    pub fn set_timespan(&self, span: impl Into<TimeSpan>) {
        let span = span.into();
        let unit_seconds = self.unit().times(1).num_seconds().max(1);
        let seconds = span.period().num_seconds().max(0);
        self.set_origin(span.end());
        self.set_offsets((-((seconds + unit_seconds - 1) / unit_seconds), 0));
    }

    /// Changes the unit; like choosing it in the list, this resets the slider to the unit's defaults.
    pub fn set_unit(&self, unit: QueryTimeUnit) {
        let _ = self.parts.unit.set_value(unit.name());
    }
}

fn heading_html(description: &str) -> String {
    format!("<h4>{}</h4>", escape_html(description))
}

impl QueryTimeParts {
    fn unit(&self) -> QueryTimeUnit {
        self.unit.value().and_then(|name| QueryTimeUnit::parse(&name).ok()).unwrap_or(QueryTimeUnit::Minute)
    }

    /// The origin: the date and time controls' values, or the last valid ones while the user's
    /// entry does not parse.
    fn origin(&self) -> DateTime<Utc> {
        match (self.origin_date.value(), parse_clock(&self.origin_time.value())) {
            (Some(date), Some(time)) => NaiveDateTime::new(date, time).and_utc(),
            _ => *self.last_origin.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// After an origin control changed: keeps a valid origin, or puts the last valid one back.
    fn origin_changed(&self) {
        match (self.origin_date.value(), parse_clock(&self.origin_time.value())) {
            (Some(date), Some(time)) => {
                *self.last_origin.lock().unwrap_or_else(|e| e.into_inner()) = NaiveDateTime::new(date, time).and_utc();
                self.refresh();
            }
            (date, _) => {
                let last = *self.last_origin.lock().unwrap_or_else(|e| e.into_inner());
                if date.is_none() {
                    self.origin_date.set_value(Some(last.date_naive()));
                } else {
                    self.origin_time.set_value(&last.format("%H:%M:%S").to_string());
                }
            }
        }
    }

    fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let origin = self.origin();
        let unit = self.unit();
        let (lower, upper) = self.range.value();
        let at = |count: i64| origin.checked_add_signed(unit.times(count)).unwrap_or(origin);
        (at(lower), at(upper))
    }

    /// Shows the current start and end.
    fn refresh(&self) {
        let (start, end) = self.bounds();
        self.start_text.set_value(&start.format("%Y-%m-%d %H:%M:%S").to_string());
        self.end_text.set_value(&end.format("%Y-%m-%d %H:%M:%S").to_string());
    }

    /// Keeps the start and end up to date as the user changes the controls.
    fn observe(&self) {
        let parts = self.clone();
        self.range.on_change(move |_| parts.refresh());
        let parts = self.clone();
        self.origin_date.on_change(move |_| parts.origin_changed());
        let parts = self.clone();
        self.origin_time.on_change(move |_| parts.origin_changed());
        let parts = self.clone();
        self.unit.on_change(move |_| {
            // A new unit starts from its own defaults, as in MSTICPy.
            let unit = parts.unit();
            let (span, max) = (unit.default_span(), unit.default_max());
            parts.range.set_range_and_value(-max..=max, (-span, span));
            parts.refresh();
        });
    }
}

/// A time of day typed as `HH:MM`, `HH:MM:SS` or `HH:MM:SS.ffffff`.
fn parse_clock(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"].iter().find_map(|format| NaiveTime::parse_from_str(text, format).ok())
}

widget_display!(QueryTime);

impl Widget for QueryTime {
    fn model(&self) -> &WidgetModel {
        self.root.model()
    }
    fn text_view(&self) -> String {
        let (start, end) = self.parts.bounds();
        format!(
            "{}: {} to {} (UTC)",
            self.description.lock().unwrap_or_else(|e| e.into_inner()),
            start.format("%Y-%m-%d %H:%M:%S"),
            end.format("%Y-%m-%d %H:%M:%S")
        )
    }
    fn html_view(&self) -> String {
        let (start, end) = self.parts.bounds();
        format!(
            "<div class=\"mstic-querytime\">{}{}{}</div>",
            heading_html(&self.description.lock().unwrap_or_else(|e| e.into_inner())),
            described_html("Query start time (UTC):", &start.format("%Y-%m-%d %H:%M:%S").to_string()),
            described_html("Query end time (UTC):", &end.format("%Y-%m-%d %H:%M:%S").to_string()),
        )
    }
    fn shared(&self) -> Arc<dyn Widget> {
        Arc::new(self.clone())
    }
}

/// A query time widget's current range (what `.time_range(&query_time)` uses).
impl From<&QueryTime> for TimeSpan {
    fn from(query_time: &QueryTime) -> Self {
        query_time.timespan()
    }
}

/// A query time widget's current range.
impl From<QueryTime> for TimeSpan {
    fn from(query_time: QueryTime) -> Self {
        query_time.timespan()
    }
}

#[cfg(test)]
mod tests;
