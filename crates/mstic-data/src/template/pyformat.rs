//! Python `str.format` over named values: `{name}`, `{name:spec}`, `{name!r}`, `{{`/`}}` escapes,
//! and the positional `{}` form used by a parameter's `format:` template.

use super::value::{ParamValue, python_float};
use mstic_core::{Error, Result};

/// Formats `template` like Python's `template.format(*positional, **named)`; `lookup` returns a
/// named value. Errors name the offending field (`what` says whose template it is).
pub fn python_format(
    template: &str,
    positional: &[ParamValue],
    lookup: &dyn Fn(&str) -> Option<ParamValue>,
    what: &str,
) -> Result<String> {
    let mut auto_index = 0usize;
    walk(template, what, &mut |field| format_field(field, positional, lookup, &mut auto_index, what))
}

/// The parameter names a template refers to (`{name}`, `{name:spec}`). Templates that are not
/// valid `str.format` text (JSON with single braces, as Cybereason's) are scanned for
/// `{identifier}` placeholders instead, as MSTICPy's validation does.
pub fn template_fields(template: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let strict = walk(template, "template", &mut |field| {
        fields.push(field_name(field).to_string());
        Ok(String::new())
    });
    let identifiers = fields.iter().all(|f| IDENTIFIER.is_match(f));
    if strict.is_ok() && identifiers {
        return fields;
    }
    PLACEHOLDER.captures_iter(template).map(|c| c[1].to_string()).collect()
}

/// Replaces `{identifier}` placeholders whose name `lookup` knows, leaving every other brace as
/// written (for JSON query templates).
pub fn substitute_placeholders(template: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    PLACEHOLDER_ANY
        .replace_all(template, |caps: &regex::Captures| lookup(&caps[1]).unwrap_or_else(|| caps[0].to_string()))
        .into_owned()
}

static PLACEHOLDER: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"(?:^|[^{])\{([A-Za-z_]\w*)\}").expect("valid regex"));
static IDENTIFIER: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"^[A-Za-z_]\w*$").expect("valid regex"));
static PLACEHOLDER_ANY: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\{([A-Za-z_]\w*)\}").expect("valid regex"));

/// Walks `template` as `str.format` does, copying text, unescaping `{{`/`}}`, and replacing each
/// replacement field by `on_field(field_text)`.
fn walk(template: &str, what: &str, on_field: &mut dyn FnMut(&str) -> Result<String>) -> Result<String> {
    let (texts, fields) = split_fields(template, what)?;
    let mut out = String::with_capacity(template.len() + 64);
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push_str(&on_field(&fields[i - 1])?);
        }
        out.push_str(text);
    }
    Ok(out)
}

/// Splits a `str.format` template into its literal texts (`{{`/`}}` unescaped) and the replacement
/// fields between them (`texts.len() == fields.len() + 1`).
pub(crate) fn split_fields(template: &str, what: &str) -> Result<(Vec<String>, Vec<String>)> {
    let mut texts = vec![String::new()];
    let mut fields = Vec::new();
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let out = texts.last_mut().expect("one text per field and one more");
        match c {
            '{' if matches!(chars.peek(), Some((_, '{'))) => {
                chars.next();
                out.push('{');
            }
            '}' if matches!(chars.peek(), Some((_, '}'))) => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(Error::invalid(what, format!("single '}}' at offset {i} (write '}}}}' for a literal brace)"))),
            '{' => {
                let mut field = String::new();
                let mut depth = 0;
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            closed = true;
                            break;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                    field.push(c);
                }
                if !closed {
                    return Err(Error::invalid(what, format!("unclosed '{{' at offset {i} (write '{{{{' for a literal brace)")));
                }
                fields.push(field);
                texts.push(String::new());
            }
            other => out.push(other),
        }
    }
    Ok((texts, fields))
}

/// Splits a JSON template at its `{identifier}` placeholders whose name `known` accepts (every
/// other brace is text), as [`substitute_placeholders`] replaces them.
pub(crate) fn split_placeholders(template: &str, known: &dyn Fn(&str) -> bool) -> (Vec<String>, Vec<String>) {
    let mut texts = Vec::new();
    let mut names = Vec::new();
    let mut last = 0;
    for caps in PLACEHOLDER_ANY.captures_iter(template) {
        let (whole, name) = (caps.get(0).expect("match"), &caps[1]);
        if known(name) {
            texts.push(template[last..whole.start()].to_string());
            names.push(name.to_string());
            last = whole.end();
        }
    }
    texts.push(template[last..].to_string());
    (texts, names)
}

/// The parameter name of a replacement field (`name` of `{name!r:>10}`).
pub(crate) fn field_name(field: &str) -> &str {
    field.split([':', '!']).next().unwrap_or_default().trim()
}

/// One replacement field formatted with `value` (its conversion and format spec applied); with
/// no value, the error Python's `str.format` would raise for the field.
pub(crate) fn format_value(field: &str, value: Option<ParamValue>, what: &str) -> Result<String> {
    format_field(field, &[], &|_| value.clone(), &mut 0, what)
}

fn format_field(
    field: &str,
    positional: &[ParamValue],
    lookup: &dyn Fn(&str) -> Option<ParamValue>,
    auto_index: &mut usize,
    what: &str,
) -> Result<String> {
    let (head, spec) = match field.split_once(':') {
        Some((head, spec)) => (head, spec),
        None => (field, ""),
    };
    let (name, conversion) = match head.split_once('!') {
        Some((name, conv)) => (name.trim(), Some(conv)),
        None => (head.trim(), None),
    };
    let value = if name.is_empty() {
        let value = positional.get(*auto_index).cloned();
        *auto_index += 1;
        value.ok_or_else(|| Error::invalid(what, "'{}' needs a positional value (IndexError in Python)"))?
    } else if let Ok(index) = name.parse::<usize>() {
        positional.get(index).cloned().ok_or_else(|| Error::invalid(what, format!("no positional value {index}")))?
    } else {
        if name.contains(['.', '[']) {
            return Err(Error::invalid(what, format!("field '{{{name}}}': attribute and index access is not supported")));
        }
        lookup(name).ok_or_else(|| Error::invalid(what, format!("field '{{{name}}}' has no value (KeyError in Python)")))?
    };
    let value = match conversion {
        Some("r") | Some("a") => ParamValue::Str(value.python_repr()),
        Some("s") => ParamValue::Str(value.python_str()),
        Some(other) => return Err(Error::invalid(what, format!("unknown conversion '!{other}'"))),
        None => value,
    };
    apply_spec(&value, spec).map_err(|message| Error::invalid(what, format!("field '{{{field}}}': {message}")))
}

/// A parsed Python format spec `[[fill]align][sign][#][0][width][,|_][.precision][type]`.
#[derive(Default)]
struct Spec {
    fill: char,
    align: Option<char>,
    sign: char,
    alternate: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

fn parse_spec(spec: &str) -> std::result::Result<Spec, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec { fill: ' ', sign: '-', ..Default::default() };
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        s.fill = chars[0];
        s.align = Some(chars[1]);
        i = 2;
    } else if !chars.is_empty() && is_align(chars[0]) {
        s.align = Some(chars[0]);
        i = 1;
    }
    if i < chars.len() && matches!(chars[i], '+' | '-' | ' ') {
        s.sign = chars[i];
        i += 1;
    }
    if i < chars.len() && chars[i] == '#' {
        s.alternate = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '0' {
        if s.align.is_none() {
            s.fill = '0';
            s.align = Some('=');
        }
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    s.width = digits(&mut i).parse().unwrap_or(0);
    if i < chars.len() && matches!(chars[i], ',' | '_') {
        s.grouping = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        s.precision = Some(digits(&mut i).parse().map_err(|_| format!("bad precision in '{spec}'"))?);
    }
    if i < chars.len() {
        s.kind = Some(chars[i]);
        i += 1;
    }
    if i != chars.len() {
        return Err(format!("invalid format specifier '{spec}'"));
    }
    Ok(s)
}

fn apply_spec(value: &ParamValue, spec: &str) -> std::result::Result<String, String> {
    if spec.is_empty() {
        return Ok(value.python_str());
    }
    let s = parse_spec(spec)?;
    let (body, numeric) = match (value, s.kind) {
        (ParamValue::Int(n), None | Some('d') | Some('n')) => (group(&n.unsigned_abs().to_string(), s.grouping), Some(*n < 0)),
        (ParamValue::Int(n), Some(k @ ('x' | 'X' | 'o' | 'b'))) => {
            let digits = match k {
                'x' => format!("{:x}", n.unsigned_abs()),
                'X' => format!("{:X}", n.unsigned_abs()),
                'o' => format!("{:o}", n.unsigned_abs()),
                _ => format!("{:b}", n.unsigned_abs()),
            };
            let prefix = if s.alternate { format!("0{}", if k == 'X' { 'X' } else { k }) } else { String::new() };
            (format!("{prefix}{digits}"), Some(*n < 0))
        }
        (ParamValue::Int(n), Some(k @ ('f' | 'F' | 'e' | 'E' | '%' | 'g' | 'G'))) => float_body(*n as f64, k, &s),
        (ParamValue::Float(f), None) if s.precision.is_none() => (group(&python_float(f.abs()), s.grouping), Some(*f < 0.0)),
        (ParamValue::Float(f), kind) => float_body(*f, kind.unwrap_or('g'), &s),
        (other, None | Some('s')) if !matches!(other, ParamValue::Int(_) | ParamValue::Float(_)) => {
            let text = other.python_str();
            let text = match s.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            };
            (text, None)
        }
        (other, Some(kind)) => return Err(format!("format code '{kind}' does not apply to a {} value", other.type_name())),
        (other, None) => (other.python_str(), None),
    };
    let sign = match numeric {
        Some(true) => "-",
        Some(false) if s.sign == '+' => "+",
        Some(false) if s.sign == ' ' => " ",
        _ => "",
    };
    let len = sign.chars().count() + body.chars().count();
    let pad = s.width.saturating_sub(len);
    let fill = |n: usize| std::iter::repeat_n(s.fill, n).collect::<String>();
    let default_align = if numeric.is_some() { '>' } else { '<' };
    Ok(match s.align.unwrap_or(default_align) {
        '<' => format!("{sign}{body}{}", fill(pad)),
        '^' => format!("{}{sign}{body}{}", fill(pad / 2), fill(pad - pad / 2)),
        '=' => format!("{sign}{}{body}", fill(pad)),
        _ => format!("{}{sign}{body}", fill(pad)),
    })
}

fn float_body(f: f64, kind: char, s: &Spec) -> (String, Option<bool>) {
    let precision = s.precision.unwrap_or(6);
    let a = f.abs();
    let body = match kind {
        'f' | 'F' => group(&format!("{a:.precision$}"), s.grouping),
        'e' | 'E' => {
            let text = format!("{a:.precision$e}");
            let (m, e) = text.split_once('e').unwrap_or((&text, "0"));
            let exp: i32 = e.parse().unwrap_or(0);
            let t = format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
            if kind == 'E' { t.to_uppercase() } else { t }
        }
        '%' => format!("{:.precision$}%", a * 100.0),
        _ => {
            let p = if s.precision == Some(0) { 1 } else { s.precision.unwrap_or(6) };
            let exp = if a == 0.0 { 0 } else { a.log10().floor() as i32 };
            if exp < -4 || exp >= p as i32 {
                let text = format!("{a:.prec$e}", prec = p - 1);
                let (m, e) = text.split_once('e').unwrap_or((&text, "0"));
                let m = if m.contains('.') { m.trim_end_matches('0').trim_end_matches('.') } else { m };
                let exp: i32 = e.parse().unwrap_or(0);
                format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
            } else {
                let decimals = (p as i32 - 1 - exp).max(0) as usize;
                let text = format!("{a:.decimals$}");
                let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text };
                group(&text, s.grouping)
            }
        }
    };
    (body, Some(f < 0.0))
}

fn group(digits: &str, separator: Option<char>) -> String {
    let Some(sep) = separator else { return digits.to_string() };
    let (int, frac) = digits.split_once('.').map(|(i, f)| (i, Some(f))).unwrap_or((digits, None));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{grouped}.{f}"),
        None => grouped,
    }
}
