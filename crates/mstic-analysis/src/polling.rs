//! Beaconing / polling detection with a periodogram (MSTICPy `analysis/polling_detection.py`,
//! `PeriodogramPollingDetector`, after Heard, Rubin-Delanchy and Lawson 2014): event times become
//! a per-second counting process whose strongest frequency is tested with Fisher's g test.

use crate::columns;
use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::DataType;
use mstic_core::{Error, Frame, Result, interrupt};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use std::collections::HashMap;
use std::sync::Arc;

/// Periodicity of one group of events.
///
/// # Example
///
/// ```
/// # use mstic_analysis::polling::detect_polling_times;
/// // An event every 17 seconds.
/// let times: Vec<i64> = (0..30).map(|i| 1_700_000_000 + 17 * i).collect();
/// let (start, end) = (times[0], times[29]);
/// let result = detect_polling_times(&times, start, end, 1)?.expect("a measurable period");
/// assert_eq!(result.dominant_interval.round(), 17.0);
/// assert!(result.p_value < 1e-9);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollingResult {
    /// Fisher's g-test p-value: small means a strong periodic component (polling, beaconing).
    pub p_value: f64,
    /// Frequency (per second) with the most power.
    pub dominant_frequency: f64,
    /// Its period in seconds (`1 / dominant_frequency`).
    pub dominant_interval: f64,
}

/// Fisher's g test on a power spectral density (GeneCycle's `fisher.g.test`, as MSTICPy runs
/// it): the statistic `max / sum` and its p-value — exact for up to 700 values, else the
/// asymptotic form; `exclude_pi` drops the last value (the Nyquist term of an even-length series).
pub fn fisher_g_test(psd: &[f64], exclude_pi: bool) -> Option<(f64, f64)> {
    let psd = if exclude_pi && !psd.is_empty() {
        &psd[..psd.len() - 1]
    } else {
        psd
    };
    let total: f64 = psd.iter().sum();
    let peak = psd.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if psd.is_empty() || total.is_nan() || total <= 0.0 {
        return None;
    }
    let statistic = peak / total;
    let length = psd.len() as f64;
    let p_value = if psd.len() > 700 {
        1.0 - (1.0 - (-length * statistic).exp()).powf(length)
    } else {
        let upper = (1.0 / statistic).floor() as usize;
        let mut log_binomial = 0.0; // ln C(length, j), built up term by term
        let mut sum = 0.0;
        for j in 1..upper {
            log_binomial += (length - j as f64 + 1.0).ln() - (j as f64).ln();
            let sign = if j % 2 == 1 { 1.0 } else { -1.0 };
            sum += sign * (log_binomial + (length - 1.0) * (1.0 - j as f64 * statistic).ln()).exp();
        }
        sum
    };
    Some((statistic, p_value.min(1.0)))
}

/// scipy `signal.periodogram(x)` with its defaults (unit sampling rate, boxcar window, constant
/// detrend, one-sided density): frequencies `k/n` and their power.
pub fn periodogram(values: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = values.len();
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut buffer: Vec<Complex<f64>> =
        values.iter().map(|v| Complex::new(v - mean, 0.0)).collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buffer);
    let bins = n / 2 + 1;
    let frequencies = (0..bins).map(|k| k as f64 / n as f64).collect();
    let power = (0..bins)
        .map(|k| {
            let density = buffer[k].norm_sqr() / n as f64;
            let nyquist = n.is_multiple_of(2) && k == n / 2;
            if k == 0 || nyquist {
                density
            } else {
                2.0 * density
            }
        })
        .collect();
    (frequencies, power)
}

/// Largest counting process (seconds) analysed for one group: about 4 months.
const MAX_SECONDS: i64 = 10_000_000;

/// MSTICPy `_detect_polling_arr`: counts the events (`timestamps`, in seconds) per
/// `interval_seconds` step over `[start_seconds, end_seconds)` (an event exactly at the end is
/// not counted, as in MSTICPy), centres the counts, and tests the periodogram. `None` when the
/// range is empty or the counts never vary.
pub fn detect_polling_times(
    timestamps: &[i64],
    start_seconds: i64,
    end_seconds: i64,
    interval_seconds: i64,
) -> Result<Option<PollingResult>> {
    let (start, end, interval) = (start_seconds, end_seconds, interval_seconds);
    if interval <= 0 {
        return Err(Error::invalid(
            "interval",
            format!("must be a positive number of seconds, got {interval}"),
        ));
    }
    let steps = (end - start + interval - 1).div_euclid(interval);
    if steps > MAX_SECONDS {
        return Err(Error::invalid(
            "time range",
            format!(
                "{steps} steps of {interval} s is too long for a periodogram (limit {MAX_SECONDS})"
            ),
        ));
    }
    if steps < 2 {
        return Ok(None);
    }
    let mut counts = vec![0.0_f64; steps as usize];
    for &t in timestamps {
        // Only times landing exactly on a step count, as with MSTICPy's Counter lookup.
        if t >= start && t < end && (t - start) % interval == 0 {
            counts[((t - start) / interval) as usize] += 1.0;
        }
    }
    let expected = timestamps.len() as f64 / steps as f64;
    counts.iter_mut().for_each(|c| *c -= expected);
    let (frequencies, power) = periodogram(&counts);
    let Some(peak) =
        (0..power.len()).max_by(|&a, &b| power[a].total_cmp(&power[b]).then(b.cmp(&a)))
    else {
        return Ok(None);
    };
    let Some((_, p_value)) = fisher_g_test(&power, counts.len().is_multiple_of(2)) else {
        return Ok(None);
    };
    let dominant_frequency = frequencies[peak];
    Ok(Some(PollingResult {
        p_value,
        dominant_frequency,
        dominant_interval: 1.0 / dominant_frequency,
    }))
}

/// Event times in whole seconds: timestamps are converted, integer columns are taken as seconds.
fn seconds(frame: &Frame, time_column: &str) -> Result<Vec<Option<i64>>> {
    let name = columns::resolve(frame, time_column)?;
    let array = frame.column(&name)?;
    if array.data_type().is_integer()
        || matches!(array.data_type(), DataType::Float32 | DataType::Float64)
    {
        return Ok(columns::floats(frame, &name)?
            .into_iter()
            .map(|v| v.map(|s| s.floor() as i64))
            .collect());
    }
    Ok(columns::times(frame, &name)?
        .into_iter()
        .map(|t| t.map(|n| n.div_euclid(1_000_000_000)))
        .collect())
}

/// MSTICPy `PeriodogramPollingDetector(data).detect_polling(time_column, groupby)`: `data` with
/// `p_value`, `dominant_frequency` and `dominant_interval` (seconds) added to every row, computed
/// over the whole frame (no `group_columns`) or per group of `group_columns` (for example source
/// and destination address). Times are date-times or whole seconds. Rows whose group has no
/// measurable range or a null key get nulls.
///
/// # Example
///
/// ```
/// # use mstic_analysis::detect_polling;
/// # use mstic_core::Frame;
/// use arrow::array::{ArrayRef, Int64Array, StringArray};
/// use std::sync::Arc;
/// // A host calling out every 17 seconds, and one irregular host.
/// let mut seconds: Vec<i64> = (0..30).map(|i| 1_700_000_000 + 17 * i).collect();
/// let mut hosts = vec!["beacon"; 30];
/// seconds.extend((0..120).map(|i: i64| 1_700_000_000 + (i * i * 37 + i * 11) % 7200));
/// hosts.extend(vec!["user"; 120]);
/// let flows = Frame::from_columns(vec![
///     ("Time".to_string(), Arc::new(Int64Array::from(seconds)) as ArrayRef),
///     ("Host".to_string(), Arc::new(StringArray::from(hosts)) as ArrayRef),
/// ])?;
/// let result = detect_polling(&flows, "Time", &["Host"])?;
/// let intervals: Vec<f64> = result.to_vec("dominant_interval")?;
/// assert_eq!(intervals[0].round(), 17.0);
/// let p_values: Vec<f64> = result.to_vec("p_value")?;
/// assert!(p_values[0] < p_values[30], "the beacon is the more periodic host");
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn detect_polling(data: &Frame, time_column: &str, group_columns: &[&str]) -> Result<Frame> {
    let times = seconds(data, time_column)?;
    let keys: Vec<Option<String>> = if group_columns.is_empty() {
        vec![Some(String::new()); data.len()]
    } else {
        let mut parts: Vec<Vec<Option<String>>> = Vec::new();
        for column in group_columns {
            parts.push(data.column_strings(&columns::resolve(data, column)?)?);
        }
        (0..data.len())
            .map(|row| {
                parts
                    .iter()
                    .map(|p| p[row].clone())
                    .collect::<Option<Vec<_>>>()
                    .map(|k| k.join("\u{1f}"))
            })
            .collect()
    };
    let mut groups: HashMap<&str, Vec<i64>> = HashMap::new();
    for (key, time) in keys.iter().zip(&times) {
        if let (Some(key), Some(time)) = (key, time) {
            groups.entry(key.as_str()).or_default().push(*time);
        }
    }
    let mut results: HashMap<&str, Option<PollingResult>> = HashMap::new();
    for (key, stamps) in &groups {
        interrupt::check("the polling detection")?;
        let start = *stamps.iter().min().expect("groups are never empty");
        let end = *stamps.iter().max().expect("groups are never empty");
        results.insert(key, detect_polling_times(stamps, start, end, 1)?);
    }
    let result_of = |row: usize| {
        keys[row]
            .as_deref()
            .and_then(|k| results.get(k).copied().flatten())
    };
    let column = |pick: fn(&PollingResult) -> f64| -> ArrayRef {
        Arc::new(
            (0..data.len())
                .map(|row| result_of(row).map(|r| pick(&r)))
                .collect::<Float64Array>(),
        )
    };
    let mut out: Vec<(String, ArrayRef)> = Vec::new();
    for name in data.columns() {
        out.push((name.clone(), data.column(&name)?));
    }
    out.push(("p_value".into(), column(|r| r.p_value)));
    out.push((
        "dominant_frequency".into(),
        column(|r| r.dominant_frequency),
    ));
    out.push(("dominant_interval".into(), column(|r| r.dominant_interval)));
    Frame::from_columns(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_640_995_200; // 2022-01-01T00:00:00Z

    fn beacon() -> Vec<i64> {
        (0..120).map(|i| START + 60 * i + (i * 7 % 5)).collect()
    }
    fn scattered() -> Vec<i64> {
        (0..120)
            .map(|i| START + (i * i * 37 + i * 11) % 7200)
            .collect()
    }
    fn regular() -> Vec<i64> {
        (0..30).map(|i| START + 17 * i).collect()
    }

    fn run(times: &[i64]) -> PollingResult {
        let (start, end) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
        detect_polling_times(times, start, end, 1).unwrap().unwrap()
    }

    #[test]
    fn g_test_matches_msticpy() {
        let psd = [10.0, 60.0, 20.0, 30.0, 40.0, 10.0, 10.0, 10.0];
        let (_, with_pi_excluded) = fisher_g_test(&psd, true).unwrap();
        let (_, all) = fisher_g_test(&psd, false).unwrap();
        assert_eq!((with_pi_excluded * 1e7).round() / 1e7, 0.5857339);
        assert_eq!((all * 1e7).round() / 1e7, 0.5357916);
    }

    /// Reference values from MSTICPy's algorithm with scipy 1.x `signal.periodogram`.
    #[test]
    fn polling_matches_scipy_reference() {
        let regular = run(&regular());
        assert!(
            (regular.p_value - 1.3386837658364712e-12).abs() < 1e-15,
            "{regular:?}"
        );
        assert!(
            (regular.dominant_interval - 17.0).abs() < 1e-9,
            "{regular:?}"
        );
        let beacon = run(&beacon());
        assert!(beacon.p_value < 1e-12, "{beacon:?}");
        assert!(
            (beacon.dominant_frequency - 0.4033319333613328).abs() < 1e-12,
            "{beacon:?}"
        );
        let scattered = run(&scattered());
        assert!(
            (scattered.p_value - 2.466912862875148e-08).abs() < 1e-12,
            "{scattered:?}"
        );
        assert_eq!(scattered.dominant_interval, 2.0);
    }

    #[test]
    fn grouped_detection_fills_every_row() {
        let mut times = regular();
        let mut groups = vec!["poller"; times.len()];
        times.extend(scattered());
        groups.extend(vec!["user"; 120]);
        times.push(START);
        groups.push("single");
        let frame = Frame::from_columns(vec![
            (
                "Time".into(),
                Arc::new(arrow::array::Int64Array::from(times)) as ArrayRef,
            ),
            (
                "Edge".into(),
                Arc::new(arrow::array::StringArray::from(groups)) as ArrayRef,
            ),
        ])
        .unwrap();
        let result = detect_polling(&frame, "Time", &["Edge"]).unwrap();
        let p = columns::floats(&result, "p_value").unwrap();
        let interval = columns::floats(&result, "dominant_interval").unwrap();
        assert!((p[0].unwrap() - 1.3386837658364712e-12).abs() < 1e-15);
        assert_eq!(interval[0], Some(17.0));
        assert!((p[30].unwrap() - 2.466912862875148e-08).abs() < 1e-12);
        assert_eq!(p[150], None, "a single event has no measurable period");
    }

    #[test]
    fn periodogram_matches_scipy_shape() {
        let (f, p) = periodogram(&[1.0, 0.0, 1.0, 0.0]);
        assert_eq!(f, vec![0.0, 0.25, 0.5]);
        // mean 0.5, Nyquist bin |X|^2 = 4, /n = 1, not doubled.
        assert!(
            (p[2] - 1.0).abs() < 1e-12 && p[0].abs() < 1e-12 && p[1].abs() < 1e-12,
            "{p:?}"
        );
    }
}
