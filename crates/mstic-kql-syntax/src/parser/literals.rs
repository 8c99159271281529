//! The values of typed literals: `datetime(…)`, `timespan(…)`, `long(…)`, `dynamic(…)` ….

use crate::ast::Literal;
use crate::lexer::{Token, TokenKind, timespan_nanos, timespan_unit, tokenize};

/// The value of `type_name(raw)`.
pub(super) fn typed_value(type_name: &str, raw: &str) -> Result<Literal, String> {
    let canonical = match type_name {
        "date" => "datetime",
        "time" => "timespan",
        "uuid" | "uniqueid" => "guid",
        "int64" => "long",
        "int32" => "int",
        "double" => "real",
        "boolean" => "bool",
        other => other,
    };
    if raw.is_empty() {
        return Err(format!("expected a value inside `{type_name}(…)`"));
    }
    if raw == "null" && canonical != "dynamic" {
        return Ok(Literal::TypedNull(canonical.to_string()));
    }
    let invalid = || format!("`{raw}` is not a valid {type_name} value");
    match canonical {
        "datetime" => Ok(Literal::Datetime(raw.to_string())),
        "dynamic" => Ok(Literal::Dynamic(raw.to_string())),
        "guid" => Ok(Literal::Guid(raw.to_string())),
        "timespan" => timespan_text(raw).map(Literal::Timespan).ok_or_else(invalid),
        "long" | "int" => signed_number(raw)
            .and_then(|t| match t {
                TokenKind::Long(n) => Some(Literal::Long(n)),
                _ => None,
            })
            .ok_or_else(invalid),
        "real" | "decimal" => real_text(raw).map(Literal::Real).ok_or_else(invalid),
        "bool" => match raw.to_ascii_lowercase().as_str() {
            "true" => Ok(Literal::Bool(true)),
            "false" => Ok(Literal::Bool(false)),
            _ => Err(invalid()),
        },
        "string" => match tokenize(raw).as_slice() {
            [Token { kind: TokenKind::String(s), .. }, Token { kind: TokenKind::Eof, .. }] => {
                Ok(Literal::String(s.clone()))
            }
            _ => Err(invalid()),
        },
        _ => Err(invalid()),
    }
}

/// A number token with an optional sign (`-3`, `+1.5`), negated as written.
fn signed_number(raw: &str) -> Option<TokenKind> {
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, raw.strip_prefix('+').unwrap_or(raw).trim_start()),
    };
    let tokens = tokenize(digits);
    let [token, Token { kind: TokenKind::Eof, .. }] = tokens.as_slice() else {
        return None;
    };
    match token.kind {
        TokenKind::Long(n) => Some(TokenKind::Long(if negative { n.checked_neg()? } else { n })),
        TokenKind::Real(x) => Some(TokenKind::Real(if negative { -x } else { x })),
        TokenKind::Timespan(n) => {
            Some(TokenKind::Timespan(if negative { n.checked_neg()? } else { n }))
        }
        _ => None,
    }
}

/// `real(…)` contents: a number, `nan`, `inf`, `+inf`, `-inf`.
fn real_text(raw: &str) -> Option<f64> {
    match raw {
        "nan" => return Some(f64::NAN),
        "inf" | "+inf" => return Some(f64::INFINITY),
        "-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    match signed_number(raw)? {
        TokenKind::Long(n) => Some(n as f64),
        TokenKind::Real(x) => Some(x),
        _ => None,
    }
}

/// `timespan(…)` contents: `1d`, `1.5h`, a number of days, or `[-][d.]hh:mm[:ss[.fffffff]]`.
fn timespan_text(raw: &str) -> Option<i64> {
    if raw.contains(':') {
        return clock_timespan(raw);
    }
    match signed_number(raw)? {
        TokenKind::Timespan(n) => Some(n),
        TokenKind::Long(days) => days.checked_mul(timespan_unit("d")?),
        TokenKind::Real(days) => timespan_nanos(&days.to_string(), timespan_unit("d")?),
        _ => None,
    }
}

/// `[-][d.]hh:mm[:ss[.fffffff]]` in nanoseconds.
fn clock_timespan(raw: &str) -> Option<i64> {
    let (negative, text) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let mut parts = text.split(':');
    let first = parts.next()?;
    let minutes: i64 = parse_digits(parts.next()?)?;
    let seconds_text = parts.next().unwrap_or("0");
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => (parse_digits(d)?, parse_digits(h)?),
        None => (0, parse_digits(first)?),
    };
    let (whole_seconds, fraction) = match seconds_text.split_once('.') {
        Some((s, f)) => (parse_digits(s)?, f),
        None => (parse_digits(seconds_text)?, ""),
    };
    if minutes >= 60 || whole_seconds >= 60 || fraction.len() > 9 {
        return None;
    }
    let fraction_nanos = if fraction.is_empty() {
        0
    } else {
        parse_digits(fraction)? * 10i64.pow(9 - fraction.len() as u32)
    };
    let total = days
        .checked_mul(24)?
        .checked_add(hours)?
        .checked_mul(60)?
        .checked_add(minutes)?
        .checked_mul(60)?
        .checked_add(whole_seconds)?
        .checked_mul(1_000_000_000)?
        .checked_add(fraction_nanos)?;
    Some(if negative { -total } else { total })
}

/// A run of ASCII digits as a number.
fn parse_digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
