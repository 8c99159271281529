//! MSTICPy's `split_query_by`: a query's time range is cut into chunks, the chunks run in
//! parallel (at most four at once, MSTICPy's `MAX_PARALLEL`), and the results are concatenated
//! in time order. A failed chunk is reported by its time range. An interrupt of the cell stops
//! the running chunks, starts no more, and fails the whole call with `Error::Interrupted`.
//!
//! ```no_run
//! # use mstic_data::provider::QueryProvider;
//! use mstic_data::remote::SplitQuery;
//! # let qp = QueryProvider::new("MSSentinel")?;
//! let logons = qp.split_query("WindowsSecurity.list_host_logons", "1h")
//!     .param("host_name", "WORKSTATION5").start(-1).end(0).run()?;
//! # Ok::<(), mstic_core::Error>(())
//! ```

use crate::provider::QueryProvider;
use crate::template::ParamValue;
use chrono::{DateTime, Duration, Utc};
use mstic_core::progress::{Ending, Progress};
use mstic_core::timespan::{TimeInput, TimeValue, resolve_time_at};
use mstic_core::{Error, Frame, Result, interrupt};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// MSTICPy's `MAX_PARALLEL`.
pub const DEFAULT_MAX_PARALLEL: usize = 4;

/// A chunk delta from a pandas-style Timedelta string (`1H`, `30min`, `15m`, `2d`, `1W`, `90s`);
/// an invalid string gives one day and a warning, as in MSTICPy.
pub fn parse_split_delta(text: &str) -> (Duration, Option<String>) {
    let trimmed = text.trim();
    let digits_end = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let value: f64 = if number.is_empty() { 1.0 } else { number.parse().unwrap_or(f64::NAN) };
    let unit_seconds = match unit.trim() {
        "W" | "w" | "week" | "weeks" => 7.0 * 86_400.0,
        "D" | "d" | "day" | "days" => 86_400.0,
        "H" | "h" | "hour" | "hours" | "hr" => 3600.0,
        "T" | "min" | "m" | "minute" | "minutes" => 60.0,
        "S" | "s" | "sec" | "second" | "seconds" => 1.0,
        _ => f64::NAN,
    };
    let seconds = value * unit_seconds;
    if !seconds.is_finite() || seconds <= 0.0 {
        return (Duration::days(1), Some(format!("split_query_by '{text}' is not a valid time delta; using 1 day")));
    }
    (Duration::nanoseconds((seconds * 1e9) as i64), None)
}

/// The chunks of `[start, end]` by MSTICPy's rule: each chunk ends 1 ns before the next starts;
/// the last chunk's end is snapped to `end` when within `delta / 1000` of it, otherwise one more
/// chunk up to `end` is added.
pub fn split_ranges(start: DateTime<Utc>, end: DateTime<Utc>, delta: Duration) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    if end <= start || delta <= Duration::zero() {
        return vec![(start, end)];
    }
    let mut points = vec![start];
    while let Some(next) = points.last().and_then(|p| p.checked_add_signed(delta)).filter(|n| *n <= end) {
        points.push(next);
    }
    if points.len() == 1 {
        points.push(end);
    }
    let one_ns = Duration::nanoseconds(1);
    let mut ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = points.windows(2).map(|w| (w[0], w[1] - one_ns)).collect();
    let last_end = ranges.last().map(|r| r.1).unwrap_or(end);
    if end - last_end < delta / 1000 {
        if let Some(last) = ranges.last_mut() {
            last.1 = end;
        }
    } else {
        ranges.push((last_end + one_ns, end));
    }
    ranges
}

/// Runs `chunks` with at most `max_parallel` at once and concatenates the results in chunk
/// order. Failed chunks are named by time range: a warning on the frame, or an error when
/// `fail_on_partial` is set or every chunk failed. An interrupt is never a partial result: no
/// further chunk starts and the call returns `Error::Interrupted`. In the notebook, a call of
/// several chunks shows a progress bar of the chunks done.
pub fn run_chunks<F>(chunks: &[(DateTime<Utc>, DateTime<Utc>)], max_parallel: usize, fail_on_partial: bool, run: F) -> Result<Frame>
where
    F: Fn(DateTime<Utc>, DateTime<Utc>) -> Result<Frame> + Sync,
{
    let results: Vec<Mutex<Option<Result<Frame>>>> = chunks.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = max_parallel.clamp(1, chunks.len().max(1));
    let progress = Progress::start(&format!("Split query ({} chunks)", chunks.len()), chunks.len(), chunks.len() > 1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    if interrupt::is_requested() {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some((start, end)) = chunks.get(index) else { break };
                    let result = run(*start, *end);
                    if let Ok(mut slot) = results[index].lock() {
                        *slot = Some(result);
                    }
                    progress.advance();
                }
            });
        }
    });
    interrupt::check(&format!("the split query ({} chunks)", chunks.len()))?;
    let mut frames = Vec::new();
    let mut failures = Vec::new();
    for ((start, end), slot) in chunks.iter().zip(results) {
        match slot.into_inner().ok().flatten() {
            Some(Ok(frame)) => frames.push(frame),
            Some(Err(e)) if e.is_interrupted() => return Err(e),
            Some(Err(e)) => failures.push(format!("chunk {} – {} failed: {e}", iso(start), iso(end))),
            None => failures.push(format!("chunk {} – {} did not run", iso(start), iso(end))),
        }
    }
    progress.end(if failures.is_empty() { Ending::Finished } else { Ending::Stopped });
    if !failures.is_empty() && (fail_on_partial || frames.is_empty()) {
        return Err(Error::Query(format!("{} of {} query chunks failed: {}", failures.len(), chunks.len(), failures.join("; "))));
    }
    let frames: Vec<Frame> = frames.into_iter().filter(|f| f.num_columns() > 0).collect();
    let mut frame = if frames.is_empty() { Frame::empty(std::sync::Arc::new(arrow::datatypes::Schema::empty())) } else { Frame::concat(&frames)? };
    for failure in failures {
        frame = frame.with_warning(format!("{failure}; its rows are missing"));
    }
    Ok(frame)
}

fn iso(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// `split_query` on a [`QueryProvider`]: a query whose time range runs as chunks.
///
/// # Example
/// ```
/// use mstic_data::{provider::QueryProvider, remote::SplitQuery};
/// let qp = QueryProvider::new("LocalData")?;
/// let split = qp.split_query("WindowsSecurity.list_host_logons", "1h").start("2024-05-01T00:00:00Z").end("2024-05-01T03:00:00Z");
/// let chunks = split.chunks()?;
/// assert_eq!(chunks.len(), 3);
/// assert_eq!(chunks[2].1.to_rfc3339(), "2024-05-01T03:00:00+00:00");
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub trait SplitQuery {
    /// Starts a call of query `name` whose time range is run in chunks of `split_by`
    /// (`"1h"`, `"30min"`, `"1D"`…).
    fn split_query(&self, name: &str, split_by: &str) -> SplitCall<'_>;
}

impl SplitQuery for QueryProvider {
    fn split_query(&self, name: &str, split_by: &str) -> SplitCall<'_> {
        SplitCall {
            provider: self,
            name: name.to_string(),
            split_by: split_by.to_string(),
            params: Vec::new(),
            start: None,
            end: None,
            options: Vec::new(),
            timeout: None,
            max_parallel: DEFAULT_MAX_PARALLEL,
            fail_on_partial: false,
        }
    }
}

/// A split query being built (same chain as `QueryCall`, plus `max_parallel`).
///
/// # Example
/// ```
/// use mstic_data::provider::QueryProvider;
/// let qp = QueryProvider::new("LocalData")?;
/// let call = qp.query("WindowsSecurity.list_host_logons").param("host_name", "WS1").start("2024-05-01").end("2024-05-02");
/// let split = call.split_query_by("12h").max_parallel(2);
/// let text = split.render()?;
/// assert_eq!(text.matches("from host_logons").count(), 2);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct SplitCall<'a> {
    provider: &'a QueryProvider,
    name: String,
    split_by: String,
    params: Vec<(String, ParamValue)>,
    start: Option<TimeInput>,
    end: Option<TimeInput>,
    options: Vec<(String, String)>,
    timeout: Option<std::time::Duration>,
    max_parallel: usize,
    fail_on_partial: bool,
}

impl<'a> SplitCall<'a> {
    /// Sets a query parameter.
    pub fn param(mut self, name: &str, value: impl Into<ParamValue>) -> Self {
        self.params.push((name.to_string(), value.into()));
        self
    }

    /// Start of the whole range (datetime, date string, days from now, relative spec).
    pub fn start(mut self, value: impl Into<TimeInput>) -> Self {
        self.start = Some(value.into());
        self
    }

    /// End of the whole range.
    pub fn end(mut self, value: impl Into<TimeInput>) -> Self {
        self.end = Some(value.into());
        self
    }

    /// A driver option for every chunk (e.g. `workspace`).
    pub fn option(mut self, name: &str, value: impl Into<String>) -> Self {
        self.options.push((name.to_string(), value.into()));
        self
    }

    /// Time-out of each chunk.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many chunks run at once (default 4).
    pub fn max_parallel(mut self, workers: usize) -> Self {
        self.max_parallel = workers.max(1);
        self
    }

    /// Fail when any chunk fails (default: the other chunks' rows with a warning).
    pub fn fail_on_partial(mut self, fail: bool) -> Self {
        self.fail_on_partial = fail;
        self
    }

    /// The chunk time ranges.
    pub fn chunks(&self) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
        let (default_start, default_end, now) = self.provider.defaults();
        let now = now.unwrap_or_else(Utc::now);
        let start = resolve_time_at(self.start.clone().unwrap_or_else(|| default_start.clone()), now)?.to_utc();
        let end = resolve_time_at(self.end.clone().unwrap_or_else(|| default_end.clone()), now)?.to_utc();
        if end < start {
            return Err(Error::invalid("time range", format!("end {} is before start {}", iso(&end), iso(&start))));
        }
        let (delta, _) = parse_split_delta(&self.split_by);
        Ok(split_ranges(start, end, delta))
    }

    fn chunk_call(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> crate::provider::QueryCall<'a> {
        let mut call = self.provider.query(&self.name);
        for (name, value) in &self.params {
            call = call.param(name, value.clone());
        }
        call = call.start(TimeValue::Aware(start.fixed_offset())).end(TimeValue::Aware(end.fixed_offset()));
        if !self.options.iter().any(|(k, _)| k.eq_ignore_ascii_case("timespan")) {
            call = call.option("timespan", format!("{}/{}", iso(&start), iso(&end)));
        }
        for (name, value) in &self.options {
            call = call.option(name, value.clone());
        }
        if let Some(timeout) = self.timeout {
            call = call.timeout(timeout);
        }
        call
    }

    /// Each chunk's query as MSTICPy prints it: `"{start}-{end}\n{query}"`, blank-line separated.
    pub fn render(&self) -> Result<String> {
        let mut parts = Vec::new();
        for (start, end) in self.chunks()? {
            parts.push(format!("{}-{}\n{}", iso(&start), iso(&end), self.chunk_call(start, end).render()?));
        }
        Ok(parts.join("\n\n"))
    }

    /// Runs the chunks and concatenates their rows in time order.
    pub fn run(&self) -> Result<Frame> {
        let (_, warning) = parse_split_delta(&self.split_by);
        let chunks = self.chunks()?;
        let frame = run_chunks(&chunks, self.max_parallel, self.fail_on_partial, |start, end| self.chunk_call(start, end).run())?;
        Ok(match warning {
            Some(w) => frame.with_warning(w),
            None => frame,
        })
    }
}
