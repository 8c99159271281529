//! Readable axes for the static SVG: time ticks on whole seconds, minutes, hours or days with a
//! label format that fits the span, numeric ticks on round numbers, and padded ranges.

use chrono::DateTime;

const SECOND: f64 = 1_000.0;
const MINUTE: f64 = 60.0 * SECOND;
const HOUR: f64 = 60.0 * MINUTE;
const DAY: f64 = 24.0 * HOUR;

/// Tick steps a time axis may use, shortest first.
const TIME_STEPS: [f64; 22] = [
    SECOND, 2.0 * SECOND, 5.0 * SECOND, 10.0 * SECOND, 15.0 * SECOND, 30.0 * SECOND, MINUTE, 2.0 * MINUTE,
    5.0 * MINUTE, 10.0 * MINUTE, 15.0 * MINUTE, 30.0 * MINUTE, HOUR, 2.0 * HOUR, 3.0 * HOUR, 6.0 * HOUR,
    12.0 * HOUR, DAY, 2.0 * DAY, 7.0 * DAY, 14.0 * DAY, 28.0 * DAY,
];

/// The smallest "round" time step giving at most `max_ticks` ticks over `span` milliseconds.
pub(crate) fn time_step(span: f64, max_ticks: usize) -> f64 {
    let wanted = span / max_ticks.max(1) as f64;
    TIME_STEPS.iter().copied().find(|s| *s >= wanted).unwrap_or_else(|| (wanted / DAY).ceil() * DAY)
}

/// Tick positions (ms) on whole steps inside `min..=max`.
pub(crate) fn time_ticks(min: f64, max: f64, max_ticks: usize) -> Vec<f64> {
    let step = time_step(max - min, max_ticks);
    let mut t = (min / step).ceil() * step;
    let mut out = Vec::new();
    while t <= max && out.len() <= max_ticks * 2 {
        out.push(t);
        t += step;
    }
    out
}

/// A tick label for `millis` on an axis spanning `span` ms: seconds when the span is short,
/// dates when it is long.
pub(crate) fn time_label(millis: f64, span: f64) -> String {
    let Some(t) = DateTime::from_timestamp_millis(millis as i64) else {
        return String::new();
    };
    let format = if span <= 2.0 * MINUTE {
        "%H:%M:%S"
    } else if span <= 2.0 * DAY {
        "%m-%d %H:%M"
    } else {
        "%Y-%m-%d"
    };
    t.format(format).to_string()
}

/// `min..max` widened by `fraction` of its span on each side (a lone value gets a minute or one unit).
pub(crate) fn padded(min: f64, max: f64, fraction: f64, lone: f64) -> (f64, f64) {
    if !(min.is_finite() && max.is_finite()) {
        return (0.0, 1.0);
    }
    if max <= min {
        return (min - lone, max + lone);
    }
    let pad = (max - min) * fraction;
    (min - pad, max + pad)
}

/// Round-number ticks over `min..=max` (about `count` of them).
pub(crate) fn number_ticks(min: f64, max: f64, count: usize) -> Vec<f64> {
    let span = (max - min).abs().max(f64::EPSILON);
    let raw = span / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let mut t = (min / step).ceil() * step;
    let mut out = Vec::new();
    while t <= max + step * 1e-9 && out.len() <= count * 3 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

/// A compact number label (`1.2M`, `35k`, `0.5`).
pub(crate) fn number_label(value: f64) -> String {
    let a = value.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (value / 1e9, "G")
    } else if a >= 1e6 {
        (value / 1e6, "M")
    } else if a >= 1e4 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = format!("{scaled:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{suffix}")
}

/// A readable length of time (`10 min`, `2 h`, `1 day`).
pub(crate) fn describe_step(millis: f64) -> String {
    let (value, unit) = if millis >= DAY {
        (millis / DAY, "day")
    } else if millis >= HOUR {
        (millis / HOUR, "h")
    } else if millis >= MINUTE {
        (millis / MINUTE, "min")
    } else {
        (millis / SECOND, "s")
    };
    let plural = if unit == "day" && value > 1.0 { "s" } else { "" };
    format!("{} {unit}{plural}", number_label(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ticks_fall_on_round_steps() {
        let ticks = time_ticks(0.0, 3.0 * HOUR, 8);
        assert_eq!(ticks.first(), Some(&0.0));
        assert_eq!(ticks[1] - ticks[0], 30.0 * MINUTE);
        assert_eq!(time_label(ticks[1], 3.0 * HOUR), "01-01 00:30");
        assert_eq!(time_label(0.0, 10.0 * DAY), "1970-01-01");
    }

    #[test]
    fn numbers() {
        assert_eq!(number_ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(number_label(1_250_000.0), "1.25M");
        assert_eq!(number_label(3.0), "3");
        assert_eq!(describe_step(10.0 * MINUTE), "10 min");
        assert_eq!(padded(5.0, 5.0, 0.1, 1.0), (4.0, 6.0));
    }
}
