//! Parsing of the text forms remote services use for typed values: ISO 8601 date-times with up
//! to 9 fractional digits (Kusto sends 7, i.e. 100 ns ticks), Kusto timespans
//! `[-][d.]hh:mm:ss[.fffffff]`, and numbers or booleans that arrive as strings.

use chrono::NaiveDate;

/// Nanoseconds since the Unix epoch (UTC) of an ISO 8601 date-time such as
/// `2024-05-01T10:00:00.1234567Z`, `2024-05-01 10:00:00` (taken as UTC) or
/// `2024-05-01T10:00:00.000+02:00`. `None` when the text is not a date-time.
pub fn parse_datetime_nanos(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ' || b[10] == b't') || b[13] != b':' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let month = digits(&b[5..7])? as u32;
    let day = digits(&b[8..10])? as u32;
    let hour = digits(&b[11..13])? as u32;
    let minute = digits(&b[14..16])? as u32;
    let mut pos = 16;
    let mut second = 0;
    let mut nanos: u32 = 0;
    if b.get(pos) == Some(&b':') {
        second = digits(b.get(pos + 1..pos + 3)?)? as u32;
        pos += 3;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while pos < b.len() && b[pos].is_ascii_digit() {
                if pos - start < 9 {
                    nanos = nanos * 10 + u32::from(b[pos] - b'0');
                }
                pos += 1;
            }
            let count = pos - start;
            if count == 0 {
                return None;
            }
            for _ in count..9 {
                nanos *= 10;
            }
        }
    }
    let offset_seconds: i64 = match &b[pos..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            let total = h * 3600 + m * 60;
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)?;
    let nanos = naive.and_utc().timestamp_nanos_opt()?;
    nanos.checked_sub(offset_seconds.checked_mul(1_000_000_000)?)
}

/// Nanoseconds of a Kusto timespan: `[-][d.]hh:mm:ss[.fffffff]` (e.g. `1.02:03:04.5`,
/// `-00:00:01`). `None` when the text is not a timespan.
pub fn parse_timespan_nanos(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut parts = body.split(':');
    let (first, minutes, seconds) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => (number(d)?, number(h)?),
        None => (0, number(first)?),
    };
    let minutes = number(minutes)?;
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let whole = number(whole)?;
    let mut nanos: i64 = 0;
    if !fraction.is_empty() {
        if !fraction.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let kept = &fraction[..fraction.len().min(9)];
        nanos = kept.parse::<i64>().ok()? * 10_i64.pow(9 - kept.len() as u32);
    }
    let total_seconds = days.checked_mul(86_400)? + hours * 3600 + minutes * 60 + whole;
    let total = total_seconds.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    Some(if negative { -total } else { total })
}

/// A boolean from `true`/`false` (any case) or `1`/`0`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("true") || t == "1" => Some(true),
        t if t.eq_ignore_ascii_case("false") || t == "0" => Some(false),
        _ => None,
    }
}

/// A float, accepting Kusto's `NaN`, `Infinity` and `-Infinity` spellings.
pub fn parse_real(text: &str) -> Option<f64> {
    match text.trim() {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
}

fn number(text: &str) -> Option<i64> {
    digits(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_digit_fraction_keeps_100ns_ticks() {
        let nanos = parse_datetime_nanos("2023-02-20T11:04:02.6371632Z").unwrap();
        assert_eq!(nanos % 1_000_000_000, 637_163_200);
        assert_eq!(parse_datetime_nanos("1970-01-01T00:00:01Z"), Some(1_000_000_000));
        assert_eq!(parse_datetime_nanos("1970-01-01T02:00:01.000+02:00"), Some(1_000_000_000));
        assert_eq!(parse_datetime_nanos("1970-01-01 00:01"), Some(60_000_000_000));
        assert_eq!(parse_datetime_nanos("not a date"), None);
        assert_eq!(parse_datetime_nanos("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn timespans_with_days_and_fractions() {
        assert_eq!(parse_timespan_nanos("1.02:03:04.5"), Some(((86_400 + 2 * 3600 + 3 * 60 + 4) * 1_000_000_000) + 500_000_000));
        assert_eq!(parse_timespan_nanos("-00:00:01"), Some(-1_000_000_000));
        assert_eq!(parse_timespan_nanos("00:00:00.0000001"), Some(100));
        assert_eq!(parse_timespan_nanos("12:00"), None);
    }
}
