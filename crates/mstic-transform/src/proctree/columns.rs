//! Reading schema columns from Arrow: ids as text (floats without `.0`, as MSTICPy does), times
//! as UTC nanoseconds from timestamp or text columns, and the key time format.

use arrow::array::{Array, ArrayRef, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, NaiveDateTime};
use mstic_core::{Error, Result};

/// A column of `batch` by name, if present.
pub fn find<'b>(batch: &'b RecordBatch, name: &str) -> Option<&'b ArrayRef> {
    batch.schema().index_of(name).ok().map(|i| batch.column(i))
}

/// A column read as text, borrowed from an Arrow string array (`None` values for an absent
/// column). Text columns are used as they are; other types are converted once, integral floats
/// without `.0` (so `22536.0` reads `22536`, as MSTICPy prints it).
pub struct Texts(Option<StringArray>);

impl Texts {
    /// The text of `array`.
    pub fn of(array: &ArrayRef) -> Result<Texts> {
        let float = |v: f64| if v.fract() == 0.0 && v.abs() < 1e18 { format!("{}", v as i64) } else { v.to_string() };
        let strings: StringArray = match array.data_type() {
            DataType::Float64 => {
                let a = array.as_any().downcast_ref::<Float64Array>().expect("Float64");
                a.iter().map(|v| v.map(float)).collect()
            }
            DataType::Float32 => {
                let a = array.as_any().downcast_ref::<Float32Array>().expect("Float32");
                a.iter().map(|v| v.map(|v| float(v as f64))).collect()
            }
            _ => cast(array, &DataType::Utf8)?.as_any().downcast_ref::<StringArray>().expect("Utf8").clone(),
        };
        Ok(Texts(Some(strings)))
    }

    /// A column that is not there: every value `None`.
    pub fn absent() -> Texts {
        Texts(None)
    }

    /// The text of an optional column (absent when `name` is `None` or not in `batch`).
    pub fn optional(batch: &RecordBatch, name: Option<&str>) -> Result<Texts> {
        match name.and_then(|n| find(batch, n)) {
            Some(array) => Texts::of(array),
            None => Ok(Texts::absent()),
        }
    }

    /// The value in `row`.
    pub fn get(&self, row: usize) -> Option<&str> {
        self.0.as_ref().filter(|a| a.is_valid(row)).map(|a| a.value(row))
    }
}

/// A required column; a missing one is an error naming the schema and the closest existing
/// columns.
pub fn require<'b>(batch: &'b RecordBatch, name: &str, schema: &str) -> Result<&'b ArrayRef> {
    find(batch, name).ok_or_else(|| {
        let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        match Error::unknown("column", name, names.iter().map(String::as_str)) {
            Error::Unknown { kind, name, suggestions } => Error::Unknown {
                kind,
                name: format!("{name}' (required by process schema '{schema}"),
                suggestions,
            },
            other => other,
        }
    })
}

/// A time column as UTC nanoseconds: Arrow timestamps or text in the usual log formats.
pub fn times(array: &ArrayRef) -> Result<Vec<Option<i64>>> {
    match array.data_type() {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            let ns = cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
            let ints = cast(&ns, &DataType::Int64)?;
            let ints = ints.as_any().downcast_ref::<Int64Array>().expect("Int64");
            Ok(ints.iter().collect())
        }
        _ => {
            let text = Texts::of(array)?;
            Ok((0..array.len()).map(|row| text.get(row).and_then(parse_time)).collect())
        }
    }
}

/// Parses a date-time text (ISO-8601 with or without zone, space or `T`, OSQuery's
/// `Tue Sep 11 17:14:47 2018 UTC`, epoch seconds) to UTC nanoseconds.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return t.timestamp_nanos_opt();
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return t.timestamp_nanos_opt();
        }
    }
    let naive = text.trim_end_matches('Z').trim_end_matches(" UTC");
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%a %b %e %H:%M:%S %Y", "%m/%d/%Y %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
            return t.and_utc().timestamp_nanos_opt();
        }
    }
    text.parse::<f64>().ok().filter(|s| *s > 0.0).map(|s| (s * 1e9) as i64)
}

/// A time rounded to MSTICPy's key time steps of 10 µs (half to even), in those steps.
pub fn round_key_time(nanos: i64) -> i64 {
    let (quotient, remainder) = (nanos.div_euclid(10_000), nanos.rem_euclid(10_000));
    if remainder > 5_000 || (remainder == 5_000 && quotient % 2 != 0) { quotient + 1 } else { quotient }
}

/// Appends a rounded key time (see [`round_key_time`]) as `%Y-%m-%d %H:%M:%S.%f`. Keys are made
/// for every process, so the calendar date is worked out with integer arithmetic (days to
/// civil date) rather than through a formatter.
pub fn write_key_time(out: &mut String, steps: i64) {
    let micros = steps.wrapping_mul(10);
    let (days, micros_of_day) = (micros.div_euclid(86_400_000_000), micros.rem_euclid(86_400_000_000));
    let (year, month, day) = civil_from_days(days);
    let seconds = micros_of_day / 1_000_000;
    let fields: [(i64, usize, u8); 7] = [
        (year, 4, b'-'),
        (month, 2, b'-'),
        (day, 2, b' '),
        (seconds / 3600, 2, b':'),
        (seconds / 60 % 60, 2, b':'),
        (seconds % 60, 2, b'.'),
        (micros_of_day % 1_000_000, 6, 0),
    ];
    let mut buffer = [0u8; 32];
    let mut at = 0;
    if year < 0 {
        buffer[0] = b'-';
        at = 1;
    }
    for (value, width, separator) in fields {
        let mut value = value.unsigned_abs();
        let digits = (value.checked_ilog10().unwrap_or(0) as usize + 1).max(width);
        for slot in buffer[at..at + digits].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
        at += digits;
        if separator != 0 {
            buffer[at] = separator;
            at += 1;
        }
    }
    out.push_str(std::str::from_utf8(&buffer[..at]).expect("ASCII digits"));
}

/// Writes key times, reusing the text of the previous time's second: the times of a log's
/// processes (and of their parents) are mostly close together.
#[derive(Default)]
pub struct KeyTimeWriter {
    second: Option<i64>,
    prefix: String,
}

impl KeyTimeWriter {
    /// Appends a rounded key time, as [`write_key_time`] does.
    pub fn write(&mut self, out: &mut String, steps: i64) {
        let micros = steps.wrapping_mul(10);
        let second = micros.div_euclid(1_000_000);
        if self.second != Some(second) {
            self.prefix.clear();
            write_key_time(&mut self.prefix, steps);
            self.prefix.truncate(self.prefix.len() - 6);
            self.second = Some(second);
        }
        out.push_str(&self.prefix);
        let mut fraction = micros.rem_euclid(1_000_000);
        let mut digits = [b'0'; 6];
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        out.push_str(std::str::from_utf8(&digits).expect("ASCII digits"));
    }
}

/// Days since 1970-01-01 to the proleptic Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_time(nanos: i64) -> String {
        let mut out = String::new();
        write_key_time(&mut out, round_key_time(nanos));
        out
    }

    /// The same text as chrono's `%Y-%m-%d %H:%M:%S.%6f` of the rounded time.
    #[test]
    fn key_time_matches_chrono() {
        let mut state: u64 = 0x9E3779B97F4A7C15;
        let mut samples = vec![0, 1, -1, 4_999, 5_000, 15_000, -5_000, 951_782_400_000_000_000, 4_102_444_800_000_000_000];
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Times from 1678 to 2261, the range of nanosecond timestamps.
            samples.push(((state % 18_400_000_000_000_000_000) as i128 - 9_200_000_000_000_000_000) as i64);
        }
        let mut writer = KeyTimeWriter::default();
        for nanos in samples {
            let rounded = round_key_time(nanos);
            let expected = DateTime::from_timestamp_nanos(rounded * 10_000).format("%Y-%m-%d %H:%M:%S.%6f").to_string();
            assert_eq!(key_time(nanos), expected, "{nanos}");
            // The same second again (the writer's reused prefix), then the time itself.
            for steps in [rounded - rounded.rem_euclid(100_000), rounded] {
                let mut cached = String::new();
                writer.write(&mut cached, steps);
                let mut direct = String::new();
                write_key_time(&mut direct, steps);
                assert_eq!(cached, direct, "{steps}");
            }
        }
    }
}
